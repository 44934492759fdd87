//! The member's passkeys on their account page: register (name it), list with created/last used, remove.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header::{self, HeaderMap};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use rathaus_store::{now_ms, ChallengePurpose, NewPasskey, SecondFactor};
use serde::Deserialize;
use serde_json::json;

use super::{json_error, new_challenge, relying_party, CEREMONY_TIMEOUT_MS};
use crate::security::access::second_factor_required_in;
use crate::ui::audit;
use crate::ui::auth::StaffSession;
use crate::ui::i18n::Tr;
use crate::ui::sessions::{self, FlashQuery};
use crate::ui::view::{self, Chrome};
use crate::webauthn::ceremony::{b64, to_b64, verify_registration};
use crate::webauthn::{ClientData, WebAuthnError};
use crate::AppState;

/// Audit action names.
pub const PASSKEY_ADDED: &str = "passkey.added";
pub const PASSKEY_REMOVED: &str = "passkey.removed";
/// A registration that failed the checks (details: the reason's code).
pub const PASSKEY_REFUSED: &str = "passkey.refused";

/// Longest passkey name, in characters.
const NAME_MAX: usize = 60;

struct Row {
    id: i64,
    name: String,
    created: String,
    created_iso: String,
    last_used: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "account_passkeys.html")]
struct PasskeysPage {
    tr: Tr,
    chrome: Option<Chrome>,
    flash: Option<String>,
    error: Option<String>,
    current: &'static str,
    passkeys: Vec<Row>,
    name: String,
}

fn flash(tr: Tr, msg: Option<&str>) -> Option<String> {
    let key = match msg? {
        "passkey_added" => "passkey.flash_added",
        "passkey_removed" => "passkey.flash_removed",
        _ => return None,
    };
    Some(tr.t(key).to_string())
}

async fn render(
    state: &AppState,
    session: &StaffSession,
    status: StatusCode,
    flash: Option<String>,
    error: Option<String>,
    name: String,
) -> Response {
    let tr = session.tr();
    let list = match state.store.staff_passkeys(session.info.staff_id).await {
        Ok(l) => l,
        Err(e) => return view::internal_error(tr, &e),
    };
    let (_, tz) = view::municipality(state, session.info.municipality_id).await;
    let passkeys = list
        .into_iter()
        .map(|p| Row {
            id: p.id,
            name: p.name,
            created: view::local_time(p.created_at, &tz, tr.lang),
            created_iso: view::rfc3339(p.created_at),
            last_used: p
                .last_used_at
                .map(|t| (view::local_time(t, &tz, tr.lang), view::rfc3339(t))),
        })
        .collect();
    let page = PasskeysPage {
        tr,
        chrome: Some(session.chrome(state, "/account/passkeys").await),
        flash,
        error,
        current: "passkeys",
        passkeys,
        name,
    };
    view::render(status, &page)
}

/// `GET /account/passkeys`.
pub async fn page(
    State(state): State<AppState>,
    session: StaffSession,
    Query(q): Query<FlashQuery>,
) -> Response {
    let flash = flash(session.tr(), q.msg.as_deref());
    render(&state, &session, StatusCode::OK, flash, None, String::new()).await
}

/// `POST /account/passkeys/challenge`: the options for `navigator.credentials.create` (JSON, for the
/// page's script), with a challenge bound to this session.
pub async fn challenge(State(state): State<AppState>, session: StaffSession) -> Response {
    let tr = session.tr();
    let Some(rp) = relying_party(&state) else {
        return json_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "no_relying_party",
            tr.t("passkey.failed"),
        );
    };
    let staff_id = session.info.staff_id;
    let handle = match state.store.passkey_user_handle(staff_id).await {
        Ok(Some(h)) => h,
        Ok(None) => rand::random::<[u8; 32]>().to_vec(),
        Err(e) => {
            tracing::error!(error = %e, "passkey user handle could not be read");
            return json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "store",
                tr.t("passkey.failed"),
            );
        }
    };
    let existing = state
        .store
        .staff_passkeys(staff_id)
        .await
        .unwrap_or_default();
    let challenge = match new_challenge(
        &state,
        ChallengePurpose::Register,
        &session.token,
        Some(staff_id),
    )
    .await
    {
        Ok(Some(c)) => c,
        Ok(None) => return super::busy(tr),
        Err(e) => {
            tracing::error!(error = %e, "passkey challenge could not be stored");
            return json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "store",
                tr.t("passkey.failed"),
            );
        }
    };
    let exclude: Vec<_> = existing
        .iter()
        .map(|p| json!({ "type": "public-key", "id": to_b64(&p.credential_id) }))
        .collect();
    let params: Vec<_> = crate::webauthn::cose::ACCEPTED
        .iter()
        .map(|alg| json!({ "type": "public-key", "alg": alg }))
        .collect();
    Json(json!({
        "publicKey": {
            "challenge": to_b64(&challenge),
            "rp": { "id": rp.id, "name": "Rathaus" },
            "user": {
                "id": to_b64(&handle),
                "name": session.info.email,
                "displayName": session.info.display_name,
            },
            "pubKeyCredParams": params,
            "timeout": CEREMONY_TIMEOUT_MS,
            "attestation": "none",
            "authenticatorSelection": {
                "residentKey": "required",
                "requireResidentKey": true,
                "userVerification": "required",
            },
            "excludeCredentials": exclude,
        },
        // The handle the server will store with the credential (the browser's answer does not repeat it).
        "userHandle": to_b64(&handle),
    }))
    .into_response()
}

#[derive(Deserialize)]
pub struct RegisterForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    client_data: String,
    #[serde(default)]
    attestation_object: String,
    #[serde(default)]
    user_handle: String,
}

/// Whether this session may add or remove passkeys: it proved a second factor, or the member has none
/// yet (setting up the first). A session opened with the password alone before a second factor existed
/// must not replace or remove it.
async fn may_change(state: &AppState, session: &StaffSession) -> rathaus_store::Result<bool> {
    let staff_id = session.info.staff_id;
    match state.store.session_sign_in(&session.token).await? {
        Some(Some(sign_in)) if sign_in.second_factor_satisfied() => return Ok(true),
        // A session from before sign-in methods were recorded: as the access guard, trust TOTP.
        Some(None) if state.store.totp_enabled(staff_id).await? => return Ok(true),
        _ => {}
    }
    Ok(!state.store.totp_enabled(staff_id).await?
        && state.store.staff_passkeys(staff_id).await?.is_empty())
}

/// Refuses a change from a session that may not make it (see [`may_change`]).
async fn refuse_stale(state: &AppState, session: &StaffSession) -> Option<Response> {
    match may_change(state, session).await {
        Ok(true) => None,
        Ok(false) => {
            let error = Some(session.tr().t("passkey.fresh_sign_in").to_string());
            Some(
                render(
                    state,
                    session,
                    StatusCode::FORBIDDEN,
                    None,
                    error,
                    String::new(),
                )
                .await,
            )
        }
        Err(e) => Some(view::internal_error(session.tr(), &e)),
    }
}

/// `POST /account/passkeys`: checks the browser's answer and stores the passkey under its name.
pub async fn register(
    State(state): State<AppState>,
    session: StaffSession,
    headers: HeaderMap,
    Form(form): Form<RegisterForm>,
) -> Response {
    let tr = session.tr();
    if let Some(refused) = refuse_stale(&state, &session).await {
        return refused;
    }
    let name = form.name.trim().to_string();
    if name.is_empty() || name.chars().count() > NAME_MAX || name.chars().any(char::is_control) {
        let error = Some(tr.t("passkey.name_invalid").to_string());
        return render(
            &state,
            &session,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            error,
            name,
        )
        .await;
    }
    let credential = match check_registration(&state, &session, &form).await {
        Ok(c) => c,
        Err(Refused::Store(e)) => return view::internal_error(tr, &e),
        Err(Refused::Check(e)) => {
            tracing::warn!(reason = %e, "passkey registration refused");
            audit::record_change(
                &state.store,
                &session.actor(),
                PASSKEY_REFUSED,
                format!("staff:{}", session.info.staff_id),
                Some(format!("registration: {}", e.code())),
            )
            .await;
            let error = Some(format!("{} ({})", tr.t("passkey.refused"), e.code()));
            return render(
                &state,
                &session,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                error,
                name,
            )
            .await;
        }
    };
    let (credential, user_handle) = credential;
    let added = state
        .store
        .add_passkey(
            &NewPasskey {
                staff_id: session.info.staff_id,
                credential_id: &credential.credential_id,
                user_handle: &user_handle,
                public_key: &credential.public_key,
                sign_count: credential.sign_count,
                name: &name,
            },
            now_ms(),
        )
        .await;
    let id = match added {
        Ok(Some(id)) => id,
        Ok(None) => {
            let error = Some(tr.t("passkey.already_registered").to_string());
            return render(&state, &session, StatusCode::CONFLICT, None, error, name).await;
        }
        Err(e) => return view::internal_error(tr, &e),
    };
    audit::record_change(
        &state.store,
        &session.actor(),
        PASSKEY_ADDED,
        format!("staff:{}", session.info.staff_id),
        Some(format!("passkey {id}")),
    )
    .await;
    // The member just proved the passkey with user verification: a new session id that counts it as
    // the second factor (as confirming a TOTP app does).
    let cookie =
        match sessions::rotate(&state, &session, &headers, Some(SecondFactor::Passkey)).await {
            Ok(c) => c,
            Err(e) => return view::internal_error(tr, &e),
        };
    (
        [(header::SET_COOKIE, cookie)],
        Redirect::to("/account/passkeys?msg=passkey_added"),
    )
        .into_response()
}

enum Refused {
    Check(WebAuthnError),
    Store(rathaus_store::StoreError),
}

impl From<WebAuthnError> for Refused {
    fn from(e: WebAuthnError) -> Refused {
        Refused::Check(e)
    }
}

/// Client data (type, origin), the challenge (issued to this session for registering, used up now),
/// then the attestation object; returns the credential and the user handle to store with it.
async fn check_registration(
    state: &AppState,
    session: &StaffSession,
    form: &RegisterForm,
) -> Result<(crate::webauthn::NewCredential, Vec<u8>), Refused> {
    let rp = relying_party(state).ok_or(WebAuthnError::ClientData("no relying party"))?;
    let client_data = ClientData::parse(
        &rp,
        "webauthn.create",
        &b64("client_data", &form.client_data)?,
    )?;
    let issued = state
        .store
        .take_passkey_challenge(
            &client_data.challenge,
            ChallengePurpose::Register,
            &session.token,
            now_ms(),
        )
        .await
        .map_err(Refused::Store)?;
    if issued != Some(Some(session.info.staff_id)) {
        return Err(WebAuthnError::WrongChallenge.into());
    }
    let credential =
        verify_registration(&rp, &b64("attestation_object", &form.attestation_object)?)?;
    // All of a member's passkeys share one handle; a first one takes the handle the options named.
    let handle = match state
        .store
        .passkey_user_handle(session.info.staff_id)
        .await
        .map_err(Refused::Store)?
    {
        Some(h) => h,
        None => {
            let h = b64("user_handle", &form.user_handle)?;
            if h.is_empty() || h.len() > 64 {
                return Err(WebAuthnError::Encoding("user_handle").into());
            }
            h
        }
    };
    Ok((credential, handle))
}

/// `POST /account/passkeys/{id}/remove`: refused when it is the last second factor of a role (or a
/// municipality) that requires one.
pub async fn remove(
    State(state): State<AppState>,
    session: StaffSession,
    Path(id): Path<i64>,
) -> Response {
    let tr = session.tr();
    if let Some(refused) = refuse_stale(&state, &session).await {
        return refused;
    }
    let staff_id = session.info.staff_id;
    let list = match state.store.staff_passkeys(staff_id).await {
        Ok(l) => l,
        Err(e) => return view::internal_error(tr, &e),
    };
    if !list.iter().any(|p| p.id == id) {
        return view::not_found(tr, Some(session.chrome(&state, "/account/passkeys").await));
    }
    let required = second_factor_required_in(
        &state.registry,
        session.info.municipality_id,
        session.info.role,
    );
    let totp = match state.store.totp_enabled(staff_id).await {
        Ok(t) => t,
        Err(e) => return view::internal_error(tr, &e),
    };
    if required && !totp && list.len() == 1 {
        let error = Some(tr.t("passkey.last_factor").to_string());
        return render(
            &state,
            &session,
            StatusCode::CONFLICT,
            None,
            error,
            String::new(),
        )
        .await;
    }
    match state.store.remove_passkey(staff_id, id).await {
        Ok(true) => {}
        Ok(false) => {
            return view::not_found(tr, Some(session.chrome(&state, "/account/passkeys").await))
        }
        Err(e) => return view::internal_error(tr, &e),
    }
    audit::record_change(
        &state.store,
        &session.actor(),
        PASSKEY_REMOVED,
        format!("staff:{staff_id}"),
        Some(format!("passkey {id}")),
    )
    .await;
    Redirect::to("/account/passkeys?msg=passkey_removed").into_response()
}
