//! The settings forms: each section as labelled fields, read back into the section's configuration value.

use std::collections::HashMap;

use rathaus_domain::documents::DocumentsConfig;
use rathaus_domain::schedule::{
    ConsultationHourSettings, ConsultationTexts, OfficeHoursConfig, ResponseTargetsConfig,
};
use rathaus_domain::texts::CitizenTexts;
use rathaus_domain::{Keywords, MunicipalitySettings};
use rathaus_hub::settings::Section;
use rathaus_hub::TenantConfig;

use crate::ui::i18n::Lang;

/// One input on the page.
pub struct Field {
    pub name: String,
    pub label: String,
    pub value: String,
    pub hint: Option<&'static str>,
    /// "text", "textarea", "number" or "checkbox".
    pub kind: &'static str,
    pub error: Option<String>,
}

/// A fieldset of inputs.
pub struct Group {
    pub legend: String,
    pub fields: Vec<Field>,
}

/// Submitted or current values by field name.
pub type Values = HashMap<String, String>;

fn pick(lang: Lang, de: &str, en: &str) -> String {
    match lang {
        Lang::De => de.to_string(),
        Lang::En => en.to_string(),
    }
}

fn list(v: &[String]) -> String {
    v.join(", ")
}

fn lines(v: &[String]) -> String {
    v.join("\n")
}

/// Splits a list typed as commas or lines.
fn split(s: &str) -> Vec<String> {
    s.split([',', '\n'])
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

fn split_lines(s: &str) -> Vec<String> {
    s.lines()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

const DAYS: [(&str, &str, &str); 7] = [
    ("mon", "Montag", "Monday"),
    ("tue", "Dienstag", "Tuesday"),
    ("wed", "Mittwoch", "Wednesday"),
    ("thu", "Donnerstag", "Thursday"),
    ("fri", "Freitag", "Friday"),
    ("sat", "Samstag", "Saturday"),
    ("sun", "Sonntag", "Sunday"),
];

const TEXTS: [(&str, &str, &str); 9] = [
    (
        "explain_opt_in",
        "Bitte um Einwilligung",
        "Asking for consent",
    ),
    (
        "opt_in_confirmed",
        "Einwilligung bestätigt",
        "Consent confirmed",
    ),
    (
        "opt_out_confirmed",
        "Widerruf bestätigt",
        "Withdrawal confirmed",
    ),
    (
        "nothing_to_withdraw",
        "Nichts zu widerrufen",
        "Nothing to withdraw",
    ),
    (
        "erasure_confirmed",
        "Löschung bestätigt",
        "Erasure confirmed",
    ),
    ("nothing_to_erase", "Nichts zu löschen", "Nothing to erase"),
    (
        "access_ready",
        "Auskunft bereit ({link})",
        "Access ready ({link})",
    ),
    (
        "consultation_outside",
        "Außerhalb der Sprechstunde",
        "Outside the consultation hour",
    ),
    (
        "consultation_inside",
        "In der Sprechstunde",
        "Inside the consultation hour",
    ),
];

const KEYWORDS: [(&str, &str, &str); 4] = [
    ("opt_in", "Anmelden (Einwilligung)", "Opt in (consent)"),
    ("opt_out", "Abmelden (Widerruf)", "Opt out (withdrawal)"),
    ("erase", "Löschen (Art. 17)", "Erasure (Art. 17)"),
    ("access", "Auskunft (Art. 15)", "Access (Art. 15)"),
];

const TARGETS: [(&str, &str, &str); 3] = [
    (
        "consultation_minutes",
        "In der Sprechstunde (Minuten)",
        "Inside a consultation slot (minutes)",
    ),
    (
        "office_hours_minutes",
        "Während der Öffnungszeiten (Minuten Bürozeit)",
        "During office hours (minutes of office time)",
    ),
    (
        "otherwise_office_days",
        "Sonst (Bürotage)",
        "Otherwise (office days)",
    ),
];

const HOUR_FIELDS: [(&str, &str, &str, &str); 11] = [
    ("name", "Name", "Name", "text"),
    (
        "channels",
        "Kanäle (Art oder Name, mit Komma)",
        "Channels (kind or name, comma-separated)",
        "text",
    ),
    ("rule", "Wiederholung (RRULE)", "Recurrence (RRULE)", "text"),
    ("start", "Beginn (HH:MM)", "Start (HH:MM)", "text"),
    ("end", "Ende (HH:MM)", "End (HH:MM)", "text"),
    (
        "start_date",
        "Erster Tag (JJJJ-MM-TT)",
        "First day (YYYY-MM-DD)",
        "text",
    ),
    ("host", "Gastgeber (E-Mail)", "Host (e-mail)", "text"),
    (
        "exceptions",
        "Ausfälle (Daten, mit Komma)",
        "Cancelled dates (comma-separated)",
        "text",
    ),
    (
        "extra",
        "Zusätzliche Termine (je Zeile „JJJJ-MM-TT HH:MM-HH:MM“)",
        "Extra slots (one per line, \"YYYY-MM-DD HH:MM-HH:MM\")",
        "textarea",
    ),
    (
        "run_on_holidays",
        "Auch an Feiertagen",
        "Also on public holidays",
        "checkbox",
    ),
    (
        "texts_inside",
        "Eigene Antwort in der Sprechstunde (leer: allgemeiner Text)",
        "Own answer inside a slot (empty: the general text)",
        "textarea",
    ),
];

const CHANNEL_DOCS: [(&str, &str, &str); 7] = [
    ("purpose", "Zweck", "Purpose"),
    (
        "kind_and_extent",
        "Art und Umfang der Nutzung",
        "Kind and extent of use",
    ),
    ("why_platform", "Warum diese Plattform", "Why this platform"),
    (
        "alternative",
        "Alternativer Kontaktweg",
        "Alternative channel",
    ),
    (
        "evaluation_date",
        "Nächste Evaluation (JJJJ-MM-TT)",
        "Next evaluation (YYYY-MM-DD)",
    ),
    (
        "notes",
        "Ergänzungen zum Nutzungskonzept",
        "Additions to the usage concept",
    ),
    (
        "notice_notes",
        "Ergänzungen zu den Datenschutzhinweisen",
        "Additions to the privacy notice",
    ),
];

const DOCS: [(&str, &str, &str); 4] = [
    (
        "imprint_notes",
        "Ergänzungen zum Impressum",
        "Additions to the imprint",
    ),
    (
        "hosting",
        "Betrieb (wo Rathaus läuft)",
        "Hosting (where Rathaus runs)",
    ),
    (
        "measures",
        "Weitere technische und organisatorische Maßnahmen",
        "Further technical and organisational measures",
    ),
    (
        "record_notes",
        "Ergänzungen zum Verzeichnis der Verarbeitungstätigkeiten",
        "Additions to the record of processing activities",
    ),
];

/// The channel names a municipality's documents can be written for.
fn channel_names(cfg: &TenantConfig) -> Vec<String> {
    cfg.whatsapp
        .iter()
        .map(|w| w.name.clone())
        .chain(cfg.telegram.iter().map(|t| t.name.clone()))
        .collect()
}

/// The section's current values as form values.
pub fn values_of(section: Section, s: &MunicipalitySettings, cfg: &TenantConfig) -> Values {
    let mut v = Values::new();
    let mut put = |k: String, val: String| {
        v.insert(k, val);
    };
    match section {
        Section::OfficeHours => {
            let o = &s.office_hours;
            put("state".into(), o.state.clone().unwrap_or_default());
            put("regional".into(), list(&o.regional));
            for (day, items) in [
                ("mon", &o.mon),
                ("tue", &o.tue),
                ("wed", &o.wed),
                ("thu", &o.thu),
                ("fri", &o.fri),
                ("sat", &o.sat),
                ("sun", &o.sun),
            ] {
                put(day.into(), list(items));
            }
            put("closed".into(), list(&o.closed));
        }
        Section::ResponseTargets => {
            let t = &s.response_targets;
            put(
                "consultation_minutes".into(),
                t.consultation_minutes.to_string(),
            );
            put(
                "office_hours_minutes".into(),
                t.office_hours_minutes.to_string(),
            );
            put(
                "otherwise_office_days".into(),
                t.otherwise_office_days.to_string(),
            );
        }
        Section::Texts => {
            let t = &s.texts;
            for (k, val) in [
                ("explain_opt_in", &t.explain_opt_in),
                ("opt_in_confirmed", &t.opt_in_confirmed),
                ("opt_out_confirmed", &t.opt_out_confirmed),
                ("nothing_to_withdraw", &t.nothing_to_withdraw),
                ("erasure_confirmed", &t.erasure_confirmed),
                ("nothing_to_erase", &t.nothing_to_erase),
                ("access_ready", &t.access_ready),
                ("consultation_outside", &t.consultation_outside),
                ("consultation_inside", &t.consultation_inside),
            ] {
                put(k.into(), val.clone());
            }
        }
        Section::Keywords => {
            let k = &s.keywords;
            put("opt_in".into(), list(&k.opt_in));
            put("opt_out".into(), list(&k.opt_out));
            put("erase".into(), list(&k.erase));
            put("access".into(), list(&k.access));
        }
        Section::ConsultationHours => {
            for (i, h) in s.consultation_hours.iter().enumerate() {
                put(format!("h{i}.name"), h.name.clone());
                put(format!("h{i}.channels"), list(&h.channels));
                put(format!("h{i}.rule"), h.rule.clone());
                put(format!("h{i}.start"), h.start.clone());
                put(format!("h{i}.end"), h.end.clone());
                put(
                    format!("h{i}.start_date"),
                    h.start_date.clone().unwrap_or_default(),
                );
                put(format!("h{i}.host"), h.host.clone().unwrap_or_default());
                put(format!("h{i}.exceptions"), list(&h.exceptions));
                put(format!("h{i}.extra"), lines(&h.extra));
                if h.run_on_holidays {
                    put(format!("h{i}.run_on_holidays"), "on".into());
                }
                put(
                    format!("h{i}.texts_inside"),
                    h.texts.inside.clone().unwrap_or_default(),
                );
                put(
                    format!("h{i}.texts_outside"),
                    h.texts.outside.clone().unwrap_or_default(),
                );
            }
        }
        Section::Documents => {
            let d = &s.documents;
            put(
                "imprint_notes".into(),
                d.imprint_notes.clone().unwrap_or_default(),
            );
            put("hosting".into(), d.hosting.clone().unwrap_or_default());
            put("measures".into(), d.measures.clone().unwrap_or_default());
            put(
                "record_notes".into(),
                d.record_notes.clone().unwrap_or_default(),
            );
            for (i, name) in channel_names(cfg).iter().enumerate() {
                if let Some(c) = d.channel(name) {
                    for (k, val) in [
                        ("purpose", &c.purpose),
                        ("kind_and_extent", &c.kind_and_extent),
                        ("why_platform", &c.why_platform),
                        ("alternative", &c.alternative),
                        ("evaluation_date", &c.evaluation_date),
                        ("notes", &c.notes),
                        ("notice_notes", &c.notice_notes),
                    ] {
                        put(format!("c{i}.{k}"), val.clone().unwrap_or_default());
                    }
                }
            }
        }
    }
    v
}

/// How many consultation hours the form shows: those in `values` plus one empty for a new one.
fn hour_count(values: &Values) -> usize {
    (0..)
        .take_while(|i| values.keys().any(|k| k.starts_with(&format!("h{i}."))))
        .count()
}

/// The fields of a section, filled from `values`, with `errors` next to their field.
pub fn groups(
    section: Section,
    lang: Lang,
    values: &Values,
    errors: &HashMap<String, String>,
    cfg: &TenantConfig,
) -> Vec<Group> {
    let field =
        |name: String, label: String, kind: &'static str, hint: Option<&'static str>| Field {
            value: values.get(&name).cloned().unwrap_or_default(),
            error: errors.get(&name).cloned(),
            name,
            label,
            kind,
            hint,
        };
    match section {
        Section::OfficeHours => {
            let mut fields = vec![
                field(
                    "state".into(),
                    pick(lang, "Bundesland (z. B. ST, BW)", "State (e.g. ST, BW)"),
                    "text",
                    Some("ISO 3166-2:DE ohne „DE-“ / without \"DE-\""),
                ),
                field(
                    "regional".into(),
                    pick(lang, "Regionale Feiertage", "Regional holidays"),
                    "text",
                    None,
                ),
            ];
            for (day, de, en) in DAYS {
                fields.push(field(
                    day.into(),
                    pick(lang, de, en),
                    "text",
                    Some("z. B. / e.g. 08:00-12:00, 13:00-16:00"),
                ));
            }
            fields.push(field(
                "closed".into(),
                pick(lang, "Zusätzliche Schließtage", "Extra closed days"),
                "textarea",
                Some("JJJJ-MM-TT / YYYY-MM-DD, z. B. / e.g. 2026-12-24, 2026-12-31"),
            ));
            vec![Group {
                legend: pick(lang, "Öffnungszeiten", "Office hours"),
                fields,
            }]
        }
        Section::ResponseTargets => vec![Group {
            legend: pick(lang, "Antwortzeit-Ziele", "Response-time targets"),
            fields: TARGETS
                .iter()
                .map(|(k, de, en)| field((*k).into(), pick(lang, de, en), "number", None))
                .collect(),
        }],
        Section::Texts => vec![Group {
            legend: pick(lang, "Antworten an Bürgerinnen und Bürger", "Answers to citizens"),
            fields: TEXTS
                .iter()
                .map(|(k, de, en)| {
                    field(
                        (*k).into(),
                        pick(lang, de, en),
                        "textarea",
                        Some("{municipality} {privacy_notice_url} {opt_in} {opt_out} {link} {next_slot} {ahead} {consultation}"),
                    )
                })
                .collect(),
        }],
        Section::Keywords => vec![Group {
            legend: pick(lang, "Schlüsselwörter", "Keywords"),
            fields: KEYWORDS
                .iter()
                .map(|(k, de, en)| {
                    field(
                        (*k).into(),
                        pick(lang, de, en),
                        "text",
                        Some("mit Komma getrennt / comma-separated"),
                    )
                })
                .collect(),
        }],
        Section::ConsultationHours => {
            let n = hour_count(values) + 1;
            (0..n)
                .map(|i| {
                    let mut fields: Vec<Field> = HOUR_FIELDS
                        .iter()
                        .map(|(k, de, en, kind)| {
                            field(format!("h{i}.{k}"), pick(lang, de, en), kind, None)
                        })
                        .collect();
                    fields.push(field(
                        format!("h{i}.texts_outside"),
                        pick(
                            lang,
                            "Eigene Antwort außerhalb der Sprechstunde (leer: allgemeiner Text)",
                            "Own answer outside a slot (empty: the general text)",
                        ),
                        "textarea",
                        None,
                    ));
                    let legend = if i + 1 == n {
                        pick(lang, "Neue Sprechstunde", "New consultation hour")
                    } else {
                        format!(
                            "{} {}",
                            pick(lang, "Sprechstunde", "Consultation hour"),
                            i + 1
                        )
                    };
                    Group { legend, fields }
                })
                .collect()
        }
        Section::Documents => {
            let mut out = vec![Group {
                legend: pick(lang, "Gemeindeweite Texte", "Texts for the whole municipality"),
                fields: DOCS
                    .iter()
                    .map(|(k, de, en)| field((*k).into(), pick(lang, de, en), "textarea", None))
                    .collect(),
            }];
            for (i, name) in channel_names(cfg).iter().enumerate() {
                out.push(Group {
                    legend: format!(
                        "{} „{name}“",
                        pick(lang, "Nutzungskonzept für den Kanal", "Usage concept for the channel")
                    ),
                    fields: CHANNEL_DOCS
                        .iter()
                        .map(|(k, de, en)| {
                            field(format!("c{i}.{k}"), pick(lang, de, en), "textarea", None)
                        })
                        .collect(),
                });
            }
            out
        }
    }
}

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
