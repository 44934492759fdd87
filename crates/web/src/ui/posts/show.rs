//! The post list, one post with its per-channel results and history, the workflow buttons (submit, approve/schedule, reject) and the composer's image view.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use rathaus_domain::publishing::PublishKind;
use rathaus_hub::publishing::{self, PublishError};
use rathaus_store::{now_ms, publication_status as st, PostRecord, StaffMember, WEBSITE_CHANNEL};
use serde::Deserialize;

use super::{refusal, status_label};
use crate::ui::auth::StaffSession;
use crate::ui::i18n::{Lang, Tr};
use crate::ui::view::{self, Chrome};
use crate::AppState;

/// Posts the list shows.
const LIST_LIMIT: i64 = 200;

pub struct ListRow {
    pub id: i64,
    pub title: String,
    pub status: String,
    pub status_class: String,
    pub changed: String,
}

#[derive(Template)]
#[template(path = "posts_list.html")]
struct ListPage {
    tr: Tr,
    chrome: Option<Chrome>,
    flash: Option<String>,
    error: Option<String>,
    rows: Vec<ListRow>,
}

/// The first line of a post, cut at 80 characters.
fn title(p: &PostRecord) -> String {
    let first = p
        .text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("–");
    if first.chars().count() <= 80 {
        first.to_string()
    } else {
        format!("{}…", first.chars().take(79).collect::<String>())
    }
}

/// `GET /beitraege`
pub async fn list(State(state): State<AppState>, session: StaffSession) -> Response {
    let tr = session.tr();
    let m = session.info.municipality_id;
    let (_, tz) = view::municipality(&state, m).await;
    let posts = match state.store.staff_posts(m, LIST_LIMIT).await {
        Ok(p) => p,
        Err(e) => return view::internal_error(tr, &e),
    };
    let rows = posts
        .iter()
        .map(|p| ListRow {
            id: p.id,
            title: title(p),
            status: status_label(tr, &p.status),
            status_class: p.status.clone(),
            changed: view::local_time(p.updated_at, &tz, tr.lang),
        })
        .collect();
    let page = ListPage {
        tr,
        chrome: Some(session.chrome(&state, "/beitraege").await),
        flash: None,
        error: None,
        rows,
    };
    view::render(StatusCode::OK, &page)
}

pub struct ImageView {
    pub id: i64,
    pub alt: String,
    pub width: i64,
    pub height: i64,
}

pub struct ResultRow {
    /// The channel's configured name (URL-safe, checked at configuration).
    pub channel: String,
    pub label: String,
    pub status: String,
    pub status_class: String,
    pub url: Option<String>,
    pub error: Option<String>,
    /// After publishing: edited, deleted, or why that was not possible there.
    pub note: Option<String>,
    /// Failed: "try again" is offered.
    pub can_retry: bool,
    /// Unclear: "did not appear – send again" is offered, after confirming.
    pub can_resend: bool,
}

pub struct HistoryRow {
    pub who: String,
    pub when: String,
    pub when_iso: String,
    pub what: String,
    pub comment: Option<String>,
}

pub struct VariantView {
    pub label: String,
    pub text: String,
}

#[derive(Template)]
#[template(path = "posts_show.html")]
struct PostPage {
    tr: Tr,
    chrome: Option<Chrome>,
    flash: Option<String>,
    error: Option<String>,
    id: i64,
    status: String,
    status_class: String,
    author: String,
    text: String,
    language: String,
    variants: Vec<VariantView>,
    images: Vec<ImageView>,
    publish_at: Option<String>,
    published_at: Option<String>,
    review_comment: Option<String>,
    results: Vec<ResultRow>,
    history: Vec<HistoryRow>,
    can_edit: bool,
    can_submit: bool,
    can_approve: bool,
    can_schedule: bool,
    can_reject: bool,
    four_eyes_own: bool,
    reject_comment: String,
}

#[derive(Deserialize)]
pub struct ShowQuery {
    msg: Option<String>,
}

fn flash(tr: Tr, code: Option<&str>) -> Option<String> {
    let key = match code? {
        "saved" => "posts.flash_saved",
        "submitted" => "posts.flash_submitted",
        "approved" => "posts.flash_approved",
        "rejected" => "posts.flash_rejected",
        "not_draft" => "posts.error_not_draft",
        "retried" => "posts.flash_retried",
        _ => return None,
    };
    Some(tr.t(key).to_string())
}

fn staff_name(staff: &[StaffMember], id: Option<i64>, tr: Tr) -> String {
    match id {
        Some(id) => staff
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.display_name.clone())
            .unwrap_or_else(|| format!("#{id}")),
        None => tr.t("posts.system").to_string(),
    }
}

fn action_key(action: &str) -> &'static str {
    match action {
        "edit" => "posts.action_edit",
        "submit" => "posts.action_submit",
        "approve" => "posts.action_approve",
        "reject" => "posts.action_reject",
        "schedule" => "posts.action_schedule",
        "unschedule" => "posts.action_unschedule",
        "start_publishing" => "posts.action_publish",
        "finish_publishing" => "posts.action_finish",
        "retry" => "posts.action_retry",
        _ => "posts.action_create",
    }
}

fn result_key(status: &str) -> &'static str {
    match status {
        "published" => "posts.result_published",
        "failed" => "posts.result_failed",
        "sending" => "posts.result_sending",
        "unknown" => "posts.result_unknown",
        "deleted" => "posts.result_deleted",
        _ => "posts.result_pending",
    }
}

fn channel_label(tr: Tr, name: &str, kind: &str) -> String {
    if name == WEBSITE_CHANNEL {
        return tr.t("posts.website_always").to_string();
    }
    match PublishKind::parse(kind) {
        Some(k) => {
            let label = match tr.lang {
                Lang::De => k.label_de(),
                Lang::En => k.label_en(),
            };
            if name.eq_ignore_ascii_case(k.as_str()) {
                label.to_string()
            } else {
                format!("{label} „{name}“")
            }
        }
        None => name.to_string(),
    }
}

/// Only web links are shown as links (a platform answer is outside input).
fn web_link(url: Option<String>) -> Option<String> {
    url.filter(|u| u.starts_with("https://") || u.starts_with("http://"))
}

pub(super) async fn render_post(
    state: &AppState,
    session: &StaffSession,
    id: i64,
    status: StatusCode,
    flash: Option<String>,
    error: Option<String>,
    reject_comment: String,
) -> Response {
    let tr = session.tr();
    let m = session.info.municipality_id;
    let path = format!("/beitraege/{id}");
    let store = &state.store;
    let post = match store.post(m, id).await {
        Ok(Some(p)) => p,
        Ok(None) => return view::not_found(tr, Some(session.chrome(state, &path).await)),
        Err(e) => return view::internal_error(tr, &e),
    };
    let loaded = async {
        Ok::<_, rathaus_store::StoreError>((
            store.post_images(id).await?,
            store.publication_states(id).await?,
            store.post_transitions(id).await?,
            store.staff_of_municipality(m).await?,
        ))
    }
    .await;
    let (images, publications, transitions, staff) = match loaded {
        Ok(l) => l,
        Err(e) => return view::internal_error(tr, &e),
    };
    let (_, tz) = view::municipality(state, m).await;
    let four_eyes = state
        .registry
        .current()
        .tenant(m)
        .map(|t| t.settings.publishing.four_eyes)
        .unwrap_or(true);
    let me = session.info.staff_id;
    let own = post.author_id == me;
    let mut history = vec![HistoryRow {
        who: staff_name(&staff, Some(post.author_id), tr),
        when: view::local_time(post.created_at, &tz, tr.lang),
        when_iso: view::rfc3339(post.created_at),
        what: tr.t("posts.action_create").to_string(),
        comment: None,
    }];
    history.extend(transitions.into_iter().map(|t| HistoryRow {
        who: staff_name(&staff, t.actor_id, tr),
        when: view::local_time(t.at, &tz, tr.lang),
        when_iso: view::rfc3339(t.at),
        what: tr.t(action_key(&t.action)).to_string(),
        comment: t.comment,
    }));
    let reopenable = super::retry::reopenable(&post.status, &publications);
    let kinds: Vec<(String, String)> = publications
        .iter()
        .map(|p| (p.channel.clone(), p.kind.clone()))
        .collect();
    let page = PostPage {
        tr,
        chrome: Some(session.chrome(state, &path).await),
        flash,
        error,
        id,
        status: status_label(tr, &post.status),
        status_class: post.status.clone(),
        author: staff_name(&staff, Some(post.author_id), tr),
        language: post.language.clone(),
        variants: post
            .variants
            .iter()
            .map(|(name, text)| VariantView {
                label: kinds
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(n, k)| channel_label(tr, n, k))
                    .unwrap_or_else(|| name.clone()),
                text: text.clone(),
            })
            .collect(),
        images: images
            .into_iter()
            .map(|i| ImageView {
                id: i.id,
                alt: i.alt,
                width: i.width,
                height: i.height,
            })
            .collect(),
        publish_at: post.publish_at.map(|t| view::local_time(t, &tz, tr.lang)),
        published_at: post.published_at.map(|t| view::local_time(t, &tz, tr.lang)),
        review_comment: post
            .review_comment
            .clone()
            .filter(|_| post.status == "draft"),
        results: publications
            .into_iter()
            .map(|p| ResultRow {
                can_retry: reopenable && p.status == st::FAILED && p.channel != WEBSITE_CHANNEL,
                can_resend: reopenable && p.status == st::UNKNOWN && p.channel != WEBSITE_CHANNEL,
                channel: p.channel.clone(),
                label: channel_label(tr, &p.channel, &p.kind),
                status: tr.t(result_key(&p.status)).to_string(),
                status_class: p.status.clone(),
                url: web_link(p.url),
                error: p.error,
                note: p.note,
            })
            .collect(),
        history,
        can_edit: post.status == "draft",
        can_submit: post.status == "draft",
        can_approve: post.status == "submitted",
        can_schedule: post.status == "approved",
        can_reject: post.status == "submitted",
        four_eyes_own: four_eyes && own && post.status == "submitted",
        reject_comment,
        text: post.text,
    };
    view::render(status, &page)
}

/// `GET /beitraege/{id}`
pub async fn page(
    State(state): State<AppState>,
    session: StaffSession,
    Path(id): Path<i64>,
    Query(q): Query<ShowQuery>,
) -> Response {
    let f = flash(session.tr(), q.msg.as_deref());
    render_post(&state, &session, id, StatusCode::OK, f, None, String::new()).await
}

/// After a workflow step: back to the post with a message, or the post with the refusal.
async fn outcome(
    state: &AppState,
    session: &StaffSession,
    id: i64,
    result: Result<(), PublishError>,
    done: &str,
    reject_comment: String,
) -> Response {
    match result {
        Ok(()) => Redirect::to(&format!("/beitraege/{id}?msg={done}")).into_response(),
        Err(PublishError::PostNotFound) => {
            let path = format!("/beitraege/{id}");
            view::not_found(session.tr(), Some(session.chrome(state, &path).await))
        }
        Err(e) => {
            let status = match &e {
                PublishError::Workflow(
                    rathaus_domain::publishing::WorkflowError::FourEyesSamePerson,
                ) => StatusCode::FORBIDDEN,
                PublishError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
                PublishError::Changed => StatusCode::CONFLICT,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            let message = match &e {
                PublishError::Findings(found) => Some(
                    found
                        .iter()
                        .filter(|f| f.is_blocking())
                        .map(|f| match session.tr().lang {
                            Lang::De => f.message_de.clone(),
                            Lang::En => f.message_en.clone(),
                        })
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
                other => refusal(session.tr(), other),
            };
            render_post(state, session, id, status, None, message, reject_comment).await
        }
    }
}

fn no_tenant(session: &StaffSession) -> Response {
    view::internal_error(
        session.tr(),
        &"the session's municipality is not configured",
    )
}

/// `POST /beitraege/{id}/einreichen`
pub async fn submit(
    State(state): State<AppState>,
    session: StaffSession,
    Path(id): Path<i64>,
) -> Response {
    let registry = state.registry.current();
    let Some(t) = registry.tenant(session.info.municipality_id) else {
        return no_tenant(&session);
    };
    let r = publishing::submit(&state.store, t, id, session.info.staff_id, now_ms()).await;
    outcome(&state, &session, id, r, "submitted", String::new()).await
}

/// `POST /beitraege/{id}/freigeben` and `/planen`: approve (not the author, under four-eyes) and
/// schedule at the post's time or now; a post that is due goes out at once.
pub async fn approve(
    State(state): State<AppState>,
    session: StaffSession,
    Path(id): Path<i64>,
) -> Response {
    let registry = state.registry.current();
    let Some(t) = registry.tenant(session.info.municipality_id) else {
        return no_tenant(&session);
    };
    let r = publishing::approve(
        &state.store,
        &registry,
        t,
        id,
        session.info.staff_id,
        now_ms(),
    )
    .await;
    outcome(&state, &session, id, r, "approved", String::new()).await
}

#[derive(Deserialize)]
pub struct RejectForm {
    #[serde(default)]
    comment: String,
}

/// `POST /beitraege/{id}/ablehnen`: back to draft with a comment.
pub async fn reject(
    State(state): State<AppState>,
    session: StaffSession,
    Path(id): Path<i64>,
    Form(form): Form<RejectForm>,
) -> Response {
    let registry = state.registry.current();
    let Some(t) = registry.tenant(session.info.municipality_id) else {
        return no_tenant(&session);
    };
    let comment = form.comment.trim().to_string();
    let r = publishing::reject(
        &state.store,
        t,
        id,
        session.info.staff_id,
        &comment,
        now_ms(),
    )
    .await;
    outcome(&state, &session, id, r, "rejected", comment).await
}

/// `GET /beitraege/bilder/{id}`: an image of this municipality in any state, for the composer.
pub async fn image(
    State(state): State<AppState>,
    session: StaffSession,
    Path(id): Path<i64>,
) -> Response {
    match state
        .store
        .staff_post_image(session.info.municipality_id, id)
        .await
    {
        Ok(Some((mime, bytes))) => {
            let mut res = bytes.into_response();
            let h = res.headers_mut();
            // Only the two types the re-encoder writes; anything else is served as bytes.
            let ct = match mime.as_str() {
                "image/png" => "image/png",
                "image/jpeg" => "image/jpeg",
                _ => "application/octet-stream",
            };
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            );
            res
        }
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => view::internal_error(session.tr(), &e),
    }
}
