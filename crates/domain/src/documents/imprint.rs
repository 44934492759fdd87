//! The imprint (§ 5 DDG, § 18(2) MStV) for the municipality's channels.

use super::config::filled;
use super::facts::{self, controller_name};
use super::html::Writer;
use super::Context;

pub fn write(w: &mut Writer, ctx: &Context<'_>) {
    let d = ctx.documents;
    let c = &d.controller;

    w.h2("anbieter", "Anbieter (§ 5 Digitale-Dienste-Gesetz)");
    w.raw("<p>");
    w.text(controller_name(ctx));
    w.raw("<br>");
    w.text(filled(d.legal_form.as_deref()).unwrap_or("Körperschaft des öffentlichen Rechts"));
    w.raw("<br>");
    w.value(c.address.as_deref(), "Anschrift der Gemeinde");
    w.raw("</p>");
    w.table("Angaben zum Anbieter");
    w.row("Vertreten durch", |w| {
        w.value(
            c.representative.as_deref(),
            "gesetzliche Vertretung (z. B. Bürgermeisterin/Bürgermeister)",
        )
    });
    w.row("Telefon", |w| {
        w.value(c.phone.as_deref(), "Telefonnummer der Gemeinde")
    });
    w.row("E-Mail", |w| {
        w.email(c.email.as_deref(), "E-Mail-Adresse der Gemeinde")
    });
    if filled(c.website.as_deref()).is_some() {
        w.row("Internet", |w| w.url(c.website.as_deref(), ""));
    }
    if let Some(vat) = filled(d.vat_id.as_deref()) {
        w.row("Umsatzsteuer-Identifikationsnummer", |w| w.text(vat));
    }
    w.row("Aufsichtsbehörde", |w| {
        w.value(
            d.legal_supervision.as_deref(),
            "Rechtsaufsichtsbehörde mit Anschrift",
        )
    });
    w.end_table();

    w.h2(
        "inhalt",
        "Verantwortlich für den Inhalt (§ 18 Abs. 2 Medienstaatsvertrag)",
    );
    w.raw("<p>");
    facts::contact(
        w,
        &d.editorial,
        "der inhaltlich verantwortlichen Person",
        true,
    );
    w.raw("</p>");

    w.h2("geltung", "Geltungsbereich");
    if ctx.channels.is_empty() {
        w.raw("<p>Dieses Impressum gilt für die Auftritte der Gemeinde in Messenger-Diensten.</p>");
    } else {
        w.raw("<p>Dieses Impressum gilt für folgende Kanäle der Gemeinde:</p><ul>");
        for ch in ctx.channels {
            w.raw("<li>");
            w.text(&format!("{} – „{}“", ch.kind.label(), ch.name));
            w.raw("</li>");
        }
        w.raw("</ul>");
    }
    w.raw(
        "<p>Informationen zur Verarbeitung personenbezogener Daten enthalten die Datenschutzhinweise des \
         jeweiligen Kanals.</p>",
    );
    if filled(d.imprint_notes.as_deref()).is_some() {
        w.h2("hinweise", "Weitere Hinweise");
        w.optional_block(d.imprint_notes.as_deref());
    }
}
