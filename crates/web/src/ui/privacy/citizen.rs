//! One citizen for the DPO: pseudonym, consents with their notice versions, activity; reveal, export and erase.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use rathaus_domain::{ConcernStatus, ConsentState};
use rathaus_store::{CitizenRef, PrivacyNotice};
use serde::Deserialize;

use super::{ops, require_dpo, SubNavLink};
use crate::ui::audit;
use crate::ui::auth::StaffSession;
use crate::ui::i18n::Tr;
use crate::ui::view::{self, Chrome};
use crate::AppState;

pub struct ConsentRow {
    pub at: String,
    pub at_iso: String,
    pub action: &'static str,
    pub version: String,
    pub in_force: String,
}

pub struct ConcernLink {
    pub href: String,
    pub label: String,
    pub status: &'static str,
    pub status_class: &'static str,
}

#[derive(Template)]
#[template(path = "privacy_citizen.html")]
struct CitizenPage {
    tr: Tr,
    chrome: Option<Chrome>,
    flash: Option<String>,
    error: Option<String>,
    subnav: Vec<SubNavLink>,
    id: i64,
    pseudonym: String,
    channel: String,
    consent_now: &'static str,
    consents: Vec<ConsentRow>,
    concerns: Vec<ConcernLink>,
    messages: i64,
    revealed: Option<String>,
    export_link: Option<String>,
}

#[derive(Template)]
#[template(path = "privacy_erase.html")]
struct ErasePage {
    tr: Tr,
    chrome: Option<Chrome>,
    flash: Option<String>,
    error: Option<String>,
    subnav: Vec<SubNavLink>,
    id: i64,
    pseudonym: String,
    code: String,
    concerns: usize,
    messages: i64,
}

/// "since … until …" of the notice version a consent refers to.
fn in_force(tr: Tr, notices: &[PrivacyNotice], version: &str, tz: &str) -> String {
    let Some(i) = notices.iter().position(|n| n.version == version) else {
        return tr.t("privacy.notice_unknown").to_string();
    };
    let from = view::local_date(notices[i].first_in_force_at, tz, tr.lang);
    match notices.get(i + 1) {
        Some(next) => format!(
            "{} {from} {} {}",
            tr.t("privacy.in_force_from"),
            tr.t("privacy.in_force_until"),
            view::local_date(next.first_in_force_at, tz, tr.lang)
        ),
        None => format!(
            "{} {from} ({})",
            tr.t("privacy.in_force_from"),
            tr.t("privacy.in_force_current")
        ),
    }
}

/// What the DPO types to confirm an erasure: the code after the dot ("7F3A" of "Bürger·7F3A"), easy to type.
pub fn confirm_code(pseudonym: &str) -> &str {
    pseudonym.rsplit('·').next().unwrap_or(pseudonym)
}

/// The DPO role and the citizen of the own municipality, or the response to send instead (403, 404, 500).
async fn load(
    state: &AppState,
    session: &StaffSession,
    id: i64,
) -> Result<(Tr, CitizenRef), Response> {
    let back = format!("/privacy/citizens/{id}");
    let tr = require_dpo(state, session, &back).await?;
    match ops::citizen(state, session.info.municipality_id, id).await {
        Ok(Some(c)) => Ok((tr, c)),
        Ok(None) => Err(view::not_found(
            tr,
            Some(session.chrome(state, "/privacy").await),
        )),
        Err(e) => Err(view::internal_error(tr, &e)),
    }
}

async fn render(
    state: &AppState,
    session: &StaffSession,
    tr: Tr,
    citizen: &CitizenRef,
    revealed: Option<String>,
    export_link: Option<String>,
) -> Response {
    let mid = session.info.municipality_id;
    let (consents, notices, activity, channels) = match tokio::try_join!(
        state.store.consent_history(citizen),
        state.store.privacy_notices(mid),
        state.store.citizen_activity(citizen),
        state.store.channels(mid),
    ) {
        Ok(r) => r,
        Err(e) => return view::internal_error(tr, &e),
    };
    let (municipality, tz) = view::municipality(state, mid).await;
    let channel = channels
        .iter()
        .find(|c| c.id == citizen.channel_id)
        .map(|c| format!("{} · {}", c.kind.label(), c.name))
        .unwrap_or_default();
    let page = CitizenPage {
        tr,
        chrome: Some(
            Chrome::new(
                &session.info,
                municipality,
                tr,
                &format!("/privacy/citizens/{}", citizen.id),
            )
            .with_switch(state, &session.info, tr)
            .await,
        ),
        flash: None,
        error: None,
        subnav: super::subnav(tr, ""),
        id: citizen.id,
        pseudonym: citizen.pseudonym.clone(),
        channel,
        consent_now: tr.t(match citizen.consent {
            ConsentState::Given => "privacy.consent_given",
            _ => "privacy.consent_withdrawn",
        }),
        consents: consents
            .iter()
            .map(|c| ConsentRow {
                at: view::local_time(c.at, &tz, tr.lang),
                at_iso: view::rfc3339(c.at),
                action: tr.t(match c.action.as_str() {
                    "given" => "privacy.consent_given",
                    _ => "privacy.consent_withdrawn",
                }),
                version: c.notice_version.clone(),
                in_force: in_force(tr, &notices, &c.notice_version, &tz),
            })
            .collect(),
        concerns: activity
            .concerns
            .iter()
            .map(|(id, status, created)| {
                let st = ConcernStatus::parse(status).unwrap_or(ConcernStatus::Open);
                ConcernLink {
                    href: format!("/concerns/{id}"),
                    label: format!(
                        "{} {id} · {}",
                        tr.t("concern.title"),
                        view::local_date(*created, &tz, tr.lang)
                    ),
                    status: tr.t(view::status_key(st)),
                    status_class: st.as_str(),
                }
            })
            .collect(),
        messages: activity.messages,
        revealed,
        export_link,
    };
    view::render(StatusCode::OK, &page)
}

/// The citizen page; the read is audited before anything is shown.
pub async fn show(
    State(state): State<AppState>,
    session: StaffSession,
    Path(id): Path<i64>,
) -> Response {
    let (tr, citizen) = match load(&state, &session, id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let target = format!("citizen:{id}");
    if let Err(e) = audit::record(
        &state.store,
        &session.actor(),
        ops::CITIZEN_READ,
        target,
        None,
    )
    .await
    {
        return view::internal_error(tr, &e);
    }
    render(&state, &session, tr, &citizen, None, None).await
}

/// Shows the platform id once, in this response only; recorded as `citizen.reveal` first.
pub async fn reveal(
    State(state): State<AppState>,
    session: StaffSession,
    Path(id): Path<i64>,
) -> Response {
    let (tr, citizen) = match load(&state, &session, id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let platform_id = match state.store.citizen_platform_id(&citizen).await {
        Ok(p) => p,
        Err(e) => return view::internal_error(tr, &e),
    };
    let target = format!("citizen:{id}");
    if let Err(e) = audit::record(
        &state.store,
        &session.actor(),
        ops::CITIZEN_REVEAL,
        target,
        None,
    )
    .await
    {
        return view::internal_error(tr, &e);
    }
    render(&state, &session, tr, &citizen, Some(platform_id), None).await
}

/// The access export as a ZIP download, opened and completed as a request "via staff".
pub async fn export(
    State(state): State<AppState>,
    session: StaffSession,
    Path(id): Path<i64>,
) -> Response {
    let (tr, citizen) = match load(&state, &session, id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match ops::staff_export(&state, &session.actor(), session.info.staff_id, &citizen).await {
        Ok(zip) => zip_response(zip, &citizen.pseudonym),
        Err(e) => view::internal_error(tr, &e),
    }
}

/// `auskunft-<pseudonym>.zip` with only safe characters in the name.
pub fn zip_response(zip: Vec<u8>, pseudonym: &str) -> Response {
    let safe: String = pseudonym
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let disposition = format!("attachment; filename=\"auskunft-{safe}.zip\"");
    let mut res = (StatusCode::OK, zip).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition)
            .unwrap_or_else(|_| HeaderValue::from_static("attachment")),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// A one-time link (7 days) to hand to the citizen, e.g. by letter; shown once.
pub async fn export_link(
    State(state): State<AppState>,
    session: StaffSession,
    Path(id): Path<i64>,
) -> Response {
    let (tr, citizen) = match load(&state, &session, id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match ops::staff_export_link(&state, &session.actor(), session.info.staff_id, &citizen).await {
        Ok(url) => render(&state, &session, tr, &citizen, None, Some(url)).await,
        Err(e) => view::internal_error(tr, &e),
    }
}

async fn erase_page(
    state: &AppState,
    session: &StaffSession,
    tr: Tr,
    citizen: &CitizenRef,
    status: StatusCode,
    error: Option<&'static str>,
) -> Response {
    let activity = match state.store.citizen_activity(citizen).await {
        Ok(a) => a,
        Err(e) => return view::internal_error(tr, &e),
    };
    let page = ErasePage {
        tr,
        chrome: Some(
            session
                .chrome(state, &format!("/privacy/citizens/{}/erase", citizen.id))
                .await,
        ),
        flash: None,
        error: error.map(|k| tr.t(k).to_string()),
        subnav: super::subnav(tr, ""),
        id: citizen.id,
        pseudonym: citizen.pseudonym.clone(),
        code: confirm_code(&citizen.pseudonym).to_string(),
        concerns: activity.concerns.len(),
        messages: activity.messages,
    };
    view::render(status, &page)
}

/// The confirmation step: nothing is erased from here.
pub async fn erase_form(
    State(state): State<AppState>,
    session: StaffSession,
    Path(id): Path<i64>,
) -> Response {
    let (tr, citizen) = match load(&state, &session, id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    erase_page(&state, &session, tr, &citizen, StatusCode::OK, None).await
}

#[derive(Deserialize)]
pub struct EraseForm {
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    pseudonym: String,
}

/// Erases only when the box is ticked and the code (or the whole pseudonym) typed; otherwise the confirmation page again (422).
pub async fn erase(
    State(state): State<AppState>,
    session: StaffSession,
    Path(id): Path<i64>,
    Form(f): Form<EraseForm>,
) -> Response {
    let (tr, citizen) = match load(&state, &session, id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let typed = f.pseudonym.trim();
    let confirmed = f.confirm == "yes"
        && (typed.eq_ignore_ascii_case(confirm_code(&citizen.pseudonym))
            || typed.eq_ignore_ascii_case(&citizen.pseudonym));
    if !confirmed {
        let key = if f.confirm != "yes" {
            "privacy.erase_tick_missing"
        } else {
            "privacy.erase_name_mismatch"
        };
        return erase_page(
            &state,
            &session,
            tr,
            &citizen,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(key),
        )
        .await;
    }
    match ops::erase(&state, &session.actor(), session.info.staff_id, &citizen).await {
        Ok(_) => Redirect::to("/privacy?msg=erased").into_response(),
        Err(e) => view::internal_error(tr, &e),
    }
}
