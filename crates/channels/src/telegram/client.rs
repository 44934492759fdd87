//! Outbound calls to the Telegram Bot API: `sendMessage`, and `getFile` plus the file download.
//!
//! The bot token is part of every URL, so no URL ever reaches an error or a log line.

use rathaus_domain::{MediaRef, SendError, SentMessage};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::http::{
    network_error, read_download, read_limited, redact, retry_after_ms, sha256_matches, too_large,
    ReadError, API_RESPONSE_LIMIT,
};
use crate::{DownloadedMedia, USER_AGENT};

pub const DEFAULT_API_BASE: &str = "https://api.telegram.org";

/// One Telegram bot.
#[derive(Clone)]
pub struct TelegramClient {
    pub http: reqwest::Client,
    /// `https://api.telegram.org` in production; a local server in tests.
    pub api_base: String,
    /// Token from BotFather. Never logged, never part of an error.
    pub bot_token: String,
}

impl std::fmt::Debug for TelegramClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelegramClient")
            .field("api_base", &self.api_base)
            .field("bot_token", &"[redacted]")
            .finish()
    }
}

/// The Bot API envelope: `{"ok": true, "result": …}` or `{"ok": false, "description": …}`.
#[derive(Deserialize)]
struct Envelope<T> {
    ok: bool,
    #[serde(default = "none")]
    result: Option<T>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    parameters: Option<ResponseParameters>,
}

fn none<T>() -> Option<T> {
    None
}

#[derive(Deserialize)]
struct ResponseParameters {
    #[serde(default)]
    retry_after: Option<u64>,
}

#[derive(Deserialize)]
struct SentResult {
    message_id: i64,
    #[serde(default)]
    chat: Option<SentChat>,
}

#[derive(Deserialize)]
struct SentChat {
    id: i64,
}

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    file_size: Option<u64>,
    #[serde(default)]
    file_path: Option<String>,
}

/// The Bot API takes a numeric chat id as a number and `@channelname` as a string.
fn chat_id_value(recipient: &str) -> Value {
    match recipient.trim().parse::<i64>() {
        Ok(id) => json!(id),
        Err(_) => json!(recipient),
    }
}

/// `file_path` from `getFile` goes into a URL path; refuse anything that could climb out of it.
fn is_safe_file_path(path: &str) -> bool {
    !path.is_empty()
        && path.len() <= 1024
        && !path.starts_with('/')
        && path
            .split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != "..")
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-' | b'.'))
}

impl TelegramClient {
    pub fn new(
        http: reqwest::Client,
        api_base: impl Into<String>,
        bot_token: impl Into<String>,
    ) -> Self {
        TelegramClient {
            http,
            api_base: api_base.into(),
            bot_token: bot_token.into(),
        }
    }

    fn method_url(&self, method: &str) -> String {
        format!(
            "{}/bot{}/{method}",
            self.api_base.trim_end_matches('/'),
            self.bot_token
        )
    }

    fn permanent(&self, reason: String) -> SendError {
        SendError::Permanent {
            reason: redact(&reason, &self.bot_token),
        }
    }

    fn network(&self, err: reqwest::Error) -> SendError {
        network_error("Telegram", err, &self.bot_token)
    }

    /// Calls a Bot API method with a JSON body and returns its `result`, mapping failures:
    /// 429 (with `parameters.retry_after`) and 5xx → `Retryable`, others → `Permanent` with
    /// Telegram's `description`.
    async fn call<T: for<'de> Deserialize<'de>>(
        &self,
        method: &str,
        body: &Value,
    ) -> Result<T, SendError> {
        let resp = self
            .http
            .post(self.method_url(method))
            .header(reqwest::header::USER_AGENT, USER_AGENT)
            .json(body)
            .send()
            .await
            .map_err(|e| self.network(e))?;
        let status = resp.status();
        let header_retry = retry_after_ms(resp.headers());
        let bytes = match read_limited(resp, API_RESPONSE_LIMIT).await {
            Ok(b) => b,
            Err(ReadError::Network(e)) => return Err(self.network(e)),
            Err(ReadError::TooLarge) => {
                return Err(self.permanent(format!("Telegram {method}: oversized answer")))
            }
        };
        let envelope = serde_json::from_slice::<Envelope<T>>(&bytes).ok();
        if status.is_success() {
            if let Some(Envelope {
                ok: true,
                result: Some(result),
                ..
            }) = envelope
            {
                return Ok(result);
            }
            return Err(self.permanent(format!("Telegram {method}: unreadable answer")));
        }
        let description = envelope
            .as_ref()
            .and_then(|e| e.description.clone())
            .unwrap_or_else(|| format!("HTTP {}", status.as_u16()));
        let reason = redact(
            &format!("Telegram {method} failed: {description}"),
            &self.bot_token,
        );
        tracing::warn!(status = status.as_u16(), method, "telegram api call failed");
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            let retry_after_ms = envelope
                .and_then(|e| e.parameters)
                .and_then(|p| p.retry_after)
                .map(|s| s.min(24 * 60 * 60) * 1000)
                .or(header_retry);
            Err(SendError::Retryable {
                reason,
                retry_after_ms,
            })
        } else {
            Err(SendError::Permanent { reason })
        }
    }

    /// Sends a plain text to a chat (`chat_id`: the citizen's [`rathaus_domain::PlatformUser::id`]).
    /// The returned id has the inbound form `"{chat_id}:{message_id}"`.
    pub async fn send_text(&self, chat_id: &str, text: &str) -> Result<SentMessage, SendError> {
        if chat_id.trim().is_empty() {
            return Err(self.permanent("Telegram: no recipient given".into()));
        }
        let body = json!({ "chat_id": chat_id_value(chat_id), "text": text });
        let sent: SentResult = self.call("sendMessage", &body).await?;
        let chat = sent
            .chat
            .map_or_else(|| chat_id.trim().to_owned(), |c| c.id.to_string());
        Ok(SentMessage {
            platform_message_id: format!("{chat}:{}", sent.message_id),
        })
    }

    /// Downloads a file a citizen sent: `getFile`, then `{api_base}/file/bot{token}/{file_path}`.
    ///
    /// Refused (`Permanent`) when announced or found larger than `max_bytes`, or when Telegram
    /// will not hand the file out (the Bot API serves files up to 20 MB). A SHA-256 in the
    /// [`MediaRef`], if any, must match (`Retryable` otherwise, as for WhatsApp).
    pub async fn fetch_media(
        &self,
        media: &MediaRef,
        max_bytes: usize,
    ) -> Result<DownloadedMedia, SendError> {
        let file: File = self
            .call("getFile", &json!({ "file_id": media.platform_media_id }))
            .await?;
        if let Some(size) = file.file_size {
            if size > max_bytes as u64 {
                return Err(too_large(size, max_bytes));
            }
        }
        let Some(path) = file.file_path.filter(|p| is_safe_file_path(p)) else {
            return Err(self.permanent("Telegram: file is not available for download".into()));
        };
        let url = format!(
            "{}/file/bot{}/{path}",
            self.api_base.trim_end_matches('/'),
            self.bot_token
        );
        let resp = self
            .http
            .get(url)
            .header(reqwest::header::USER_AGENT, USER_AGENT)
            .send()
            .await
            .map_err(|e| self.network(e))?;
        // The file path is valid for an hour; a fresh getFile fixes an expired one.
        let (header_type, bytes) = read_download(
            resp,
            max_bytes,
            "Telegram",
            &self.bot_token,
            &[404, 408, 429],
        )
        .await?;
        if let Some(expected) = media.sha256.as_deref() {
            if !sha256_matches(expected, &bytes) {
                return Err(SendError::Retryable {
                    reason: "Telegram file does not match its SHA-256 checksum".into(),
                    retry_after_ms: None,
                });
            }
        }
        // Telegram serves files as application/octet-stream; what the message said is better.
        let mime_type = media
            .mime_type
            .clone()
            .or(header_type)
            .unwrap_or_else(|| "application/octet-stream".into());
        Ok(DownloadedMedia { bytes, mime_type })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn chat_ids_are_numbers_when_numeric() {
        assert_eq!(chat_id_value("123456789"), json!(123456789));
        assert_eq!(chat_id_value("-1001234"), json!(-1001234));
        assert_eq!(chat_id_value("@stadt_news"), json!("@stadt_news"));
    }

    #[test]
    fn file_paths_cannot_escape() {
        assert!(is_safe_file_path("photos/file_12.jpg"));
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../b",
            "a//b",
            "a?b",
            "a#b",
            "a/./b",
        ] {
            assert!(!is_safe_file_path(bad), "{bad}");
        }
    }

    #[test]
    fn debug_output_hides_the_token() {
        let c = TelegramClient::new(reqwest::Client::new(), DEFAULT_API_BASE, "123:ABC-secret");
        assert!(!format!("{c:?}").contains("ABC-secret"));
    }
}
