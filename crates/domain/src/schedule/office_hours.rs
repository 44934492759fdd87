//! A municipality's office hours and office-time arithmetic (due times, elapsed office time), DST-correct.
//!
//! Office time is real elapsed time inside the weekly intervals, on days that are neither a public
//! holiday of the municipality's Land nor an extra closed day. Intervals are wall-clock times in
//! the office's time zone, so an interval 01:00–04:00 lasts 2 hours on the last Sunday of March
//! and 4 hours on the last Sunday of October. A wall-clock time skipped by the March switch stands
//! for the instant of the switch; a repeated one in October for its first occurrence.

use std::ops::ControlFlow;

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan};
use serde::{Deserialize, Serialize};

use super::holidays::{HolidayCache, RegionalHolidays, State};
use super::{local_instant, parse_date, parse_hhmm};

/// How far ahead a search for the next office time looks before it gives up (about 10 years).
const SEARCH_DAYS: i64 = 3700;

/// The configuration keys of the weekdays, Monday first.
pub const DAY_KEYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Office hours as written in the configuration (`[municipality.office_hours]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OfficeHoursConfig {
    /// ISO 3166-2:DE code without "DE-", e.g. "ST"; no state means no public holidays.
    pub state: Option<String>,
    /// Regional holidays kept by this municipality, see [`RegionalHolidays::NAMES`].
    pub regional: Vec<String>,
    pub mon: Vec<String>,
    pub tue: Vec<String>,
    pub wed: Vec<String>,
    pub thu: Vec<String>,
    pub fri: Vec<String>,
    pub sat: Vec<String>,
    pub sun: Vec<String>,
    /// Extra closed days, "YYYY-MM-DD".
    pub closed: Vec<String>,
}

/// Why an office-hours configuration was refused; the text names the key and the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OfficeHoursError {
    #[error("{day}: '{value}' is not an interval like \"08:00-12:00\"")]
    NotAnInterval { day: &'static str, value: String },
    #[error("{day}: '{value}' ends before it starts")]
    EndsBeforeStart { day: &'static str, value: String },
    #[error("{day}: '{value}' is empty (start and end are the same)")]
    Empty { day: &'static str, value: String },
    #[error("{day}: '{value}' overlaps '{other}'")]
    Overlap {
        day: &'static str,
        value: String,
        other: String,
    },
    #[error("closed: '{0}' is not a date like \"2026-12-24\"")]
    NotADate(String),
    #[error("state: '{0}' is not a German state code (BW, BY, BE, BB, HB, HH, HE, MV, NI, NW, RP, SL, SN, ST, SH, TH)")]
    UnknownState(String),
    #[error("regional: '{0}' is unknown (known: mariae_himmelfahrt, fronleichnam, augsburger_friedensfest)")]
    UnknownRegional(String),
}

/// When the town hall is open, in its own time zone.
#[derive(Debug, Clone, PartialEq)]
pub struct OfficeHours {
    pub timezone: TimeZone,
    /// The Land whose public holidays close the office; `None` for no holidays.
    pub state: Option<State>,
    /// Regional holidays this municipality keeps on top of its Land's.
    pub regional: RegionalHolidays,
    /// Wall-clock intervals per weekday, Monday first; several per day.
    pub weekly: [Vec<(Time, Time)>; 7],
    /// Extra closed days (e.g. 24 and 31 December).
    pub closed: Vec<Date>,
}

impl OfficeHours {
    /// Office hours with no intervals, no holidays and no closed days.
    pub fn new(timezone: TimeZone) -> Self {
        OfficeHours {
            timezone,
            state: None,
            regional: RegionalHolidays::default(),
            weekly: Default::default(),
            closed: Vec::new(),
        }
    }

    /// Checks and converts the configuration; the time zone comes from the municipality.
    pub fn from_config(
        config: &OfficeHoursConfig,
        timezone: TimeZone,
    ) -> Result<Self, OfficeHoursError> {
        let mut hours = OfficeHours::new(timezone);
        if let Some(code) = &config.state {
            let state =
                State::parse(code).ok_or_else(|| OfficeHoursError::UnknownState(code.clone()))?;
            hours.state = Some(state);
        }
        for name in &config.regional {
            if !hours.regional.enable(name) {
                return Err(OfficeHoursError::UnknownRegional(name.clone()));
            }
        }
        let days = [
            &config.mon,
            &config.tue,
            &config.wed,
            &config.thu,
            &config.fri,
            &config.sat,
            &config.sun,
        ];
        for (i, values) in days.into_iter().enumerate() {
            hours.weekly[i] = parse_day(DAY_KEYS[i], values)?;
        }
        for value in &config.closed {
            let date =
                parse_date(value).ok_or_else(|| OfficeHoursError::NotADate(value.clone()))?;
            hours.closed.push(date);
        }
        hours.closed.sort();
        hours.closed.dedup();
        Ok(hours)
    }

    /// The intervals of one weekday.
    pub fn day(&self, weekday: Weekday) -> &[(Time, Time)] {
        &self.weekly[weekday_index(weekday)]
    }

    /// True if the office is closed all day: a public holiday or an extra closed day.
    pub fn is_closed_day(&self, date: Date) -> bool {
        HolidayCache::new(self.state, self.regional).contains(date) || self.closed.contains(&date)
    }

    /// The open periods of one day as instants, in order, touching intervals joined.
    pub fn periods_on(&self, date: Date) -> Vec<(Timestamp, Timestamp)> {
        let mut cache = HolidayCache::new(self.state, self.regional);
        self.periods_with(date, &mut cache)
    }

    fn periods_with(&self, date: Date, cache: &mut HolidayCache) -> Vec<(Timestamp, Timestamp)> {
        if self.closed.contains(&date) || cache.contains(date) {
            return Vec::new();
        }
        let mut intervals = self.weekly[weekday_index(date.weekday())].clone();
        intervals.sort();
        let mut out: Vec<(Timestamp, Timestamp)> = Vec::with_capacity(intervals.len());
        for (from, to) in intervals {
            let (Some(s), Some(e)) = (
                local_instant(&self.timezone, date.to_datetime(from)),
                local_instant(&self.timezone, date.to_datetime(to)),
            ) else {
                continue;
            };
            if e <= s {
                continue; // empty, or lies wholly inside the hour skipped in March
            }
            match out.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => out.push((s, e)),
            }
        }
        out
    }

    /// Calls `f` with each open period (clipped to start at `from`) in order, day by day up to and
    /// including `last_day`, until `f` breaks.
    fn scan<T>(
        &self,
        from: Timestamp,
        last_day: Date,
        mut f: impl FnMut(Timestamp, Timestamp) -> ControlFlow<T>,
    ) -> Option<T> {
        let mut cache = HolidayCache::new(self.state, self.regional);
        let mut day = self.timezone.to_datetime(from).date();
        while day <= last_day {
            for (s, e) in self.periods_with(day, &mut cache) {
                if e <= from {
                    continue;
                }
                if let ControlFlow::Break(t) = f(s.max(from), e) {
                    return Some(t);
                }
            }
            day = day.tomorrow().ok()?;
        }
        None
    }

    fn search_end(&self, from: Timestamp) -> Date {
        let day = self.timezone.to_datetime(from).date();
        day.checked_add(SEARCH_DAYS.days()).unwrap_or(Date::MAX)
    }

    fn has_any_interval(&self) -> bool {
        self.weekly.iter().any(|d| d.iter().any(|(s, e)| s < e))
    }

    /// True if `at` is office time.
    pub fn is_open(&self, at: Timestamp) -> bool {
        let day = self.timezone.to_datetime(at).date();
        self.periods_on(day)
            .into_iter()
            .any(|(s, e)| s <= at && at < e)
    }

    /// The first instant of office time at or after `at`; `None` if there is none in ten years.
    pub fn next_open(&self, at: Timestamp) -> Option<Timestamp> {
        if !self.has_any_interval() {
            return None;
        }
        self.scan(at, self.search_end(at), |s, _| ControlFlow::Break(s))
    }

    /// The instant when `duration` of office time has passed since `start` (the due time).
    ///
    /// Only office time counts: a message on Friday 17:30 with 1 hour is due Monday 09:00 if the
    /// office opens at 08:00. A zero or negative duration gives `start`. `None` if the calendar
    /// has not enough office time in the next ten years.
    pub fn add_office_duration(
        &self,
        start: Timestamp,
        duration: SignedDuration,
    ) -> Option<Timestamp> {
        if duration <= SignedDuration::ZERO {
            return Some(start);
        }
        if !self.has_any_interval() {
            return None;
        }
        let mut remaining = duration;
        self.scan(start, self.search_end(start), |s, e| {
            let available = e.duration_since(s);
            if remaining <= available {
                ControlFlow::Break(s.checked_add(remaining).ok())
            } else {
                remaining -= available;
                ControlFlow::Continue(())
            }
        })
        .flatten()
    }

    /// The office time elapsed from `a` to `b` (zero if `b` is not after `a`).
    pub fn office_time_between(&self, a: Timestamp, b: Timestamp) -> SignedDuration {
        if b <= a {
            return SignedDuration::ZERO;
        }
        let last_day = self.timezone.to_datetime(b).date();
        let mut total = SignedDuration::ZERO;
        let _: Option<()> = self.scan(a, last_day, |s, e| {
            if s >= b {
                return ControlFlow::Break(());
            }
            total += e.min(b).duration_since(s);
            ControlFlow::Continue(())
        });
        total
    }

    /// The due time for "within `n` office days".
    ///
    /// Definition: counting starts at the next office time at or after `start`. If that is in the
    /// middle of an open day, the due time is the same office-time position (office time elapsed
    /// since that day's opening) `n` open days later, or that day's closing if it is shorter. If
    /// counting starts at a day's opening (the message came outside office hours), the due time
    /// is the closing of the `n`-th open day, that day counted as the first: a message on Friday
    /// evening with "1 office day" is due at Monday's closing; one on Monday 10:00 is due Tuesday
    /// 10:00. `n = 0` gives `start`; `None` if there are not enough open days in ten years.
    pub fn add_office_days(&self, start: Timestamp, n: u32) -> Option<Timestamp> {
        if n == 0 {
            return Some(start);
        }
        let begin = self.next_open(start)?;
        let mut cache = HolidayCache::new(self.state, self.regional);
        let mut day = self.timezone.to_datetime(begin).date();
        let mut position = SignedDuration::ZERO;
        for (s, e) in self.periods_with(day, &mut cache) {
            if s < begin {
                position += e.min(begin).duration_since(s);
            }
        }
        let mut to_go = if position.is_zero() { n - 1 } else { n };
        let last_day = self.search_end(begin);
        let mut periods = self.periods_with(day, &mut cache);
        while to_go > 0 {
            day = day.tomorrow().ok()?;
            if day > last_day {
                return None;
            }
            periods = self.periods_with(day, &mut cache);
            if !periods.is_empty() {
                to_go -= 1;
            }
        }
        let closing = periods.last()?.1;
        if position.is_zero() {
            return Some(closing);
        }
        let mut remaining = position;
        for (s, e) in periods {
            let available = e.duration_since(s);
            if remaining <= available {
                return s.checked_add(remaining).ok();
            }
            remaining -= available;
        }
        Some(closing)
    }
}

fn weekday_index(weekday: Weekday) -> usize {
    usize::try_from(weekday.to_monday_zero_offset()).unwrap_or(0)
}

/// Parses one weekday's intervals; touching intervals are joined, overlapping ones refused.
fn parse_day(day: &'static str, values: &[String]) -> Result<Vec<(Time, Time)>, OfficeHoursError> {
    let mut parsed: Vec<(Time, Time, &String)> = Vec::with_capacity(values.len());
    for value in values {
        let (from, to) = value
            .split_once(['-', '–'])
            .and_then(|(a, b)| Some((parse_hhmm(a)?, parse_hhmm(b)?)))
            .ok_or_else(|| OfficeHoursError::NotAnInterval {
                day,
                value: value.clone(),
            })?;
        if to < from {
            return Err(OfficeHoursError::EndsBeforeStart {
                day,
                value: value.clone(),
            });
        }
        if to == from {
            return Err(OfficeHoursError::Empty {
                day,
                value: value.clone(),
            });
        }
        parsed.push((from, to, value));
    }
    parsed.sort();
    let mut out: Vec<(Time, Time)> = Vec::with_capacity(parsed.len());
    for (i, (from, to, value)) in parsed.iter().enumerate() {
        match out.last_mut() {
            Some(last) if *from < last.1 => {
                let other = parsed.get(i.wrapping_sub(1)).map(|p| p.2.clone());
                return Err(OfficeHoursError::Overlap {
                    day,
                    value: (*value).clone(),
                    other: other.unwrap_or_default(),
                });
            }
            Some(last) if *from == last.1 => last.1 = *to,
            _ => out.push((*from, *to)),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
