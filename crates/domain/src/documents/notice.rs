//! The privacy notice (Art. 13 GDPR) of one channel, including what the platform operator does and how to object.

use super::config::{filled, ChannelDocuments, LegalBasis};
use super::facts::{self, controller_name};
use super::html::Writer;
use super::{platform, ChannelInfo, Context};

fn para(w: &mut Writer, text: &str) {
    w.raw("<p>");
    w.text(text);
    w.raw("</p>");
}

fn list<'a>(w: &mut Writer, items: impl IntoIterator<Item = &'a str>) {
    w.raw("<ul>");
    for i in items {
        w.raw("<li>");
        w.text(i);
        w.raw("</li>");
    }
    w.raw("</ul>");
}

pub fn write(w: &mut Writer, ctx: &Context<'_>, ch: &ChannelInfo) {
    let empty = ChannelDocuments::default();
    let cfg = ctx.documents.channel(&ch.name).unwrap_or(&empty);
    let d = ctx.documents;
    let p = platform::of(ch.kind);
    let k = &ctx.settings.keywords;

    para(
        w,
        &format!(
            "Hier erfahren Sie, welche Daten wir ({}) verarbeiten, wenn Sie uns über {} („{}“) schreiben, und welche \
             Rechte Sie haben (Art. 13 Datenschutz-Grundverordnung, DSGVO).",
            controller_name(ctx),
            p.label,
            ch.name
        ),
    );

    w.h2("verantwortlich", "1. Verantwortlich");
    let c = &d.controller;
    w.raw("<p>");
    w.text(controller_name(ctx));
    w.raw("<br>");
    w.value(c.address.as_deref(), "Anschrift der Gemeinde");
    w.raw("<br>Telefon: ");
    w.value(c.phone.as_deref(), "Telefonnummer der Gemeinde");
    w.raw("<br>E-Mail: ");
    w.email(c.email.as_deref(), "E-Mail-Adresse der Gemeinde");
    w.raw("<br>Vertreten durch: ");
    w.value(
        c.representative.as_deref(),
        "gesetzliche Vertretung (z. B. Bürgermeisterin/Bürgermeister)",
    );
    w.raw("</p>");

    w.h2("dsb", "2. Datenschutzbeauftragte/r");
    w.raw("<p>");
    facts::dpo_contact(w, d);
    w.raw("</p>");

    w.h2("zweck", "3. Zweck und Rechtsgrundlage");
    match filled(cfg.purpose.as_deref()) {
        Some(_) => w.block(cfg.purpose.as_deref(), ""),
        None => para(
            w,
            "Wir verarbeiten Ihre Nachrichten, um Ihre Anliegen entgegenzunehmen, zu bearbeiten und zu beantworten \
             und um Sie über Angelegenheiten der Gemeinde zu informieren, die Sie angefragt haben.",
        ),
    }
    w.raw("<p>Rechtsgrundlage: ");
    facts::legal_basis(w, ctx);
    w.raw("</p>");
    w.raw("<p>Bevor Sie sich mit ");
    facts::keywords(w, &k.opt_in, "Anmeldewort");
    w.raw(
        " anmelden, speichern wir nichts über Sie: Sie erhalten nur einmal einen Hinweis auf diese \
           Datenschutzhinweise und auf die Anmeldung; gezählt wird lediglich, wie viele solche Hinweise am Tag \
           verschickt wurden.</p>",
    );

    w.h2("daten", "4. Welche Daten wir speichern");
    list(w, facts::stored_data(Some(ch.kind), true));
    para(
        w,
        "Bitte senden Sie über diesen Kanal keine Gesundheitsdaten oder andere besonders schutzwürdige Angaben, \
         wenn es sich vermeiden lässt.",
    );

    w.h2("empfaenger", "5. Wer die Daten erhält");
    w.raw("<ul><li>");
    w.text(
        "Beschäftigte der Gemeinde, soweit sie Ihr Anliegen bearbeiten; die meisten sehen Sie nur unter einem \
         Pseudonym. Für die Bearbeitung kann Ihr Anliegen an das zuständige Amt weitergegeben werden.",
    );
    w.raw("</li><li>Der technische Betrieb als Auftragsverarbeiter: ");
    w.value(
        d.technical.name.as_deref(),
        "Name der technischen Betreuung (IT-Dienstleister)",
    );
    w.raw("</li><li>");
    w.text(&format!("{}: {}", p.operator, p.role));
    w.review(p.role_review);
    w.raw("</li></ul>");
    para(
        w,
        "Darüber hinaus geben wir Ihre Daten nur weiter, wenn ein Gesetz uns dazu verpflichtet.",
    );

    w.h2("drittland", "6. Übermittlung in Drittländer");
    w.raw("<p>Rathaus selbst wird betrieben: ");
    w.value(
        d.hosting.as_deref(),
        "Betriebsort von Rathaus (eigener Server oder IT-Dienstleister, Land)",
    );
    w.raw(". ");
    w.text(&format!("Beim Plattformbetreiber: {}", p.transfer));
    w.review(p.transfer_review);
    w.raw("</p>");

    w.h2("dauer", "7. Wie lange wir speichern");
    w.raw("<ul>");
    for (_, what, when) in facts::retention(&ctx.settings.retention) {
        w.raw("<li>");
        w.text(&format!("{what}: {when}"));
        w.raw("</li>");
    }
    w.raw("</ul>");

    w.h2(
        "plattform",
        &format!("8. Was {} mit Ihren Daten macht", p.label),
    );
    for t in p.transport.iter().chain(p.own_processing) {
        para(w, t);
    }
    w.raw("<p>");
    w.text(&format!(
        "Verantwortlich dafür ist {}; Einzelheiten stehen in den Datenschutzhinweisen des Betreibers: ",
        p.operator
    ));
    w.review(p.operator_review);
    w.raw(" ");
    let url = filled(cfg.platform_privacy_url.as_deref()).unwrap_or(p.privacy_url);
    w.url(Some(url), "");
    w.raw("</p>");
    w.h3(&format!("Widerspruch gegenüber {}", p.label));
    for t in p.objection {
        para(w, t);
    }

    w.h2("rechte", "9. Ihre Rechte");
    w.raw(
        "<ul><li>Auskunft über Ihre gespeicherten Daten (Art. 15 DSGVO) – senden Sie dazu einfach ",
    );
    facts::keywords(w, &k.access, "Wort für Auskunft");
    w.raw(". Sie erhalten einen Link zu einer Kopie aller Daten, auch in maschinenlesbarer Form.</li>");
    w.raw("<li>Löschung (Art. 17 DSGVO) – senden Sie ");
    facts::keywords(w, &k.erase, "Wort für Löschung");
    w.raw(". Wir bestätigen die Löschung und löschen dann alles, was wir über Sie gespeichert haben.</li>");
    w.raw(
        "<li>Berichtigung (Art. 16 DSGVO) und Einschränkung der Verarbeitung (Art. 18 DSGVO).</li>",
    );
    match d.legal_basis {
        LegalBasis::PublicTask => {
            w.raw("<li>Widerspruch aus Gründen, die sich aus Ihrer besonderen Situation ergeben (Art. 21 DSGVO). \
                   Die Nutzung des Kanals beenden Sie jederzeit mit ");
            facts::keywords(w, &k.opt_out, "Abmeldewort");
            w.raw(".</li>");
        }
        LegalBasis::Consent => {
            w.raw("<li>Widerruf Ihrer Einwilligung mit Wirkung für die Zukunft (Art. 7 Abs. 3 DSGVO), zum Beispiel mit ");
            facts::keywords(w, &k.opt_out, "Abmeldewort");
            w.raw(". Die bis dahin erfolgte Verarbeitung bleibt rechtmäßig.</li>");
            w.raw("<li>Datenübertragbarkeit (Art. 20 DSGVO).</li>");
        }
    }
    w.raw("</ul><p>Für alle Anliegen zu Ihren Rechten: ");
    facts::rights_contact(w, d);
    w.raw("</p>");

    w.h2("beschwerde", "10. Beschwerde bei der Aufsichtsbehörde");
    w.raw("<p>Sie können sich bei einer Datenschutzaufsichtsbehörde beschweren (Art. 77 DSGVO). Für die Gemeinde \
           zuständig ist:<br>");
    facts::contact(
        w,
        &d.supervisory_authority,
        "der Datenschutzaufsichtsbehörde",
        true,
    );
    w.raw("</p>");

    w.h2("freiwillig", "11. Freiwilligkeit und andere Wege");
    para(
        w,
        &format!(
            "Die Nutzung von {} ist freiwillig. Sie sind weder gesetzlich noch vertraglich verpflichtet, uns über \
             diesen Kanal Daten zu geben; ohne Anmeldung können wir Ihnen hier nur nicht antworten. Eine \
             automatisierte Entscheidungsfindung einschließlich Profiling (Art. 22 DSGVO) findet nicht statt. \
             Dieselben Informationen und Leistungen erhalten Sie auch so:",
            p.label
        ),
    );
    w.block(
        cfg.alternative.as_deref(),
        "alternativer Kanal (z. B. Website, E-Mail, Telefon, Bürgerbüro)",
    );
    w.optional_block(cfg.notice_notes.as_deref());
}
