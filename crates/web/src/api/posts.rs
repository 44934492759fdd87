//! `/api/v1/media` and `/api/v1/posts`: upload images, compose, submit, approve (four-eyes), reject and follow a post per channel.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use jiff::Timestamp;
use rathaus_domain::publishing::{Finding, WorkflowError};
use rathaus_hub::images::{reencode, ImageError};
use rathaus_hub::publishing::{self, Draft, PublishError};
use rathaus_hub::Tenant;
use rathaus_store::{now_ms, NewPostImage, WEBSITE_CHANNEL};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::ApiSession;
use super::errors::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody, ErrorDetail};
use crate::AppState;

/// One finding of the checks, as the composer shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct FindingDto {
    /// `blocking` or `warning`.
    pub severity: &'static str,
    /// Stable, e.g. `alt_text_missing`, `text_too_long`, `fake_formatting`.
    pub code: &'static str,
    pub message_de: String,
    pub message_en: String,
}

impl From<&Finding> for FindingDto {
    fn from(f: &Finding) -> Self {
        FindingDto {
            severity: if f.is_blocking() {
                "blocking"
            } else {
                "warning"
            },
            code: f.code,
            message_de: f.message_de.clone(),
            message_en: f.message_en.clone(),
        }
    }
}

/// An error with the findings that caused it: `error.code` is the first blocking finding's code.
#[derive(Debug, Serialize, ToSchema)]
pub struct FindingsErrorBody {
    pub error: ErrorDetail,
    pub findings: Vec<FindingDto>,
}

/// A refusal of the publishing endpoints.
pub enum PostError {
    Api(ApiError),
    Findings(Vec<Finding>),
}

impl From<ApiError> for PostError {
    fn from(e: ApiError) -> Self {
        PostError::Api(e)
    }
}

impl IntoResponse for PostError {
    fn into_response(self) -> Response {
        match self {
            PostError::Api(e) => e.into_response(),
            PostError::Findings(found) => {
                let first = found.iter().find(|f| f.is_blocking()).or(found.first());
                let (code, message) = match first {
                    Some(f) => (f.code, format!("{} / {}", f.message_de, f.message_en)),
                    None => ("blocking_findings", String::new()),
                };
                let body = FindingsErrorBody {
                    error: ErrorDetail {
                        code: code.to_string(),
                        message,
                    },
                    findings: found.iter().map(FindingDto::from).collect(),
                };
                (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
            }
        }
    }
}

fn workflow_error(e: &WorkflowError) -> ApiError {
    let status = match e {
        WorkflowError::FourEyesSamePerson => StatusCode::FORBIDDEN,
        WorkflowError::NotAllowed { .. }
        | WorkflowError::NotEditable { .. }
        | WorkflowError::ApprovalRequired => StatusCode::CONFLICT,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    ApiError::new(
        status,
        e.code(),
        format!("{} / {}", e.message_de(), e.message_en()),
    )
}

fn publish_error(e: PublishError, tenant: &Tenant) -> PostError {
    let api = match e {
        PublishError::Findings(found) => return PostError::Findings(found),
        PublishError::Workflow(w) => workflow_error(&w),
        PublishError::UnknownChannel(name) => {
            let mut known = vec![WEBSITE_CHANNEL.to_string()];
            known.extend(tenant.settings.publishing.channels.iter().map(|c| c.name.clone()));
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "channel_unknown",
                format!(
                    "Keinen Kanal „{name}“ konfiguriert; möglich: {k}. / No channel \"{name}\" is configured; possible: {k}.",
                    k = known.join(", ")
                ),
            )
        }
        PublishError::MediaUnavailable(id) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "media_unavailable",
            format!("Bild {id} gibt es nicht oder es gehört schon zu einem anderen Beitrag. Laden Sie es neu hoch. / Image {id} does not exist or already belongs to another post. Upload it again."),
        ),
        PublishError::PostNotFound => post_not_found(),
        PublishError::NotPublished => ApiError::new(
            StatusCode::CONFLICT,
            "post_not_published",
            "Der Beitrag ist noch nicht veröffentlicht; ändern Sie den Entwurf. / The post has not been published yet; change the draft instead.",
        ),
        PublishError::Changed => ApiError::new(
            StatusCode::CONFLICT,
            "post_changed",
            "Der Beitrag wurde gerade von jemand anderem geändert; laden Sie ihn neu. / The post was just changed by someone else; reload it.",
        ),
        PublishError::Store(e) => ApiError::internal(&e),
    };
    PostError::Api(api)
}

pub(super) fn post_not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "post_not_found",
        "Beitrag nicht gefunden. / Post not found.",
    )
}

pub(super) fn tenant<'a>(
    registry: &'a rathaus_hub::Registry,
    session: &ApiSession,
) -> Result<&'a Tenant, ApiError> {
    registry
        .tenant(session.0.municipality_id)
        .ok_or_else(|| ApiError::internal(&"municipality of the token is not configured"))
}

fn rfc3339(ms: Option<i64>) -> Option<String> {
    ms.and_then(|m| Timestamp::from_millisecond(m).ok())
        .map(|t| t.to_string())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MediaQuery {
    /// Alternative text: what the image shows, for people who cannot see it. Required before the
    /// image can be part of a post (may be set later with `PUT /api/v1/media/{id}`).
    pub alt: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MediaDto {
    pub id: i64,
    /// `image/png` or `image/jpeg`; the stored file is re-encoded without any metadata (EXIF, GPS).
    pub mime: String,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
    pub alt: String,
}

fn image_error(e: &ImageError) -> ApiError {
    let status = match e {
        ImageError::UnsupportedType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ImageError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    ApiError::new(status, e.code(), e.to_string())
}

/// Upload an image for a post.
#[utoipa::path(
    post, path = "/api/v1/media", tag = "publishing",
    params(MediaQuery),
    request_body(content = Vec<u8>, description = "The image file itself (PNG or JPEG, at most 10 MiB and 4096 px per side), with its `Content-Type`", content_type = "image/jpeg"),
    responses(
        (status = 201, description = "Stored after re-encoding (EXIF/GPS removed)", body = MediaDto),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Only editors and admins publish (`forbidden`)", body = ErrorBody),
        (status = 413, description = "Larger than 10 MiB (`image_too_large`)", body = ErrorBody),
        (status = 415, description = "Not PNG or JPEG (`image_type_unsupported`)", body = ErrorBody),
        (status = 422, description = "`image_unreadable` (content does not match the type), `image_dimensions_too_large`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn upload_media(
    State(state): State<AppState>,
    session: ApiSession,
    ApiQuery(q): ApiQuery<MediaQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<MediaDto>), ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("(none)");
    let clean = reencode(content_type, &body).map_err(|e| image_error(&e))?;
    let alt = q.alt.unwrap_or_default();
    let img = NewPostImage {
        municipality_id: session.0.municipality_id,
        uploaded_by: session.0.staff_id,
        mime: clean.mime,
        width: clean.width,
        height: clean.height,
        bytes: &clean.bytes,
        alt: &alt,
    };
    let id = state
        .store
        .insert_post_image(&img, now_ms())
        .await
        .map_err(|e| ApiError::internal(&e))?;
    Ok((
        StatusCode::CREATED,
        Json(MediaDto {
            id,
            mime: clean.mime.to_string(),
            width: clean.width,
            height: clean.height,
            bytes: clean.bytes.len() as u64,
            alt: alt.trim().to_string(),
        }),
    ))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AltBody {
    pub alt: String,
}

/// Set an image's alternative text (before it is attached, or while its post is a draft).
#[utoipa::path(
    put, path = "/api/v1/media/{id}", tag = "publishing",
    params(("id" = i64, Path, description = "Image id")),
    request_body = AltBody,
    responses(
        (status = 200, description = "Alt text stored", body = AltBody),
        (status = 404, description = "No such image (`media_not_found`)", body = ErrorBody),
        (status = 409, description = "Its post is past draft (`media_locked`)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn set_media_alt(
    State(state): State<AppState>,
    session: ApiSession,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<AltBody>,
) -> Result<Json<AltBody>, ApiError> {
    let m = session.0.municipality_id;
    let store = &state.store;
    if store
        .set_post_image_alt(m, id, &body.alt)
        .await
        .map_err(|e| ApiError::internal(&e))?
    {
        return Ok(Json(AltBody {
            alt: body.alt.trim().to_string(),
        }));
    }
    let exists = !store
        .post_images_by_id(m, &[id])
        .await
        .map_err(|e| ApiError::internal(&e))?
        .is_empty();
    Err(if exists {
        ApiError::new(StatusCode::CONFLICT, "media_locked", "Der Beitrag dieses Bildes ist eingereicht oder freigegeben; Änderungen nur am Entwurf. / The image's post is submitted or approved; only drafts can be changed.")
    } else {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "media_not_found",
            "Bild nicht gefunden. / Image not found.",
        )
    })
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewPostBody {
    pub text: String,
    /// BCP 47 tag, e.g. "de".
    pub language: String,
    /// Configured channel names. The town's news page (`website`) always gets the post; the network
    /// channels are accepted but not connected yet: they stay `pending`.
    #[serde(default)]
    pub channels: Vec<String>,
    /// Image ids from `POST /api/v1/media`, in display order (at most 4, each with alt text).
    #[serde(default)]
    pub media: Vec<i64>,
    /// Text by channel name or kind that replaces `text` there.
    #[serde(default)]
    pub variants: BTreeMap<String, String>,
    /// RFC 3339; when approval comes later, the post goes out then.
    pub publish_at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PostCreated {
    pub id: i64,
    pub status: &'static str,
}

/// Compose a post (a draft). Refused with the checks' findings when anything blocks.
#[utoipa::path(
    post, path = "/api/v1/posts", tag = "publishing",
    request_body = NewPostBody,
    responses(
        (status = 201, description = "Draft stored", body = PostCreated),
        (status = 400, description = "Malformed JSON or `publish_at` (`bad_request`)", body = ErrorBody),
        (status = 403, description = "Only editors and admins publish (`forbidden`)", body = ErrorBody),
        (status = 422, description = "Blocking findings (`alt_text_missing` naming the image, `text_too_long`, `fake_formatting`, …) with all `findings`; or `channel_unknown`, `media_unavailable`, `publish_at_in_past`", body = FindingsErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    session: ApiSession,
    ApiJson(body): ApiJson<NewPostBody>,
) -> Result<(StatusCode, Json<PostCreated>), PostError> {
    let registry = state.registry.current();
    let tenant = tenant(&registry, &session)?;
    let publish_at = match body.publish_at.as_deref() {
        Some(s) => Some(s.parse::<Timestamp>().map_err(|_| {
            ApiError::bad_request("publish_at must be RFC 3339, e.g. 2026-05-01T09:00:00+02:00")
        })?),
        None => None,
    };
    let draft = Draft {
        text: body.text,
        language: body.language,
        channels: body.channels,
        media: body.media,
        variants: body.variants,
        publish_at,
    };
    let id = publishing::create(&state.store, tenant, session.0.staff_id, &draft, now_ms())
        .await
        .map_err(|e| publish_error(e, tenant))?;
    Ok((
        StatusCode::CREATED,
        Json(PostCreated {
            id,
            status: "draft",
        }),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelResult {
    /// Configured name; `website` is the town's own news page.
    pub channel: String,
    pub kind: String,
    /// `pending` (waiting or will be retried), `sending` (an attempt is under way or being
    /// resolved), `published`, `failed`, `unknown` (no answer from the platform: check there; never
    /// sent again) or `deleted`.
    pub status: String,
    /// Link to the post on the channel once published.
    pub url: Option<String>,
    /// Why it failed or still waits, in plain words.
    pub error: Option<String>,
    /// After publishing: edited, deleted, or why that was not possible on this channel.
    pub note: Option<String>,
    pub published_at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MediaRef {
    pub id: i64,
    pub alt: String,
    pub width: i64,
    pub height: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PostDto {
    pub id: i64,
    /// draft, submitted, approved, scheduled, publishing, published, partly_failed, failed.
    pub status: String,
    pub text: String,
    pub language: String,
    pub variants: BTreeMap<String, String>,
    pub author_id: i64,
    pub approved_by: Option<i64>,
    /// The reviewer's comment of the last rejection.
    pub review_comment: Option<String>,
    pub publish_at: Option<String>,
    pub published_at: Option<String>,
    pub media: Vec<MediaRef>,
    pub channels: Vec<ChannelResult>,
}

pub(super) async fn post_dto(
    state: &AppState,
    municipality_id: i64,
    id: i64,
) -> Result<PostDto, ApiError> {
    let store = &state.store;
    let internal = |e: rathaus_store::StoreError| ApiError::internal(&e);
    let p = store
        .post(municipality_id, id)
        .await
        .map_err(internal)?
        .ok_or_else(post_not_found)?;
    let media = store.post_images(id).await.map_err(internal)?;
    let channels = store.publication_states(id).await.map_err(internal)?;
    Ok(PostDto {
        id: p.id,
        status: p.status,
        text: p.text,
        language: p.language,
        variants: p.variants,
        author_id: p.author_id,
        approved_by: p.approved_by,
        review_comment: p.review_comment,
        publish_at: rfc3339(p.publish_at),
        published_at: rfc3339(p.published_at),
        media: media
            .into_iter()
            .map(|i| MediaRef {
                id: i.id,
                alt: i.alt,
                width: i.width,
                height: i.height,
            })
            .collect(),
        channels: channels
            .into_iter()
            .map(|c| ChannelResult {
                channel: c.channel,
                kind: c.kind,
                status: c.status,
                url: c.url,
                error: c.error,
                note: c.note,
                published_at: rfc3339(c.published_at),
            })
            .collect(),
    })
}

/// A post with its status and, per channel, status, link and error.
#[utoipa::path(
    get, path = "/api/v1/posts/{id}", tag = "publishing",
    params(("id" = i64, Path, description = "Post id")),
    responses(
        (status = 200, description = "The post", body = PostDto),
        (status = 404, description = "No such post in this municipality (`post_not_found`)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn show(
    State(state): State<AppState>,
    session: ApiSession,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<PostDto>, ApiError> {
    Ok(Json(post_dto(&state, session.0.municipality_id, id).await?))
}

/// Ask for approval (runs the checks again).
#[utoipa::path(
    post, path = "/api/v1/posts/{id}/submit", tag = "publishing",
    params(("id" = i64, Path, description = "Post id")),
    responses(
        (status = 200, description = "Submitted", body = PostDto),
        (status = 404, description = "`post_not_found`", body = ErrorBody),
        (status = 409, description = "Not a draft (`transition_not_allowed`)", body = ErrorBody),
        (status = 422, description = "Blocking findings", body = FindingsErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn submit(
    State(state): State<AppState>,
    session: ApiSession,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<PostDto>, PostError> {
    let registry = state.registry.current();
    let tenant = tenant(&registry, &session)?;
    publishing::submit(&state.store, tenant, id, session.0.staff_id, now_ms())
        .await
        .map_err(|e| publish_error(e, tenant))?;
    Ok(Json(post_dto(&state, tenant.row.id, id).await?))
}

/// Approve: someone other than the author when four-eyes is on. The post is then scheduled for its
/// `publish_at` (or now) and, when due, published on the news page at once.
#[utoipa::path(
    post, path = "/api/v1/posts/{id}/approve", tag = "publishing",
    params(("id" = i64, Path, description = "Post id")),
    responses(
        (status = 200, description = "Approved and scheduled or published", body = PostDto),
        (status = 403, description = "The author under four-eyes (`four_eyes_same_person`)", body = ErrorBody),
        (status = 404, description = "`post_not_found`", body = ErrorBody),
        (status = 409, description = "Not submitted (`transition_not_allowed`)", body = ErrorBody),
        (status = 422, description = "Blocking findings", body = FindingsErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn approve(
    State(state): State<AppState>,
    session: ApiSession,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<PostDto>, PostError> {
    let registry = state.registry.current();
    let tenant = tenant(&registry, &session)?;
    publishing::approve(
        &state.store,
        &registry,
        tenant,
        id,
        session.0.staff_id,
        now_ms(),
    )
    .await
    .map_err(|e| publish_error(e, tenant))?;
    Ok(Json(post_dto(&state, tenant.row.id, id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RejectBody {
    /// What the author should change.
    pub comment: String,
}

/// Send the post back to its author as a draft, with a comment.
#[utoipa::path(
    post, path = "/api/v1/posts/{id}/reject", tag = "publishing",
    params(("id" = i64, Path, description = "Post id")),
    request_body = RejectBody,
    responses(
        (status = 200, description = "Back to draft", body = PostDto),
        (status = 403, description = "The author under four-eyes (`four_eyes_same_person`)", body = ErrorBody),
        (status = 409, description = "`transition_not_allowed`", body = ErrorBody),
        (status = 422, description = "Empty comment (`rejection_comment_missing`)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn reject(
    State(state): State<AppState>,
    session: ApiSession,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<RejectBody>,
) -> Result<Json<PostDto>, PostError> {
    let registry = state.registry.current();
    let tenant = tenant(&registry, &session)?;
    publishing::reject(
        &state.store,
        tenant,
        id,
        session.0.staff_id,
        &body.comment,
        now_ms(),
    )
    .await
    .map_err(|e| publish_error(e, tenant))?;
    Ok(Json(post_dto(&state, tenant.row.id, id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct EditPublishedBody {
    /// The new common text (checked like a new post for its channels).
    pub text: String,
}

/// Change the text of a published post: the news page at once, each network where it allows
/// editing (Mastodon, Telegram); elsewhere the channel's `note` says the old text stays.
#[utoipa::path(
    post, path = "/api/v1/posts/{id}/edit", tag = "publishing",
    params(("id" = i64, Path, description = "Post id")),
    request_body = EditPublishedBody,
    responses(
        (status = 200, description = "Changed; the networks follow", body = PostDto),
        (status = 404, description = "`post_not_found`", body = ErrorBody),
        (status = 409, description = "Not published yet (`post_not_published`)", body = ErrorBody),
        (status = 422, description = "Blocking findings", body = FindingsErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn edit_published(
    State(state): State<AppState>,
    session: ApiSession,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<EditPublishedBody>,
) -> Result<Json<PostDto>, PostError> {
    let registry = state.registry.current();
    let tenant = tenant(&registry, &session)?;
    rathaus_hub::published::edit_published(
        &state.store,
        tenant,
        id,
        session.0.staff_id,
        &body.text,
        now_ms(),
    )
    .await
    .map_err(|e| publish_error(e, tenant))?;
    if let Some(worker) = &state.worker {
        worker.wake();
    }
    Ok(Json(post_dto(&state, tenant.row.id, id).await?))
}

/// Withdraw a published post: off the news page at once, deleted on each network; where a
/// platform does not allow it, the channel's `note` says the post is still there.
#[utoipa::path(
    post, path = "/api/v1/posts/{id}/delete", tag = "publishing",
    params(("id" = i64, Path, description = "Post id")),
    responses(
        (status = 200, description = "Withdrawn; the networks follow", body = PostDto),
        (status = 404, description = "`post_not_found`", body = ErrorBody),
        (status = 409, description = "Not published yet (`post_not_published`)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn withdraw(
    State(state): State<AppState>,
    session: ApiSession,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<PostDto>, PostError> {
    let registry = state.registry.current();
    let tenant = tenant(&registry, &session)?;
    rathaus_hub::published::withdraw(&state.store, tenant, id, session.0.staff_id, now_ms())
        .await
        .map_err(|e| publish_error(e, tenant))?;
    if let Some(worker) = &state.worker {
        worker.wake();
    }
    Ok(Json(post_dto(&state, tenant.row.id, id).await?))
}
