//! `/api/v1/privacy`: the request register, erasure, the access export and the audit log, for the DPO's token only.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use rathaus_store::{now_ms, AuditVerdict, CitizenRef};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::ApiSession;
use super::errors::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
use crate::ui::privacy::ops;
use crate::ui::view::{self, rfc3339};
use crate::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct DataRequestDto {
    pub id: i64,
    /// Null once the citizen has been erased.
    pub citizen_id: Option<i64>,
    pub pseudonym: String,
    /// `access` or `erasure`.
    pub kind: String,
    /// `keyword`/`citizen` (sent by the citizen) or `staff:<id>`.
    pub via: String,
    /// RFC 3339, UTC.
    pub requested_at: String,
    /// Legal deadline (one month, Art. 12(3) GDPR), RFC 3339 UTC.
    pub due_at: String,
    pub completed_at: Option<String>,
    /// Open and past its deadline.
    pub overdue: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RequestRegister {
    pub overdue_count: usize,
    pub open_count: usize,
    /// Open requests first (by deadline), then completed ones.
    pub requests: Vec<DataRequestDto>,
}

/// The register of data-subject requests (Art. 12).
#[utoipa::path(
    get, path = "/api/v1/privacy/requests", tag = "privacy",
    responses(
        (status = 200, description = "Every access and erasure request with its deadline", body = RequestRegister),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not the data-protection officer (`forbidden`)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn requests(
    State(state): State<AppState>,
    session: ApiSession,
) -> Result<Json<RequestRegister>, ApiError> {
    session.require_privacy()?;
    let now = now_ms();
    let list = state
        .store
        .data_requests(session.0.municipality_id)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    let requests: Vec<DataRequestDto> = list
        .into_iter()
        .map(|r| DataRequestDto {
            overdue: r.is_overdue(now),
            id: r.id,
            citizen_id: r.citizen_id,
            pseudonym: r.pseudonym,
            kind: r.kind,
            via: r.via,
            requested_at: rfc3339(r.requested_at),
            due_at: rfc3339(r.due_at),
            completed_at: r.completed_at.map(rfc3339),
        })
        .collect();
    Ok(Json(RequestRegister {
        overdue_count: requests.iter().filter(|r| r.overdue).count(),
        open_count: requests.iter().filter(|r| r.completed_at.is_none()).count(),
        requests,
    }))
}

async fn citizen(state: &AppState, session: &ApiSession, id: i64) -> Result<CitizenRef, ApiError> {
    ops::citizen(state, session.0.municipality_id, id)
        .await
        .map_err(|e| ApiError::internal(&e))?
        .ok_or_else(ApiError::citizen_not_found)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct EraseBody {
    /// Must be `true`: erasure cannot be undone.
    pub confirm: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErasureDto {
    pub citizen_id: i64,
    pub pseudonym: String,
    pub concerns: u64,
    pub messages: u64,
    pub media: u64,
    pub consents: u64,
    /// Queued jobs that mentioned the citizen.
    pub jobs: u64,
}

/// Erases a citizen (Art. 17): key destroyed, rows, media and queued jobs deleted; recorded as `citizen.erase`.
#[utoipa::path(
    post, path = "/api/v1/privacy/citizens/{id}/erase", tag = "privacy",
    params(("id" = i64, Path, description = "Citizen id (from the request register)")),
    request_body = EraseBody,
    responses(
        (status = 200, description = "Erased; what was removed", body = ErasureDto),
        (status = 400, description = "Malformed JSON (`bad_request`)", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not the data-protection officer (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such citizen in this municipality, or already erased (`citizen_not_found`)", body = ErrorBody),
        (status = 422, description = "`confirm` was not true (`confirmation_required`)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn erase(
    State(state): State<AppState>,
    session: ApiSession,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<EraseBody>,
) -> Result<Json<ErasureDto>, ApiError> {
    session.require_privacy()?;
    let c = citizen(&state, &session, id).await?;
    if !body.confirm {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "confirmation_required",
            "Löschen nur mit {\"confirm\": true}. / Erasure requires {\"confirm\": true}.",
        ));
    }
    let s = ops::erase(&state, &session.actor(), session.0.staff_id, &c)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    Ok(Json(ErasureDto {
        citizen_id: id,
        pseudonym: c.pseudonym,
        concerns: s.concerns,
        messages: s.messages,
        media: s.media,
        consents: s.consents,
        jobs: s.jobs,
    }))
}

/// The access export (Art. 15/20) as a ZIP (JSON, readable German HTML, media); opens and completes an access
/// request "via staff" and is recorded as `export.staff`.
#[utoipa::path(
    get, path = "/api/v1/privacy/citizens/{id}/export", tag = "privacy",
    params(("id" = i64, Path, description = "Citizen id")),
    responses(
        (status = 200, description = "The ZIP archive", content_type = "application/zip"),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not the data-protection officer (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such citizen in this municipality (`citizen_not_found`)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn export(
    State(state): State<AppState>,
    session: ApiSession,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, ApiError> {
    session.require_privacy()?;
    let c = citizen(&state, &session, id).await?;
    let zip = ops::staff_export(&state, &session.actor(), session.0.staff_id, &c)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    Ok(crate::ui::privacy::zip_response(zip, &c.pseudonym))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Action prefix, e.g. `citizen.` or `citizen.erase`.
    pub action: Option<String>,
    /// Part of the actor, e.g. `staff:4`.
    pub actor: Option<String>,
    /// First day (`YYYY-MM-DD`, the municipality's local date) or an RFC 3339 instant.
    pub from: Option<String>,
    /// Last day included (`YYYY-MM-DD`, local) or an RFC 3339 instant (exclusive).
    pub to: Option<String>,
    /// Only entries with a smaller id (for paging: `next_before` of the previous page).
    pub before: Option<i64>,
    /// At most this many entries (1–500, default 100).
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryDto {
    pub id: i64,
    /// RFC 3339, UTC.
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: Option<String>,
    /// Truncated to /24 (IPv4) or /48 (IPv6).
    pub ip: Option<String>,
    pub details: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChainStatus {
    pub intact: bool,
    /// Entries checked (when intact).
    pub entries: Option<i64>,
    /// The first broken entry (when not intact).
    pub broken_at: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub chain: ChainStatus,
    /// Newest first.
    pub entries: Vec<AuditEntryDto>,
    /// Pass as `before` for the next (older) page; null on the last page.
    pub next_before: Option<i64>,
}

/// `YYYY-MM-DD` (local; `to` includes the whole day) or RFC 3339.
fn instant(v: Option<&str>, tz: &str, end: bool) -> Result<Option<i64>, ApiError> {
    let Some(v) = v.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let parsed = if v.contains('T') {
        v.parse::<jiff::Timestamp>()
            .ok()
            .map(|t| t.as_millisecond())
    } else {
        view::local_day_start(v, tz, i64::from(end))
    };
    parsed.map(Some).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_date",
            "Datum als JJJJ-MM-TT oder RFC 3339. / Dates as YYYY-MM-DD or RFC 3339.",
        )
    })
}

/// The audit log of the token's municipality, newest first, with the status of the whole chain.
#[utoipa::path(
    get, path = "/api/v1/privacy/audit", tag = "privacy",
    params(AuditQuery),
    responses(
        (status = 200, description = "Entries and chain status", body = AuditPage),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not the data-protection officer (`forbidden`)", body = ErrorBody),
        (status = 422, description = "Unreadable date (`invalid_date`)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn audit(
    State(state): State<AppState>,
    session: ApiSession,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<AuditPage>, ApiError> {
    session.require_privacy()?;
    let mid = session.0.municipality_id;
    let (_, tz) = view::municipality(&state, mid).await;
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    let nonempty = |s: Option<String>| s.map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    let filter = rathaus_store::AuditFilter {
        action_prefix: nonempty(q.action),
        actor_contains: nonempty(q.actor),
        from: instant(q.from.as_deref(), &tz, false)?,
        to: instant(q.to.as_deref(), &tz, true)?,
        limit: Some(limit),
    };
    let (entries, verdict) = tokio::try_join!(
        state.store.audit_entries_before(mid, &filter, q.before),
        state.store.verify_audit(),
    )
    .map_err(|e| ApiError::internal(&e))?;
    let next_before = (entries.len() as i64 >= limit)
        .then(|| entries.last().map(|e| e.id))
        .flatten();
    let chain = match verdict {
        AuditVerdict::Intact { entries, .. } => ChainStatus {
            intact: true,
            entries: Some(entries),
            broken_at: None,
        },
        AuditVerdict::Broken { entry_id, .. } => ChainStatus {
            intact: false,
            entries: None,
            broken_at: Some(entry_id),
        },
    };
    Ok(Json(AuditPage {
        chain,
        entries: entries
            .into_iter()
            .map(|r| AuditEntryDto {
                id: r.id,
                at: rfc3339(r.at),
                actor: r.actor,
                action: r.action,
                target: r.target,
                ip: r.ip,
                details: r.details,
            })
            .collect(),
        next_before,
    }))
}
