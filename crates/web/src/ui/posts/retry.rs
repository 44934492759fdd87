//! The post page's ways to send one channel again: "try again" for a failed channel, "did not appear – send again" (after confirming) for an unclear one.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use rathaus_domain::publishing::PostStatus;
use rathaus_hub::publish_retry::{self, RetryError};
use rathaus_store::{now_ms, publication_status as st, PublicationState, WEBSITE_CHANNEL};
use serde::Deserialize;

use super::pick;
use super::show::render_post;
use crate::ui::auth::StaffSession;
use crate::ui::i18n::Tr;
use crate::ui::view;
use crate::AppState;

/// Whether the post is out and not withdrawn, so its ended channels may be sent again.
pub(super) fn reopenable(post_status: &str, publications: &[PublicationState]) -> bool {
    let out = matches!(
        PostStatus::parse(post_status),
        Some(
            PostStatus::Publishing
                | PostStatus::Published
                | PostStatus::PartlyFailed
                | PostStatus::Failed
        )
    );
    let withdrawn = publications
        .iter()
        .any(|p| p.channel == WEBSITE_CHANNEL && p.status == st::DELETED);
    out && !withdrawn
}

/// A refusal in the staff member's language, with its HTTP status.
fn refusal(tr: Tr, e: &RetryError) -> (StatusCode, String) {
    let conflict = StatusCode::CONFLICT;
    match e {
        RetryError::PostNotFound => (StatusCode::NOT_FOUND, tr.t("error.not_found").into()),
        RetryError::UnknownChannel(name) => (
            StatusCode::NOT_FOUND,
            pick(
                tr.lang,
                format!("Der Beitrag hat keinen Kanal „{name}“."),
                format!("The post has no channel \"{name}\"."),
            ),
        ),
        RetryError::NotPublished => (
            conflict,
            pick(
                tr.lang,
                "Der Beitrag ist noch nicht veröffentlicht worden.".into(),
                "The post has not been published yet.".into(),
            ),
        ),
        RetryError::Withdrawn => (
            conflict,
            pick(
                tr.lang,
                "Der Beitrag wurde zurückgezogen und wird nirgends mehr gesendet.".into(),
                "The post was withdrawn and is not sent anywhere any more.".into(),
            ),
        ),
        RetryError::NotFailed { .. } => (
            conflict,
            pick(
                tr.lang,
                "Nur ein fehlgeschlagener Kanal kann erneut versucht werden; die Seite zeigt den aktuellen Stand.".into(),
                "Only a failed channel can be tried again; the page shows the current state.".into(),
            ),
        ),
        RetryError::OutcomeUnclear | RetryError::NotUnclear { .. } => (
            conflict,
            pick(
                tr.lang,
                "Der Kanal hat kein unklares Ergebnis (mehr); die Seite zeigt den aktuellen Stand.".into(),
                "The channel has no unclear outcome (any more); the page shows the current state.".into(),
            ),
        ),
        RetryError::NotConnected(name) => (
            conflict,
            pick(
                tr.lang,
                format!("Der Kanal „{name}“ ist nicht mehr angebunden; bitte wenden Sie sich an die Verwaltung."),
                format!("The channel \"{name}\" is no longer connected; please ask an administrator."),
            ),
        ),
        RetryError::Changed => (conflict, tr.t("posts.error_changed").into()),
        RetryError::Store(e) => {
            tracing::error!(error = %e, "sending a channel again failed");
            (StatusCode::INTERNAL_SERVER_ERROR, tr.t("error.internal").into())
        }
    }
}

/// Queues channel `channel` of post `id` again — a failed one, or an unclear one the staff member
/// confirmed did not appear — and answers: back to the post page, or the refusal shown on it.
async fn send_again(
    state: &AppState,
    session: &StaffSession,
    id: i64,
    channel: &str,
    confirmed_unclear: bool,
) -> Response {
    let registry = state.registry.current();
    let Some(t) = registry.tenant(session.info.municipality_id) else {
        return view::internal_error(
            session.tr(),
            &"the session's municipality is not configured",
        );
    };
    let (store, actor, now) = (&state.store, session.info.staff_id, now_ms());
    let result = if confirmed_unclear {
        publish_retry::resend_unclear(store, t, id, channel, actor, now).await
    } else {
        publish_retry::retry_failed(store, t, id, channel, actor, now).await
    };
    match result {
        Ok(()) => {
            if let Some(worker) = &state.worker {
                worker.wake();
            }
            Redirect::to(&format!("/beitraege/{id}?msg=retried")).into_response()
        }
        Err(RetryError::PostNotFound) => {
            let path = format!("/beitraege/{id}");
            view::not_found(session.tr(), Some(session.chrome(state, &path).await))
        }
        Err(e) => {
            let (status, message) = refusal(session.tr(), &e);
            render_post(
                state,
                session,
                id,
                status,
                None,
                Some(message),
                String::new(),
            )
            .await
        }
    }
}

/// `POST /beitraege/{id}/kanaele/{channel}/erneut`: try a failed channel again.
pub async fn retry(
    State(state): State<AppState>,
    session: StaffSession,
    Path((id, channel)): Path<(i64, String)>,
) -> Response {
    send_again(&state, &session, id, &channel, false).await
}

#[derive(Deserialize)]
pub struct ResendForm {
    /// The checkbox "I checked: the post did not appear there".
    did_not_appear: Option<String>,
}

/// `POST /beitraege/{id}/kanaele/{channel}/nicht-erschienen`: send an unclear channel again, only
/// with the confirmation that the post did not appear there.
pub async fn resend(
    State(state): State<AppState>,
    session: StaffSession,
    Path((id, channel)): Path<(i64, String)>,
    Form(form): Form<ResendForm>,
) -> Response {
    let tr = session.tr();
    if form.did_not_appear.as_deref() != Some("yes") {
        let message = tr.t("posts.resend_confirm_missing").to_string();
        return render_post(
            &state,
            &session,
            id,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some(message),
            String::new(),
        )
        .await;
    }
    send_again(&state, &session, id, &channel, true).await
}
