//! The host's live view of a consultation hour: the queue in order of arrival, "next", the slot's handled count, or the next slot.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::Timestamp;
use rathaus_domain::schedule::german::format_slot;
use rathaus_hub::consultation::{live_slots, LiveSlot};
use rathaus_hub::Tenant;
use rathaus_store::now_ms;
use serde::Deserialize;

use super::auth::StaffSession;
use super::i18n::Tr;
use super::promise::waiting_words;
use super::view::{self, Chrome};
use crate::security::team_scope::retain_open;
use crate::AppState;

/// Seconds between reloads when the host turned automatic refresh on without JavaScript.
pub const AUTO_REFRESH_S: u32 = 30;

#[derive(Deserialize)]
pub struct LiveQuery {
    /// "1": reload the page by itself (meta refresh), chosen by the host.
    auto: Option<String>,
    msg: Option<String>,
}

pub struct QueueRow {
    pub href: String,
    pub pseudonym: String,
    pub channel: String,
    pub waiting: String,
    pub since_local: String,
    pub since_iso: String,
}

pub struct SlotView {
    pub index: usize,
    pub name: String,
    pub label: String,
    pub host: Option<String>,
    pub handled: i64,
    pub queue: Vec<QueueRow>,
}

pub struct NextView {
    pub name: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "live.html")]
struct LivePage {
    tr: Tr,
    chrome: Option<Chrome>,
    flash: Option<String>,
    error: Option<String>,
    configured: bool,
    slots: Vec<SlotView>,
    next: Vec<NextView>,
    auto: bool,
    refresh_s: u32,
    updated: String,
}

fn channel_label(tenant: &Tenant, id: i64) -> String {
    tenant
        .channel(id)
        .map(|c| format!("{} · {}", c.row.kind.label(), c.row.name))
        .unwrap_or_default()
}

fn slot_view(tenant: &Tenant, tr: Tr, index: usize, s: LiveSlot, now: i64) -> SlotView {
    let tz = &tenant.row.timezone;
    SlotView {
        index,
        name: s.name,
        label: s.label,
        host: s.host,
        handled: s.handled,
        queue: s
            .queue
            .into_iter()
            .map(|q| QueueRow {
                href: format!("/concerns/{}", q.concern_id),
                pseudonym: q.pseudonym,
                channel: channel_label(tenant, q.channel_id),
                waiting: waiting_words(now - q.waiting_since, tr.lang),
                since_local: view::local_time(q.waiting_since, tz, tr.lang),
                since_iso: view::rfc3339(q.waiting_since),
            })
            .collect(),
    }
}

/// The next slot of every consultation hour, earliest first (German wording, as citizens get it).
fn next_slots(tenant: &Tenant, now: i64) -> Vec<NextView> {
    let Ok(at) = Timestamp::from_millisecond(now) else {
        return Vec::new();
    };
    let mut next: Vec<(Timestamp, NextView)> = tenant
        .schedule
        .consultation
        .iter()
        .filter_map(|c| {
            c.hour.next_slot(at).map(|slot| {
                (
                    slot.start.timestamp(),
                    NextView {
                        name: c.hour.name.clone(),
                        label: format_slot(&slot),
                    },
                )
            })
        })
        .collect();
    next.sort_by_key(|(t, _)| *t);
    next.into_iter().map(|(_, v)| v).collect()
}

/// `GET /sprechstunde`: the running slots with their queues, or when the next one is.
pub async fn show(
    State(state): State<AppState>,
    session: StaffSession,
    Query(q): Query<LiveQuery>,
) -> Response {
    let tr = session.tr();
    let auto = q.auto.as_deref() == Some("1");
    let back = if auto {
        "/sprechstunde?auto=1"
    } else {
        "/sprechstunde"
    };
    let chrome = session.chrome(&state, back).await;
    let registry = state.registry.current();
    let Some(tenant) = registry.tenant(session.info.municipality_id) else {
        return view::not_found(tr, Some(chrome));
    };
    let now = now_ms();
    let mut live = match live_slots(&state.store, tenant, now).await {
        Ok(l) => l,
        Err(e) => return view::internal_error(tr, &e),
    };
    // An agent of a team sees only the waiting concerns it may open.
    for s in &mut live {
        let scoped = retain_open(&state, &session.info, &mut s.queue, |e| e.concern_id).await;
        if let Err(e) = scoped {
            return view::internal_error(tr, &e);
        }
    }
    let slots: Vec<SlotView> = live
        .into_iter()
        .enumerate()
        .map(|(i, s)| slot_view(tenant, tr, i, s, now))
        .collect();
    let next = if slots.is_empty() {
        next_slots(tenant, now)
    } else {
        Vec::new()
    };
    let flash =
        (q.msg.as_deref() == Some("queue_empty")).then(|| tr.t("live.queue_empty").to_string());
    let page = LivePage {
        tr,
        chrome: Some(chrome),
        flash,
        error: None,
        configured: !tenant.schedule.consultation.is_empty(),
        slots,
        next,
        auto,
        refresh_s: AUTO_REFRESH_S,
        updated: view::local_time(now, &tenant.row.timezone, tr.lang),
    };
    view::render(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct NextQuery {
    slot: Option<usize>,
}

/// `GET /sprechstunde/next`: opens the concern that has waited longest in the slot's queue (at the
/// moment of the click, not of the last refresh); back to the live view when nobody waits.
pub async fn next(
    State(state): State<AppState>,
    session: StaffSession,
    Query(q): Query<NextQuery>,
) -> Response {
    let tr = session.tr();
    let registry = state.registry.current();
    let Some(tenant) = registry.tenant(session.info.municipality_id) else {
        return view::not_found(tr, Some(session.chrome(&state, "/sprechstunde").await));
    };
    let mut live = match live_slots(&state.store, tenant, now_ms()).await {
        Ok(l) => l,
        Err(e) => return view::internal_error(tr, &e),
    };
    // "Next" is the oldest waiting concern this member may open.
    for s in &mut live {
        let scoped = retain_open(&state, &session.info, &mut s.queue, |e| e.concern_id).await;
        if let Err(e) = scoped {
            return view::internal_error(tr, &e);
        }
    }
    let oldest = live
        .get(q.slot.unwrap_or(0))
        .and_then(|s| s.queue.first())
        .map(|e| e.concern_id);
    match oldest {
        Some(id) => Redirect::to(&format!("/concerns/{id}")).into_response(),
        None => Redirect::to("/sprechstunde?msg=queue_empty").into_response(),
    }
}
