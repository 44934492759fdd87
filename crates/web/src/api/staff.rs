//! `/api/v1/staff`: the administration of a municipality's staff for integrations (admins only), as in the UI.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use rathaus_store::{now_ms, Role, StaffRefusal, StoreError, INVITATION_VALID_MS};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::ApiSession;
use super::errors::{ApiError, ApiJson, ApiPath, ErrorBody};
use crate::ui::admin::{STAFF_INVITED, STAFF_REMOVED, STAFF_ROLE_CHANGED};
use crate::ui::audit::record_change;
use crate::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct StaffDto {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    /// `admin`, `editor`, `agent`, `host`, `dpo` or `viewer`.
    pub role: String,
    /// Whether a confirmed second factor is set up.
    pub second_factor: bool,
    /// Whether the invitation is not yet accepted (no password yet).
    pub invited: bool,
}

fn require_admin(session: &ApiSession) -> Result<(), ApiError> {
    if session.0.role == Role::Admin {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

fn refused(r: StaffRefusal) -> ApiError {
    let (status, message) = match r {
        StaffRefusal::LastAdmin => (
            StatusCode::CONFLICT,
            "Die Gemeinde braucht mindestens eine Administration. / The municipality needs at least one administrator.",
        ),
        StaffRefusal::OwnAccount => (
            StatusCode::CONFLICT,
            "Die eigene Rolle wird nicht geändert. / One's own role is not changed.",
        ),
        StaffRefusal::NotMember => (
            StatusCode::NOT_FOUND,
            "Nicht Mitglied dieser Gemeinde. / Not a member of this municipality.",
        ),
        StaffRefusal::AlreadyMember => (
            StatusCode::CONFLICT,
            "Schon Mitglied dieser Gemeinde. / Already a member of this municipality.",
        ),
    };
    ApiError::new(status, r.code(), message)
}

fn parse_role(role: &str) -> Result<Role, ApiError> {
    Role::parse(role).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_role",
            "Unbekannte Rolle. / Unknown role.",
        )
    })
}

/// The municipality's staff with role and second-factor status.
#[utoipa::path(
    get, path = "/api/v1/staff", tag = "staff",
    responses(
        (status = 200, description = "Staff by name", body = Vec<StaffDto>),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not an administrator (`forbidden`)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    session: ApiSession,
) -> Result<Json<Vec<StaffDto>>, ApiError> {
    require_admin(&session)?;
    let staff = state
        .store
        .staff_overview(session.0.municipality_id)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    Ok(Json(
        staff
            .into_iter()
            .map(|s| StaffDto {
                id: s.id,
                email: s.email,
                display_name: s.display_name,
                role: s.role.as_str().to_string(),
                second_factor: s.second_factor,
                invited: s.invited,
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct InviteBody {
    pub email: String,
    #[serde(default)]
    pub display_name: String,
    pub role: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Invited {
    pub staff_id: i64,
    /// The one-time setup link (7 days), returned only this once; null when the account already had a
    /// password and simply gained the membership.
    pub setup_url: Option<String>,
}

/// Invites a staff member by e-mail with a role.
#[utoipa::path(
    post, path = "/api/v1/staff/invitations", tag = "staff",
    request_body = InviteBody,
    responses(
        (status = 201, description = "Invited", body = Invited),
        (status = 400, description = "Malformed JSON (`bad_request`)", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not an administrator (`forbidden`)", body = ErrorBody),
        (status = 409, description = "Already a member (`already_member`)", body = ErrorBody),
        (status = 422, description = "Unknown role (`invalid_role`) or bad e-mail address (`invalid_email`)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn invite(
    State(state): State<AppState>,
    session: ApiSession,
    ApiJson(body): ApiJson<InviteBody>,
) -> Result<(StatusCode, Json<Invited>), ApiError> {
    require_admin(&session)?;
    let role = parse_role(&body.role)?;
    let invitation = match state
        .store
        .invite_staff(
            session.0.municipality_id,
            &body.email,
            &body.display_name,
            role,
            now_ms(),
            INVITATION_VALID_MS,
        )
        .await
    {
        Ok(Ok(i)) => i,
        Ok(Err(r)) => return Err(refused(r)),
        Err(StoreError::Invalid(m)) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_email",
                m,
            ))
        }
        Err(e) => return Err(ApiError::internal(&e)),
    };
    record_change(
        &state.store,
        &session.actor(),
        STAFF_INVITED,
        format!(
            "staff:{} {}",
            invitation.staff_id,
            body.email.trim().to_lowercase()
        ),
        Some(format!("role={} (api)", role.as_str())),
    )
    .await;
    Ok((
        StatusCode::CREATED,
        Json(Invited {
            staff_id: invitation.staff_id,
            setup_url: invitation
                .token
                .map(|t| crate::ui::admin::invitation_url(&state, &t)),
        }),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RoleBody {
    pub role: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoleChanged {
    pub staff_id: i64,
    pub previous_role: String,
    pub role: String,
}

/// Changes a member's role (their sessions in this municipality end).
#[utoipa::path(
    post, path = "/api/v1/staff/{id}/role", tag = "staff",
    params(("id" = i64, Path, description = "Staff id")),
    request_body = RoleBody,
    responses(
        (status = 200, description = "Role changed", body = RoleChanged),
        (status = 400, description = "Malformed JSON (`bad_request`)", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not an administrator (`forbidden`)", body = ErrorBody),
        (status = 404, description = "Not a member here (`staff_not_found`)", body = ErrorBody),
        (status = 409, description = "Own account (`own_account`) or the last administrator (`last_admin`)", body = ErrorBody),
        (status = 422, description = "Unknown role (`invalid_role`)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn change_role(
    State(state): State<AppState>,
    session: ApiSession,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<RoleBody>,
) -> Result<Json<RoleChanged>, ApiError> {
    require_admin(&session)?;
    let role = parse_role(&body.role)?;
    let old = match state
        .store
        .change_staff_role(session.0.municipality_id, session.0.staff_id, id, role)
        .await
    {
        Ok(Ok(old)) => old,
        Ok(Err(r)) => return Err(refused(r)),
        Err(e) => return Err(ApiError::internal(&e)),
    };
    if old != role {
        record_change(
            &state.store,
            &session.actor(),
            STAFF_ROLE_CHANGED,
            format!("staff:{id}"),
            Some(format!("{} -> {} (api)", old.as_str(), role.as_str())),
        )
        .await;
    }
    Ok(Json(RoleChanged {
        staff_id: id,
        previous_role: old.as_str().to_string(),
        role: role.as_str().to_string(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Removed {
    pub staff_id: i64,
    pub previous_role: String,
}

/// Removes a member from this municipality (sessions, API tokens and team memberships here end).
#[utoipa::path(
    post, path = "/api/v1/staff/{id}/remove", tag = "staff",
    params(("id" = i64, Path, description = "Staff id")),
    responses(
        (status = 200, description = "Removed", body = Removed),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not an administrator (`forbidden`)", body = ErrorBody),
        (status = 404, description = "Not a member here (`staff_not_found`)", body = ErrorBody),
        (status = 409, description = "Own account (`own_account`) or the last administrator (`last_admin`)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn remove(
    State(state): State<AppState>,
    session: ApiSession,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Removed>, ApiError> {
    require_admin(&session)?;
    let old = match state
        .store
        .remove_staff(session.0.municipality_id, session.0.staff_id, id)
        .await
    {
        Ok(Ok(old)) => old,
        Ok(Err(r)) => return Err(refused(r)),
        Err(e) => return Err(ApiError::internal(&e)),
    };
    record_change(
        &state.store,
        &session.actor(),
        STAFF_REMOVED,
        format!("staff:{id}"),
        Some(format!("role={} (api)", old.as_str())),
    )
    .await;
    Ok(Json(Removed {
        staff_id: id,
        previous_role: old.as_str().to_string(),
    }))
}
