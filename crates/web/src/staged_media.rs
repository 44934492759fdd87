//! `GET /medien/{token}`: images staged for a platform that fetches them itself (Instagram), reachable under an unguessable token only while a post is being published — no cookies, not cached, not indexed.

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use rathaus_channels::staging;

use crate::AppState;

/// The route; the store is the process-wide one the Instagram adapters stage into.
pub fn router() -> Router<AppState> {
    Router::new().route("/medien/{token}", get(image))
}

async fn image(Path(token): Path<String>) -> Response {
    let Some(image) = staging::shared().get(&token) else {
        return (
            StatusCode::NOT_FOUND,
            "Bild nicht (mehr) verfügbar. / Image not (or no longer) available.",
        )
            .into_response();
    };
    let mut res = image.bytes.as_ref().clone().into_response();
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&image.mime) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("x-robots-tag", HeaderValue::from_static("noindex"));
    res
}
