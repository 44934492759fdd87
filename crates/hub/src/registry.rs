//! Registry of configured municipalities and their channels, built once at start from the configuration.

use std::collections::HashMap;
use std::sync::Arc;

use rathaus_channels::{ChannelClient, TelegramClient, WhatsAppClient};
use rathaus_domain::schedule::{ChannelRef, MunicipalitySchedule};
use rathaus_domain::{ChannelKind, MunicipalitySettings};
use rathaus_store::{ChannelRow, MunicipalityRow, Store, StoreError};
use serde::Deserialize;

/// One WhatsApp Business number (`[[municipality.whatsapp]]`).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhatsAppChannelConfig {
    #[serde(default = "default_whatsapp_name")]
    pub name: String,
    pub phone_number_id: String,
    pub verify_token: String,
    pub app_secret: String,
    pub access_token: String,
    #[serde(default = "default_graph_base")]
    pub api_base: String,
    #[serde(default = "default_graph_version")]
    pub api_version: String,
    /// The number citizens write to, e.g. "+49 7121 123456", for the public channel directory.
    #[serde(default)]
    pub display_phone_number: Option<String>,
}

/// One Telegram bot (`[[municipality.telegram]]`); `name` is the webhook path segment.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelegramChannelConfig {
    pub name: String,
    pub bot_token: String,
    pub webhook_secret: String,
    #[serde(default = "default_telegram_base")]
    pub api_base: String,
    /// The bot's public username (without "@"), for the t.me link in the public channel directory.
    #[serde(default)]
    pub public_username: Option<String>,
}

fn default_whatsapp_name() -> String {
    "whatsapp".into()
}
fn default_graph_base() -> String {
    "https://graph.facebook.com".into()
}
fn default_graph_version() -> String {
    "v23.0".into()
}
fn default_telegram_base() -> String {
    "https://api.telegram.org".into()
}

/// Secrets are kept out of `Debug` output so they never reach a log line.
impl std::fmt::Debug for WhatsAppChannelConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhatsAppChannelConfig")
            .field("name", &self.name)
            .field("phone_number_id", &self.phone_number_id)
            .field("api_base", &self.api_base)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for TelegramChannelConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelegramChannelConfig")
            .field("name", &self.name)
            .field("api_base", &self.api_base)
            .finish_non_exhaustive()
    }
}

/// A municipality as configured: settings plus its channels.
#[derive(Debug, Clone)]
pub struct TenantConfig {
    /// The network channels posts are published to (`[[municipality.mastodon]]` …).
    pub networks: Vec<rathaus_channels::publish::NetworkConfig>,
    pub settings: MunicipalitySettings,
    pub whatsapp: Vec<WhatsAppChannelConfig>,
    pub telegram: Vec<TelegramChannelConfig>,
    /// `[municipality.oidc]`: staff sign-in with the town's OpenID Connect provider.
    pub sso: Option<crate::sso::SsoConfig>,
}

/// A messenger channel as the public channel directory shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirectoryEntry {
    WhatsApp {
        name: String,
        phone: Option<String>,
    },
    Telegram {
        name: String,
        username: Option<String>,
    },
}

/// What a webhook needs to authenticate a request for one channel.
#[derive(Clone)]
pub enum ChannelSecrets {
    WhatsApp {
        verify_token: String,
        app_secret: String,
    },
    Telegram {
        webhook_secret: String,
    },
}

#[derive(Clone)]
pub struct ConfiguredChannel {
    pub row: ChannelRow,
    pub secrets: ChannelSecrets,
    pub client: ChannelClient,
}

#[derive(Clone)]
pub struct Tenant {
    pub row: MunicipalityRow,
    /// The network channels with an adapter, by name (publishing jobs).
    pub publishers: crate::publish_jobs::Publishers,
    /// How citizens reach each messenger channel, for the public directory.
    pub directory: Vec<DirectoryEntry>,
    pub settings: MunicipalitySettings,
    /// Version (hash) of the privacy notice in force, recorded with every consent.
    pub notice_version: String,
    pub channels: Vec<ConfiguredChannel>,
    /// Office hours, consultation hours (with their channel ids) and response targets.
    pub schedule: MunicipalitySchedule,
    /// The OpenID Connect provider staff may sign in with (discovery and keys cached inside).
    pub sso: Option<Arc<crate::sso::RelyingParty>>,
}

impl Tenant {
    pub fn channel(&self, channel_id: i64) -> Option<&ConfiguredChannel> {
        self.channels.iter().find(|c| c.row.id == channel_id)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("configuration: {0}")]
    Config(String),
}

/// All tenants, with lookups for webhook routing. Immutable after start.
pub struct Registry {
    /// Where citizens reach the public pages (export download links).
    pub public_url: String,
    tenants: Vec<Tenant>,
    whatsapp_by_phone: HashMap<String, (usize, usize)>,
    telegram_by_name: HashMap<String, (usize, usize)>,
}

impl Registry {
    /// Registers every configured municipality and channel in the store and builds the clients;
    /// `public_url` is the base of links sent to citizens.
    pub async fn build(
        store: &Store,
        configs: &[TenantConfig],
        http: reqwest::Client,
        now: i64,
        public_url: &str,
    ) -> Result<Arc<Registry>, RegistryError> {
        let mut tenants = Vec::new();
        let mut whatsapp_by_phone = HashMap::new();
        let mut telegram_by_name = HashMap::new();
        for cfg in configs {
            let s = &cfg.settings;
            let Ok(timezone) = jiff::tz::TimeZone::get(&s.timezone) else {
                return Err(RegistryError::Config(format!(
                    "municipality '{}': unknown time zone '{}'",
                    s.slug, s.timezone
                )));
            };
            let row = store
                .ensure_municipality(&s.slug, &s.name, &s.timezone, now)
                .await?;
            let notice_version = store
                .ensure_privacy_notice(
                    row.id,
                    &s.privacy_notice_url,
                    s.privacy_notice_text.as_deref(),
                    now,
                )
                .await?;
            let ti = tenants.len();
            let mut channels = Vec::new();
            for wa in &cfg.whatsapp {
                let ch = store
                    .ensure_channel(
                        row.id,
                        ChannelKind::WhatsApp,
                        &wa.name,
                        &wa.phone_number_id,
                        now,
                    )
                    .await?;
                if whatsapp_by_phone
                    .insert(wa.phone_number_id.clone(), (ti, channels.len()))
                    .is_some()
                {
                    return Err(RegistryError::Config(format!(
                        "WhatsApp phone_number_id {} is configured twice",
                        wa.phone_number_id
                    )));
                }
                channels.push(ConfiguredChannel {
                    row: ch,
                    secrets: ChannelSecrets::WhatsApp {
                        verify_token: wa.verify_token.clone(),
                        app_secret: wa.app_secret.clone(),
                    },
                    client: WhatsAppClient::new(
                        http.clone(),
                        &wa.api_base,
                        &wa.api_version,
                        &wa.phone_number_id,
                        &wa.access_token,
                    )
                    .into(),
                });
            }
            for tg in &cfg.telegram {
                let ch = store
                    .ensure_channel(row.id, ChannelKind::Telegram, &tg.name, &tg.name, now)
                    .await?;
                if telegram_by_name
                    .insert(tg.name.clone(), (ti, channels.len()))
                    .is_some()
                {
                    return Err(RegistryError::Config(format!(
                        "Telegram channel name '{}' is configured twice",
                        tg.name
                    )));
                }
                channels.push(ConfiguredChannel {
                    row: ch,
                    secrets: ChannelSecrets::Telegram {
                        webhook_secret: tg.webhook_secret.clone(),
                    },
                    client: TelegramClient::new(http.clone(), &tg.api_base, &tg.bot_token).into(),
                });
            }
            let refs: Vec<ChannelRef<'_>> = channels
                .iter()
                .map(|c| ChannelRef {
                    id: c.row.id,
                    kind: c.row.kind,
                    name: &c.row.name,
                })
                .collect();
            let schedule = MunicipalitySchedule::build(
                &s.office_hours,
                &s.consultation_hours,
                &s.response_targets,
                timezone,
                &refs,
            )
            .map_err(|e| RegistryError::Config(format!("municipality '{}': {e}", s.slug)))?;
            crate::teams::apply(store, row.id, &s.slug, &s.teams, &refs, now).await?;
            let directory = (cfg.whatsapp.iter())
                .map(|w| DirectoryEntry::WhatsApp {
                    name: w.name.clone(),
                    phone: w.display_phone_number.clone(),
                })
                .chain(cfg.telegram.iter().map(|t| DirectoryEntry::Telegram {
                    name: t.name.clone(),
                    username: t.public_username.clone(),
                }))
                .collect();
            let sso = match &cfg.sso {
                Some(c) => Some(Arc::new(crate::sso::RelyingParty::new(c.clone()).map_err(
                    |e| RegistryError::Config(format!("municipality '{}': {e}", s.slug)),
                )?)),
                None => None,
            };
            tenants.push(Tenant {
                publishers: crate::publish_jobs::Publishers::build(
                    &crate::x_tokens::with_keepers(&cfg.networks, store, row.id),
                    &http,
                    public_url,
                    store,
                ),
                row,
                directory,
                settings: s.clone(),
                notice_version,
                channels,
                schedule,
                sso,
            });
        }
        Ok(Arc::new(Registry {
            public_url: public_url.trim_end_matches('/').to_string(),
            tenants,
            whatsapp_by_phone,
            telegram_by_name,
        }))
    }

    pub fn tenants(&self) -> &[Tenant] {
        &self.tenants
    }

    pub fn tenant(&self, municipality_id: i64) -> Option<&Tenant> {
        self.tenants.iter().find(|t| t.row.id == municipality_id)
    }

    pub fn tenant_by_slug(&self, slug: &str) -> Option<&Tenant> {
        self.tenants.iter().find(|t| t.row.slug == slug)
    }

    /// The municipality whose own news host `host` is (lower-case, without port).
    pub fn tenant_by_news_host(&self, host: &str) -> Option<&Tenant> {
        self.tenants
            .iter()
            .find(|t| t.settings.news_host.as_deref() == Some(host))
    }

    /// The WhatsApp channel a `phone_number_id` belongs to.
    pub fn whatsapp(&self, phone_number_id: &str) -> Option<(&Tenant, &ConfiguredChannel)> {
        let (t, c) = *self.whatsapp_by_phone.get(phone_number_id)?;
        Some((&self.tenants[t], &self.tenants[t].channels[c]))
    }

    /// Every WhatsApp channel (webhook verification tries each app secret).
    pub fn whatsapp_channels(&self) -> impl Iterator<Item = (&Tenant, &ConfiguredChannel)> {
        self.tenants
            .iter()
            .flat_map(|t| t.channels.iter().map(move |c| (t, c)))
            .filter(|(_, c)| c.row.kind == ChannelKind::WhatsApp)
    }

    pub fn telegram(&self, name: &str) -> Option<(&Tenant, &ConfiguredChannel)> {
        let (t, c) = *self.telegram_by_name.get(name)?;
        Some((&self.tenants[t], &self.tenants[t].channels[c]))
    }
}
