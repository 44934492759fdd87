//! Moving a concern to another team (or to none) from its page; audited like every concern change.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use rathaus_store::{StoreError, TeamRefusal};
use serde::Deserialize;

use super::audit::record_change;
use super::auth::StaffSession;
use super::view;
use crate::AppState;

/// Audit action for a concern moved between teams.
pub const CONCERN_TEAM: &str = "concern.team";

#[derive(Deserialize)]
pub struct TeamForm {
    /// A team id, or empty for no team.
    #[serde(default)]
    team_id: String,
}

/// `POST /concerns/{id}/team`: the guard already refused agents outside the concern's teams.
pub async fn move_to_team(
    State(state): State<AppState>,
    session: StaffSession,
    Path(id): Path<i64>,
    Form(form): Form<TeamForm>,
) -> Response {
    let tr = session.tr();
    let back = format!("/concerns/{id}");
    if !session.can_answer() {
        return view::forbidden(tr, Some(session.chrome(&state, &back).await));
    }
    let team = match form.team_id.trim() {
        "" => None,
        t => match t.parse::<i64>() {
            Ok(t) => Some(t),
            Err(_) => return view::not_found(tr, Some(session.chrome(&state, &back).await)),
        },
    };
    match state
        .store
        .set_concern_team(session.info.municipality_id, id, team)
        .await
    {
        Ok(Ok(old)) => {
            if old != team {
                let name = |t: Option<i64>| t.map_or("none".to_string(), |t| format!("team:{t}"));
                record_change(
                    &state.store,
                    &session.actor(),
                    CONCERN_TEAM,
                    format!("concern:{id}"),
                    Some(format!("{} -> {}", name(old), name(team))),
                )
                .await;
            }
            Redirect::to(&format!("{back}?msg=team_moved")).into_response()
        }
        Ok(Err(TeamRefusal::NotFound)) | Err(StoreError::NotFound) => {
            view::not_found(tr, Some(session.chrome(&state, &back).await))
        }
        Ok(Err(_)) => view::not_found(tr, Some(session.chrome(&state, &back).await)),
        Err(e) => view::internal_error(tr, &e),
    }
}
