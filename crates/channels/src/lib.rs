//! Channel adapters: the only place where the WhatsApp Cloud API and the Telegram Bot API exist.
//!
//! Inbound: verify the request ([`whatsapp::verify_signature`], [`telegram::verify_secret`]), then
//! parse the body into platform-neutral [`InboundEvent`]s ([`whatsapp::parse_webhook`],
//! [`telegram::parse_update`]). Outbound: [`ChannelClient`] sends text and downloads media, so the
//! rest of the application never matches on a platform.
//!
//! Secrets (access token, bot token) never appear in an error string or a log line: errors from
//! reqwest are stripped of their URL and every reason is passed through a redaction step.
#![deny(clippy::unwrap_used, clippy::panic)]

pub mod bluesky;
mod http;
mod image_fit;
pub mod meta;
pub mod publish;
pub mod staging;
pub mod telegram;
#[cfg(test)]
mod test_json;
pub mod whatsapp;
pub mod x;

#[cfg(feature = "testing")]
pub mod fake_mastodon;
#[cfg(feature = "testing")]
pub mod fake_networks;
#[cfg(feature = "testing")]
pub mod testing;

pub use rathaus_domain::{InboundEvent, MediaRef, SendError, SentMessage};
pub use telegram::{TelegramClient, TelegramUpdate};
pub use whatsapp::{RoutedEvent, WhatsAppClient};

/// `User-Agent` sent with every platform request (matches the pattern Meta's spec asks for).
pub const USER_AGENT: &str = concat!("rathaus/", env!("CARGO_PKG_VERSION"));

/// Why a webhook body could not be turned into events.
///
/// The text never quotes the body: payloads carry phone numbers and message text, and parse errors
/// end up in logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("body is not valid JSON ({category}) at line {line}, column {column}")]
    Json {
        category: &'static str,
        line: usize,
        column: usize,
    },
    #[error("payload lacks required structure: {0}")]
    Structure(&'static str),
}

impl ParseError {
    /// Maps a serde_json error without its message, which may quote values from the payload.
    pub(crate) fn from_json(e: &serde_json::Error) -> Self {
        use serde_json::error::Category;
        let category = match e.classify() {
            Category::Io => "io",
            Category::Syntax => "syntax",
            Category::Data => "unexpected shape",
            Category::Eof => "truncated",
        };
        ParseError::Json {
            category,
            line: e.line(),
            column: e.column(),
        }
    }
}

/// Media bytes downloaded from a platform, checked against the announced size limit and hash.
#[derive(Clone, PartialEq, Eq)]
pub struct DownloadedMedia {
    pub bytes: Vec<u8>,
    /// Best knowledge of the type: what the platform declared, else the HTTP `Content-Type`,
    /// else `application/octet-stream`.
    pub mime_type: String,
}

impl std::fmt::Debug for DownloadedMedia {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Media is personal data: never dump the bytes into a log.
        f.debug_struct("DownloadedMedia")
            .field("len", &self.bytes.len())
            .field("mime_type", &self.mime_type)
            .finish()
    }
}

/// One configured connection to a platform; the rest of the app talks to this, never to a platform.
#[derive(Debug, Clone)]
pub enum ChannelClient {
    WhatsApp(WhatsAppClient),
    Telegram(TelegramClient),
}

impl ChannelClient {
    pub fn kind(&self) -> rathaus_domain::ChannelKind {
        match self {
            ChannelClient::WhatsApp(_) => rathaus_domain::ChannelKind::WhatsApp,
            ChannelClient::Telegram(_) => rathaus_domain::ChannelKind::Telegram,
        }
    }

    /// Sends a plain text. `recipient` is the [`rathaus_domain::PlatformUser::id`] the citizen wrote from.
    pub async fn send_text(&self, recipient: &str, text: &str) -> Result<SentMessage, SendError> {
        match self {
            ChannelClient::WhatsApp(c) => c.send_text(recipient, text).await,
            ChannelClient::Telegram(c) => c.send_text(recipient, text).await,
        }
    }

    /// Downloads media a citizen sent, refusing anything larger than `max_bytes`.
    pub async fn fetch_media(
        &self,
        media: &MediaRef,
        max_bytes: usize,
    ) -> Result<DownloadedMedia, SendError> {
        match self {
            ChannelClient::WhatsApp(c) => c.fetch_media(media, max_bytes).await,
            ChannelClient::Telegram(c) => c.fetch_media(media, max_bytes).await,
        }
    }
}

impl From<WhatsAppClient> for ChannelClient {
    fn from(c: WhatsAppClient) -> Self {
        ChannelClient::WhatsApp(c)
    }
}

impl From<TelegramClient> for ChannelClient {
    fn from(c: TelegramClient) -> Self {
        ChannelClient::Telegram(c)
    }
}

/// A reqwest client with the timeouts platform calls should have; callers may build their own.
pub fn default_http_client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(std::time::Duration::from_secs(10))
        .timeout(std::time::Duration::from_secs(60))
        .build()
}
