//! Session ids: opened at sign-in, rotated on privilege change; the member's session list and "sign out everywhere".

use askama::Template;
use axum::extract::{Path, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rathaus_store::{now_ms, session_reference, NewSession, SecondFactor, SignIn, StoreError};

use super::audit;
use super::auth::{set_cookie, StaffSession};
use super::i18n::Tr;
use super::view::{self, Chrome};
use crate::security::client::user_agent_summary;
use crate::AppState;

/// How long a password-only login may wait for its second factor.
pub const PENDING_LOGIN_MS: i64 = 5 * 60 * 1000;

/// Where a session is started from, as the session list shows it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Origin {
    /// Already truncated to /24 or /48.
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl Origin {
    pub(crate) fn new(ip: Option<String>, headers: &HeaderMap) -> Origin {
        let user_agent = headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(user_agent_summary);
        Origin { ip, user_agent }
    }
}

/// Starts a session with a brand-new random id and returns its cookie. A pending session only opens the
/// second-factor form and expires after five minutes. `sign_in` records how it was opened (for a
/// pending session, the first factor).
pub(crate) async fn open(
    state: &AppState,
    staff_id: i64,
    municipality_id: i64,
    origin: &Origin,
    mfa_pending: bool,
    sign_in: SignIn,
) -> Result<HeaderValue, StoreError> {
    let token = rathaus_crypto::random_token(32);
    let now = now_ms();
    let lifetime = if mfa_pending {
        PENDING_LOGIN_MS
    } else {
        state.settings.session_absolute_ms
    };
    state
        .store
        .start_session(&NewSession {
            token: &token,
            staff_id,
            municipality_id,
            now,
            expires_at: now + lifetime,
            mfa_pending,
            sign_in,
            client_ip: origin.ip.as_deref(),
            user_agent: origin.user_agent.as_deref(),
        })
        .await?;
    Ok(set_cookie(state, &token, lifetime / 1000))
}

/// Gives the signed-in member a new session id and ends the old one (after a change of privilege). The
/// new session keeps the old one's sign-in method; `proved` adds a second factor given just now (the
/// first code of a TOTP enrolment, a passkey registered).
pub(crate) async fn rotate(
    state: &AppState,
    session: &StaffSession,
    headers: &HeaderMap,
    proved: Option<SecondFactor>,
) -> Result<HeaderValue, StoreError> {
    let municipality_id = session.info.municipality_id;
    rotate_to(state, session, headers, proved, municipality_id).await
}

/// As [`rotate`], with the new session in `municipality_id` (the member's switch to another of their
/// municipalities; the caller checks the membership).
pub(crate) async fn rotate_to(
    state: &AppState,
    session: &StaffSession,
    headers: &HeaderMap,
    proved: Option<SecondFactor>,
    municipality_id: i64,
) -> Result<HeaderValue, StoreError> {
    let origin = Origin::new(session.ip.clone(), headers);
    let recorded = state
        .store
        .session_sign_in(&session.token)
        .await?
        .flatten()
        .unwrap_or(SignIn::new(rathaus_store::FirstFactor::Password));
    // A provider's word for the second factor (`satisfies_mfa`) is the setting of the municipality
    // whose provider it is; in another municipality the member proves it again if required there.
    let recorded = if municipality_id != session.info.municipality_id
        && recorded.second == Some(SecondFactor::Provider)
    {
        SignIn::new(recorded.first)
    } else {
        recorded
    };
    let sign_in = match proved {
        Some(second) if !recorded.second_factor_satisfied() => recorded.with(second),
        _ => recorded,
    };
    let cookie = open(
        state,
        session.info.staff_id,
        municipality_id,
        &origin,
        false,
        sign_in,
    )
    .await?;
    state.store.delete_session(&session.token).await?;
    Ok(cookie)
}

struct Row {
    reference: String,
    device: String,
    address: String,
    created: String,
    created_iso: String,
    method: String,
    last_seen: String,
    last_seen_iso: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "account_sessions.html")]
struct SessionsPage {
    tr: Tr,
    chrome: Option<Chrome>,
    flash: Option<String>,
    error: Option<String>,
    current: &'static str,
    sessions: Vec<Row>,
}

#[derive(serde::Deserialize)]
pub struct FlashQuery {
    pub(super) msg: Option<String>,
}

/// `GET /account/sessions`: where the member is signed in.
pub async fn list(
    State(state): State<AppState>,
    session: StaffSession,
    axum::extract::Query(q): axum::extract::Query<FlashQuery>,
) -> Response {
    let tr = session.tr();
    let now = now_ms();
    let all = match state
        .store
        .staff_sessions(session.info.staff_id, now, state.settings.session_idle_ms)
        .await
    {
        Ok(s) => s,
        Err(e) => return view::internal_error(tr, &e),
    };
    let (_, tz) = view::municipality(&state, session.info.municipality_id).await;
    let mine = session_reference(&session.token);
    let unknown = tr.t("sessions.unknown");
    let sessions = all
        .into_iter()
        .map(|s| Row {
            current: s.reference == mine,
            device: s.user_agent.unwrap_or_else(|| unknown.to_string()),
            address: s.client_ip.unwrap_or_else(|| unknown.to_string()),
            created: view::local_time(s.created_at, &tz, tr.lang),
            created_iso: view::rfc3339(s.created_at),
            method: method_label(tr, s.sign_in),
            last_seen: view::local_time(s.last_seen_at, &tz, tr.lang),
            last_seen_iso: view::rfc3339(s.last_seen_at),
            reference: s.reference,
        })
        .collect();
    let page = SessionsPage {
        tr,
        chrome: Some(session.chrome(&state, "/account/sessions").await),
        flash: view::flash(tr, q.msg.as_deref()),
        error: None,
        current: "sessions",
        sessions,
    };
    view::render(StatusCode::OK, &page)
}

/// How a session was opened, in the member's language ("Passwort + App-Code").
pub(super) fn method_label(tr: Tr, sign_in: Option<SignIn>) -> String {
    use rathaus_store::FirstFactor as F;
    let Some(sign_in) = sign_in else {
        return tr.t("sessions.method.unknown").to_string();
    };
    let first = tr.t(match sign_in.first {
        F::Password => "sessions.method.password",
        F::Sso => "sessions.method.sso",
        F::Passkey => "sessions.method.passkey",
    });
    match sign_in.second {
        None => first.to_string(),
        Some(second) => {
            let second = tr.t(match second {
                SecondFactor::Totp => "sessions.method.totp",
                SecondFactor::RecoveryCode => "sessions.method.recovery",
                SecondFactor::Provider => "sessions.method.provider_mfa",
                SecondFactor::Passkey => "sessions.method.passkey",
            });
            format!("{first} + {second}")
        }
    }
}

/// `POST /account/sessions/{reference}/end`: ends one of the member's own sessions.
pub async fn end(
    State(state): State<AppState>,
    session: StaffSession,
    Path(reference): Path<String>,
) -> Response {
    match state
        .store
        .end_session(session.info.staff_id, &reference)
        .await
    {
        Ok(true) => {
            audit::record_change(
                &state.store,
                &session.actor(),
                audit::SESSION_ENDED,
                format!("staff:{}", session.info.staff_id),
                None,
            )
            .await;
            Redirect::to("/account/sessions?msg=session_ended").into_response()
        }
        Ok(false) => view::not_found(
            session.tr(),
            Some(session.chrome(&state, "/account/sessions").await),
        ),
        Err(e) => view::internal_error(session.tr(), &e),
    }
}

/// `POST /account/sessions/end-all`: "sign out everywhere", this browser included.
pub async fn end_all(State(state): State<AppState>, session: StaffSession) -> Response {
    match state.store.end_all_sessions(session.info.staff_id).await {
        Ok(n) => {
            audit::record_change(
                &state.store,
                &session.actor(),
                audit::SESSIONS_ENDED_ALL,
                format!("staff:{}", session.info.staff_id),
                Some(format!("{n} sessions")),
            )
            .await;
            (
                [(header::SET_COOKIE, set_cookie(&state, "", 0))],
                Redirect::to(&format!(
                    "/login?msg=signed_out_everywhere&lang={}",
                    session.tr().code()
                )),
            )
                .into_response()
        }
        Err(e) => view::internal_error(session.tr(), &e),
    }
}
