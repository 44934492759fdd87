//! Public pages for citizens, without login, cookies or JavaScript: the one-time download of their access export.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use rathaus_store::{now_ms, AuditEvent};

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/auskunft/{token}", get(export_page).post(export_download))
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html>\n<html lang=\"de\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} – Rathaus</title><link rel=\"stylesheet\" href=\"/static/app.css\"></head>\
         <body><main id=\"main\" class=\"narrow\"><h1>{title}</h1>{body}</main></body></html>"
    );
    let mut res = (status, Html(html)).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res.headers_mut()
        .insert("x-robots-tag", HeaderValue::from_static("noindex"));
    res
}

fn token_ok(token: &str) -> bool {
    !token.is_empty()
        && token.len() <= 100
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A page with a button: link previews (which only GET) must not use up the one-time link.
async fn export_page(Path(token): Path<String>) -> Response {
    if !token_ok(&token) {
        return gone();
    }
    page(
        StatusCode::OK,
        "Ihre Auskunft / Your data",
        &format!(
            "<p>Hier können Sie eine ZIP-Datei mit allen Daten herunterladen, die über Sie gespeichert sind: eine lesbare \
             Übersicht (HTML) und eine maschinenlesbare Datei (JSON). Der Link funktioniert nur einmal.</p>\
             <p lang=\"en\">Download a ZIP file with all data stored about you (readable HTML and machine-readable JSON). \
             The link works once.</p>\
             <form method=\"post\" action=\"/auskunft/{token}\"><button type=\"submit\" class=\"primary\">Herunterladen / Download</button></form>"
        ),
    )
}

fn gone() -> Response {
    page(
        StatusCode::GONE,
        "Link nicht mehr gültig / Link no longer valid",
        "<p>Dieser Link ist abgelaufen oder wurde schon benutzt. Schicken Sie „Auskunft“ noch einmal, um einen neuen zu erhalten.</p>\
         <p lang=\"en\">This link has expired or was already used. Send “Auskunft” again to get a new one.</p>",
    )
}

async fn export_download(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    if !token_ok(&token) {
        return gone();
    }
    let now = now_ms();
    let (municipality_id, citizen_id) = match state.store.consume_export_link(&token, now).await {
        Ok(Some(ids)) => ids,
        Ok(None) => return gone(),
        Err(e) => {
            tracing::error!(error = %e, "export link lookup failed");
            return page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Vorübergehend nicht verfügbar",
                "<p>Bitte versuchen Sie es später noch einmal.</p>",
            );
        }
    };
    let registry = state.registry.current();
    let Some(tenant) = registry.tenant(municipality_id) else {
        return gone();
    };
    let export = match state
        .store
        .citizen_export(municipality_id, citizen_id)
        .await
    {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!(error = %e, "export of an erased or missing citizen requested");
            return gone();
        }
    };
    let zip = rathaus_hub::export::export_zip(
        &export,
        &tenant.settings.name,
        &tenant.settings.timezone,
        now,
    );
    let event = AuditEvent::new(
        Some(municipality_id),
        format!("citizen:{}", export.pseudonym),
        "export.downloaded",
    )
    .target(format!("citizen:{citizen_id}"));
    if let Err(e) = state.store.audit(event, now).await {
        tracing::error!(error = %e, "could not record the export in the audit log");
    }
    let mut res = (StatusCode::OK, zip).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"auskunft.zip\""),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}
