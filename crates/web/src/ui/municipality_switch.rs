//! Working in another municipality: the header's switch for members of several, and `POST /account/gemeinde`.

use axum::extract::State;
use axum::http::header::{self, HeaderMap};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use rathaus_store::{Role, SessionInfo};
use serde::Deserialize;

use super::admin::role_key;
use super::audit::{self, Actor};
use super::auth::{home_for, StaffSession};
use super::i18n::Tr;
use super::{sessions, view};
use crate::AppState;

/// One of the member's municipalities as the header's select offers it.
#[derive(Debug, Clone)]
pub struct Choice {
    pub id: i64,
    pub name: String,
    /// The member's role there, in the member's language.
    pub role: &'static str,
    /// The municipality of the current session.
    pub current: bool,
}

/// The member's municipalities for the switch; empty (no switch shown) for a member of only one.
pub async fn choices(state: &AppState, info: &SessionInfo, tr: Tr) -> Vec<Choice> {
    let memberships = match state.store.staff_municipalities(info.staff_id).await {
        Ok(m) => m,
        Err(e) => {
            tracing::error!(error = %e, "memberships for the municipality switch could not be read");
            return Vec::new();
        }
    };
    if memberships.len() < 2 {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(memberships.len());
    for (id, role) in memberships {
        let (name, _) = view::municipality(state, id).await;
        out.push(Choice {
            id,
            name,
            role: tr.t(role_key(role)),
            current: id == info.municipality_id,
        });
    }
    out
}

#[derive(Deserialize)]
pub struct SwitchForm {
    #[serde(default)]
    municipality: String,
}

/// The member's role in `municipality_id`, if they belong to it.
async fn role_in(
    state: &AppState,
    staff_id: i64,
    municipality_id: i64,
) -> rathaus_store::Result<Option<Role>> {
    Ok(state
        .store
        .staff_municipalities(staff_id)
        .await?
        .into_iter()
        .find(|(m, _)| *m == municipality_id)
        .map(|(_, role)| role))
}

/// How the audit log names a municipality: its slug, or its id if it is not configured.
fn audit_name(state: &AppState, municipality_id: i64) -> String {
    state
        .registry
        .tenant(municipality_id)
        .map_or_else(|| municipality_id.to_string(), |t| t.row.slug.clone())
}

/// `POST /account/gemeinde`: moves the session to another municipality of the member. A change of
/// privilege, so the session id is rotated (keeping how the member signed in); the new municipality's
/// rules apply from the next request on (e.g. its second-factor requirement).
pub async fn switch(
    State(state): State<AppState>,
    session: StaffSession,
    headers: HeaderMap,
    Form(form): Form<SwitchForm>,
) -> Response {
    let tr = session.tr();
    let from = session.info.municipality_id;
    // A form without a municipality id is malformed; an id the member does not belong to is refused.
    let Ok(to) = form.municipality.trim().parse::<i64>() else {
        let chrome = session.chrome(&state, "/account/sessions").await;
        return view::message_page(
            StatusCode::BAD_REQUEST,
            tr,
            Some(chrome),
            "error.bad_request_title",
            "error.no_municipality",
        );
    };
    let role = match role_in(&state, session.info.staff_id, to).await {
        Ok(role) => role,
        Err(e) => return view::internal_error(tr, &e),
    };
    let Some(role) = role else {
        tracing::warn!(
            staff_id = session.info.staff_id,
            "municipality switch refused: no membership there"
        );
        let chrome = session.chrome(&state, "/account/sessions").await;
        return view::message_page(
            StatusCode::FORBIDDEN,
            tr,
            Some(chrome),
            "error.forbidden_title",
            "error.not_a_member",
        );
    };
    if to == from {
        return Redirect::to(home_for(role)).into_response();
    }
    let cookie = match sessions::rotate_to(&state, &session, &headers, None, to).await {
        Ok(c) => c,
        Err(e) => return view::internal_error(tr, &e),
    };
    let details = format!(
        "from: {}; to: {}",
        audit_name(&state, from),
        audit_name(&state, to)
    );
    for municipality_id in [from, to] {
        // Named as the login entries name a member: by id only.
        let actor = Actor {
            municipality_id,
            name: format!("staff:{}", session.info.staff_id),
            ip: session.ip.clone(),
        };
        audit::record_change(
            &state.store,
            &actor,
            audit::SESSION_MUNICIPALITY_SWITCHED,
            format!("staff:{}", session.info.staff_id),
            Some(details.clone()),
        )
        .await;
    }
    ([(header::SET_COOKIE, cookie)], Redirect::to(home_for(role))).into_response()
}
