//! An RFC 5545 RRULE subset for consultation hours: FREQ=WEEKLY|DAILY, INTERVAL, BYDAY, UNTIL, COUNT.
//!
//! Weeks start on Monday (WKST=MO, the RFC default). The rule's dates are those on or after the
//! start date (DTSTART) that match it; the start date itself counts only if it matches (for
//! "FREQ=WEEKLY" without BYDAY it always does, as the weekday is taken from it). COUNT counts the
//! rule's dates before exceptions and holidays remove any, as RFC 5545 does for EXDATE.

use std::fmt;

use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::Timestamp;

use super::local_instant;

/// How often the rule repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frequency {
    Daily,
    Weekly,
}

/// The last possible occurrence, in one of RFC 5545's three forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// `UNTIL=20261231`: occurrences on or before this date.
    Date(Date),
    /// `UNTIL=20261231T180000`: occurrences starting at or before this local time.
    Local(DateTime),
    /// `UNTIL=20261231T170000Z`: occurrences starting at or before this instant.
    Utc(Timestamp),
}

/// A parsed recurrence rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub freq: Frequency,
    /// Every n-th day or week; at least 1.
    pub interval: u32,
    /// Weekdays in Monday-first order; empty means the start date's weekday (WEEKLY) or every day (DAILY).
    pub by_day: Vec<Weekday>,
    pub until: Option<Until>,
    pub count: Option<u32>,
}

/// Why a rule was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("the rule is empty")]
    Empty,
    #[error("'{0}' is not of the form KEY=VALUE")]
    Syntax(String),
    #[error("FREQ is missing")]
    MissingFreq,
    #[error("FREQ={0} is not supported (only WEEKLY and DAILY)")]
    UnsupportedFreq(String),
    #[error("{0} is not supported")]
    Unsupported(String),
    #[error("{key}={value} is not valid: {why}")]
    BadValue {
        key: String,
        value: String,
        why: &'static str,
    },
    #[error("{0} is given twice")]
    Duplicate(String),
    #[error("COUNT and UNTIL cannot both be given")]
    CountAndUntil,
}

impl Rule {
    /// Parses e.g. "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU" (an "RRULE:" prefix is allowed; case-insensitive).
    pub fn parse(text: &str) -> Result<Rule, RuleError> {
        let text = text.trim();
        let upper = text.to_ascii_uppercase();
        let body = upper.strip_prefix("RRULE:").unwrap_or(&upper);
        if body.is_empty() {
            return Err(RuleError::Empty);
        }
        let mut freq = None;
        let mut interval = None;
        let mut by_day = None;
        let mut until = None;
        let mut count = None;
        let mut seen: Vec<&str> = Vec::new();
        for part in body.split(';').filter(|p| !p.trim().is_empty()) {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| RuleError::Syntax(part.to_string()))?;
            let (key, value) = (key.trim(), value.trim());
            if seen.contains(&key) {
                return Err(RuleError::Duplicate(key.to_string()));
            }
            seen.push(key);
            let bad = |why| RuleError::BadValue {
                key: key.to_string(),
                value: value.to_string(),
                why,
            };
            match key {
                "FREQ" => {
                    freq = Some(match value {
                        "WEEKLY" => Frequency::Weekly,
                        "DAILY" => Frequency::Daily,
                        other => return Err(RuleError::UnsupportedFreq(other.to_string())),
                    })
                }
                "INTERVAL" => {
                    let n: u32 = value.parse().map_err(|_| bad("expected a number"))?;
                    if n == 0 {
                        return Err(bad("must be at least 1"));
                    }
                    interval = Some(n);
                }
                "COUNT" => {
                    let n: u32 = value.parse().map_err(|_| bad("expected a number"))?;
                    if n == 0 {
                        return Err(bad("must be at least 1"));
                    }
                    count = Some(n);
                }
                "UNTIL" => {
                    until = Some(parse_until(value).ok_or_else(|| {
                        bad("expected YYYYMMDD, YYYYMMDDTHHMMSS or YYYYMMDDTHHMMSSZ")
                    })?)
                }
                "BYDAY" => by_day = Some(parse_by_day(value)?),
                "WKST" if value == "MO" => {}
                "WKST" => {
                    return Err(RuleError::Unsupported(format!(
                        "WKST={value} (weeks start on Monday)"
                    )))
                }
                other => return Err(RuleError::Unsupported(other.to_string())),
            }
        }
        if count.is_some() && until.is_some() {
            return Err(RuleError::CountAndUntil);
        }
        Ok(Rule {
            freq: freq.ok_or(RuleError::MissingFreq)?,
            interval: interval.unwrap_or(1),
            by_day: by_day.unwrap_or_default(),
            until,
            count,
        })
    }

    /// The rule's dates in order, from `start_date` on, honouring COUNT and UNTIL; `start_time`
    /// and `timezone` are needed for an UNTIL given as a date-time. Unbounded rules never end:
    /// stop taking when you are past the range you want.
    pub fn dates(&self, start_date: Date, start_time: Time, timezone: &TimeZone) -> RuleDates {
        RuleDates {
            rule: self.clone(),
            start: start_date,
            start_time,
            timezone: timezone.clone(),
            next: Some(start_date),
            emitted: 0,
            misses: 0,
        }
    }

    /// Like [`Rule::dates`], but starting at `from` — skips ahead directly when there is no COUNT.
    pub fn dates_from(
        &self,
        start_date: Date,
        start_time: Time,
        timezone: &TimeZone,
        from: Date,
    ) -> RuleDates {
        let mut dates = self.dates(start_date, start_time, timezone);
        if self.count.is_none() && from > start_date {
            dates.next = Some(from);
        }
        dates
    }

    fn matches(&self, start: Date, day: Date) -> bool {
        let since = day_number(day) - day_number(start);
        if since < 0 {
            return false;
        }
        let interval = i64::from(self.interval.max(1));
        match self.freq {
            Frequency::Daily => {
                since % interval == 0
                    && (self.by_day.is_empty() || self.by_day.contains(&day.weekday()))
            }
            Frequency::Weekly => {
                let weeks = (monday_number(day) - monday_number(start)) / 7;
                let weekday_ok = if self.by_day.is_empty() {
                    day.weekday() == start.weekday()
                } else {
                    self.by_day.contains(&day.weekday())
                };
                weeks % interval == 0 && weekday_ok
            }
        }
    }
}

impl std::str::FromStr for Rule {
    type Err = RuleError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Rule::parse(s)
    }
}

/// Writes the rule back in RFC 5545 form, e.g. for an iCal feed.
impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let freq = match self.freq {
            Frequency::Daily => "DAILY",
            Frequency::Weekly => "WEEKLY",
        };
        write!(f, "FREQ={freq}")?;
        if self.interval > 1 {
            write!(f, ";INTERVAL={}", self.interval)?;
        }
        if !self.by_day.is_empty() {
            let days: Vec<&str> = self.by_day.iter().map(|d| weekday_code(*d)).collect();
            write!(f, ";BYDAY={}", days.join(","))?;
        }
        match self.until {
            Some(Until::Date(d)) => write!(f, ";UNTIL={}", d.strftime("%Y%m%d"))?,
            Some(Until::Local(dt)) => write!(f, ";UNTIL={}", dt.strftime("%Y%m%dT%H%M%S"))?,
            Some(Until::Utc(ts)) => write!(f, ";UNTIL={}", ts.strftime("%Y%m%dT%H%M%SZ"))?,
            None => {}
        }
        if let Some(n) = self.count {
            write!(f, ";COUNT={n}")?;
        }
        Ok(())
    }
}

/// The dates of a rule, in order (see [`Rule::dates`]).
#[derive(Debug, Clone)]
pub struct RuleDates {
    rule: Rule,
    start: Date,
    start_time: Time,
    timezone: TimeZone,
    next: Option<Date>,
    emitted: u32,
    /// Days looked at since the last match; the pattern repeats within 7 × INTERVAL days, so a
    /// longer run means the rule never matches (e.g. "FREQ=DAILY;INTERVAL=7;BYDAY=TU" from a Monday).
    misses: u64,
}

impl RuleDates {
    fn within_until(&self, day: Date) -> bool {
        match self.rule.until {
            None => true,
            Some(Until::Date(u)) => day <= u,
            Some(Until::Local(u)) => day.to_datetime(self.start_time) <= u,
            Some(Until::Utc(u)) => local_instant(&self.timezone, day.to_datetime(self.start_time))
                .is_some_and(|t| t <= u),
        }
    }
}

impl Iterator for RuleDates {
    type Item = Date;

    fn next(&mut self) -> Option<Date> {
        loop {
            let day = self.next?;
            if self.rule.count.is_some_and(|c| self.emitted >= c) || !self.within_until(day) {
                self.next = None;
                return None;
            }
            self.next = day.tomorrow().ok();
            if self.rule.matches(self.start, day) {
                self.emitted += 1;
                self.misses = 0;
                return Some(day);
            }
            self.misses += 1;
            if self.misses > 7 * u64::from(self.rule.interval.max(1)) + 7 {
                self.next = None;
                return None;
            }
        }
    }
}

/// Days since 1970-01-01 (proleptic Gregorian), for interval arithmetic that cannot fail.
fn day_number(d: Date) -> i64 {
    let (y, m, day) = (
        i64::from(d.year()),
        i64::from(d.month()),
        i64::from(d.day()),
    );
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The day number of the Monday starting `d`'s week.
fn monday_number(d: Date) -> i64 {
    day_number(d) - i64::from(d.weekday().to_monday_zero_offset())
}

/// The RFC 5545 two-letter code of a weekday.
pub fn weekday_code(d: Weekday) -> &'static str {
    match d {
        Weekday::Monday => "MO",
        Weekday::Tuesday => "TU",
        Weekday::Wednesday => "WE",
        Weekday::Thursday => "TH",
        Weekday::Friday => "FR",
        Weekday::Saturday => "SA",
        Weekday::Sunday => "SU",
    }
}

fn parse_by_day(value: &str) -> Result<Vec<Weekday>, RuleError> {
    let mut days = Vec::new();
    for code in value.split(',').map(str::trim) {
        let day = match code {
            "MO" => Weekday::Monday,
            "TU" => Weekday::Tuesday,
            "WE" => Weekday::Wednesday,
            "TH" => Weekday::Thursday,
            "FR" => Weekday::Friday,
            "SA" => Weekday::Saturday,
            "SU" => Weekday::Sunday,
            other
                if other.len() > 2
                    && other.starts_with(|c: char| c == '+' || c == '-' || c.is_ascii_digit()) =>
            {
                return Err(RuleError::Unsupported(format!(
                    "BYDAY with a position ({other})"
                )))
            }
            other => {
                return Err(RuleError::BadValue {
                    key: "BYDAY".into(),
                    value: other.to_string(),
                    why: "expected MO, TU, WE, TH, FR, SA or SU",
                })
            }
        };
        if !days.contains(&day) {
            days.push(day);
        }
    }
    days.sort_by_key(|d| d.to_monday_zero_offset());
    Ok(days)
}

fn parse_until(value: &str) -> Option<Until> {
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let date_part = value.get(..8).filter(|s| digits(s))?;
    let date = Date::new(
        date_part.get(..4)?.parse().ok()?,
        date_part.get(4..6)?.parse().ok()?,
        date_part.get(6..8)?.parse().ok()?,
    )
    .ok()?;
    let rest = &value[8..];
    if rest.is_empty() {
        return Some(Until::Date(date));
    }
    let (time_part, utc) = match rest.strip_suffix('Z') {
        Some(t) => (t, true),
        None => (rest, false),
    };
    let time_part = time_part
        .strip_prefix('T')
        .filter(|t| t.len() == 6 && digits(t))?;
    let time = Time::new(
        time_part.get(..2)?.parse().ok()?,
        time_part.get(2..4)?.parse().ok()?,
        time_part.get(4..6)?.parse().ok()?,
        0,
    )
    .ok()?;
    let dt = date.to_datetime(time);
    if utc {
        Some(Until::Utc(dt.to_zoned(TimeZone::UTC).ok()?.timestamp()))
    } else {
        Some(Until::Local(dt))
    }
}

#[cfg(test)]
mod tests;
