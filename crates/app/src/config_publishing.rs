//! `[municipality.publishing]` and the network channel tables (`[[municipality.mastodon]]` …) posts may go to.
//!
//! Each table is read into its network's configuration (`rathaus_channels::publish`), which refuses
//! unknown and missing keys with the table named; tokens are kept out of `Debug` output.

use anyhow::bail;
use rathaus_channels::publish::{check, NetworkConfig};
use rathaus_domain::publishing::{ChannelTarget, PublishKind, PublishingSettings};
use serde::Deserialize;

use crate::config::MunicipalityConfig;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishingConfig {
    /// A second editor or admin approves every post (default true).
    pub four_eyes: Option<bool>,
}

/// One network channel table; `name` defaults to the kind ("mastodon").
#[derive(Clone, Deserialize)]
pub struct PublishChannelConfig {
    pub name: Option<String>,
    /// The channel's public profile (e.g. "https://bawü.social/@musterstadt"), linked from the
    /// town's channel directory; not an adapter key.
    pub profile_url: Option<String>,
    /// Keys for the adapter (instance, access_token, …), read by [`networks`].
    #[serde(flatten)]
    pub adapter: toml::Table,
}

impl std::fmt::Debug for PublishChannelConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublishChannelConfig")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// The publishing settings of a municipality, with channel names checked: unique, not `website`
/// (the built-in news page), usable in a URL.
pub fn settings(m: &MunicipalityConfig) -> anyhow::Result<PublishingSettings> {
    let tables = [
        (PublishKind::Mastodon, &m.mastodon),
        (PublishKind::Bluesky, &m.bluesky),
        (PublishKind::FacebookPage, &m.facebook_page),
        (PublishKind::Instagram, &m.instagram),
        (PublishKind::X, &m.x),
        (PublishKind::TelegramChannel, &m.telegram_channel),
    ];
    let mut channels: Vec<ChannelTarget> = Vec::new();
    let mut profiles = std::collections::BTreeMap::new();
    for (kind, list) in tables {
        for c in list.iter().flatten() {
            let name = c.name.clone().unwrap_or_else(|| kind.as_str().to_string());
            if let Err(problem) = check::check_name(&name) {
                bail!(
                    "municipality '{}': name of the {} channel '{name}' {problem}",
                    m.slug,
                    kind.as_str()
                );
            }
            // Unique among the network channels and the messenger channels of the municipality.
            let messengers = (m.whatsapp.iter().map(|w| w.name.as_str()))
                .chain(m.telegram.iter().map(|t| t.name.as_str()));
            let taken = channels.iter().map(|c| c.name.as_str()).chain(messengers);
            if check::check_unique(&name, taken).is_err() {
                bail!("municipality '{}': publishing channel name '{name}' appears twice; give each [[municipality.{}]] its own name, different from the messenger channels' names", m.slug, kind.as_str());
            }
            if let Some(url) = c.profile_url.as_deref().map(str::trim) {
                if let Err(problem) = check::check_web_address(url) {
                    bail!(
                        "municipality '{}': profile_url of publishing channel '{name}' {problem}",
                        m.slug
                    );
                }
                profiles.insert(name.clone(), url.to_string());
            }
            channels.push(ChannelTarget::new(name, kind));
        }
    }
    Ok(PublishingSettings {
        four_eyes: m
            .publishing
            .as_ref()
            .and_then(|p| p.four_eyes)
            .unwrap_or(true),
        channels,
        profiles,
    })
}

/// Every network channel table read into its network's configuration, in the order of [`settings`].
pub fn networks(m: &MunicipalityConfig) -> anyhow::Result<Vec<NetworkConfig>> {
    let tables = [
        (PublishKind::Mastodon, &m.mastodon),
        (PublishKind::Bluesky, &m.bluesky),
        (PublishKind::FacebookPage, &m.facebook_page),
        (PublishKind::Instagram, &m.instagram),
        (PublishKind::X, &m.x),
        (PublishKind::TelegramChannel, &m.telegram_channel),
    ];
    let mut out = Vec::new();
    for (kind, list) in tables {
        for c in list.iter().flatten() {
            let mut table = c.adapter.clone();
            if let Some(name) = &c.name {
                table.insert("name".into(), toml::Value::String(name.clone()));
            }
            let value = toml::Value::Table(table);
            let label = c.name.as_deref().unwrap_or(kind.as_str());
            let parsed = match kind {
                PublishKind::Mastodon => value.try_into().map(NetworkConfig::Mastodon),
                PublishKind::Bluesky => value.try_into().map(NetworkConfig::Bluesky),
                PublishKind::FacebookPage => value.try_into().map(NetworkConfig::FacebookPage),
                PublishKind::Instagram => value.try_into().map(NetworkConfig::Instagram),
                PublishKind::X => value.try_into().map(NetworkConfig::X),
                PublishKind::TelegramChannel => {
                    value.try_into().map(NetworkConfig::TelegramChannel)
                }
            };
            match parsed {
                // The admin UI checks channels it adds with the same function.
                Ok(n) => match check::check(&n)
                    .map_err(|e| e.to_string())
                    .and_then(|()| match &n {
                        NetworkConfig::X(x) => rathaus_channels::x::check_renewal(x),
                        _ => Ok(()),
                    }) {
                    Ok(()) => out.push(n),
                    Err(e) => bail!(
                        "municipality '{}': [[municipality.{}]] '{label}': {e}",
                        m.slug,
                        kind.as_str()
                    ),
                },
                // toml's message names the key; it never quotes a value, so no token leaks.
                Err(e) => bail!(
                    "municipality '{}': [[municipality.{}]] '{label}': {}",
                    m.slug,
                    kind.as_str(),
                    e.message()
                ),
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use rathaus_domain::publishing::{ChannelTarget, PublishKind};

    use crate::config::Config;

    fn load(toml: &str) -> anyhow::Result<Config> {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("c.toml");
        std::fs::write(&p, toml).expect("write");
        Config::load_with_env(Some(&p), &[])
    }

    #[test]
    fn four_eyes_is_on_by_default_and_channels_keep_their_names() {
        let c = load("[[municipality]]\nslug = \"m\"\nname = \"M\"\n").expect("loads");
        let p = &c.tenants().expect("tenants")[0].settings.publishing;
        assert!(p.four_eyes);
        assert!(p.channels.is_empty());

        let c = load(
            r#"
[[municipality]]
slug = "m"
name = "M"
[municipality.publishing]
four_eyes = false
[[municipality.mastodon]]
name = "mastodon"
instance = "https://bawü.social"
access_token = "geheim"
[[municipality.bluesky]]
handle = "musterstadt.bsky.social"
app_password = "geheim-2"
[[municipality.telegram_channel]]
name = "kanal"
chat = "@musterstadt"
bot_token = "123:geheim-3"
"#,
        )
        .expect("loads");
        let p = &c.tenants().expect("tenants")[0].settings.publishing;
        assert!(!p.four_eyes);
        assert_eq!(
            p.channels,
            vec![
                ChannelTarget::new("mastodon", PublishKind::Mastodon),
                ChannelTarget::new("bluesky", PublishKind::Bluesky),
                ChannelTarget::new("kanal", PublishKind::TelegramChannel),
            ]
        );
        assert!(
            !format!("{c:?}").contains("geheim"),
            "tokens stay out of Debug"
        );
    }

    #[test]
    fn profile_urls_reach_the_channel_directory_and_must_be_web_addresses() {
        let ok = "[[municipality]]\nslug = \"m\"\nname = \"M\"\n[[municipality.telegram_channel]]\nname = \"kanal\"\nchat = \"@m\"\nbot_token = \"1:x\"\nprofile_url = \"https://t.me/m\"\n";
        let c = load(ok).expect("loads");
        let p = &c.tenants().expect("tenants")[0].settings.publishing;
        assert_eq!(
            p.profiles.get("kanal").map(String::as_str),
            Some("https://t.me/m")
        );
        let bad = ok.replace("https://t.me/m", "javascript:alert(1)");
        let err = load(&bad).expect("loads").tenants().expect_err("refused");
        assert!(err.to_string().contains("profile_url"), "{err}");
    }

    #[test]
    fn duplicate_and_reserved_names_are_refused() {
        let dup = "[[municipality]]\nslug = \"m\"\nname = \"M\"\n[[municipality.mastodon]]\nname = \"a\"\n[[municipality.x]]\nname = \"a\"\n";
        let err = load(dup).expect("loads").tenants().expect_err("duplicate");
        assert!(err.to_string().contains("appears twice"), "{err}");
        let web = "[[municipality]]\nslug = \"m\"\nname = \"M\"\n[[municipality.x]]\nname = \"website\"\n";
        let err = load(web).expect("loads").tenants().expect_err("reserved");
        assert!(err.to_string().contains("built-in news page"), "{err}");
        let typo = "[[municipality]]\nslug = \"m\"\nname = \"M\"\n[municipality.publishing]\nfour_eye = true\n";
        assert!(load(typo).is_err());
    }

    #[test]
    fn network_tables_become_adapter_configs_and_mistakes_name_the_table_and_key() {
        let c = load(
            r#"
[[municipality]]
slug = "m"
name = "M"
[[municipality.mastodon]]
instance = "https://bawü.social"
access_token = "geheim"
[[municipality.telegram_channel]]
name = "kanal"
chat = "@musterstadt"
bot_token = "123:geheim"
"#,
        )
        .expect("loads");
        let t = &c.tenants().expect("tenants")[0];
        let got: Vec<(String, PublishKind)> =
            t.networks.iter().map(|n| (n.name(), n.kind())).collect();
        assert_eq!(
            got,
            vec![
                ("mastodon".to_string(), PublishKind::Mastodon),
                ("kanal".to_string(), PublishKind::TelegramChannel)
            ]
        );
        assert!(!format!("{:?}", t.networks).contains("geheim"));

        let missing = "[[municipality]]\nslug = \"m\"\nname = \"M\"\n[[municipality.mastodon]]\ninstance = \"https://x.social\"\n";
        let err = load(missing)
            .expect("loads")
            .tenants()
            .expect_err("missing token");
        let err = err.to_string();
        assert!(
            err.contains("[[municipality.mastodon]] 'mastodon'") && err.contains("access_token"),
            "{err}"
        );
        let typo = "[[municipality]]\nslug = \"m\"\nname = \"M\"\n[[municipality.telegram_channel]]\nchat = \"@m\"\nbot_token = \"1:a\"\napi_bse = \"http://x\"\n";
        let err = load(typo)
            .expect("loads")
            .tenants()
            .expect_err("unknown key");
        assert!(err.to_string().contains("api_bse"), "{err}");
    }

    #[test]
    fn fields_are_checked_like_in_the_admin_ui() {
        let base = "[[municipality]]\nslug = \"m\"\nname = \"M\"\n";
        let cases = [
            (
                "[[municipality.mastodon]]\ninstance = \"bawü.social\"\naccess_token = \"t\"\n",
                "instance: must be a web address",
            ),
            (
                "[[municipality.mastodon]]\ninstance = \"https://bawü.social\"\naccess_token = \"\"\n",
                "access_token: is missing",
            ),
            (
                "[[municipality.telegram_channel]]\nchat = \"musterstadt\"\nbot_token = \"1:a\"\n",
                "chat: must be the channel's @name",
            ),
            (
                "[[municipality.telegram]]\nname = \"kanal\"\nbot_token = \"1:a\"\nwebhook_secret = \"s\"\n[[municipality.telegram_channel]]\nname = \"kanal\"\nchat = \"@m\"\nbot_token = \"1:a\"\n",
                "appears twice",
            ),
        ];
        for (table, expected) in cases {
            let err = load(&format!("{base}{table}"))
                .and_then(|c| c.tenants().map(|_| ()))
                .expect_err(expected);
            assert!(err.to_string().contains(expected), "{err}");
        }
    }

    #[test]
    fn x_renewal_settings_come_from_files_and_must_fit_together() {
        let dir = tempfile::tempdir().expect("tmp");
        let refresh = dir.path().join("x-refresh");
        std::fs::write(&refresh, "geheim-refresh\n").expect("write");
        let c = load(&format!(
            "[[municipality]]\nslug = \"m\"\nname = \"M\"\n[[municipality.x]]\naccess_token = \"geheim-access\"\n\
             refresh_token_file = \"{}\"\nclient_id = \"app-id\"\nclient_secret = \"geheim-secret\"\n",
            refresh.display()
        ))
        .expect("loads");
        let tenants = c.tenants().expect("tenants");
        let x = match tenants[0].networks.first() {
            Some(rathaus_channels::publish::NetworkConfig::X(x)) => Some(x),
            _ => None,
        }
        .expect("an X channel");
        assert_eq!(x.refresh_token.as_deref(), Some("geheim-refresh"));
        assert_eq!(x.client_id.as_deref(), Some("app-id"));
        assert_eq!(x.client_secret.as_deref(), Some("geheim-secret"));
        assert!(!format!("{c:?} {tenants:?}").contains("geheim"));

        let base = "[[municipality]]\nslug = \"m\"\nname = \"M\"\n[[municipality.x]]\naccess_token = \"a\"\n";
        for (extra, expected) in [
            ("refresh_token = \"r\"\n", "refresh_token needs client_id"),
            (
                "client_id = \"c\"\n",
                "client_id is given without refresh_token",
            ),
            (
                "refresh_token = \"r\"\nclient_id = \"\"\n",
                "must not be empty",
            ),
        ] {
            let err = load(&format!("{base}{extra}"))
                .and_then(|c| c.tenants().map(|_| ()))
                .expect_err(expected);
            assert!(err.to_string().contains(expected), "{err}");
        }
    }
}
