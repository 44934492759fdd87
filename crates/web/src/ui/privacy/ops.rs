//! What the privacy center does, shared by the UI and the API: look up, export, erase — each audited.

use rathaus_domain::retention::RetentionRules;
use rathaus_store::{now_ms, CitizenRef, ErasureSummary, StoreError};

use crate::ui::audit::{self, Actor};
use crate::AppState;

/// Audit action names of the privacy center.
pub const CITIZEN_READ: &str = "citizen.read";
pub const CITIZEN_LOOKUP: &str = "citizen.lookup";
pub const CITIZEN_REVEAL: &str = "citizen.reveal";
pub const CITIZEN_ERASE: &str = "citizen.erase";
pub const EXPORT_STAFF: &str = "export.staff";
pub const EXPORT_LINK: &str = "export.link";

/// The citizen with this id in this municipality; another town's or an erased citizen is `None`.
pub async fn citizen(
    state: &AppState,
    municipality_id: i64,
    citizen_id: i64,
) -> Result<Option<CitizenRef>, StoreError> {
    match state.store.citizen(municipality_id, citizen_id).await {
        Ok(c) => Ok(Some(c)),
        Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

/// How a staff member is named in the request register's "via" column.
pub fn via_staff(staff_id: i64) -> String {
    format!("staff:{staff_id}")
}

/// Opens an access request on behalf of the citizen, builds the ZIP, records `export.staff` and completes the
/// request. Returns the archive; nothing is handed out unless the audit entry was written.
pub async fn staff_export(
    state: &AppState,
    actor: &Actor,
    staff_id: i64,
    citizen: &CitizenRef,
) -> Result<Vec<u8>, StoreError> {
    let now = now_ms();
    let mid = citizen.municipality_id;
    let request = state
        .store
        .open_request(citizen, "access", &via_staff(staff_id), now)
        .await?;
    let export = state.store.citizen_export(mid, citizen.id).await?;
    let (name, tz) = crate::ui::view::municipality(state, mid).await;
    let zip = rathaus_hub::export::export_zip(&export, &name, &tz, now);
    audit::record(
        &state.store,
        actor,
        EXPORT_STAFF,
        format!("citizen:{}", citizen.id),
        Some(format!("request:{request}")),
    )
    .await?;
    state.store.complete_request(mid, request, now).await?;
    Ok(zip)
}

/// Opens an access request and creates a one-time download link (7 days) for the citizen; returns the URL.
pub async fn staff_export_link(
    state: &AppState,
    actor: &Actor,
    staff_id: i64,
    citizen: &CitizenRef,
) -> Result<String, StoreError> {
    let now = now_ms();
    let request = state
        .store
        .open_request(citizen, "access", &via_staff(staff_id), now)
        .await?;
    let token = state
        .store
        .create_export_link(citizen, Some(request), now)
        .await?;
    audit::record(
        &state.store,
        actor,
        EXPORT_LINK,
        format!("citizen:{}", citizen.id),
        Some(format!("request:{request}")),
    )
    .await?;
    Ok(format!("{}/auskunft/{token}", state.settings.public_url))
}

/// Erases the citizen (key, rows, media, queued jobs) and records `citizen.erase` with the counts removed.
pub async fn erase(
    state: &AppState,
    actor: &Actor,
    staff_id: i64,
    citizen: &CitizenRef,
) -> Result<ErasureSummary, StoreError> {
    let summary = state
        .store
        .erase_citizen(
            citizen,
            &via_staff(staff_id),
            now_ms(),
            rathaus_hub::gate::job_mentions,
        )
        .await?;
    audit::record_change(
        &state.store,
        actor,
        CITIZEN_ERASE,
        format!("citizen:{}", citizen.id),
        Some(format!(
            "pseudonym:{} concerns:{} messages:{} media:{} consents:{} jobs:{}",
            citizen.pseudonym,
            summary.concerns,
            summary.messages,
            summary.media,
            summary.consents,
            summary.jobs
        )),
    )
    .await;
    Ok(summary)
}

/// The municipality's retention rules (defaults when it is not configured).
pub fn retention(state: &AppState, municipality_id: i64) -> RetentionRules {
    state
        .registry
        .tenant(municipality_id)
        .map(|t| t.settings.retention)
        .unwrap_or_default()
}

/// When a resolved concern will be deleted, as a local date; `None` unless resolved.
pub fn deletion_date(
    state: &AppState,
    municipality_id: i64,
    resolved_at: Option<i64>,
    tz: &str,
    lang: crate::ui::i18n::Lang,
) -> Option<String> {
    let at = retention(state, municipality_id).concern_deleted_at(resolved_at?);
    Some(crate::ui::view::local_date(at, tz, lang))
}
