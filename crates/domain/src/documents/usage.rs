//! The usage concept (Nutzungskonzept) of one channel: purpose, kind and extent, responsibilities, alternatives.

use super::config::ChannelDocuments;
use super::facts::{self, controller_name};
use super::html::Writer;
use super::{platform, ChannelInfo, Context, DocumentKind};

pub fn write(w: &mut Writer, ctx: &Context<'_>, ch: &ChannelInfo) {
    let empty = ChannelDocuments::default();
    let cfg = ctx.documents.channel(&ch.name).unwrap_or(&empty);
    let p = platform::of(ch.kind);
    let k = &ctx.settings.keywords;

    w.raw("<p>");
    w.text(&format!(
        "Mit diesem Nutzungskonzept legen wir ({}) fest, wofür und wie wir den {}-Kanal „{}“ nutzen, wer dafür \
         verantwortlich ist und welche anderen Wege Bürgerinnen und Bürgern offenstehen. Es folgt den \
         Anforderungen der Datenschutzaufsichtsbehörden an öffentliche Stellen, die soziale Medien und Messenger \
         nutzen.",
        controller_name(ctx),
        p.label,
        ch.name
    ));
    w.raw("</p>");

    w.h2("angebot", "1. Angebot und Plattform");
    w.table("Überblick über den Kanal");
    w.row("Kanal", |w| {
        w.text(&format!("{} – „{}“", p.label, ch.name));
    });
    w.row("Betreiber der Plattform", |w| {
        w.text(p.operator);
        w.review(p.operator_review);
    });
    w.row("Bearbeitung der Nachrichten", |w| {
        w.raw(
            "mit der Software Rathaus, die die Nachrichten verschlüsselt speichert und nach festen Fristen löscht; \
             Betrieb: ",
        );
        w.value(
            ctx.documents.hosting.as_deref(),
            "Betriebsort von Rathaus (eigener Server oder IT-Dienstleister, Land)",
        );
    });
    w.row("Anmeldung", |w| {
        facts::keywords(w, &k.opt_in, "Anmeldewort");
        w.raw(" – vorher wird außer einem Hinweis zur Anmeldung nichts gespeichert");
    });
    w.row("Abmeldung", |w| {
        facts::keywords(w, &k.opt_out, "Abmeldewort")
    });
    w.row("Auskunft und Löschung", |w| {
        facts::keywords(w, &k.access, "Wort für Auskunft");
        w.raw(" (Kopie aller gespeicherten Daten) und ");
        facts::keywords(w, &k.erase, "Wort für Löschung");
        w.raw(" (sofortige Löschung aller Daten)");
    });
    w.end_table();

    w.h2("zweck", "2. Zweck der Nutzung");
    w.block(cfg.purpose.as_deref(), "Zweck des Kanals");

    w.h2("umfang", "3. Art und Umfang der Nutzung");
    w.block(
        cfg.kind_and_extent.as_deref(),
        "Art und Umfang der Nutzung (Inhalte, genutzte Funktionen, Zeiten, wer antwortet)",
    );
    w.raw("<p>Für alle Kanäle gilt:</p><ul>");
    for item in [
        "Die Gemeinde lädt keine Adressbücher oder Kontakte zur Plattform hoch und nutzt kein privates Gerät.",
        "Die Gemeinde nutzt keine Statistik-, Werbe- oder Profilfunktionen der Plattform.",
        "Nachrichten werden nur nach der Anmeldung gespeichert und nur von den dafür berechtigten Beschäftigten \
         gelesen; die meisten sehen statt der Telefonnummer ein Pseudonym.",
        "Über den Kanal werden keine förmlichen Verwaltungsverfahren mit besonders schutzwürdigen Daten \
         abgewickelt; dafür verweist die Gemeinde auf die regulären Wege.",
    ] {
        w.raw("<li>");
        w.text(item);
        w.raw("</li>");
    }
    w.raw("</ul>");

    w.h2("plattform", "4. Warum diese Plattform");
    w.block(
        cfg.why_platform.as_deref(),
        "Begründung für diese Plattform (wen die Gemeinde nur so erreicht)",
    );

    w.h2("verantwortung", "5. Verantwortlichkeiten");
    w.table("Wer ist wofür zuständig");
    w.row("Redaktionelle Betreuung", |w| {
        let c = cfg.editorial.as_ref().unwrap_or(&ctx.documents.editorial);
        facts::contact(w, c, "der redaktionellen Betreuung", false);
    });
    w.row("Technische Betreuung", |w| {
        facts::contact(
            w,
            &ctx.documents.technical,
            "der technischen Betreuung (IT-Dienstleister)",
            false,
        );
    });
    w.row("Wahrnehmung der Betroffenenrechte", |w| {
        facts::rights_contact(w, ctx.documents)
    });
    w.row("Datenschutzbeauftragte/r", |w| {
        facts::dpo_contact(w, ctx.documents);
    });
    w.end_table();

    w.h2("datenschutz", "6. Datenschutz");
    w.raw("<p>");
    w.text(&format!(
        "Für den Kanal gibt es eigene Datenschutzhinweise ({}), auf die bei der ersten Nachricht \
         hingewiesen wird. Rechtsgrundlage: ",
        super::title(DocumentKind::PrivacyNotice, Some(ch))
    ));
    facts::legal_basis(w, ctx);
    w.raw("</p>");
    w.h3(&format!("Was {} mit Daten macht", p.label));
    for para in p.transport.iter().chain(p.own_processing) {
        w.raw("<p>");
        w.text(para);
        w.raw("</p>");
    }
    w.raw("<p>");
    w.text(&format!("Übermittlung in Drittländer: {}", p.transfer));
    w.review(p.transfer_review);
    w.raw("</p>");
    w.h3("Löschfristen in Rathaus");
    w.raw("<ul>");
    for (_, what, when) in facts::retention(&ctx.settings.retention) {
        w.raw("<li>");
        w.text(&format!("{what}: {when}"));
        w.raw("</li>");
    }
    w.raw("</ul>");

    w.h2("alternativen", "7. Andere Wege zur Gemeinde");
    w.raw("<p>");
    w.text(&format!(
        "Niemand muss {} nutzen, um die Gemeinde zu erreichen oder ihre Informationen zu erhalten:",
        p.label
    ));
    w.raw("</p>");
    w.block(
        cfg.alternative.as_deref(),
        "alternativer Kanal (z. B. Website, E-Mail, Telefon, Bürgerbüro)",
    );

    w.h2("evaluation", "8. Überprüfung");
    w.raw("<p>Das Nutzungskonzept wird mindestens einmal jährlich überprüft: Wird der Zweck erreicht, hat sich die \
           Plattform oder ihre Datenverarbeitung geändert, ist der Kanal weiter erforderlich? Nächste Überprüfung: ");
    match super::config::filled(cfg.evaluation_date.as_deref()) {
        Some(d) => w.text(&super::html::german_date(d)),
        None => w.missing("Datum der nächsten jährlichen Überprüfung"),
    }
    w.raw(".</p>");

    if super::config::filled(cfg.notes.as_deref()).is_some() {
        w.h2("hinweise", "9. Weitere Festlegungen");
        w.optional_block(cfg.notes.as_deref());
    }
}
