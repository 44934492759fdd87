//! The privacy center for the data-protection officer (role `dpo` only): requests, citizens, audit log.

mod audit_log;
mod citizen;
mod find;
pub(crate) mod ops;
mod requests;

pub(crate) use citizen::zip_response;

use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

use super::auth::StaffSession;
use super::i18n::Tr;
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/privacy", get(requests::register))
        .route("/privacy/find", get(find::form).post(find::lookup))
        .route("/privacy/citizens/{id}", get(citizen::show))
        .route("/privacy/citizens/{id}/reveal", post(citizen::reveal))
        .route("/privacy/citizens/{id}/export", post(citizen::export))
        .route(
            "/privacy/citizens/{id}/export-link",
            post(citizen::export_link),
        )
        .route(
            "/privacy/citizens/{id}/erase",
            get(citizen::erase_form).post(citizen::erase),
        )
        .route("/privacy/audit", get(audit_log::browse))
}

/// Every privacy route starts here: anyone but the data-protection officer gets 403, before anything is looked up.
pub(super) async fn require_dpo(
    state: &AppState,
    session: &StaffSession,
    back: &str,
) -> Result<Tr, Response> {
    let tr = session.tr();
    if session.info.role.is_privacy_officer() {
        Ok(tr)
    } else {
        Err(super::view::forbidden(
            tr,
            Some(session.chrome(state, back).await),
        ))
    }
}

/// One link of the privacy center's sub-navigation.
pub struct SubNavLink {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// The sub-navigation shown on every privacy page; `current` is the path of the page.
pub fn subnav(tr: Tr, current: &str) -> Vec<SubNavLink> {
    [
        ("/privacy", "privacy.nav_requests"),
        ("/privacy/find", "privacy.nav_find"),
        ("/privacy/audit", "privacy.nav_audit"),
    ]
    .into_iter()
    .map(|(href, key)| SubNavLink {
        href,
        label: tr.t(key),
        current: href == current,
    })
    .collect()
}

/// Text of a `?msg=` code on privacy pages; unknown codes show nothing.
pub fn flash(tr: Tr, code: Option<&str>) -> Option<String> {
    let key = match code? {
        "erased" => "privacy.flash_erased",
        _ => return None,
    };
    Some(tr.t(key).to_string())
}
