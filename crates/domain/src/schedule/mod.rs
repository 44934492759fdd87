//! Schedules: public holidays, office hours, consultation hours and response-time promises (pure; time is an argument).

pub mod consultation;
pub mod german;
pub mod holidays;
pub mod office_hours;
pub mod report;
pub mod response_time;
pub mod rrule;
pub mod settings;

pub use consultation::{ConsultationHour, ConsultationHourConfig, Slot};
pub use holidays::{holidays, is_holiday, RegionalHolidays, State};
pub use office_hours::{OfficeHours, OfficeHoursConfig, OfficeHoursError};
pub use response_time::{due_at, promise, remaining, Promise, ResponseStatus, Target, Targets};
pub use rrule::{Rule, RuleError};
pub use settings::{
    ChannelRef, ConfiguredConsultation, ConsultationHourSettings, ConsultationTexts,
    MunicipalitySchedule, ResponseTargetsConfig, ScheduleError,
};

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::Timestamp;

/// Parses a wall-clock time "HH:MM" (also "H:MM").
pub(crate) fn parse_hhmm(s: &str) -> Option<Time> {
    let (h, m) = s.trim().split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    if !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    Time::new(h.parse().ok()?, m.parse().ok()?, 0, 0).ok()
}

/// Parses a calendar date "YYYY-MM-DD".
pub(crate) fn parse_date(s: &str) -> Option<Date> {
    let s = s.trim();
    if s.len() != 10 {
        return None;
    }
    s.parse().ok()
}

/// The instant a local wall-clock time names.
///
/// A time skipped by a DST switch (02:30 on the last Sunday of March) maps to the instant of the
/// switch, so later wall-clock times never map to earlier instants; a repeated time (02:30 on the
/// last Sunday of October) maps to its first occurrence.
pub(crate) fn local_instant(tz: &TimeZone, dt: DateTime) -> Option<Timestamp> {
    match tz.to_ambiguous_timestamp(dt).offset() {
        AmbiguousOffset::Unambiguous { offset } => offset.to_timestamp(dt).ok(),
        AmbiguousOffset::Fold { before, .. } => before.to_timestamp(dt).ok(),
        AmbiguousOffset::Gap { after, .. } => {
            let before_switch = after.to_timestamp(dt).ok()?;
            tz.following(before_switch).next().map(|t| t.timestamp())
        }
    }
}
