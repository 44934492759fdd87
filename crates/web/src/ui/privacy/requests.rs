//! The register of data-subject requests (Art. 12): every access and erasure request with its legal deadline.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use rathaus_store::{now_ms, DataRequest};
use serde::Deserialize;

use super::{require_dpo, SubNavLink};
use crate::ui::auth::StaffSession;
use crate::ui::i18n::Tr;
use crate::ui::view::{self, Chrome};
use crate::AppState;

pub struct RequestRow {
    pub pseudonym: String,
    /// Link to the citizen page while the citizen still exists.
    pub href: Option<String>,
    pub kind: &'static str,
    pub channel: String,
    pub via: String,
    pub requested: String,
    pub requested_iso: String,
    pub due: String,
    pub due_iso: String,
    pub completed: Option<String>,
    pub completed_iso: String,
    pub overdue: bool,
}

#[derive(Template)]
#[template(path = "privacy_requests.html")]
struct RegisterPage {
    tr: Tr,
    chrome: Option<Chrome>,
    flash: Option<String>,
    error: Option<String>,
    subnav: Vec<SubNavLink>,
    rows: Vec<RequestRow>,
    overdue: usize,
    open: usize,
}

#[derive(Deserialize)]
pub struct RegisterQuery {
    msg: Option<String>,
}

/// "keyword", "citizen" or "staff:<id>" in words.
fn via_label(tr: Tr, via: &str, staff: &HashMap<i64, String>) -> String {
    match via {
        "keyword" | "citizen" => tr.t("privacy.via_citizen").to_string(),
        v => match v
            .strip_prefix("staff:")
            .and_then(|id| id.parse::<i64>().ok())
        {
            Some(id) => format!(
                "{}: {}",
                tr.t("privacy.via_staff"),
                staff.get(&id).cloned().unwrap_or_else(|| format!("#{id}"))
            ),
            None => v.to_string(),
        },
    }
}

pub fn kind_key(kind: &str) -> &'static str {
    match kind {
        "access" => "privacy.kind_access",
        "erasure" => "privacy.kind_erasure",
        _ => "privacy.kind_other",
    }
}

pub async fn register(
    State(state): State<AppState>,
    session: StaffSession,
    Query(q): Query<RegisterQuery>,
) -> Response {
    let tr = match require_dpo(&state, &session, "/privacy").await {
        Ok(tr) => tr,
        Err(r) => return r,
    };
    let mid = session.info.municipality_id;
    let (requests, req_channels, channels, staff) = match tokio::try_join!(
        state.store.data_requests(mid),
        state.store.data_request_channels(mid),
        state.store.channels(mid),
        state.store.staff_of_municipality(mid),
    ) {
        Ok(r) => r,
        Err(e) => return view::internal_error(tr, &e),
    };
    let (municipality, tz) = view::municipality(&state, mid).await;
    let channel_names: HashMap<i64, String> = channels
        .into_iter()
        .map(|c| (c.id, format!("{} · {}", c.kind.label(), c.name)))
        .collect();
    let request_channel: HashMap<i64, i64> = req_channels.into_iter().collect();
    let staff: HashMap<i64, String> = staff.into_iter().map(|m| (m.id, m.display_name)).collect();
    let now = now_ms();
    let rows: Vec<RequestRow> = requests
        .iter()
        .map(|r: &DataRequest| RequestRow {
            pseudonym: r.pseudonym.clone(),
            href: r.citizen_id.map(|c| format!("/privacy/citizens/{c}")),
            kind: tr.t(kind_key(&r.kind)),
            channel: request_channel
                .get(&r.id)
                .and_then(|c| channel_names.get(c))
                .cloned()
                .unwrap_or_else(|| "—".to_string()),
            via: via_label(tr, &r.via, &staff),
            requested: view::local_time(r.requested_at, &tz, tr.lang),
            requested_iso: view::rfc3339(r.requested_at),
            due: view::local_date(r.due_at, &tz, tr.lang),
            due_iso: view::rfc3339(r.due_at),
            completed: r.completed_at.map(|t| view::local_time(t, &tz, tr.lang)),
            completed_iso: r.completed_at.map(view::rfc3339).unwrap_or_default(),
            overdue: r.is_overdue(now),
        })
        .collect();
    let page = RegisterPage {
        tr,
        chrome: Some(
            Chrome::new(&session.info, municipality, tr, "/privacy")
                .with_switch(&state, &session.info, tr)
                .await,
        ),
        flash: super::flash(tr, q.msg.as_deref()),
        error: None,
        subnav: super::subnav(tr, "/privacy"),
        overdue: rows.iter().filter(|r| r.overdue).count(),
        open: rows.iter().filter(|r| r.completed.is_none()).count(),
        rows,
    };
    view::render(StatusCode::OK, &page)
}
