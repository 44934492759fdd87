//! The form of a publishing network channel: its fields with labels and hints in the admin's language,
//! and a submitted form checked with the configuration file's check (`channels::publish::check`).

use std::collections::{BTreeMap, HashMap};

use rathaus_channels::publish::check::{self, FieldType, Problem};
use rathaus_domain::publishing::PublishKind;

use super::pick;
use crate::ui::i18n::Lang;

/// One input of the form, with its value, hint and refusal.
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

pub(super) fn kind_label(lang: Lang, kind: PublishKind) -> &'static str {
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
        "client_id" => pick(
            lang,
            "Client-ID der App (freiwillig, für die automatische Erneuerung des Tokens)",
            "The app's client ID (optional, to renew the token automatically)",
        ),
        "refresh_token" => pick(
            lang,
            "Refresh-Token (freiwillig, für die automatische Erneuerung)",
            "Refresh token (optional, for the automatic renewal)",
        ),
        "client_secret" => pick(
            lang,
            "Client-Secret (freiwillig, nur bei vertraulichem Client)",
            "Client secret (optional, only for a confidential client)",
        ),
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
        Problem::RenewalIncomplete => pick(
            lang,
            "Refresh-Token und Client-ID gehören zusammen; ein Client-Secret braucht ebenfalls die Client-ID.",
            "Refresh token and client ID go together; a client secret needs the client ID too.",
        ),
    }
    .into()
}

/// The form's fields for a network: name (new channels only), its fields, profile, secrets (each
/// stored one shown only as its last four characters).
pub(super) fn form_fields(
    lang: Lang,
    kind: PublishKind,
    is_new: bool,
    values: &BTreeMap<String, String>,
    errors: &HashMap<&'static str, String>,
    stored_secrets: &BTreeMap<String, String>,
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
            required: f.required(),
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
    let main = check::secret_field(kind);
    for secret in std::iter::once(main).chain(check::extra_secret_fields(kind).iter().copied()) {
        out.push(FormField {
            name: secret,
            label: field_label(lang, secret),
            input: "password",
            value: String::new(),
            hint: Some(
                match secret_state(lang, stored_secrets.get(secret).map(String::as_str)) {
                    Some(s) => s,
                    None => pick(
                        lang,
                        "Wird verschlüsselt gespeichert und nie wieder angezeigt, nur seine letzten vier Zeichen.",
                        "Stored encrypted and never shown again, only its last four characters.",
                    )
                    .into(),
                },
            ),
            error: errors.get(secret).cloned(),
            required: is_new && secret == main,
        });
    }
    out
}

/// The fields and profile of a submitted form, checked with the configuration file's check; the
/// fields as stored (JSON, defaults filled in) and the profile. `secret`: the value to build the
/// channel with (the stored one when the field was left empty on a change).
pub(super) fn checked(
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

pub(super) fn secret_state(lang: Lang, secret: Option<&str>) -> Option<String> {
    let s = secret?;
    let chars: Vec<char> = s.chars().collect();
    let last4: String = chars[chars.len().saturating_sub(4)..].iter().collect();
    Some(format!(
        "{} …{last4}",
        pick(lang, "Gespeichert, endet auf", "Stored, ends in")
    ))
}
