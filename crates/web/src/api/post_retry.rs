//! `/api/v1/posts/{id}/channels/{channel}/…`: send a post to one network channel again — a failed one, or an unclear one after confirming it did not appear there.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use rathaus_hub::publish_retry::{self, RetryError};
use rathaus_store::now_ms;
use serde::Deserialize;
use utoipa::ToSchema;

use super::auth::ApiSession;
use super::errors::{ApiError, ApiJson, ApiPath, ErrorBody};
use super::posts::{post_dto, post_not_found, tenant, PostDto};
use crate::AppState;

/// A refusal with its stable code and what to do about it.
pub fn retry_error(e: RetryError) -> ApiError {
    let conflict = |code, message: String| ApiError::new(StatusCode::CONFLICT, code, message);
    match e {
        RetryError::PostNotFound => post_not_found(),
        RetryError::UnknownChannel(name) => ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_channel",
            format!("Der Beitrag hat keinen Netzwerk-Kanal „{name}“. / The post has no network channel \"{name}\"."),
        ),
        RetryError::NotPublished => conflict(
            "post_not_published",
            "Der Beitrag ist noch nicht veröffentlicht worden. / The post has not been published yet.".into(),
        ),
        RetryError::Withdrawn => conflict(
            "post_withdrawn",
            "Der Beitrag wurde zurückgezogen und wird nirgends mehr gesendet. / The post was withdrawn and is not sent anywhere any more.".into(),
        ),
        RetryError::NotFailed { status } => conflict(
            "not_failed",
            format!("Nur ein fehlgeschlagener Kanal kann erneut versucht werden; dieser ist „{status}“. / Only a failed channel can be tried again; this one is \"{status}\"."),
        ),
        RetryError::OutcomeUnclear => conflict(
            "outcome_unclear",
            "Unklar, ob der Beitrag dort erschienen ist. Sehen Sie auf der Plattform nach; ist er nicht erschienen, senden Sie ihn mit POST …/resend und {\"did_not_appear\": true} erneut. / Unclear whether the post appeared there. Check on the platform; if it did not appear, send it again with POST …/resend and {\"did_not_appear\": true}.".into(),
        ),
        RetryError::NotUnclear { status } => conflict(
            "not_unclear",
            format!("Nur ein Kanal mit unklarem Ergebnis wird so erneut gesendet; dieser ist „{status}“. / Only a channel with an unclear outcome is sent again this way; this one is \"{status}\"."),
        ),
        RetryError::NotConnected(name) => conflict(
            "channel_not_connected",
            format!("Der Kanal „{name}“ ist nicht mehr angebunden; prüfen Sie die Konfiguration. / The channel \"{name}\" is no longer connected; check the configuration."),
        ),
        RetryError::Changed => conflict(
            "post_changed",
            "Der Beitrag wurde gerade von jemand anderem geändert; laden Sie ihn neu. / The post was just changed by someone else; reload it.".into(),
        ),
        RetryError::Store(e) => ApiError::internal(&e),
    }
}

/// The answer once a channel was queued again (the worker is woken, the post returned) or refused.
async fn answer(
    state: &AppState,
    municipality_id: i64,
    id: i64,
    queued: Result<(), RetryError>,
) -> Result<Json<PostDto>, ApiError> {
    queued.map_err(retry_error)?;
    if let Some(worker) = &state.worker {
        worker.wake();
    }
    Ok(Json(post_dto(state, municipality_id, id).await?))
}

/// Try a failed channel again once its cause is fixed (a renewed token, a shorter text variant …):
/// the channel shows `pending`, then its new result. Audited as `post.retry`.
#[utoipa::path(
    post, path = "/api/v1/posts/{id}/channels/{channel}/retry", tag = "publishing",
    params(
        ("id" = i64, Path, description = "Post id"),
        ("channel" = String, Path, description = "Channel name, e.g. `mastodon`"),
    ),
    responses(
        (status = 200, description = "Queued again; the channel is `pending`", body = PostDto),
        (status = 403, description = "Only editors and admins publish (`forbidden`)", body = ErrorBody),
        (status = 404, description = "`post_not_found`, `unknown_channel`", body = ErrorBody),
        (status = 409, description = "`not_failed` (published, pending …), `outcome_unclear` (confirm with …/resend first), `post_not_published`, `post_withdrawn`, `channel_not_connected`, `post_changed`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn retry(
    State(state): State<AppState>,
    session: ApiSession,
    ApiPath((id, channel)): ApiPath<(i64, String)>,
) -> Result<Json<PostDto>, ApiError> {
    let registry = state.registry.current();
    let tenant = tenant(&registry, &session)?;
    let queued = publish_retry::retry_failed(
        &state.store,
        tenant,
        id,
        &channel,
        session.0.staff_id,
        now_ms(),
    )
    .await;
    answer(&state, tenant.row.id, id, queued).await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ResendBody {
    /// Must be `true`: you checked on the platform that the post is not there. If it is, sending
    /// again makes a second post.
    pub did_not_appear: bool,
}

/// Send a channel whose outcome is unclear again, on your word that the post did not appear there
/// (Rathaus could not find out; sending again when it did appear makes a double post). Audited as
/// `post.resend_unclear`.
#[utoipa::path(
    post, path = "/api/v1/posts/{id}/channels/{channel}/resend", tag = "publishing",
    params(
        ("id" = i64, Path, description = "Post id"),
        ("channel" = String, Path, description = "Channel name, e.g. `kanal`"),
    ),
    request_body = ResendBody,
    responses(
        (status = 200, description = "Queued again; the channel is `pending`", body = PostDto),
        (status = 403, description = "Only editors and admins publish (`forbidden`)", body = ErrorBody),
        (status = 404, description = "`post_not_found`, `unknown_channel`", body = ErrorBody),
        (status = 409, description = "`not_unclear` (use …/retry for a failed channel), `post_not_published`, `post_withdrawn`, `channel_not_connected`, `post_changed`", body = ErrorBody),
        (status = 422, description = "`did_not_appear` is not `true` (`confirmation_missing`)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn resend(
    State(state): State<AppState>,
    session: ApiSession,
    ApiPath((id, channel)): ApiPath<(i64, String)>,
    ApiJson(body): ApiJson<ResendBody>,
) -> Result<Json<PostDto>, ApiError> {
    let registry = state.registry.current();
    let tenant = tenant(&registry, &session)?;
    if !body.did_not_appear {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "confirmation_missing",
            "Bestätigen Sie mit \"did_not_appear\": true, dass der Beitrag dort nicht erschienen ist. / Confirm with \"did_not_appear\": true that the post did not appear there.",
        ));
    }
    let queued = publish_retry::resend_unclear(
        &state.store,
        tenant,
        id,
        &channel,
        session.0.staff_id,
        now_ms(),
    )
    .await;
    answer(&state, tenant.row.id, id, queued).await
}
