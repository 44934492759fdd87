//! `/admin/kanaele/…`: publishing network channels (Mastodon, Bluesky, …) added, changed and removed in
//! the admin UI — checked like the configuration file's, secret sealed, in force at once, audited.
//!
//! Channels from the configuration file are listed but not edited here (only their secret, on the
//! credentials form); a new channel may not take a name any channel of the municipality already has.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use rathaus_channels::publish::check::{self, Problem};
use rathaus_domain::publishing::PublishKind;
use rathaus_hub::settings::channel_names;
use rathaus_store::{now_ms, NetworkChannelInput, NetworkChannelRecord, StoreError};

use super::network_form::{checked, form_fields, kind_label, problem_text, FormField};
use super::{pick, CHANNEL_ADDED, CHANNEL_CHANGED, CHANNEL_REMOVED};
use crate::ui::admin::require_admin;
use crate::ui::audit::{record_change, Actor};
use crate::ui::auth::StaffSession;
use crate::ui::i18n::{Lang, Tr};
use crate::ui::view::{self, Chrome};
use crate::AppState;

const PATH: &str = "/admin/kanaele";

/// A network channel in the list on `/admin/kanaele`.
pub struct NetworkRow {
    pub title: String,
    pub origin: String,
    pub edit_href: Option<String>,
}

/// A link to the form for adding a channel of one network.
pub struct AddLink {
    pub href: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "settings_network.html")]
struct NetworkPage {
    tr: Tr,
    chrome: Option<Chrome>,
    flash: Option<String>,
    error: Option<String>,
    heading: String,
    back_label: &'static str,
    intro: Option<String>,
    action: String,
    fields: Vec<FormField>,
    save_label: &'static str,
    remove_action: Option<String>,
    remove_hint: &'static str,
    remove_label: &'static str,
}

/// This municipality's network channels added in the admin UI.
async fn records_of(
    state: &AppState,
    municipality_id: i64,
) -> Result<Vec<NetworkChannelRecord>, StoreError> {
    Ok(state
        .store
        .network_channels()
        .await?
        .into_iter()
        .filter(|c| c.municipality_id == municipality_id)
        .collect())
}

/// The network channels listed on `/admin/kanaele` (file first, then the admin UI's) and the links to
/// add one.
pub async fn list(
    state: &AppState,
    municipality_id: i64,
    slug: &str,
    lang: Lang,
) -> Result<(Vec<NetworkRow>, Vec<AddLink>), StoreError> {
    let from_file = pick(
        lang,
        "aus der Konfigurationsdatei",
        "from the configuration file",
    );
    let file = state
        .registry
        .file_configs()
        .iter()
        .find(|cfg| cfg.settings.slug == slug);
    // Every name the file gives a channel (messengers included): it wins over the admin UI's.
    let file_names = file.map(channel_names).unwrap_or_default();
    let mut rows: Vec<NetworkRow> = file
        .map(|cfg| cfg.networks.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|n| NetworkRow {
            title: format!("{} „{}“", kind_label(lang, n.kind()), n.name()),
            origin: from_file.into(),
            edit_href: None,
        })
        .collect();
    let in_force: Vec<String> = state
        .registry
        .effective_config(slug)
        .map(|c| c.networks.iter().map(|n| n.name()).collect())
        .unwrap_or_default();
    for r in records_of(state, municipality_id).await? {
        let kind = PublishKind::parse(&r.kind);
        let who = r
            .changed_by
            .split_once(' ')
            .map(|(_, email)| email)
            .unwrap_or(&r.changed_by);
        let mut origin = format!(
            "{} {who}",
            pick(
                lang,
                "in der Verwaltung angelegt, zuletzt von",
                "added in the admin UI, last by"
            ),
        );
        if file_names.contains(&r.name) {
            origin.push_str(pick(
                lang,
                " — nicht in Kraft: der Name ist in der Konfigurationsdatei vergeben",
                " — not in force: the configuration file uses the name",
            ));
        } else if !in_force.contains(&r.name) {
            origin.push_str(pick(
                lang,
                " — nicht in Kraft: bitte die Angaben prüfen und neu speichern",
                " — not in force: please check the details and save again",
            ));
        }
        rows.push(NetworkRow {
            title: format!(
                "{} „{}“",
                kind.map(|k| kind_label(lang, k)).unwrap_or(r.kind.as_str()),
                r.name
            ),
            origin,
            edit_href: Some(format!("{PATH}/netzwerk/{}", r.name)),
        });
    }
    let links = PublishKind::ALL
        .into_iter()
        .map(|k| AddLink {
            href: format!("{PATH}/neu/{}", k.as_str()),
            label: match lang {
                Lang::De => format!("{} hinzufügen", k.label_de()),
                Lang::En => format!("Add a {} channel", k.label_en()),
            },
        })
        .collect();
    Ok((rows, links))
}

/// What the form holds: the submitted values (secret never echoed) and the refusals by field.
struct Submitted<'a> {
    values: &'a BTreeMap<String, String>,
    errors: HashMap<&'static str, String>,
}

#[allow(clippy::too_many_arguments)]
async fn render_form(
    state: &AppState,
    session: &StaffSession,
    tr: Tr,
    kind: PublishKind,
    existing: Option<&NetworkChannelRecord>,
    submitted: Option<Submitted<'_>>,
    stored_secrets: &BTreeMap<String, String>,
) -> Response {
    let lang = tr.lang;
    let stored: BTreeMap<String, String> = match existing {
        Some(r) => {
            let mut v: BTreeMap<String, String> =
                serde_json::from_str(&r.fields_json).unwrap_or_default();
            if let Some(p) = &r.profile_url {
                v.insert("profile_url".into(), p.clone());
            }
            v
        }
        None => BTreeMap::new(),
    };
    let (values, errors, status) = match &submitted {
        Some(s) => (s.values, s.errors.clone(), StatusCode::UNPROCESSABLE_ENTITY),
        None => (&stored, HashMap::new(), StatusCode::OK),
    };
    let (heading, action, remove_action, intro) = match existing {
        None => (
            match lang {
                Lang::De => format!("{} hinzufügen", kind.label_de()),
                Lang::En => format!("Add a {} channel", kind.label_en()),
            },
            format!("{PATH}/neu/{}", kind.as_str()),
            None,
            None,
        ),
        Some(r) => (
            format!("{} „{}“", kind_label(lang, kind), r.name),
            format!("{PATH}/netzwerk/{}", r.name),
            Some(format!("{PATH}/netzwerk/{}/entfernen", r.name)),
            Some(
                pick(
                    lang,
                    "Leeres Geheimnis-Feld: das gespeicherte bleibt. Änderungen gelten sofort.",
                    "Empty secret field: the stored one stays. Changes apply at once.",
                )
                .to_string(),
            ),
        ),
    };
    let page = NetworkPage {
        chrome: Some(session.chrome(state, super::PATH).await),
        flash: None,
        error: (!errors.is_empty()).then(|| {
            pick(
                lang,
                "Bitte korrigieren Sie die markierten Felder. Es wurde nichts gespeichert.",
                "Please correct the marked fields. Nothing was saved.",
            )
            .to_string()
        }),
        heading,
        back_label: pick(lang, "Zurück zu den Kanälen", "Back to the channels"),
        intro,
        action,
        fields: form_fields(
            lang,
            kind,
            existing.is_none(),
            values,
            &errors,
            stored_secrets,
        ),
        save_label: pick(lang, "Speichern", "Save"),
        remove_action,
        remove_hint: pick(
            lang,
            "Entfernen: Beiträge, die schon über diesen Kanal erschienen sind, behalten ihr Ergebnis; noch wartende Veröffentlichungen enden mit einem Hinweis.",
            "Remove: posts already published through this channel keep their result; publications still waiting end with a note.",
        ),
        remove_label: pick(lang, "Kanal entfernen", "Remove channel"),
        tr,
    };
    view::render(status, &page)
}

fn kind_of(slug: &str) -> Option<PublishKind> {
    PublishKind::parse(slug)
}

/// `GET /admin/kanaele/neu/{kind}`
pub async fn new_form(
    State(state): State<AppState>,
    session: StaffSession,
    Path(kind): Path<String>,
) -> Response {
    let tr = match require_admin(&state, &session, PATH).await {
        Ok(tr) => tr,
        Err(r) => return r,
    };
    let Some(kind) = kind_of(&kind) else {
        return view::not_found(tr, Some(session.chrome(&state, PATH).await));
    };
    render_form(&state, &session, tr, kind, None, None, &BTreeMap::new()).await
}

/// `POST /admin/kanaele/neu/{kind}`: checks like the configuration file, refuses a name any channel of
/// the municipality has, stores the channel with its sealed secret, rebuilds the registry, audits.
pub async fn add(
    State(state): State<AppState>,
    session: StaffSession,
    Path(kind): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let tr = match require_admin(&state, &session, PATH).await {
        Ok(tr) => tr,
        Err(r) => return r,
    };
    let lang = tr.lang;
    let Some(kind) = kind_of(&kind) else {
        return view::not_found(tr, Some(session.chrome(&state, PATH).await));
    };
    let registry = state.registry.current();
    let Some(tenant) = registry.tenant(session.info.municipality_id) else {
        return view::not_found(tr, Some(session.chrome(&state, PATH).await));
    };
    let values: BTreeMap<String, String> = fields.into_iter().collect();
    let name = values.get("name").map(|v| v.trim()).unwrap_or_default();
    let secret_key = check::secret_field(kind);
    let secret = values.get(secret_key).map(|v| v.trim()).unwrap_or_default();
    let mut result = checked(lang, kind, name, &values, secret);
    // Unique across the municipality's channels: in force (file, messengers, admin UI) and stored.
    let stored = match records_of(&state, tenant.row.id).await {
        Ok(r) => r,
        Err(e) => return view::internal_error(tr, &e),
    };
    let mut taken = state
        .registry
        .effective_config(&tenant.row.slug)
        .map(|c| channel_names(&c))
        .unwrap_or_default();
    taken.extend(stored.into_iter().map(|r| r.name));
    if check::check_name(name).is_ok() {
        if let Err(problem) = check::check_unique(name, taken.iter().map(String::as_str)) {
            let text = problem_text(lang, problem);
            match &mut result {
                Ok(_) => result = Err(HashMap::from([("name", text)])),
                Err(errors) => {
                    errors.insert("name", text);
                }
            }
        }
    }
    let refused = |errors| Submitted {
        values: &values,
        errors,
    };
    let (json, profile) = match result {
        Ok(ok) => ok,
        Err(errors) => {
            return render_form(
                &state,
                &session,
                tr,
                kind,
                None,
                Some(refused(errors)),
                &BTreeMap::new(),
            )
            .await
        }
    };
    let actor = session.actor();
    let now = now_ms();
    let input = NetworkChannelInput {
        municipality_id: tenant.row.id,
        name,
        kind: kind.as_str(),
        fields_json: &json,
        profile_url: profile.as_deref(),
        secrets: entered_secrets(kind, &values),
    };
    match state
        .store
        .add_network_channel(&input, &actor.name, now)
        .await
    {
        Ok(true) => {}
        Ok(false) => {
            // Added by someone else a moment ago.
            let errors = HashMap::from([("name", problem_text(lang, Problem::Duplicate))]);
            return render_form(
                &state,
                &session,
                tr,
                kind,
                None,
                Some(refused(errors)),
                &BTreeMap::new(),
            )
            .await;
        }
        Err(e) => return view::internal_error(tr, &e),
    }
    let details = format!("kind={}", kind.as_str());
    in_force(&state, &actor, CHANNEL_ADDED, name, details, now, "added").await
}

/// The stored channel of this municipality named `name`, with its kind.
async fn find(
    state: &AppState,
    municipality_id: i64,
    name: &str,
) -> Result<Option<(NetworkChannelRecord, PublishKind)>, StoreError> {
    Ok(records_of(state, municipality_id)
        .await?
        .into_iter()
        .find(|r| r.name == name)
        .and_then(|r| PublishKind::parse(&r.kind).map(|k| (r, k))))
}

/// The stored channel of the session's municipality named `name` with its kind, or the page to answer
/// with instead: not found, or the error reading it.
async fn found(
    state: &AppState,
    session: &StaffSession,
    tr: Tr,
    name: &str,
) -> Result<(NetworkChannelRecord, PublishKind), Response> {
    match find(state, session.info.municipality_id, name).await {
        Ok(Some(found)) => Ok(found),
        Ok(None) => Err(view::not_found(tr, Some(session.chrome(state, PATH).await))),
        Err(e) => Err(view::internal_error(tr, &e)),
    }
}

/// After a stored change to channel `name`: audits it as `action` with `details` (never a secret's
/// value), rebuilds the registry so it is in force at once, and goes back to the list saying `msg`.
async fn in_force(
    state: &AppState,
    actor: &Actor,
    action: &str,
    name: &str,
    details: String,
    now: i64,
    msg: &str,
) -> Response {
    record_change(
        &state.store,
        actor,
        action,
        format!("network:{name}"),
        Some(details),
    )
    .await;
    if let Err(e) = state.registry.reload(now).await {
        // Stored: the next check of the settings version (worker round, web watcher) tries again.
        tracing::error!(error = %e, action, "rebuilding the registry after a channel change failed");
    }
    Redirect::to(&format!("{PATH}?msg={msg}")).into_response()
}

/// The stored secrets of a channel added in the admin UI, by name.
async fn stored_secrets(
    state: &AppState,
    municipality_id: i64,
    name: &str,
) -> Result<BTreeMap<String, String>, StoreError> {
    Ok(state
        .store
        .network_secrets()
        .await?
        .into_iter()
        .filter(|s| s.municipality_id == municipality_id && s.channel_name == name)
        .map(|s| (s.name, s.value))
        .collect())
}

/// The secrets entered in the form (main and further ones), trimmed; empty fields are left out.
fn entered_secrets(
    kind: PublishKind,
    values: &BTreeMap<String, String>,
) -> Vec<(&'static str, &str)> {
    std::iter::once(check::secret_field(kind))
        .chain(check::extra_secret_fields(kind).iter().copied())
        .filter_map(|key| {
            values
                .get(key)
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
                .map(|v| (key, v))
        })
        .collect()
}

/// `GET /admin/kanaele/netzwerk/{name}`
pub async fn edit_form(
    State(state): State<AppState>,
    session: StaffSession,
    Path(name): Path<String>,
) -> Response {
    let tr = match require_admin(&state, &session, PATH).await {
        Ok(tr) => tr,
        Err(r) => return r,
    };
    let municipality_id = session.info.municipality_id;
    let (record, kind) = match found(&state, &session, tr, &name).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let secrets = match stored_secrets(&state, municipality_id, &name).await {
        Ok(s) => s,
        Err(e) => return view::internal_error(tr, &e),
    };
    render_form(&state, &session, tr, kind, Some(&record), None, &secrets).await
}

/// `POST /admin/kanaele/netzwerk/{name}`: the channel's fields, profile and (when given) secret.
pub async fn change(
    State(state): State<AppState>,
    session: StaffSession,
    Path(name): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let tr = match require_admin(&state, &session, PATH).await {
        Ok(tr) => tr,
        Err(r) => return r,
    };
    let lang = tr.lang;
    let municipality_id = session.info.municipality_id;
    let (record, kind) = match found(&state, &session, tr, &name).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let stored = match stored_secrets(&state, municipality_id, &name).await {
        Ok(s) => s,
        Err(e) => return view::internal_error(tr, &e),
    };
    let values: BTreeMap<String, String> = fields.into_iter().collect();
    let secret_key = check::secret_field(kind);
    let entered = entered_secrets(kind, &values);
    // A secret field left empty keeps the stored secret; the channel is checked as it would be.
    let mut with_stored = values.clone();
    for key in check::extra_secret_fields(kind) {
        if !entered.iter().any(|(k, _)| k == key) {
            if let Some(v) = stored.get(*key) {
                with_stored.insert((*key).to_string(), v.clone());
            }
        }
    }
    let secret = entered
        .iter()
        .find(|(k, _)| *k == secret_key)
        .map(|(_, v)| *v)
        .or(stored.get(secret_key).map(String::as_str))
        .unwrap_or_default();
    let (json, profile) = match checked(lang, kind, &name, &with_stored, secret) {
        Ok(ok) => ok,
        Err(errors) => {
            let submitted = Submitted {
                values: &values,
                errors,
            };
            return render_form(
                &state,
                &session,
                tr,
                kind,
                Some(&record),
                Some(submitted),
                &stored,
            )
            .await;
        }
    };
    // Which fields changed, by name only (never a secret's value).
    let before: BTreeMap<String, String> =
        serde_json::from_str(&record.fields_json).unwrap_or_default();
    let after: BTreeMap<String, String> = serde_json::from_str(&json).unwrap_or_default();
    let mut changed: Vec<&str> = check::fields(kind)
        .iter()
        .filter(|f| before.get(f.key) != after.get(f.key))
        .map(|f| f.key)
        .collect();
    if record.profile_url != profile {
        changed.push("profile_url");
    }
    for (key, value) in &entered {
        if stored.get(*key).map(String::as_str) != Some(*value) {
            changed.push(key);
        }
    }
    if changed.is_empty() {
        return Redirect::to(&format!("{PATH}?msg=saved")).into_response();
    }
    let actor = session.actor();
    let now = now_ms();
    let input = NetworkChannelInput {
        municipality_id,
        name: &name,
        kind: kind.as_str(),
        fields_json: &json,
        profile_url: profile.as_deref(),
        secrets: entered,
    };
    match state
        .store
        .change_network_channel(&input, &actor.name, now)
        .await
    {
        Ok(true) => {}
        // Removed by someone else a moment ago.
        Ok(false) => return view::not_found(tr, Some(session.chrome(&state, PATH).await)),
        Err(e) => return view::internal_error(tr, &e),
    }
    let details = format!("kind={}; changed={}", kind.as_str(), changed.join(","));
    in_force(
        &state,
        &actor,
        CHANNEL_CHANGED,
        &name,
        details,
        now,
        "saved",
    )
    .await
}

/// `POST /admin/kanaele/netzwerk/{name}/entfernen`: posts keep their results for the channel (they
/// record its name); jobs still queued for it end with a note once the registry no longer has it.
pub async fn remove(
    State(state): State<AppState>,
    session: StaffSession,
    Path(name): Path<String>,
) -> Response {
    let tr = match require_admin(&state, &session, PATH).await {
        Ok(tr) => tr,
        Err(r) => return r,
    };
    let municipality_id = session.info.municipality_id;
    let kind = match found(&state, &session, tr, &name).await {
        Ok((_, kind)) => kind,
        Err(r) => return r,
    };
    match state
        .store
        .remove_network_channel(municipality_id, &name)
        .await
    {
        Ok(true) => {}
        Ok(false) => return view::not_found(tr, Some(session.chrome(&state, PATH).await)),
        Err(e) => return view::internal_error(tr, &e),
    }
    let details = format!("kind={}", kind.as_str());
    in_force(
        &state,
        &session.actor(),
        CHANNEL_REMOVED,
        &name,
        details,
        now_ms(),
        "removed",
    )
    .await
}
