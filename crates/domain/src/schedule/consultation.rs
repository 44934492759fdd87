//! Consultation hours (Sprechstunden): a recurrence rule with local times, exceptions, extra slots and holidays.
//!
//! A slot runs from the start time to the end time in the consultation hour's time zone on each
//! date of the rule; an end time at or before the start time means the slot ends the next day.
//! A public holiday of the configured Land (with its regional options) cancels the rule's slot on
//! that date unless `run_on_holidays` is set; exceptions cancel it always. One-off extra slots
//! are explicit, so neither holidays nor exceptions cancel them.

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan, Zoned};
use serde::{Deserialize, Serialize};

use super::holidays::{HolidayCache, RegionalHolidays, State};
use super::rrule::{Rule, RuleError};
use super::{local_instant, parse_date, parse_hhmm};

/// How far ahead [`ConsultationHour::next_slot`] looks (about 10 years).
const SEARCH_DAYS: i64 = 3700;

/// One held consultation, as instants in the consultation hour's time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub start: Zoned,
    pub end: Zoned,
}

impl Slot {
    /// True if `at` is within the slot (start inclusive, end exclusive).
    pub fn contains(&self, at: Timestamp) -> bool {
        self.start.timestamp() <= at && at < self.end.timestamp()
    }
}

/// A one-off slot outside the rule (e.g. an extra date before an election).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtraSlot {
    pub date: Date,
    pub start: Time,
    pub end: Time,
}

/// A named, recurring consultation hour.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsultationHour {
    pub name: String,
    pub rule: Rule,
    /// The first date the rule may fall on (DTSTART).
    pub start_date: Date,
    pub start_time: Time,
    pub end_time: Time,
    pub timezone: TimeZone,
    /// Dates on which the rule's slot does not take place.
    pub exceptions: Vec<Date>,
    pub extra_slots: Vec<ExtraSlot>,
    /// If true, public holidays do not cancel slots.
    pub run_on_holidays: bool,
    /// The Land whose holidays cancel slots; `None` for no holidays.
    pub state: Option<State>,
    pub regional: RegionalHolidays,
}

/// A consultation hour as written in the configuration (`[[municipality.consultation_hours]]`).
///
/// Keys that are not about time (channels, host) belong to the application and are ignored here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConsultationHourConfig {
    pub name: String,
    /// RRULE subset, e.g. "FREQ=WEEKLY;BYDAY=TU".
    pub rule: String,
    /// "HH:MM"
    pub start: String,
    /// "HH:MM"
    pub end: String,
    /// "YYYY-MM-DD"; when absent the caller's default applies (e.g. the day it was configured).
    pub start_date: Option<String>,
    /// Dates without a slot, "YYYY-MM-DD".
    pub exceptions: Vec<String>,
    /// One-off slots, "YYYY-MM-DD HH:MM-HH:MM".
    pub extra: Vec<String>,
    pub run_on_holidays: bool,
}

/// Why a consultation-hour configuration was refused; the text names the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConsultationError {
    #[error("rule: {0}")]
    Rule(#[from] RuleError),
    #[error("{key}: '{value}' is not a time like \"14:00\"")]
    NotATime { key: &'static str, value: String },
    #[error("{key}: '{value}' is not a date like \"2026-12-24\"")]
    NotADate { key: &'static str, value: String },
    #[error("extra: '{0}' is not a slot like \"2026-12-08 10:00-12:00\"")]
    NotAnExtraSlot(String),
    #[error("'{0}': start and end are the same")]
    Empty(String),
}

impl ConsultationHour {
    /// Checks and converts the configuration; time zone and holidays come from the municipality.
    pub fn from_config(
        config: &ConsultationHourConfig,
        timezone: TimeZone,
        state: Option<State>,
        regional: RegionalHolidays,
        default_start_date: Date,
    ) -> Result<Self, ConsultationError> {
        let time = |key, value: &String| {
            parse_hhmm(value).ok_or_else(|| ConsultationError::NotATime {
                key,
                value: value.clone(),
            })
        };
        let date = |key, value: &String| {
            parse_date(value).ok_or_else(|| ConsultationError::NotADate {
                key,
                value: value.clone(),
            })
        };
        let rule = Rule::parse(&config.rule)?;
        let start_time = time("start", &config.start)?;
        let end_time = time("end", &config.end)?;
        if start_time == end_time {
            return Err(ConsultationError::Empty(format!(
                "{}-{}",
                config.start, config.end
            )));
        }
        let start_date = match &config.start_date {
            Some(value) => date("start_date", value)?,
            None => default_start_date,
        };
        let exceptions = config
            .exceptions
            .iter()
            .map(|v| date("exceptions", v))
            .collect::<Result<Vec<_>, _>>()?;
        let extra_slots = config
            .extra
            .iter()
            .map(|v| parse_extra(v).ok_or_else(|| ConsultationError::NotAnExtraSlot(v.clone())))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ConsultationHour {
            name: config.name.clone(),
            rule,
            start_date,
            start_time,
            end_time,
            timezone,
            exceptions,
            extra_slots,
            run_on_holidays: config.run_on_holidays,
            state,
            regional,
        })
    }

    /// The slot for a date with the given local times (an end at or before the start means the next day).
    fn slot_on(&self, date: Date, start: Time, end: Time) -> Option<Slot> {
        let end_date = if end <= start {
            date.tomorrow().ok()?
        } else {
            date
        };
        let s = local_instant(&self.timezone, date.to_datetime(start))?;
        let e = local_instant(&self.timezone, end_date.to_datetime(end))?;
        (s < e).then(|| Slot {
            start: s.to_zoned(self.timezone.clone()),
            end: e.to_zoned(self.timezone.clone()),
        })
    }

    /// The rule's dates from `first` to `last` (inclusive), each with whether it is cancelled.
    fn rule_dates(&self, first: Date, last: Date) -> Vec<(Date, bool)> {
        let mut cache = HolidayCache::new(self.state, self.regional);
        self.rule
            .dates_from(self.start_date, self.start_time, &self.timezone, first)
            .skip_while(|d| *d < first)
            .take_while(|d| *d <= last)
            .map(|d| {
                let cancelled =
                    self.exceptions.contains(&d) || (!self.run_on_holidays && cache.contains(d));
                (d, cancelled)
            })
            .collect()
    }

    fn local_date(&self, at: Timestamp) -> Date {
        self.timezone.to_datetime(at).date()
    }

    /// The slots that overlap `[from, to)`, in order of start.
    pub fn slots_between(&self, from: Timestamp, to: Timestamp) -> Vec<Slot> {
        if to <= from {
            return Vec::new();
        }
        // A slot may start the day before `from` and run past midnight.
        let first = self
            .local_date(from)
            .yesterday()
            .unwrap_or(self.local_date(from));
        let last = self.local_date(to);
        let mut slots: Vec<Slot> = self
            .rule_dates(first, last)
            .into_iter()
            .filter(|(_, cancelled)| !cancelled)
            .filter_map(|(d, _)| self.slot_on(d, self.start_time, self.end_time))
            .chain(
                self.extra_slots
                    .iter()
                    .filter(|x| x.date >= first && x.date <= last)
                    .filter_map(|x| self.slot_on(x.date, x.start, x.end)),
            )
            .filter(|s| s.end.timestamp() > from && s.start.timestamp() < to)
            .collect();
        slots.sort_by(|a, b| {
            (a.start.timestamp(), a.end.timestamp()).cmp(&(b.start.timestamp(), b.end.timestamp()))
        });
        slots.dedup();
        slots
    }

    /// The rule's dates in `[from, to]` that do not take place (exceptions and holidays), e.g. for
    /// EXDATE in an iCal feed.
    pub fn cancelled_dates(&self, from: Date, to: Date) -> Vec<Date> {
        self.rule_dates(from, to)
            .into_iter()
            .filter(|(_, cancelled)| *cancelled)
            .map(|(d, _)| d)
            .collect()
    }

    /// The slot running at `at`, if any.
    pub fn current_slot(&self, at: Timestamp) -> Option<Slot> {
        let to = at.checked_add(SignedDuration::from_nanos(1)).ok()?;
        self.slots_between(at, to)
            .into_iter()
            .find(|s| s.contains(at))
    }

    /// The first slot starting after `at`; `None` if there is none in about ten years.
    pub fn next_slot(&self, at: Timestamp) -> Option<Slot> {
        let mut from = at;
        let mut searched = 0;
        while searched < SEARCH_DAYS {
            // Short windows first: the next slot is usually within weeks.
            let days = if searched == 0 { 62 } else { 366 };
            let to = from
                .to_zoned(self.timezone.clone())
                .checked_add(days.days())
                .ok()?
                .timestamp();
            if let Some(slot) = self
                .slots_between(from, to)
                .into_iter()
                .find(|s| s.start.timestamp() > at)
            {
                return Some(slot);
            }
            from = to;
            searched += days;
        }
        None
    }
}

/// Parses "2026-12-08 10:00-12:00".
fn parse_extra(value: &str) -> Option<ExtraSlot> {
    let (date, times) = value.trim().split_once(' ')?;
    let (start, end) = times.trim().split_once(['-', '–'])?;
    let slot = ExtraSlot {
        date: parse_date(date)?,
        start: parse_hhmm(start)?,
        end: parse_hhmm(end)?,
    };
    (slot.start != slot.end).then_some(slot)
}

#[cfg(test)]
mod tests;
