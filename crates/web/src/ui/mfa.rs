//! The member's second factor: TOTP enrolment with a server-drawn QR code, recovery codes shown once, switching off.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::header::{self, HeaderMap};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use base64::Engine;
use rathaus_store::{now_ms, SecondFactor};
use serde::Deserialize;

use super::audit;
use super::auth::StaffSession;
use super::i18n::Tr;
use super::login::{locked_page, Attempt};
use super::sessions::{self, FlashQuery};
use super::view::{self, Chrome};
use crate::security::access::second_factor_required_in;
use crate::security::client::ClientAddr;
use crate::security::totp;
use crate::AppState;

/// An unconfirmed secret older than this is replaced by a fresh one when the page is opened again.
const ENROLMENT_VALID_MS: i64 = 60 * 60 * 1000;

#[derive(Template)]
#[template(path = "account_mfa.html")]
struct MfaPage {
    tr: Tr,
    chrome: Option<Chrome>,
    flash: Option<String>,
    error: Option<String>,
    current: &'static str,
    enrolled: bool,
    required: bool,
    /// This session was opened without a second factor (before it was set up, or by a provider that
    /// does not vouch for one): a required role must sign in again to work.
    session_without_factor: bool,
    codes_left: i64,
    qr_data_uri: String,
    secret_text: String,
    otpauth: String,
}

#[derive(Template)]
#[template(path = "recovery_codes.html")]
struct CodesPage {
    tr: Tr,
    chrome: Option<Chrome>,
    flash: Option<String>,
    error: Option<String>,
    codes: Vec<String>,
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

/// Renders the page: status when enrolled, otherwise the enrolment (creating a secret if needed).
async fn page(
    state: &AppState,
    session: &StaffSession,
    status: StatusCode,
    flash: Option<String>,
    error: Option<String>,
) -> Response {
    let tr = session.tr();
    let staff_id = session.info.staff_id;
    let now = now_ms();
    let chrome = session.chrome(state, "/account/mfa").await;
    let mut p = MfaPage {
        tr,
        flash,
        error,
        current: "mfa",
        enrolled: false,
        required: second_factor_required_in(
            &state.registry,
            session.info.municipality_id,
            session.info.role,
        ),
        session_without_factor: !matches!(
            state.store.session_sign_in(&session.token).await,
            Ok(Some(Some(s))) if s.second_factor_satisfied()
        ),
        codes_left: 0,
        qr_data_uri: String::new(),
        secret_text: String::new(),
        otpauth: String::new(),
        chrome: None,
    };
    let enrolment = match state.store.totp(staff_id).await {
        Ok(e) => e,
        Err(e) => return view::internal_error(tr, &e),
    };
    let secret = match enrolment {
        Some(e) if e.confirmed => {
            p.enrolled = true;
            p.codes_left = match state.store.recovery_codes_left(staff_id).await {
                Ok(n) => n,
                Err(e) => return view::internal_error(tr, &e),
            };
            p.chrome = Some(chrome);
            return view::render(status, &p);
        }
        Some(e) if now - e.created_at < ENROLMENT_VALID_MS => e.secret,
        _ => {
            let s = totp::new_secret();
            if let Err(e) = state.store.begin_totp(staff_id, &s, now).await {
                return view::internal_error(tr, &e);
            }
            s
        }
    };
    let issuer = format!("Rathaus {}", chrome.municipality);
    p.otpauth = totp::otpauth_uri(&secret, issuer.trim(), &session.info.email);
    let svg = totp::qr_svg(&p.otpauth).unwrap_or_default();
    p.qr_data_uri = format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(svg)
    );
    p.secret_text = totp::grouped(&totp::base32(&secret));
    p.chrome = Some(chrome);
    view::render(status, &p)
}

/// `GET /account/mfa`.
pub async fn show(
    State(state): State<AppState>,
    session: StaffSession,
    Query(q): Query<FlashQuery>,
) -> Response {
    let flash = view::flash(session.tr(), q.msg.as_deref());
    page(&state, &session, StatusCode::OK, flash, None).await
}

fn wrong_code(tr: Tr) -> Option<String> {
    Some(tr.t("mfa.code_wrong").to_string())
}

/// Fresh recovery codes, stored hashed and shown on this one page (never again).
async fn codes_page(
    state: &AppState,
    session: &StaffSession,
    cookie: Option<header::HeaderValue>,
) -> Response {
    let codes = totp::new_recovery_codes();
    if let Err(e) = state
        .store
        .replace_recovery_codes(session.info.staff_id, &codes)
        .await
    {
        return view::internal_error(session.tr(), &e);
    }
    let p = CodesPage {
        tr: session.tr(),
        chrome: Some(session.chrome(state, "/account/mfa").await),
        flash: None,
        error: None,
        codes,
    };
    let mut res = view::render(StatusCode::OK, &p);
    if let Some(c) = cookie {
        res.headers_mut().insert(header::SET_COOKIE, c);
    }
    res
}

/// `POST /account/mfa`: confirms the enrolment with a first code, then shows the recovery codes.
pub async fn confirm(
    State(state): State<AppState>,
    session: StaffSession,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Response {
    let tr = session.tr();
    let staff_id = session.info.staff_id;
    let now = now_ms();
    let enrolment = match state.store.totp(staff_id).await {
        Ok(Some(e)) if !e.confirmed => e,
        Ok(_) => return Redirect::to("/account/mfa").into_response(),
        Err(e) => return view::internal_error(tr, &e),
    };
    let Some(step) = totp::matching_step(&enrolment.secret, &form.code, now) else {
        return page(
            &state,
            &session,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            wrong_code(tr),
        )
        .await;
    };
    match state.store.confirm_totp(staff_id, step, now).await {
        Ok(true) => {}
        Ok(false) => return Redirect::to("/account/mfa").into_response(),
        Err(e) => return view::internal_error(tr, &e),
    }
    audit::record_change(
        &state.store,
        &session.actor(),
        audit::MFA_ENABLED,
        format!("staff:{staff_id}"),
        None,
    )
    .await;
    // More privilege than before (required roles may now work): a new session id.
    let cookie = match sessions::rotate(&state, &session, &headers, Some(SecondFactor::Totp)).await
    {
        Ok(c) => c,
        Err(e) => return view::internal_error(tr, &e),
    };
    codes_page(&state, &session, Some(cookie)).await
}

/// Checks a current code for an account change; wrong codes count like failed logins.
async fn recheck(
    state: &AppState,
    session: &StaffSession,
    addr: Option<std::net::IpAddr>,
    code: &str,
) -> Result<(), Response> {
    let tr = session.tr();
    let now = now_ms();
    let attempt = Attempt::new(&session.info.email, addr);
    match attempt.lock(state, now).await {
        Ok(Some(lock)) => return Err(locked_page(tr, "", lock, now)),
        Ok(None) => {}
        Err(e) => return Err(view::internal_error(tr, &e)),
    }
    let staff_id = session.info.staff_id;
    let secret = match state.store.totp(staff_id).await {
        Ok(Some(e)) if e.confirmed => e.secret,
        Ok(_) => return Err(Redirect::to("/account/mfa").into_response()),
        Err(e) => return Err(view::internal_error(tr, &e)),
    };
    let accepted = match totp::matching_step(&secret, code, now) {
        Some(step) => match state.store.use_totp_step(staff_id, step).await {
            Ok(ok) => ok,
            Err(e) => return Err(view::internal_error(tr, &e)),
        },
        None => false,
    };
    if accepted {
        return Ok(());
    }
    attempt.failed(state, Some(staff_id), now).await;
    Err(page(
        state,
        session,
        StatusCode::UNPROCESSABLE_ENTITY,
        None,
        wrong_code(tr),
    )
    .await)
}

/// `POST /account/mfa/recovery-codes`: new codes replace the old ones (needs a current code).
pub async fn renew_codes(
    State(state): State<AppState>,
    session: StaffSession,
    ClientAddr(addr): ClientAddr,
    Form(form): Form<CodeForm>,
) -> Response {
    if let Err(r) = recheck(&state, &session, addr, &form.code).await {
        return r;
    }
    audit::record_change(
        &state.store,
        &session.actor(),
        audit::MFA_RECOVERY_CODES,
        format!("staff:{}", session.info.staff_id),
        None,
    )
    .await;
    codes_page(&state, &session, None).await
}

/// `POST /account/mfa/session`: a session opened without a second factor (a password session from
/// before the app was set up, or one moved to a municipality where a provider's word does not count)
/// proves it with the app's current code; wrong codes count like failed logins. A new session id.
pub async fn confirm_session(
    State(state): State<AppState>,
    session: StaffSession,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Response {
    if let Err(r) = recheck(&state, &session, addr, &form.code).await {
        return r;
    }
    let tr = session.tr();
    audit::record_change(
        &state.store,
        &session.actor(),
        audit::MFA_SESSION_CONFIRMED,
        format!("staff:{}", session.info.staff_id),
        None,
    )
    .await;
    let cookie = match sessions::rotate(&state, &session, &headers, Some(SecondFactor::Totp)).await
    {
        Ok(c) => c,
        Err(e) => return view::internal_error(tr, &e),
    };
    (
        [(header::SET_COOKIE, cookie)],
        Redirect::to("/account/mfa?msg=mfa_session_confirmed"),
    )
        .into_response()
}

/// `POST /account/mfa/disable`: only for roles that do not require a second factor.
pub async fn disable(
    State(state): State<AppState>,
    session: StaffSession,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Response {
    let tr = session.tr();
    if second_factor_required_in(
        &state.registry,
        session.info.municipality_id,
        session.info.role,
    ) {
        let error = Some(tr.t("mfa.disable_refused").to_string());
        return page(&state, &session, StatusCode::FORBIDDEN, None, error).await;
    }
    if let Err(r) = recheck(&state, &session, addr, &form.code).await {
        return r;
    }
    let staff_id = session.info.staff_id;
    if let Err(e) = state.store.disable_totp(staff_id).await {
        return view::internal_error(tr, &e);
    }
    audit::record_change(
        &state.store,
        &session.actor(),
        audit::MFA_DISABLED,
        format!("staff:{staff_id}"),
        None,
    )
    .await;
    let cookie = match sessions::rotate(&state, &session, &headers, None).await {
        Ok(c) => c,
        Err(e) => return view::internal_error(tr, &e),
    };
    (
        [(header::SET_COOKIE, cookie)],
        Redirect::to("/account/mfa?msg=mfa_disabled"),
    )
        .into_response()
}
