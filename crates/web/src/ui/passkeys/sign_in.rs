//! Signing in with a passkey: alone (a discoverable credential with user verification, which counts as
//! both factors) or as the second step after the password or single sign-on.

use axum::extract::State;
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use rathaus_store::{
    now_ms, truncate_ip, AuditEvent, ChallengePurpose, FirstFactor, PendingLogin, SecondFactor,
    SignIn, StoredPasskey,
};
use serde::Deserialize;
use serde_json::json;

use super::throttle::PasskeyAttempt;
use super::{json_error, new_challenge, relying_party, CEREMONY_TIMEOUT_MS, CHALLENGE_MS};
use crate::security::client::ClientAddr;
use crate::security::throttle::Lock;
use crate::ui::audit;
use crate::ui::auth::{cookie_value, session_cookie_name, set_cookie, LoginPage};
use crate::ui::i18n::{Lang, Tr};
use crate::ui::login::{locked_page, signed_in, Attempt};
use crate::ui::sessions::Origin;
use crate::ui::view;
use crate::webauthn::ceremony::{b64, to_b64, verify_assertion};
use crate::webauthn::{ClientData, WebAuthnError};
use crate::AppState;

/// The cookie that binds a passwordless sign-in's challenge to this browser.
fn ceremony_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-rathaus_passkey"
    } else {
        "rathaus_passkey"
    }
}

fn ceremony_cookie(state: &AppState, value: &str, max_age_s: i64) -> HeaderValue {
    let secure = state.settings.secure_cookies;
    let name = ceremony_cookie_name(secure);
    let flag = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_s}{flag}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn request_options(challenge: &[u8], rp_id: &str, allow: Vec<serde_json::Value>) -> Response {
    Json(json!({
        "publicKey": {
            "challenge": to_b64(challenge),
            "rpId": rp_id,
            "timeout": CEREMONY_TIMEOUT_MS,
            "userVerification": "required",
            "allowCredentials": allow,
        }
    }))
    .into_response()
}

/// `POST /login/passkey/challenge`: options for `navigator.credentials.get` with no credential named
/// (the authenticator offers its passkeys for this site), bound to a fresh cookie of this browser.
pub async fn challenge(State(state): State<AppState>) -> Response {
    let tr = Tr::new(Lang::De);
    let Some(rp) = relying_party(&state) else {
        return json_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "no_relying_party",
            tr.t("passkey.failed"),
        );
    };
    let binding = rathaus_crypto::random_token(32);
    match new_challenge(&state, ChallengePurpose::SignIn, &binding, None).await {
        Ok(None) => super::busy(tr),
        Ok(Some(c)) => {
            let mut res = request_options(&c, &rp.id, Vec::new());
            res.headers_mut().insert(
                header::SET_COOKIE,
                ceremony_cookie(&state, &binding, CHALLENGE_MS / 1000),
            );
            res
        }
        Err(e) => {
            tracing::error!(error = %e, "passkey challenge could not be stored");
            json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "store",
                tr.t("passkey.failed"),
            )
        }
    }
}

/// The browser's answer to `navigator.credentials.get`, base64url fields filled in by the page's script.
#[derive(Deserialize)]
pub struct AssertionForm {
    #[serde(default)]
    credential_id: String,
    #[serde(default)]
    client_data: String,
    #[serde(default)]
    authenticator_data: String,
    #[serde(default)]
    signature: String,
    #[serde(default)]
    user_handle: String,
    #[serde(default)]
    lang: String,
}

enum Refused {
    Check(WebAuthnError, Option<i64>),
    /// The passkey's account is locked by failed logins: refused before its signature is checked.
    Locked(Lock),
    Store(rathaus_store::StoreError),
}

impl From<WebAuthnError> for Refused {
    fn from(e: WebAuthnError) -> Refused {
        Refused::Check(e, None)
    }
}

/// Checks an assertion: client data, the challenge (issued for `purpose` to the cookie `binding`,
/// used up here), the credential (of `expected_staff` if given), signature, user verification and
/// counter; records the use. Returns the passkey. A passkey whose account is locked is refused
/// before any signature work.
async fn check_assertion(
    state: &AppState,
    (purpose, binding): (ChallengePurpose, &str),
    expected_staff: Option<i64>,
    attempt: &PasskeyAttempt,
    form: &AssertionForm,
) -> Result<StoredPasskey, Refused> {
    let rp = relying_party(state).ok_or(WebAuthnError::ClientData("no relying party"))?;
    let client_data =
        ClientData::parse(&rp, "webauthn.get", &b64("client_data", &form.client_data)?)?;
    let issued = state
        .store
        .take_passkey_challenge(&client_data.challenge, purpose, binding, now_ms())
        .await
        .map_err(Refused::Store)?;
    match issued {
        Some(staff) if staff == expected_staff => {}
        _ => return Err(WebAuthnError::WrongChallenge.into()),
    }
    let credential_id = b64("credential_id", &form.credential_id)?;
    let passkey = state
        .store
        .passkey_by_credential(&credential_id)
        .await
        .map_err(Refused::Store)?
        .ok_or(WebAuthnError::UnknownCredential)?;
    if let Some(lock) = attempt
        .account_lock(state, passkey.staff_id, now_ms())
        .await
        .map_err(Refused::Store)?
    {
        return Err(Refused::Locked(lock));
    }
    let known = Some(passkey.staff_id);
    let with_staff = |e: WebAuthnError| Refused::Check(e, known);
    if expected_staff.is_some_and(|s| s != passkey.staff_id) {
        return Err(with_staff(WebAuthnError::WrongUser));
    }
    let user_handle = b64("user_handle", &form.user_handle).map_err(with_staff)?;
    // §7.2: a sign-in that named no user (passwordless) must get the user handle back and it must be
    // the passkey's; with named credentials (second step) it is optional but must match if given.
    let handle_required = expected_staff.is_none();
    if (handle_required || !user_handle.is_empty()) && user_handle != passkey.user_handle {
        return Err(with_staff(WebAuthnError::WrongUser));
    }
    let new_count = verify_assertion(
        &rp,
        &client_data,
        &b64("authenticator_data", &form.authenticator_data).map_err(with_staff)?,
        &b64("signature", &form.signature).map_err(with_staff)?,
        &passkey.public_key,
        passkey.sign_count,
    )
    .map_err(with_staff)?;
    let recorded = state
        .store
        .passkey_used(passkey.id, passkey.sign_count, new_count, now_ms())
        .await
        .map_err(Refused::Store)?;
    if !recorded {
        // Another sign-in with this passkey moved the counter meanwhile.
        return Err(with_staff(WebAuthnError::CounterRegression {
            stored: passkey.sign_count,
            received: new_count,
        }));
    }
    Ok(passkey)
}

/// Audits a refused passkey sign-in as a failed login (with the reason's code and, if known, the
/// account) and returns the message for the member, which names no reason that would tell a known
/// passkey from an unknown one.
async fn audit_refusal(
    state: &AppState,
    tr: Tr,
    origin: &Origin,
    error: &WebAuthnError,
    staff_id: Option<i64>,
) -> String {
    tracing::warn!(reason = %error, "passkey sign-in refused");
    let municipality = match staff_id {
        Some(id) => state
            .store
            .staff_municipalities(id)
            .await
            .ok()
            .and_then(|m| m.first().map(|(m, _)| *m)),
        None => None,
    };
    let mut event = AuditEvent::new(municipality, "anonymous", audit::LOGIN_FAILED)
        .ip(origin.ip.clone())
        .details(format!("passkey: {}", error.code()));
    if let Some(id) = staff_id {
        event = event.target(format!("staff:{id}"));
    }
    if let Err(e) = state.store.audit(event, now_ms()).await {
        tracing::error!(error = %e, "audit entry could not be written");
    }
    tr.t(message_key(error)).to_string()
}

/// A refused passwordless sign-in: audited, answered with the login page and a neutral message.
async fn refused(
    state: &AppState,
    tr: Tr,
    origin: &Origin,
    error: &WebAuthnError,
    staff_id: Option<i64>,
) -> Response {
    let text = audit_refusal(state, tr, origin, error, staff_id).await;
    view::render(
        StatusCode::UNAUTHORIZED,
        &LoginPage::new(tr, None, Some(text), String::new()),
    )
}

/// An expired or used-up challenge (found before any credential is looked up) asks to start again;
/// every other refusal reads the same, so an unknown passkey looks like a bad signature.
fn message_key(error: &WebAuthnError) -> &'static str {
    match error {
        WebAuthnError::WrongChallenge => "passkey.expired",
        _ => "passkey.refused",
    }
}

/// `POST /login/passkey`: a passwordless sign-in.
pub async fn submit(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    Form(form): Form<AssertionForm>,
) -> Response {
    let tr = Tr::new(Lang::from_code(&form.lang));
    let origin = Origin::new(addr.map(truncate_ip), &headers);
    let name = ceremony_cookie_name(state.settings.secure_cookies);
    let binding = cookie_value(&headers, name).unwrap_or_default().to_string();
    let attempt = PasskeyAttempt::new(addr);
    let now = now_ms();
    match attempt.address_lock(&state, now).await {
        Ok(Some(lock)) => return locked_page(tr, "", lock, now),
        Ok(None) => {}
        Err(e) => return view::internal_error(tr, &e),
    }
    let purpose = (ChallengePurpose::SignIn, binding.as_str());
    let checked = check_assertion(&state, purpose, None, &attempt, &form).await;
    let passkey = match checked {
        Ok(p) => p,
        Err(Refused::Store(e)) => return view::internal_error(tr, &e),
        Err(Refused::Locked(lock)) => return locked_page(tr, "", lock, now_ms()),
        Err(Refused::Check(e, staff)) => {
            attempt.failed(&state, staff, now_ms()).await;
            return refused(&state, tr, &origin, &e, staff).await;
        }
    };
    let municipality = match state.store.staff_municipalities(passkey.staff_id).await {
        Ok(m) => m.first().map(|(m, _)| *m),
        Err(e) => return view::internal_error(tr, &e),
    };
    let Some(municipality_id) = municipality else {
        return refused(
            &state,
            tr,
            &origin,
            &WebAuthnError::UnknownCredential,
            Some(passkey.staff_id),
        )
        .await;
    };
    attempt.succeeded(&state, passkey.staff_id).await;
    let mut res = signed_in(
        &state,
        tr,
        passkey.staff_id,
        municipality_id,
        &origin,
        SignIn::new(FirstFactor::Passkey),
        Some(format!("passkey {}", passkey.id)),
    )
    .await;
    res.headers_mut()
        .append(header::SET_COOKIE, ceremony_cookie(&state, "", 0));
    res
}

/// The cookie's login if it waits for its second factor, with the cookie value.
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

/// `POST /login/mfa/passkey/challenge`: options naming the member's passkeys, bound to the pending login.
pub async fn second_challenge(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let tr = Tr::new(Lang::De);
    let (token, login) = match pending(&state, &headers).await {
        Ok(Some(p)) => p,
        Ok(None) => {
            return json_error(
                StatusCode::UNAUTHORIZED,
                "no_pending_login",
                tr.t("passkey.expired"),
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "pending login could not be read");
            return json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "store",
                tr.t("passkey.failed"),
            );
        }
    };
    let Some(rp) = relying_party(&state) else {
        return json_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "no_relying_party",
            tr.t("passkey.failed"),
        );
    };
    let allow: Vec<_> = match state.store.staff_passkeys(login.staff_id).await {
        Ok(list) => list
            .iter()
            .map(|p| json!({ "type": "public-key", "id": to_b64(&p.credential_id) }))
            .collect(),
        Err(e) => {
            tracing::error!(error = %e, "passkeys could not be read");
            return json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "store",
                tr.t("passkey.failed"),
            );
        }
    };
    match new_challenge(
        &state,
        ChallengePurpose::SecondFactor,
        &token,
        Some(login.staff_id),
    )
    .await
    {
        Ok(Some(c)) => request_options(&c, &rp.id, allow),
        Ok(None) => super::busy(tr),
        Err(e) => {
            tracing::error!(error = %e, "passkey challenge could not be stored");
            json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "store",
                tr.t("passkey.failed"),
            )
        }
    }
}

/// `POST /login/mfa/passkey`: the second factor with one of the member's passkeys.
pub async fn second_submit(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    Form(form): Form<AssertionForm>,
) -> Response {
    let tr = Tr::new(Lang::from_code(&form.lang));
    let origin = Origin::new(addr.map(truncate_ip), &headers);
    let (token, login) = match pending(&state, &headers).await {
        Ok(Some(p)) => p,
        Ok(None) => return Redirect::to("/login").into_response(),
        Err(e) => return view::internal_error(tr, &e),
    };
    let now = now_ms();
    match Attempt::new(&login.email, addr).lock(&state, now).await {
        Ok(Some(lock)) => return locked_out(&state, tr, &token, lock).await,
        Ok(None) => {}
        Err(e) => return view::internal_error(tr, &e),
    }
    let attempt = PasskeyAttempt::new(addr);
    let purpose = (ChallengePurpose::SecondFactor, token.as_str());
    let checked = check_assertion(&state, purpose, Some(login.staff_id), &attempt, &form).await;
    let passkey = match checked {
        Ok(p) => p,
        Err(Refused::Store(e)) => return view::internal_error(tr, &e),
        Err(Refused::Locked(lock)) => return locked_out(&state, tr, &token, lock).await,
        Err(Refused::Check(e, _)) => {
            // Counted for the account signing in (whoever's passkey it was); the pending login
            // stays: the member may try again or use the app's code.
            attempt.failed(&state, Some(login.staff_id), now_ms()).await;
            let text = audit_refusal(&state, tr, &origin, &e, Some(login.staff_id)).await;
            return crate::ui::login_mfa::code_step_with_error(
                &state,
                tr,
                login.staff_id,
                StatusCode::UNAUTHORIZED,
                text,
            )
            .await;
        }
    };
    if let Err(e) = state.store.delete_session(&token).await {
        return view::internal_error(tr, &e);
    }
    attempt.succeeded(&state, login.staff_id).await;
    signed_in(
        &state,
        tr,
        login.staff_id,
        login.municipality_id,
        &origin,
        SignIn::new(login.first).with(SecondFactor::Passkey),
        Some(format!("passkey {}", passkey.id)),
    )
    .await
}

/// Locked while the second step waits: like a wrong code at that moment, the half-finished login is
/// over and the first factor must be given again once the lock has passed.
async fn locked_out(state: &AppState, tr: Tr, token: &str, lock: Lock) -> Response {
    if let Err(e) = state.store.delete_session(token).await {
        return view::internal_error(tr, &e);
    }
    let mut res = locked_page(tr, "", lock, now_ms());
    res.headers_mut()
        .insert(header::SET_COOKIE, set_cookie(state, "", 0));
    res
}
