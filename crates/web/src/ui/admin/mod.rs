//! Administration for the `admin` role of a municipality: the landing page and its sections.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use rathaus_store::Role;

use super::auth::StaffSession;
use super::i18n::Tr;
use super::view::{self, Chrome};
use crate::AppState;

/// One section of the administration: its page and the i18n keys of its name and one-line description.
pub struct Section {
    pub href: &'static str,
    pub label: &'static str,
    pub text: &'static str,
}

/// The sections the landing page links to, in this order. A new admin page adds its line here.
pub const SECTIONS: &[Section] = &[
    Section {
        href: "/admin/mitarbeitende",
        label: "admin.section_staff",
        text: "admin.section_staff_text",
    },
    Section {
        href: "/admin/teams",
        label: "admin.section_teams",
        text: "admin.section_teams_text",
    },
];

pub fn router() -> Router<AppState> {
    Router::new().route("/admin", get(landing))
}

/// Whether a role may use the administration (the matrix's `ADMIN` group).
pub fn is_admin(role: Role) -> bool {
    role == Role::Admin
}

/// Every administration route starts here: anyone but an admin gets 403 before anything is looked up.
pub(crate) async fn require_admin(
    state: &AppState,
    session: &StaffSession,
    back: &str,
) -> Result<Tr, Response> {
    let tr = session.tr();
    if is_admin(session.info.role) {
        Ok(tr)
    } else {
        Err(view::forbidden(tr, Some(session.chrome(state, back).await)))
    }
}

/// A section as shown: translated name and description.
pub struct SectionLink {
    pub href: &'static str,
    pub label: &'static str,
    pub text: &'static str,
}

#[derive(Template)]
#[template(path = "admin.html")]
struct LandingPage {
    tr: Tr,
    chrome: Option<Chrome>,
    flash: Option<String>,
    error: Option<String>,
    sections: Vec<SectionLink>,
}

/// `GET /admin`: links to every administration section.
async fn landing(State(state): State<AppState>, session: StaffSession) -> Response {
    let tr = match require_admin(&state, &session, "/admin").await {
        Ok(tr) => tr,
        Err(r) => return r,
    };
    let sections = SECTIONS
        .iter()
        .map(|s| SectionLink {
            href: s.href,
            label: tr.t(s.label),
            text: tr.t(s.text),
        })
        .collect();
    let page = LandingPage {
        tr,
        chrome: Some(session.chrome(&state, "/admin").await),
        flash: None,
        error: None,
        sections,
    };
    view::render(StatusCode::OK, &page)
}
