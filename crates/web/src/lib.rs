//! Rathaus over HTTP: platform webhooks, the staff UI (server-rendered HTML), the JSON API and security headers.
#![deny(clippy::unwrap_used, clippy::panic)]

pub mod api;
pub mod documents;
pub mod headers;
pub mod ical;
pub mod news;
pub mod passwords;
pub mod public;
pub mod reports;
pub mod security;
pub mod serve;
pub mod staged_media;
pub mod ui;
pub mod webauthn;
pub mod webhooks;

use std::sync::Arc;

use axum::Router;
use rathaus_hub::{RegistryHandle, Worker};
use rathaus_store::Store;

/// Limit for any request body; webhooks above it get 413 before anything is parsed or stored.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// How the web layer behaves; built by the binary from the configuration.
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// Public base URL, e.g. "https://rathaus.musterstadt.de" (no trailing slash).
    pub public_url: String,
    /// Whether cookies get `Secure` and the `__Host-` prefix (false only for plain-http loopback).
    pub secure_cookies: bool,
    pub session_idle_ms: i64,
    pub session_absolute_ms: i64,
    /// A request (body included) that takes longer is answered 408: slow clients cannot hold workers.
    pub request_timeout: std::time::Duration,
    /// The request line and headers must arrive within this time, or the connection is closed
    /// (slowloris); used by [`serve::serve`].
    pub header_read_timeout: std::time::Duration,
    /// Per client address (in this process's memory).
    pub api_rate: security::limits::Rate,
    pub webhook_rate: security::limits::Rate,
}

impl WebSettings {
    pub fn for_url(public_url: &str) -> WebSettings {
        let public_url = public_url.trim_end_matches('/').to_string();
        WebSettings {
            secure_cookies: public_url.starts_with("https://"),
            public_url,
            session_idle_ms: 30 * 60 * 1000,
            session_absolute_ms: 12 * 60 * 60 * 1000,
            request_timeout: std::time::Duration::from_secs(30),
            header_read_timeout: std::time::Duration::from_secs(10),
            api_rate: security::limits::Rate {
                per_second: 20.0,
                burst: 200.0,
            },
            // Meta and Telegram deliver in bursts from a few addresses, and a town's intake must take 1,000
            // events/s; forged requests are refused by the signature check anyway. Generous, not unlimited.
            webhook_rate: security::limits::Rate {
                per_second: 2000.0,
                burst: 4000.0,
            },
        }
    }
}

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    /// The registry in force; rebuilt when settings change in the admin UI.
    pub registry: RegistryHandle,
    /// Woken after a webhook queued events, so they are processed at once.
    pub worker: Option<Worker>,
    pub settings: Arc<WebSettings>,
    /// Rendered public news pages and feeds of this process.
    pub public_cache: Arc<news::cache::PublicCache>,
}

/// The whole HTTP surface.
pub fn router(state: AppState) -> Router {
    let limits = Arc::new(security::limits::RateLimits {
        api: security::limits::RateLimiter::new(state.settings.api_rate),
        webhooks: security::limits::RateLimiter::new(state.settings.webhook_rate),
    });
    let routes = Router::new()
        .merge(webhooks::router())
        .merge(public::router())
        .merge(api::router())
        .merge(ui::router(&state))
        .merge(documents::router())
        .merge(reports::router())
        .merge(ical::router())
        .merge(news::router())
        .merge(staged_media::router())
        // Every routed request passes the route × role matrix before its handler runs.
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::guard::enforce,
        ))
        // Before the guard: a flood of API or webhook requests is cut off before any lookup.
        .route_layer(axum::middleware::from_fn_with_state(
            limits,
            security::limits::rate_limit,
        ))
        .with_state(state.clone());
    // Outside the routes, so a municipality's news host can be routed to its pages (news/host.rs).
    Router::new()
        .fallback_service(routes)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            news::host::dispatch,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            state.settings.request_timeout,
        ))
        .layer(axum::middleware::from_fn(security::limits::header_limits))
        .layer(axum::middleware::from_fn_with_state(
            state.settings.clone(),
            headers::security_headers,
        ))
}
