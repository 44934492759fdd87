//! Response-time reports: first-response median/p90 (wall clock and office time) and shares, per channel, month and consultation slot — aggregates only.
//!
//! Input is one [`ResponseSample`] per first-response measurement (a concern, or a reopened one):
//! when the citizen's first waiting message came, when it was due, and when staff first answered.
//! Nothing in a sample or in the report names a citizen or a concern.
//!
//! Definitions: percentiles use the nearest-rank method (the smallest value with at least p % of
//! the values at or below it), so every figure is an observed time. Times are whole seconds,
//! rounded down. Shares count only measurements whose outcome is known at `now`: answered ones,
//! and unanswered ones whose limit has already passed (they count as missed); a concern still
//! within its limit is left out of that share. Office-time figures are `None` when the
//! municipality has no office hours configured (office time would always be zero).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use super::consultation::ConsultationHour;
use super::office_hours::OfficeHours;

/// One first-response measurement, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseSample {
    /// The channel's name (as configured).
    pub channel: String,
    /// The name of the concern's team (its team now), if it has one.
    pub team: Option<String>,
    /// The citizen's first message awaiting an answer.
    pub started: Timestamp,
    /// When the first answer was due under the promise made at `started`.
    pub due: Timestamp,
    /// The first staff reply after `started`; automatic answers do not count.
    pub first_response: Option<Timestamp>,
    /// Start of the consultation slot the message arrived in, if any.
    pub slot_start: Option<Timestamp>,
}

/// The figures of one group (all, one channel, one month, one slot).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ResponseStats {
    /// Number of concerns (first-response measurements) that started in the period.
    pub concerns: u64,
    /// How many of them have had a first staff reply.
    pub answered: u64,
    pub first_response_median_s: Option<i64>,
    pub first_response_p90_s: Option<i64>,
    pub first_response_office_median_s: Option<i64>,
    pub first_response_office_p90_s: Option<i64>,
    /// Share (0–1) answered within 1 hour of office time.
    pub share_within_1h_office: Option<f64>,
    /// Share (0–1) answered within 1 office day.
    pub share_within_1_office_day: Option<f64>,
    /// Share (0–1) answered by the due time the municipality promised.
    pub share_target_met: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChannelStats {
    pub channel: String,
    #[serde(flatten)]
    pub stats: ResponseStats,
}

/// The figures of one team; `team` is null for concerns without a team.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TeamStats {
    pub team: Option<String>,
    #[serde(flatten)]
    pub stats: ResponseStats,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthStats {
    /// "2026-12", in the municipality's time zone.
    pub month: String,
    #[serde(flatten)]
    pub stats: ResponseStats,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlotStats {
    /// Local start, "2026-12-01T14:00".
    pub slot_start: String,
    /// The consultation hour's name, when it is still configured.
    pub consultation: Option<String>,
    #[serde(flatten)]
    pub stats: ResponseStats,
}

/// The response-time report for `from..=to` (local dates), also split by channel, by the concerns'
/// current team, by month and by consultation slot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResponseTimeReport {
    /// "YYYY-MM-DD", inclusive.
    pub from: String,
    /// "YYYY-MM-DD", inclusive.
    pub to: String,
    pub timezone: String,
    /// Whether office-time figures mean anything (office hours are configured).
    pub office_hours_configured: bool,
    #[serde(flatten)]
    pub totals: ResponseStats,
    pub by_channel: Vec<ChannelStats>,
    /// Teams by name, then concerns without a team; empty when no concern of the period has a team.
    pub by_team: Vec<TeamStats>,
    pub by_month: Vec<MonthStats>,
    pub by_slot: Vec<SlotStats>,
}

/// Why a report period was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    #[error("{key}: '{value}' is not a date like 2026-12-01")]
    NotADate { key: &'static str, value: String },
    #[error("from ({from}) is after to ({to})")]
    Reversed { from: Date, to: Date },
}

/// Parses `from` and `to` ("YYYY-MM-DD", both inclusive).
pub fn parse_range(from: &str, to: &str) -> Result<(Date, Date), RangeError> {
    let parse = |key, value: &str| {
        super::parse_date(value).ok_or_else(|| RangeError::NotADate {
            key,
            value: value.to_string(),
        })
    };
    let (f, t) = (parse("from", from)?, parse("to", to)?);
    if f > t {
        return Err(RangeError::Reversed { from: f, to: t });
    }
    Ok((f, t))
}

/// The instants `[start of from, start of the day after to)` in `tz`.
pub fn range_instants(from: Date, to: Date, tz: &TimeZone) -> Option<(Timestamp, Timestamp)> {
    let start = from.to_zoned(tz.clone()).ok()?.timestamp();
    let end = to.tomorrow().ok()?.to_zoned(tz.clone()).ok()?.timestamp();
    Some((start, end))
}

/// The nearest-rank percentile (`percent` in 1–100) of sorted values.
pub fn nearest_rank(sorted: &[i64], percent: u32) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len();
    let rank = (usize::try_from(percent.clamp(1, 100)).unwrap_or(100) * n).div_ceil(100);
    sorted.get(rank.max(1) - 1).copied()
}

/// What one sample contributes, computed once.
struct Measured {
    wall_s: Option<i64>,
    office_s: Option<i64>,
    within_1h_office: Option<bool>,
    within_1_office_day: Option<bool>,
    target_met: Option<bool>,
}

fn measure(s: &ResponseSample, office: Option<&OfficeHours>, now: Timestamp) -> Measured {
    let secs = |d: SignedDuration| d.as_secs().max(0);
    let hour = SignedDuration::from_hours(1);
    // Unanswered: missed once the limit has passed at `now`, undecided before.
    let decided = |limit_passed: bool| limit_passed.then_some(false);
    match s.first_response {
        Some(r) => Measured {
            wall_s: Some(secs(r.duration_since(s.started))),
            office_s: office.map(|o| secs(o.office_time_between(s.started, r))),
            within_1h_office: office.map(|o| o.office_time_between(s.started, r) <= hour),
            within_1_office_day: office
                .and_then(|o| o.add_office_days(s.started, 1))
                .map(|deadline| r <= deadline),
            target_met: Some(r <= s.due),
        },
        None => Measured {
            wall_s: None,
            office_s: None,
            within_1h_office: office
                .and_then(|o| decided(o.office_time_between(s.started, now) > hour)),
            within_1_office_day: office
                .and_then(|o| o.add_office_days(s.started, 1))
                .and_then(|deadline| decided(now > deadline)),
            target_met: decided(now > s.due),
        },
    }
}

#[derive(Default)]
struct Group {
    concerns: u64,
    answered: u64,
    wall: Vec<i64>,
    office: Vec<i64>,
    within_1h: (u64, u64),
    within_day: (u64, u64),
    target: (u64, u64),
}

impl Group {
    fn add(&mut self, m: &Measured) {
        self.concerns += 1;
        if let Some(w) = m.wall_s {
            self.answered += 1;
            self.wall.push(w);
        }
        if let Some(o) = m.office_s {
            self.office.push(o);
        }
        for (share, outcome) in [
            (&mut self.within_1h, m.within_1h_office),
            (&mut self.within_day, m.within_1_office_day),
            (&mut self.target, m.target_met),
        ] {
            if let Some(ok) = outcome {
                share.1 += 1;
                share.0 += u64::from(ok);
            }
        }
    }

    fn stats(mut self, office_configured: bool) -> ResponseStats {
        self.wall.sort_unstable();
        self.office.sort_unstable();
        let share = |(ok, of): (u64, u64)| (of > 0).then(|| ok as f64 / of as f64);
        let office = |v: Option<f64>| if office_configured { v } else { None };
        ResponseStats {
            concerns: self.concerns,
            answered: self.answered,
            first_response_median_s: nearest_rank(&self.wall, 50),
            first_response_p90_s: nearest_rank(&self.wall, 90),
            first_response_office_median_s: nearest_rank(&self.office, 50),
            first_response_office_p90_s: nearest_rank(&self.office, 90),
            share_within_1h_office: office(share(self.within_1h)),
            share_within_1_office_day: office(share(self.within_day)),
            share_target_met: share(self.target),
        }
    }
}

/// Computes the report. `samples` are the measurements that started in the period; `consultation`
/// names the slots; `now` decides which unanswered concerns have already missed their limits.
pub fn response_time_report(
    samples: &[ResponseSample],
    office: &OfficeHours,
    consultation: &[ConsultationHour],
    from: Date,
    to: Date,
    now: Timestamp,
) -> ResponseTimeReport {
    let configured = office.weekly.iter().any(|d| !d.is_empty());
    let office_ref = configured.then_some(office);
    let tz = &office.timezone;
    let mut total = Group::default();
    let mut channels: BTreeMap<&str, Group> = BTreeMap::new();
    let mut teams: BTreeMap<&str, Group> = BTreeMap::new();
    let mut no_team = Group::default();
    let mut months: BTreeMap<String, Group> = BTreeMap::new();
    let mut slots: BTreeMap<Timestamp, Group> = BTreeMap::new();
    for s in samples {
        let m = measure(s, office_ref, now);
        total.add(&m);
        channels.entry(&s.channel).or_default().add(&m);
        match &s.team {
            Some(t) => teams.entry(t).or_default().add(&m),
            None => no_team.add(&m),
        }
        let month = s.started.to_zoned(tz.clone()).strftime("%Y-%m").to_string();
        months.entry(month).or_default().add(&m);
        if let Some(start) = s.slot_start {
            slots.entry(start).or_default().add(&m);
        }
    }
    // A town without teams gets no team split (it would only repeat the totals).
    let has_teams = !teams.is_empty();
    ResponseTimeReport {
        from: from.to_string(),
        to: to.to_string(),
        timezone: tz.iana_name().unwrap_or("UTC").to_string(),
        office_hours_configured: configured,
        totals: total.stats(configured),
        by_channel: channels
            .into_iter()
            .map(|(channel, g)| ChannelStats {
                channel: channel.to_string(),
                stats: g.stats(configured),
            })
            .collect(),
        by_team: teams
            .into_iter()
            .map(|(team, g)| TeamStats {
                team: Some(team.to_string()),
                stats: g.stats(configured),
            })
            .chain((has_teams && no_team.concerns > 0).then(|| TeamStats {
                team: None,
                stats: no_team.stats(configured),
            }))
            .collect(),
        by_month: months
            .into_iter()
            .map(|(month, g)| MonthStats {
                month,
                stats: g.stats(configured),
            })
            .collect(),
        by_slot: slots
            .into_iter()
            .map(|(start, g)| SlotStats {
                slot_start: start
                    .to_zoned(tz.clone())
                    .strftime("%Y-%m-%dT%H:%M")
                    .to_string(),
                consultation: consultation
                    .iter()
                    .find(|c| {
                        c.current_slot(start)
                            .is_some_and(|slot| slot.start.timestamp() == start)
                    })
                    .map(|c| c.name.clone()),
                stats: g.stats(configured),
            })
            .collect(),
    }
}

const CSV_HEADER: &str =
    "split,group,concerns,answered,first_response_median_s,first_response_p90_s,\
first_response_office_median_s,first_response_office_p90_s,share_within_1h_office,\
share_within_1_office_day,share_target_met";

impl ResponseTimeReport {
    /// The report as CSV (RFC 4180, comma-separated, '.' as decimal point): a header, the totals
    /// (`total,all,…`), then one row per channel, month and consultation slot.
    pub fn to_csv(&self) -> String {
        let mut out = String::with_capacity(256 * (4 + self.by_channel.len()));
        out.push_str(CSV_HEADER);
        out.push_str("\r\n");
        row(&mut out, "total", "all", &self.totals);
        for c in &self.by_channel {
            row(&mut out, "channel", &c.channel, &c.stats);
        }
        for t in &self.by_team {
            row(&mut out, "team", t.team.as_deref().unwrap_or(""), &t.stats);
        }
        for m in &self.by_month {
            row(&mut out, "month", &m.month, &m.stats);
        }
        for s in &self.by_slot {
            let group = match &s.consultation {
                Some(name) => format!("{} {}", s.slot_start, name),
                None => s.slot_start.clone(),
            };
            row(&mut out, "slot", &group, &s.stats);
        }
        out
    }
}

fn row(out: &mut String, split: &str, group: &str, s: &ResponseStats) {
    let int = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
    let share = |v: Option<f64>| v.map(|x| format!("{x:.4}")).unwrap_or_default();
    let _ = write!(
        out,
        "{split},{},{},{},{},{},{},{},{},{},{}\r\n",
        csv_field(group),
        s.concerns,
        s.answered,
        int(s.first_response_median_s),
        int(s.first_response_p90_s),
        int(s.first_response_office_median_s),
        int(s.first_response_office_p90_s),
        share(s.share_within_1h_office),
        share(s.share_within_1_office_day),
        share(s.share_target_met),
    );
}

/// Quotes a text field when needed and defuses spreadsheet formulas (a leading = + - @).
fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if value.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(test)]
mod tests;
