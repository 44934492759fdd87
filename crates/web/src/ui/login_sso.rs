//! Signing in through the municipality's OpenID Connect provider: the start (to the provider) and the
//! callback (back from it), matched to a pre-provisioned staff account by verified e-mail.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use rathaus_hub::sso::{PendingSso, RelyingParty, SsoError, SsoIdentity};
use rathaus_hub::Tenant;
use rathaus_store::{now_ms, truncate_ip, AuditEvent, FirstFactor, SecondFactor, SignIn};
use serde::{Deserialize, Serialize};

use super::audit;
use super::auth::{cookie_value, LoginPage};
use super::i18n::{Lang, Tr};
use super::login::signed_in;
use super::sessions::{self, Origin};
use super::view;
use crate::security::client::ClientAddr;
use crate::AppState;

const SECURE_COOKIE: &str = "__Host-rathaus_sso";
const PLAIN_COOKIE: &str = "rathaus_sso";
/// How long the trip to the provider and back may take.
const PENDING_MS: i64 = 10 * 60 * 1000;
/// Binds the sealed cookie to its purpose.
const COOKIE_CONTEXT: &[u8] = b"sso-login-cookie";

/// A sign-in button on the login page.
pub(super) struct SsoButton {
    pub slug: String,
    pub label: String,
}

/// Buttons for the municipalities with a provider; only `only`'s when the login page names one.
pub(super) fn buttons(state: &AppState, tr: Tr, only: Option<&str>) -> Vec<SsoButton> {
    let registry = state.registry.current();
    let with_sso: Vec<(&Tenant, &Arc<RelyingParty>)> = registry
        .tenants()
        .iter()
        .filter_map(|t| t.sso.as_ref().map(|rp| (t, rp)))
        .filter(|(t, _)| only.is_none_or(|slug| t.row.slug == slug))
        .collect();
    let several = with_sso.len() > 1;
    with_sso
        .into_iter()
        .map(|(t, rp)| {
            let mut label = tr
                .t("sso.button")
                .replace("{provider}", &rp.config().button_label);
            if several {
                label = format!("{label} ({})", t.row.name);
            }
            SsoButton {
                slug: t.row.slug.clone(),
                label,
            }
        })
        .collect()
}

/// What the browser keeps (encrypted) while it is at the provider.
#[derive(Serialize, Deserialize)]
struct Trip {
    municipality: String,
    lang: String,
    started_at: i64,
    pending: PendingSso,
}

fn cookie_name(state: &AppState) -> &'static str {
    if state.settings.secure_cookies {
        SECURE_COOKIE
    } else {
        PLAIN_COOKIE
    }
}

fn trip_cookie(state: &AppState, value: &str, max_age_s: i64) -> HeaderValue {
    let secure = if state.settings.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    // Lax: the provider sends the browser back with a top-level GET, which carries Lax cookies.
    let text = format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_s}{secure}",
        cookie_name(state)
    );
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn seal(state: &AppState, trip: &Trip) -> Option<String> {
    let json = serde_json::to_vec(trip).ok()?;
    let key = state.store.secrets_key().derive("sso-login");
    Some(B64.encode(key.seal(&json, COOKIE_CONTEXT)))
}

fn open(state: &AppState, headers: &HeaderMap) -> Option<Trip> {
    let raw = cookie_value(headers, cookie_name(state))?;
    let blob = B64.decode(raw).ok()?;
    let key = state.store.secrets_key().derive("sso-login");
    let json = key.open(&blob, COOKIE_CONTEXT).ok()?;
    serde_json::from_slice(&json).ok()
}

fn redirect_uri(state: &AppState) -> String {
    format!("{}/login/oidc/callback", state.settings.public_url)
}

#[derive(Deserialize)]
pub struct StartQuery {
    #[serde(default)]
    m: String,
    #[serde(default)]
    lang: String,
}

/// The login page again with an error and the sign-in buttons.
fn login_error(state: &AppState, tr: Tr, status: StatusCode, text: String) -> Response {
    let page =
        LoginPage::new(tr, None, Some(text), String::new()).with_sso(buttons(state, tr, None));
    let mut res = view::render(status, &page);
    res.headers_mut()
        .insert(header::SET_COOKIE, trip_cookie(state, "", 0));
    res
}

/// `GET /login/oidc/start?m=<slug>`: sends the browser to the municipality's provider.
pub async fn start(State(state): State<AppState>, Query(form): Query<StartQuery>) -> Response {
    let tr = Tr::new(Lang::from_code(&form.lang));
    let registry = state.registry.current();
    let Some((tenant, rp)) = registry
        .tenant_by_slug(&form.m)
        .and_then(|t| t.sso.as_ref().map(|rp| (t, rp.clone())))
    else {
        return login_error(
            &state,
            tr,
            StatusCode::NOT_FOUND,
            tr.t("sso.not_configured").to_string(),
        );
    };
    let (url, pending) = match rp.begin(&redirect_uri(&state)).await {
        Ok(x) => x,
        Err(e) => {
            tracing::error!(municipality = %tenant.row.slug, error = %e, "single sign-on could not start");
            let text = tr
                .t("sso.unreachable")
                .replace("{provider}", &rp.config().button_label);
            return login_error(&state, tr, StatusCode::BAD_GATEWAY, text);
        }
    };
    let trip = Trip {
        municipality: tenant.row.slug.clone(),
        lang: tr.code().to_string(),
        started_at: now_ms(),
        pending,
    };
    let Some(sealed) = seal(&state, &trip) else {
        return view::internal_error(tr, &"sealing the sign-in cookie failed");
    };
    (
        [(
            header::SET_COOKIE,
            trip_cookie(&state, &sealed, PENDING_MS / 1000),
        )],
        Redirect::to(&url),
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    /// RFC 9207: which provider sent the browser back (when the provider says so).
    iss: Option<String>,
}

/// A failed sign-in through the provider: in the audit log like a failed password (with the reason, never
/// the e-mail address; the known account as target), and shown. Not counted for the password lockout:
/// the provider already authenticated the person, so this is no password guessing.
async fn refuse(
    state: &AppState,
    tr: Tr,
    origin: &Origin,
    municipality_id: Option<i64>,
    reason: &str,
    staff_id: Option<i64>,
    text: String,
) -> Response {
    tracing::info!(reason, "single sign-on refused");
    let mut event = AuditEvent::new(municipality_id, "anonymous", audit::LOGIN_FAILED)
        .ip(origin.ip.clone())
        .details(format!("single sign-on: {reason}"));
    if let Some(id) = staff_id {
        event = event.target(format!("staff:{id}"));
    }
    if let Err(e) = state.store.audit(event, now_ms()).await {
        tracing::error!(error = %e, "audit entry could not be written");
    }
    login_error(state, tr, StatusCode::FORBIDDEN, text)
}

/// `GET /login/oidc/callback`: the provider sends the browser back here with `code` and `state`.
pub async fn callback(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> Response {
    let origin = Origin::new(addr.map(truncate_ip), &headers);
    let now = now_ms();
    let trip = open(&state, &headers).filter(|t| now - t.started_at < PENDING_MS);
    let Some(trip) = trip else {
        let tr = Tr::new(Lang::De);
        let text = tr.t("sso.expired").to_string();
        return refuse(
            &state,
            tr,
            &origin,
            None,
            "no sign-in started in this browser",
            None,
            text,
        )
        .await;
    };
    let tr = Tr::new(Lang::from_code(&trip.lang));
    let registry = state.registry.current();
    let Some((tenant, rp)) = registry
        .tenant_by_slug(&trip.municipality)
        .and_then(|t| t.sso.as_ref().map(|rp| (t, rp.clone())))
    else {
        let text = tr.t("sso.not_configured").to_string();
        return refuse(
            &state,
            tr,
            &origin,
            None,
            "provider no longer configured",
            None,
            text,
        )
        .await;
    };
    let municipality_id = tenant.row.id;
    let provider = rp.config().button_label.clone();
    let failed_text = tr.t("sso.failed").replace("{provider}", &provider);
    if let Some(error) = q.error.as_deref() {
        // The provider's own error code (e.g. access_denied when the person cancelled); shown escaped.
        let reason = format!(
            "provider answered {}",
            error.chars().take(64).collect::<String>()
        );
        return refuse(
            &state,
            tr,
            &origin,
            Some(municipality_id),
            &reason,
            None,
            failed_text,
        )
        .await;
    }
    let (Some(code), Some(returned_state)) = (q.code.as_deref(), q.state.as_deref()) else {
        return refuse(
            &state,
            tr,
            &origin,
            Some(municipality_id),
            "code or state missing",
            None,
            failed_text,
        )
        .await;
    };
    if q.iss.as_deref().is_some_and(|iss| !rp.is_issuer(iss)) {
        return refuse(
            &state,
            tr,
            &origin,
            Some(municipality_id),
            "sent back by another issuer (iss)",
            None,
            failed_text,
        )
        .await;
    }
    let identity = match rp
        .finish(
            &redirect_uri(&state),
            &trip.pending,
            returned_state,
            code,
            now,
        )
        .await
    {
        Ok(i) => i,
        Err(e) => {
            tracing::warn!(municipality = %tenant.row.slug, error = %e, "single sign-on failed");
            let reason = match &e {
                SsoError::Discovery(_) | SsoError::TokenEndpoint(_) | SsoError::UserInfo(_) => {
                    e.code().to_string()
                }
                other => format!("{}: {other}", other.code()),
            };
            return refuse(
                &state,
                tr,
                &origin,
                Some(municipality_id),
                &reason,
                None,
                failed_text,
            )
            .await;
        }
    };
    signed_in_as(&state, tr, &origin, tenant, &rp, identity).await
}

/// Finds the staff account for a verified identity and opens the session (or the code step).
async fn signed_in_as(
    state: &AppState,
    tr: Tr,
    origin: &Origin,
    tenant: &Tenant,
    rp: &RelyingParty,
    identity: SsoIdentity,
) -> Response {
    let config = rp.config();
    let municipality_id = tenant.row.id;
    let Some(email) = identity.email.filter(|e| e.contains('@')) else {
        let text = tr
            .t("sso.no_email")
            .replace("{provider}", &config.button_label);
        return refuse(
            state,
            tr,
            origin,
            Some(municipality_id),
            "no e-mail address from the provider",
            None,
            text,
        )
        .await;
    };
    if !identity.email_verified && !config.trust_email {
        let text = tr
            .t("sso.unverified")
            .replace("{provider}", &config.button_label);
        return refuse(
            state,
            tr,
            origin,
            Some(municipality_id),
            "e-mail address not verified by the provider",
            None,
            text,
        )
        .await;
    }
    let staff_id = match state.store.staff_credentials(&email).await {
        Ok(c) => c.map(|(id, _)| id),
        Err(e) => return view::internal_error(tr, &e),
    };
    let member = match staff_id {
        Some(id) => match state.store.staff_municipalities(id).await {
            Ok(m) => m.iter().any(|(m, _)| *m == municipality_id).then_some(id),
            Err(e) => return view::internal_error(tr, &e),
        },
        None => None,
    };
    let Some(staff_id) = member else {
        // Accounts are never created here: roles stay in Rathaus, given by its administrators.
        let text = tr
            .t("sso.no_account")
            .replace("{email}", &email)
            .replace("{municipality}", &tenant.row.name);
        return refuse(
            state,
            tr,
            origin,
            Some(municipality_id),
            "no staff account in this municipality for the e-mail address",
            staff_id,
            text,
        )
        .await;
    };
    let needs_code = match super::login::has_second_factor(state, staff_id).await {
        Ok(enabled) => enabled && !config.satisfies_mfa,
        Err(e) => return view::internal_error(tr, &e),
    };
    if needs_code {
        // The provider vouched for the person, but this municipality still wants the app's code.
        let first = SignIn::new(FirstFactor::Sso);
        return match sessions::open(state, staff_id, municipality_id, origin, true, first).await {
            Ok(cookie) => {
                let mut res = (
                    [(header::SET_COOKIE, cookie)],
                    Redirect::to(&format!("/login/mfa?lang={}", tr.code())),
                )
                    .into_response();
                res.headers_mut()
                    .append(header::SET_COOKIE, trip_cookie(state, "", 0));
                res
            }
            Err(e) => view::internal_error(tr, &e),
        };
    }
    let details = format!("single sign-on: {}", config.issuer);
    // A provider configured as checking a second factor itself satisfies Rathaus's second factor.
    let sign_in = if config.satisfies_mfa {
        SignIn::new(FirstFactor::Sso).with(SecondFactor::Provider)
    } else {
        SignIn::new(FirstFactor::Sso)
    };
    let mut res = signed_in(
        state,
        tr,
        staff_id,
        municipality_id,
        origin,
        sign_in,
        Some(details),
    )
    .await;
    res.headers_mut()
        .append(header::SET_COOKIE, trip_cookie(state, "", 0));
    res
}
