//! Administration for the `admin` role of a municipality: the landing page and its sections.

mod invitation;
mod staff;
mod teams;

pub(crate) use staff::invitation_url;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
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
    Section {
        href: "/admin/einstellungen",
        label: "settings.section",
        text: "settings.section_text",
    },
    Section {
        href: "/admin/kanaele",
        label: "settings.channels",
        text: "settings.channels_text",
    },
];

/// Audit actions of the administration (stable, dotted, as the audit log documents them).
pub const STAFF_INVITED: &str = "staff.invited";
pub const STAFF_ROLE_CHANGED: &str = "staff.role_changed";
pub const STAFF_REMOVED: &str = "staff.removed";
pub const TEAM_CREATED: &str = "team.created";
/// Name, members or channel routing of a team saved.
pub const TEAM_CHANGED: &str = "team.changed";
pub const TEAM_DELETED: &str = "team.deleted";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(landing))
        .route("/admin/mitarbeitende", get(staff::list).post(staff::invite))
        .route("/admin/mitarbeitende/{id}/rolle", post(staff::change_role))
        .route("/admin/mitarbeitende/{id}/entfernen", post(staff::remove))
        .route("/admin/teams", get(teams::list).post(teams::create))
        .route("/admin/teams/{id}", post(teams::save))
        .route("/admin/teams/{id}/loeschen", post(teams::delete))
        .route(
            "/einladung/{token}",
            get(invitation::form).post(invitation::accept),
        )
}

/// The i18n key of a role's name.
pub fn role_key(role: Role) -> &'static str {
    match role {
        Role::Admin => "admin.role_admin",
        Role::Editor => "admin.role_editor",
        Role::Agent => "admin.role_agent",
        Role::Host => "admin.role_host",
        Role::Dpo => "admin.role_dpo",
        Role::Viewer => "admin.role_viewer",
    }
}

/// Text of a `?msg=` code on administration pages; unknown codes show nothing.
pub fn flash(tr: Tr, code: Option<&str>) -> Option<String> {
    let key = match code? {
        "member_added" => "admin.flash_member_added",
        "role_changed" => "admin.flash_role_changed",
        "member_removed" => "admin.flash_member_removed",
        "team_created" => "admin.flash_team_created",
        "team_saved" => "admin.flash_team_saved",
        "team_deleted" => "admin.flash_team_deleted",
        _ => return None,
    };
    Some(tr.t(key).to_string())
}

/// One link of the administration's sub-navigation.
pub struct SubNavLink {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// The sub-navigation on every administration page: the landing page and each section.
pub struct AdminSubNav {
    pub links: Vec<SubNavLink>,
}

impl AdminSubNav {
    pub fn new(tr: Tr, current: &str) -> AdminSubNav {
        let mut links = vec![SubNavLink {
            href: "/admin",
            label: tr.t("admin.title"),
            current: current == "/admin",
        }];
        links.extend(SECTIONS.iter().map(|s| SubNavLink {
            href: s.href,
            label: tr.t(s.label),
            current: s.href == current,
        }));
        AdminSubNav { links }
    }
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
