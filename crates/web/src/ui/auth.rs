//! Staff sign-in: login form, session cookie, the `StaffSession` extractor, logout and language choice.

use askama::Template;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use rathaus_store::{now_ms, SessionInfo};
use serde::Deserialize;

use super::audit::{self, Actor};
use super::i18n::{Lang, Tr};
use super::view::{self, Chrome};
use crate::AppState;

const SECURE_COOKIE: &str = "__Host-rathaus_session";
const PLAIN_COOKIE: &str = "rathaus_session";

/// Name of the session cookie: `__Host-` prefixed (and `Secure`) unless serving plain-http loopback.
pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure {
        SECURE_COOKIE
    } else {
        PLAIN_COOKIE
    }
}

pub(crate) fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// A signed-in staff member, from the session cookie. Without one, HTML requests go to the login page.
#[derive(Clone)]
pub struct StaffSession {
    pub info: SessionInfo,
    pub token: String,
    /// Coarsened client address for the audit log.
    pub ip: Option<String>,
}

impl StaffSession {
    pub fn tr(&self) -> Tr {
        Tr::new(Lang::from_code(&self.info.language))
    }

    pub fn can_answer(&self) -> bool {
        self.info.role.can_answer()
    }

    /// Whether the role may see concern threads at all (viewers and editors may not).
    pub fn can_read(&self) -> bool {
        self.info.role.can_read_concerns()
    }

    pub fn actor(&self) -> Actor {
        Actor::staff(&self.info, self.ip.clone())
    }

    /// Header chrome for a page at `path`.
    pub async fn chrome(&self, state: &AppState, path: &str) -> Chrome {
        let (name, _) = view::municipality(state, self.info.municipality_id).await;
        Chrome::new(&self.info, name, self.tr(), path)
            .with_switch(state, &self.info, self.tr())
            .await
    }
}

impl FromRequestParts<AppState> for StaffSession {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        // The access guard already looked the session up for this request.
        if let Some(s) = parts.extensions.get::<StaffSession>() {
            return Ok(s.clone());
        }
        let name = session_cookie_name(state.settings.secure_cookies);
        let Some(token) = cookie_value(&parts.headers, name) else {
            return Err(Redirect::to("/login").into_response());
        };
        match state
            .store
            .session(token, now_ms(), state.settings.session_idle_ms)
            .await
        {
            Ok(Some(info)) => Ok(StaffSession {
                info,
                token: token.to_string(),
                ip: audit::client_ip(parts),
            }),
            Ok(None) => Err(Redirect::to("/login").into_response()),
            Err(e) => Err(view::internal_error(Tr::new(Lang::De), &e)),
        }
    }
}

pub(super) fn set_cookie(state: &AppState, token: &str, max_age_s: i64) -> HeaderValue {
    let name = session_cookie_name(state.settings.secure_cookies);
    let secure = if state.settings.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let value =
        format!("{name}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_s}{secure}");
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The page a role starts on: the first section of the header its role may open (an editor lands on
/// the posts, a viewer on the reports — not on an inbox that would refuse them).
pub fn home_for(role: rathaus_store::Role) -> &'static str {
    use crate::security::access::{PUBLISH, READ_CONCERNS, REPORTS};
    if READ_CONCERNS.contains(&role) {
        "/inbox"
    } else if PUBLISH.contains(&role) {
        "/beitraege"
    } else if REPORTS.contains(&role) {
        "/berichte"
    } else {
        "/account/sessions"
    }
}

/// `/`: the signed-in member's start page ([`home_for`] their role), else the login page.
pub async fn root(session: Option<StaffSession>) -> Redirect {
    match session {
        Some(s) => Redirect::to(home_for(s.info.role)),
        None => Redirect::to("/login"),
    }
}

impl axum::extract::OptionalFromRequestParts<AppState> for StaffSession {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, Response> {
        match <StaffSession as FromRequestParts<AppState>>::from_request_parts(parts, state).await {
            Ok(s) => Ok(Some(s)),
            Err(r) if r.status().is_redirection() => Ok(None),
            Err(r) => Err(r),
        }
    }
}

#[derive(Template)]
#[template(path = "login.html")]
pub(super) struct LoginPage {
    tr: Tr,
    chrome: Option<Chrome>,
    flash: Option<String>,
    error: Option<String>,
    email: String,
    other_lang: &'static str,
    other_lang_label: &'static str,
    /// "Sign in with …" buttons for municipalities with an OpenID Connect provider.
    sso: Vec<super::login_sso::SsoButton>,
}

impl LoginPage {
    pub(super) fn new(
        tr: Tr,
        flash: Option<String>,
        error: Option<String>,
        email: String,
    ) -> LoginPage {
        let (other_lang, other_lang_label) = match tr.lang {
            Lang::De => ("en", "English"),
            Lang::En => ("de", "Deutsch"),
        };
        LoginPage {
            tr,
            chrome: None,
            flash,
            error,
            email,
            other_lang,
            other_lang_label,
            sso: Vec::new(),
        }
    }

    pub(super) fn with_sso(mut self, buttons: Vec<super::login_sso::SsoButton>) -> LoginPage {
        self.sso = buttons;
        self
    }
}

#[derive(Deserialize)]
pub struct LoginQuery {
    lang: Option<String>,
    msg: Option<String>,
    /// A municipality's slug: only its single sign-on button is shown (a link a town gives its staff).
    m: Option<String>,
}

pub async fn login_form(State(state): State<AppState>, Query(q): Query<LoginQuery>) -> Response {
    let tr = Tr::new(Lang::from_code(q.lang.as_deref().unwrap_or("de")));
    let flash = view::flash(tr, q.msg.as_deref());
    let sso = super::login_sso::buttons(&state, tr, q.m.as_deref());
    view::render(
        StatusCode::OK,
        &LoginPage::new(tr, flash, None, String::new()).with_sso(sso),
    )
}

/// Ends the session behind the cookie, whatever state it is in (also a login waiting for its code).
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let name = session_cookie_name(state.settings.secure_cookies);
    if let Some(token) = cookie_value(&headers, name) {
        if let Err(e) = state.store.delete_session(token).await {
            return view::internal_error(Tr::new(Lang::De), &e);
        }
    }
    (
        [(header::SET_COOKIE, set_cookie(&state, "", 0))],
        Redirect::to("/login?msg=logged_out"),
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct LanguageForm {
    lang: String,
    #[serde(default)]
    back: String,
}

/// Only local paths are followed back, so the switch cannot redirect elsewhere.
fn local_path(back: &str) -> &str {
    if back.starts_with('/') && !back.starts_with("//") && !back.contains('\\') {
        back
    } else {
        "/"
    }
}

pub async fn set_language(
    State(state): State<AppState>,
    session: StaffSession,
    Form(form): Form<LanguageForm>,
) -> Response {
    let lang = Lang::from_code(&form.lang);
    if let Err(e) = state
        .store
        .set_staff_language(session.info.staff_id, lang.code())
        .await
    {
        return view::internal_error(session.tr(), &e);
    }
    Redirect::to(&with_flash(local_path(&form.back), "language")).into_response()
}

/// `path` with its query's `msg` replaced by `code`.
pub fn with_flash(path: &str, code: &str) -> String {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let mut pairs: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("msg="))
        .collect();
    let flash = format!("msg={code}");
    pairs.push(&flash);
    format!("{path}?{}", pairs.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_session_cookie_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; rathaus_session=abc; b=2"),
        );
        assert_eq!(cookie_value(&h, "rathaus_session"), Some("abc"));
        assert_eq!(cookie_value(&h, "__Host-rathaus_session"), None);
    }

    #[test]
    fn language_switch_only_returns_to_local_paths() {
        assert_eq!(local_path("/concerns/4"), "/concerns/4");
        assert_eq!(local_path("//evil.example/"), "/");
        assert_eq!(local_path("https://evil.example/"), "/");
        assert_eq!(local_path("/\\evil.example"), "/");
        assert_eq!(
            with_flash("/inbox?status=open&msg=sent", "language"),
            "/inbox?status=open&msg=language"
        );
    }

    #[test]
    fn every_role_starts_on_a_page_the_matrix_lets_it_open() {
        use crate::security::access::{lookup, Lookup};
        for role in rathaus_store::Role::ALL {
            let home = home_for(role);
            let found = lookup("GET", home);
            assert!(
                matches!(found, Lookup::Found(access) if access.admits(role)),
                "{role:?} cannot open {home}: {found:?}"
            );
        }
        assert_eq!(home_for(rathaus_store::Role::Editor), "/beitraege");
        assert_eq!(home_for(rathaus_store::Role::Viewer), "/berichte");
    }
}
