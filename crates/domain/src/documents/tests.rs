//! Rendering tests: placeholders for gaps, retention periods from the rules, escaping of configured text.

use jiff::civil::date;

use super::*;
use crate::retention::RetentionRules;

const CSS: &str = "body { color: black; }";

fn channels() -> Vec<ChannelInfo> {
    vec![
        ChannelInfo {
            kind: ChannelKind::WhatsApp,
            name: "whatsapp".into(),
        },
        ChannelInfo {
            kind: ChannelKind::Telegram,
            name: "buergerbot".into(),
        },
    ]
}

fn settings() -> MunicipalitySettings {
    MunicipalitySettings::new("musterstadt", "Stadt Musterstadt")
}

fn full_config() -> DocumentsConfig {
    let contact = |name: &str| Contact {
        name: Some(name.into()),
        address: Some("Marktplatz 1\n12345 Musterstadt".into()),
        phone: Some("+49 1234 5678".into()),
        email: Some("info@musterstadt.example".into()),
        website: None,
    };
    DocumentsConfig {
        as_of: Some("2026-03-01".into()),
        version: Some("1.0".into()),
        legal_basis_law: Some("§ 4 LDSG".into()),
        legal_supervision: Some("Landratsamt Musterkreis, Kreisstraße 1, 12300 Musterkreis".into()),
        hosting: Some("im Rechenzentrum des Zweckverbands (Deutschland)".into()),
        measures: Some("Zutrittskontrolle im Rechenzentrum.".into()),
        controller: Controller {
            name: None,
            address: Some("Marktplatz 1\n12345 Musterstadt".into()),
            phone: Some("+49 1234 0".into()),
            email: Some("rathaus@musterstadt.example".into()),
            website: Some("https://musterstadt.example".into()),
            representative: Some("Bürgermeisterin Erika Beispiel".into()),
        },
        dpo: contact("Datenschutzbeauftragter"),
        editorial: contact("Pressestelle, Max Muster"),
        technical: contact("Kommunales Rechenzentrum"),
        data_subject_rights: contact("Hauptamt"),
        supervisory_authority: contact("Landesbeauftragte für den Datenschutz"),
        channel: channels()
            .iter()
            .map(|c| ChannelDocuments {
                name: c.name.clone(),
                purpose: Some("Anliegen entgegennehmen.".into()),
                kind_and_extent: Some("Antworten werktags.".into()),
                why_platform: Some("Viele nutzen es.".into()),
                alternative: Some("Website, E-Mail, Telefon.".into()),
                evaluation_date: Some("2027-03-31".into()),
                ..ChannelDocuments::default()
            })
            .collect(),
        ..DocumentsConfig::default()
    }
}

fn render_with(
    kind: DocumentKind,
    channel: Option<&str>,
    s: &MunicipalitySettings,
    d: &DocumentsConfig,
) -> Document {
    let ch = channels();
    let ctx = Context {
        settings: s,
        documents: d,
        channels: &ch,
        today: date(2026, 5, 4),
    };
    render(kind, channel, &ctx, Style::Embed(CSS), None).expect("renders")
}

fn all(s: &MunicipalitySettings, d: &DocumentsConfig) -> Vec<Document> {
    let mut out = Vec::new();
    for kind in DocumentKind::ALL {
        if kind.per_channel() {
            for c in channels() {
                out.push(render_with(kind, Some(&c.name), s, d));
            }
        } else {
            out.push(render_with(kind, None, s, d));
        }
    }
    out
}

#[test]
fn missing_fields_are_visible_placeholders() {
    let s = settings();
    let d = DocumentsConfig::default();
    for doc in all(&s, &d) {
        assert!(!doc.missing.is_empty(), "{} has no gaps?", doc.filename);
        assert!(
            doc.html.contains("[bitte ergänzen: "),
            "{} shows no placeholder",
            doc.filename
        );
        assert!(doc
            .html
            .contains("Entwurf – noch nicht veröffentlichungsreif"));
        assert!(doc.html.starts_with("<!doctype html>\n<html lang=\"de\">"));
        assert_eq!(doc.html.matches("<h1>").count(), 1, "{}", doc.filename);
        // The municipality's name is known even without a documents block.
        assert!(doc.html.contains("Stadt Musterstadt"));
    }
    let usage = render_with(DocumentKind::UsageConcept, Some("whatsapp"), &s, &d);
    for label in [
        "Zweck des Kanals",
        "Datum der nächsten jährlichen Überprüfung",
        "Name der redaktionellen Betreuung",
    ] {
        assert!(
            usage.missing.iter().any(|m| m == label),
            "{label} not in {:?}",
            usage.missing
        );
        assert!(usage
            .html
            .contains(&format!("[bitte ergänzen: {}]", html::escape(label))));
    }
    let imprint = render_with(DocumentKind::Imprint, None, &s, &d);
    assert!(imprint
        .missing
        .iter()
        .any(|m| m == "Anschrift der inhaltlich verantwortlichen Person"));
}

#[test]
fn a_complete_configuration_leaves_no_placeholder() {
    let s = settings();
    let d = full_config();
    for doc in all(&s, &d) {
        let expected_gaps: &[&str] = match doc.kind {
            // Two periods Rathaus cannot know: they are the municipality's decision.
            DocumentKind::Record => &[
                "Aufbewahrungsfrist des Antragsregisters",
                "Löschfrist der Konten ausgeschiedener Beschäftigter",
            ],
            _ => &[],
        };
        assert_eq!(doc.missing, expected_gaps, "{}", doc.filename);
        assert!(doc.html.contains("Stand: 01.03.2026 · Version 1.0"));
    }
    let usage = render_with(DocumentKind::UsageConcept, Some("whatsapp"), &s, &d);
    assert!(usage.html.contains("Nächste Überprüfung: 31.03.2027."));
    assert!(usage.html.contains("Pressestelle, Max Muster"));
}

#[test]
fn erasure_periods_follow_the_retention_rules() {
    let mut s = settings();
    s.retention = RetentionRules {
        concerns_days_after_resolution: 45,
        unconsented_counters_days: 1,
        consent_records_years: 1,
        audit_years: 7,
    };
    let d = full_config();
    let record = render_with(DocumentKind::Record, None, &s, &d);
    assert!(record.html.contains("45 Tage nach Erledigung"), "concerns");
    assert!(
        record.html.contains("1 Jahr nach der Abmeldung"),
        "consents"
    );
    assert!(record.html.contains("Protokoll: 7 Jahre"), "audit");
    assert!(record
        .html
        .contains("Tageszähler ohne Personenbezug geführt (1 Tag)"));
    assert!(!record.html.contains("90 Tage"), "default leaked");
    let notice = render_with(DocumentKind::PrivacyNotice, Some("buergerbot"), &s, &d);
    assert!(notice.html.contains("45 Tage nach Erledigung"));
    assert!(notice.html.contains("Audit-Log): 7 Jahre"));
    let defaults = render_with(DocumentKind::Record, None, &settings(), &d);
    assert!(defaults.html.contains("90 Tage nach Erledigung"));
    assert!(defaults.html.contains("3 Jahre nach der Abmeldung"));
}

#[test]
fn configured_text_is_escaped() {
    let mut s = settings();
    s.name = "Stadt <b>Muster</b>".into();
    s.keywords.opt_in = vec!["<script>alert(1)</script>".into()];
    let mut d = full_config();
    d.controller.representative = Some("\"><img src=x onerror=alert(1)>".into());
    d.controller.email = Some("a@b.example\"onmouseover=\"x".into());
    d.controller.website = Some("javascript:alert(1)".into());
    d.channel[0].purpose = Some("Fragen & Antworten <i>sofort</i>\n\nZweiter Absatz".into());
    d.channel[0].evaluation_date = Some("<u>bald</u>".into());
    let html = all(&s, &d)
        .into_iter()
        .map(|d| d.html)
        .collect::<Vec<_>>()
        .join("\n");
    for bad in [
        "<b>Muster",
        "<script>",
        "<img",
        "<i>sofort",
        "<u>bald",
        "href=\"javascript:",
        "\"onmouseover=\"",
    ] {
        assert!(!html.contains(bad), "unescaped: {bad}");
    }
    assert!(html.contains("Stadt &lt;b&gt;Muster&lt;/b&gt;"));
    assert!(html.contains("„&lt;script&gt;alert(1)&lt;/script&gt;“"));
    assert!(html
        .contains("<p>Fragen &amp; Antworten &lt;i&gt;sofort&lt;/i&gt;</p><p>Zweiter Absatz</p>"));
    // A channel name is configuration too.
    let ch = vec![ChannelInfo {
        kind: ChannelKind::WhatsApp,
        name: "wa <x>".into(),
    }];
    let ctx = Context {
        settings: &s,
        documents: &d,
        channels: &ch,
        today: date(2026, 5, 4),
    };
    let doc = render(
        DocumentKind::UsageConcept,
        Some("wa <x>"),
        &ctx,
        Style::Link("/static/documents.css"),
        Some(Nav {
            back_href: "/documents",
            download_href: "/documents/nutzungskonzept/wa%20%3Cx%3E?download=1",
        }),
    )
    .expect("renders");
    assert!(!doc.html.contains("<x>"));
    assert_eq!(doc.filename, "nutzungskonzept-wa-x.html");
    assert!(doc
        .html
        .contains("<link rel=\"stylesheet\" href=\"/static/documents.css\">"));
    assert!(!doc.html.contains("<style>"));
}

#[test]
fn legal_basis_is_configurable_with_public_task_as_default() {
    let s = settings();
    let mut d = full_config();
    let notice = render_with(DocumentKind::PrivacyNotice, Some("whatsapp"), &s, &d);
    assert!(notice.html.contains("Art. 6 Abs. 1 Satz 1 lit. e"));
    assert!(notice.html.contains("ist keine Einwilligung"));
    assert!(notice.html.contains("Art. 21 DSGVO"));
    d.legal_basis = LegalBasis::Consent;
    let notice = render_with(DocumentKind::PrivacyNotice, Some("whatsapp"), &s, &d);
    assert!(notice.html.contains("Art. 6 Abs. 1 Satz 1 lit. a"));
    assert!(notice.html.contains("Art. 7 Abs. 3 DSGVO"));
    let parsed: DocumentsConfig = toml::from_str("legal_basis = \"consent\"").expect("parses");
    assert_eq!(parsed.legal_basis, LegalBasis::Consent);
    assert!(toml::from_str::<DocumentsConfig>("legal_basis = \"whim\"").is_err());
    assert!(toml::from_str::<DocumentsConfig>("controler = {}").is_err());
}

#[test]
fn platform_facts_are_per_channel_and_marked_for_review() {
    let s = settings();
    let d = full_config();
    let wa = render_with(DocumentKind::PrivacyNotice, Some("whatsapp"), &s, &d);
    assert!(wa.html.contains("WhatsApp Ireland Limited"));
    assert!(wa.html.contains("Data Privacy Framework"));
    assert!(wa.html.contains("Widerspruch gegenüber WhatsApp"));
    assert!(!wa.html.contains("Telegram FZ-LLC"));
    assert!(wa.review > 0);
    assert!(wa.html.contains("[bitte prüfen: "));
    let tg = render_with(DocumentKind::PrivacyNotice, Some("buergerbot"), &s, &d);
    assert!(tg.html.contains("Telegram FZ-LLC"));
    assert!(tg.html.contains("nicht Ende-zu-Ende-verschlüsselt"));
    assert!(tg.html.contains("Vereinigte Arabische Emirate"));
    assert_eq!(tg.title, "Datenschutzhinweise Telegram („buergerbot“)");
    assert_eq!(tg.filename, "datenschutzhinweise-buergerbot.html");
    let usage = render_with(DocumentKind::UsageConcept, Some("whatsapp"), &s, &d);
    assert_eq!(usage.title, "Nutzungskonzept WhatsApp");
    assert_eq!(usage.filename, "nutzungskonzept-whatsapp.html");
    let record = render_with(DocumentKind::Record, None, &s, &d);
    assert!(
        record.html.contains("WhatsApp Ireland Limited") && record.html.contains("Telegram FZ-LLC")
    );
}

#[test]
fn kinds_and_channels_must_match() {
    let s = settings();
    let d = DocumentsConfig::default();
    let ch = channels();
    let ctx = Context {
        settings: &s,
        documents: &d,
        channels: &ch,
        today: date(2026, 5, 4),
    };
    let r = |k, c| render(k, c, &ctx, Style::Embed(CSS), None).map(|d| d.filename);
    assert_eq!(
        r(DocumentKind::UsageConcept, None),
        Err(DocumentError::NeedsChannel)
    );
    assert_eq!(
        r(DocumentKind::Imprint, Some("whatsapp")),
        Err(DocumentError::NotPerChannel)
    );
    assert_eq!(
        r(DocumentKind::PrivacyNotice, Some("threema")),
        Err(DocumentError::UnknownChannel("threema".into()))
    );
    assert_eq!(
        r(DocumentKind::Record, None),
        Ok("verarbeitungsverzeichnis.html".into())
    );
    for k in DocumentKind::ALL {
        assert_eq!(DocumentKind::parse(k.slug()), Some(k));
    }
    assert_eq!(file_slug("Bürger Bot!"), "buerger-bot");
    assert_eq!(file_slug("***"), "kanal");
    // Without a configured "Stand" the day of generation is used.
    let doc = render(DocumentKind::Imprint, None, &ctx, Style::Embed(CSS), None).expect("ok");
    assert!(doc.html.contains("Stand: 04.05.2026"));
    assert!(doc
        .html
        .contains("<style>\nbody { color: black; }\n</style>"));
}
