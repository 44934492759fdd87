//! The composer's live preview: the form's text fields in, the same preview section the composer page renders out, so every count is computed once, on the server.

use std::collections::BTreeMap;

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use rathaus_domain::publishing::ChannelTarget;
use rathaus_hub::publish_jobs::mastodon_limits;
use rathaus_hub::publishing::MAX_IMAGES;
use rathaus_store::PostImage;

use super::compose::read_input;
use super::preview::{self, ChannelPreview};
use crate::ui::auth::StaffSession;
use crate::ui::i18n::Tr;
use crate::ui::view;
use crate::AppState;

/// Largest text-only preview form: text, variants and alt texts, never the image files.
pub const MAX_PREVIEW_BYTES: usize = 512 * 1024;

#[derive(Template)]
#[template(path = "posts_preview.html")]
struct PreviewFragment {
    tr: Tr,
    channels: Vec<ChannelPreview>,
    summary: String,
}

/// `POST /beitraege/vorschau`: the preview section for what the composer holds right now (text,
/// language, chosen channels, variants, the alt texts of images already uploaded). Saves nothing.
pub async fn fragment(
    State(state): State<AppState>,
    session: StaffSession,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let tr = session.tr();
    let registry = state.registry.current();
    let Some(t) = registry.tenant(session.info.municipality_id) else {
        return view::forbidden(tr, None);
    };
    let Ok(input) = read_input(&headers, &body) else {
        return (StatusCode::BAD_REQUEST, tr.t("posts.error_form")).into_response();
    };
    if !input.uploads.is_empty() {
        return (StatusCode::BAD_REQUEST, tr.t("posts.error_form")).into_response();
    }
    let chosen: Vec<ChannelTarget> = t
        .settings
        .publishing
        .channels
        .iter()
        .filter(|c| input.channels.contains(&c.name))
        .cloned()
        .collect();
    // Images of this municipality in the form's order, with the alt text as typed (not stored here).
    let known = match state
        .store
        .post_images_by_id(session.info.municipality_id, &input.image_ids)
        .await
    {
        Ok(k) => k,
        Err(e) => return view::internal_error(tr, &e),
    };
    let mut images: Vec<PostImage> = Vec::new();
    for id in &input.image_ids {
        if input.removed.contains(id) || images.iter().any(|i| i.id == *id) {
            continue;
        }
        if let Some(img) = known.iter().find(|i| i.id == *id) {
            let mut img = img.clone();
            if let Some(alt) = input.alts.get(id) {
                img.alt = alt.clone();
            }
            images.push(img);
        }
    }
    // A file chosen but not uploaded yet counts as an image (Instagram needs one; Telegram's caption
    // under media is shorter); its checks run for real when the form is sent.
    let mut pending = input.pending_uploads.clone();
    pending.sort_unstable();
    pending.dedup();
    for slot in pending {
        if images.len() >= MAX_IMAGES {
            break;
        }
        images.push(PostImage {
            id: -i64::try_from(slot).unwrap_or(i64::MAX),
            post_id: None,
            position: 0,
            alt: String::new(),
            mime: "image/jpeg".into(),
            width: 0,
            height: 0,
            bytes_len: 0,
        });
    }
    let variants: BTreeMap<String, String> = input.variants;
    // The instance's own Mastodon limit, as saving and submitting check it.
    let limits = mastodon_limits(t, &chosen).await;
    let placed = preview::place(
        tr,
        &input.text,
        &input.language,
        &chosen,
        &images,
        &variants,
        &limits,
    );
    let fragment = PreviewFragment {
        tr,
        summary: preview::summary(tr, &placed.channels),
        channels: placed.channels,
    };
    let mut res = view::render(StatusCode::OK, &fragment);
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    res
}
