//! `/admin/kanaele`: channel credentials entered in the admin UI — sealed at rest, never shown again
//! (only their last four characters), never in logs or audit details — and the list of publishing
//! channels with the links to add one (the forms are in `networks.rs`).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use rathaus_hub::settings::{network_secret_name, secret_names};
use rathaus_store::now_ms;

use super::{pick, MsgQuery, CHANNEL_SECRET_SET};
use crate::ui::admin::require_admin;
use crate::ui::audit::record_change;
use crate::ui::auth::StaffSession;
use crate::ui::i18n::{Lang, Tr};
use crate::ui::view::{self, Chrome};
use crate::AppState;

const PATH: &str = "/admin/kanaele";
/// Field names of publishing network channels start with this: `network:<channel name>.<secret>`.
const NETWORK_PREFIX: &str = "network:";
/// Longer than any platform token; keeps a pasted document out of the database.
const MAX_SECRET_CHARS: usize = 2048;

pub struct SecretField {
    pub name: String,
    pub label: &'static str,
    pub state: String,
    pub error: Option<String>,
}

pub struct ChannelBlock {
    pub title: String,
    pub fields: Vec<SecretField>,
}

#[derive(Template)]
#[template(path = "settings_channels.html")]
struct ChannelsPage {
    tr: Tr,
    chrome: Option<Chrome>,
    flash: Option<String>,
    error: Option<String>,
    heading: &'static str,
    intro: &'static str,
    blocks: Vec<ChannelBlock>,
    save_label: &'static str,
    networks_heading: &'static str,
    networks_intro: &'static str,
    networks: Vec<super::networks::NetworkRow>,
    add_heading: &'static str,
    add_links: Vec<super::networks::AddLink>,
}

fn label(lang: Lang, name: &str) -> &'static str {
    match name {
        "access_token" => pick(lang, "Zugriffstoken (access token)", "Access token"),
        "app_secret" => pick(lang, "App-Geheimnis (app secret)", "App secret"),
        "bot_token" => pick(lang, "Bot-Token", "Bot token"),
        "app_password" => pick(lang, "App-Passwort", "App password"),
        _ => pick(lang, "Webhook-Geheimnis", "Webhook secret"),
    }
}

async fn page(
    state: &AppState,
    session: &StaffSession,
    tr: Tr,
    status: StatusCode,
    flash: Option<String>,
    errors: HashMap<String, String>,
) -> Response {
    let lang = tr.lang;
    let secrets = match state.store.channel_secrets().await {
        Ok(s) => s,
        Err(e) => return view::internal_error(tr, &e),
    };
    let registry = state.registry.current();
    let Some(tenant) = registry.tenant(session.info.municipality_id) else {
        return view::not_found(tr, Some(session.chrome(state, PATH).await));
    };
    let network_secrets = match state.store.network_secrets().await {
        Ok(s) => s,
        Err(e) => return view::internal_error(tr, &e),
    };
    let state_text = |last4: Option<String>| match last4 {
        Some(last4) => format!(
            "{} …{last4}",
            pick(
                lang,
                "in der Verwaltung gesetzt, endet auf",
                "set in the admin UI, ends in"
            ),
        ),
        None => pick(
            lang,
            "aus der Konfigurationsdatei",
            "from the configuration file",
        )
        .into(),
    };
    let mut blocks: Vec<ChannelBlock> = tenant
        .channels
        .iter()
        .map(|c| ChannelBlock {
            title: format!("{} „{}“", c.row.kind.as_str(), c.row.name),
            fields: secret_names(c.row.kind)
                .iter()
                .map(|name| {
                    let set = secrets
                        .iter()
                        .find(|s| s.channel_id == c.row.id && s.name == *name);
                    let state = state_text(set.map(|s| s.last4()));
                    let key = format!("{}.{name}", c.row.id);
                    SecretField {
                        error: errors.get(&key).cloned(),
                        name: key,
                        label: label(lang, name),
                        state,
                    }
                })
                .collect(),
        })
        .collect();
    // Publishing networks exist only in the configuration file; keyed by channel name.
    let file = state.registry.file_configs();
    let networks = file
        .iter()
        .find(|cfg| cfg.settings.slug == tenant.row.slug)
        .map(|cfg| cfg.networks.as_slice())
        .unwrap_or_default();
    for n in networks {
        let channel_name = n.name();
        let name = network_secret_name(n);
        let set = network_secrets.iter().find(|s| {
            s.municipality_id == tenant.row.id && s.channel_name == channel_name && s.name == name
        });
        let key = format!("{NETWORK_PREFIX}{channel_name}.{name}");
        blocks.push(ChannelBlock {
            title: format!("{} „{channel_name}“", n.kind().as_str()),
            fields: vec![SecretField {
                error: errors.get(&key).cloned(),
                name: key,
                label: label(lang, name),
                state: state_text(set.map(|s| s.last4())),
            }],
        });
    }
    let (networks, add_links) =
        match super::networks::list(state, tenant.row.id, &tenant.row.slug, lang).await {
            Ok(l) => l,
            Err(e) => return view::internal_error(tr, &e),
        };
    let error = (!errors.is_empty()).then(|| {
        pick(
            lang,
            "Bitte korrigieren Sie die markierten Felder. Es wurde nichts gespeichert.",
            "Please correct the marked fields. Nothing was saved.",
        )
        .to_string()
    });
    let page = ChannelsPage {
        tr,
        chrome: Some(session.chrome(state, super::PATH).await),
        flash,
        error,
        heading: pick(lang, "Kanäle und Zugangsdaten", "Channels and credentials"),
        intro: pick(
            lang,
            "Neue Zugangsdaten ersetzen die aus der Konfigurationsdatei. Sie werden verschlüsselt gespeichert und nie wieder angezeigt, nur ihre letzten vier Zeichen. Leere Felder bleiben unverändert.",
            "New credentials replace those from the configuration file. They are stored encrypted and never shown again, only their last four characters. Empty fields stay unchanged.",
        ),
        blocks,
        save_label: pick(lang, "Speichern", "Save"),
        networks_heading: pick(lang, "Veröffentlichungskanäle", "Publishing channels"),
        networks_intro: pick(
            lang,
            "Kanäle aus der Konfigurationsdatei werden dort geändert (ihr Geheimnis auch oben). In der Verwaltung angelegte Kanäle gelten sofort und stehen gleich im Beitragsformular zur Wahl.",
            "Channels from the configuration file are changed there (their secret also above). Channels added in the admin UI apply at once and are offered in the composer right away.",
        ),
        networks,
        add_heading: pick(lang, "Kanal hinzufügen", "Add a channel"),
        add_links,
    };
    view::render(status, &page)
}

/// `GET /admin/kanaele`
pub async fn show(
    State(state): State<AppState>,
    session: StaffSession,
    Query(q): Query<MsgQuery>,
) -> Response {
    let tr = match require_admin(&state, &session, PATH).await {
        Ok(tr) => tr,
        Err(r) => return r,
    };
    let flash = match q.msg.as_deref() {
        Some("saved") => Some(pick(
            tr.lang,
            "Gespeichert und sofort wirksam.",
            "Saved and in force at once.",
        )),
        Some("added") => Some(pick(
            tr.lang,
            "Kanal angelegt und sofort im Beitragsformular wählbar.",
            "Channel added and offered in the composer at once.",
        )),
        Some("removed") => Some(pick(
            tr.lang,
            "Kanal entfernt. Frühere Ergebnisse bleiben bei den Beiträgen sichtbar.",
            "Channel removed. Earlier results stay visible on the posts.",
        )),
        _ => None,
    }
    .map(String::from);
    page(&state, &session, tr, StatusCode::OK, flash, HashMap::new()).await
}

/// `POST /admin/kanaele`: fields named `<channel id>.<credential>` (messengers) or
/// `network:<channel name>.<secret>` (publishing networks); empty ones are left alone.
pub async fn save(
    State(state): State<AppState>,
    session: StaffSession,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let tr = match require_admin(&state, &session, PATH).await {
        Ok(tr) => tr,
        Err(r) => return r,
    };
    let lang = tr.lang;
    let registry = state.registry.current();
    let Some(tenant) = registry.tenant(session.info.municipality_id) else {
        return view::not_found(tr, Some(session.chrome(&state, PATH).await));
    };
    let file = state.registry.file_configs();
    let networks = file
        .iter()
        .find(|cfg| cfg.settings.slug == tenant.row.slug)
        .map(|cfg| cfg.networks.as_slice())
        .unwrap_or_default();
    let mut accepted = Vec::new();
    let mut accepted_networks = Vec::new();
    let mut errors = HashMap::new();
    for (key, value) in &fields {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        if let Some(rest) = key.strip_prefix(NETWORK_PREFIX) {
            // Only this municipality's configured networks, only the secret their network has.
            let known = rest.rsplit_once('.').filter(|(channel, name)| {
                networks
                    .iter()
                    .any(|n| n.name() == *channel && network_secret_name(n) == *name)
            });
            match known {
                None => {
                    errors.insert(
                        key.clone(),
                        pick(lang, "Unbekanntes Feld.", "Unknown field.").into(),
                    );
                }
                Some(_) if !acceptable(value) => {
                    errors.insert(key.clone(), invalid_message(lang));
                }
                Some((channel, name)) => accepted_networks.push((
                    channel.to_string(),
                    name.to_string(),
                    value.to_string(),
                )),
            }
            continue;
        }
        let Some((id, name)) = key.split_once('.') else {
            continue;
        };
        // Only this municipality's channels, only the credentials their kind has.
        let Some(channel) = id
            .parse::<i64>()
            .ok()
            .and_then(|id| tenant.channel(id))
            .filter(|c| secret_names(c.row.kind).contains(&name))
        else {
            errors.insert(
                key.clone(),
                pick(lang, "Unbekanntes Feld.", "Unknown field.").into(),
            );
            continue;
        };
        if !acceptable(value) {
            errors.insert(key.clone(), invalid_message(lang));
            continue;
        }
        accepted.push((channel.row.id, name.to_string(), value.to_string()));
    }
    if !errors.is_empty() {
        return page(
            &state,
            &session,
            tr,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            errors,
        )
        .await;
    }
    let actor = session.actor();
    let now = now_ms();
    for (channel_id, name, value) in &accepted {
        if let Err(e) = state
            .store
            .save_channel_secret(*channel_id, name, value, &actor.name, now)
            .await
        {
            return view::internal_error(tr, &e);
        }
        record_change(
            &state.store,
            &actor,
            CHANNEL_SECRET_SET,
            format!("channel:{channel_id}"),
            Some(format!("credential={name}")),
        )
        .await;
    }
    for (channel_name, name, value) in &accepted_networks {
        if let Err(e) = state
            .store
            .save_network_secret(tenant.row.id, channel_name, name, value, &actor.name, now)
            .await
        {
            return view::internal_error(tr, &e);
        }
        record_change(
            &state.store,
            &actor,
            CHANNEL_SECRET_SET,
            format!("network:{channel_name}"),
            Some(format!("credential={name}")),
        )
        .await;
    }
    if !accepted.is_empty() || !accepted_networks.is_empty() {
        if let Err(e) = state.registry.reload(now).await {
            tracing::error!(error = %e, "rebuilding the registry after new channel credentials failed");
        }
    }
    Redirect::to(&format!("{PATH}?msg=saved")).into_response()
}

/// A credential has no spaces and fits the database.
fn acceptable(value: &str) -> bool {
    value.chars().count() <= MAX_SECRET_CHARS && !value.chars().any(char::is_whitespace)
}

fn invalid_message(lang: Lang) -> String {
    pick(
        lang,
        "Zugangsdaten enthalten keine Leerzeichen und sind höchstens 2048 Zeichen lang.",
        "Credentials contain no spaces and are at most 2048 characters long.",
    )
    .into()
}
