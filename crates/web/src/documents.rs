//! Staff pages for the documents the authorities ask for: the list per municipality and channel, each document as printable, downloadable HTML.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use rathaus_domain::documents::{self, ChannelInfo, Context, Document, DocumentKind, Nav, Style};
use rathaus_hub::Tenant;
use rathaus_store::Role;
use serde::Deserialize;

use crate::ui::i18n::{Lang, Tr};
use crate::ui::view::{self, Chrome};
use crate::ui::StaffSession;
use crate::AppState;

const CSS: &str = include_str!("../static/documents.css");
const CSS_PATH: &str = "/static/documents.css";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/documents", get(list))
        .route("/documents/{kind}", get(show_municipality))
        .route("/documents/{kind}/{channel}", get(show_channel))
        .route("/static/documents.css", get(css))
}

/// Every role but viewers may read the documents; nothing here changes anything.
fn may_read(role: Role) -> bool {
    role != Role::Viewer
}

fn l(lang: Lang, de: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::De => de,
        Lang::En => en,
    }
}

/// One path segment, percent-encoded (channel names are configuration text).
fn segment(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn href(kind: DocumentKind, channel: Option<&str>) -> String {
    match channel {
        Some(c) => format!("/documents/{}/{}", kind.slug(), segment(c)),
        None => format!("/documents/{}", kind.slug()),
    }
}

fn channels(tenant: &Tenant) -> Vec<ChannelInfo> {
    tenant
        .channels
        .iter()
        .map(|c| ChannelInfo {
            kind: c.row.kind,
            name: c.row.name.clone(),
        })
        .collect()
}

/// Today in the municipality's time zone.
fn today(timezone: &str) -> jiff::civil::Date {
    let tz = jiff::tz::TimeZone::get(timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    jiff::Timestamp::now().to_zoned(tz).date()
}

fn render(
    tenant: &Tenant,
    kind: DocumentKind,
    channel: Option<&str>,
    style: Style<'_>,
    nav: Option<Nav<'_>>,
) -> Option<Document> {
    let chans = channels(tenant);
    let ctx = Context {
        settings: &tenant.settings,
        documents: &tenant.settings.documents,
        channels: &chans,
        today: today(&tenant.settings.timezone),
    };
    documents::render(kind, channel, &ctx, style, nav).ok()
}

/// The signed-in member's tenant, or the response to send instead (403 for viewers, 404 if unconfigured).
async fn tenant<'a>(
    registry: &'a rathaus_hub::Registry,
    state: &AppState,
    session: &StaffSession,
) -> Result<&'a Tenant, Response> {
    if !may_read(session.info.role) {
        let chrome = session.chrome(state, "/documents").await;
        return Err(view::forbidden(session.tr(), Some(chrome)));
    }
    match registry.tenant(session.info.municipality_id) {
        Some(t) => Ok(t),
        None => Err(not_found(state, session).await),
    }
}

async fn not_found(state: &AppState, session: &StaffSession) -> Response {
    let chrome = session.chrome(state, "/documents").await;
    view::not_found(session.tr(), Some(chrome))
}

struct Row {
    title: String,
    summary: &'static str,
    href: String,
    download: String,
    status: String,
    complete: bool,
}

struct Group {
    heading: String,
    rows: Vec<Row>,
}

#[derive(Template)]
#[template(path = "documents.html")]
struct ListPage {
    tr: Tr,
    chrome: Option<Chrome>,
    flash: Option<String>,
    error: Option<String>,
    heading: &'static str,
    intro: &'static str,
    download_label: &'static str,
    groups: Vec<Group>,
}

fn status_text(lang: Lang, doc: &Document) -> String {
    let mut parts = Vec::new();
    match (doc.missing.len(), lang) {
        (0, _) => {}
        (1, Lang::De) => parts.push("1 Angabe fehlt".to_string()),
        (n, Lang::De) => parts.push(format!("{n} Angaben fehlen")),
        (1, Lang::En) => parts.push("1 detail missing".to_string()),
        (n, Lang::En) => parts.push(format!("{n} details missing")),
    }
    match (doc.review, lang) {
        (0, _) => {}
        (1, Lang::De) => parts.push("1 Stelle zu prüfen".to_string()),
        (n, Lang::De) => parts.push(format!("{n} Stellen zu prüfen")),
        (1, Lang::En) => parts.push("1 passage to review".to_string()),
        (n, Lang::En) => parts.push(format!("{n} passages to review")),
    }
    if parts.is_empty() {
        l(lang, "vollständig", "complete").to_string()
    } else {
        parts.join(" · ")
    }
}

fn row(tenant: &Tenant, lang: Lang, kind: DocumentKind, channel: Option<&str>) -> Option<Row> {
    let doc = render(tenant, kind, channel, Style::Link(CSS_PATH), None)?;
    let href = href(kind, channel);
    Some(Row {
        status: status_text(lang, &doc),
        complete: doc.missing.is_empty() && doc.review == 0,
        title: doc.title,
        summary: kind.summary(),
        download: format!("{href}?download=1"),
        href,
    })
}

/// `GET /documents`: every document of the member's municipality with what is still missing.
async fn list(State(state): State<AppState>, session: StaffSession) -> Response {
    let registry = state.registry.current();
    let t = match tenant(&registry, &state, &session).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let tr = session.tr();
    let lang = tr.lang;
    let mut groups = vec![Group {
        heading: l(lang, "Für die Gemeinde", "For the municipality").to_string(),
        rows: [DocumentKind::Record, DocumentKind::Imprint]
            .into_iter()
            .filter_map(|k| row(t, lang, k, None))
            .collect(),
    }];
    for c in channels(t) {
        groups.push(Group {
            heading: format!("{} – „{}“", c.kind.label(), c.name),
            rows: [DocumentKind::UsageConcept, DocumentKind::PrivacyNotice]
                .into_iter()
                .filter_map(|k| row(t, lang, k, Some(&c.name)))
                .collect(),
        });
    }
    // Texts for a channel name that does not exist would silently never appear: say so.
    let unknown: Vec<&str> = t
        .settings
        .documents
        .channel
        .iter()
        .map(|c| c.name.as_str())
        .filter(|n| !t.channels.iter().any(|c| c.row.name == *n))
        .collect();
    let error = (!unknown.is_empty()).then(|| {
        format!(
            "{} {}",
            l(
                lang,
                "Texte in [[municipality.documents.channel]] für unbekannte Kanäle werden nicht verwendet:",
                "Texts in [[municipality.documents.channel]] for unknown channels are not used:"
            ),
            unknown.join(", ")
        )
    });
    let page = ListPage {
        tr,
        chrome: Some(session.chrome(&state, "/documents").await),
        flash: None,
        error,
        heading: l(
            lang,
            "Dokumente für die Aufsichtsbehörden",
            "Documents for the supervisory authorities",
        ),
        intro: l(
            lang,
            "Die Dokumente entstehen aus der Konfiguration ([municipality.documents] in der Konfigurationsdatei). \
             Fehlende Angaben erscheinen als „[bitte ergänzen: …]“, Angaben über die Plattformbetreiber als \
             „[bitte prüfen: …]“. Jedes Dokument lässt sich drucken und als HTML-Datei herunterladen.",
            "The documents are generated from the configuration ([municipality.documents] in the configuration \
             file). Missing details appear as “[bitte ergänzen: …]”, statements about the platform operators as \
             “[bitte prüfen: …]”. Every document can be printed and downloaded as an HTML file. The documents \
             themselves are in German.",
        ),
        download_label: l(lang, "Als HTML herunterladen", "Download as HTML"),
        groups,
    };
    no_store(view::render(StatusCode::OK, &page))
}

#[derive(Deserialize)]
struct DownloadQuery {
    download: Option<String>,
}

async fn show_municipality(
    State(state): State<AppState>,
    session: StaffSession,
    Path(kind): Path<String>,
    Query(q): Query<DownloadQuery>,
) -> Response {
    show(&state, &session, &kind, None, &q).await
}

async fn show_channel(
    State(state): State<AppState>,
    session: StaffSession,
    Path((kind, channel)): Path<(String, String)>,
    Query(q): Query<DownloadQuery>,
) -> Response {
    show(&state, &session, &kind, Some(&channel), &q).await
}

/// `GET /documents/{kind}[/{channel}]`: the document as a page; `?download=1` as a self-contained file.
async fn show(
    state: &AppState,
    session: &StaffSession,
    kind: &str,
    channel: Option<&str>,
    q: &DownloadQuery,
) -> Response {
    let registry = state.registry.current();
    let t = match tenant(&registry, state, session).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let Some(kind) = DocumentKind::parse(kind) else {
        return not_found(state, session).await;
    };
    let download = q.download.as_deref() == Some("1");
    let download_href = format!("{}?download=1", href(kind, channel));
    let (style, nav) = if download {
        (Style::Embed(CSS), None)
    } else {
        (
            Style::Link(CSS_PATH),
            Some(Nav {
                back_href: "/documents",
                download_href: &download_href,
            }),
        )
    };
    let Some(doc) = render(t, kind, channel, style, nav) else {
        return not_found(state, session).await;
    };
    let mut res = (StatusCode::OK, doc.html).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    if download {
        // The file name is built from the slug and a sanitised channel name: plain ASCII.
        if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", doc.filename))
        {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
    }
    no_store(res)
}

fn no_store(mut res: Response) -> Response {
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        CSS,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_names_are_encoded_in_links() {
        assert_eq!(segment("buergerbot"), "buergerbot");
        assert_eq!(segment("wa <1>/x"), "wa%20%3C1%3E%2Fx");
        assert_eq!(
            href(DocumentKind::UsageConcept, Some("whatsapp")),
            "/documents/nutzungskonzept/whatsapp"
        );
        assert_eq!(href(DocumentKind::Imprint, None), "/documents/impressum");
        assert!(!may_read(Role::Viewer));
        assert!(Role::ALL
            .into_iter()
            .filter(|r| *r != Role::Viewer)
            .all(may_read));
    }
}
