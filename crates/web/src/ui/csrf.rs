//! Cross-site request forgery protection: state-changing UI requests must come from our own pages.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::WebSettings;

/// Rejects (403) any non-safe request that a browser marks as cross-site, or whose `Origin` is foreign.
pub async fn same_origin_posts(
    State(settings): State<Arc<WebSettings>>,
    req: Request,
    next: Next,
) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        || is_same_origin(req.headers(), &settings.public_url)
    {
        return next.run(req).await;
    }
    tracing::warn!(path = %req.uri().path(), "cross-site form submission refused");
    (
        StatusCode::FORBIDDEN,
        "Anfrage von fremder Seite abgelehnt. / Cross-site request refused.",
    )
        .into_response()
}

/// Host (with port) of an origin such as `https://rathaus.example:8443`.
fn origin_host(origin: &str) -> Option<&str> {
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))?;
    let host = rest.split('/').next()?;
    (!host.is_empty()).then_some(host)
}

pub fn is_same_origin(headers: &HeaderMap, public_url: &str) -> bool {
    let value = |name| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = value(header::HeaderName::from_static("sec-fetch-site")) {
        // "none" is a user typing the address or using a bookmark; anything else than our own origin is refused.
        return matches!(site, "same-origin" | "none");
    }
    let Some(origin) = value(header::ORIGIN).and_then(origin_host) else {
        return false;
    };
    let host_matches = value(header::HOST).is_some_and(|h| h.eq_ignore_ascii_case(origin));
    let public_matches = origin_host(public_url).is_some_and(|p| p.eq_ignore_ascii_case(origin));
    host_matches || public_matches
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    const PUBLIC: &str = "https://rathaus.example";

    #[test]
    fn fetch_metadata_decides_when_present() {
        assert!(is_same_origin(
            &headers(&[("sec-fetch-site", "same-origin")]),
            PUBLIC
        ));
        assert!(is_same_origin(
            &headers(&[("sec-fetch-site", "none")]),
            PUBLIC
        ));
        assert!(!is_same_origin(
            &headers(&[("sec-fetch-site", "cross-site")]),
            PUBLIC
        ));
        assert!(!is_same_origin(
            &headers(&[("sec-fetch-site", "same-site")]),
            PUBLIC
        ));
        // A matching Origin does not overrule a browser that says cross-site.
        assert!(!is_same_origin(
            &headers(&[
                ("sec-fetch-site", "cross-site"),
                ("origin", "https://rathaus.example"),
                ("host", "rathaus.example")
            ]),
            PUBLIC
        ));
    }

    #[test]
    fn origin_must_match_host_or_public_url_without_fetch_metadata() {
        assert!(is_same_origin(
            &headers(&[
                ("origin", "http://127.0.0.1:8080"),
                ("host", "127.0.0.1:8080")
            ]),
            PUBLIC
        ));
        assert!(is_same_origin(
            &headers(&[
                ("origin", "https://rathaus.example"),
                ("host", "10.0.0.5:8080")
            ]),
            PUBLIC
        ));
        assert!(!is_same_origin(
            &headers(&[
                ("origin", "https://evil.example"),
                ("host", "rathaus.example")
            ]),
            PUBLIC
        ));
        assert!(!is_same_origin(
            &headers(&[("origin", "null"), ("host", "rathaus.example")]),
            PUBLIC
        ));
        assert!(!is_same_origin(
            &headers(&[("host", "rathaus.example")]),
            PUBLIC
        ));
    }
}
