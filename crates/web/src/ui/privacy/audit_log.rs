//! Browsing the audit log: filter by action, actor and local dates, newest first, paged, with the chain status.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use rathaus_store::{AuditFilter, AuditRecord, AuditVerdict};
use serde::Deserialize;

use super::{require_dpo, SubNavLink};
use crate::ui::auth::StaffSession;
use crate::ui::i18n::Tr;
use crate::ui::view::{self, Chrome};
use crate::AppState;

/// Entries per page.
pub const PAGE_SIZE: i64 = 50;

pub struct EntryRow {
    pub id: i64,
    pub at: String,
    pub at_iso: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub ip: String,
    pub details: String,
}

#[derive(Template)]
#[template(path = "privacy_audit.html")]
struct AuditPage {
    tr: Tr,
    chrome: Option<Chrome>,
    flash: Option<String>,
    error: Option<String>,
    subnav: Vec<SubNavLink>,
    chain_ok: bool,
    chain: String,
    q: AuditQuery,
    rows: Vec<EntryRow>,
    older: Option<String>,
    /// Back to the newest page with the same filters, when paging.
    newest: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
pub struct AuditQuery {
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    pub before: Option<i64>,
}

fn some(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// Percent-encoding for a query value (everything but unreserved characters).
pub fn encode(s: &str) -> String {
    let mut o = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            o.push(b as char);
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}

/// The filter for the store: `from` is the start of that local day, `to` includes its whole day.
/// `None` when a date cannot be read.
pub fn filter(
    action: Option<String>,
    actor: Option<String>,
    from: &str,
    to: &str,
    tz: &str,
    limit: i64,
) -> Option<AuditFilter> {
    let day = |s: &str, after: i64| match some(s) {
        None => Some(None),
        Some(d) => view::local_day_start(&d, tz, after).map(Some),
    };
    Some(AuditFilter {
        action_prefix: action,
        actor_contains: actor,
        from: day(from, 0)?,
        to: day(to, 1)?,
        limit: Some(limit),
    })
}

/// The chain status line: intact, or the first broken entry.
pub fn chain_line(tr: Tr, v: &AuditVerdict) -> (bool, String) {
    match v {
        AuditVerdict::Intact { entries, .. } => (
            true,
            format!(
                "{} ({entries} {})",
                tr.t("privacy.chain_intact"),
                tr.t("privacy.chain_checked")
            ),
        ),
        AuditVerdict::Broken { entry_id, .. } => (
            false,
            format!("{} {entry_id}", tr.t("privacy.chain_broken")),
        ),
    }
}

fn row(r: AuditRecord, tz: &str, tr: Tr) -> EntryRow {
    EntryRow {
        id: r.id,
        at: view::local_time(r.at, tz, tr.lang),
        at_iso: view::rfc3339(r.at),
        actor: r.actor,
        action: r.action,
        target: r.target.unwrap_or_default(),
        ip: r.ip.unwrap_or_default(),
        details: r.details.unwrap_or_default(),
    }
}

pub async fn browse(
    State(state): State<AppState>,
    session: StaffSession,
    Query(q): Query<AuditQuery>,
) -> Response {
    let tr = match require_dpo(&state, &session, "/privacy/audit").await {
        Ok(tr) => tr,
        Err(r) => return r,
    };
    let mid = session.info.municipality_id;
    let (municipality, tz) = view::municipality(&state, mid).await;
    let chrome = Some(
        Chrome::new(&session.info, municipality, tr, "/privacy/audit")
            .with_switch(&state, &session.info, tr)
            .await,
    );
    let verdict = match state.store.verify_audit().await {
        Ok(v) => v,
        Err(e) => return view::internal_error(tr, &e),
    };
    let (chain_ok, chain) = chain_line(tr, &verdict);
    let Some(f) = filter(
        some(&q.action),
        some(&q.actor),
        &q.from,
        &q.to,
        &tz,
        PAGE_SIZE,
    ) else {
        let page = AuditPage {
            tr,
            chrome,
            flash: None,
            error: Some(tr.t("privacy.audit_bad_date").to_string()),
            subnav: super::subnav(tr, "/privacy/audit"),
            chain_ok,
            chain,
            q,
            rows: Vec::new(),
            older: None,
            newest: None,
        };
        return view::render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let entries = match state.store.audit_entries_before(mid, &f, q.before).await {
        Ok(e) => e,
        Err(e) => return view::internal_error(tr, &e),
    };
    let full = entries.len() as i64 >= PAGE_SIZE;
    let rows: Vec<EntryRow> = entries.into_iter().map(|r| row(r, &tz, tr)).collect();
    let base = format!(
        "/privacy/audit?action={}&actor={}&from={}&to={}",
        encode(q.action.trim()),
        encode(q.actor.trim()),
        encode(q.from.trim()),
        encode(q.to.trim())
    );
    let older = match rows.last() {
        Some(last) if full => Some(format!("{base}&before={}", last.id)),
        _ => None,
    };
    let page = AuditPage {
        tr,
        chrome,
        flash: None,
        error: None,
        subnav: super::subnav(tr, "/privacy/audit"),
        chain_ok,
        chain,
        newest: q.before.map(|_| base.clone()),
        q,
        rows,
        older,
    };
    view::render(StatusCode::OK, &page)
}
