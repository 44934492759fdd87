//! The effective settings: the configuration file's municipalities with the sections and channel
//! credentials edited in the admin UI laid over them (the database wins), checked like the file.
//!
//! Publishing network channels come from both places. Precedence: a channel in the file stays as the
//! file says (only its secret can be replaced in the admin UI); a channel added in the admin UI joins
//! the file's, and is left out (with a warning) when its name is taken by a channel of the file —
//! messenger channels included — so a later file edit can never be overridden by the database.

use rathaus_channels::publish::{check as network_check, NetworkConfig};
use rathaus_domain::documents::DocumentsConfig;
use rathaus_domain::publishing::{ChannelTarget, PublishKind};
use rathaus_domain::schedule::{
    ChannelRef, ConsultationHourSettings, MunicipalitySchedule, OfficeHoursConfig,
    ResponseTargetsConfig,
};
use rathaus_domain::texts::CitizenTexts;
use rathaus_domain::{ChannelKind, Keywords, MunicipalitySettings};
use rathaus_store::{ChannelSecret, NetworkChannelRecord, NetworkSecret, SettingsOverride};

use crate::registry::TenantConfig;

/// A part of a municipality's settings that can be edited in the admin UI. Each is stored as the
/// JSON of its configuration-file section and replaces that section as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    OfficeHours,
    ConsultationHours,
    ResponseTargets,
    Texts,
    Keywords,
    Documents,
}

impl Section {
    pub const ALL: [Section; 6] = [
        Section::OfficeHours,
        Section::ConsultationHours,
        Section::ResponseTargets,
        Section::Texts,
        Section::Keywords,
        Section::Documents,
    ];

    /// The name in the database and the audit log (the configuration file's key).
    pub fn as_str(self) -> &'static str {
        match self {
            Section::OfficeHours => "office_hours",
            Section::ConsultationHours => "consultation_hours",
            Section::ResponseTargets => "response_targets",
            Section::Texts => "texts",
            Section::Keywords => "keywords",
            Section::Documents => "documents",
        }
    }

    pub fn parse(s: &str) -> Option<Section> {
        Section::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The section's value in `settings`, as JSON.
    pub fn value_json(self, s: &MunicipalitySettings) -> String {
        let v = match self {
            Section::OfficeHours => serde_json::to_string(&s.office_hours),
            Section::ConsultationHours => serde_json::to_string(&s.consultation_hours),
            Section::ResponseTargets => serde_json::to_string(&s.response_targets),
            Section::Texts => serde_json::to_string(&s.texts),
            Section::Keywords => serde_json::to_string(&s.keywords),
            Section::Documents => serde_json::to_string(&s.documents),
        };
        v.unwrap_or_default()
    }

    /// Replaces this section of `settings` with `json`.
    pub fn apply(self, s: &mut MunicipalitySettings, json: &str) -> Result<(), String> {
        let e = |e: serde_json::Error| format!("{}: {e}", self.as_str());
        match self {
            Section::OfficeHours => {
                s.office_hours = serde_json::from_str::<OfficeHoursConfig>(json).map_err(e)?
            }
            Section::ConsultationHours => {
                s.consultation_hours =
                    serde_json::from_str::<Vec<ConsultationHourSettings>>(json).map_err(e)?
            }
            Section::ResponseTargets => {
                s.response_targets =
                    serde_json::from_str::<ResponseTargetsConfig>(json).map_err(e)?
            }
            Section::Texts => s.texts = serde_json::from_str::<CitizenTexts>(json).map_err(e)?,
            Section::Keywords => s.keywords = serde_json::from_str::<Keywords>(json).map_err(e)?,
            Section::Documents => {
                s.documents = serde_json::from_str::<DocumentsConfig>(json).map_err(e)?
            }
        }
        Ok(())
    }
}

/// Checks a municipality's settings the way the configuration file is checked at start: time zone,
/// office hours, consultation hours (against its channels), targets, keywords and texts.
pub fn check(cfg: &TenantConfig) -> Result<(), String> {
    let s = &cfg.settings;
    let tz = jiff::tz::TimeZone::get(&s.timezone)
        .map_err(|_| format!("timezone: '{}' is not an IANA time zone", s.timezone))?;
    let channels: Vec<ChannelRef<'_>> = (cfg.whatsapp.iter())
        .map(|w| (ChannelKind::WhatsApp, w.name.as_str()))
        .chain(
            cfg.telegram
                .iter()
                .map(|t| (ChannelKind::Telegram, t.name.as_str())),
        )
        .zip(1..)
        .map(|((kind, name), id)| ChannelRef { id, kind, name })
        .collect();
    MunicipalitySchedule::build(
        &s.office_hours,
        &s.consultation_hours,
        &s.response_targets,
        tz,
        &channels,
    )
    .map_err(|e| e.to_string())?;
    for (key, words) in [
        ("keywords.opt_in", &s.keywords.opt_in),
        ("keywords.opt_out", &s.keywords.opt_out),
        ("keywords.erase", &s.keywords.erase),
        ("keywords.access", &s.keywords.access),
    ] {
        if words.iter().all(|w| w.trim().is_empty()) {
            return Err(format!("{key}: name at least one keyword"));
        }
    }
    let t = &s.texts;
    for (key, text) in [
        ("texts.explain_opt_in", &t.explain_opt_in),
        ("texts.opt_in_confirmed", &t.opt_in_confirmed),
        ("texts.opt_out_confirmed", &t.opt_out_confirmed),
        ("texts.nothing_to_withdraw", &t.nothing_to_withdraw),
        ("texts.erasure_confirmed", &t.erasure_confirmed),
        ("texts.nothing_to_erase", &t.nothing_to_erase),
        ("texts.access_ready", &t.access_ready),
        ("texts.consultation_outside", &t.consultation_outside),
        ("texts.consultation_inside", &t.consultation_inside),
    ] {
        if text.trim().is_empty() {
            return Err(format!("{key}: the text must not be empty"));
        }
    }
    if !t.access_ready.contains("{link}") {
        return Err("texts.access_ready: must contain {link}".into());
    }
    Ok(())
}

/// The configuration file's municipalities with the admin UI's overrides and credentials applied.
/// An override that no longer fits (e.g. a channel it names was removed from the file) is skipped
/// with a warning, so a bad row can never stop the service.
pub fn effective(
    file: &[TenantConfig],
    overrides: &[SettingsOverride],
    secrets: &[ChannelSecret],
    network_secrets: &[NetworkSecret],
    network_channels: &[NetworkChannelRecord],
) -> Vec<TenantConfig> {
    let mut out = file.to_vec();
    for cfg in &mut out {
        let slug = cfg.settings.slug.clone();
        for o in overrides.iter().filter(|o| o.slug == slug) {
            let Some(section) = Section::parse(&o.section) else {
                tracing::warn!(section = %o.section, "unknown settings section in the database ignored");
                continue;
            };
            let mut candidate = cfg.clone();
            let applied = section
                .apply(&mut candidate.settings, &o.value_json)
                .and_then(|()| check(&candidate));
            match applied {
                Ok(()) => *cfg = candidate,
                Err(e) => tracing::warn!(
                    municipality = %cfg.settings.slug,
                    section = section.as_str(),
                    error = %e,
                    "setting from the admin UI does not fit the configuration file; the file's value applies"
                ),
            }
        }
        apply_secrets(cfg, secrets);
        apply_network_secrets(cfg, network_secrets);
        add_ui_networks(cfg, network_channels, network_secrets);
    }
    out
}

/// Every channel name a municipality uses: publishing networks and messenger channels.
pub fn channel_names(cfg: &TenantConfig) -> Vec<String> {
    (cfg.networks.iter().map(NetworkConfig::name))
        .chain(
            cfg.settings
                .publishing
                .channels
                .iter()
                .map(|c| c.name.clone()),
        )
        .chain(cfg.whatsapp.iter().map(|w| w.name.clone()))
        .chain(cfg.telegram.iter().map(|t| t.name.clone()))
        .collect()
}

/// A network channel added in the admin UI, built from its stored fields and secret with the same
/// check as the configuration file's.
pub fn ui_network(
    record: &NetworkChannelRecord,
    secrets: &[NetworkSecret],
) -> Result<NetworkConfig, String> {
    let kind = PublishKind::parse(&record.kind)
        .ok_or_else(|| format!("unknown network '{}'", record.kind))?;
    let mut fields: std::collections::BTreeMap<String, String> =
        serde_json::from_str(&record.fields_json).map_err(|e| format!("fields: {e}"))?;
    let stored = |name: &str| {
        secrets
            .iter()
            .find(|s| {
                s.municipality_id == record.municipality_id
                    && s.channel_name == record.name
                    && s.name == name
            })
            .map(|s| s.value.clone())
    };
    // Further secrets (X renewal) are read with the fields.
    for name in network_check::extra_secret_fields(kind) {
        if let Some(value) = stored(name) {
            fields.insert((*name).to_string(), value);
        }
    }
    let secret = stored(network_check::secret_field(kind)).unwrap_or_default();
    network_check::from_fields(kind, &record.name, &fields, &secret).map_err(|errors| {
        let errors: Vec<String> = errors.iter().map(ToString::to_string).collect();
        errors.join("; ")
    })
}

/// Network channels added in the admin UI join the file's (see the module comment for precedence).
fn add_ui_networks(
    cfg: &mut TenantConfig,
    channels: &[NetworkChannelRecord],
    secrets: &[NetworkSecret],
) {
    for record in channels.iter().filter(|c| c.slug == cfg.settings.slug) {
        let taken = channel_names(cfg);
        let built = network_check::check_unique(&record.name, taken.iter().map(String::as_str))
            .map_err(|p| format!("name: {p}"))
            .and_then(|()| ui_network(record, secrets));
        match built {
            Ok(network) => {
                cfg.settings
                    .publishing
                    .channels
                    .push(ChannelTarget::new(record.name.clone(), network.kind()));
                if let Some(url) = &record.profile_url {
                    cfg.settings
                        .publishing
                        .profiles
                        .insert(record.name.clone(), url.clone());
                }
                cfg.networks.push(network);
            }
            Err(e) => tracing::warn!(
                municipality = %cfg.settings.slug,
                channel = %record.name,
                error = %e,
                "publishing channel from the admin UI left out"
            ),
        }
    }
}

/// Publishing network secrets entered in the admin UI replace the file's, matched by municipality
/// slug and channel name; a secret whose name the channel's network does not have is ignored.
fn apply_network_secrets(cfg: &mut TenantConfig, secrets: &[NetworkSecret]) {
    for s in secrets.iter().filter(|s| s.slug == cfg.settings.slug) {
        let Some(network) = cfg.networks.iter_mut().find(|n| n.name() == s.channel_name) else {
            continue;
        };
        if network_secret_name(network) != s.name {
            continue;
        }
        *network_secret_mut(network) = s.value.clone();
    }
}

/// The field holding [`network_secret_name`] of a publishing network channel.
fn network_secret_mut(network: &mut NetworkConfig) -> &mut String {
    match network {
        NetworkConfig::Mastodon(c) => &mut c.access_token,
        NetworkConfig::Bluesky(c) => &mut c.app_password,
        NetworkConfig::FacebookPage(c) => &mut c.access_token,
        NetworkConfig::Instagram(c) => &mut c.access_token,
        NetworkConfig::X(c) => &mut c.access_token,
        NetworkConfig::TelegramChannel(c) => &mut c.bot_token,
    }
}

/// The one secret of a publishing network channel the admin UI accepts.
pub fn network_secret_name(network: &NetworkConfig) -> &'static str {
    network_check::secret_field(network.kind())
}

/// Credentials entered in the admin UI replace the file's, matched by the channel's platform id.
fn apply_secrets(cfg: &mut TenantConfig, secrets: &[ChannelSecret]) {
    for s in secrets {
        match s.kind.as_str() {
            "whatsapp" => {
                if let Some(w) = cfg
                    .whatsapp
                    .iter_mut()
                    .find(|w| w.phone_number_id == s.external_id)
                {
                    match s.name.as_str() {
                        "access_token" => w.access_token = s.value.clone(),
                        "app_secret" => w.app_secret = s.value.clone(),
                        _ => {}
                    }
                }
            }
            "telegram" => {
                if let Some(t) = cfg.telegram.iter_mut().find(|t| t.name == s.external_id) {
                    match s.name.as_str() {
                        "bot_token" => t.bot_token = s.value.clone(),
                        "webhook_secret" => t.webhook_secret = s.value.clone(),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
}

/// The credential names the admin UI accepts per channel kind.
pub fn secret_names(kind: ChannelKind) -> &'static [&'static str] {
    match kind {
        ChannelKind::WhatsApp => &["access_token", "app_secret"],
        ChannelKind::Telegram => &["bot_token", "webhook_secret"],
    }
}

/// A stable fingerprint per municipality (by slug) of the configuration file's settings and channels,
/// to notice that the file changed between starts. Secrets enter only through a hash, and only the
/// fingerprint is stored.
pub fn file_fingerprints(file: &[TenantConfig]) -> std::collections::BTreeMap<String, String> {
    let hash = |s: &str| rathaus_crypto::sha256_hex(s.as_bytes());
    file.iter()
        .map(|cfg| {
            let mut text = serde_json::to_string(&cfg.settings).unwrap_or_default();
            for w in &cfg.whatsapp {
                text.push_str(&format!(
                    "|wa:{}:{}:{}:{}:{}:{}:{}:{:?}",
                    w.name,
                    w.phone_number_id,
                    w.api_base,
                    w.api_version,
                    hash(&w.verify_token),
                    hash(&w.app_secret),
                    hash(&w.access_token),
                    w.display_phone_number,
                ));
            }
            for t in &cfg.telegram {
                text.push_str(&format!(
                    "|tg:{}:{}:{}:{}:{:?}",
                    t.name,
                    t.api_base,
                    hash(&t.bot_token),
                    hash(&t.webhook_secret),
                    t.public_username,
                ));
            }
            // Publishing networks: kind, name, every field, and a hash of each secret.
            for n in &cfg.networks {
                let mut part = format!("|net:{}:{}", n.kind().as_str(), n.name());
                for (key, value) in network_check::field_values(n) {
                    part.push_str(&format!(":{key}={value}"));
                }
                part.push_str(&format!(":{}", hash(network_check::secret_value(n))));
                if let NetworkConfig::X(x) = n {
                    for extra in [&x.refresh_token, &x.client_secret] {
                        part.push_str(&format!(":{}", hash(extra.as_deref().unwrap_or_default())));
                    }
                }
                text.push_str(&hash(&part));
            }
            (cfg.settings.slug.clone(), hash(&text))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;
    use crate::registry::WhatsAppChannelConfig;

    /// A secret of network channel `channel` of municipality `slug` (id 1) as stored in the UI.
    fn network_secret(slug: &str, channel: &str, name: &str, value: &str) -> NetworkSecret {
        NetworkSecret {
            municipality_id: 1,
            slug: slug.into(),
            channel_name: channel.into(),
            name: name.into(),
            value: value.into(),
            changed_by: String::new(),
            changed_at: 0,
        }
    }

    fn file() -> Vec<TenantConfig> {
        let mut settings = MunicipalitySettings::new("musterstadt", "Musterstadt");
        settings.office_hours.mon = vec!["08:00-12:00".into()];
        vec![TenantConfig {
            networks: vec![],
            settings,
            whatsapp: vec![WhatsAppChannelConfig {
                name: "whatsapp".into(),
                phone_number_id: "1001".into(),
                verify_token: "vt".into(),
                app_secret: "file-secret".into(),
                access_token: "file-token".into(),
                api_base: "http://127.0.0.1:9".into(),
                api_version: "v23.0".into(),
                display_phone_number: None,
            }],
            telegram: vec![],
            sso: None,
        }]
    }

    fn saved(section: &str, json: &str) -> SettingsOverride {
        SettingsOverride {
            municipality_id: 1,
            slug: "musterstadt".into(),
            section: section.into(),
            value_json: json.into(),
            changed_by: "staff:1 a@x".into(),
            changed_at: 0,
        }
    }

    #[test]
    fn saved_sections_win_and_ones_that_no_longer_fit_leave_the_file_value() {
        let out = effective(
            &file(),
            &[
                saved("office_hours", r#"{"tue":["09:00-11:00"]}"#),
                saved("response_targets", r#"{"consultation_minutes":0}"#),
                saved(
                    "consultation_hours",
                    r#"[{"name":"S","channels":["signal"],"rule":"FREQ=WEEKLY;BYDAY=TU","start":"14:00","end":"18:00"}]"#,
                ),
            ],
            &[],
            &[],
            &[],
        );
        let s = &out[0].settings;
        assert_eq!(s.office_hours.tue, vec!["09:00-11:00"]);
        assert!(
            s.office_hours.mon.is_empty(),
            "the section is replaced as a whole"
        );
        assert_eq!(s.response_targets, ResponseTargetsConfig::default());
        assert!(s.consultation_hours.is_empty());
    }

    #[test]
    fn credentials_replace_the_file_values_of_their_channel_only() {
        let secret = |external_id: &str, name: &str, value: &str| ChannelSecret {
            channel_id: 7,
            kind: "whatsapp".into(),
            external_id: external_id.into(),
            name: name.into(),
            value: value.into(),
            changed_by: String::new(),
            changed_at: 0,
        };
        let out = effective(
            &file(),
            &[],
            &[
                secret("1001", "access_token", "ui-token"),
                secret("2002", "app_secret", "other-number"),
            ],
            &[],
            &[],
        );
        let w = &out[0].whatsapp[0];
        assert_eq!(w.access_token, "ui-token");
        assert_eq!(w.app_secret, "file-secret");
    }

    #[test]
    fn network_secrets_replace_the_file_value_of_their_municipality_and_channel_only() {
        use rathaus_channels::publish::{BlueskyConfig, MastodonConfig};
        let mut cfg = file();
        cfg[0].networks = vec![
            NetworkConfig::Mastodon(MastodonConfig {
                name: None,
                instance: "http://127.0.0.1:9".into(),
                access_token: "file-token".into(),
                timeout_secs: None,
            }),
            NetworkConfig::Bluesky(BlueskyConfig {
                name: Some("bsky".into()),
                pds: "http://127.0.0.1:9".into(),
                handle: "musterstadt.example".into(),
                app_password: "file-password".into(),
            }),
        ];
        let secret = network_secret;
        let out = effective(
            &cfg,
            &[],
            &[],
            &[
                secret("musterstadt", "mastodon", "access_token", "ui-token"),
                // Wrong field for Bluesky, another municipality, a channel no longer in the file.
                secret("musterstadt", "bsky", "access_token", "wrong-field"),
                secret("beispieldorf", "bsky", "app_password", "other-town"),
                secret("musterstadt", "gone", "access_token", "gone"),
            ],
            &[],
        );
        let secrets: Vec<Option<&str>> = out[0]
            .networks
            .iter()
            .map(|n| match n {
                NetworkConfig::Mastodon(m) => Some(m.access_token.as_str()),
                NetworkConfig::Bluesky(b) => Some(b.app_password.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(secrets, vec![Some("ui-token"), Some("file-password")]);
    }

    #[test]
    fn channels_added_in_the_ui_join_the_file_unless_their_name_is_taken() {
        use rathaus_channels::publish::MastodonConfig;
        let mut cfg = file();
        cfg[0].networks = vec![NetworkConfig::Mastodon(MastodonConfig {
            name: None,
            instance: "http://127.0.0.1:9".into(),
            access_token: "file-token".into(),
            timeout_secs: None,
        })];
        cfg[0]
            .settings
            .publishing
            .channels
            .push(ChannelTarget::new("mastodon", PublishKind::Mastodon));
        let record = |name: &str, kind: &str, fields: &str| NetworkChannelRecord {
            municipality_id: 1,
            slug: "musterstadt".into(),
            name: name.into(),
            kind: kind.into(),
            fields_json: fields.into(),
            profile_url: Some("https://t.me/musterstadt".into()),
            created_by: String::new(),
            created_at: 0,
            changed_by: String::new(),
            changed_at: 0,
        };
        let secret = |channel, name, value| network_secret("musterstadt", channel, name, value);
        let out = effective(
            &cfg,
            &[],
            &[],
            &[
                secret("kanal", "bot_token", "123:ui-token"),
                secret("mastodon", "access_token", "ui-override"),
            ],
            &[
                record("kanal", "telegram_channel", r#"{"chat":"@musterstadt"}"#),
                // Taken by the file's network channel and by its messenger channel: left out.
                record(
                    "mastodon",
                    "mastodon",
                    r#"{"instance":"https://evil.example"}"#,
                ),
                record("whatsapp", "x", "{}"),
                // Fails the check (no secret stored): left out.
                record("ohne-token", "x", "{}"),
            ],
        );
        let t = &out[0];
        let names: Vec<String> = t.networks.iter().map(NetworkConfig::name).collect();
        assert_eq!(names, vec!["mastodon", "kanal"]);
        match &t.networks[1] {
            NetworkConfig::TelegramChannel(c) => {
                assert_eq!(c.chat, "@musterstadt");
                assert_eq!(c.bot_token, "123:ui-token");
                assert_eq!(c.api_base, rathaus_channels::telegram::DEFAULT_API_BASE);
            }
            other => panic!("{other:?}"),
        }
        match &t.networks[0] {
            NetworkConfig::Mastodon(c) => {
                assert_eq!(c.instance, "http://127.0.0.1:9", "the file's channel stays");
                assert_eq!(c.access_token, "ui-override");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            t.settings.publishing.channels,
            vec![
                ChannelTarget::new("mastodon", PublishKind::Mastodon),
                ChannelTarget::new("kanal", PublishKind::TelegramChannel)
            ]
        );
        assert_eq!(
            t.settings
                .publishing
                .profiles
                .get("kanal")
                .map(String::as_str),
            Some("https://t.me/musterstadt")
        );
    }

    #[test]
    fn check_refuses_what_the_file_would_refuse() {
        let mut cfg = file().remove(0);
        Section::OfficeHours
            .apply(&mut cfg.settings, r#"{"mon":["13:00-12:00"]}"#)
            .unwrap();
        let e = check(&cfg).unwrap_err();
        assert!(e.starts_with("office_hours.mon:"), "{e}");
        let mut cfg = file().remove(0);
        Section::Texts
            .apply(&mut cfg.settings, r#"{"access_ready":"ohne Link"}"#)
            .unwrap();
        assert!(check(&cfg).unwrap_err().contains("{link}"));
        assert!(Section::OfficeHours
            .apply(&mut cfg.settings, r#"{"monday":[]}"#)
            .is_err());
    }

    #[test]
    fn fingerprints_follow_each_municipality_and_its_secrets() {
        let a = file_fingerprints(&file());
        let mut changed = file();
        changed[0].whatsapp[0].access_token = "new".into();
        let b = file_fingerprints(&changed);
        assert_ne!(a["musterstadt"], b["musterstadt"]);
        assert!(!b["musterstadt"].contains("new"));
        assert_eq!(a, file_fingerprints(&file()));
        // A publishing network's token counts too, though its Debug output leaves it out.
        let mastodon = |token: &str| {
            let mut cfg = file();
            cfg[0].networks = vec![NetworkConfig::Mastodon(
                rathaus_channels::publish::MastodonConfig {
                    name: None,
                    instance: "http://127.0.0.1:9".into(),
                    access_token: token.into(),
                    timeout_secs: None,
                },
            )];
            file_fingerprints(&cfg)
        };
        assert_ne!(
            mastodon("old")["musterstadt"],
            mastodon("new")["musterstadt"]
        );
        assert_eq!(mastodon("old"), mastodon("old"));
        // So do a network's other fields and the further secrets of X's token renewal.
        let moved = {
            let mut cfg = file();
            cfg[0].networks = vec![NetworkConfig::Mastodon(
                rathaus_channels::publish::MastodonConfig {
                    name: None,
                    instance: "http://127.0.0.1:10".into(),
                    access_token: "old".into(),
                    timeout_secs: None,
                },
            )];
            file_fingerprints(&cfg)
        };
        assert_ne!(mastodon("old")["musterstadt"], moved["musterstadt"]);
        let x = |refresh: &str| {
            let mut cfg = file();
            cfg[0].networks = vec![NetworkConfig::X(rathaus_channels::publish::XConfig {
                name: None,
                access_token: "token".into(),
                api_base: "http://127.0.0.1:9".into(),
                refresh_token: Some(refresh.into()),
                client_id: Some("client".into()),
                client_secret: None,
                token_keeper: None,
            })];
            file_fingerprints(&cfg)
        };
        assert_ne!(x("r1")["musterstadt"], x("r2")["musterstadt"]);
        assert!(!x("r1")["musterstadt"].contains("r1"));
    }
}
