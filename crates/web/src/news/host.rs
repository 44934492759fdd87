//! A municipality's own news host (`news_host`): its public news pages at the root of that host, and nothing else there.
//!
//! A request whose `Host` (case-insensitive, port ignored) is a municipality's news host is routed
//! as the same request under `/{slug}/…` would be; the staff UI, the API and webhooks are not
//! served on that host (404), so the town's public host never shows a login. HTML answers get their
//! site links (`="/{slug}/…`) without the slug and a canonical link on the host; the feeds build
//! their links for the host themselves (see [`NewsHost`]) and keep their entry ids. Requests for
//! other hosts pass unchanged.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rathaus_domain::documents::html::escape;

use crate::AppState;

/// Larger HTML answers are not rewritten (news pages are far smaller).
const MAX_HTML: usize = 4 * 1024 * 1024;

/// Set on a request that arrived on a municipality's news host (only by [`dispatch`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewsHost {
    /// The host name as configured, e.g. "aktuelles.musterstadt.de".
    pub host: String,
}

impl NewsHost {
    /// The absolute base of the pages on this host: the town's reverse proxy serves it over TLS.
    pub fn base(&self) -> String {
        format!("https://{}", self.host)
    }
}

/// The `Host` of a request (HTTP/2: the authority), lower-case, without port and trailing dot.
pub fn request_host(headers: &HeaderMap, uri: &Uri) -> Option<String> {
    let raw = match headers.get(header::HOST) {
        Some(h) => h.to_str().ok()?.trim(),
        None => uri.authority()?.as_str(),
    };
    let name = match raw.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => raw,
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    (!name.is_empty()).then_some(name)
}

/// The public news paths as they are on the news host (`/`, `/beitrag/7`, …).
fn is_news_path(path: &str) -> bool {
    matches!(
        path,
        "/" | "/feed.atom"
            | "/feed.json"
            | "/kanaele"
            | "/impressum"
            | "/datenschutz"
            | "/barrierefreiheit"
            | "/netiquette"
            | "/sprechstunden.ics"
    ) || [
        "/beitrag/",
        "/bilder/",
        "/datenschutz/",
        "/nutzungskonzept/",
    ]
    .iter()
    .any(|p| path.strip_prefix(p).is_some_and(|rest| !rest.is_empty()))
}

/// Routes requests on a news host to the municipality's pages; see the module comment.
pub async fn dispatch(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    req.extensions_mut().remove::<NewsHost>();
    let Some(host) = request_host(req.headers(), req.uri()) else {
        return next.run(req).await;
    };
    let path = req.uri().path().to_string();
    let (slug, refused) = {
        let registry = state.registry.current();
        match registry.tenant_by_news_host(&host) {
            // Anything but the news: the town's own 404 page, with its links on the host.
            Some(t) => (
                t.row.slug.clone(),
                (!is_news_path(&path)).then(|| super::not_found(t)),
            ),
            None => return next.run(req).await,
        }
    };
    // The stylesheets of the news and legal pages; nothing else of /static (the staff UI's scripts).
    if path == "/static/news.css" || path == "/static/documents.css" {
        return next.run(req).await;
    }
    if let Some(res) = refused {
        return on_host(res, &slug, None).await;
    }
    let query = req
        .uri()
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    let Ok(uri) = format!("/{slug}{path}{query}").parse::<Uri>() else {
        return super::unknown_town();
    };
    *req.uri_mut() = uri;
    let site = NewsHost { host };
    let canonical = format!("{}{path}{query}", site.base());
    req.extensions_mut().insert(site);
    on_host(next.run(req).await, &slug, Some(&canonical)).await
}

/// An HTML answer made for `/{slug}/…` as the news host serves it (see [`for_host`]); others unchanged.
/// Only a `200 OK` page gets the canonical link.
async fn on_host(res: Response, slug: &str, canonical: Option<&str>) -> Response {
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !is_html {
        return res;
    }
    let canonical = canonical.filter(|_| res.status() == StatusCode::OK);
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_HTML).await else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let html = for_host(&String::from_utf8_lossy(&bytes), slug, canonical);
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::ETAG);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    Response::from_parts(parts, Body::from(html))
}

/// The page's site links without the slug, and a canonical link to the page on the host if given.
/// Post texts cannot contain `="/` (quotes are escaped), so only attributes written by the pages change.
fn for_host(html: &str, slug: &str, canonical: Option<&str>) -> String {
    let html = html.replace(&format!("=\"/{slug}/"), "=\"/");
    let Some(canonical) = canonical else {
        return html;
    };
    let link = format!(
        "<link rel=\"canonical\" href=\"{}\">\n</head>",
        escape(canonical)
    );
    html.replacen("</head>", &link, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_is_lower_case_without_port() {
        let mut h = HeaderMap::new();
        h.insert(
            header::HOST,
            HeaderValue::from_static("Aktuelles.Musterstadt.DE:8443"),
        );
        let path = Uri::from_static("/");
        assert_eq!(
            request_host(&h, &path).as_deref(),
            Some("aktuelles.musterstadt.de")
        );
        h.insert(header::HOST, HeaderValue::from_static("musterstadt.de."));
        assert_eq!(request_host(&h, &path).as_deref(), Some("musterstadt.de"));
        assert_eq!(request_host(&HeaderMap::new(), &path), None);
        let h2 = Uri::from_static("https://Aktuelles.Musterstadt.de/feed.atom");
        assert_eq!(
            request_host(&HeaderMap::new(), &h2).as_deref(),
            Some("aktuelles.musterstadt.de")
        );
    }

    #[test]
    fn only_the_news_paths_are_served_on_the_host() {
        for p in [
            "/",
            "/beitrag/3",
            "/bilder/9",
            "/feed.atom",
            "/datenschutz/wa",
        ] {
            assert!(is_news_path(p), "{p}");
        }
        for p in [
            "/login",
            "/api/v1/posts",
            "/beitrag/",
            "/webhooks/whatsapp",
            "/musterstadt/",
        ] {
            assert!(!is_news_path(p), "{p}");
        }
    }

    #[test]
    fn links_lose_the_slug_and_the_page_gets_a_canonical_link() {
        let html = "<head><title>x</title></head><a href=\"/m/beitrag/1\">/m/ Text</a><form action=\"/m/\">";
        assert_eq!(
            for_host(html, "m", Some("https://a.example.de/?q=a&b")),
            "<head><title>x</title><link rel=\"canonical\" href=\"https://a.example.de/?q=a&amp;b\">\n</head>\
             <a href=\"/beitrag/1\">/m/ Text</a><form action=\"/\">"
        );
    }
}
