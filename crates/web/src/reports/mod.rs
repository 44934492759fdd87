//! Response-time reports for staff: the page with figures, SVG charts and tables (`/berichte`) and the CSV download.

pub mod svg;
mod view_model;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use jiff::civil::Date;
use rathaus_hub::reports::{self as hub_reports, ReportError, ResponseTimeReport};
use rathaus_hub::Tenant;
use serde::Deserialize;

use crate::ui::i18n::Tr;
use crate::ui::view::{self, Chrome};
use crate::ui::StaffSession;
use crate::AppState;
pub use view_model::{Figure, ReportView, TableRow};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/berichte", get(page))
        .route("/berichte.csv", get(csv))
}

/// `from`, `to` (YYYY-MM-DD, inclusive) and an optional `format=csv`.
#[derive(Debug, Default, Deserialize)]
pub struct PeriodQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub format: Option<String>,
}

/// The default period: the first day of the month two months back until today (three calendar months).
pub fn default_period(today: Date) -> (Date, Date) {
    let first = today.first_of_month();
    let from = first
        .checked_sub(jiff::Span::new().months(2))
        .unwrap_or(first);
    (from, today)
}

/// Today in the tenant's time zone.
pub fn today(tenant: &Tenant) -> Date {
    jiff::Timestamp::now()
        .to_zoned(tenant.schedule.office.timezone.clone())
        .date()
}

/// The period asked for; both absent means [`default_period`], one absent is an error.
pub fn period(q: &PeriodQuery, tenant: &Tenant) -> Result<(Date, Date), ReportError> {
    match (q.from.as_deref(), q.to.as_deref()) {
        (None, None) => Ok(default_period(today(tenant))),
        (from, to) => hub_reports::parse_period(from.unwrap_or(""), to.unwrap_or("")),
    }
}

/// Whether the client asked for CSV: `?format=csv` or `Accept: text/csv` (before any HTML/JSON).
pub fn wants_csv(format: Option<&str>, headers: &HeaderMap) -> bool {
    if let Some(f) = format {
        return f.eq_ignore_ascii_case("csv");
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    accept
        .split(',')
        .map(|part| part.split(';').next().unwrap_or("").trim())
        .find(|m| {
            m.eq_ignore_ascii_case("text/csv")
                || m.eq_ignore_ascii_case("text/html")
                || m.eq_ignore_ascii_case("application/json")
        })
        .is_some_and(|m| m.eq_ignore_ascii_case("text/csv"))
}

/// The report as a CSV attachment, named after the municipality and the period.
pub fn csv_response(report: &ResponseTimeReport, slug: &str) -> Response {
    let safe_slug: String = slug
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    let filename = format!(
        "antwortzeiten-{safe_slug}-{}-{}.csv",
        report.from, report.to
    );
    let mut res = (StatusCode::OK, report.to_csv()).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    tr: Tr,
    chrome: Option<Chrome>,
    flash: Option<String>,
    error: Option<String>,
    from: String,
    to: String,
    csv_href: String,
    report: Option<ReportView>,
}

fn no_store(mut res: Response) -> Response {
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// `GET /berichte?from&to`: the page; CSV instead when asked for with `format=csv` or `Accept: text/csv`.
async fn page(
    State(state): State<AppState>,
    session: StaffSession,
    headers: HeaderMap,
    Query(q): Query<PeriodQuery>,
) -> Response {
    if wants_csv(q.format.as_deref(), &headers) {
        return csv(State(state), session, Query(q)).await;
    }
    let tr = session.tr();
    let chrome = session.chrome(&state, "/berichte").await;
    let registry = state.registry.current();
    let Some(tenant) = registry.tenant(session.info.municipality_id) else {
        return view::not_found(tr, Some(chrome));
    };
    let given = |v: &Option<String>| v.clone().unwrap_or_default();
    let mut page = ReportsPage {
        tr,
        chrome: Some(chrome),
        flash: None,
        error: None,
        from: given(&q.from),
        to: given(&q.to),
        csv_href: String::new(),
        report: None,
    };
    let (from, to) = match period(&q, tenant) {
        Ok(p) => p,
        Err(e) => {
            page.error = Some(format!("{} ({e})", tr.t("reports.bad_period")));
            return no_store(view::render(StatusCode::BAD_REQUEST, &page));
        }
    };
    let report = match hub_reports::response_times(&state.store, tenant, from, to).await {
        Ok(r) => r,
        Err(e) if e.is_client_error() => {
            page.error = Some(format!("{} ({e})", tr.t("reports.bad_period")));
            return no_store(view::render(StatusCode::BAD_REQUEST, &page));
        }
        Err(e) => return view::internal_error(tr, &e),
    };
    page.from = from.to_string();
    page.to = to.to_string();
    page.csv_href = format!("/berichte.csv?from={from}&to={to}");
    page.report = Some(ReportView::new(&report, tr));
    no_store(view::render(StatusCode::OK, &page))
}

/// `GET /berichte.csv?from&to`: the report as a CSV attachment.
async fn csv(
    State(state): State<AppState>,
    session: StaffSession,
    Query(q): Query<PeriodQuery>,
) -> Response {
    let tr = session.tr();
    let registry = state.registry.current();
    let Some(tenant) = registry.tenant(session.info.municipality_id) else {
        return view::not_found(tr, Some(session.chrome(&state, "/berichte").await));
    };
    let result = match period(&q, tenant) {
        Ok((from, to)) => hub_reports::response_times(&state.store, tenant, from, to).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(report) => csv_response(&report, &tenant.row.slug),
        Err(e) if e.is_client_error() => no_store(
            (
                StatusCode::BAD_REQUEST,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                format!("{} ({e})", tr.t("reports.bad_period")),
            )
                .into_response(),
        ),
        Err(e) => view::internal_error(tr, &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn the_default_period_is_three_calendar_months_until_today() {
        assert_eq!(
            default_period(date(2026, 3, 15)),
            (date(2026, 1, 1), date(2026, 3, 15))
        );
        assert_eq!(
            default_period(date(2026, 1, 31)),
            (date(2025, 11, 1), date(2026, 1, 31))
        );
    }

    #[test]
    fn csv_is_chosen_by_format_or_by_accept_before_html() {
        let mut h = HeaderMap::new();
        assert!(!wants_csv(None, &h));
        assert!(wants_csv(Some("CSV"), &h));
        assert!(!wants_csv(Some("json"), &h));
        h.insert(header::ACCEPT, HeaderValue::from_static("text/csv"));
        assert!(wants_csv(None, &h));
        h.insert(
            header::ACCEPT,
            HeaderValue::from_static("text/html,application/xhtml+xml,text/csv;q=0.1"),
        );
        assert!(!wants_csv(None, &h));
        h.insert(
            header::ACCEPT,
            HeaderValue::from_static("application/json, */*"),
        );
        assert!(!wants_csv(None, &h));
    }
}
