//! Signing in: the password step with throttling per account and address, then a fresh session or the code step.

use axum::extract::State;
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use rathaus_store::{now_ms, truncate_ip, AuditEvent, FirstFactor, SignIn};
use serde::Deserialize;

use super::audit::{self, Actor};
use super::auth::LoginPage;
use super::i18n::{Lang, Tr};
use super::sessions::{self, Origin};
use super::view;
use crate::security::client::{throttle_key, ClientAddr};
use crate::security::throttle::{self, Lock, ACCOUNT_WINDOW_MS, IP_WINDOW_MS};
use crate::{passwords, AppState};

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    lang: String,
}

/// Who is signing in from where, for the throttle and the audit log.
pub(super) struct Attempt {
    pub email: String,
    /// Throttle key of the client address (full IPv4, IPv6 /64).
    pub ip_key: Option<String>,
    /// Coarsened address for the audit log.
    pub audit_ip: Option<String>,
}

impl Attempt {
    pub(super) fn new(email: &str, addr: Option<std::net::IpAddr>) -> Attempt {
        Attempt {
            email: email.trim().to_lowercase(),
            ip_key: addr.map(throttle_key),
            audit_ip: addr.map(truncate_ip),
        }
    }

    /// The lock in force now, if any. Unknown e-mails are counted exactly like known ones.
    pub(super) async fn lock(
        &self,
        state: &AppState,
        now: i64,
    ) -> rathaus_store::Result<Option<Lock>> {
        let f = state
            .store
            .login_failures(
                &self.email,
                self.ip_key.as_deref(),
                now,
                ACCOUNT_WINDOW_MS,
                IP_WINDOW_MS,
            )
            .await?;
        Ok(throttle::lock(&f, now))
    }

    /// Counts a failure (wrong password or wrong code) and records a lockout it starts.
    pub(super) async fn failed(&self, state: &AppState, staff_id: Option<i64>, now: i64) {
        audit::record_anonymous(&state.store, audit::LOGIN_FAILED, self.audit_ip.clone()).await;
        self.count_failure(state, staff_id, now).await;
    }

    /// Counts a failure the caller has audited already (e.g. a refused passkey) and records a
    /// lockout it starts.
    pub(super) async fn count_failure(&self, state: &AppState, staff_id: Option<i64>, now: i64) {
        if let Err(e) = state
            .store
            .record_login_failure(&self.email, self.ip_key.as_deref(), now)
            .await
        {
            tracing::error!(error = %e, "could not record a failed login");
            return;
        }
        if let Ok(Some(lock)) = self.lock(state, now).await {
            audit_lockout(state, lock, staff_id, self.audit_ip.clone(), now).await;
        }
    }
}

/// Logs a lockout a failure just started; a known account's goes to its municipality's log, where
/// its officers see it.
pub(super) async fn audit_lockout(
    state: &AppState,
    lock: Lock,
    staff_id: Option<i64>,
    audit_ip: Option<String>,
    now: i64,
) {
    tracing::warn!(
        scope = lock.scope(),
        "sign-in locked after repeated failures"
    );
    let municipality = match staff_id {
        Some(id) => state
            .store
            .staff_municipalities(id)
            .await
            .ok()
            .and_then(|m| m.first().map(|(m, _)| *m)),
        None => None,
    };
    let mut event = AuditEvent::new(municipality, "anonymous", audit::LOGIN_LOCKED)
        .ip(audit_ip)
        .details(format!(
            "{}; until {}",
            lock.scope(),
            view::rfc3339(lock.until())
        ));
    if let Some(id) = staff_id {
        event = event.target(format!("staff:{id}"));
    }
    if let Err(e) = state.store.audit(event, now).await {
        tracing::error!(error = %e, "audit entry could not be written");
    }
}

/// 429 with the same words whether the account exists or not.
pub(super) fn locked_page(tr: Tr, email: &str, lock: Lock, now: i64) -> Response {
    let minutes = throttle::minutes_left(lock.until(), now).max(1);
    let text = tr
        .t("login.locked")
        .replace("{minutes}", &minutes.to_string());
    let page = LoginPage::new(tr, None, Some(text), email.to_string());
    let mut res = view::render(StatusCode::TOO_MANY_REQUESTS, &page);
    let retry_after = ((lock.until() - now).max(0) + 999) / 1000;
    if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

fn failed_page(tr: Tr, email: &str) -> Response {
    let page = LoginPage::new(
        tr,
        None,
        Some(tr.t("login.failed").to_string()),
        email.to_string(),
    );
    view::render(StatusCode::UNAUTHORIZED, &page)
}

/// Checks the password (the same work for unknown e-mails) and, on success, starts a session.
pub async fn submit(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let tr = Tr::new(Lang::from_code(&form.lang));
    let shown_email = form.email.trim().to_string();
    let attempt = Attempt::new(&form.email, addr);
    let now = now_ms();
    match attempt.lock(&state, now).await {
        Ok(Some(lock)) => return locked_page(tr, &shown_email, lock, now),
        Ok(None) => {}
        Err(e) => return view::internal_error(tr, &e),
    }
    let creds = match state.store.staff_credentials(&attempt.email).await {
        Ok(c) => c,
        Err(e) => return view::internal_error(tr, &e),
    };
    let known_id = creds.as_ref().map(|(id, _)| *id);
    let password = form.password;
    let verified = tokio::task::spawn_blocking(move || match creds {
        Some((id, Some(hash))) => passwords::verify_password(&password, &hash).then_some(id),
        _ => {
            passwords::verify_dummy(&password);
            None
        }
    })
    .await
    .ok()
    .flatten();
    let municipality = match verified {
        Some(id) => match state.store.staff_municipalities(id).await {
            Ok(m) => m.first().map(|(m, _)| (id, *m)),
            Err(e) => return view::internal_error(tr, &e),
        },
        None => None,
    };
    let Some((staff_id, municipality_id)) = municipality else {
        tracing::info!("staff login failed");
        attempt.failed(&state, known_id, now).await;
        return failed_page(tr, &shown_email);
    };
    if let Err(e) = state.store.clear_login_failures(&attempt.email).await {
        tracing::error!(error = %e, "could not reset the failed-login counter");
    }
    let origin = Origin::new(attempt.audit_ip.clone(), &headers);
    match has_second_factor(&state, staff_id).await {
        Ok(true) => {
            // Password right, second factor to come: a short-lived session that opens only the code form.
            let first = SignIn::new(FirstFactor::Password);
            match sessions::open(&state, staff_id, municipality_id, &origin, true, first).await {
                Ok(cookie) => (
                    [(header::SET_COOKIE, cookie)],
                    Redirect::to(&format!("/login/mfa?lang={}", tr.code())),
                )
                    .into_response(),
                Err(e) => view::internal_error(tr, &e),
            }
        }
        Ok(false) => {
            let sign_in = SignIn::new(FirstFactor::Password);
            signed_in(
                &state,
                tr,
                staff_id,
                municipality_id,
                &origin,
                sign_in,
                None,
            )
            .await
        }
        Err(e) => view::internal_error(tr, &e),
    }
}

/// Whether the member has a second factor to ask for after the first: TOTP or a passkey.
pub(super) async fn has_second_factor(
    state: &AppState,
    staff_id: i64,
) -> rathaus_store::Result<bool> {
    Ok(state.store.totp_enabled(staff_id).await?
        || !state.store.staff_passkeys(staff_id).await?.is_empty())
}

/// Completes a sign-in: a fresh session id (never one the browser brought along) that records how it
/// was opened, audited with that method.
pub(crate) async fn signed_in(
    state: &AppState,
    tr: Tr,
    staff_id: i64,
    municipality_id: i64,
    origin: &Origin,
    sign_in: SignIn,
    details: Option<String>,
) -> Response {
    let cookie =
        match sessions::open(state, staff_id, municipality_id, origin, false, sign_in).await {
            Ok(c) => c,
            Err(e) => return view::internal_error(tr, &e),
        };
    tracing::info!(staff_id, "staff signed in");
    let actor = Actor {
        municipality_id,
        name: format!("staff:{staff_id}"),
        ip: origin.ip.clone(),
    };
    audit::record_change(
        &state.store,
        &actor,
        audit::LOGIN_OK,
        format!("staff:{staff_id}"),
        Some(match details {
            Some(d) => format!("{d}; method: {}", sign_in.as_str()),
            None => format!("method: {}", sign_in.as_str()),
        }),
    )
    .await;
    // Straight to the role's start page; an unreadable role falls back to `/`, which asks the session.
    let home = match state.store.staff_municipalities(staff_id).await {
        Ok(ms) => ms
            .into_iter()
            .find(|(m, _)| *m == municipality_id)
            .map_or("/", |(_, role)| super::auth::home_for(role)),
        Err(_) => "/",
    };
    ([(header::SET_COOKIE, cookie)], Redirect::to(home)).into_response()
}
