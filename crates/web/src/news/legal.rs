//! Public, read-only legal pages: imprint, privacy notices, usage concepts (the same documents the staff see) and the accessibility statement with a feedback contact.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use rathaus_domain::documents::html::escape;
use rathaus_domain::documents::{self, ChannelInfo, Contact, Context, DocumentKind, Style};
use rathaus_hub::Tenant;

use super::pages::form_encode;
use super::{html_response, not_found, shell, tenant, timestamp, unknown_town, zone};
use crate::AppState;

fn channels(t: &Tenant) -> Vec<ChannelInfo> {
    t.channels
        .iter()
        .map(|c| ChannelInfo {
            kind: c.row.kind,
            name: c.row.name.clone(),
        })
        .collect()
}

/// A document as its own page (with the documents' stylesheet), with links back to the news.
fn document(t: &Tenant, kind: DocumentKind, channel: Option<&str>) -> Response {
    let chans = channels(t);
    let ctx = Context {
        settings: &t.settings,
        documents: &t.settings.documents,
        channels: &chans,
        today: timestamp(rathaus_store::now_ms()).to_zoned(zone(t)).date(),
    };
    let Ok(doc) = documents::render(
        kind,
        channel,
        &ctx,
        Style::Link("/static/documents.css"),
        None,
    ) else {
        return not_found(t);
    };
    let s = escape(&t.row.slug);
    let nav = format!(
        "<body>\n<nav class=\"doc-nav\" aria-label=\"Navigation\"><a href=\"/{s}/\">Zu den Neuigkeiten</a> \
         <a href=\"/{s}/kanaele\">So erreichen Sie uns</a></nav>\n"
    );
    html_response(StatusCode::OK, doc.html.replacen("<body>\n", &nav, 1))
}

/// `GET /{slug}/impressum`
pub async fn imprint(State(state): State<AppState>, Path(slug): Path<String>) -> Response {
    let registry = state.registry.current();
    match tenant(&registry, &slug) {
        Some(t) => document(t, DocumentKind::Imprint, None),
        None => unknown_town(),
    }
}

/// `GET /{slug}/datenschutz/{channel}`: the privacy notice of one messenger channel.
pub async fn privacy_channel(
    State(state): State<AppState>,
    Path((slug, channel)): Path<(String, String)>,
) -> Response {
    let registry = state.registry.current();
    match tenant(&registry, &slug) {
        Some(t) => document(t, DocumentKind::PrivacyNotice, Some(&channel)),
        None => unknown_town(),
    }
}

/// `GET /{slug}/nutzungskonzept/{channel}`
pub async fn usage_concept(
    State(state): State<AppState>,
    Path((slug, channel)): Path<(String, String)>,
) -> Response {
    let registry = state.registry.current();
    match tenant(&registry, &slug) {
        Some(t) => document(t, DocumentKind::UsageConcept, Some(&channel)),
        None => unknown_town(),
    }
}

fn contact_html(c: &Contact) -> Option<String> {
    let mut parts = Vec::new();
    let filled = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    if let Some(n) = filled(&c.name) {
        parts.push(escape(&n));
    }
    if let Some(e) = filled(&c.email) {
        parts.push(format!(
            "E-Mail: <a href=\"mailto:{0}\">{0}</a>",
            escape(&e)
        ));
    }
    if let Some(p) = filled(&c.phone) {
        parts.push(format!("Telefon: {}", escape(&p)));
    }
    if let Some(a) = filled(&c.address) {
        parts.push(escape(&a).replace('\n', ", "));
    }
    (!parts.is_empty()).then(|| parts.join("<br>"))
}

/// Who takes questions about these pages: the editorial office, else the municipality itself.
fn feedback_contact(t: &Tenant) -> Option<String> {
    let d = &t.settings.documents;
    contact_html(&d.editorial).or_else(|| {
        let c = &d.controller;
        contact_html(&Contact {
            name: c.name.clone().or_else(|| Some(t.settings.name.clone())),
            address: c.address.clone(),
            phone: c.phone.clone(),
            email: c.email.clone(),
            website: None,
        })
        .filter(|_| c.email.is_some() || c.phone.is_some() || c.address.is_some())
    })
}

/// `GET /{slug}/datenschutz`: what these pages do with visitors' data, and the notices per channel.
pub async fn privacy(State(state): State<AppState>, Path(slug): Path<String>) -> Response {
    let registry = state.registry.current();
    let Some(t) = tenant(&registry, &slug) else {
        return unknown_town();
    };
    let s = escape(&t.row.slug);
    let mut m = format!(
        "<h1>Datenschutz</h1>\n<h2>Diese Seiten</h2>\n<p>Beim Lesen der Neuigkeiten, der Feeds und dieser Seiten setzt {} \
         keine Cookies, bindet nichts von anderen Servern ein (keine Schriften, Skripte, Videos oder Karten) und wertet \
         Ihre Besuche nicht aus. Links zu sozialen Netzwerken sind einfache Links: Erst wenn Sie ihnen folgen, \
         erfährt das Netzwerk davon.</p>\n",
        escape(&t.settings.name)
    );
    if let Some(c) = contact_html(&t.settings.documents.dpo) {
        m.push_str(&format!("<p>Datenschutzbeauftragte Stelle:<br>{c}</p>\n"));
    }
    if !t.channels.is_empty() {
        m.push_str("<h2>Wenn Sie uns über einen Messenger schreiben</h2>\n<ul>\n");
        for c in channels(t) {
            m.push_str(&format!(
                "<li><a href=\"/{s}/datenschutz/{}\">{}</a></li>\n",
                escape(&form_encode(&c.name)),
                escape(&documents::title(DocumentKind::PrivacyNotice, Some(&c)))
            ));
        }
        m.push_str("</ul>\n");
    }
    html_response(StatusCode::OK, shell(Some(t), "Datenschutz", &m))
}

/// `GET /{slug}/barrierefreiheit`: the accessibility statement (EU 2016/2102, BITV 2.0) with a feedback contact.
pub async fn accessibility(State(state): State<AppState>, Path(slug): Path<String>) -> Response {
    let registry = state.registry.current();
    let Some(t) = tenant(&registry, &slug) else {
        return unknown_town();
    };
    let town = escape(&t.settings.name);
    let contact = feedback_contact(t).unwrap_or_else(|| {
        "<span class=\"missing\">[bitte ergänzen: Kontakt für Rückmeldungen – \
         [municipality.documents.editorial] oder die Kontaktdaten der Gemeinde]</span>"
            .to_string()
    });
    let m = format!(
        "<h1>Erklärung zur Barrierefreiheit</h1>\n\
         <p>{town} ist bemüht, diese Seiten im Einklang mit der Barrierefreie-Informationstechnik-Verordnung (BITV 2.0) \
         und der Richtlinie (EU) 2016/2102 barrierefrei zugänglich zu machen.</p>\n\
         <h2>Stand der Vereinbarkeit</h2>\n\
         <p>Die Neuigkeiten, die Beitragsseiten, die Kanalübersicht und die rechtlichen Seiten werden bei jeder Änderung \
         der Software automatisch nach WCAG 2.1 Stufe AA geprüft (axe-core in einem Browser, auf Bildschirm- und \
         Telefonbreite). Die Seiten funktionieren ohne JavaScript. Jedes Bild in einem Beitrag hat einen Alternativtext: \
         Ein Beitrag ohne ihn kann nicht veröffentlicht werden.</p>\n\
         <p>Eine vollständige manuelle Prüfung steht noch aus; die Seiten sind daher teilweise mit den Anforderungen \
         vereinbar, soweit eine solche Prüfung Mängel findet.</p>\n\
         <h2>Barrieren melden</h2>\n<p>Ist Ihnen eine Barriere aufgefallen, oder brauchen Sie einen Inhalt in anderer Form? \
         Schreiben Sie uns:</p>\n<p>{contact}</p>\n\
         <h2>Durchsetzungsverfahren</h2>\n<p>Antworten wir nicht innerhalb von sechs Wochen oder nicht zufriedenstellend, \
         können Sie sich an die Durchsetzungs- oder Schlichtungsstelle Ihres Landes für barrierefreie \
         Informationstechnik wenden.</p>\n"
    );
    html_response(
        StatusCode::OK,
        shell(Some(t), "Erklärung zur Barrierefreiheit", &m),
    )
}
