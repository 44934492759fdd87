//! `/admin/mitarbeitende`: the municipality's staff with roles and 2FA status; invite, change role, remove.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use rathaus_store::{now_ms, Role, StaffOverview, StaffRefusal, INVITATION_VALID_MS};
use serde::Deserialize;

use super::{
    flash, require_admin, role_key, AdminSubNav, STAFF_INVITED, STAFF_REMOVED, STAFF_ROLE_CHANGED,
};
use crate::ui::audit::record_change;
use crate::ui::auth::StaffSession;
use crate::ui::i18n::Tr;
use crate::ui::view::{self, Chrome};
use crate::AppState;

const PATH: &str = "/admin/mitarbeitende";

pub struct RoleOption {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

pub struct MemberRow {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: &'static str,
    pub second_factor: &'static str,
    pub invited: bool,
    /// The acting admin's own line: no role change or removal offered.
    pub own: bool,
    pub roles: Vec<RoleOption>,
}

#[derive(Template)]
#[template(path = "admin_staff.html")]
struct StaffPage {
    tr: Tr,
    chrome: Option<Chrome>,
    flash: Option<String>,
    error: Option<String>,
    subnav: AdminSubNav,
    rows: Vec<MemberRow>,
    invite_roles: Vec<RoleOption>,
    invite_email: String,
    invite_name: String,
    /// The one-time link of an invitation just made (shown this once).
    invite_link: Option<String>,
}

fn role_options(tr: Tr, selected: Role) -> Vec<RoleOption> {
    Role::ALL
        .into_iter()
        .map(|r| RoleOption {
            value: r.as_str(),
            label: tr.t(role_key(r)),
            selected: r == selected,
        })
        .collect()
}

fn rows(tr: Tr, members: Vec<StaffOverview>, me: i64) -> Vec<MemberRow> {
    members
        .into_iter()
        .map(|m| MemberRow {
            id: m.id,
            role: tr.t(role_key(m.role)),
            second_factor: tr.t(if m.second_factor {
                "admin.mfa_on"
            } else {
                "admin.mfa_off"
            }),
            invited: m.invited,
            own: m.id == me,
            roles: role_options(tr, m.role),
            name: m.display_name,
            email: m.email,
        })
        .collect()
}

/// Renders the page; `form` keeps what was typed into the invitation form after a refusal.
async fn page(
    state: &AppState,
    session: &StaffSession,
    status: StatusCode,
    flash: Option<String>,
    error: Option<String>,
    form: Option<&InviteForm>,
    invite_link: Option<String>,
) -> Response {
    let tr = session.tr();
    let members = match state
        .store
        .staff_overview(session.info.municipality_id)
        .await
    {
        Ok(m) => m,
        Err(e) => return view::internal_error(tr, &e),
    };
    let invite_role = form
        .and_then(|f| Role::parse(&f.role))
        .unwrap_or(Role::Agent);
    let page = StaffPage {
        tr,
        chrome: Some(session.chrome(state, PATH).await),
        flash,
        error,
        subnav: AdminSubNav::new(tr, PATH),
        rows: rows(tr, members, session.info.staff_id),
        invite_roles: role_options(tr, invite_role),
        invite_email: form.map(|f| f.email.clone()).unwrap_or_default(),
        invite_name: form.map(|f| f.name.clone()).unwrap_or_default(),
        invite_link,
    };
    view::render(status, &page)
}

#[derive(Deserialize)]
pub struct MsgQuery {
    msg: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    session: StaffSession,
    Query(q): Query<MsgQuery>,
) -> Response {
    let tr = match require_admin(&state, &session, PATH).await {
        Ok(tr) => tr,
        Err(r) => return r,
    };
    let flash = flash(tr, q.msg.as_deref());
    page(&state, &session, StatusCode::OK, flash, None, None, None).await
}

#[derive(Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
}

/// The i18n key of a refusal, shown above the page.
pub fn refusal_key(r: StaffRefusal) -> &'static str {
    match r {
        StaffRefusal::LastAdmin => "admin.refused_last_admin",
        StaffRefusal::OwnAccount => "admin.refused_own_account",
        StaffRefusal::NotMember => "admin.refused_not_member",
        StaffRefusal::AlreadyMember => "admin.refused_already_member",
    }
}

/// `POST /admin/mitarbeitende`: invites by e-mail with a role and shows the one-time link once.
pub async fn invite(
    State(state): State<AppState>,
    session: StaffSession,
    Form(form): Form<InviteForm>,
) -> Response {
    let tr = match require_admin(&state, &session, PATH).await {
        Ok(tr) => tr,
        Err(r) => return r,
    };
    let Some(role) = Role::parse(&form.role) else {
        let error = Some(tr.t("admin.role_invalid").to_string());
        return page(
            &state,
            &session,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            error,
            Some(&form),
            None,
        )
        .await;
    };
    let m = session.info.municipality_id;
    let result = state
        .store
        .invite_staff(
            m,
            &form.email,
            &form.name,
            role,
            now_ms(),
            INVITATION_VALID_MS,
        )
        .await;
    let invitation = match result {
        Ok(Ok(i)) => i,
        Ok(Err(refusal)) => {
            let error = Some(tr.t(refusal_key(refusal)).to_string());
            return page(
                &state,
                &session,
                StatusCode::CONFLICT,
                None,
                error,
                Some(&form),
                None,
            )
            .await;
        }
        Err(rathaus_store::StoreError::Invalid(_)) => {
            let error = Some(tr.t("admin.email_invalid").to_string());
            return page(
                &state,
                &session,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                error,
                Some(&form),
                None,
            )
            .await;
        }
        Err(e) => return view::internal_error(tr, &e),
    };
    record_change(
        &state.store,
        &session.actor(),
        STAFF_INVITED,
        format!(
            "staff:{} {}",
            invitation.staff_id,
            form.email.trim().to_lowercase()
        ),
        Some(format!("role={}", role.as_str())),
    )
    .await;
    match invitation.token {
        Some(token) => {
            let link = invitation_url(&state, &token);
            let flash = Some(tr.t("admin.flash_invited_link").to_string());
            page(
                &state,
                &session,
                StatusCode::CREATED,
                flash,
                None,
                None,
                Some(link),
            )
            .await
        }
        None => Redirect::to(&format!("{PATH}?msg=member_added")).into_response(),
    }
}

/// The full invitation link under the server's public address.
pub fn invitation_url(state: &AppState, token: &str) -> String {
    format!(
        "{}/einladung/{token}",
        state.settings.public_url.trim_end_matches('/')
    )
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

/// `POST /admin/mitarbeitende/{id}/rolle`.
pub async fn change_role(
    State(state): State<AppState>,
    session: StaffSession,
    Path(id): Path<i64>,
    Form(form): Form<RoleForm>,
) -> Response {
    let tr = match require_admin(&state, &session, PATH).await {
        Ok(tr) => tr,
        Err(r) => return r,
    };
    let Some(role) = Role::parse(&form.role) else {
        let error = Some(tr.t("admin.role_invalid").to_string());
        return page(
            &state,
            &session,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            error,
            None,
            None,
        )
        .await;
    };
    let m = session.info.municipality_id;
    match state
        .store
        .change_staff_role(m, session.info.staff_id, id, role)
        .await
    {
        Ok(Ok(old)) => {
            if old != role {
                record_change(
                    &state.store,
                    &session.actor(),
                    STAFF_ROLE_CHANGED,
                    format!("staff:{id}"),
                    Some(format!("{} -> {}", old.as_str(), role.as_str())),
                )
                .await;
            }
            Redirect::to(&format!("{PATH}?msg=role_changed")).into_response()
        }
        Ok(Err(StaffRefusal::NotMember)) => {
            view::not_found(tr, Some(session.chrome(&state, PATH).await))
        }
        Ok(Err(refusal)) => {
            let error = Some(tr.t(refusal_key(refusal)).to_string());
            page(
                &state,
                &session,
                StatusCode::CONFLICT,
                None,
                error,
                None,
                None,
            )
            .await
        }
        Err(e) => view::internal_error(tr, &e),
    }
}

/// `POST /admin/mitarbeitende/{id}/entfernen`: ends the membership and the member's sessions here.
pub async fn remove(
    State(state): State<AppState>,
    session: StaffSession,
    Path(id): Path<i64>,
) -> Response {
    let tr = match require_admin(&state, &session, PATH).await {
        Ok(tr) => tr,
        Err(r) => return r,
    };
    let m = session.info.municipality_id;
    match state.store.remove_staff(m, session.info.staff_id, id).await {
        Ok(Ok(old)) => {
            record_change(
                &state.store,
                &session.actor(),
                STAFF_REMOVED,
                format!("staff:{id}"),
                Some(format!("role={}", old.as_str())),
            )
            .await;
            Redirect::to(&format!("{PATH}?msg=member_removed")).into_response()
        }
        Ok(Err(StaffRefusal::NotMember)) => {
            view::not_found(tr, Some(session.chrome(&state, PATH).await))
        }
        Ok(Err(refusal)) => {
            let error = Some(tr.t(refusal_key(refusal)).to_string());
            page(
                &state,
                &session,
                StatusCode::CONFLICT,
                None,
                error,
                None,
                None,
            )
            .await
        }
        Err(e) => view::internal_error(tr, &e),
    }
}
