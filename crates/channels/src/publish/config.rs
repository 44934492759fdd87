//! The per-network configuration tables (`[[municipality.mastodon]]` …); every API base is configurable so tests point at local servers.

use rathaus_domain::publishing::PublishKind;
use serde::Deserialize;

/// The Graph API base used when `api_base` is left out (Facebook page, Instagram).
pub const DEFAULT_GRAPH_BASE: &str = "https://graph.facebook.com";
/// The Graph API version used when `api_version` is left out.
pub const DEFAULT_GRAPH_VERSION: &str = "v23.0";
/// The PDS used when `pds` is left out.
pub const DEFAULT_BLUESKY_PDS: &str = "https://bsky.social";
/// The X API base used when `api_base` is left out.
pub const DEFAULT_X_BASE: &str = "https://api.x.com";

fn default_graph_base() -> String {
    DEFAULT_GRAPH_BASE.into()
}
fn default_graph_version() -> String {
    DEFAULT_GRAPH_VERSION.into()
}
fn default_telegram_base() -> String {
    crate::telegram::DEFAULT_API_BASE.into()
}
fn default_bluesky_pds() -> String {
    DEFAULT_BLUESKY_PDS.into()
}
fn default_x_base() -> String {
    DEFAULT_X_BASE.into()
}

/// `[[municipality.mastodon]]`: an account on a Mastodon instance.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MastodonConfig {
    /// Channel name; defaults to `mastodon`.
    #[serde(default)]
    pub name: Option<String>,
    /// The instance's base URL, e.g. `https://bawü.social` (also the API base).
    pub instance: String,
    /// An access token with the scopes `write:statuses write:media read:accounts`.
    pub access_token: String,
    /// How long to wait for the instance's answer before the outcome counts as unknown (default 30).
    #[serde(default)]
    pub timeout_secs: Option<u64>,
}

/// `[[municipality.bluesky]]`: an account on a PDS, signed in with an app password.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlueskyConfig {
    #[serde(default)]
    pub name: Option<String>,
    /// The PDS base URL (`https://bsky.social` unless self-hosted).
    #[serde(default = "default_bluesky_pds")]
    pub pds: String,
    pub handle: String,
    pub app_password: String,
}

/// `[[municipality.facebook_page]]`: a Facebook page, posted to with a page access token.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FacebookPageConfig {
    #[serde(default)]
    pub name: Option<String>,
    pub page_id: String,
    pub access_token: String,
    #[serde(default = "default_graph_base")]
    pub api_base: String,
    #[serde(default = "default_graph_version")]
    pub api_version: String,
}

/// `[[municipality.instagram]]`: an Instagram professional account (container + media_publish).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstagramConfig {
    #[serde(default)]
    pub name: Option<String>,
    pub user_id: String,
    pub access_token: String,
    #[serde(default = "default_graph_base")]
    pub api_base: String,
    #[serde(default = "default_graph_version")]
    pub api_version: String,
}

/// `[[municipality.x]]`: an X account with an OAuth 2.0 user token (`POST /2/tweets`).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct XConfig {
    #[serde(default)]
    pub name: Option<String>,
    pub access_token: String,
    #[serde(default = "default_x_base")]
    pub api_base: String,
    /// With the scope `offline.access`, X gives a refresh token beside the user token (which expires
    /// after about two hours); with it and `client_id` Rathaus renews the user token itself. X
    /// replaces the refresh token on every renewal: the newest is kept sealed in the database and
    /// used instead of this one, until this value is changed (re-authorised).
    #[serde(default)]
    pub refresh_token: Option<String>,
    /// The app's OAuth 2.0 client id (developer portal, "Keys and tokens").
    #[serde(default)]
    pub client_id: Option<String>,
    /// Only for a confidential client: its client secret (sent as HTTP Basic authentication).
    #[serde(default)]
    pub client_secret: Option<String>,
    /// Where renewed tokens are kept for every worker (set by the hub, not configuration).
    #[serde(skip)]
    pub token_keeper: Option<std::sync::Arc<dyn crate::x::XTokenKeeper>>,
}

/// `[[municipality.telegram_channel]]`: a Telegram channel the bot is an administrator of.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelegramChannelPublishConfig {
    #[serde(default)]
    pub name: Option<String>,
    /// `@channelname` or the numeric chat id (`-100…`).
    pub chat: String,
    pub bot_token: String,
    #[serde(default = "default_telegram_base")]
    pub api_base: String,
    /// How long to wait for Telegram's answer before the outcome counts as unknown (default 30).
    #[serde(default)]
    pub timeout_secs: Option<u64>,
}

/// Any configured network channel.
#[derive(Clone)]
pub enum NetworkConfig {
    Mastodon(MastodonConfig),
    Bluesky(BlueskyConfig),
    FacebookPage(FacebookPageConfig),
    Instagram(InstagramConfig),
    X(XConfig),
    TelegramChannel(TelegramChannelPublishConfig),
}

impl NetworkConfig {
    pub fn kind(&self) -> PublishKind {
        match self {
            NetworkConfig::Mastodon(_) => PublishKind::Mastodon,
            NetworkConfig::Bluesky(_) => PublishKind::Bluesky,
            NetworkConfig::FacebookPage(_) => PublishKind::FacebookPage,
            NetworkConfig::Instagram(_) => PublishKind::Instagram,
            NetworkConfig::X(_) => PublishKind::X,
            NetworkConfig::TelegramChannel(_) => PublishKind::TelegramChannel,
        }
    }

    /// The channel's name: as configured, else the kind (`mastodon`, `facebook_page`, …).
    pub fn name(&self) -> String {
        let name = match self {
            NetworkConfig::Mastodon(c) => &c.name,
            NetworkConfig::Bluesky(c) => &c.name,
            NetworkConfig::FacebookPage(c) => &c.name,
            NetworkConfig::Instagram(c) => &c.name,
            NetworkConfig::X(c) => &c.name,
            NetworkConfig::TelegramChannel(c) => &c.name,
        };
        name.clone()
            .unwrap_or_else(|| self.kind().as_str().to_string())
    }
}

/// Tokens and passwords stay out of `Debug`, so they never reach a log line.
impl std::fmt::Debug for NetworkConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetworkConfig")
            .field("kind", &self.kind().as_str())
            .field("name", &self.name())
            .finish_non_exhaustive()
    }
}

macro_rules! debug_without_secrets {
    ($($t:ident => $variant:ident),*) => {$(
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Debug::fmt(&NetworkConfig::$variant(self.clone()), f)
            }
        }
        impl From<$t> for NetworkConfig {
            fn from(c: $t) -> Self {
                NetworkConfig::$variant(c)
            }
        }
    )*};
}

debug_without_secrets!(
    MastodonConfig => Mastodon,
    BlueskyConfig => Bluesky,
    FacebookPageConfig => FacebookPage,
    InstagramConfig => Instagram,
    XConfig => X,
    TelegramChannelPublishConfig => TelegramChannel
);
