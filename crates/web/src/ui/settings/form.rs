//! The settings forms: each section as labelled fields filled from its current or submitted values.

use std::collections::HashMap;

use rathaus_domain::MunicipalitySettings;
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

pub(super) fn pick(lang: Lang, de: &str, en: &str) -> String {
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
pub(super) fn split(s: &str) -> Vec<String> {
    s.split([',', '\n'])
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

pub(super) fn split_lines(s: &str) -> Vec<String> {
    s.lines()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

pub(super) fn opt(s: &str) -> Option<String> {
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
pub(super) fn channel_names(cfg: &TenantConfig) -> Vec<String> {
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
pub(super) fn hour_count(values: &Values) -> usize {
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
