//! Team scope of concerns: an agent in at least one team works only on its teams' concerns and team-less ones.
//!
//! Decision (issue 4, "agent answers concerns of its teams"): only the `agent` role is scoped, and only
//! once it belongs to a team of the municipality, so a town without teams works as before. Admins,
//! hosts (they run consultation hours across channels) and the data-protection officer keep seeing all
//! concerns; editors and viewers read none anyway. A concern outside the scope is "not found" (404),
//! in lists, on detail pages, replies, notes, media and in the API alike.

use axum::response::{IntoResponse, Response};
use rathaus_store::{Role, SessionInfo, StoreError};

use crate::api::errors::ApiError;
use crate::ui::i18n::{Lang, Tr};
use crate::ui::view;
use crate::AppState;

/// The staff id whose teams limit what this member sees, or `None` when they see every concern.
pub async fn visible_to(state: &AppState, info: &SessionInfo) -> Result<Option<i64>, StoreError> {
    if info.role != Role::Agent {
        return Ok(None);
    }
    let teams = state
        .store
        .staff_team_ids(info.municipality_id, info.staff_id)
        .await?;
    Ok((!teams.is_empty()).then_some(info.staff_id))
}

/// Whether the member may open this concern: `Ok(false)` also when it does not exist here.
pub async fn may_open(
    state: &AppState,
    info: &SessionInfo,
    concern_id: i64,
) -> Result<bool, StoreError> {
    let Some(team) = state
        .store
        .concern_team(info.municipality_id, concern_id)
        .await?
    else {
        return Ok(false);
    };
    let Some(team) = team else { return Ok(true) };
    if visible_to(state, info).await?.is_none() {
        return Ok(true);
    }
    let mine = state
        .store
        .staff_team_ids(info.municipality_id, info.staff_id)
        .await?;
    Ok(mine.contains(&team))
}

/// Keeps only the items whose concern the member may open (for lists built elsewhere, such as the
/// consultation-hour queue); a no-op for everyone who sees all concerns.
pub async fn retain_open<T>(
    state: &AppState,
    info: &SessionInfo,
    items: &mut Vec<T>,
    concern: impl Fn(&T) -> i64,
) -> Result<(), StoreError> {
    if visible_to(state, info).await?.is_none() {
        return Ok(());
    }
    let mine = state
        .store
        .staff_team_ids(info.municipality_id, info.staff_id)
        .await?;
    let mut keep = Vec::with_capacity(items.len());
    for item in items.iter() {
        let team = state
            .store
            .concern_team(info.municipality_id, concern(item))
            .await?;
        keep.push(matches!(team, Some(None)) || team.flatten().is_some_and(|t| mine.contains(&t)));
    }
    let mut flags = keep.into_iter();
    items.retain(|_| flags.next().unwrap_or(false));
    Ok(())
}

/// The concern id of a request whose route pattern names one (`/concerns/{id}…`, `/api/v1/concerns/{id}…`).
pub fn concern_id(pattern: &str, path: &str) -> Option<i64> {
    let rest = pattern
        .strip_prefix("/api/v1")
        .unwrap_or(pattern)
        .strip_prefix("/concerns/{id}")?;
    if !(rest.is_empty() || rest.starts_with('/')) {
        return None;
    }
    let index = pattern.split('/').position(|s| s == "{id}")?;
    path.split('/').nth(index)?.parse().ok()
}

/// The guard's check before a concern route's handler runs: `Some(404)` for a concern outside the
/// member's teams. Ids that do not parse are left to the handler (it answers 404 or 400 itself).
pub async fn refuse(
    state: &AppState,
    pattern: &str,
    path: &str,
    info: &SessionInfo,
    api: bool,
) -> Option<Response> {
    if info.role != Role::Agent {
        return None;
    }
    let id = concern_id(pattern, path)?;
    match may_open(state, info, id).await {
        Ok(true) => None,
        Ok(false) if api => Some(ApiError::concern_not_found().into_response()),
        Ok(false) => Some(view::not_found(
            Tr::new(Lang::from_code(&info.language)),
            None,
        )),
        Err(e) if api => Some(ApiError::internal(&e).into_response()),
        Err(e) => Some(view::internal_error(Tr::new(Lang::De), &e)),
    }
}

#[cfg(test)]
mod tests {
    use super::concern_id;

    #[test]
    fn finds_the_concern_id_in_concern_routes_only() {
        assert_eq!(concern_id("/concerns/{id}", "/concerns/42"), Some(42));
        assert_eq!(
            concern_id("/concerns/{id}/media/{media_id}", "/concerns/7/media/3"),
            Some(7)
        );
        assert_eq!(
            concern_id(
                "/api/v1/concerns/{id}/replies",
                "/api/v1/concerns/9/replies"
            ),
            Some(9)
        );
        assert_eq!(
            concern_id("/privacy/citizens/{id}", "/privacy/citizens/5"),
            None
        );
        assert_eq!(concern_id("/concerns/{id}", "/concerns/abc"), None);
        assert_eq!(concern_id("/inbox", "/inbox"), None);
    }
}
