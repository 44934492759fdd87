//! Embedded static files (stylesheet, the live view's script) and the health check.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::AppState;

const APP_CSS: &str = include_str!("../../static/app.css");
const LIVE_JS: &str = include_str!("../../static/live.js");
const PASSKEYS_JS: &str = include_str!("../../static/passkeys.js");
const COMPOSER_JS: &str = include_str!("../../static/composer.js");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/static/app.css", get(app_css))
        .route("/static/live.js", get(live_js))
        .route("/static/passkeys.js", get(passkeys_js))
        .route("/static/composer.js", get(composer_js))
        .route("/healthz", get(healthz))
}

async fn app_css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            // Not fingerprinted, so only a day; revalidation is cheap.
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        APP_CSS,
    )
        .into_response()
}

/// The live view's progressive enhancement (same origin, so the CSP's `script-src 'self'` admits it).
async fn live_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        LIVE_JS,
    )
        .into_response()
}

/// Passkey registration and sign-in (`navigator.credentials` needs script; same origin for the CSP).
async fn passkeys_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        PASSKEYS_JS,
    )
        .into_response()
}

/// The composer's live preview and counts (same origin for the CSP; the form works without it).
async fn composer_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        COMPOSER_JS,
    )
        .into_response()
}

/// 200 "ok" when the database answers, 503 otherwise.
async fn healthz(State(state): State<AppState>) -> Response {
    match state.store.staff_count().await {
        Ok(_) => ([(header::CACHE_CONTROL, "no-store")], "ok").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check: database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}
