//! Publishing to networks: the adapter interface every network implements, its error kinds and the per-network configuration.
//!
//! The hub never sees a platform: it hands an [`OutgoingPost`] to a [`Publisher`] built by
//! [`publisher`] from a [`NetworkConfig`], and gets back a [`RemotePost`] (opaque id plus public
//! link) or a [`PublishError`] that says what to do next.
//!
//! Never a double post: the hub records the attempt with its [`OutgoingPost::idempotency_key`]
//! durably *before* calling [`Publisher::publish`], and the result after. When an attempt's outcome
//! is unknown (timeout after sending, crash), the hub asks the adapter before trying again:
//! - within [`Capabilities::idempotency_window_ms`] the same call with the same key is safe (the
//!   platform answers with the post it already made — Mastodon's `Idempotency-Key`);
//! - else, with [`Capabilities::lookup`], [`Publisher::find_existing`] looks for the post;
//! - else the publication is marked for a person to check; it is never sent blindly again.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use rathaus_domain::publishing::PublishKind;

pub mod check;
mod config;
pub mod mastodon;
pub mod multipart;
pub mod rate;
pub mod telegram_channel;

pub use config::{
    BlueskyConfig, FacebookPageConfig, InstagramConfig, MastodonConfig, NetworkConfig,
    TelegramChannelPublishConfig, XConfig, DEFAULT_BLUESKY_PDS, DEFAULT_GRAPH_BASE,
    DEFAULT_GRAPH_VERSION, DEFAULT_X_BASE,
};

/// A boxed future, so [`Publisher`] can be used as `dyn Publisher` without extra crates.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One image of a post, already re-encoded (no EXIF/GPS) by the hub.
#[derive(Clone, PartialEq, Eq)]
pub struct PostImage {
    pub bytes: Vec<u8>,
    /// `image/jpeg` or `image/png`.
    pub mime: String,
    /// Alt text; required by the composer, sent as Mastodon `description`, Bluesky `alt`, …
    pub alt: String,
    pub width: u32,
    pub height: u32,
}

impl std::fmt::Debug for PostImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostImage")
            .field("len", &self.bytes.len())
            .field("mime", &self.mime)
            .field("alt", &self.alt)
            .finish()
    }
}

/// What goes out to one channel: the text for this channel (variant already applied), images in
/// order, and the key that identifies this publication across retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingPost {
    /// Stable for one (post, channel) across every retry and restart; at most 64 ASCII characters
    /// (`[A-Za-z0-9-]`). Mastodon gets it as `Idempotency-Key`; adapters that look posts up may
    /// use it as a marker where the platform keeps one invisibly, never in the visible text.
    pub idempotency_key: String,
    pub text: String,
    /// BCP 47 / ISO 639-1, e.g. `de`.
    pub language: String,
    pub images: Vec<PostImage>,
    /// Unix ms when the first attempt was started; a lookup need not search older posts.
    pub first_attempt_at: i64,
}

/// A post as it exists on the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemotePost {
    /// Opaque to the hub, meaningful to the adapter that made it (may encode several ids, e.g. a
    /// Telegram media group's message ids). Stored and handed back for edit and delete.
    pub id: String,
    /// Public link to the post, if the platform has one.
    pub url: Option<String>,
}

/// What [`Publisher::find_existing`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Found(RemotePost),
    NotFound,
}

/// What an adapter can do beyond publishing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Capabilities {
    /// Repeating [`Publisher::publish`] with the same key within this many ms after the first
    /// attempt cannot create a second post (Mastodon keeps idempotency keys for one hour).
    pub idempotency_window_ms: Option<i64>,
    /// [`Publisher::find_existing`] can tell whether an attempt reached the platform.
    pub lookup: bool,
    /// [`Publisher::edit`] changes the text of a published post in place.
    pub edit: bool,
    /// [`Publisher::delete`] removes a published post.
    pub delete: bool,
}

/// Why a platform call did not succeed, and so what the hub does next.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublishError {
    /// The platform did not take the request (network error before sending, 5xx before processing,
    /// 408): try again later, after `retry_after_ms` if the platform said so.
    #[error("vorübergehend nicht möglich / temporarily not possible: {reason}")]
    Retryable {
        reason: String,
        retry_after_ms: Option<u64>,
    },
    /// A rate limit (429, `X-RateLimit-Remaining: 0`, or our own budget for the platform's
    /// documented limits): wait `retry_after_ms`, then try again. Does not count as a failure.
    #[error("Ratenbegrenzung / rate limited: {reason}")]
    RateLimited { reason: String, retry_after_ms: u64 },
    /// The platform refused for good (bad token, text too long, deleted account). `message` is in
    /// plain words for the editor, German first ("… / …"), and never holds a secret.
    #[error("{message}")]
    Permanent { message: String },
    /// The request may have reached the platform (timeout after sending, connection lost while
    /// waiting for the answer): resolve before any new attempt (see the module doc).
    #[error("Ausgang unbekannt / outcome unknown: {reason}")]
    UnknownOutcome { reason: String },
    /// The platform does not offer this operation (e.g. edit); `message` in plain words.
    #[error("{message}")]
    Unsupported { message: String },
}

impl PublishError {
    /// A permanent refusal in both languages.
    pub fn permanent(de: impl AsRef<str>, en: impl AsRef<str>) -> Self {
        PublishError::Permanent {
            message: format!("{} / {}", de.as_ref(), en.as_ref()),
        }
    }

    pub fn retryable(reason: impl Into<String>) -> Self {
        PublishError::Retryable {
            reason: reason.into(),
            retry_after_ms: None,
        }
    }

    /// The text shown on the post.
    pub fn plain_words(&self) -> String {
        self.to_string()
    }
}

/// One configured network channel. Implementations keep their own state (sessions, rate
/// budgets) and are shared by every worker task of the process.
pub trait Publisher: Send + Sync + std::fmt::Debug {
    fn kind(&self) -> PublishKind;

    fn capabilities(&self) -> Capabilities;

    /// Creates the post. Must send `post.idempotency_key` where the platform takes one.
    fn publish<'a>(
        &'a self,
        post: &'a OutgoingPost,
    ) -> BoxFuture<'a, Result<RemotePost, PublishError>>;

    /// Looks for a post an earlier attempt with this key (and text) may have made.
    /// Only called when [`Capabilities::lookup`] is true.
    fn find_existing<'a>(
        &'a self,
        post: &'a OutgoingPost,
    ) -> BoxFuture<'a, Result<Lookup, PublishError>> {
        let _ = post;
        Box::pin(async {
            Err(PublishError::Unsupported {
                message: "Nachsehen nicht möglich / cannot look up posts".into(),
            })
        })
    }

    /// Changes a published post to `post`'s text (and alt texts where possible). Only called when
    /// [`Capabilities::edit`] is true; returns the post as it is now (the link may change).
    fn edit<'a>(
        &'a self,
        remote: &'a RemotePost,
        post: &'a OutgoingPost,
    ) -> BoxFuture<'a, Result<RemotePost, PublishError>> {
        let _ = (remote, post);
        Box::pin(async {
            Err(PublishError::Unsupported {
                message: "Bearbeiten ist hier nicht möglich / editing is not possible here".into(),
            })
        })
    }

    /// Removes a published post; an already deleted post counts as success.
    fn delete<'a>(&'a self, remote: &'a RemotePost) -> BoxFuture<'a, Result<(), PublishError>>;

    /// The platform's current text limit, when it can be asked (Mastodon `/api/v2/instance`).
    fn max_characters(&self) -> BoxFuture<'_, Option<u32>> {
        Box::pin(async { None })
    }
}

/// Builds the adapter for one configured channel. `None` for a network whose adapter is not built
/// yet (its publications stay pending with a "not connected" note).
/// `public_url` is this server's public address: Instagram fetches the images from it, staged in
/// `stage` (which the web server at `public_url` must serve from).
pub fn publisher(
    config: &NetworkConfig,
    http: reqwest::Client,
    public_url: &str,
    stage: Arc<dyn crate::staging::MediaStage>,
) -> Option<Arc<dyn Publisher>> {
    match config {
        NetworkConfig::Bluesky(c) => Some(Arc::new(crate::bluesky::BlueskyClient::from_config(
            c, http,
        ))),
        NetworkConfig::FacebookPage(c) => {
            Some(Arc::new(crate::meta::FacebookPageClient::new(c, http)))
        }
        NetworkConfig::Instagram(c) => Some(Arc::new(crate::meta::InstagramClient::new(
            c, http, stage, public_url,
        ))),
        NetworkConfig::X(c) => Some(Arc::new(crate::x::XClient::new(c, http))),
        NetworkConfig::Mastodon(c) => Some(Arc::new(mastodon::MastodonPublisher::new(http, c))),
        NetworkConfig::TelegramChannel(c) => Some(Arc::new(
            telegram_channel::TelegramChannelPublisher::new(http, c),
        )),
    }
}

/// The reqwest client for publishing: platform calls get 30 s, so a hanging platform turns into
/// [`PublishError::UnknownOutcome`] instead of a stuck job.
pub fn publishing_http_client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .user_agent(crate::USER_AGENT)
        .connect_timeout(std::time::Duration::from_secs(10))
        .timeout(std::time::Duration::from_secs(30))
        .build()
}

/// Maps a reqwest transport error: a failure to connect never reached the platform (retry), any
/// later failure (timeout, broken answer) may have (unknown outcome). The URL is stripped, since
/// some platforms put tokens into it; `secret` is redacted from the text.
pub fn transport_error(platform: &str, err: reqwest::Error, secret: &str) -> PublishError {
    let connect = err.is_connect();
    let err = err.without_url();
    let mut reason = format!("{platform}: {err}");
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        reason.push_str(": ");
        reason.push_str(&s.to_string());
        source = s.source();
    }
    let reason = crate::http::redact(&reason, secret);
    if connect {
        PublishError::Retryable {
            reason,
            retry_after_ms: None,
        }
    } else {
        PublishError::UnknownOutcome { reason }
    }
}
