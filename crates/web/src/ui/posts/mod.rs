//! The staff side of publishing: the post list, the composer (text, images with alt text, channels, variants, time) with a server-rendered preview, and the post page with the approval workflow.

mod compose;
mod live_preview;
#[doc(hidden)]
// Public only for fuzz/fuzz_targets/multipart_form.rs.
pub mod multipart;
mod preview;
mod retry;
mod show;

use axum::routing::{get, post};
use axum::Router;
use rathaus_domain::publishing::{PostStatus, WorkflowError};
use rathaus_hub::publishing::PublishError;

use super::i18n::{Lang, Tr};
use crate::AppState;

/// Largest composer form: four images of at most 10 MiB each, plus the text fields.
pub const MAX_FORM_BYTES: usize = 4 * 10 * 1024 * 1024 + 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/beitraege", get(show::list))
        .route(
            "/beitraege/neu",
            get(compose::new_form)
                .post(compose::new_submit)
                .layer(axum::extract::DefaultBodyLimit::max(MAX_FORM_BYTES)),
        )
        .route(
            "/beitraege/vorschau",
            post(live_preview::fragment).layer(axum::extract::DefaultBodyLimit::max(
                live_preview::MAX_PREVIEW_BYTES,
            )),
        )
        .route("/beitraege/{id}", get(show::page))
        .route(
            "/beitraege/{id}/bearbeiten",
            get(compose::edit_form)
                .post(compose::edit_submit)
                .layer(axum::extract::DefaultBodyLimit::max(MAX_FORM_BYTES)),
        )
        .route("/beitraege/{id}/einreichen", post(show::submit))
        .route("/beitraege/{id}/freigeben", post(show::approve))
        .route("/beitraege/{id}/planen", post(show::approve))
        .route("/beitraege/{id}/ablehnen", post(show::reject))
        .route(
            "/beitraege/{id}/kanaele/{channel}/erneut",
            post(retry::retry),
        )
        .route(
            "/beitraege/{id}/kanaele/{channel}/nicht-erschienen",
            post(retry::resend),
        )
        .route("/beitraege/bilder/{id}", get(show::image))
}

fn pick(lang: Lang, de: String, en: String) -> String {
    match lang {
        Lang::De => de,
        Lang::En => en,
    }
}

/// A status in the staff member's language.
fn status_label(tr: Tr, status: &str) -> String {
    match PostStatus::parse(status) {
        Some(s) => pick(tr.lang, s.label_de().into(), s.label_en().into()),
        None => status.to_string(),
    }
}

/// A refusal of a workflow step in plain words; `None` for the checks' findings (shown by field).
fn refusal(tr: Tr, e: &PublishError) -> Option<String> {
    Some(match e {
        PublishError::Findings(_) => return None,
        PublishError::Workflow(w) => workflow_message(tr, w),
        PublishError::UnknownChannel(name) => pick(
            tr.lang,
            format!("Keinen Kanal „{name}“ konfiguriert."),
            format!("No channel \"{name}\" is configured."),
        ),
        PublishError::MediaUnavailable(_) => tr.t("posts.error_media").to_string(),
        PublishError::PostNotFound => tr.t("error.not_found").to_string(),
        PublishError::Changed => tr.t("posts.error_changed").to_string(),
        PublishError::Store(e) => {
            tracing::error!(error = %e, "publishing step failed");
            tr.t("error.internal").to_string()
        }
        #[allow(unreachable_patterns)]
        other => {
            tracing::error!(error = %other, "publishing step failed");
            tr.t("error.internal").to_string()
        }
    })
}

fn workflow_message(tr: Tr, w: &WorkflowError) -> String {
    pick(tr.lang, w.message_de(), w.message_en())
}
