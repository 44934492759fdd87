//! `/admin/einstellungen…`: the municipality's settings edited in the admin UI, stored in the database,
//! applied at once (the registry is rebuilt) and recorded in the audit log without their values.

mod channels;
mod form;
mod network_form;
mod networks;
mod read;

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use rathaus_hub::settings::Section;
use rathaus_store::now_ms;
use serde::Deserialize;

use super::admin::require_admin;
use super::audit::record_change;
use super::auth::StaffSession;
use super::i18n::{Lang, Tr};
use super::view::{self, Chrome};
use crate::AppState;

use form::Group;

const PATH: &str = "/admin/einstellungen";

/// Audit actions (stable, dotted): which section, never its value.
pub const SETTINGS_CHANGED: &str = "settings.changed";
pub const SETTINGS_RESET: &str = "settings.reset";
pub const CHANNEL_SECRET_SET: &str = "channel.secret_set";
/// A publishing network channel added, changed or removed in the admin UI (target `network:<name>`;
/// details name the network and the changed fields, never a value of a secret).
pub const CHANNEL_ADDED: &str = "channel.added";
pub const CHANNEL_CHANGED: &str = "channel.changed";
pub const CHANNEL_REMOVED: &str = "channel.removed";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/einstellungen", get(overview))
        .route("/admin/einstellungen/{section}", get(show).post(save))
        .route("/admin/einstellungen/{section}/zuruecksetzen", post(reset))
        .route("/admin/kanaele", get(channels::show).post(channels::save))
        .route(
            "/admin/kanaele/neu/{kind}",
            get(networks::new_form).post(networks::add),
        )
        .route(
            "/admin/kanaele/netzwerk/{name}",
            get(networks::edit_form).post(networks::change),
        )
        .route(
            "/admin/kanaele/netzwerk/{name}/entfernen",
            post(networks::remove),
        )
}

pub(crate) fn pick(lang: Lang, de: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::De => de,
        Lang::En => en,
    }
}

/// The URL segment and the names of a section.
fn slug_of(section: Section) -> &'static str {
    match section {
        Section::OfficeHours => "oeffnungszeiten",
        Section::ConsultationHours => "sprechstunden",
        Section::ResponseTargets => "antwortzeiten",
        Section::Texts => "texte",
        Section::Keywords => "schluesselwoerter",
        Section::Documents => "dokumente",
    }
}

fn title_of(section: Section, lang: Lang) -> &'static str {
    match section {
        Section::OfficeHours => pick(lang, "Öffnungszeiten", "Office hours"),
        Section::ConsultationHours => pick(lang, "Sprechstunden", "Consultation hours"),
        Section::ResponseTargets => pick(lang, "Antwortzeit-Ziele", "Response-time targets"),
        Section::Texts => pick(lang, "Texte an Bürgerinnen und Bürger", "Texts to citizens"),
        Section::Keywords => pick(lang, "Schlüsselwörter", "Keywords"),
        Section::Documents => pick(
            lang,
            "Texte der Dokumente (Nutzungskonzept, Impressum, Datenschutz)",
            "Document texts (usage concept, imprint, privacy)",
        ),
    }
}

fn section_from_slug(slug: &str) -> Option<Section> {
    Section::ALL.into_iter().find(|s| slug_of(*s) == slug)
}

pub struct SectionRow {
    pub href: String,
    pub title: &'static str,
    pub origin: String,
}

#[derive(Template)]
#[template(path = "settings.html")]
struct OverviewPage {
    tr: Tr,
    chrome: Option<Chrome>,
    flash: Option<String>,
    error: Option<String>,
    heading: &'static str,
    intro: &'static str,
    rows: Vec<SectionRow>,
    channels_link: &'static str,
    col_section: &'static str,
    col_origin: &'static str,
}

#[derive(Template)]
#[template(path = "settings_section.html")]
struct SectionPage {
    tr: Tr,
    chrome: Option<Chrome>,
    flash: Option<String>,
    error: Option<String>,
    heading: &'static str,
    action: String,
    groups: Vec<Group>,
    save_label: &'static str,
    back_label: &'static str,
    origin: String,
    reset_action: Option<String>,
    reset_label: &'static str,
}

/// "from the configuration file" or "changed by … on …" for a section.
fn origin_text(lang: Lang, o: Option<&rathaus_store::SettingsOverride>, tz: &str) -> String {
    match o {
        None => pick(
            lang,
            "aus der Konfigurationsdatei",
            "from the configuration file",
        )
        .into(),
        Some(o) => {
            let when = jiff::Timestamp::from_millisecond(o.changed_at)
                .ok()
                .and_then(|t| jiff::tz::TimeZone::get(tz).ok().map(|z| t.to_zoned(z)))
                .map(|z| z.strftime("%d.%m.%Y %H:%M").to_string())
                .unwrap_or_default();
            let who = o
                .changed_by
                .split_once(' ')
                .map(|(_, email)| email)
                .unwrap_or(&o.changed_by);
            format!(
                "{} {who}, {when}",
                pick(
                    lang,
                    "in der Verwaltung geändert von",
                    "changed in the admin UI by"
                )
            )
        }
    }
}

async fn overrides_of(
    state: &AppState,
    municipality_id: i64,
) -> Result<Vec<rathaus_store::SettingsOverride>, rathaus_store::StoreError> {
    Ok(state
        .store
        .settings_overrides()
        .await?
        .into_iter()
        .filter(|o| o.municipality_id == municipality_id)
        .collect())
}

#[derive(Deserialize)]
pub struct MsgQuery {
    msg: Option<String>,
}

fn flash(lang: Lang, msg: Option<&str>) -> Option<String> {
    match msg? {
        "saved" => Some(
            pick(
                lang,
                "Gespeichert und sofort wirksam.",
                "Saved and in force at once.",
            )
            .into(),
        ),
        "reset" => Some(
            pick(
                lang,
                "Zurückgesetzt: es gilt wieder die Konfigurationsdatei.",
                "Reset: the configuration file applies again.",
            )
            .into(),
        ),
        _ => None,
    }
}

/// `GET /admin/einstellungen`: every section with where its value comes from.
async fn overview(
    State(state): State<AppState>,
    session: StaffSession,
    Query(q): Query<MsgQuery>,
) -> Response {
    let tr = match require_admin(&state, &session, PATH).await {
        Ok(tr) => tr,
        Err(r) => return r,
    };
    let lang = tr.lang;
    let overrides = match overrides_of(&state, session.info.municipality_id).await {
        Ok(o) => o,
        Err(e) => return view::internal_error(tr, &e),
    };
    let (_, tz) = view::municipality(&state, session.info.municipality_id).await;
    let rows = Section::ALL
        .into_iter()
        .map(|s| SectionRow {
            href: format!("{PATH}/{}", slug_of(s)),
            title: title_of(s, lang),
            origin: origin_text(
                lang,
                overrides.iter().find(|o| o.section == s.as_str()),
                &tz,
            ),
        })
        .collect();
    let page = OverviewPage {
        tr,
        chrome: Some(session.chrome(&state, PATH).await),
        flash: flash(lang, q.msg.as_deref()),
        error: None,
        heading: pick(lang, "Einstellungen", "Settings"),
        intro: pick(
            lang,
            "Was hier gespeichert wird, gilt sofort und hat Vorrang vor der Konfigurationsdatei. „Zurücksetzen“ lässt wieder die Datei gelten.",
            "What is saved here applies at once and takes precedence over the configuration file. \"Reset\" lets the file apply again.",
        ),
        rows,
        channels_link: pick(lang, "Kanäle und Zugangsdaten", "Channels and credentials"),
        col_section: pick(lang, "Bereich", "Section"),
        col_origin: pick(lang, "Herkunft", "Source"),
    };
    view::render(StatusCode::OK, &page)
}

/// Renders a section's form, with `values` and `errors` after a refusal.
async fn section_page(
    state: &AppState,
    session: &StaffSession,
    tr: Tr,
    section: Section,
    submitted: Option<(&form::Values, HashMap<String, String>)>,
    flash_msg: Option<String>,
) -> Response {
    let lang = tr.lang;
    let path = format!("{PATH}/{}", slug_of(section));
    let Some(tenant) = state
        .registry
        .current()
        .tenant(session.info.municipality_id)
        .cloned()
    else {
        return view::not_found(tr, Some(session.chrome(state, &path).await));
    };
    let Some(cfg) = state.registry.effective_config(&tenant.settings.slug) else {
        return view::not_found(tr, Some(session.chrome(state, &path).await));
    };
    let overrides = match overrides_of(state, session.info.municipality_id).await {
        Ok(o) => o,
        Err(e) => return view::internal_error(tr, &e),
    };
    let own = overrides.iter().find(|o| o.section == section.as_str());
    let current_values = form::values_of(section, &cfg.settings, &cfg);
    let (values, errors, status) = match &submitted {
        Some((v, e)) => (*v, e.clone(), StatusCode::UNPROCESSABLE_ENTITY),
        None => (&current_values, HashMap::new(), StatusCode::OK),
    };
    let general = errors.get("").cloned();
    let page = SectionPage {
        tr,
        chrome: Some(session.chrome(state, PATH).await),
        flash: flash_msg,
        error: general.or_else(|| {
            (!errors.is_empty()).then(|| {
                pick(
                    lang,
                    "Bitte korrigieren Sie die markierten Felder. Es wurde nichts gespeichert.",
                    "Please correct the marked fields. Nothing was saved.",
                )
                .to_string()
            })
        }),
        heading: title_of(section, lang),
        action: path.clone(),
        groups: form::groups(section, lang, values, &errors, &cfg),
        save_label: pick(lang, "Speichern", "Save"),
        back_label: pick(lang, "Zurück zu den Einstellungen", "Back to the settings"),
        origin: origin_text(lang, own, &tenant.row.timezone),
        reset_action: own.map(|_| format!("{path}/zuruecksetzen")),
        reset_label: pick(
            lang,
            "Zurücksetzen auf die Konfigurationsdatei",
            "Reset to the configuration file",
        ),
    };
    view::render(status, &page)
}

/// `GET /admin/einstellungen/{section}`
async fn show(
    State(state): State<AppState>,
    session: StaffSession,
    Path(slug): Path<String>,
    Query(q): Query<MsgQuery>,
) -> Response {
    let tr = match require_admin(&state, &session, PATH).await {
        Ok(tr) => tr,
        Err(r) => return r,
    };
    let Some(section) = section_from_slug(&slug) else {
        return view::not_found(tr, Some(session.chrome(&state, PATH).await));
    };
    let flash_msg = flash(tr.lang, q.msg.as_deref());
    section_page(&state, &session, tr, section, None, flash_msg).await
}

/// `POST /admin/einstellungen/{section}`: checks the value as the configuration file would be checked;
/// on success stores it, rebuilds the registry and writes the audit entry; on error saves nothing.
async fn save(
    State(state): State<AppState>,
    session: StaffSession,
    Path(slug): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let tr = match require_admin(&state, &session, PATH).await {
        Ok(tr) => tr,
        Err(r) => return r,
    };
    let Some(section) = section_from_slug(&slug) else {
        return view::not_found(tr, Some(session.chrome(&state, PATH).await));
    };
    let values: form::Values = fields.into_iter().collect();
    let registry = state.registry.current();
    let Some(tenant) = registry.tenant(session.info.municipality_id) else {
        return view::not_found(tr, Some(session.chrome(&state, PATH).await));
    };
    let Some(cfg) = state.registry.effective_config(&tenant.settings.slug) else {
        return view::not_found(tr, Some(session.chrome(&state, PATH).await));
    };
    let json = match read::read(section, tr.lang, &values, &cfg.settings, &cfg) {
        Ok(j) => j,
        Err(errors) => {
            return section_page(&state, &session, tr, section, Some((&values, errors)), None).await
        }
    };
    if let Err(message) = state
        .registry
        .check_section(&tenant.settings.slug, section, &json)
    {
        let (field, text) = read::place_error(section, tr.lang, &message);
        let errors = HashMap::from([(field, text)]);
        return section_page(&state, &session, tr, section, Some((&values, errors)), None).await;
    }
    let actor = session.actor();
    let now = now_ms();
    if let Err(e) = state
        .store
        .save_settings_override(tenant.row.id, section.as_str(), &json, &actor.name, now)
        .await
    {
        return view::internal_error(tr, &e);
    }
    record_change(
        &state.store,
        &actor,
        SETTINGS_CHANGED,
        format!("settings:{}", section.as_str()),
        Some(format!("section={}", section.as_str())),
    )
    .await;
    if let Err(e) = state.registry.reload(now).await {
        // Stored: the next check of the settings version (worker round, web watcher) tries again.
        tracing::error!(error = %e, "rebuilding the registry after a settings change failed");
    }
    Redirect::to(&format!("{PATH}/{}?msg=saved", slug_of(section))).into_response()
}

/// `POST /admin/einstellungen/{section}/zuruecksetzen`: the configuration file's value applies again.
async fn reset(
    State(state): State<AppState>,
    session: StaffSession,
    Path(slug): Path<String>,
) -> Response {
    let tr = match require_admin(&state, &session, PATH).await {
        Ok(tr) => tr,
        Err(r) => return r,
    };
    let Some(section) = section_from_slug(&slug) else {
        return view::not_found(tr, Some(session.chrome(&state, PATH).await));
    };
    match state
        .store
        .remove_settings_override(session.info.municipality_id, section.as_str())
        .await
    {
        Ok(true) => {
            record_change(
                &state.store,
                &session.actor(),
                SETTINGS_RESET,
                format!("settings:{}", section.as_str()),
                Some(format!("section={}", section.as_str())),
            )
            .await;
            if let Err(e) = state.registry.reload(now_ms()).await {
                tracing::error!(error = %e, "rebuilding the registry after a settings reset failed");
            }
        }
        Ok(false) => {}
        Err(e) => return view::internal_error(tr, &e),
    }
    Redirect::to(&format!("{PATH}/{}?msg=reset", slug_of(section))).into_response()
}
