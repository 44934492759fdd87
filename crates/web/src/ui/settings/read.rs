//! Reading a submitted settings form back into the section's configuration value, and placing the
//! domain check's refusal next to its field.

use std::collections::HashMap;

use rathaus_domain::documents::DocumentsConfig;
use rathaus_domain::schedule::{
    ConsultationHourSettings, ConsultationTexts, OfficeHoursConfig, ResponseTargetsConfig,
};
use rathaus_domain::texts::CitizenTexts;
use rathaus_domain::{Keywords, MunicipalitySettings};
use rathaus_hub::settings::Section;
use rathaus_hub::TenantConfig;

use super::form::{channel_names, hour_count, opt, pick, split, split_lines, Values};
use crate::ui::i18n::Lang;

fn number(values: &Values, key: &str, lang: Lang, errors: &mut HashMap<String, String>) -> u32 {
    let raw = values.get(key).map(|s| s.trim()).unwrap_or("");
    match raw.parse::<u32>() {
        Ok(n) => n,
        Err(_) => {
            errors.insert(
                key.to_string(),
                pick(
                    lang,
                    &format!("„{raw}“ ist keine ganze Zahl."),
                    &format!("\"{raw}\" is not a whole number."),
                ),
            );
            0
        }
    }
}

/// Reads the submitted form into the section's value (as JSON). Field errors found while reading
/// (e.g. a number that is not one) come back by field name.
pub fn read(
    section: Section,
    lang: Lang,
    values: &Values,
    current: &MunicipalitySettings,
    cfg: &TenantConfig,
) -> Result<String, HashMap<String, String>> {
    let get = |k: &str| values.get(k).map(String::as_str).unwrap_or("");
    let mut errors = HashMap::new();
    let json = match section {
        Section::OfficeHours => serde_json::to_string(&OfficeHoursConfig {
            state: opt(get("state")),
            regional: split(get("regional")),
            mon: split(get("mon")),
            tue: split(get("tue")),
            wed: split(get("wed")),
            thu: split(get("thu")),
            fri: split(get("fri")),
            sat: split(get("sat")),
            sun: split(get("sun")),
            closed: split(get("closed")),
        }),
        Section::ResponseTargets => serde_json::to_string(&ResponseTargetsConfig {
            consultation_minutes: number(values, "consultation_minutes", lang, &mut errors),
            office_hours_minutes: number(values, "office_hours_minutes", lang, &mut errors),
            otherwise_office_days: number(values, "otherwise_office_days", lang, &mut errors),
        }),
        Section::Texts => serde_json::to_string(&CitizenTexts {
            explain_opt_in: get("explain_opt_in").to_string(),
            opt_in_confirmed: get("opt_in_confirmed").to_string(),
            opt_out_confirmed: get("opt_out_confirmed").to_string(),
            nothing_to_withdraw: get("nothing_to_withdraw").to_string(),
            erasure_confirmed: get("erasure_confirmed").to_string(),
            nothing_to_erase: get("nothing_to_erase").to_string(),
            access_ready: get("access_ready").to_string(),
            consultation_outside: get("consultation_outside").to_string(),
            consultation_inside: get("consultation_inside").to_string(),
        }),
        Section::Keywords => serde_json::to_string(&Keywords {
            opt_in: split(get("opt_in")),
            opt_out: split(get("opt_out")),
            erase: split(get("erase")),
            access: split(get("access")),
        }),
        Section::ConsultationHours => {
            let mut hours = Vec::new();
            for i in 0..hour_count(values) {
                let f = |k: &str| get(&format!("h{i}.{k}")).to_string();
                // A block left empty (or emptied) is no consultation hour: that is how one is removed.
                if f("name").trim().is_empty() && f("rule").trim().is_empty() {
                    continue;
                }
                hours.push(ConsultationHourSettings {
                    name: f("name").trim().to_string(),
                    channels: split(&f("channels")),
                    rule: f("rule").trim().to_string(),
                    start: f("start").trim().to_string(),
                    end: f("end").trim().to_string(),
                    start_date: opt(&f("start_date")),
                    host: opt(&f("host")),
                    exceptions: split(&f("exceptions")),
                    extra: split_lines(&f("extra")),
                    run_on_holidays: !f("run_on_holidays").is_empty(),
                    texts: ConsultationTexts {
                        outside: opt(&f("texts_outside")),
                        inside: opt(&f("texts_inside")),
                    },
                });
            }
            serde_json::to_string(&hours)
        }
        Section::Documents => {
            let mut d: DocumentsConfig = current.documents.clone();
            d.imprint_notes = opt(get("imprint_notes"));
            d.hosting = opt(get("hosting"));
            d.measures = opt(get("measures"));
            d.record_notes = opt(get("record_notes"));
            for (i, name) in channel_names(cfg).iter().enumerate() {
                let f = |k: &str| opt(get(&format!("c{i}.{k}")));
                let pos = match d.channel.iter().position(|c| &c.name == name) {
                    Some(p) => p,
                    None => {
                        d.channel.push(rathaus_domain::documents::ChannelDocuments {
                            name: name.clone(),
                            ..Default::default()
                        });
                        d.channel.len() - 1
                    }
                };
                let c = &mut d.channel[pos];
                c.purpose = f("purpose");
                c.kind_and_extent = f("kind_and_extent");
                c.why_platform = f("why_platform");
                c.alternative = f("alternative");
                c.evaluation_date = f("evaluation_date");
                c.notes = f("notes");
                c.notice_notes = f("notice_notes");
            }
            serde_json::to_string(&d)
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    json.map_err(|e| HashMap::from([(String::new(), e.to_string())]))
}

/// Places a refusal from the domain check next to its field: `office_hours.mon: '…' ends before it
/// starts` belongs to `mon`, `consultation_hours[0] "…": rule: …` to `h0.rule`. The text keeps the
/// domain's (English) reason after a German lead.
pub fn place_error(section: Section, lang: Lang, message: &str) -> (String, String) {
    let lead = pick(
        lang,
        "Ungültig, nichts gespeichert / invalid, nothing saved",
        "Invalid, nothing saved / ungültig, nichts gespeichert",
    );
    let prefix = format!("{}.", section.as_str());
    if let Some(rest) = message.strip_prefix(&prefix) {
        if let Some((key, reason)) = rest.split_once(": ") {
            return (key.to_string(), format!("{lead}: {reason}"));
        }
    }
    if let Some(rest) = message.strip_prefix("consultation_hours[") {
        if let Some((idx, after)) = rest.split_once(']') {
            // after = ` "Name": key: reason`
            if let Some((_, tail)) = after.split_once("\": ") {
                if let Some((key, reason)) = tail.split_once(": ") {
                    let key = key.split(['.', '[']).next().unwrap_or(key);
                    return (format!("h{idx}.{key}"), format!("{lead}: {reason}"));
                }
            }
        }
    }
    for (sec, key_prefix) in [("keywords", "keywords."), ("texts", "texts.")] {
        if section.as_str() == sec {
            if let Some(rest) = message.strip_prefix(key_prefix) {
                if let Some((key, reason)) = rest.split_once(": ") {
                    return (key.to_string(), format!("{lead}: {reason}"));
                }
            }
        }
    }
    (String::new(), format!("{lead}: {message}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_refusals_land_next_to_their_field() {
        let (f, m) = place_error(
            Section::OfficeHours,
            Lang::De,
            "office_hours.mon: '13:00-12:00' ends before it starts",
        );
        assert_eq!(f, "mon");
        assert!(m.contains("nichts gespeichert") && m.contains("ends before it starts"));
        let (f, _) = place_error(
            Section::ConsultationHours,
            Lang::En,
            "consultation_hours[1] \"Sprechstunde\": rule: BYDAY=XX is not a weekday",
        );
        assert_eq!(f, "h1.rule");
        let (f, _) = place_error(
            Section::Keywords,
            Lang::De,
            "keywords.erase: name at least one keyword",
        );
        assert_eq!(f, "erase");
    }
}
