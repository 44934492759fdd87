//! `/api/v1/concerns`: list, read, reply, note, status and assignee of concerns, as JSON.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rathaus_domain::ConcernStatus;
use rathaus_store::{
    now_ms, ConcernDetail, ConcernFilter, ConcernSummary, MessageView, StoreError,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::ApiSession;
use super::errors::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
use crate::ui::audit;
use crate::ui::view::rfc3339;
use crate::AppState;

/// Concern status.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatusDto {
    /// Waiting for the town hall.
    Open,
    /// Waiting for the citizen or a third party.
    Pending,
    Resolved,
}

impl From<ConcernStatus> for StatusDto {
    fn from(s: ConcernStatus) -> Self {
        match s {
            ConcernStatus::Open => StatusDto::Open,
            ConcernStatus::Pending => StatusDto::Pending,
            ConcernStatus::Resolved => StatusDto::Resolved,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssigneeDto {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConcernListItem {
    pub id: i64,
    pub status: StatusDto,
    /// Channel id (use it as the `channel` filter).
    pub channel: i64,
    /// Platform: `whatsapp` or `telegram`.
    pub channel_kind: String,
    pub channel_name: String,
    /// How staff name the citizen, e.g. `Bürger·7F3A`; never a phone number.
    pub pseudonym: String,
    pub assignee: Option<AssigneeDto>,
    /// The team the concern is routed to (see `/api/v1/teams`), or null.
    pub team_id: Option<i64>,
    /// RFC 3339, UTC.
    pub last_activity: String,
    /// RFC 3339, UTC.
    pub created_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MediaDto {
    pub id: i64,
    /// `pending`, `stored` or `failed`.
    pub state: String,
    pub mime_type: Option<String>,
    pub byte_size: Option<i64>,
    pub error: Option<String>,
    /// Where to download it (same bearer token), when stored.
    pub download_url: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageDto {
    pub id: i64,
    /// `inbound` (citizen), `outbound` (staff reply) or `internal` (note, never sent).
    pub direction: String,
    /// `text`, `voice`, `audio`, `image`, `video`, `document`, `sticker`, `location`, `interactive_reply`, `unsupported`, `note`.
    pub kind: String,
    pub text: Option<String>,
    /// Outbound only: `queued`, `sent`, `delivered`, `read`, `failed`.
    pub delivery_status: Option<String>,
    pub delivery_error: Option<String>,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// Staff display name for replies and notes.
    pub author: Option<String>,
    pub media: Option<MediaDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConcernDto {
    #[serde(flatten)]
    pub summary: ConcernListItem,
    /// Until when a free-form reply is possible (WhatsApp's 24-hour window), RFC 3339 UTC; null on channels without a window.
    pub reply_window_until: Option<String>,
    /// Why a reply would be refused right now (an error code), or null.
    pub reply_blocked: Option<String>,
    pub messages: Vec<MessageDto>,
}

fn list_item(c: ConcernSummary) -> ConcernListItem {
    ConcernListItem {
        id: c.id,
        status: c.status.into(),
        channel: c.channel_id,
        channel_kind: c.channel_kind.as_str().to_string(),
        channel_name: c.channel_name,
        pseudonym: c.pseudonym,
        assignee: match (c.assignee_id, c.assignee_name) {
            (Some(id), name) => Some(AssigneeDto {
                id,
                name: name.unwrap_or_default(),
            }),
            _ => None,
        },
        team_id: c.team_id,
        last_activity: rfc3339(c.last_activity_at),
        created_at: rfc3339(c.created_at),
    }
}

fn message_dto(concern_id: i64, m: MessageView) -> MessageDto {
    MessageDto {
        id: m.id,
        direction: m.direction.as_str().to_string(),
        kind: m.kind.as_str().to_string(),
        text: m.text,
        delivery_status: m.delivery_status.map(|d| d.as_str().to_string()),
        delivery_error: m.delivery_error,
        created_at: rfc3339(m.created_at),
        author: m.author_name,
        media: m.media.map(|md| MediaDto {
            download_url: (md.state == "stored")
                .then(|| format!("/api/v1/concerns/{concern_id}/media/{}", md.id)),
            id: md.id,
            state: md.state,
            mime_type: md.mime_type,
            byte_size: md.byte_size,
            error: md.error,
        }),
    }
}

fn concern_dto(d: ConcernDetail, now: i64) -> ConcernDto {
    let blocked = d
        .reply_blocked(now)
        .map(|r| ApiError::refused(r).code.to_string());
    let id = d.summary.id;
    ConcernDto {
        reply_window_until: d.reply_window_until.map(rfc3339),
        reply_blocked: blocked,
        messages: d.messages.into_iter().map(|m| message_dto(id, m)).collect(),
        summary: list_item(d.summary),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `open`, `pending` or `resolved`; all when absent.
    pub status: Option<String>,
    /// Channel id.
    pub channel: Option<i64>,
    /// Team id: only that team's concerns.
    pub team: Option<i64>,
}

/// Concerns of the token's municipality, newest activity first.
#[utoipa::path(
    get, path = "/api/v1/concerns", tag = "concerns",
    params(ListQuery),
    responses(
        (status = 200, description = "Concerns, newest activity first", body = [ConcernListItem]),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Role may not read concerns (`forbidden`)", body = ErrorBody),
        (status = 422, description = "Unknown status (`invalid_status`)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    session: ApiSession,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Vec<ConcernListItem>>, ApiError> {
    session.require_read()?;
    let s = &session.0;
    let status = match q.status.as_deref() {
        None | Some("") => None,
        Some(v) => Some(ConcernStatus::parse(v).ok_or_else(ApiError::invalid_status)?),
    };
    let filter = ConcernFilter {
        status,
        channel_id: q.channel,
        limit: Some(500),
        team_id: q.team,
        visible_to: crate::security::team_scope::visible_to(&state, s)
            .await
            .map_err(|e| ApiError::internal(&e))?,
    };
    let concerns = state
        .store
        .list_concerns(s.municipality_id, &filter)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    Ok(Json(concerns.into_iter().map(list_item).collect()))
}

async fn detail(
    state: &AppState,
    s: &rathaus_store::SessionInfo,
    id: i64,
) -> Result<ConcernDetail, ApiError> {
    state
        .store
        .concern_detail(s.municipality_id, id)
        .await
        .map_err(|e| ApiError::internal(&e))?
        .ok_or_else(ApiError::concern_not_found)
}

/// One concern with its whole thread.
#[utoipa::path(
    get, path = "/api/v1/concerns/{id}", tag = "concerns",
    params(("id" = i64, Path, description = "Concern id")),
    responses(
        (status = 200, description = "The concern and its messages", body = ConcernDto),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Role may not read concerns (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such concern in this municipality (`concern_not_found`)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn show(
    State(state): State<AppState>,
    session: ApiSession,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ConcernDto>, ApiError> {
    let d = detail(&state, &session.0, id).await?;
    session.require_read()?;
    // Recorded before anything is returned: no read of a thread goes unlogged.
    audit::record(
        &state.store,
        &session.actor(),
        audit::CONCERN_READ,
        format!("concern:{id}"),
        Some("api".into()),
    )
    .await
    .map_err(|e| ApiError::internal(&e))?;
    Ok(Json(concern_dto(d, now_ms())))
}

async fn changed(state: &AppState, session: &ApiSession, action: &str, id: i64, details: String) {
    audit::record_change(
        &state.store,
        &session.actor(),
        action,
        format!("concern:{id}"),
        Some(details),
    )
    .await;
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TextBody {
    /// At most 4096 characters; surrounding white space is trimmed.
    pub text: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReplyQueued {
    pub message_id: i64,
    /// Always `queued`; follow `delivery_status` on the concern.
    pub delivery_status: String,
}

/// Queues a reply to the citizen; it is sent at once by the worker.
#[utoipa::path(
    post, path = "/api/v1/concerns/{id}/replies", tag = "concerns",
    params(("id" = i64, Path, description = "Concern id")),
    request_body = TextBody,
    responses(
        (status = 202, description = "Reply queued for sending", body = ReplyQueued),
        (status = 400, description = "Malformed JSON (`bad_request`)", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Role may not act on concerns (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such concern (`concern_not_found`)", body = ErrorBody),
        (status = 422, description = "Refused: `reply_refused_window_closed`, `reply_refused_consent_withdrawn`, `empty_text`, `too_long`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn reply(
    State(state): State<AppState>,
    session: ApiSession,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<TextBody>,
) -> Result<Response, ApiError> {
    let s = &session.0;
    detail(&state, s, id).await?;
    session.require_answer()?;
    let queued = state
        .store
        .queue_reply(s.municipality_id, id, s.staff_id, &body.text, now_ms())
        .await
        .map_err(|e| match e {
            StoreError::NotFound => ApiError::concern_not_found(),
            e => ApiError::internal(&e),
        })?;
    let message_id = queued.map_err(ApiError::refused)?;
    if let Some(w) = &state.worker {
        w.wake();
    }
    changed(
        &state,
        &session,
        audit::CONCERN_REPLY,
        id,
        format!("message:{message_id}"),
    )
    .await;
    Ok((
        StatusCode::ACCEPTED,
        Json(ReplyQueued {
            message_id,
            delivery_status: "queued".into(),
        }),
    )
        .into_response())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NoteCreated {
    pub message_id: i64,
}

/// Adds an internal note (never sent to the citizen).
#[utoipa::path(
    post, path = "/api/v1/concerns/{id}/notes", tag = "concerns",
    params(("id" = i64, Path, description = "Concern id")),
    request_body = TextBody,
    responses(
        (status = 201, description = "Note stored", body = NoteCreated),
        (status = 400, description = "Malformed JSON (`bad_request`)", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Role may not act on concerns (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such concern (`concern_not_found`)", body = ErrorBody),
        (status = 422, description = "Empty note (`empty_text`)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn note(
    State(state): State<AppState>,
    session: ApiSession,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<TextBody>,
) -> Result<Response, ApiError> {
    let s = &session.0;
    detail(&state, s, id).await?;
    session.require_answer()?;
    if body.text.trim().is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "empty_text",
            "Die Notiz ist leer. / The note is empty.",
        ));
    }
    let message_id = state
        .store
        .add_note(s.municipality_id, id, s.staff_id, &body.text, now_ms())
        .await
        .map_err(|e| match e {
            StoreError::NotFound => ApiError::concern_not_found(),
            e => ApiError::internal(&e),
        })?;
    changed(
        &state,
        &session,
        audit::CONCERN_NOTE,
        id,
        format!("message:{message_id}"),
    )
    .await;
    Ok((StatusCode::CREATED, Json(NoteCreated { message_id })).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct StatusBody {
    #[schema(value_type = StatusDto)]
    pub status: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatusChanged {
    pub id: i64,
    pub status: StatusDto,
}

/// Sets the concern's status.
#[utoipa::path(
    post, path = "/api/v1/concerns/{id}/status", tag = "concerns",
    params(("id" = i64, Path, description = "Concern id")),
    request_body = StatusBody,
    responses(
        (status = 200, description = "Status changed", body = StatusChanged),
        (status = 400, description = "Malformed JSON (`bad_request`)", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Role may not act on concerns (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such concern (`concern_not_found`)", body = ErrorBody),
        (status = 422, description = "Unknown status (`invalid_status`)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn set_status(
    State(state): State<AppState>,
    session: ApiSession,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<StatusBody>,
) -> Result<Json<StatusChanged>, ApiError> {
    let s = &session.0;
    detail(&state, s, id).await?;
    session.require_answer()?;
    let status = ConcernStatus::parse(body.status.trim()).ok_or_else(ApiError::invalid_status)?;
    state
        .store
        .set_concern_status(s.municipality_id, id, status, now_ms())
        .await
        .map_err(|e| match e {
            StoreError::NotFound => ApiError::concern_not_found(),
            e => ApiError::internal(&e),
        })?;
    changed(
        &state,
        &session,
        audit::CONCERN_STATUS,
        id,
        status.as_str().to_string(),
    )
    .await;
    Ok(Json(StatusChanged {
        id,
        status: status.into(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AssigneeBody {
    /// A staff member of this municipality, or null for nobody.
    pub staff_id: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssigneeChanged {
    pub id: i64,
    pub assignee: Option<AssigneeDto>,
}

/// Assigns the concern to a staff member of the municipality, or to nobody.
#[utoipa::path(
    post, path = "/api/v1/concerns/{id}/assignee", tag = "concerns",
    params(("id" = i64, Path, description = "Concern id")),
    request_body = AssigneeBody,
    responses(
        (status = 200, description = "Assignment changed", body = AssigneeChanged),
        (status = 400, description = "Malformed JSON (`bad_request`)", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Role may not act on concerns (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such concern (`concern_not_found`)", body = ErrorBody),
        (status = 422, description = "Not a member of this municipality (`invalid_assignee`)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn set_assignee(
    State(state): State<AppState>,
    session: ApiSession,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<AssigneeBody>,
) -> Result<Json<AssigneeChanged>, ApiError> {
    let s = &session.0;
    detail(&state, s, id).await?;
    session.require_answer()?;
    state
        .store
        .assign_concern(s.municipality_id, id, body.staff_id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => ApiError::concern_not_found(),
            StoreError::Invalid(msg) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_assignee", msg)
            }
            e => ApiError::internal(&e),
        })?;
    let to = body
        .staff_id
        .map_or("none".to_string(), |a| format!("staff:{a}"));
    changed(&state, &session, audit::CONCERN_ASSIGN, id, to).await;
    let after = detail(&state, s, id).await?;
    Ok(Json(AssigneeChanged {
        id,
        assignee: list_item(after.summary).assignee,
    }))
}

/// Downloads a citizen's attachment (always as an attachment, never rendered inline).
#[utoipa::path(
    get, path = "/api/v1/concerns/{id}/media/{media_id}", tag = "concerns",
    params(
        ("id" = i64, Path, description = "Concern id"),
        ("media_id" = i64, Path, description = "Media id from the message"),
    ),
    responses(
        (status = 200, description = "The file", content_type = "application/octet-stream"),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Role may not read concerns (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such (stored) media in this concern (`media_not_found`)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn media(
    State(state): State<AppState>,
    session: ApiSession,
    ApiPath((id, media_id)): ApiPath<(i64, i64)>,
) -> Result<Response, ApiError> {
    session.require_read()?;
    match state
        .store
        .media_content(session.0.municipality_id, id, media_id)
        .await
    {
        Ok(Some(m)) => {
            audit::record(
                &state.store,
                &session.actor(),
                audit::MEDIA_DOWNLOAD,
                format!("media:{media_id}"),
                Some(format!("concern:{id} api")),
            )
            .await
            .map_err(|e| ApiError::internal(&e))?;
            Ok(crate::ui::media::download_response(
                &m.mime_type,
                m.filename.as_deref(),
                media_id,
                m.bytes,
            ))
        }
        Ok(None) => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "media_not_found",
            "Anhang nicht gefunden oder noch nicht geladen. / Media not found or not fetched yet.",
        )),
        Err(e) => Err(ApiError::internal(&e)),
    }
}
