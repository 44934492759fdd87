//! Response-time reports for the staff UI and `/api/v1/reports/response-times`: the store's samples through the domain's aggregation.

use jiff::civil::Date;
use jiff::Timestamp;
use rathaus_domain::schedule::report::{parse_range, range_instants, response_time_report};
use rathaus_domain::schedule::ConsultationHour;
use rathaus_store::{now_ms, Store, StoreError};

use crate::registry::Tenant;

pub use rathaus_domain::schedule::report::{
    ChannelStats, MonthStats, RangeError, ResponseStats, ResponseTimeReport, SlotStats,
};

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The period given is not valid: a client error (HTTP 400).
    #[error("{0}")]
    Range(#[from] RangeError),
    /// The period cannot be placed in time (a date at the edge of the calendar): also a client error.
    #[error("the period {from} to {to} is out of range")]
    OutOfRange { from: Date, to: Date },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ReportError {
    /// True when the caller asked for something invalid (400), false for a server fault (500).
    pub fn is_client_error(&self) -> bool {
        !matches!(self, ReportError::Store(_))
    }
}

/// Parses the query parameters `from` and `to` ("YYYY-MM-DD", both inclusive).
pub fn parse_period(from: &str, to: &str) -> Result<(Date, Date), ReportError> {
    Ok(parse_range(from, to)?)
}

/// The response-time report of one municipality for the local dates `from..=to`, as of now.
pub async fn response_times(
    store: &Store,
    tenant: &Tenant,
    from: Date,
    to: Date,
) -> Result<ResponseTimeReport, ReportError> {
    response_times_at(store, tenant, from, to, now_ms()).await
}

/// Like [`response_times`] with the current time given (unanswered concerns count as having
/// missed a limit only once it has passed at `now`).
pub async fn response_times_at(
    store: &Store,
    tenant: &Tenant,
    from: Date,
    to: Date,
    now: i64,
) -> Result<ResponseTimeReport, ReportError> {
    if from > to {
        return Err(RangeError::Reversed { from, to }.into());
    }
    let office = &tenant.schedule.office;
    let out_of_range = || ReportError::OutOfRange { from, to };
    let (start, end) = range_instants(from, to, &office.timezone).ok_or_else(out_of_range)?;
    let now = Timestamp::from_millisecond(now).map_err(|_| out_of_range())?;
    let samples = store
        .response_samples(tenant.row.id, start.as_millisecond(), end.as_millisecond())
        .await?;
    let hours: Vec<ConsultationHour> = tenant
        .schedule
        .consultation
        .iter()
        .map(|c| c.hour.clone())
        .collect();
    Ok(response_time_report(
        &samples, office, &hours, from, to, now,
    ))
}
