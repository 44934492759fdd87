//! The record of processing activities (Art. 30(1) GDPR) for everything Rathaus does with personal data.

use super::config::{filled, LegalBasis};
use super::facts::{self, controller_name, Topic};
use super::html::Writer;
use super::{platform, Context};
use crate::ChannelKind;

fn list<S: AsRef<str>>(w: &mut Writer, items: impl IntoIterator<Item = S>) {
    w.raw("<ul>");
    for i in items {
        w.raw("<li>");
        w.text(i.as_ref());
        w.raw("</li>");
    }
    w.raw("</ul>");
}

/// The platforms in use, each once, in a stable order.
fn platforms(ctx: &Context<'_>) -> Vec<ChannelKind> {
    ChannelKind::ALL
        .into_iter()
        .filter(|k| ctx.channels.iter().any(|c| c.kind == *k))
        .collect()
}

pub fn write(w: &mut Writer, ctx: &Context<'_>) {
    let d = ctx.documents;
    let r = &ctx.settings.retention;

    w.h2(
        "verantwortlich",
        "1. Verantwortlicher und Datenschutzbeauftragte/r (Art. 30 Abs. 1 lit. a)",
    );
    w.table("Kontaktdaten");
    w.row("Verantwortlicher", |w| {
        w.text(controller_name(ctx));
        w.raw("<br>");
        w.value(d.controller.address.as_deref(), "Anschrift der Gemeinde");
        w.raw("<br>Telefon: ");
        w.value(d.controller.phone.as_deref(), "Telefonnummer der Gemeinde");
        w.raw("<br>E-Mail: ");
        w.email(d.controller.email.as_deref(), "E-Mail-Adresse der Gemeinde");
    });
    w.row("Gesetzliche Vertretung", |w| {
        w.value(
            d.controller.representative.as_deref(),
            "gesetzliche Vertretung (z. B. Bürgermeisterin/Bürgermeister)",
        )
    });
    w.row("Datenschutzbeauftragte/r", |w| facts::dpo_contact(w, d));
    w.row("Gemeinsam Verantwortliche", |w| {
        w.text("keine");
        w.review("keine gemeinsame Verantwortlichkeit mit den Plattformbetreibern (Art. 26 DSGVO), da die Gemeinde \
                  keine Auswertungen der Plattformen erhält");
    });
    w.end_table();

    w.h2("kanaele", "2. Kanäle");
    if ctx.channels.is_empty() {
        w.raw("<p>Derzeit ist kein Kanal eingerichtet.</p>");
    } else {
        list(
            w,
            ctx.channels
                .iter()
                .map(|c| format!("{} – „{}“", c.kind.label(), c.name)),
        );
    }
    w.raw("<p>Software: Rathaus, betrieben ");
    w.value(
        d.hosting.as_deref(),
        "Betriebsort von Rathaus (eigener Server oder IT-Dienstleister, Land)",
    );
    w.raw(".</p>");

    w.h2("taetigkeiten", "3. Verarbeitungstätigkeiten");

    // 3.1 The dialogue itself.
    w.table("3.1 Bürgerdialog über Messenger-Kanäle");
    w.row("Zwecke", |w| {
        w.text(
            "Entgegennahme, Bearbeitung und Beantwortung von Anliegen der Bürgerinnen und Bürger; Sprechstunden; \
             Information auf Anfrage. Die Zwecke je Kanal stehen in den Nutzungskonzepten.",
        )
    });
    w.row("Rechtsgrundlage", |w| facts::legal_basis(w, ctx));
    w.row("Betroffene Personen", |w| {
        list(
            w,
            [
                "Personen, die über einen Kanal schreiben und sich angemeldet haben",
                "Dritte, die in Nachrichten oder Medien vorkommen",
                "Beschäftigte, die Anliegen bearbeiten (als Verfasser von Antworten und Vermerken)",
            ],
        )
    });
    w.row("Kategorien personenbezogener Daten", |w| {
        list(w, facts::stored_data(None, false));
        w.text(
            "Nachrichten können unaufgefordert besondere Kategorien personenbezogener Daten (Art. 9 DSGVO) \
             enthalten.",
        );
    });
    w.row("Empfänger", |w| {
        w.raw("<ul><li>");
        w.text(
            "intern: Beschäftigte mit den Rollen Administration, Sachbearbeitung, Sprechstunde und Datenschutz; \
             zuständige Ämter bei Weitergabe eines Anliegens (Rollen Redaktion und Lesezugriff sehen keine \
             Anliegen)",
        );
        w.raw("</li><li>Auftragsverarbeiter für den Betrieb: ");
        w.value(
            d.technical.name.as_deref(),
            "Name der technischen Betreuung (IT-Dienstleister)",
        );
        w.raw("</li>");
        for k in platforms(ctx) {
            let p = platform::of(k);
            w.raw("<li>");
            w.text(&format!("{}: {}", p.operator, p.role));
            w.review(p.role_review);
            w.raw("</li>");
        }
        w.raw("</ul>");
    });
    w.row("Übermittlung in Drittländer", |w| {
        let used = platforms(ctx);
        if used.is_empty() {
            w.text("keine");
        }
        for k in used {
            let p = platform::of(k);
            w.raw("<p>");
            w.text(&format!("{}: {}", p.label, p.transfer));
            w.review(p.transfer_review);
            w.raw("</p>");
        }
    });
    w.row("Löschfristen", |w| {
        list(
            w,
            facts::retention(r)
                .into_iter()
                .filter(|(t, _, _)| *t == Topic::Dialogue)
                .map(|(_, what, when)| format!("{what}: {when}")),
        );
        w.text(&format!(
            "Vor der Anmeldung wird nur ein Tageszähler ohne Personenbezug geführt ({}); zum Schutz vor \
             doppelter Zustellung wird ein mit Schlüssel gebildeter Hashwert der Nachrichten-ID 30 Tage gespeichert.",
            facts::days(r.unconsented_counters_days)
        ));
    });
    w.end_table();

    // 3.2 Proof of the opt-in.
    w.table("3.2 Nachweis der An- und Abmeldung");
    w.row("Zwecke", |w| {
        w.text(
            "Nachweis, wer sich wann mit welcher Fassung der Datenschutzhinweise an- oder abgemeldet hat \
             (Rechenschaftspflicht).",
        )
    });
    w.row("Rechtsgrundlage", |w| {
        w.text(match d.legal_basis {
            LegalBasis::PublicTask => {
                "Art. 6 Abs. 1 Satz 1 lit. c DSGVO in Verbindung mit Art. 5 Abs. 2 DSGVO"
            }
            LegalBasis::Consent => {
                "Art. 6 Abs. 1 Satz 1 lit. c DSGVO in Verbindung mit Art. 7 Abs. 1 DSGVO"
            }
        })
    });
    w.row("Betroffene Personen", |w| {
        w.text("Personen, die sich an- oder abgemeldet haben")
    });
    w.row("Kategorien personenbezogener Daten", |w| {
        w.text("Zeitpunkt, Kanal, Aktion (An- oder Abmeldung), Fassung (Prüfsumme) der Datenschutzhinweise, \
                Nachrichten-ID der Plattform (verschlüsselt), Verknüpfung zur Person")
    });
    w.row("Empfänger", |w| {
        w.text("intern: Datenschutz und Administration")
    });
    w.row("Übermittlung in Drittländer", |w| w.text("keine"));
    w.row("Löschfristen", |w| {
        w.text(&format!(
            "{} nach der Abmeldung, sofern keine Anliegen mehr gespeichert sind; sofort bei Löschung auf Wunsch",
            facts::years(r.consent_records_years)
        ))
    });
    w.end_table();

    // 3.3 Requests.
    w.table("3.3 Bearbeitung von Anträgen betroffener Personen (Auskunft, Löschung)");
    w.row("Zwecke", |w| {
        w.text("Erfüllung und Nachweis der Rechte nach Art. 15, 17 und 20 DSGVO innerhalb der Frist nach Art. 12 Abs. 3 DSGVO; \
                Wiederholung von Löschungen nach dem Einspielen einer Datensicherung.")
    });
    w.row("Rechtsgrundlage", |w| {
        w.text("Art. 6 Abs. 1 Satz 1 lit. c DSGVO in Verbindung mit Art. 12, 15, 17 und 20 DSGVO")
    });
    w.row("Betroffene Personen", |w| {
        w.text("Personen, die Auskunft oder Löschung verlangen")
    });
    w.row("Kategorien personenbezogener Daten", |w| {
        w.text("Antragsregister (Pseudonym, Art, Eingang, Frist, Erledigung); einmalige Download-Links (nur als \
                Hashwert); Löschnachweis (mit Schlüssel gebildeter Hashwert der Kennung und Zeitpunkt)")
    });
    w.row("Empfänger", |w| {
        w.text("intern: Datenschutz; die antragstellende Person (Auskunft)")
    });
    w.row("Übermittlung in Drittländer", |w| {
        w.text("keine (der Link wird über den Kanal der Person verschickt, siehe 3.1)")
    });
    w.row("Löschfristen", |w| {
        w.text("Download-Links: 7 Tage gültig, nach Löschung der Person entfernt. Löschnachweis: solange \
                Datensicherungen existieren können, die die Person noch enthalten. Antragsregister: ");
        w.missing("Aufbewahrungsfrist des Antragsregisters");
    });
    w.end_table();

    // 3.4 Staff and the audit log.
    w.table("3.4 Konten der Beschäftigten und Protokollierung");
    w.row("Zwecke", |w| {
        w.text("Anmeldung und Berechtigungen der Beschäftigten; manipulationssicherer Nachweis, wer wann Daten \
                gelesen, exportiert, geändert oder gelöscht hat (Datensicherheit, Kontrolle).")
    });
    w.row("Rechtsgrundlage", |w| {
        w.text("Art. 6 Abs. 1 Satz 1 lit. c und e DSGVO in Verbindung mit Art. 5 Abs. 2 und Art. 32 DSGVO sowie ");
        w.value(
            d.legal_basis_law.as_deref(),
            "landesrechtliche Rechtsgrundlage (z. B. Landesdatenschutzgesetz)",
        );
        w.review("Vorschriften zum Beschäftigtendatenschutz und ggf. Dienstvereinbarung");
    });
    w.row("Betroffene Personen", |w| {
        w.text("Beschäftigte mit Zugang zu Rathaus")
    });
    w.row("Kategorien personenbezogener Daten", |w| {
        w.text("Name, dienstliche E-Mail-Adresse, Rolle, Passwort-Hash, Sitzungen, Sprache; Protokolleinträge \
                (Handlung, Zeitpunkt, betroffener Datensatz, IP-Adresse gekürzt auf /24 bzw. /48), ohne \
                Nachrichteninhalte")
    });
    w.row("Empfänger", |w| {
        w.text("intern: Datenschutz und Administration; Auftragsverarbeiter für den Betrieb (siehe 3.1)")
    });
    w.row("Übermittlung in Drittländer", |w| w.text("keine"));
    w.row("Löschfristen", |w| {
        w.text(&format!(
            "Protokoll: {}; Sitzungen: mit dem Abmelden oder Ablauf; Konten: ",
            facts::years(r.audit_years)
        ));
        w.missing("Löschfrist der Konten ausgeschiedener Beschäftigter");
    });
    w.end_table();

    w.h2(
        "tom",
        "4. Technische und organisatorische Maßnahmen (Art. 32 DSGVO)",
    );
    list(w, facts::MEASURES.iter());
    w.raw("<p>Ergänzende Maßnahmen der Gemeinde und des Betriebs (Zutritt, Datensicherung, Notfall, Schulung): </p>");
    w.block(
        d.measures.as_deref(),
        "Maßnahmen der Gemeinde und des IT-Dienstleisters",
    );
    if filled(d.record_notes.as_deref()).is_some() {
        w.h2("hinweise", "5. Weitere Angaben");
        w.optional_block(d.record_notes.as_deref());
    }
}
