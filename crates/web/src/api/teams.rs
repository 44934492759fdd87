//! `/api/v1/teams` and `/api/v1/concerns/{id}/team`: the municipality's teams, and moving a concern between them.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use rathaus_store::{StoreError, TeamRefusal};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::ApiSession;
use super::errors::{ApiError, ApiJson, ApiPath, ErrorBody};
use crate::ui::audit::record_change;
use crate::ui::concern_team::CONCERN_TEAM;
use crate::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct TeamDto {
    pub id: i64,
    pub name: String,
    /// Staff ids of the members.
    pub members: Vec<i64>,
    /// Channel ids whose new concerns go to this team.
    pub channels: Vec<i64>,
}

/// The municipality's teams with members and channel routing.
#[utoipa::path(
    get, path = "/api/v1/teams", tag = "teams",
    responses(
        (status = 200, description = "Teams by name", body = Vec<TeamDto>),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Role may not read concerns (`forbidden`)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    session: ApiSession,
) -> Result<Json<Vec<TeamDto>>, ApiError> {
    session.require_read()?;
    let teams = state
        .store
        .teams(session.0.municipality_id)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    Ok(Json(
        teams
            .into_iter()
            .map(|t| TeamDto {
                id: t.id,
                name: t.name,
                members: t.members,
                channels: t.channels,
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TeamBody {
    /// A team of this municipality, or null for no team.
    pub team_id: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TeamChanged {
    pub id: i64,
    pub team_id: Option<i64>,
}

/// Moves the concern to a team of the municipality, or to none. An agent in a team may act only on
/// concerns of its teams and on concerns without a team (others are `concern_not_found`).
#[utoipa::path(
    post, path = "/api/v1/concerns/{id}/team", tag = "concerns",
    params(("id" = i64, Path, description = "Concern id")),
    request_body = TeamBody,
    responses(
        (status = 200, description = "Team changed", body = TeamChanged),
        (status = 400, description = "Malformed JSON (`bad_request`)", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Role may not act on concerns (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such concern (`concern_not_found`)", body = ErrorBody),
        (status = 422, description = "No such team in this municipality (`team_not_found`)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn set_concern_team(
    State(state): State<AppState>,
    session: ApiSession,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<TeamBody>,
) -> Result<Json<TeamChanged>, ApiError> {
    session.require_answer()?;
    let old = match state
        .store
        .set_concern_team(session.0.municipality_id, id, body.team_id)
        .await
    {
        Ok(Ok(old)) => old,
        Ok(Err(r)) => return Err(team_refused(r)),
        Err(StoreError::NotFound) => return Err(ApiError::concern_not_found()),
        Err(e) => return Err(ApiError::internal(&e)),
    };
    if old != body.team_id {
        let name = |t: Option<i64>| t.map_or("none".to_string(), |t| format!("team:{t}"));
        record_change(
            &state.store,
            &session.actor(),
            CONCERN_TEAM,
            format!("concern:{id}"),
            Some(format!("{} -> {} (api)", name(old), name(body.team_id))),
        )
        .await;
    }
    Ok(Json(TeamChanged {
        id,
        team_id: body.team_id,
    }))
}

/// A team refusal as an API error with the store's stable code.
pub fn team_refused(r: TeamRefusal) -> ApiError {
    let message = match r {
        TeamRefusal::NameMissing => "Name fehlt. / Name missing.",
        TeamRefusal::NameTooLong => "Name zu lang (höchstens 80 Zeichen). / Name too long (80 characters at most).",
        TeamRefusal::NameTaken => "Diesen Teamnamen gibt es schon. / This team name exists already.",
        TeamRefusal::NotFound => "Team nicht gefunden. / Team not found.",
        TeamRefusal::Foreign => {
            "Mitglieder und Kanäle müssen zu dieser Gemeinde gehören. / Members and channels must belong to this municipality."
        }
    };
    let status = match r {
        TeamRefusal::NameTaken => StatusCode::CONFLICT,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    ApiError::new(status, r.code(), message)
}
