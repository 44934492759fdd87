//! Staff UI: server-rendered HTML pages that work without JavaScript, German first, English per user.

pub(crate) mod admin;
mod assets;
pub(crate) mod audit;
pub(crate) mod auth;
mod concern;
pub(crate) mod concern_team;
mod csrf;
pub mod i18n;
mod inbox;
mod live;
mod login;
mod login_mfa;
mod login_sso;
pub(crate) mod media;
mod mfa;
mod municipality_switch;
mod passkeys;
#[doc(hidden)]
// Public only for the fuzz target of its multipart reader (fuzz/fuzz_targets/multipart_form.rs).
pub mod posts;
pub(crate) mod privacy;
pub(crate) mod promise;
mod sessions;
mod settings;
mod setup;
pub(crate) mod view;

use axum::http::header::{self, HeaderValue};
use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

pub use auth::{session_cookie_name, StaffSession};

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(auth::root))
        .route("/login", get(auth::login_form).post(login::submit))
        .route("/login/mfa", get(login_mfa::form).post(login_mfa::submit))
        .route("/login/oidc/start", get(login_sso::start))
        .route("/login/oidc/callback", get(login_sso::callback))
        .route("/logout", post(auth::logout))
        .route("/language", post(auth::set_language))
        .route("/account/mfa", get(mfa::show).post(mfa::confirm))
        .route("/account/mfa/recovery-codes", post(mfa::renew_codes))
        .route("/account/mfa/session", post(mfa::confirm_session))
        .route("/account/mfa/disable", post(mfa::disable))
        .route("/account/sessions", get(sessions::list))
        .route("/account/sessions/{reference}/end", post(sessions::end))
        .route("/account/sessions/end-all", post(sessions::end_all))
        .route("/account/gemeinde", post(municipality_switch::switch))
        .route("/inbox", get(inbox::inbox))
        .route("/concerns/{id}", get(concern::show))
        .route("/concerns/{id}/reply", post(concern::reply))
        .route("/concerns/{id}/note", post(concern::note))
        .route("/concerns/{id}/assign", post(concern::assign))
        .route("/concerns/{id}/status", post(concern::status))
        .route("/concerns/{id}/team", post(concern_team::move_to_team))
        .route("/concerns/{id}/media/{media_id}", get(media::download))
        .route("/sprechstunde", get(live::show))
        .route("/sprechstunde/next", get(live::next))
        .route("/setup/{token}", get(setup::form).post(setup::create_admin))
        .merge(privacy::router())
        .merge(admin::router())
        .merge(settings::router())
        .merge(posts::router())
        .merge(passkeys::router())
        // Pages carry personal data: never keep them in a shared or browser cache.
        .layer(
            tower_http::set_header::SetResponseHeaderLayer::if_not_present(
                header::CACHE_CONTROL,
                HeaderValue::from_static("no-store"),
            ),
        )
        .layer(axum::middleware::from_fn_with_state(
            state.settings.clone(),
            csrf::same_origin_posts,
        ))
        // Static files and the health check change nothing and need no CSRF check.
        .merge(assets::router())
}
