//! Staff passkeys in the UI: the account page that adds and removes them, and signing in with one
//! (alone, or as the second factor after the password or single sign-on).

mod account;
mod sign_in;
mod throttle;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rathaus_store::{now_ms, ChallengePurpose, StoreError};
use serde_json::json;

use crate::webauthn::RelyingParty;
use crate::AppState;

/// How long a challenge handed to the browser stays valid.
pub const CHALLENGE_MS: i64 = 5 * 60 * 1000;
/// How long the browser may take for the ceremony (milliseconds, as WebAuthn's `timeout`).
const CEREMONY_TIMEOUT_MS: i64 = 3 * 60 * 1000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/account/passkeys",
            get(account::page).post(account::register),
        )
        .route("/account/passkeys/challenge", post(account::challenge))
        .route("/account/passkeys/{id}/remove", post(account::remove))
        .route("/login/passkey/challenge", post(sign_in::challenge))
        .route("/login/passkey", post(sign_in::submit))
        .route(
            "/login/mfa/passkey/challenge",
            post(sign_in::second_challenge),
        )
        .route("/login/mfa/passkey", post(sign_in::second_submit))
}

/// The relying party this server is: the host of its public URL.
fn relying_party(state: &AppState) -> Option<RelyingParty> {
    RelyingParty::from_public_url(&state.settings.public_url)
}

/// At most this many challenges of one purpose are outstanding at once (sign-in challenges are handed
/// to anyone who asks; this keeps a flood from filling the table).
const MAX_OUTSTANDING: i64 = 10_000;

/// A fresh random challenge, kept (hashed) for `purpose` and bound to the cookie value `binding`;
/// `None` while too many are outstanding.
async fn new_challenge(
    state: &AppState,
    purpose: ChallengePurpose,
    binding: &str,
    staff_id: Option<i64>,
) -> Result<Option<[u8; 32]>, StoreError> {
    let challenge: [u8; 32] = rand::random();
    let now = now_ms();
    let kept = state
        .store
        .issue_passkey_challenge(
            &challenge,
            purpose,
            binding,
            staff_id,
            now,
            now + CHALLENGE_MS,
            MAX_OUTSTANDING,
        )
        .await?;
    if !kept {
        tracing::warn!(?purpose, "too many passkey challenges outstanding; refused");
    }
    Ok(kept.then_some(challenge))
}

/// The answer when [`new_challenge`] refused: try again in a minute.
fn busy(tr: crate::ui::i18n::Tr) -> Response {
    let mut res = json_error(
        StatusCode::SERVICE_UNAVAILABLE,
        "busy",
        tr.t("passkey.failed"),
    );
    res.headers_mut().insert(
        axum::http::header::RETRY_AFTER,
        axum::http::HeaderValue::from_static("60"),
    );
    res
}

/// A JSON error for the page's script, which shows `message` to the member.
fn json_error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({ "error": code, "message": message }))).into_response()
}
