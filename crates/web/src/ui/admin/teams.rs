//! `/admin/teams`: create, rename and delete teams, choose their members and which channels route to them.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use rathaus_store::{now_ms, TeamRefusal};
use serde::Deserialize;

use super::{flash, require_admin, AdminSubNav, TEAM_CHANGED, TEAM_CREATED, TEAM_DELETED};
use crate::ui::audit::record_change;
use crate::ui::auth::StaffSession;
use crate::ui::i18n::Tr;
use crate::ui::view::{self, Chrome};
use crate::AppState;

const PATH: &str = "/admin/teams";

pub struct Choice {
    pub id: i64,
    pub label: String,
    pub checked: bool,
}

pub struct TeamView {
    pub id: i64,
    pub name: String,
    pub members: Vec<Choice>,
    pub channels: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "admin_teams.html")]
struct TeamsPage {
    tr: Tr,
    chrome: Option<Chrome>,
    flash: Option<String>,
    error: Option<String>,
    subnav: AdminSubNav,
    teams: Vec<TeamView>,
    new_name: String,
}

async fn page(
    state: &AppState,
    session: &StaffSession,
    status: StatusCode,
    flash: Option<String>,
    error: Option<String>,
    new_name: String,
) -> Response {
    let tr = session.tr();
    let m = session.info.municipality_id;
    let (teams, staff, channels) = match tokio::try_join!(
        state.store.teams(m),
        state.store.staff_overview(m),
        state.store.channels(m),
    ) {
        Ok(r) => r,
        Err(e) => return view::internal_error(tr, &e),
    };
    let teams = teams
        .into_iter()
        .map(|t| TeamView {
            id: t.id,
            members: staff
                .iter()
                .map(|s| Choice {
                    id: s.id,
                    label: format!("{} ({})", s.display_name, tr.t(super::role_key(s.role))),
                    checked: t.members.contains(&s.id),
                })
                .collect(),
            channels: channels
                .iter()
                .map(|c| Choice {
                    id: c.id,
                    label: format!("{} · {}", c.kind.label(), c.name),
                    checked: t.channels.contains(&c.id),
                })
                .collect(),
            name: t.name,
        })
        .collect();
    let page = TeamsPage {
        tr,
        chrome: Some(session.chrome(state, PATH).await),
        flash,
        error,
        subnav: AdminSubNav::new(tr, PATH),
        teams,
        new_name,
    };
    view::render(status, &page)
}

/// The i18n key of a refusal.
fn refusal_key(r: TeamRefusal) -> &'static str {
    match r {
        TeamRefusal::NameMissing => "admin.team_name_missing",
        TeamRefusal::NameTooLong => "admin.team_name_too_long",
        TeamRefusal::NameTaken => "admin.team_name_taken",
        TeamRefusal::NotFound => "admin.team_not_found",
        TeamRefusal::Foreign => "admin.team_foreign",
    }
}

async fn refused(
    state: &AppState,
    session: &StaffSession,
    r: TeamRefusal,
    new_name: String,
) -> Response {
    let tr = session.tr();
    if r == TeamRefusal::NotFound {
        return view::not_found(tr, Some(session.chrome(state, PATH).await));
    }
    let status = if r == TeamRefusal::NameTaken {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let error = Some(tr.t(refusal_key(r)).to_string());
    page(state, session, status, None, error, new_name).await
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
    page(&state, &session, StatusCode::OK, flash, None, String::new()).await
}

#[derive(Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    name: String,
}

pub async fn create(
    State(state): State<AppState>,
    session: StaffSession,
    Form(form): Form<CreateForm>,
) -> Response {
    let tr = match require_admin(&state, &session, PATH).await {
        Ok(tr) => tr,
        Err(r) => return r,
    };
    let m = session.info.municipality_id;
    match state.store.create_team(m, &form.name, now_ms()).await {
        Ok(Ok(id)) => {
            record_change(
                &state.store,
                &session.actor(),
                TEAM_CREATED,
                format!("team:{id}"),
                Some(format!("name={}", form.name.trim())),
            )
            .await;
            Redirect::to(&format!("{PATH}?msg=team_created")).into_response()
        }
        Ok(Err(r)) => refused(&state, &session, r, form.name).await,
        Err(e) => view::internal_error(tr, &e),
    }
}

/// What the team form sends: `name`, and `member` / `channel` once per ticked box.
struct TeamForm {
    name: String,
    members: Vec<i64>,
    channels: Vec<i64>,
}

fn team_form(pairs: Vec<(String, String)>) -> TeamForm {
    let mut f = TeamForm {
        name: String::new(),
        members: Vec::new(),
        channels: Vec::new(),
    };
    for (k, v) in pairs {
        match k.as_str() {
            "name" => f.name = v,
            // Ids that do not parse cannot name anyone; they are ignored like an unticked box.
            "member" => f.members.extend(v.parse::<i64>().ok()),
            "channel" => f.channels.extend(v.parse::<i64>().ok()),
            _ => {}
        }
    }
    f
}

/// `POST /admin/teams/{id}`: saves name, members and channel routing together.
pub async fn save(
    State(state): State<AppState>,
    session: StaffSession,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let tr = match require_admin(&state, &session, PATH).await {
        Ok(tr) => tr,
        Err(r) => return r,
    };
    let form = team_form(pairs);
    let m = session.info.municipality_id;
    let store = &state.store;
    let steps = async {
        let old = match store.rename_team(m, id, &form.name).await? {
            Ok(old) => old,
            Err(r) => return Ok(Err(r)),
        };
        if let Err(r) = store.set_team_members(m, id, &form.members).await? {
            return Ok(Err(r));
        }
        if let Err(r) = store.set_team_channels(m, id, &form.channels).await? {
            return Ok(Err(r));
        }
        Ok::<_, rathaus_store::StoreError>(Ok(old))
    };
    match steps.await {
        Ok(Ok(old)) => {
            let ids = |v: &[i64]| v.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
            record_change(
                store,
                &session.actor(),
                TEAM_CHANGED,
                format!("team:{id}"),
                Some(format!(
                    "name={} (was {old}); members=[{}]; channels=[{}]",
                    form.name.trim(),
                    ids(&form.members),
                    ids(&form.channels)
                )),
            )
            .await;
            Redirect::to(&format!("{PATH}?msg=team_saved")).into_response()
        }
        Ok(Err(r)) => refused(&state, &session, r, String::new()).await,
        Err(e) => view::internal_error(tr, &e),
    }
}

/// `POST /admin/teams/{id}/loeschen`: its concerns stay, without a team.
pub async fn delete(
    State(state): State<AppState>,
    session: StaffSession,
    Path(id): Path<i64>,
) -> Response {
    let tr = match require_admin(&state, &session, PATH).await {
        Ok(tr) => tr,
        Err(r) => return r,
    };
    match state
        .store
        .delete_team(session.info.municipality_id, id)
        .await
    {
        Ok(Ok(name)) => {
            record_change(
                &state.store,
                &session.actor(),
                TEAM_DELETED,
                format!("team:{id}"),
                Some(format!("name={name}")),
            )
            .await;
            Redirect::to(&format!("{PATH}?msg=team_deleted")).into_response()
        }
        Ok(Err(r)) => refused(&state, &session, r, String::new()).await,
        Err(e) => view::internal_error(tr, &e),
    }
}

#[cfg(test)]
mod tests {
    use super::team_form;

    #[test]
    fn repeated_boxes_become_lists_and_junk_is_ignored() {
        let f = team_form(vec![
            ("name".into(), "Bauamt".into()),
            ("member".into(), "3".into()),
            ("member".into(), "x".into()),
            ("member".into(), "5".into()),
            ("channel".into(), "1".into()),
            ("other".into(), "9".into()),
        ]);
        assert_eq!(f.name, "Bauamt");
        assert_eq!(f.members, vec![3, 5]);
        assert_eq!(f.channels, vec![1]);
    }
}
