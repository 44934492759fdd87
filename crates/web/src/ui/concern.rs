//! One concern: its thread, and the forms to reply, note, assign and change status; media downloads.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use rathaus_domain::{ConcernStatus, DeliveryStatus, Direction};
use rathaus_store::{now_ms, ConcernDetail, MediaInfo, MessageView, StoreError};
use serde::Deserialize;

use super::audit;
use super::auth::StaffSession;
use super::i18n::Tr;
use super::view::{self, Chrome};
use crate::AppState;

pub struct MediaView {
    pub href: Option<String>,
    pub label: String,
    pub problem: Option<String>,
}

pub struct MsgView {
    pub class: &'static str,
    pub who: String,
    pub kind: Option<&'static str>,
    pub text: Option<String>,
    pub time: String,
    pub time_iso: String,
    pub delivery: Option<&'static str>,
    pub delivery_class: &'static str,
    pub delivery_error: Option<String>,
    pub media: Option<MediaView>,
}

pub struct StaffOption {
    pub id: i64,
    pub name: String,
    pub selected: bool,
}

pub struct StatusAction {
    pub value: &'static str,
    pub label: &'static str,
}

#[derive(Template)]
#[template(path = "concern.html")]
struct ConcernPage {
    tr: Tr,
    chrome: Option<Chrome>,
    flash: Option<String>,
    error: Option<String>,
    id: i64,
    pseudonym: String,
    channel: String,
    status: &'static str,
    status_class: &'static str,
    assignee: String,
    window_until: Option<String>,
    blocked: Option<&'static str>,
    messages: Vec<MsgView>,
    can_answer: bool,
    nobody_selected: bool,
    staff: Vec<StaffOption>,
    /// The concern's team, if any, and the teams it can be moved to.
    team: Option<String>,
    teams: Vec<StaffOption>,
    status_actions: Vec<StatusAction>,
    reply_text: String,
    note_text: String,
    /// "wird gelöscht am …" for resolved concerns.
    deleted_on: Option<String>,
    /// Link to the privacy center's page of this citizen (data-protection officers only).
    privacy_href: Option<String>,
}

#[derive(Deserialize)]
pub struct ShowQuery {
    msg: Option<String>,
}

fn human_size(bytes: Option<i64>) -> String {
    match bytes {
        Some(b) if b >= 1024 * 1024 => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
        Some(b) if b >= 1024 => format!("{} KB", b / 1024),
        Some(b) => format!("{b} B"),
        None => String::new(),
    }
}

fn media_view(tr: Tr, concern_id: i64, m: &MediaInfo) -> MediaView {
    match m.state.as_str() {
        "stored" => {
            let mut details: Vec<String> = Vec::new();
            if let Some(t) = &m.mime_type {
                details.push(t.clone());
            }
            let size = human_size(m.byte_size);
            if !size.is_empty() {
                details.push(size);
            }
            let label = if details.is_empty() {
                tr.t(audit::MEDIA_DOWNLOAD).to_string()
            } else {
                format!("{} ({})", tr.t(audit::MEDIA_DOWNLOAD), details.join(", "))
            };
            MediaView {
                href: Some(format!("/concerns/{concern_id}/media/{}", m.id)),
                label,
                problem: None,
            }
        }
        "failed" => MediaView {
            href: None,
            label: tr.t("media.failed").to_string(),
            problem: m.error.clone(),
        },
        _ => MediaView {
            href: None,
            label: tr.t("media.pending").to_string(),
            problem: None,
        },
    }
}

fn message_view(tr: Tr, concern_id: i64, tz: &str, m: &MessageView) -> MsgView {
    let (class, who) = match m.direction {
        Direction::Inbound => ("inbound", tr.t("msg.citizen").to_string()),
        Direction::Outbound => (
            "outbound",
            m.author_name
                .clone()
                .unwrap_or_else(|| tr.t("msg.town_hall").to_string()),
        ),
        Direction::Internal => (
            "internal",
            match &m.author_name {
                Some(a) => format!("{} · {a}", tr.t("msg.internal_note")),
                None => tr.t("msg.internal_note").to_string(),
            },
        ),
    };
    let delivery = m
        .delivery_status
        .filter(|_| m.direction == Direction::Outbound);
    MsgView {
        class,
        who,
        kind: view::kind_key(m.kind).map(|k| tr.t(k)),
        text: m.text.clone(),
        time: view::local_time(m.created_at, tz, tr.lang),
        time_iso: view::rfc3339(m.created_at),
        delivery: delivery.map(|d| tr.t(view::delivery_key(d))),
        delivery_class: delivery.map(|d| d.as_str()).unwrap_or(""),
        delivery_error: m
            .delivery_error
            .clone()
            .filter(|_| delivery != Some(DeliveryStatus::Sent)),
        media: m.media.as_ref().map(|md| media_view(tr, concern_id, md)),
    }
}

/// What a form submission left behind when it is shown again with an error.
#[derive(Default)]
struct Retry {
    error: Option<String>,
    reply_text: String,
    note_text: String,
}

async fn page(
    state: &AppState,
    session: &StaffSession,
    detail: ConcernDetail,
    flash: Option<String>,
    retry: Retry,
) -> Result<ConcernPage, StoreError> {
    let tr = session.tr();
    let mid = session.info.municipality_id;
    let (municipality, tz) = view::municipality(state, mid).await;
    let s = &detail.summary;
    let now = now_ms();
    let staff = if session.can_answer() {
        state.store.staff_of_municipality(mid).await?
    } else {
        Vec::new()
    };
    let teams = if session.can_answer() {
        state.store.teams(mid).await?
    } else {
        Vec::new()
    };
    let status_actions = [
        (ConcernStatus::Resolved, "action.resolve"),
        (ConcernStatus::Open, "action.reopen"),
        (ConcernStatus::Pending, "action.pending"),
    ]
    .into_iter()
    .filter(|(st, _)| *st != s.status)
    .map(|(st, key)| StatusAction {
        value: st.as_str(),
        label: tr.t(key),
    })
    .collect();
    Ok(ConcernPage {
        tr,
        chrome: Some(
            Chrome::new(
                &session.info,
                municipality,
                tr,
                &format!("/concerns/{}", s.id),
            )
            .with_switch(state, &session.info, tr)
            .await,
        ),
        flash,
        error: retry.error,
        id: s.id,
        pseudonym: s.pseudonym.clone(),
        channel: format!("{} · {}", s.channel_kind.label(), s.channel_name),
        status: tr.t(view::status_key(s.status)),
        status_class: s.status.as_str(),
        assignee: s
            .assignee_name
            .clone()
            .unwrap_or_else(|| tr.t("concern.nobody").to_string()),
        window_until: detail
            .reply_window_until
            .map(|t| view::local_time(t, &tz, tr.lang)),
        blocked: detail
            .reply_blocked(now)
            .map(|r| tr.t(view::refused_key(r))),
        messages: detail
            .messages
            .iter()
            .map(|m| message_view(tr, s.id, &tz, m))
            .collect(),
        can_answer: session.can_answer(),
        nobody_selected: s.assignee_id.is_none(),
        staff: staff
            .into_iter()
            .map(|m| StaffOption {
                selected: Some(m.id) == s.assignee_id,
                id: m.id,
                name: m.display_name,
            })
            .collect(),
        team: s.team_name.clone(),
        teams: teams
            .into_iter()
            .map(|t| StaffOption {
                selected: Some(t.id) == s.team_id,
                id: t.id,
                name: t.name,
            })
            .collect(),
        status_actions,
        reply_text: retry.reply_text,
        note_text: retry.note_text,
        deleted_on: super::privacy::ops::deletion_date(state, mid, s.resolved_at, &tz, tr.lang)
            .filter(|_| s.status == ConcernStatus::Resolved),
        privacy_href: session
            .info
            .role
            .is_privacy_officer()
            .then(|| format!("/privacy/citizens/{}", s.citizen_id)),
    })
}

async fn load(
    state: &AppState,
    session: &StaffSession,
    id: i64,
) -> Result<ConcernDetail, Response> {
    match state
        .store
        .concern_detail(session.info.municipality_id, id)
        .await
    {
        Ok(Some(d)) => Ok(d),
        Ok(None) => Err(view::not_found(
            session.tr(),
            Some(session.chrome(state, "/inbox").await),
        )),
        Err(e) => Err(view::internal_error(session.tr(), &e)),
    }
}

async fn render_page(
    state: &AppState,
    session: &StaffSession,
    detail: ConcernDetail,
    status: StatusCode,
    flash: Option<String>,
    retry: Retry,
) -> Response {
    match page(state, session, detail, flash, retry).await {
        Ok(p) => view::render(status, &p),
        Err(e) => view::internal_error(session.tr(), &e),
    }
}

pub async fn show(
    State(state): State<AppState>,
    session: StaffSession,
    Path(id): Path<i64>,
    Query(q): Query<ShowQuery>,
) -> Response {
    let detail = match load(&state, &session, id).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    if !session.can_read() {
        return view::forbidden(session.tr(), Some(session.chrome(&state, "/inbox").await));
    }
    // Recorded before anything is shown: no read of a thread goes unlogged.
    if let Err(e) = audit::record(
        &state.store,
        &session.actor(),
        audit::CONCERN_READ,
        format!("concern:{id}"),
        None,
    )
    .await
    {
        return view::internal_error(session.tr(), &e);
    }
    let flash = view::flash(session.tr(), q.msg.as_deref());
    render_page(
        &state,
        &session,
        detail,
        StatusCode::OK,
        flash,
        Retry::default(),
    )
    .await
}

/// The concern for a state-changing form: 404 for another town's id, 403 for read-only roles.
async fn for_change(
    state: &AppState,
    session: &StaffSession,
    id: i64,
) -> Result<ConcernDetail, Response> {
    let detail = load(state, session, id).await?;
    if !session.can_answer() {
        return Err(view::forbidden(
            session.tr(),
            Some(session.chrome(state, &format!("/concerns/{id}")).await),
        ));
    }
    Ok(detail)
}

fn done(id: i64, code: &str) -> Response {
    Redirect::to(&format!("/concerns/{id}?msg={code}")).into_response()
}

#[derive(Deserialize)]
pub struct TextForm {
    #[serde(default)]
    text: String,
}

pub async fn reply(
    State(state): State<AppState>,
    session: StaffSession,
    Path(id): Path<i64>,
    Form(form): Form<TextForm>,
) -> Response {
    let detail = match for_change(&state, &session, id).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let i = &session.info;
    match state
        .store
        .queue_reply(i.municipality_id, id, i.staff_id, &form.text, now_ms())
        .await
    {
        Ok(Ok(message_id)) => {
            if let Some(w) = &state.worker {
                w.wake();
            }
            audit::record_change(
                &state.store,
                &session.actor(),
                audit::CONCERN_REPLY,
                format!("concern:{id}"),
                Some(format!("message:{message_id}")),
            )
            .await;
            done(id, "sent")
        }
        Ok(Err(refused)) => {
            let retry = Retry {
                error: Some(session.tr().t(view::refused_key(refused)).to_string()),
                reply_text: form.text,
                note_text: String::new(),
            };
            render_page(
                &state,
                &session,
                detail,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                retry,
            )
            .await
        }
        Err(e) => view::internal_error(session.tr(), &e),
    }
}

pub async fn note(
    State(state): State<AppState>,
    session: StaffSession,
    Path(id): Path<i64>,
    Form(form): Form<TextForm>,
) -> Response {
    let detail = match for_change(&state, &session, id).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    if form.text.trim().is_empty() {
        let retry = Retry {
            error: Some(session.tr().t("note.empty").to_string()),
            ..Retry::default()
        };
        return render_page(
            &state,
            &session,
            detail,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            retry,
        )
        .await;
    }
    let i = &session.info;
    match state
        .store
        .add_note(i.municipality_id, id, i.staff_id, &form.text, now_ms())
        .await
    {
        Ok(message_id) => {
            audit::record_change(
                &state.store,
                &session.actor(),
                audit::CONCERN_NOTE,
                format!("concern:{id}"),
                Some(format!("message:{message_id}")),
            )
            .await;
            done(id, "noted")
        }
        Err(e) => view::internal_error(session.tr(), &e),
    }
}

#[derive(Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    staff_id: String,
}

pub async fn assign(
    State(state): State<AppState>,
    session: StaffSession,
    Path(id): Path<i64>,
    Form(form): Form<AssignForm>,
) -> Response {
    let detail = match for_change(&state, &session, id).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let assignee = match form.staff_id.trim() {
        "" => None,
        s => s.parse::<i64>().ok(),
    };
    let invalid = !form.staff_id.trim().is_empty() && assignee.is_none();
    let result = if invalid {
        Err(StoreError::Invalid(String::new()))
    } else {
        state
            .store
            .assign_concern(session.info.municipality_id, id, assignee)
            .await
    };
    match result {
        Ok(()) => {
            let to = assignee.map_or("none".to_string(), |a| format!("staff:{a}"));
            audit::record_change(
                &state.store,
                &session.actor(),
                audit::CONCERN_ASSIGN,
                format!("concern:{id}"),
                Some(to),
            )
            .await;
            done(id, "assigned")
        }
        Err(StoreError::Invalid(_)) => {
            let retry = Retry {
                error: Some(session.tr().t("assign.invalid").to_string()),
                ..Retry::default()
            };
            render_page(
                &state,
                &session,
                detail,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                retry,
            )
            .await
        }
        Err(e) => view::internal_error(session.tr(), &e),
    }
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    status: String,
}

pub async fn status(
    State(state): State<AppState>,
    session: StaffSession,
    Path(id): Path<i64>,
    Form(form): Form<StatusForm>,
) -> Response {
    let detail = match for_change(&state, &session, id).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let Some(new_status) = ConcernStatus::parse(&form.status) else {
        let retry = Retry {
            error: Some(session.tr().t("status.invalid").to_string()),
            ..Retry::default()
        };
        return render_page(
            &state,
            &session,
            detail,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            retry,
        )
        .await;
    };
    match state
        .store
        .set_concern_status(session.info.municipality_id, id, new_status, now_ms())
        .await
    {
        Ok(()) => {
            audit::record_change(
                &state.store,
                &session.actor(),
                audit::CONCERN_STATUS,
                format!("concern:{id}"),
                Some(new_status.as_str().to_string()),
            )
            .await;
            done(id, "status")
        }
        Err(e) => view::internal_error(session.tr(), &e),
    }
}
