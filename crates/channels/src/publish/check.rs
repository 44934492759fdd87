//! The one check of a publishing network channel, shared by the configuration file and the admin UI: its name, each field, and building it from form fields.
//!
//! A refusal names the field and a [`Problem`]; the configuration loader prints it in English, the
//! admin UI shows it in the admin's language next to the field.

use std::collections::BTreeMap;

use rathaus_domain::publishing::PublishKind;

use super::config::{
    DEFAULT_BLUESKY_PDS, DEFAULT_GRAPH_BASE, DEFAULT_GRAPH_VERSION, DEFAULT_X_BASE,
};
use super::NetworkConfig;

/// Longest channel name: it appears in URLs, audit targets and the composer.
pub const MAX_NAME_CHARS: usize = 64;
/// Longer than any platform token; keeps a pasted document out of the database.
pub const MAX_SECRET_CHARS: usize = 2048;
/// Longest plain field (handle, page id, chat, …) and web address.
const MAX_FIELD_CHARS: usize = 512;

/// What is wrong with a name or field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// Empty, or not given.
    Missing,
    /// Not an `http://` or `https://` address with a host.
    NotWebAddress,
    /// Holds spaces (tokens, ids and handles never do).
    HasSpaces,
    TooLong,
    /// A channel name with other characters than letters, digits, `-` and `_`.
    BadName,
    /// `website`, the town's own news page.
    ReservedName,
    /// The municipality already has a channel with this name.
    Duplicate,
    /// A Telegram chat that is neither `@name` nor a numeric id.
    BadChat,
    /// A Graph API version that is not like `v23.0`.
    BadVersion,
    /// A page or user id that is not a number.
    NotNumeric,
    /// X renewal settings that do not fit together ([`crate::x::check_renewal`]).
    RenewalIncomplete,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Problem::Missing => "is missing",
            Problem::NotWebAddress => "must be a web address starting with https:// (or http://)",
            Problem::HasSpaces => "must not contain spaces",
            Problem::TooLong => "is too long",
            Problem::BadName => "must be letters, digits, '-' or '_' (at most 64)",
            Problem::ReservedName => "'website' is the built-in news page; choose another name",
            Problem::Duplicate => "is already the name of another channel of this municipality",
            Problem::BadChat => "must be the channel's @name or its numeric chat id (-100…)",
            Problem::BadVersion => "must be a Graph API version like v23.0",
            Problem::NotNumeric => "must be the numeric id",
            Problem::RenewalIncomplete => {
                "refresh_token and client_id go together (client_secret needs client_id too)"
            }
        })
    }
}

/// A refused field of a network channel (`name`, `instance`, `access_token`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub problem: Problem,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.problem)
    }
}

/// How a field's value is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// An API base or instance: `http(s)://host…`.
    WebAddress,
    /// A Bluesky handle or DID.
    Handle,
    /// A Graph API page or Instagram user id.
    NumericId,
    /// A Telegram channel: `@name` or `-100…`.
    Chat,
    /// `v23.0`.
    GraphVersion,
}

/// One non-secret field of a network channel, as the configuration table and the admin UI name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub key: &'static str,
    pub kind: FieldType,
    /// The value when the field is left out; `None`: the field is required unless `optional`.
    pub default: Option<&'static str>,
    /// May be left out without a default (e.g. X's `client_id`).
    pub optional: bool,
}

impl Field {
    /// Must be given: no default, not optional.
    pub fn required(&self) -> bool {
        self.default.is_none() && !self.optional
    }
}

const fn field(key: &'static str, kind: FieldType, default: Option<&'static str>) -> Field {
    Field {
        key,
        kind,
        default,
        optional: false,
    }
}

const fn optional(key: &'static str, kind: FieldType) -> Field {
    Field {
        key,
        kind,
        default: None,
        optional: true,
    }
}

/// The non-secret fields of a network, in the order a form shows them.
pub fn fields(kind: PublishKind) -> &'static [Field] {
    use FieldType::*;
    const MASTODON: &[Field] = &[field("instance", WebAddress, None)];
    const BLUESKY: &[Field] = &[
        field("pds", WebAddress, Some(DEFAULT_BLUESKY_PDS)),
        field("handle", Handle, None),
    ];
    const GRAPH_PAGE: &[Field] = &[
        field("page_id", NumericId, None),
        field("api_base", WebAddress, Some(DEFAULT_GRAPH_BASE)),
        field("api_version", GraphVersion, Some(DEFAULT_GRAPH_VERSION)),
    ];
    const GRAPH_USER: &[Field] = &[
        field("user_id", NumericId, None),
        field("api_base", WebAddress, Some(DEFAULT_GRAPH_BASE)),
        field("api_version", GraphVersion, Some(DEFAULT_GRAPH_VERSION)),
    ];
    const X: &[Field] = &[
        field("api_base", WebAddress, Some(DEFAULT_X_BASE)),
        optional("client_id", Handle),
    ];
    const TELEGRAM: &[Field] = &[
        field("chat", Chat, None),
        field(
            "api_base",
            WebAddress,
            Some(crate::telegram::DEFAULT_API_BASE),
        ),
    ];
    match kind {
        PublishKind::Mastodon => MASTODON,
        PublishKind::Bluesky => BLUESKY,
        PublishKind::FacebookPage => GRAPH_PAGE,
        PublishKind::Instagram => GRAPH_USER,
        PublishKind::X => X,
        PublishKind::TelegramChannel => TELEGRAM,
    }
}

/// The one secret of a network channel: `access_token`, `app_password` (Bluesky) or `bot_token`
/// (Telegram channel).
pub fn secret_field(kind: PublishKind) -> &'static str {
    match kind {
        PublishKind::Bluesky => "app_password",
        PublishKind::TelegramChannel => "bot_token",
        PublishKind::Mastodon
        | PublishKind::FacebookPage
        | PublishKind::Instagram
        | PublishKind::X => "access_token",
    }
}

/// Optional further secrets of a network, read from the form's values like its fields: X's
/// `refresh_token` and `client_secret` (renewal of the user token).
pub fn extra_secret_fields(kind: PublishKind) -> &'static [&'static str] {
    match kind {
        PublishKind::X => &["refresh_token", "client_secret"],
        _ => &[],
    }
}

/// The values of [`fields`] of a configured channel, in their order (an optional field left out is
/// empty).
pub fn field_values(network: &NetworkConfig) -> Vec<(&'static str, String)> {
    let no_value = String::new();
    let values: Vec<&String> = match network {
        NetworkConfig::Mastodon(c) => vec![&c.instance],
        NetworkConfig::Bluesky(c) => vec![&c.pds, &c.handle],
        NetworkConfig::FacebookPage(c) => vec![&c.page_id, &c.api_base, &c.api_version],
        NetworkConfig::Instagram(c) => vec![&c.user_id, &c.api_base, &c.api_version],
        NetworkConfig::X(c) => vec![&c.api_base, c.client_id.as_ref().unwrap_or(&no_value)],
        NetworkConfig::TelegramChannel(c) => vec![&c.chat, &c.api_base],
    };
    fields(network.kind())
        .iter()
        .zip(values)
        .map(|(f, v)| (f.key, v.clone()))
        .collect()
}

/// The value of [`secret_field`] of a configured channel.
pub fn secret_value(network: &NetworkConfig) -> &str {
    match network {
        NetworkConfig::Mastodon(c) => &c.access_token,
        NetworkConfig::Bluesky(c) => &c.app_password,
        NetworkConfig::FacebookPage(c) => &c.access_token,
        NetworkConfig::Instagram(c) => &c.access_token,
        NetworkConfig::X(c) => &c.access_token,
        NetworkConfig::TelegramChannel(c) => &c.bot_token,
    }
}

/// A channel name: letters, digits, `-` and `_` (it appears in URLs), not `website`.
pub fn check_name(name: &str) -> Result<(), Problem> {
    if name.is_empty() {
        return Err(Problem::Missing);
    }
    if name == "website" {
        return Err(Problem::ReservedName);
    }
    if name.chars().count() > MAX_NAME_CHARS
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(Problem::BadName);
    }
    Ok(())
}

/// `name` is not among `taken` (the municipality's other channel names, messengers included).
pub fn check_unique<'a>(
    name: &str,
    mut taken: impl Iterator<Item = &'a str>,
) -> Result<(), Problem> {
    if taken.any(|t| t == name) {
        return Err(Problem::Duplicate);
    }
    Ok(())
}

/// An `http://` or `https://` address with a host and no spaces.
pub fn check_web_address(value: &str) -> Result<(), Problem> {
    if value.is_empty() {
        return Err(Problem::Missing);
    }
    if value.chars().count() > MAX_FIELD_CHARS {
        return Err(Problem::TooLong);
    }
    if value.contains(char::is_whitespace) {
        return Err(Problem::NotWebAddress);
    }
    match reqwest::Url::parse(value) {
        Ok(u)
            if matches!(u.scheme(), "http" | "https")
                && u.host_str().is_some_and(|h| !h.is_empty()) =>
        {
            Ok(())
        }
        _ => Err(Problem::NotWebAddress),
    }
}

fn check_field(kind: FieldType, value: &str) -> Result<(), Problem> {
    if kind == FieldType::WebAddress {
        return check_web_address(value);
    }
    if value.is_empty() {
        return Err(Problem::Missing);
    }
    if value.chars().count() > MAX_FIELD_CHARS {
        return Err(Problem::TooLong);
    }
    if value.contains(char::is_whitespace) {
        return Err(Problem::HasSpaces);
    }
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    match kind {
        FieldType::WebAddress | FieldType::Handle => Ok(()),
        FieldType::NumericId if digits(value) => Ok(()),
        FieldType::NumericId => Err(Problem::NotNumeric),
        FieldType::Chat => {
            let ok = match value.strip_prefix('@') {
                Some(user) => {
                    !user.is_empty() && user.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                }
                None => digits(value.strip_prefix('-').unwrap_or(value)),
            };
            if ok {
                Ok(())
            } else {
                Err(Problem::BadChat)
            }
        }
        FieldType::GraphVersion => {
            let ok = value.strip_prefix('v').is_some_and(|v| {
                let (major, minor) = v.split_once('.').unwrap_or((v, "0"));
                digits(major) && digits(minor)
            });
            if ok {
                Ok(())
            } else {
                Err(Problem::BadVersion)
            }
        }
    }
}

/// A secret: given, without spaces, at most [`MAX_SECRET_CHARS`].
pub fn check_secret(value: &str) -> Result<(), Problem> {
    if value.is_empty() {
        return Err(Problem::Missing);
    }
    if value.chars().count() > MAX_SECRET_CHARS {
        return Err(Problem::TooLong);
    }
    if value.contains(char::is_whitespace) {
        return Err(Problem::HasSpaces);
    }
    Ok(())
}

/// Checks a configured network channel: its name, every field and its secret. The configuration
/// file and the admin UI both go through here.
pub fn check(network: &NetworkConfig) -> Result<(), FieldError> {
    let at = |field: &'static str| move |problem| FieldError { field, problem };
    check_name(&network.name()).map_err(at("name"))?;
    let spec = fields(network.kind());
    for (f, (_, value)) in spec.iter().zip(field_values(network)) {
        if f.optional && value.is_empty() {
            continue;
        }
        check_field(f.kind, &value).map_err(at(f.key))?;
    }
    check_secret(secret_value(network)).map_err(at(secret_field(network.kind())))
}

/// Builds a network channel from the admin UI's fields (`values`, by [`Field::key`]; an empty or
/// absent optional field takes its default) and its secret, then [`check`]s it. Only the fields of
/// [`fields`] are read; anything else in `values` is ignored. Refusals come all at once, in the
/// order of the form (name, fields, secret).
pub fn from_fields(
    kind: PublishKind,
    name: &str,
    values: &BTreeMap<String, String>,
    secret: &str,
) -> Result<NetworkConfig, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut refuse = |field: &'static str, problem| errors.push(FieldError { field, problem });
    if let Err(p) = check_name(name) {
        refuse("name", p);
    }
    let mut table = serde_json::Map::new();
    table.insert("name".into(), name.into());
    for f in fields(kind) {
        let value = values.get(f.key).map(|v| v.trim()).unwrap_or_default();
        if value.is_empty() {
            if f.required() {
                refuse(f.key, Problem::Missing);
            }
            continue;
        }
        match check_field(f.kind, value) {
            Ok(()) => {
                table.insert(f.key.into(), value.into());
            }
            Err(p) => refuse(f.key, p),
        }
    }
    let secret_key = secret_field(kind);
    if let Err(p) = check_secret(secret) {
        refuse(secret_key, p);
    }
    for key in extra_secret_fields(kind) {
        let value = values.get(*key).map(|v| v.trim()).unwrap_or_default();
        if value.is_empty() {
            continue;
        }
        match check_secret(value) {
            Ok(()) => {
                table.insert((*key).into(), value.into());
            }
            Err(p) => refuse(key, p),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    table.insert(secret_key.into(), secret.into());
    let value = serde_json::Value::Object(table);
    // The same serde shapes as the configuration tables; every key is set above, so this only
    // fails if the shapes and [`fields`] disagree.
    let parsed = match kind {
        PublishKind::Mastodon => serde_json::from_value(value).map(NetworkConfig::Mastodon),
        PublishKind::Bluesky => serde_json::from_value(value).map(NetworkConfig::Bluesky),
        PublishKind::FacebookPage => serde_json::from_value(value).map(NetworkConfig::FacebookPage),
        PublishKind::Instagram => serde_json::from_value(value).map(NetworkConfig::Instagram),
        PublishKind::X => serde_json::from_value(value).map(NetworkConfig::X),
        PublishKind::TelegramChannel => {
            serde_json::from_value(value).map(NetworkConfig::TelegramChannel)
        }
    };
    let network = parsed.map_err(|_| {
        vec![FieldError {
            field: "name",
            problem: Problem::Missing,
        }]
    })?;
    check(&network).map_err(|e| vec![e])?;
    // The configuration file checks the same with the same function (after `check`).
    if let NetworkConfig::X(x) = &network {
        crate::x::check_renewal(x).map_err(|_| {
            vec![FieldError {
                field: "client_id",
                problem: Problem::RenewalIncomplete,
            }]
        })?;
    }
    Ok(network)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn every_network_builds_from_its_fields_with_defaults() {
        let required = |f: &Field| match f.kind {
            FieldType::WebAddress => "https://example.org",
            FieldType::Handle => "stadt.bsky.social",
            FieldType::NumericId => "104123",
            FieldType::Chat => "@stadt",
            FieldType::GraphVersion => "v23.0",
        };
        for kind in PublishKind::ALL {
            let given: Vec<(&str, &str)> = fields(kind)
                .iter()
                .filter(|f| f.required())
                .map(|f| (f.key, required(f)))
                .collect();
            let n = from_fields(kind, "kanal", &values(&given), "geheim-1234").unwrap();
            assert_eq!((n.kind(), n.name()), (kind, "kanal".to_string()));
            assert_eq!(secret_value(&n), "geheim-1234");
            for (f, (key, value)) in fields(kind).iter().zip(field_values(&n)) {
                assert_eq!(f.key, key);
                let expected = match f.default {
                    Some(d) => d,
                    None if f.optional => "",
                    None => required(f),
                };
                assert_eq!(value, expected, "{kind:?} {key}");
            }
        }
    }

    #[test]
    fn refusals_name_the_field_and_the_problem() {
        let err = |kind, pairs: &[(&str, &str)], secret| {
            from_fields(kind, "kanal", &values(pairs), secret).unwrap_err()[0]
        };
        let e = err(PublishKind::Mastodon, &[("instance", "bawü.social")], "t");
        assert_eq!((e.field, e.problem), ("instance", Problem::NotWebAddress));
        let e = err(PublishKind::Mastodon, &[("instance", "ftp://x.org")], "t");
        assert_eq!(e.problem, Problem::NotWebAddress);
        let e = err(
            PublishKind::Mastodon,
            &[("instance", "https://bawü.social")],
            "",
        );
        assert_eq!((e.field, e.problem), ("access_token", Problem::Missing));
        let e = err(PublishKind::Bluesky, &[], "t");
        assert_eq!((e.field, e.problem), ("handle", Problem::Missing));
        let e = err(
            PublishKind::TelegramChannel,
            &[("chat", "musterstadt")],
            "1:a",
        );
        assert_eq!((e.field, e.problem), ("chat", Problem::BadChat));
        let e = err(PublishKind::FacebookPage, &[("page_id", "abc")], "t");
        assert_eq!((e.field, e.problem), ("page_id", Problem::NotNumeric));
        let e = err(
            PublishKind::Instagram,
            &[("user_id", "1"), ("api_version", "23")],
            "t",
        );
        assert_eq!((e.field, e.problem), ("api_version", Problem::BadVersion));
        let e = err(PublishKind::X, &[], "zwei worte");
        assert_eq!((e.field, e.problem), ("access_token", Problem::HasSpaces));
        let e = from_fields(PublishKind::X, "website", &values(&[]), "t").unwrap_err()[0];
        assert_eq!((e.field, e.problem), ("name", Problem::ReservedName));
        let e = from_fields(PublishKind::X, "mein kanal", &values(&[]), "t").unwrap_err()[0];
        assert_eq!(e.problem, Problem::BadName);
        assert!(!e.to_string().is_empty());
        // X renewal: the refresh token and the client id go together (crate::x::check_renewal).
        let e = err(PublishKind::X, &[("refresh_token", "r-1")], "t");
        assert_eq!(
            (e.field, e.problem),
            ("client_id", Problem::RenewalIncomplete)
        );
        let x = from_fields(
            PublishKind::X,
            "x",
            &values(&[
                ("refresh_token", "r-1"),
                ("client_id", "app"),
                ("client_secret", "s-2"),
            ]),
            "t",
        )
        .unwrap();
        match x {
            NetworkConfig::X(x) => assert_eq!(
                (
                    x.refresh_token.as_deref(),
                    x.client_id.as_deref(),
                    x.client_secret.as_deref()
                ),
                (Some("r-1"), Some("app"), Some("s-2"))
            ),
            _ => unreachable!(),
        }
        // Every refusal at once, in the order of the form.
        let all = from_fields(
            PublishKind::TelegramChannel,
            "",
            &values(&[("chat", "kanal"), ("api_base", "irgendwo")]),
            "",
        )
        .unwrap_err();
        let fields: Vec<&str> = all.iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["name", "chat", "api_base", "bot_token"]);
    }

    #[test]
    fn names_are_checked_for_form_and_uniqueness() {
        assert_eq!(check_name(""), Err(Problem::Missing));
        assert_eq!(check_name(&"a".repeat(65)), Err(Problem::BadName));
        assert_eq!(check_name("Stadt_news-2"), Ok(()));
        assert_eq!(
            check_unique("a", ["b", "a"].into_iter()),
            Err(Problem::Duplicate)
        );
        assert_eq!(check_unique("c", ["b", "a"].into_iter()), Ok(()));
        assert_eq!(check_web_address("http://127.0.0.1:9"), Ok(()));
        assert_eq!(check_web_address("https://bawü.social"), Ok(()));
        assert_eq!(check_web_address("https:// x"), Err(Problem::NotWebAddress));
        assert_eq!(
            check_web_address("javascript:alert(1)"),
            Err(Problem::NotWebAddress)
        );
    }
}
