//! `GET /medien/{token}`: images staged for a platform that fetches them itself (Instagram), reachable under an unguessable token only while a post is being published — no cookies, not cached, not indexed.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use rathaus_channels::staging;
use rathaus_store::now_ms;

use crate::AppState;

/// The route; images come from the store, where the worker (in this or another process) staged them.
pub fn router() -> Router<AppState> {
    Router::new().route("/medien/{token}", get(image))
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        "Bild nicht (mehr) verfügbar. / Image not (or no longer) available.",
    )
        .into_response()
}

async fn image(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    if !staging::plausible_token(&token) {
        return not_found();
    }
    let image = match state.store.staged_media(&token, now_ms()).await {
        Ok(Some(image)) => image,
        Ok(None) => return not_found(),
        Err(e) => {
            tracing::error!(error = %e, "reading a staged image failed");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "Bild gerade nicht lesbar. / Image cannot be read right now.",
            )
                .into_response();
        }
    };
    let mut res = image.bytes.into_response();
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&image.mime) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("x-robots-tag", HeaderValue::from_static("noindex"));
    res
}
