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
use rathaus_channels::publish::check::{self, FieldType, Problem};
use rathaus_domain::publishing::PublishKind;
use rathaus_hub::settings::channel_names;
use rathaus_store::{now_ms, NetworkChannelInput, NetworkChannelRecord, StoreError};

use super::{pick, CHANNEL_ADDED, CHANNEL_CHANGED, CHANNEL_REMOVED};
use crate::ui::admin::require_admin;
use crate::ui::audit::record_change;
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

pub struct FormField {
    pub name: &'static str,
    pub label: &'static str,
    /// `text`, `url` or `password`.
    pub input: &'static str,
    pub value: String,
    pub hint: Option<String>,
    pub error: Option<String>,
    pub required: bool,
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

fn kind_label(lang: Lang, kind: PublishKind) -> &'static str {
    match lang {
        Lang::De => kind.label_de(),
        Lang::En => kind.label_en(),
    }
}

fn field_label(lang: Lang, key: &str) -> &'static str {
    match key {
        "name" => pick(lang, "Name des Kanals", "Channel name"),
        "instance" => pick(
            lang,
            "Adresse der Mastodon-Instanz",
            "Mastodon instance address",
        ),
        "pds" => pick(lang, "Adresse des PDS", "PDS address"),
        "handle" => pick(lang, "Handle (Kontoname)", "Handle (account name)"),
        "page_id" => pick(lang, "ID der Facebook-Seite", "Facebook page ID"),
        "user_id" => pick(lang, "ID des Instagram-Kontos", "Instagram account ID"),
        "api_base" => pick(lang, "API-Adresse", "API address"),
        "api_version" => pick(lang, "Graph-API-Version", "Graph API version"),
        "chat" => pick(lang, "Telegram-Kanal", "Telegram channel"),
        "profile_url" => pick(
            lang,
            "Öffentliches Profil (Link im Kanalverzeichnis, freiwillig)",
            "Public profile (link in the channel directory, optional)",
        ),
        "access_token" => pick(lang, "Zugriffstoken (access token)", "Access token"),
        "app_password" => pick(lang, "App-Passwort", "App password"),
        "bot_token" => pick(lang, "Bot-Token", "Bot token"),
        _ => pick(lang, "Feld", "Field"),
    }
}

fn field_hint(lang: Lang, key: &str, kind: FieldType) -> Option<String> {
    let text = match (key, kind) {
        ("name", _) => pick(
            lang,
            "Buchstaben, Ziffern, - und _; so erscheint der Kanal im Beitragsformular. Später nicht änderbar.",
            "Letters, digits, - and _; the composer shows the channel by this name. Cannot be changed later.",
        ),
        ("instance", _) => pick(lang, "z. B. https://bawü.social", "e.g. https://bawü.social"),
        (_, FieldType::Chat) => pick(
            lang,
            "@name des Kanals oder seine numerische Chat-ID (-100…); der Bot muss dort Administrator sein.",
            "The channel's @name or its numeric chat id (-100…); the bot must be an administrator there.",
        ),
        (_, FieldType::Handle) => pick(lang, "z. B. musterstadt.bsky.social", "e.g. musterstadt.bsky.social"),
        (_, FieldType::NumericId) => pick(lang, "Nur Ziffern.", "Digits only."),
        _ => return None,
    };
    Some(text.into())
}

/// The admin's words for a refusal of the shared check.
pub fn problem_text(lang: Lang, problem: Problem) -> String {
    match problem {
        Problem::Missing => pick(lang, "Bitte ausfüllen.", "Please fill in."),
        Problem::NotWebAddress => pick(
            lang,
            "Bitte eine Webadresse angeben, die mit https:// (oder http://) beginnt.",
            "Please give a web address starting with https:// (or http://).",
        ),
        Problem::HasSpaces => pick(
            lang,
            "Darf keine Leerzeichen enthalten.",
            "Must not contain spaces.",
        ),
        Problem::TooLong => pick(lang, "Zu lang.", "Too long."),
        Problem::BadName => pick(
            lang,
            "Nur Buchstaben, Ziffern, - und _ (höchstens 64 Zeichen).",
            "Only letters, digits, - and _ (at most 64 characters).",
        ),
        Problem::ReservedName => pick(
            lang,
            "„website“ ist die eigene Nachrichtenseite; bitte einen anderen Namen wählen.",
            "\"website\" is the town's own news page; please choose another name.",
        ),
        Problem::Duplicate => pick(
            lang,
            "Diesen Namen trägt schon ein anderer Kanal dieser Kommune.",
            "Another channel of this municipality already has this name.",
        ),
        Problem::BadChat => pick(
            lang,
            "Bitte den @Namen des Kanals oder seine numerische Chat-ID (-100…) angeben.",
            "Please give the channel's @name or its numeric chat id (-100…).",
        ),
        Problem::BadVersion => pick(
            lang,
            "Bitte eine Graph-API-Version wie v23.0 angeben.",
            "Please give a Graph API version like v23.0.",
        ),
        Problem::NotNumeric => pick(
            lang,
            "Bitte die numerische ID angeben.",
            "Please give the numeric id.",
        ),
    }
    .into()
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
    let file = state.registry.file_configs();
    let mut rows: Vec<NetworkRow> = file
        .iter()
        .find(|cfg| cfg.settings.slug == slug)
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
        if !in_force.contains(&r.name) {
            origin.push_str(pick(
                lang,
                " — nicht in Kraft: der Name ist in der Konfigurationsdatei vergeben",
                " — not in force: the configuration file uses the name",
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

/// The form's fields for a network: name (new channels only), its fields, profile, secret.
fn form_fields(
    lang: Lang,
    kind: PublishKind,
    is_new: bool,
    values: &BTreeMap<String, String>,
    errors: &HashMap<&'static str, String>,
    secret_state: Option<String>,
) -> Vec<FormField> {
    let value = |key: &str| values.get(key).cloned().unwrap_or_default();
    let mut out = Vec::new();
    if is_new {
        out.push(FormField {
            name: "name",
            label: field_label(lang, "name"),
            input: "text",
            value: value("name"),
            hint: field_hint(lang, "name", FieldType::Handle),
            error: errors.get("name").cloned(),
            required: true,
        });
    }
    for f in check::fields(kind) {
        let hint = field_hint(lang, f.key, f.kind).or_else(|| {
            f.default.map(|d| match lang {
                Lang::De => format!("Üblich: {d}"),
                Lang::En => format!("Usually: {d}"),
            })
        });
        out.push(FormField {
            name: f.key,
            label: field_label(lang, f.key),
            input: if f.kind == FieldType::WebAddress {
                "url"
            } else {
                "text"
            },
            value: values
                .get(f.key)
                .cloned()
                .or_else(|| f.default.map(String::from))
                .unwrap_or_default(),
            hint,
            error: errors.get(f.key).cloned(),
            required: true,
        });
    }
    out.push(FormField {
        name: "profile_url",
        label: field_label(lang, "profile_url"),
        input: "url",
        value: value("profile_url"),
        hint: None,
        error: errors.get("profile_url").cloned(),
        required: false,
    });
    let secret = check::secret_field(kind);
    out.push(FormField {
        name: secret,
        label: field_label(lang, secret),
        input: "password",
        value: String::new(),
        hint: Some(match secret_state {
            Some(s) => s,
            None => pick(
                lang,
                "Wird verschlüsselt gespeichert und nie wieder angezeigt, nur seine letzten vier Zeichen.",
                "Stored encrypted and never shown again, only its last four characters.",
            )
            .into(),
        }),
        error: errors.get(secret).cloned(),
        required: is_new,
    });
    out
}

#[allow(clippy::too_many_arguments)]
async fn render_form(
    state: &AppState,
    session: &StaffSession,
    tr: Tr,
    kind: PublishKind,
    existing: Option<&NetworkChannelRecord>,
    submitted: Option<Submitted<'_>>,
    secret_state: Option<String>,
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
            secret_state,
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

/// The fields and profile of a submitted form, checked with the configuration file's check; the
/// fields as stored (JSON, defaults filled in) and the profile. `secret`: the value to build the
/// channel with (the stored one when the field was left empty on a change).
fn checked(
    lang: Lang,
    kind: PublishKind,
    name: &str,
    values: &BTreeMap<String, String>,
    secret: &str,
) -> Result<(String, Option<String>), HashMap<&'static str, String>> {
    let mut errors = HashMap::new();
    let profile = values
        .get("profile_url")
        .map(|v| v.trim())
        .filter(|v| !v.is_empty());
    if let Some(p) = profile {
        if let Err(problem) = check::check_web_address(p) {
            errors.insert("profile_url", problem_text(lang, problem));
        }
    }
    match check::from_fields(kind, name, values, secret) {
        Ok(network) if errors.is_empty() => {
            let fields: BTreeMap<&str, String> =
                check::field_values(&network).into_iter().collect();
            let json = serde_json::to_string(&fields).unwrap_or_default();
            Ok((json, profile.map(String::from)))
        }
        Ok(_) => Err(errors),
        Err(refused) => {
            for e in refused {
                errors
                    .entry(e.field)
                    .or_insert_with(|| problem_text(lang, e.problem));
            }
            Err(errors)
        }
    }
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
    render_form(&state, &session, tr, kind, None, None, None).await
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
                None,
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
        secret: Some((secret_key, secret)),
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
                None,
            )
            .await;
        }
        Err(e) => return view::internal_error(tr, &e),
    }
    record_change(
        &state.store,
        &actor,
        CHANNEL_ADDED,
        format!("network:{name}"),
        Some(format!("kind={}", kind.as_str())),
    )
    .await;
    if let Err(e) = state.registry.reload(now).await {
        // Stored: the next check of the settings version (worker round, web watcher) tries again.
        tracing::error!(error = %e, "rebuilding the registry after adding a channel failed");
    }
    Redirect::to(&format!("{PATH}?msg=added")).into_response()
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

/// The stored secret of a channel added in the admin UI, if any.
async fn stored_secret(
    state: &AppState,
    municipality_id: i64,
    name: &str,
    kind: PublishKind,
) -> Result<Option<String>, StoreError> {
    let secret_key = check::secret_field(kind);
    Ok(state
        .store
        .network_secrets()
        .await?
        .into_iter()
        .find(|s| {
            s.municipality_id == municipality_id && s.channel_name == name && s.name == secret_key
        })
        .map(|s| s.value))
}

fn secret_state(lang: Lang, secret: Option<&str>) -> Option<String> {
    let s = secret?;
    let chars: Vec<char> = s.chars().collect();
    let last4: String = chars[chars.len().saturating_sub(4)..].iter().collect();
    Some(format!(
        "{} …{last4}",
        pick(lang, "Gespeichert, endet auf", "Stored, ends in")
    ))
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
    let (record, kind) = match find(&state, municipality_id, &name).await {
        Ok(Some(found)) => found,
        Ok(None) => return view::not_found(tr, Some(session.chrome(&state, PATH).await)),
        Err(e) => return view::internal_error(tr, &e),
    };
    let secret = match stored_secret(&state, municipality_id, &name, kind).await {
        Ok(s) => s,
        Err(e) => return view::internal_error(tr, &e),
    };
    let lang = tr.lang;
    render_form(
        &state,
        &session,
        tr,
        kind,
        Some(&record),
        None,
        secret_state(lang, secret.as_deref()),
    )
    .await
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
    let (record, kind) = match find(&state, municipality_id, &name).await {
        Ok(Some(found)) => found,
        Ok(None) => return view::not_found(tr, Some(session.chrome(&state, PATH).await)),
        Err(e) => return view::internal_error(tr, &e),
    };
    let stored = match stored_secret(&state, municipality_id, &name, kind).await {
        Ok(s) => s,
        Err(e) => return view::internal_error(tr, &e),
    };
    let values: BTreeMap<String, String> = fields.into_iter().collect();
    let secret_key = check::secret_field(kind);
    let entered = values
        .get(secret_key)
        .map(|v| v.trim())
        .filter(|v| !v.is_empty());
    let secret = entered.or(stored.as_deref()).unwrap_or_default();
    let (json, profile) = match checked(lang, kind, &name, &values, secret) {
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
                secret_state(lang, stored.as_deref()),
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
    if entered.is_some_and(|e| Some(e) != stored.as_deref()) {
        changed.push(secret_key);
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
        secret: entered.map(|e| (secret_key, e)),
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
    record_change(
        &state.store,
        &actor,
        CHANNEL_CHANGED,
        format!("network:{name}"),
        Some(format!(
            "kind={}; changed={}",
            kind.as_str(),
            changed.join(",")
        )),
    )
    .await;
    if let Err(e) = state.registry.reload(now).await {
        tracing::error!(error = %e, "rebuilding the registry after changing a channel failed");
    }
    Redirect::to(&format!("{PATH}?msg=saved")).into_response()
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
    let kind = match find(&state, municipality_id, &name).await {
        Ok(Some((_, kind))) => kind,
        Ok(None) => return view::not_found(tr, Some(session.chrome(&state, PATH).await)),
        Err(e) => return view::internal_error(tr, &e),
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
    record_change(
        &state.store,
        &session.actor(),
        CHANNEL_REMOVED,
        format!("network:{name}"),
        Some(format!("kind={}", kind.as_str())),
    )
    .await;
    if let Err(e) = state.registry.reload(now_ms()).await {
        tracing::error!(error = %e, "rebuilding the registry after removing a channel failed");
    }
    Redirect::to(&format!("{PATH}?msg=removed")).into_response()
}
