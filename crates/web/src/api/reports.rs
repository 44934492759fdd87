//! `/api/v1/reports/response-times`: the response-time report as JSON (or CSV), aggregates only.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use rathaus_hub::reports::{self as hub_reports, ReportError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::ApiSession;
use super::errors::{ApiError, ApiQuery, ErrorBody};
use crate::reports::{csv_response, wants_csv};
use crate::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// First local date, `YYYY-MM-DD` (inclusive).
    pub from: Option<String>,
    /// Last local date, `YYYY-MM-DD` (inclusive).
    pub to: Option<String>,
    /// `csv` for the CSV form (also chosen by `Accept: text/csv`); JSON otherwise.
    pub format: Option<String>,
}

/// The figures of one group (all, one channel, one month, one slot). Times in whole seconds,
/// percentiles by nearest rank, shares from 0 to 1; null when there is nothing to measure.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResponseStats {
    /// Concerns (first-response measurements) that started in the period.
    pub concerns: u64,
    /// How many of them have had a first staff reply (automatic answers do not count).
    pub answered: u64,
    pub first_response_median_s: Option<i64>,
    pub first_response_p90_s: Option<i64>,
    /// Office time only (null without office hours).
    pub first_response_office_median_s: Option<i64>,
    pub first_response_office_p90_s: Option<i64>,
    pub share_within_1h_office: Option<f64>,
    pub share_within_1_office_day: Option<f64>,
    /// Share answered by the time the municipality promised.
    pub share_target_met: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelStats {
    /// The channel's configured name.
    pub channel: String,
    #[serde(flatten)]
    pub stats: ResponseStats,
}

/// One team's figures; `team` is null for concerns without a team (counted by their current team).
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamStats {
    pub team: Option<String>,
    #[serde(flatten)]
    pub stats: ResponseStats,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MonthStats {
    /// `YYYY-MM` in the municipality's time zone.
    pub month: String,
    #[serde(flatten)]
    pub stats: ResponseStats,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SlotStats {
    /// Local start of the consultation slot, `YYYY-MM-DDTHH:MM`.
    pub slot_start: String,
    /// The consultation hour's name, if still configured.
    pub consultation: Option<String>,
    #[serde(flatten)]
    pub stats: ResponseStats,
}

/// The response-time report (schema of what the endpoint returns; built by `rathaus_hub::reports`).
#[derive(Debug, Serialize, ToSchema)]
pub struct ResponseTimeReport {
    /// `YYYY-MM-DD`, inclusive.
    pub from: String,
    /// `YYYY-MM-DD`, inclusive.
    pub to: String,
    /// IANA time zone the dates and months are in.
    pub timezone: String,
    pub office_hours_configured: bool,
    #[serde(flatten)]
    pub totals: ResponseStats,
    pub by_channel: Vec<ChannelStats>,
    pub by_team: Vec<TeamStats>,
    pub by_month: Vec<MonthStats>,
    pub by_slot: Vec<SlotStats>,
}

fn invalid_period(e: &ReportError) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_period",
        format!(
            "Ungültiger Zeitraum: from und to als JJJJ-MM-TT, from nicht nach to. / Invalid period: {e}"
        ),
    )
}

/// Response times of the token's municipality for a period: first-response median and p90 (wall
/// clock and office time), shares within 1 hour / 1 office day / the promise, by channel, month and
/// consultation slot. Aggregates only: nothing names a citizen or a staff member.
#[utoipa::path(
    get, path = "/api/v1/reports/response-times", tag = "reports",
    params(ReportQuery),
    responses(
        (status = 200, description = "The report (JSON; CSV with `format=csv` or `Accept: text/csv`, as an attachment)",
         body = ResponseTimeReport, content_type = "application/json"),
        (status = 400, description = "Missing or invalid dates, or from after to (`invalid_period`)", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Role may not read reports (`forbidden`; admin and viewer may)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn response_times(
    State(state): State<AppState>,
    session: ApiSession,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> Result<Response, ApiError> {
    let registry = state.registry.current();
    let tenant = registry
        .tenant(session.0.municipality_id)
        .ok_or_else(ApiError::not_found)?;
    let (from, to) = hub_reports::parse_period(
        q.from.as_deref().unwrap_or(""),
        q.to.as_deref().unwrap_or(""),
    )
    .map_err(|e| invalid_period(&e))?;
    let report = hub_reports::response_times(&state.store, tenant, from, to)
        .await
        .map_err(|e| {
            if e.is_client_error() {
                invalid_period(&e)
            } else {
                ApiError::internal(&e)
            }
        })?;
    if wants_csv(q.format.as_deref(), &headers) {
        return Ok(csv_response(&report, &tenant.row.slug));
    }
    Ok(Json(report).into_response())
}
