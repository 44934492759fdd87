//! The inbox: concerns of the signed-in member's municipality by status and channel, newest activity first.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use rathaus_domain::schedule::ResponseStatus;
use rathaus_domain::ConcernStatus;
use rathaus_store::{now_ms, ConcernFilter};
use serde::Deserialize;

use super::auth::StaffSession;
use super::i18n::Tr;
use super::promise::{due_view, DueView};
use super::view::{self, Chrome};
use crate::AppState;

#[derive(Deserialize)]
pub struct InboxQuery {
    status: Option<String>,
    channel: Option<String>,
    /// A team id: only that team's concerns.
    team: Option<String>,
    /// "overdue": only concerns past their response target (any status but resolved).
    due: Option<String>,
    msg: Option<String>,
}

pub struct Tab {
    pub href: String,
    pub label: &'static str,
    pub count: i64,
    pub current: bool,
}

pub struct ChannelOption {
    pub id: i64,
    pub label: String,
    pub selected: bool,
}

pub struct Row {
    pub id: i64,
    pub pseudonym: String,
    pub channel: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub assignee: String,
    /// The concern's team, if routed to one.
    pub team: Option<String>,
    pub last_activity: String,
    pub last_activity_iso: String,
    /// "wird gelöscht am …" for resolved concerns.
    pub deleted_on: Option<String>,
    /// Time left to the response-time promise, for open, unanswered concerns.
    pub due: Option<DueView>,
}

/// Counts of concerns near or past their response target, for the line at the top.
pub struct Alerts {
    pub near_due: i64,
    pub past_due: i64,
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    tr: Tr,
    chrome: Option<Chrome>,
    flash: Option<String>,
    error: Option<String>,
    status: &'static str,
    tabs: Vec<Tab>,
    channels: Vec<ChannelOption>,
    teams: Vec<ChannelOption>,
    rows: Vec<Row>,
    heading: String,
    alerts: Alerts,
    overdue_only: bool,
    overdue_href: String,
}

pub async fn inbox(
    State(state): State<AppState>,
    session: StaffSession,
    Query(q): Query<InboxQuery>,
) -> Response {
    let tr = session.tr();
    if !session.can_read() {
        return view::forbidden(tr, Some(session.chrome(&state, "/inbox").await));
    }
    let mid = session.info.municipality_id;
    let status = q
        .status
        .as_deref()
        .and_then(ConcernStatus::parse)
        .unwrap_or(ConcernStatus::Open);
    // An empty select value means "all channels"; nonsense is treated the same.
    let channel_id = q.channel.as_deref().and_then(|c| c.parse::<i64>().ok());
    let overdue_only = q.due.as_deref() == Some("overdue");
    let team_id = q.team.as_deref().and_then(|t| t.parse::<i64>().ok());
    let visible_to = match crate::security::team_scope::visible_to(&state, &session.info).await {
        Ok(v) => v,
        Err(e) => return view::internal_error(tr, &e),
    };
    // Overdue concerns may be open or waiting for a reply; the filter looks at both, newest activity first.
    let filter = ConcernFilter {
        status: (!overdue_only).then_some(status),
        channel_id,
        limit: Some(if overdue_only { 2000 } else { 200 }),
        team_id,
        visible_to,
    };
    let now = now_ms();
    let (mut concerns, mut counts, channels, alerts, teams) = match tokio::try_join!(
        state.store.list_concerns(mid, &filter),
        state.store.concern_counts(mid),
        state.store.channels(mid),
        state.store.response_alerts(mid, now, visible_to),
        state.store.teams(mid),
    ) {
        Ok(r) => r,
        Err(e) => return view::internal_error(tr, &e),
    };
    // The tabs count what this member may see.
    if let Some(staff) = visible_to {
        let rows = match state.store.concern_counts_visible_to(mid, staff).await {
            Ok(r) => r,
            Err(e) => return view::internal_error(tr, &e),
        };
        for (status, n) in &mut counts {
            *n = rows
                .iter()
                .find(|(s, _)| s == status.as_str())
                .map_or(0, |(_, c)| *c);
        }
    }
    if overdue_only {
        concerns.retain(|c| {
            c.status != ConcernStatus::Resolved
                && c.response_status(now) == Some(ResponseStatus::Breached)
        });
        concerns.truncate(200);
    }
    let (municipality, tz) = view::municipality(&state, mid).await;
    let mut channel_q = channel_id
        .map(|c| format!("&channel={c}"))
        .unwrap_or_default();
    if let Some(t) = team_id {
        channel_q.push_str(&format!("&team={t}"));
    }
    let teams = teams
        .into_iter()
        .map(|t| ChannelOption {
            id: t.id,
            label: t.name,
            selected: Some(t.id) == team_id,
        })
        .collect();
    let tabs = counts
        .iter()
        .map(|(s, n)| Tab {
            href: format!("/inbox?status={}{channel_q}", s.as_str()),
            label: tr.t(view::status_key(*s)),
            count: *n,
            current: *s == status && !overdue_only,
        })
        .collect();
    let channels = channels
        .into_iter()
        .map(|c| ChannelOption {
            id: c.id,
            label: format!("{} · {}", c.kind.label(), c.name),
            selected: Some(c.id) == channel_id,
        })
        .collect();
    let rows = concerns
        .into_iter()
        .map(|c| Row {
            due: due_view(&c, now, &tz, tr.lang),
            id: c.id,
            pseudonym: c.pseudonym,
            channel: format!("{} · {}", c.channel_kind.label(), c.channel_name),
            status: tr.t(view::status_key(c.status)),
            status_class: c.status.as_str(),
            assignee: c
                .assignee_name
                .unwrap_or_else(|| tr.t("concern.nobody").to_string()),
            team: c.team_name,
            last_activity: view::local_time(c.last_activity_at, &tz, tr.lang),
            last_activity_iso: view::rfc3339(c.last_activity_at),
            deleted_on: super::privacy::ops::deletion_date(
                &state,
                mid,
                c.resolved_at,
                &tz,
                tr.lang,
            )
            .filter(|_| c.status == ConcernStatus::Resolved),
        })
        .collect();
    let mut back = format!("/inbox?status={}", status.as_str());
    back.push_str(&channel_q);
    if overdue_only {
        back.push_str("&due=overdue");
    }
    let heading_status = if overdue_only {
        tr.t("inbox.overdue")
    } else {
        tr.t(view::status_key(status))
    };
    let page = InboxPage {
        tr,
        chrome: Some(
            Chrome::new(&session.info, municipality, tr, &back)
                .with_switch(&state, &session.info, tr)
                .await,
        ),
        flash: view::flash(tr, q.msg.as_deref()),
        error: None,
        status: status.as_str(),
        heading: format!("{} – {heading_status}", tr.t("inbox.title")),
        alerts: Alerts {
            near_due: alerts.near_due,
            past_due: alerts.past_due,
        },
        overdue_only,
        overdue_href: format!("/inbox?due=overdue{channel_q}"),
        tabs,
        channels,
        teams,
        rows,
    };
    view::render(StatusCode::OK, &page)
}
