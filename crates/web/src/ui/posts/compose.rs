//! The composer: one multipart form for a new post or a draft, re-rendered with preview and findings until it is saved or submitted.

use std::collections::BTreeMap;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::Timestamp;
use rathaus_domain::publishing::ChannelTarget;
use rathaus_hub::images::reencode;
use rathaus_hub::publish_jobs::mastodon_limits;
use rathaus_hub::publishing::{self, Draft, MAX_IMAGES};
use rathaus_hub::Tenant;
use rathaus_store::{now_ms, DraftEdit, NewPostImage, PostImage, WEBSITE_CHANNEL};

use super::multipart::{self, Part};
use super::preview::{self, ChannelPreview, Note};
use super::refusal;
use crate::ui::auth::StaffSession;
use crate::ui::i18n::{Lang, Tr};
use crate::ui::view::{self, Chrome};
use crate::AppState;

/// Languages offered for a post (BCP 47), German first.
const LANGUAGES: &[(&str, &str)] = &[
    ("de", "Deutsch"),
    ("en", "English"),
    ("uk", "Українська"),
    ("tr", "Türkçe"),
    ("ar", "العربية"),
];

pub struct LanguageOption {
    pub code: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

pub struct NetworkField {
    pub name: String,
    pub label: String,
    pub checked: bool,
    pub variant: String,
    pub notes: Vec<Note>,
}

pub struct ImageField {
    pub id: i64,
    pub n: usize,
    pub alt: String,
    pub notes: Vec<Note>,
}

#[derive(Template)]
#[template(path = "posts_compose.html")]
struct ComposePage {
    tr: Tr,
    chrome: Option<Chrome>,
    flash: Option<String>,
    error: Option<String>,
    title: &'static str,
    action: String,
    editing: bool,
    text: String,
    text_notes: Vec<Note>,
    languages: Vec<LanguageOption>,
    networks: Vec<NetworkField>,
    images: Vec<ImageField>,
    upload_slots: Vec<usize>,
    upload_errors: Vec<String>,
    when_at: bool,
    date: String,
    time: String,
    time_error: Option<String>,
    timezone: String,
    channels: Vec<ChannelPreview>,
    summary: String,
    blocking: Vec<Note>,
    warnings: Vec<Note>,
}

/// What the form sent.
#[derive(Default)]
pub(super) struct Input {
    pub(super) text: String,
    pub(super) language: String,
    pub(super) channels: Vec<String>,
    pub(super) variants: BTreeMap<String, String>,
    pub(super) image_ids: Vec<i64>,
    pub(super) alts: BTreeMap<i64, String>,
    pub(super) removed: Vec<i64>,
    /// (slot, file part, alt text)
    pub(super) uploads: Vec<(usize, Part, String)>,
    /// Upload slots with a file chosen but not sent (the live preview carries no files).
    pub(super) pending_uploads: Vec<usize>,
    pub(super) when_at: bool,
    pub(super) date: String,
    pub(super) time: String,
    pub(super) action: String,
}

pub(super) fn read_input(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Input, multipart::MultipartError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let parts = multipart::parse(body, &multipart::boundary(ct)?)?;
    let mut input = Input::default();
    let mut files: BTreeMap<usize, Part> = BTreeMap::new();
    let mut file_alts: BTreeMap<usize, String> = BTreeMap::new();
    for p in parts {
        let name = p.name.clone();
        match name.as_str() {
            "text" => input.text = p.text(),
            "language" => input.language = p.text().trim().to_string(),
            "channel" => input.channels.push(p.text().trim().to_string()),
            "image_id" => {
                if let Ok(id) = p.text().trim().parse() {
                    input.image_ids.push(id);
                }
            }
            "when" => input.when_at = p.text().trim() == "at",
            "publish_date" => input.date = p.text().trim().to_string(),
            "publish_time" => input.time = p.text().trim().to_string(),
            "action" => input.action = p.text().trim().to_string(),
            "pending_upload" => {
                if let Ok(n) = p.text().trim().parse() {
                    input.pending_uploads.push(n);
                }
            }
            _ => {
                if let Some(ch) = name.strip_prefix("variant.") {
                    let v = p.text();
                    if !v.trim().is_empty() {
                        input.variants.insert(ch.to_string(), v);
                    }
                } else if let Some(id) = name.strip_prefix("alt.").and_then(|i| i.parse().ok()) {
                    input.alts.insert(id, p.text().trim().to_string());
                } else if let Some(id) = name.strip_prefix("remove.").and_then(|i| i.parse().ok()) {
                    input.removed.push(id);
                } else if let Some(n) = name
                    .strip_prefix("upload_alt.")
                    .and_then(|i| i.parse().ok())
                {
                    file_alts.insert(n, p.text().trim().to_string());
                } else if let Some(n) = name.strip_prefix("upload.").and_then(|i| i.parse().ok()) {
                    if p.filename.as_deref().is_some_and(|f| !f.is_empty()) && !p.data.is_empty() {
                        files.insert(n, p);
                    }
                }
            }
        }
    }
    for (n, part) in files {
        let alt = file_alts.remove(&n).unwrap_or_default();
        input.uploads.push((n, part, alt));
    }
    Ok(input)
}

/// The publishing time from the form, in the municipality's zone; `Err` with the reason shown.
fn publish_at(tr: Tr, input: &Input, tz: &TimeZone) -> Result<Option<Timestamp>, String> {
    if !input.when_at {
        return Ok(None);
    }
    let date: Date = input
        .date
        .parse()
        .map_err(|_| tr.t("posts.error_time").to_string())?;
    let time: Time = input
        .time
        .parse()
        .map_err(|_| tr.t("posts.error_time").to_string())?;
    let zoned = date
        .to_datetime(time)
        .to_zoned(tz.clone())
        .map_err(|_| tr.t("posts.error_time").to_string())?;
    let at = zoned.timestamp();
    if at.as_millisecond() <= now_ms() {
        return Err(tr.t("posts.error_time").to_string());
    }
    Ok(Some(at))
}

/// Everything the page shows besides the form values.
struct Shown {
    error: Option<String>,
    upload_errors: Vec<String>,
    time_error: Option<String>,
    /// Whether findings are shown (not on the first, empty form).
    checked: bool,
}

#[allow(clippy::too_many_arguments)]
async fn page(
    session: &StaffSession,
    chrome: Chrome,
    tenant: &Tenant,
    action: String,
    editing: bool,
    input: &Input,
    images: &[PostImage],
    networks_fixed: Option<&[String]>,
    shown: Shown,
) -> ComposePage {
    let tr = session.tr();
    let configured = &tenant.settings.publishing.channels;
    let chosen: Vec<ChannelTarget> = configured
        .iter()
        .filter(|c| match networks_fixed {
            Some(fixed) => fixed.contains(&c.name),
            None => input.channels.contains(&c.name),
        })
        .cloned()
        .collect();
    // The instance's own Mastodon limit, as saving and submitting check it.
    let limits = mastodon_limits(tenant, &chosen).await;
    let placed = preview::place(
        tr,
        &input.text,
        &input.language,
        &chosen,
        images,
        &input.variants,
        &limits,
    );
    let networks = configured
        .iter()
        .filter(|c| networks_fixed.is_none() || chosen.contains(c))
        .map(|c| NetworkField {
            name: c.name.clone(),
            label: preview::channel_label(c, tr.lang),
            checked: chosen.contains(c),
            variant: input.variants.get(&c.name).cloned().unwrap_or_default(),
            notes: if shown.checked {
                placed
                    .variants
                    .get(&c.name)
                    .map(|n| n.iter().map(copy_note).collect())
                    .unwrap_or_default()
            } else {
                Vec::new()
            },
        })
        .collect();
    let image_fields = images
        .iter()
        .enumerate()
        .map(|(i, img)| ImageField {
            id: img.id,
            n: i + 1,
            alt: img.alt.clone(),
            notes: if shown.checked {
                placed
                    .images
                    .get(&img.id)
                    .map(|n| n.iter().map(copy_note).collect())
                    .unwrap_or_default()
            } else {
                Vec::new()
            },
        })
        .collect();
    let free = if editing {
        0
    } else {
        MAX_IMAGES.saturating_sub(images.len())
    };
    let (blocking, warnings): (Vec<Note>, Vec<Note>) =
        placed.all.into_iter().partition(|n| n.blocking);
    let chosen_language = if input.language.is_empty() {
        "de"
    } else {
        input.language.as_str()
    };
    ComposePage {
        tr,
        chrome: Some(chrome),
        flash: None,
        error: shown.error,
        title: tr.t(if editing {
            "posts.edit_title"
        } else {
            "posts.new"
        }),
        action,
        editing,
        text: input.text.clone(),
        text_notes: if shown.checked {
            placed.text
        } else {
            Vec::new()
        },
        languages: LANGUAGES
            .iter()
            .map(|(code, label)| LanguageOption {
                code,
                label,
                selected: *code == chosen_language,
            })
            .collect(),
        networks,
        images: image_fields,
        upload_slots: (1..=free).collect(),
        upload_errors: shown.upload_errors,
        when_at: input.when_at,
        date: input.date.clone(),
        time: input.time.clone(),
        time_error: shown.time_error,
        timezone: tenant.settings.timezone.clone(),
        summary: preview::summary(tr, &placed.channels),
        channels: placed.channels,
        blocking: if shown.checked { blocking } else { Vec::new() },
        warnings: if shown.checked { warnings } else { Vec::new() },
    }
}

fn copy_note(n: &Note) -> Note {
    Note {
        blocking: n.blocking,
        text: n.text.clone(),
    }
}

fn not_configured(session: &StaffSession, chrome: Chrome) -> Response {
    view::forbidden(session.tr(), Some(chrome))
}

/// `GET /beitraege/neu`
pub async fn new_form(State(state): State<AppState>, session: StaffSession) -> Response {
    let chrome = session.chrome(&state, "/beitraege/neu").await;
    let registry = state.registry.current();
    let Some(t) = registry.tenant(session.info.municipality_id) else {
        return not_configured(&session, chrome);
    };
    let input = Input {
        language: "de".into(),
        channels: t
            .settings
            .publishing
            .channels
            .iter()
            .map(|c| c.name.clone())
            .collect(),
        ..Input::default()
    };
    let p = page(
        &session,
        chrome,
        t,
        "/beitraege/neu".into(),
        false,
        &input,
        &[],
        None,
        Shown {
            error: None,
            upload_errors: Vec::new(),
            time_error: None,
            checked: false,
        },
    )
    .await;
    view::render(StatusCode::OK, &p)
}

fn upload_error(tr: Tr, slot: usize, e: &dyn std::fmt::Display) -> String {
    match tr.lang {
        Lang::De => format!("Bild {slot}: {e}"),
        Lang::En => format!("Image {slot}: {e}"),
    }
}

/// Stores the form's new files (re-encoded like the API does) and returns the composition's images
/// in order: the ones kept from before, then the new ones.
async fn gather_images(
    state: &AppState,
    session: &StaffSession,
    input: &Input,
    upload_errors: &mut Vec<String>,
) -> Result<Vec<PostImage>, rathaus_store::StoreError> {
    let tr = session.tr();
    let m = session.info.municipality_id;
    let store = &state.store;
    let known = store.post_images_by_id(m, &input.image_ids).await?;
    let mut images: Vec<PostImage> = Vec::new();
    for id in &input.image_ids {
        if input.removed.contains(id) || images.iter().any(|i| i.id == *id) {
            continue;
        }
        let Some(img) = known.iter().find(|i| i.id == *id && i.post_id.is_none()) else {
            continue;
        };
        let mut img = img.clone();
        if let Some(alt) = input.alts.get(id).filter(|a| **a != img.alt) {
            if store.set_post_image_alt(m, *id, alt).await? {
                img.alt = alt.clone();
            }
        }
        images.push(img);
    }
    for (slot, part, alt) in &input.uploads {
        if images.len() >= MAX_IMAGES {
            upload_errors.push(tr.t("posts.error_too_many_images").to_string());
            break;
        }
        let ct = part.content_type.as_deref().unwrap_or("");
        let clean = match reencode(ct, &part.data) {
            Ok(c) => c,
            Err(e) => {
                upload_errors.push(upload_error(tr, *slot, &e));
                continue;
            }
        };
        let new = NewPostImage {
            municipality_id: m,
            uploaded_by: session.info.staff_id,
            mime: clean.mime,
            width: clean.width,
            height: clean.height,
            bytes: &clean.bytes,
            alt,
        };
        let id = store.insert_post_image(&new, now_ms()).await?;
        images.push(PostImage {
            id,
            post_id: None,
            position: 0,
            alt: alt.trim().to_string(),
            mime: clean.mime.to_string(),
            width: i64::from(clean.width),
            height: i64::from(clean.height),
            bytes_len: i64::try_from(clean.bytes.len()).unwrap_or(i64::MAX),
        });
    }
    Ok(images)
}

fn form_refused(session: &StaffSession, chrome: Chrome) -> Response {
    view::render(
        StatusCode::BAD_REQUEST,
        &view::MessagePage {
            tr: session.tr(),
            chrome: Some(chrome),
            flash: None,
            error: None,
            title: session.tr().t("error.internal_title"),
            text: session.tr().t("posts.error_form"),
        },
    )
}

/// `POST /beitraege/neu`: preview, save as draft, or save and submit.
pub async fn new_submit(
    State(state): State<AppState>,
    session: StaffSession,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let tr = session.tr();
    let chrome = session.chrome(&state, "/beitraege/neu").await;
    let registry = state.registry.current();
    let Some(t) = registry.tenant(session.info.municipality_id) else {
        return not_configured(&session, chrome);
    };
    let Ok(input) = read_input(&headers, &body) else {
        return form_refused(&session, chrome);
    };
    let mut upload_errors = Vec::new();
    let images = match gather_images(&state, &session, &input, &mut upload_errors).await {
        Ok(i) => i,
        Err(e) => return view::internal_error(tr, &e),
    };
    let tz = TimeZone::get(&t.settings.timezone).unwrap_or(TimeZone::UTC);
    let at = publish_at(tr, &input, &tz);
    let mut shown = Shown {
        error: None,
        upload_errors,
        time_error: at.as_ref().err().cloned(),
        checked: true,
    };
    let wants = input.action.as_str();
    if (wants == "save" || wants == "submit") && shown.upload_errors.is_empty() {
        if let Ok(publish_at) = at {
            let draft = Draft {
                text: input.text.clone(),
                language: input.language.clone(),
                channels: input
                    .channels
                    .iter()
                    .filter(|c| c.as_str() != WEBSITE_CHANNEL)
                    .cloned()
                    .collect(),
                media: images.iter().map(|i| i.id).collect(),
                variants: input.variants.clone(),
                publish_at,
            };
            let now = now_ms();
            let created =
                publishing::create(&state.store, t, session.info.staff_id, &draft, now).await;
            match created {
                Ok(id) => {
                    if wants == "submit" {
                        if let Err(e) =
                            publishing::submit(&state.store, t, id, session.info.staff_id, now)
                                .await
                        {
                            // Only a concurrent change gets here: the draft passed the same checks.
                            tracing::warn!(post = id, error = %e, "submitting a new draft failed");
                            return Redirect::to(&format!("/beitraege/{id}?msg=saved"))
                                .into_response();
                        }
                        return Redirect::to(&format!("/beitraege/{id}?msg=submitted"))
                            .into_response();
                    }
                    return Redirect::to(&format!("/beitraege/{id}?msg=saved")).into_response();
                }
                Err(e) => shown.error = refusal(tr, &e),
            }
        }
    }
    let refused = wants != "preview" && !wants.is_empty();
    let status = if refused {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let p = page(
        &session,
        chrome,
        t,
        "/beitraege/neu".into(),
        false,
        &input,
        &images,
        None,
        shown,
    )
    .await;
    view::render(status, &p)
}

/// A draft of this municipality with its images and network channels; `Err` is the page to show.
async fn load_draft(
    state: &AppState,
    session: &StaffSession,
    id: i64,
    path: &str,
) -> Result<(rathaus_store::PostRecord, Vec<PostImage>, Vec<String>), Response> {
    let tr = session.tr();
    let m = session.info.municipality_id;
    let post = match state.store.post(m, id).await {
        Ok(Some(p)) => p,
        Ok(None) => return Err(view::not_found(tr, Some(session.chrome(state, path).await))),
        Err(e) => return Err(view::internal_error(tr, &e)),
    };
    if post.status != "draft" {
        return Err(Redirect::to(&format!("/beitraege/{id}?msg=not_draft")).into_response());
    }
    let images = state
        .store
        .post_images(id)
        .await
        .map_err(|e| view::internal_error(tr, &e))?;
    let channels = state
        .store
        .publications(id)
        .await
        .map_err(|e| view::internal_error(tr, &e))?
        .into_iter()
        .map(|p| p.channel)
        .filter(|c| c != WEBSITE_CHANNEL)
        .collect();
    Ok((post, images, channels))
}

/// `GET /beitraege/{id}/bearbeiten`
pub async fn edit_form(
    State(state): State<AppState>,
    session: StaffSession,
    Path(id): Path<i64>,
) -> Response {
    let path = format!("/beitraege/{id}/bearbeiten");
    let chrome = session.chrome(&state, &path).await;
    let registry = state.registry.current();
    let Some(t) = registry.tenant(session.info.municipality_id) else {
        return not_configured(&session, chrome);
    };
    let (post, images, channels) = match load_draft(&state, &session, id, &path).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let tz = TimeZone::get(&t.settings.timezone).unwrap_or(TimeZone::UTC);
    let local = post
        .publish_at
        .and_then(|ms| Timestamp::from_millisecond(ms).ok())
        .map(|ts| ts.to_zoned(tz));
    let input = Input {
        text: post.text.clone(),
        language: post.language.clone(),
        variants: post.variants.clone(),
        when_at: local.is_some(),
        date: local
            .as_ref()
            .map(|z| z.strftime("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        time: local
            .as_ref()
            .map(|z| z.strftime("%H:%M").to_string())
            .unwrap_or_default(),
        ..Input::default()
    };
    let p = page(
        &session,
        chrome,
        t,
        path,
        true,
        &input,
        &images,
        Some(&channels),
        Shown {
            error: None,
            upload_errors: Vec::new(),
            time_error: None,
            checked: true,
        },
    )
    .await;
    view::render(StatusCode::OK, &p)
}

/// `POST /beitraege/{id}/bearbeiten`: preview, save, or save and submit a draft (text, language,
/// variants, time and the images' alt texts; channels and images stay as composed).
pub async fn edit_submit(
    State(state): State<AppState>,
    session: StaffSession,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let tr = session.tr();
    let path = format!("/beitraege/{id}/bearbeiten");
    let chrome = session.chrome(&state, &path).await;
    let registry = state.registry.current();
    let Some(t) = registry.tenant(session.info.municipality_id) else {
        return not_configured(&session, chrome);
    };
    let Ok(input) = read_input(&headers, &body) else {
        return form_refused(&session, chrome);
    };
    let (_, mut images, channels) = match load_draft(&state, &session, id, &path).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let m = session.info.municipality_id;
    for img in &mut images {
        if let Some(alt) = input.alts.get(&img.id).filter(|a| **a != img.alt) {
            match state.store.set_post_image_alt(m, img.id, alt).await {
                Ok(true) => img.alt = alt.clone(),
                Ok(false) => {}
                Err(e) => return view::internal_error(tr, &e),
            }
        }
    }
    let tz = TimeZone::get(&t.settings.timezone).unwrap_or(TimeZone::UTC);
    let at = publish_at(tr, &input, &tz);
    let mut shown = Shown {
        error: None,
        upload_errors: Vec::new(),
        time_error: at.as_ref().err().cloned(),
        checked: true,
    };
    let wants = input.action.as_str();
    if wants == "save" || wants == "submit" {
        if let Ok(publish_at) = at {
            let edit = DraftEdit {
                text: &input.text,
                language: input.language.trim(),
                variants: &input.variants,
                publish_at: publish_at.map(|t| t.as_millisecond()),
            };
            let now = now_ms();
            match state
                .store
                .edit_draft(m, id, session.info.staff_id, &edit, now)
                .await
            {
                Ok(true) => {}
                Ok(false) => {
                    return Redirect::to(&format!("/beitraege/{id}?msg=not_draft")).into_response()
                }
                Err(e) => return view::internal_error(tr, &e),
            }
            if wants == "save" {
                return Redirect::to(&format!("/beitraege/{id}?msg=saved")).into_response();
            }
            match publishing::submit(&state.store, t, id, session.info.staff_id, now).await {
                Ok(()) => {
                    return Redirect::to(&format!("/beitraege/{id}?msg=submitted")).into_response()
                }
                Err(e) => shown.error = refusal(tr, &e),
            }
        }
    }
    let refused = wants != "preview" && !wants.is_empty();
    let status = if refused {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let p = page(
        &session,
        chrome,
        t,
        path,
        true,
        &input,
        &images,
        Some(&channels),
        shown,
    )
    .await;
    view::render(status, &p)
}
