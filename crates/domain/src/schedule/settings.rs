//! A municipality's schedule as configured — office hours, consultation hours on their channels, response targets — checked into runtime form.
//!
//! The configuration shapes (`[municipality.office_hours]`, `[[municipality.consultation_hours]]`,
//! `[municipality.response_targets]`) live here so the hub and the application read the same
//! thing; the time zone is looked up by the caller (that is IO) and handed in.

use jiff::civil::{date, Date};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan};
use serde::{Deserialize, Deserializer, Serialize};

use super::consultation::{ConsultationHour, ConsultationHourConfig, Slot};
use super::office_hours::{OfficeHours, OfficeHoursConfig};
use super::response_time::{promise, Promise, Target, Targets};
use crate::channel::ChannelKind;

/// The start date assumed when a rule has none. Only rules whose dates do not depend on it
/// (every week or every day, no COUNT) may leave it out, so any past Monday will do.
const DEFAULT_START_DATE: Date = date(2020, 1, 6);

/// One consultation hour as configured (`[[municipality.consultation_hours]]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsultationHourSettings {
    pub name: String,
    /// Channel kinds ("whatsapp", "telegram") or channel names the consultation hour is held on.
    pub channels: Vec<String>,
    /// RRULE subset, e.g. "FREQ=WEEKLY;BYDAY=TU".
    pub rule: String,
    /// "HH:MM"
    pub start: String,
    /// "HH:MM"
    pub end: String,
    /// "YYYY-MM-DD"; required when the rule has INTERVAL > 1 or COUNT (they count from it).
    pub start_date: Option<String>,
    /// Who holds it: a staff member (e-mail) or a team (its name), shown in the host's view.
    pub host: Option<String>,
    /// Dates without a slot, "YYYY-MM-DD".
    pub exceptions: Vec<String>,
    /// One-off slots, "YYYY-MM-DD HH:MM-HH:MM".
    pub extra: Vec<String>,
    #[serde(deserialize_with = "lenient_bool")]
    pub run_on_holidays: bool,
    /// Answers for this consultation hour instead of the municipality's texts.
    pub texts: ConsultationTexts,
}

/// Per-consultation-hour answers; `None` falls back to `[municipality.texts]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsultationTexts {
    /// Sent once per concern outside a slot; `{next_slot}` names the next slot.
    pub outside: Option<String>,
    /// Sent once per concern and slot inside it; `{ahead}` is the number of concerns ahead.
    pub inside: Option<String>,
}

/// First-response targets (`[municipality.response_targets]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ResponseTargetsConfig {
    /// Wall-clock minutes inside a consultation slot.
    #[serde(deserialize_with = "lenient_u32")]
    pub consultation_minutes: u32,
    /// Minutes of office time during office hours.
    #[serde(deserialize_with = "lenient_u32")]
    pub office_hours_minutes: u32,
    /// Office days otherwise (see `OfficeHours::add_office_days`).
    #[serde(deserialize_with = "lenient_u32")]
    pub otherwise_office_days: u32,
}

impl Default for ResponseTargetsConfig {
    fn default() -> Self {
        ResponseTargetsConfig {
            consultation_minutes: 15,
            office_hours_minutes: 60,
            otherwise_office_days: 1,
        }
    }
}

impl ResponseTargetsConfig {
    pub fn targets(&self) -> Targets {
        Targets {
            in_consultation: Target::WallClock(SignedDuration::from_mins(i64::from(
                self.consultation_minutes,
            ))),
            in_office_hours: Target::OfficeTime(SignedDuration::from_mins(i64::from(
                self.office_hours_minutes,
            ))),
            otherwise: Target::OfficeDays(self.otherwise_office_days),
        }
    }
}

/// A channel as the schedule needs it to match `channels = [...]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelRef<'a> {
    pub id: i64,
    pub kind: ChannelKind,
    pub name: &'a str,
}

/// A consultation hour with the channels it is held on.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfiguredConsultation {
    pub hour: ConsultationHour,
    pub channel_ids: Vec<i64>,
    pub host: Option<String>,
    pub texts: ConsultationTexts,
}

/// A municipality's schedule at run time.
#[derive(Debug, Clone, PartialEq)]
pub struct MunicipalitySchedule {
    pub office: OfficeHours,
    pub consultation: Vec<ConfiguredConsultation>,
    pub targets: Targets,
}

/// Why a schedule configuration was refused; the text names the key, e.g.
/// `consultation_hours[0] "Sprechstunde": rule: FREQ is missing`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ScheduleError(pub String);

impl MunicipalitySchedule {
    /// No office hours, no consultation hours, default targets (which then run on wall-clock time).
    pub fn empty(timezone: TimeZone) -> Self {
        MunicipalitySchedule {
            office: OfficeHours::new(timezone),
            consultation: Vec::new(),
            targets: Targets::default(),
        }
    }

    /// Checks the configuration and resolves `channels` against the municipality's channels.
    pub fn build(
        office: &OfficeHoursConfig,
        hours: &[ConsultationHourSettings],
        targets: &ResponseTargetsConfig,
        timezone: TimeZone,
        channels: &[ChannelRef<'_>],
    ) -> Result<Self, ScheduleError> {
        let office = OfficeHours::from_config(office, timezone.clone())
            .map_err(|e| ScheduleError(format!("office_hours.{e}")))?;
        for (key, value) in [
            ("consultation_minutes", targets.consultation_minutes),
            ("office_hours_minutes", targets.office_hours_minutes),
            ("otherwise_office_days", targets.otherwise_office_days),
        ] {
            if value == 0 {
                return Err(ScheduleError(format!(
                    "response_targets.{key}: must be at least 1"
                )));
            }
        }
        let mut consultation = Vec::with_capacity(hours.len());
        for (i, h) in hours.iter().enumerate() {
            let at = format!("consultation_hours[{i}] \"{}\"", h.name);
            consultation.push(
                configure(h, &office, &timezone, channels)
                    .map_err(|e| ScheduleError(format!("{at}: {e}")))?,
            );
        }
        Ok(MunicipalitySchedule {
            office,
            consultation,
            targets: targets.targets(),
        })
    }

    /// The consultation hours held on a channel.
    pub fn consultation_for(
        &self,
        channel_id: i64,
    ) -> impl Iterator<Item = &ConfiguredConsultation> {
        self.consultation
            .iter()
            .filter(move |c| c.channel_ids.contains(&channel_id))
    }

    /// The slot running on a channel at `at`, with its consultation hour.
    pub fn current_slot(
        &self,
        channel_id: i64,
        at: Timestamp,
    ) -> Option<(&ConfiguredConsultation, Slot)> {
        self.consultation_for(channel_id)
            .find_map(|c| c.hour.current_slot(at).map(|s| (c, s)))
    }

    /// The earliest slot on a channel that starts after `at`.
    pub fn next_slot(
        &self,
        channel_id: i64,
        at: Timestamp,
    ) -> Option<(&ConfiguredConsultation, Slot)> {
        self.consultation_for(channel_id)
            .filter_map(|c| c.hour.next_slot(at).map(|s| (c, s)))
            .min_by_key(|(_, s)| s.start.timestamp())
    }

    /// The promise for a citizen message on `channel_id` received at `received`.
    pub fn promise(&self, channel_id: i64, received: Timestamp) -> Promise {
        let hours: Vec<ConsultationHour> = self
            .consultation_for(channel_id)
            .map(|c| c.hour.clone())
            .collect();
        promise(received, &self.office, &hours, &self.targets)
    }
}

impl ConfiguredConsultation {
    /// Where the queue of `slot` begins: the end of the previous slot (whoever wrote since then is
    /// waiting for this one), or `None` when there was none in the year before.
    pub fn queue_since(&self, slot: &Slot) -> Option<Timestamp> {
        let start = slot.start.timestamp();
        let from = slot.start.checked_sub(366.days()).ok()?.timestamp();
        self.hour
            .slots_between(from, start)
            .into_iter()
            .map(|s| s.end.timestamp())
            .filter(|end| *end <= start)
            .max()
    }
}

fn configure(
    h: &ConsultationHourSettings,
    office: &OfficeHours,
    timezone: &TimeZone,
    channels: &[ChannelRef<'_>],
) -> Result<ConfiguredConsultation, String> {
    if h.name.trim().is_empty() {
        return Err("name: give the consultation hour a name".into());
    }
    if h.channels.is_empty() {
        return Err("channels: name at least one channel kind or channel name".into());
    }
    let mut channel_ids = Vec::new();
    for wanted in &h.channels {
        let matching: Vec<i64> = channels
            .iter()
            .filter(|c| c.name == wanted.as_str() || c.kind.as_str() == wanted.to_ascii_lowercase())
            .map(|c| c.id)
            .collect();
        if matching.is_empty() {
            let known: Vec<&str> = channels.iter().map(|c| c.name).collect();
            return Err(format!(
                "channels: '{wanted}' is neither a channel kind (whatsapp, telegram) nor a configured channel name ({})",
                known.join(", ")
            ));
        }
        for id in matching {
            if !channel_ids.contains(&id) {
                channel_ids.push(id);
            }
        }
    }
    let time = ConsultationHourConfig {
        name: h.name.clone(),
        rule: h.rule.clone(),
        start: h.start.clone(),
        end: h.end.clone(),
        start_date: h.start_date.clone(),
        exceptions: h.exceptions.clone(),
        extra: h.extra.clone(),
        run_on_holidays: h.run_on_holidays,
    };
    let hour = ConsultationHour::from_config(
        &time,
        timezone.clone(),
        office.state,
        office.regional,
        DEFAULT_START_DATE,
    )
    .map_err(|e| e.to_string())?;
    if h.start_date.is_none() && (hour.rule.interval > 1 || hour.rule.count.is_some()) {
        return Err(
            "start_date: required when the rule has INTERVAL or COUNT (they count from it)".into(),
        );
    }
    Ok(ConfiguredConsultation {
        hour,
        channel_ids,
        host: h.host.clone(),
        texts: h.texts.clone(),
    })
}

/// Environment overrides arrive as text, so `"true"` is accepted as well as `true`.
fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum BoolOrText {
        Bool(bool),
        Text(String),
    }
    match BoolOrText::deserialize(d)? {
        BoolOrText::Bool(b) => Ok(b),
        BoolOrText::Text(t) => match t.trim() {
            "true" => Ok(true),
            "false" => Ok(false),
            other => Err(serde::de::Error::custom(format!(
                "'{other}' is not true or false"
            ))),
        },
    }
}

/// Environment overrides arrive as text, so `"15"` is accepted as well as `15`.
fn lenient_u32<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NumberOrText {
        Number(i64),
        Text(String),
    }
    let n = match NumberOrText::deserialize(d)? {
        NumberOrText::Number(n) => n,
        NumberOrText::Text(t) => t
            .trim()
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("'{t}' is not a whole number")))?,
    };
    u32::try_from(n)
        .map_err(|_| serde::de::Error::custom(format!("{n} is not a positive whole number")))
}

#[cfg(test)]
mod tests;
