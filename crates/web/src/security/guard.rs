//! The guard layer: looks every routed request up in the matrix and authenticates it before any handler runs.

use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use super::access::{lookup, second_factor_required_in, Access, Lookup};
use crate::api::auth::ApiSession;
use crate::api::errors::ApiError;
use crate::ui::auth::cookie_value;
use crate::ui::i18n::{Lang, Tr};
use crate::ui::{session_cookie_name, view, StaffSession};
use crate::AppState;
use rathaus_store::now_ms;

/// Applied with `Router::route_layer`, so it sees the matched route pattern of every request.
pub async fn enforce(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(pattern) = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
    else {
        return unlisted("(unmatched)");
    };
    let is_api = pattern.starts_with("/api/");
    match lookup(req.method().as_str(), &pattern) {
        Lookup::Unlisted => unlisted(&pattern),
        Lookup::WrongMethod if is_api => ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "Diese Methode ist hier nicht erlaubt. / Method not allowed here.",
        )
        .into_response(),
        Lookup::WrongMethod => (
            StatusCode::METHOD_NOT_ALLOWED,
            "Methode nicht erlaubt. / Method not allowed.",
        )
            .into_response(),
        Lookup::Found(Access::Public) => next.run(req).await,
        Lookup::Found(Access::SecondStep) => {
            let name = session_cookie_name(state.settings.secure_cookies);
            let pending = match cookie_value(req.headers(), name) {
                Some(token) => state.store.pending_login(token, now_ms()).await,
                None => Ok(None),
            };
            match pending {
                Ok(Some(_)) => next.run(req).await,
                Ok(None) => Redirect::to("/login").into_response(),
                Err(e) => view::internal_error(Tr::new(Lang::De), &e),
            }
        }
        Lookup::Found(access @ (Access::Staff(_) | Access::Account)) => {
            let (mut parts, body) = req.into_parts();
            let session = match StaffSession::from_request_parts(&mut parts, &state).await {
                Ok(s) => s,
                Err(redirect_or_error) => return redirect_or_error,
            };
            if !access.admits(session.info.role) {
                tracing::warn!(route = %pattern, role = session.info.role.as_str(), "route refused to this role");
                let chrome = session.chrome(&state, "/inbox").await;
                return view::forbidden(session.tr(), Some(chrome));
            }
            // A role that must use a second factor works only once it is set up; until then only its own
            // account pages (where it is set up) are open.
            if matches!(access, Access::Staff(_))
                && second_factor_required_in(
                    &state.registry,
                    session.info.municipality_id,
                    session.info.role,
                )
            {
                match second_factor_satisfied(&state, &session).await {
                    Ok(true) => {}
                    Ok(false) => return Redirect::to("/account/mfa").into_response(),
                    Err(e) => return view::internal_error(session.tr(), &e),
                }
            }
            // An agent of a team opens only its teams' concerns (and team-less ones).
            if let Some(refused) =
                super::team_scope::refuse(&state, &pattern, parts.uri.path(), &session.info, false)
                    .await
            {
                return refused;
            }
            parts.extensions.insert(session);
            next.run(Request::from_parts(parts, body)).await
        }
        Lookup::Found(access @ Access::Api(_)) => {
            let (mut parts, body) = req.into_parts();
            let session = match ApiSession::from_request_parts(&mut parts, &state).await {
                Ok(s) => s,
                Err(e) => return e.into_response(),
            };
            if !access.admits(session.0.role) {
                tracing::warn!(route = %pattern, role = session.0.role.as_str(), "API route refused to this role");
                return ApiError::forbidden().into_response();
            }
            if let Some(refused) =
                super::team_scope::refuse(&state, &pattern, parts.uri.path(), &session.0, true)
                    .await
            {
                return refused;
            }
            parts.extensions.insert(session);
            next.run(Request::from_parts(parts, body)).await
        }
    }
}

/// Whether the session proved a second factor when it was opened: a TOTP or recovery code, a passkey,
/// or an identity provider configured as checking one itself (`satisfies_mfa`). A session from before
/// the sign-in method was recorded counts when the member has TOTP (every such sign-in asked for it).
async fn second_factor_satisfied(
    state: &AppState,
    session: &StaffSession,
) -> rathaus_store::Result<bool> {
    match state.store.session_sign_in(&session.token).await? {
        Some(Some(sign_in)) => Ok(sign_in.second_factor_satisfied()),
        Some(None) => state.store.totp_enabled(session.info.staff_id).await,
        None => Ok(false),
    }
}

/// A route that is registered but missing from the matrix: refused, and loudly logged.
fn unlisted(pattern: &str) -> Response {
    tracing::error!(
        route = pattern,
        "route has no rule in the access matrix; refused"
    );
    (StatusCode::FORBIDDEN, "Kein Zugriff. / Access denied.").into_response()
}
