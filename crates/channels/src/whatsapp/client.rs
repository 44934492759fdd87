//! Outbound calls to the WhatsApp Cloud (Graph) API: send a text, download media.

use rathaus_domain::{MediaRef, SendError, SentMessage};
use serde::Deserialize;
use serde_json::{json, Value};

use super::describe_error;
use crate::http::{
    network_error, read_download, read_limited, redact, retry_after_ms, sha256_matches, too_large,
    ReadError, API_RESPONSE_LIMIT,
};
use crate::{DownloadedMedia, USER_AGENT};

pub const DEFAULT_API_BASE: &str = "https://graph.facebook.com";
pub const DEFAULT_API_VERSION: &str = "v23.0";

/// Graph error codes that say "later": throughput and pair rate limits, temporary outages.
const RETRYABLE_GRAPH_CODES: &[i64] = &[
    1,      // API unknown: possibly a temporary server error
    2,      // API service: temporary downtime
    4,      // application request limit reached
    80007,  // WhatsApp Business Account rate limit
    130429, // Cloud API throughput reached
    131000, // something went wrong (Meta: try again)
    131016, // service unavailable
    131056, // too many messages to the same recipient (pair rate limit)
    133004, // server temporarily unavailable
];

/// One WhatsApp business phone number, with the credentials to act for it.
#[derive(Clone)]
pub struct WhatsAppClient {
    pub http: reqwest::Client,
    /// `https://graph.facebook.com` in production; a local server in tests.
    pub api_base: String,
    /// Graph API version, e.g. `v23.0`.
    pub api_version: String,
    pub phone_number_id: String,
    /// System-user access token. Never logged, never part of an error.
    pub access_token: String,
}

impl std::fmt::Debug for WhatsAppClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhatsAppClient")
            .field("api_base", &self.api_base)
            .field("api_version", &self.api_version)
            .field("phone_number_id", &self.phone_number_id)
            .field("access_token", &"[redacted]")
            .finish()
    }
}

/// The JSON body of a text message. A phone number (wa_id) goes into `to` as in Meta's `Message`
/// schema; anything else is taken for a business-scoped user id, which Meta addresses through
/// `recipient` (BSUIDs look like `DE.1234…`; `to` would take precedence if both were set).
pub(crate) fn text_message_body(recipient: &str, body: &str) -> Value {
    let mut message = json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "type": "text",
        "text": { "preview_url": false, "body": body },
    });
    let field = if is_phone_number(recipient) {
        "to"
    } else {
        "recipient"
    };
    message[field] = Value::String(recipient.to_owned());
    message
}

fn is_phone_number(id: &str) -> bool {
    let digits = id.strip_prefix('+').unwrap_or(id);
    (1..=20).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Media ids go into a URL path; Meta's are numeric, so anything beyond a plain token is refused.
fn is_safe_path_segment(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 256
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
}

#[derive(Deserialize)]
struct SendResponse {
    #[serde(default)]
    messages: Vec<SentEntry>,
}

#[derive(Deserialize)]
struct SentEntry {
    id: String,
}

#[derive(Deserialize)]
struct GraphErrorEnvelope {
    error: GraphError,
}

#[derive(Deserialize)]
struct GraphError {
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    code: Option<i64>,
    #[serde(default)]
    error_user_msg: Option<String>,
    #[serde(default)]
    error_data: Option<GraphErrorData>,
}

#[derive(Deserialize)]
struct GraphErrorData {
    #[serde(default)]
    details: Option<String>,
}

#[derive(Deserialize)]
struct MediaInfo {
    url: String,
    #[serde(default)]
    mime_type: Option<String>,
    #[serde(default)]
    sha256: Option<String>,
    #[serde(default)]
    file_size: Option<Size>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Size {
    Number(u64),
    Text(String),
}

impl Size {
    fn bytes(&self) -> Option<u64> {
        match self {
            Size::Number(n) => Some(*n),
            Size::Text(s) => s.trim().parse().ok(),
        }
    }
}

impl WhatsAppClient {
    pub fn new(
        http: reqwest::Client,
        api_base: impl Into<String>,
        api_version: impl Into<String>,
        phone_number_id: impl Into<String>,
        access_token: impl Into<String>,
    ) -> Self {
        WhatsAppClient {
            http,
            api_base: api_base.into(),
            api_version: api_version.into(),
            phone_number_id: phone_number_id.into(),
            access_token: access_token.into(),
        }
    }

    fn graph_url(&self, path: &str) -> String {
        format!(
            "{}/{}/{}",
            self.api_base.trim_end_matches('/'),
            self.api_version.trim_matches('/'),
            path
        )
    }

    fn permanent(&self, reason: String) -> SendError {
        SendError::Permanent {
            reason: redact(&reason, &self.access_token),
        }
    }

    fn network(&self, err: reqwest::Error) -> SendError {
        network_error("WhatsApp", err, &self.access_token)
    }

    /// Sends a free-form text to a citizen (`to`: wa_id or business-scoped user id).
    ///
    /// `POST {api_base}/{api_version}/{phone_number_id}/messages`; the platform message id
    /// (`wamid…`) comes back for matching later status reports.
    pub async fn send_text(&self, to: &str, body: &str) -> Result<SentMessage, SendError> {
        if to.trim().is_empty() {
            return Err(self.permanent("WhatsApp: no recipient given".into()));
        }
        if !is_safe_path_segment(&self.phone_number_id) {
            return Err(self.permanent("WhatsApp: phone number id is not configured".into()));
        }
        let url = self.graph_url(&format!("{}/messages", self.phone_number_id));
        let resp = self
            .http
            .post(url)
            .bearer_auth(&self.access_token)
            .header(reqwest::header::USER_AGENT, USER_AGENT)
            .json(&text_message_body(to, body))
            .send()
            .await
            .map_err(|e| self.network(e))?;
        if !resp.status().is_success() {
            return Err(self.graph_failure(resp, "sending").await);
        }
        let bytes = match read_limited(resp, API_RESPONSE_LIMIT).await {
            Ok(b) => b,
            Err(ReadError::Network(e)) => return Err(self.network(e)),
            Err(ReadError::TooLarge) => {
                return Err(self.permanent("WhatsApp: oversized answer to a send".into()))
            }
        };
        // The message was accepted; an unreadable answer must not lead to a second copy.
        let parsed: SendResponse = serde_json::from_slice(&bytes).map_err(|_| {
            self.permanent("WhatsApp accepted the request but answered without a message id".into())
        })?;
        match parsed.messages.into_iter().next() {
            Some(m) if !m.id.is_empty() => Ok(SentMessage {
                platform_message_id: m.id,
            }),
            _ => Err(self.permanent(
                "WhatsApp accepted the request but answered without a message id".into(),
            )),
        }
    }

    /// Downloads media a citizen sent: `GET /{media_id}` for a short-lived URL, then that URL,
    /// both with the bearer token.
    ///
    /// Size: refused before download when announced larger than `max_bytes`, and the transfer is
    /// cut off as soon as it exceeds it → `Permanent`. Hash: the SHA-256 Meta returns with the URL
    /// (hex; base64 also accepted), else the one from the webhook, must match the bytes. A
    /// mismatch is reported `Retryable`: the likely cause is a corrupted transfer, the URL is
    /// fetched afresh on the next attempt, and the caller's backoff bounds the attempts. Mismatching
    /// bytes are never returned.
    pub async fn fetch_media(
        &self,
        media: &MediaRef,
        max_bytes: usize,
    ) -> Result<DownloadedMedia, SendError> {
        let media_id = media.platform_media_id.as_str();
        if !is_safe_path_segment(media_id) {
            return Err(self.permanent("WhatsApp: invalid media id".into()));
        }
        let resp = self
            .http
            .get(self.graph_url(media_id))
            .query(&[("phone_number_id", self.phone_number_id.as_str())])
            .bearer_auth(&self.access_token)
            .header(reqwest::header::USER_AGENT, USER_AGENT)
            .send()
            .await
            .map_err(|e| self.network(e))?;
        if !resp.status().is_success() {
            return Err(self.graph_failure(resp, "media lookup").await);
        }
        let info: MediaInfo = match read_limited(resp, API_RESPONSE_LIMIT).await {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|_| self.permanent("WhatsApp: media lookup answer unreadable".into()))?,
            Err(ReadError::Network(e)) => return Err(self.network(e)),
            Err(ReadError::TooLarge) => {
                return Err(self.permanent("WhatsApp: oversized media lookup answer".into()))
            }
        };
        if let Some(size) = info.file_size.as_ref().and_then(Size::bytes) {
            if size > max_bytes as u64 {
                return Err(too_large(size, max_bytes));
            }
        }
        match reqwest::Url::parse(&info.url) {
            Ok(u) if matches!(u.scheme(), "https" | "http") => {}
            _ => return Err(self.permanent("WhatsApp: media lookup gave no usable URL".into())),
        }

        let resp = self
            .http
            .get(&info.url)
            .bearer_auth(&self.access_token)
            .header(reqwest::header::USER_AGENT, USER_AGENT)
            .send()
            .await
            .map_err(|e| self.network(e))?;
        // 404/410: the URL expired (it lives five minutes); a new lookup fixes that.
        let (header_type, bytes) = read_download(
            resp,
            max_bytes,
            "WhatsApp",
            &self.access_token,
            &[404, 408, 410, 429],
        )
        .await?;
        let expected = info
            .sha256
            .as_deref()
            .filter(|h| !h.trim().is_empty())
            .or(media.sha256.as_deref());
        if let Some(expected) = expected {
            if !sha256_matches(expected, &bytes) {
                tracing::warn!("whatsapp media failed its sha256 check");
                return Err(SendError::Retryable {
                    reason: "WhatsApp media does not match its SHA-256 checksum".into(),
                    retry_after_ms: None,
                });
            }
        }
        let mime_type = info
            .mime_type
            .filter(|m| !m.trim().is_empty())
            .or_else(|| media.mime_type.clone())
            .or(header_type)
            .unwrap_or_else(|| "application/octet-stream".into());
        Ok(DownloadedMedia { bytes, mime_type })
    }

    /// Maps a non-2xx Graph answer: 5xx, 429 and rate-limit/outage codes → `Retryable`
    /// (honouring `Retry-After`), anything else → `Permanent` with Meta's explanation.
    async fn graph_failure(&self, resp: reqwest::Response, action: &str) -> SendError {
        let status = resp.status();
        let retry_after = retry_after_ms(resp.headers());
        let error = read_limited(resp, API_RESPONSE_LIMIT)
            .await
            .ok()
            .and_then(|b| serde_json::from_slice::<GraphErrorEnvelope>(&b).ok())
            .map(|e| e.error);
        let code = error.as_ref().and_then(|e| e.code);
        let explanation = match &error {
            Some(e) => describe_error(
                e.code,
                e.message.as_deref().or(e.error_user_msg.as_deref()),
                e.error_data.as_ref().and_then(|d| d.details.as_deref()),
            ),
            None => format!("HTTP {}", status.as_u16()),
        };
        let reason = redact(
            &format!("WhatsApp {action} failed: {explanation}"),
            &self.access_token,
        );
        tracing::warn!(status = status.as_u16(), code, "whatsapp api call failed");
        let retryable = status.is_server_error()
            || status == reqwest::StatusCode::TOO_MANY_REQUESTS
            || code.is_some_and(|c| RETRYABLE_GRAPH_CODES.contains(&c));
        if retryable {
            SendError::Retryable {
                reason,
                retry_after_ms: retry_after,
            }
        } else {
            SendError::Permanent { reason }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_go_to_to_and_user_ids_to_recipient() {
        let by_phone = text_message_body("4915112345678", "Guten Tag");
        assert_eq!(
            by_phone,
            json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": "4915112345678",
                "type": "text",
                "text": { "preview_url": false, "body": "Guten Tag" },
            })
        );
        let by_bsuid = text_message_body("DE.13491208655302741918", "Hallo");
        assert_eq!(by_bsuid["recipient"], "DE.13491208655302741918");
        assert!(by_bsuid.get("to").is_none());
    }

    #[test]
    fn debug_output_hides_the_token() {
        let client = WhatsAppClient::new(
            reqwest::Client::new(),
            DEFAULT_API_BASE,
            DEFAULT_API_VERSION,
            "1065",
            "EAAG-very-secret",
        );
        let shown = format!("{client:?}");
        assert!(!shown.contains("EAAG-very-secret"), "{shown}");
        assert!(shown.contains("1065"));
    }

    #[test]
    fn path_segments_are_restricted() {
        assert!(is_safe_path_segment("1003383421387256"));
        for bad in ["", "../me", "1?x=1", "a/b", "1#", "%2e%2e"] {
            assert!(!is_safe_path_segment(bad), "{bad}");
        }
    }
}
