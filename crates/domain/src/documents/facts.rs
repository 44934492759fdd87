//! Shared pieces of the documents: contacts, keywords, legal basis, retention periods, stored data and measures.

use super::config::{filled, Contact, DocumentsConfig, LegalBasis};
use super::html::Writer;
use super::Context;
use crate::retention::RetentionRules;
use crate::ChannelKind;

/// "1 Tag" / "90 Tage".
pub fn days(n: u32) -> String {
    if n == 1 {
        "1 Tag".into()
    } else {
        format!("{n} Tage")
    }
}

/// "1 Jahr" / "3 Jahre".
pub fn years(n: u32) -> String {
    if n == 1 {
        "1 Jahr".into()
    } else {
        format!("{n} Jahre")
    }
}

/// The controller's name: configured, else the municipality's name.
pub fn controller_name<'a>(ctx: &'a Context<'_>) -> &'a str {
    filled(ctx.documents.controller.name.as_deref()).unwrap_or(&ctx.settings.name)
}

/// Keywords as „A“ oder „B“ (escaped).
pub fn keywords(w: &mut Writer, list: &[String], label: &str) {
    let words: Vec<&str> = list
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    if words.is_empty() {
        w.missing(label);
        return;
    }
    for (i, k) in words.iter().enumerate() {
        if i > 0 {
            w.raw(if i + 1 == words.len() { " oder " } else { ", " });
        }
        w.raw("„");
        w.text(k);
        w.raw("“");
    }
}

/// A contact: name, address, phone, e-mail, website. `what` names it in placeholders.
/// The name is always required; `need_address` also requires the postal address;
/// at least one way to reach them (e-mail or phone) is required.
pub fn contact(w: &mut Writer, c: &Contact, what: &str, need_address: bool) {
    w.value(c.name.as_deref(), &format!("Name {what}"));
    if need_address || filled(c.address.as_deref()).is_some() {
        w.raw("<br>");
        w.value(c.address.as_deref(), &format!("Anschrift {what}"));
    }
    let phone = filled(c.phone.as_deref());
    let email = filled(c.email.as_deref());
    if let Some(p) = phone {
        w.raw("<br>Telefon: ");
        w.text(p);
    }
    if email.is_some() {
        w.raw("<br>E-Mail: ");
        w.email(email, "");
    }
    if phone.is_none() && email.is_none() {
        w.raw("<br>");
        w.missing(&format!("E-Mail oder Telefon {what}"));
    }
    if filled(c.website.as_deref()).is_some() {
        w.raw("<br>Web: ");
        w.url(c.website.as_deref(), "");
    }
}

/// The data-protection officer: Art. 13 needs the contact details, not the name.
pub fn dpo_contact(w: &mut Writer, d: &DocumentsConfig) {
    let mut c = d.dpo.clone();
    if filled(c.name.as_deref()).is_none() {
        c.name = Some(
            "Behördliche Datenschutzbeauftragte / behördlicher Datenschutzbeauftragter".into(),
        );
    }
    contact(w, &c, "der oder des Datenschutzbeauftragten", false);
}

/// Who handles data-subject requests: configured, else the DPO (stated as such), else a placeholder.
pub fn rights_contact(w: &mut Writer, d: &DocumentsConfig) {
    if !d.data_subject_rights.is_empty() || d.dpo.is_empty() {
        contact(
            w,
            &d.data_subject_rights,
            "der Stelle für Betroffenenrechte",
            false,
        );
    } else {
        w.raw("die oder der Datenschutzbeauftragte (siehe dort)");
    }
}

/// The legal basis of the citizen dialogue, as a sentence.
pub fn legal_basis(w: &mut Writer, ctx: &Context<'_>) {
    let k = &ctx.settings.keywords;
    match ctx.documents.legal_basis {
        LegalBasis::PublicTask => {
            w.raw("Art. 6 Abs. 1 Satz 1 lit. e, Abs. 3 DSGVO in Verbindung mit ");
            w.value(
                ctx.documents.legal_basis_law.as_deref(),
                "landesrechtliche Rechtsgrundlage (z. B. Landesdatenschutzgesetz)",
            );
            w.raw(
                " (Wahrnehmung einer Aufgabe im öffentlichen Interesse: Information der Einwohnerinnen und \
                 Einwohner und Bearbeitung ihrer Anliegen). Die Anmeldung mit ",
            );
            keywords(w, &k.opt_in, "Anmeldewort");
            w.raw(
                " ist keine Einwilligung, sondern bestätigt, dass die Datenschutzhinweise nach Art. 13 DSGVO \
                 bekannt sind und der Kanal genutzt werden soll. Mit ",
            );
            keywords(w, &k.opt_out, "Abmeldewort");
            w.raw(" endet die Nutzung jederzeit.");
        }
        LegalBasis::Consent => {
            w.raw("Art. 6 Abs. 1 Satz 1 lit. a DSGVO: Einwilligung durch die Anmeldung mit ");
            keywords(w, &k.opt_in, "Anmeldewort");
            w.raw(". Sie kann jederzeit mit Wirkung für die Zukunft widerrufen werden (Art. 7 Abs. 3 DSGVO), zum Beispiel mit ");
            keywords(w, &k.opt_out, "Abmeldewort");
            w.raw(".");
        }
    }
}

/// What Rathaus stores about a citizen who writes on a channel of `kind`; `to_citizen` addresses them as "Sie".
pub fn stored_data(kind: Option<ChannelKind>, to_citizen: bool) -> Vec<&'static str> {
    let id = match kind {
        Some(ChannelKind::WhatsApp) => "WhatsApp-Kennung (entspricht der Mobilfunknummer)",
        Some(ChannelKind::Telegram) => "Telegram-Nutzer-ID",
        None => "Kennung auf der Plattform (bei WhatsApp die Mobilfunknummer, bei Telegram die Nutzer-ID)",
    };
    if to_citizen {
        vec![
            id,
            "Telefonnummer, soweit die Plattform sie übermittelt oder Sie sie senden",
            "Anzeigename aus Ihrem Profil",
            "ein zufälliges Pseudonym, unter dem die meisten Beschäftigten Sie sehen",
            "Inhalte Ihrer Nachrichten und unserer Antworten mit Zeitpunkt und Zustellstatus",
            "Medien, die Sie senden (Bilder, Sprachnachrichten, Videos, Dokumente, Standorte)",
            "Nachweis der An- und Abmeldung: Zeitpunkt, Kanal und Fassung der Datenschutzhinweise",
            "interne Bearbeitungsvermerke (Status, Zuständigkeit, Notizen der Beschäftigten)",
        ]
    } else {
        vec![
            id,
            "Telefonnummer, soweit die Plattform sie übermittelt oder die Person sie sendet",
            "Anzeigename aus dem Profil",
            "zufälliges Pseudonym, unter dem die meisten Beschäftigten die Person sehen",
            "Inhalte der Nachrichten und der Antworten mit Zeitpunkt und Zustellstatus",
            "gesendete Medien (Bilder, Sprachnachrichten, Videos, Dokumente, Standorte)",
            "Nachweis der An- und Abmeldung: Zeitpunkt, Kanal und Fassung der Datenschutzhinweise",
            "interne Bearbeitungsvermerke (Status, Zuständigkeit, Notizen der Beschäftigten)",
        ]
    }
}

/// Which processing activity a retention period belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    Dialogue,
    Proof,
    Counters,
    Audit,
}

/// Erasure periods from the retention rules: (activity, what, when it is deleted).
pub fn retention(r: &RetentionRules) -> Vec<(Topic, &'static str, String)> {
    vec![
        (
            Topic::Dialogue,
            "Anliegen mit Nachrichten und Medien",
            format!(
                "{} nach Erledigung; offene Anliegen bleiben bis zur Erledigung gespeichert",
                days(r.concerns_days_after_resolution)
            ),
        ),
        (
            Topic::Dialogue,
            "Kennung, Telefonnummer, Anzeigename, Pseudonym",
            "solange die Anmeldung besteht; nach der Abmeldung zusammen mit dem Anmeldenachweis".into(),
        ),
        (
            Topic::Proof,
            "Nachweis der An- und Abmeldung",
            format!(
                "{} nach der Abmeldung, sofern keine Anliegen mehr gespeichert sind",
                years(r.consent_records_years)
            ),
        ),
        (
            Topic::Counters,
            "Tageszähler für Nachrichten vor der Anmeldung (ohne Personenbezug)",
            days(r.unconsented_counters_days),
        ),
        (
            Topic::Audit,
            "Protokoll der Zugriffe von Beschäftigten (Audit-Log)",
            years(r.audit_years),
        ),
        (
            Topic::Dialogue,
            "Alles über eine Person auf ihren Wunsch (Löschen)",
            "sofort; auch nach dem Einspielen einer älteren Datensicherung wird die Löschung wiederholt".into(),
        ),
    ]
}

/// Technical and organisational measures (Art. 32 GDPR) that Rathaus itself provides.
pub const MEASURES: &[&str] = &[
    "Verschlüsselung aller personenbezogenen Felder (Kennung, Telefonnummer, Name, Nachrichten, Medien, \
     Warteschlange) mit AES-256-GCM und einem eigenen Schlüssel je Bürgerin oder Bürger; diese Schlüssel sind mit \
     einem Schlüssel je Gemeinde und einem Hauptschlüssel gesichert, der nicht in der Datenbank liegt.",
    "Löschung durch Vernichtung des persönlichen Schlüssels (Crypto-Shredding) zusammen mit allen Datensätzen; \
     zurück bleibt nur ein mit Schlüssel gebildeter Hashwert der Kennung, damit die Löschung nach einer \
     Wiederherstellung erneut ausgeführt wird.",
    "Auffinden von Personen nur über mit Schlüssel gebildete Hashwerte (HMAC) der Kennung, nicht über Klartext.",
    "Datensparsamkeit: vor der Anmeldung wird außer einem Tageszähler nichts gespeichert; die meisten \
     Beschäftigten sehen nur ein Pseudonym, die Anzeige der echten Kennung ist eine gesonderte, protokollierte \
     Berechtigung.",
    "Rollen und Rechte (Administration, Redaktion, Sachbearbeitung, Sprechstunde, Datenschutz, Lesezugriff); \
     Lesezugriff ohne Einsicht in Anliegen.",
    "Manipulationssicheres Protokoll (Audit-Log) aller Zugriffe, Exporte und Löschungen durch Beschäftigte, \
     jeder Eintrag per HMAC mit dem vorigen verkettet; IP-Adressen nur gekürzt (IPv4 /24, IPv6 /48).",
    "Transportverschlüsselung (TLS) für alle Verbindungen; Prüfung der Echtheit jeder eingehenden \
     Plattform-Nachricht (Signatur bzw. geheimes Token), bevor sie gespeichert wird.",
    "Anmeldung der Beschäftigten mit Passwort (Argon2-Hash), HttpOnly-Sitzungscookies, Schutz gegen \
     Cross-Site-Request-Forgery, strikte Content-Security-Policy.",
    "Verschlüsselte Datensicherungen ohne Hauptschlüssel; nach einer Wiederherstellung werden alle seither \
     erfolgten Löschungen erneut ausgeführt.",
    "Automatische Löschung nach den Fristen dieses Verzeichnisses durch einen regelmäßigen (stündlichen) Löschlauf.",
];
