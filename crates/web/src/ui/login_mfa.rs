//! The second sign-in step: the code from the authenticator app, or a recovery code, for a pending login.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::header::{self, HeaderMap};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use rathaus_store::{now_ms, truncate_ip, PendingLogin, SecondFactor, SignIn};
use serde::Deserialize;

use super::audit::{self, Actor};
use super::auth::{cookie_value, session_cookie_name, set_cookie};
use super::i18n::{Lang, Tr};
use super::login::{locked_page, signed_in, Attempt};
use super::sessions::Origin;
use super::view::{self, Chrome};
use crate::security::client::ClientAddr;
use crate::security::totp;
use crate::AppState;

#[derive(Template)]
#[template(path = "login_mfa.html")]
struct CodeStepPage {
    tr: Tr,
    chrome: Option<Chrome>,
    flash: Option<String>,
    error: Option<String>,
    /// The member has a passkey: offer it instead of the code.
    passkey: bool,
    /// The member has the app or recovery codes: show the code form (a member with only passkeys
    /// has nothing to type).
    code: bool,
}

#[derive(Deserialize)]
pub struct CodeStepForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    lang: String,
}

/// The cookie's login if it is waiting for its second factor.
async fn pending(
    state: &AppState,
    headers: &HeaderMap,
) -> rathaus_store::Result<Option<(String, PendingLogin)>> {
    let name = session_cookie_name(state.settings.secure_cookies);
    let Some(token) = cookie_value(headers, name) else {
        return Ok(None);
    };
    Ok(state
        .store
        .pending_login(token, now_ms())
        .await?
        .map(|p| (token.to_string(), p)))
}

/// `GET /login/mfa`: the code form, only for a login whose password was right a moment ago.
pub async fn form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<view::LangQuery>,
) -> Response {
    let tr = q.tr();
    match pending(&state, &headers).await {
        Ok(Some((_, login))) => view::render(
            StatusCode::OK,
            &CodeStepPage {
                tr,
                chrome: None,
                flash: None,
                error: None,
                passkey: has_passkey(&state, login.staff_id).await,
                code: has_code(&state, login.staff_id).await,
            },
        ),
        Ok(None) => Redirect::to("/login").into_response(),
        Err(e) => view::internal_error(tr, &e),
    }
}

/// The code step again with an error (e.g. a refused passkey); the pending login stays.
pub(crate) async fn code_step_with_error(
    state: &AppState,
    tr: Tr,
    staff_id: i64,
    status: StatusCode,
    error: String,
) -> Response {
    let page = CodeStepPage {
        tr,
        chrome: None,
        flash: None,
        error: Some(error),
        passkey: has_passkey(state, staff_id).await,
        code: has_code(state, staff_id).await,
    };
    view::render(status, &page)
}

async fn has_code(state: &AppState, staff_id: i64) -> bool {
    state.store.totp_enabled(staff_id).await.unwrap_or(true)
        || state
            .store
            .recovery_codes_left(staff_id)
            .await
            .is_ok_and(|n| n > 0)
}

async fn has_passkey(state: &AppState, staff_id: i64) -> bool {
    state
        .store
        .staff_passkeys(staff_id)
        .await
        .is_ok_and(|p| !p.is_empty())
}

/// Whether `code` is the app's current code (never one used before) or an unused recovery code.
async fn accept(
    state: &AppState,
    staff_id: i64,
    code: &str,
    now: i64,
) -> rathaus_store::Result<Option<SecondFactor>> {
    if totp::totp_shaped(code).is_some() {
        let Some(enrolment) = state.store.totp(staff_id).await? else {
            return Ok(None);
        };
        let Some(step) = totp::matching_step(&enrolment.secret, code, now) else {
            return Ok(None);
        };
        // A code already used (by us, or by someone who watched it being typed) is refused.
        return Ok(state
            .store
            .use_totp_step(staff_id, step)
            .await?
            .then_some(SecondFactor::Totp));
    }
    Ok(state
        .store
        .use_recovery_code(staff_id, code, now)
        .await?
        .then_some(SecondFactor::RecoveryCode))
}

/// `POST /login/mfa`: checks the code; wrong codes count as failed logins of the account.
pub async fn submit(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    Form(form): Form<CodeStepForm>,
) -> Response {
    let tr = Tr::new(Lang::from_code(&form.lang));
    let (token, login) = match pending(&state, &headers).await {
        Ok(Some(p)) => p,
        Ok(None) => return Redirect::to("/login").into_response(),
        Err(e) => return view::internal_error(tr, &e),
    };
    let now = now_ms();
    let attempt = Attempt::new(&login.email, addr);
    match attempt.lock(&state, now).await {
        Ok(Some(lock)) => {
            // Locked: this half-finished login is over; the password must be given again later.
            if let Err(e) = state.store.delete_session(&token).await {
                return view::internal_error(tr, &e);
            }
            let mut res = locked_page(tr, "", lock, now);
            res.headers_mut()
                .insert(header::SET_COOKIE, set_cookie(&state, "", 0));
            return res;
        }
        Ok(None) => {}
        Err(e) => return view::internal_error(tr, &e),
    }
    let method = match accept(&state, login.staff_id, &form.code, now).await {
        Ok(m) => m,
        Err(e) => return view::internal_error(tr, &e),
    };
    let Some(method) = method else {
        attempt.failed(&state, Some(login.staff_id), now).await;
        let page = CodeStepPage {
            tr,
            chrome: None,
            flash: None,
            error: Some(tr.t("mfa.code_wrong").to_string()),
            passkey: has_passkey(&state, login.staff_id).await,
            code: has_code(&state, login.staff_id).await,
        };
        return view::render(StatusCode::UNAUTHORIZED, &page);
    };
    if let Err(e) = state.store.delete_session(&token).await {
        return view::internal_error(tr, &e);
    }
    if let Err(e) = state.store.clear_login_failures(&login.email).await {
        tracing::error!(error = %e, "could not reset the failed-login counter");
    }
    let origin = Origin::new(addr.map(truncate_ip), &headers);
    if method == SecondFactor::RecoveryCode {
        let left = state
            .store
            .recovery_codes_left(login.staff_id)
            .await
            .unwrap_or(0);
        let actor = Actor {
            municipality_id: login.municipality_id,
            name: format!("staff:{}", login.staff_id),
            ip: origin.ip.clone(),
        };
        audit::record_change(
            &state.store,
            &actor,
            audit::LOGIN_RECOVERY_CODE,
            format!("staff:{}", login.staff_id),
            Some(format!("{left} codes left")),
        )
        .await;
    }
    signed_in(
        &state,
        tr,
        login.staff_id,
        login.municipality_id,
        &origin,
        SignIn::new(login.first).with(method),
        None,
    )
    .await
}
