//! The town's own public pages: news list, post pages, images, Atom and JSON feeds, channel directory and legal pages — no cookies, no scripts, nothing from other hosts.

pub mod cache;
mod directory;
mod feeds;
pub mod host;
mod legal;
mod netiquette;
mod pages;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use rathaus_domain::documents::html::escape;
use rathaus_hub::Tenant;
use sha2::{Digest, Sha256};

use crate::AppState;

const CSS: &str = include_str!("../../static/news.css");
/// Posts per page of the list.
pub const PAGE_SIZE: i64 = 10;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/{slug}/", get(pages::list))
        .route("/{slug}/beitrag/{id}", get(pages::post))
        .route("/{slug}/bilder/{id}", get(pages::image))
        .route("/{slug}/feed.atom", get(feeds::atom))
        .route("/{slug}/feed.json", get(feeds::json))
        .route("/{slug}/kanaele", get(directory::page))
        .route("/{slug}/impressum", get(legal::imprint))
        .route("/{slug}/datenschutz", get(legal::privacy))
        .route("/{slug}/datenschutz/{channel}", get(legal::privacy_channel))
        .route(
            "/{slug}/nutzungskonzept/{channel}",
            get(legal::usage_concept),
        )
        .route("/{slug}/barrierefreiheit", get(legal::accessibility))
        .route("/{slug}/netiquette", get(netiquette::page))
        .route("/static/news.css", get(css))
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

/// The municipality of a public URL.
fn tenant<'a>(registry: &'a rathaus_hub::Registry, slug: &str) -> Option<&'a Tenant> {
    registry.tenant_by_slug(slug)
}

/// The 404 page for a municipality that does not exist here.
fn unknown_town() -> Response {
    html_response(
        StatusCode::NOT_FOUND,
        shell(
            None,
            "Seite nicht gefunden",
            "<h1>Seite nicht gefunden</h1><p>Diese Gemeinde oder Seite gibt es hier nicht.</p>",
        ),
    )
}

/// A 404 inside a municipality's pages.
fn not_found(tenant: &Tenant) -> Response {
    html_response(
        StatusCode::NOT_FOUND,
        shell(
            Some(tenant),
            "Seite nicht gefunden",
            &format!(
                "<h1>Seite nicht gefunden</h1><p>Diese Seite gibt es nicht (mehr). \
                 <a href=\"/{}/\">Zu den Neuigkeiten</a></p>",
                escape(&tenant.row.slug)
            ),
        ),
    )
}

fn internal_error(e: &dyn std::fmt::Display) -> Response {
    tracing::error!(error = %e, "public page failed");
    html_response(
        StatusCode::SERVICE_UNAVAILABLE,
        shell(
            None,
            "Vorübergehend nicht verfügbar",
            "<h1>Vorübergehend nicht verfügbar</h1><p>Bitte versuchen Sie es später noch einmal.</p>",
        ),
    )
}

fn html_response(status: StatusCode, html: String) -> Response {
    let mut res = (status, html).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    res
}

/// The page around `main`: skip link, header with the town and navigation, footer with the legal
/// links and feeds. Only this host's stylesheet; no script, no font, no image from elsewhere.
fn shell(tenant: Option<&Tenant>, title: &str, main: &str) -> String {
    let mut h = String::with_capacity(main.len() + 2048);
    h.push_str("<!doctype html>\n<html lang=\"de\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let town = tenant
        .map(|t| t.settings.name.as_str())
        .unwrap_or("Rathaus");
    h.push_str(&format!(
        "<title>{} – {}</title>\n<link rel=\"stylesheet\" href=\"/static/news.css\">\n<link rel=\"icon\" href=\"data:,\">\n",
        escape(title),
        escape(town)
    ));
    if let Some(t) = tenant {
        let s = escape(&t.row.slug);
        h.push_str(&format!(
            "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"Neuigkeiten (Atom)\" href=\"/{s}/feed.atom\">\n\
             <link rel=\"alternate\" type=\"application/feed+json\" title=\"Neuigkeiten (JSON Feed)\" href=\"/{s}/feed.json\">\n"
        ));
    }
    h.push_str("</head>\n<body>\n<a class=\"skip\" href=\"#main\">Zum Inhalt springen</a>\n");
    if let Some(t) = tenant {
        let s = escape(&t.row.slug);
        h.push_str(&format!(
            "<header class=\"site\"><p class=\"town\"><a href=\"/{s}/\">{}</a></p>\
             <nav aria-label=\"Hauptnavigation\"><ul><li><a href=\"/{s}/\">Neuigkeiten</a></li>\
             <li><a href=\"/{s}/kanaele\">So erreichen Sie uns</a></li></ul></nav></header>\n",
            escape(town)
        ));
    }
    h.push_str("<main id=\"main\">\n");
    h.push_str(main);
    h.push_str("\n</main>\n");
    if let Some(t) = tenant {
        let s = escape(&t.row.slug);
        h.push_str(&format!(
            "<footer class=\"site\"><nav aria-label=\"Rechtliches und Feeds\"><ul>\
             <li><a href=\"/{s}/impressum\">Impressum</a></li>\
             <li><a href=\"/{s}/datenschutz\">Datenschutz</a></li>\
             <li><a href=\"/{s}/barrierefreiheit\">Barrierefreiheit</a></li>\
             <li><a href=\"/{s}/netiquette\">Netiquette</a></li>\
             <li><a href=\"/{s}/feed.atom\">Atom-Feed</a></li>\
             <li><a href=\"/{s}/feed.json\">JSON-Feed</a></li></ul></nav>\
             <p>Diese Seiten setzen keine Cookies und laden nichts von anderen Servern.</p></footer>\n"
        ));
    }
    h.push_str("</body>\n</html>\n");
    h
}

fn zone(tenant: &Tenant) -> TimeZone {
    TimeZone::get(&tenant.settings.timezone).unwrap_or(TimeZone::UTC)
}

fn timestamp(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// `<time>` with the local German date and time.
fn time_element(tenant: &Tenant, ms: i64) -> String {
    let local = timestamp(ms).to_zoned(zone(tenant));
    format!(
        "<time datetime=\"{}\">{}</time>",
        local.strftime("%Y-%m-%dT%H:%M:%S%:z"),
        local.strftime("%d.%m.%Y, %H:%M Uhr")
    )
}

/// A post's title: its first line, cut at a word before 90 characters.
fn title_of(text: &str) -> String {
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("Beitrag");
    if first.chars().count() <= 90 {
        return first.to_string();
    }
    let cut: String = first.chars().take(90).collect();
    let at = cut.rfind(' ').filter(|i| *i > 40).unwrap_or(cut.len());
    format!("{}…", cut[..at].trim_end())
}

/// Sends `body` with an ETag (hash of the body) and Last-Modified; 304 without body when the client
/// already has it (If-None-Match wins over If-Modified-Since, as RFC 9110 says).
fn conditional(
    req: &HeaderMap,
    content_type: &'static str,
    body: String,
    last_modified_ms: i64,
) -> Response {
    let digest = Sha256::digest(body.as_bytes());
    let etag = format!("\"{}\"", hex::encode(&digest[..16]));
    let modified = jiff::fmt::rfc2822::DateTimePrinter::new()
        .timestamp_to_rfc9110_string(&timestamp(last_modified_ms))
        .unwrap_or_default();
    let not_modified = match req.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) {
        Some(tags) => tags
            .split(',')
            .map(|t| t.trim().trim_start_matches("W/"))
            .any(|t| t == etag || t == "*"),
        None => req
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| jiff::fmt::rfc2822::parse(v).ok())
            .is_some_and(|since| {
                since.timestamp().as_second() >= last_modified_ms.div_euclid(1000)
            }),
    };
    let mut res = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = body.into_response();
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        r
    };
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&modified) {
        h.insert(header::LAST_MODIFIED, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_the_first_line_cut_at_a_word() {
        assert_eq!(
            title_of("\n  Straßenfest am Samstag\nMehr Text"),
            "Straßenfest am Samstag"
        );
        let long = "Wort ".repeat(30);
        let t = title_of(&long);
        assert!(t.ends_with('…') && t.chars().count() <= 91, "{t}");
        assert_eq!(title_of(""), "Beitrag");
    }

    #[test]
    fn conditional_get_answers_304_for_a_matching_tag_or_date() {
        let body = "feed".to_string();
        let fresh = conditional(
            &HeaderMap::new(),
            "text/plain",
            body.clone(),
            1_700_000_000_500,
        );
        assert_eq!(fresh.status(), StatusCode::OK);
        let etag = fresh.headers()[header::ETAG].clone();
        let modified = fresh.headers()[header::LAST_MODIFIED].clone();
        assert_eq!(
            modified.to_str().unwrap_or(""),
            "Tue, 14 Nov 2023 22:13:20 GMT"
        );
        let mut h = HeaderMap::new();
        h.insert(header::IF_NONE_MATCH, etag);
        assert_eq!(
            conditional(&h, "text/plain", body.clone(), 0).status(),
            StatusCode::NOT_MODIFIED
        );
        let mut h = HeaderMap::new();
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"other\""));
        h.insert(header::IF_MODIFIED_SINCE, modified.clone());
        assert_eq!(
            conditional(&h, "text/plain", body.clone(), 1_700_000_000_500).status(),
            StatusCode::OK
        );
        let mut h = HeaderMap::new();
        h.insert(header::IF_MODIFIED_SINCE, modified);
        assert_eq!(
            conditional(&h, "text/plain", body.clone(), 1_700_000_000_500).status(),
            StatusCode::NOT_MODIFIED
        );
        assert_eq!(
            conditional(&h, "text/plain", body, 1_700_000_001_000).status(),
            StatusCode::OK
        );
    }
}
