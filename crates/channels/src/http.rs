//! Shared plumbing for platform calls: bounded body reads, error mapping, redaction and hash checks.

use base64::Engine as _;
use rathaus_domain::SendError;
use sha2::{Digest, Sha256};

/// Cap for JSON answers from a platform API; they are small, anything bigger is not what we asked for.
pub(crate) const API_RESPONSE_LIMIT: usize = 1 << 20;

/// Upper bound for a platform-requested wait, so a bogus header cannot park a job for weeks.
const MAX_RETRY_AFTER_SECS: u64 = 24 * 60 * 60;

/// Replaces every occurrence of `secret` in `text`; the last line of defence against token leaks.
pub(crate) fn redact(text: &str, secret: &str) -> String {
    if secret.is_empty() {
        text.to_owned()
    } else {
        text.replace(secret, "[redacted]")
    }
}

/// A transport failure (connect, TLS, timeout, broken body): worth trying again later.
///
/// The URL is stripped because Telegram puts the bot token into it.
pub(crate) fn network_error(platform: &str, err: reqwest::Error, secret: &str) -> SendError {
    let err = err.without_url();
    let mut reason = format!("{platform}: network error: {err}");
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        reason.push_str(": ");
        reason.push_str(&s.to_string());
        source = s.source();
    }
    SendError::Retryable {
        reason: redact(&reason, secret),
        retry_after_ms: None,
    }
}

pub(crate) enum ReadError {
    TooLarge,
    Network(reqwest::Error),
}

/// Reads a response body, giving up as soon as it exceeds `limit` bytes.
pub(crate) async fn read_limited(
    mut resp: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, ReadError> {
    let announced = resp.content_length();
    if let Some(len) = announced {
        if len > limit as u64 {
            return Err(ReadError::TooLarge);
        }
    }
    let capacity = announced.map_or(0, |l| usize::try_from(l).unwrap_or(0).min(limit));
    let mut buf = Vec::with_capacity(capacity);
    while let Some(chunk) = resp.chunk().await.map_err(ReadError::Network)? {
        if buf.len().saturating_add(chunk.len()) > limit {
            return Err(ReadError::TooLarge);
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}

/// `Retry-After` in milliseconds, if the header holds a number of seconds.
pub(crate) fn retry_after_ms(headers: &reqwest::header::HeaderMap) -> Option<u64> {
    let secs: u64 = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(secs.min(MAX_RETRY_AFTER_SECS) * 1000)
}

pub(crate) fn content_type(resp: &reqwest::Response) -> Option<String> {
    let value = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)?
        .to_str()
        .ok()?;
    let essence = value.split(';').next()?.trim();
    (!essence.is_empty()).then(|| essence.to_ascii_lowercase())
}

/// Whether `expected` is the SHA-256 of `bytes`, written as hex (media URL answer) or base64
/// (webhook payloads, as in Meta's spec example). An unreadable hash never matches.
pub(crate) fn sha256_matches(expected: &str, bytes: &[u8]) -> bool {
    let digest = Sha256::digest(bytes);
    let expected = expected.trim();
    if let Ok(raw) = hex::decode(expected) {
        if raw.len() == digest.len() {
            return raw.as_slice() == digest.as_slice();
        }
    }
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .filter_map(|engine| engine.decode(expected).ok())
        .any(|raw| raw.as_slice() == digest.as_slice())
}

/// Constant-time equality for shared secrets; an empty expected secret never matches, so a
/// channel without a configured secret cannot be reached with an empty header.
pub(crate) fn secret_eq(expected: &[u8], given: &[u8]) -> bool {
    use subtle::ConstantTimeEq as _;
    !expected.is_empty() && bool::from(expected.ct_eq(given))
}

/// Media refused for its size: retrying cannot help.
pub(crate) fn too_large(size: u64, max_bytes: usize) -> SendError {
    SendError::Permanent {
        reason: format!("media too large: {size} bytes, limit {max_bytes} bytes"),
    }
}

pub(crate) fn too_large_unknown(max_bytes: usize) -> SendError {
    SendError::Permanent {
        reason: format!("media too large: more than the limit of {max_bytes} bytes"),
    }
}

/// Reads a media file download: a failed status becomes an error (retryable for server errors and for the
/// statuses in `fresh_lookup_helps`, which a new media lookup fixes), the body is cut off past `max_bytes`.
/// Returns the `Content-Type` header and the bytes.
pub(crate) async fn read_download(
    resp: reqwest::Response,
    max_bytes: usize,
    platform: &str,
    secret: &str,
    fresh_lookup_helps: &[u16],
) -> Result<(Option<String>, Vec<u8>), SendError> {
    let status = resp.status();
    if !status.is_success() {
        let reason = format!("{platform} media download failed: HTTP {}", status.as_u16());
        return Err(
            if status.is_server_error() || fresh_lookup_helps.contains(&status.as_u16()) {
                SendError::Retryable {
                    reason,
                    retry_after_ms: retry_after_ms(resp.headers()),
                }
            } else {
                SendError::Permanent {
                    reason: redact(&reason, secret),
                }
            },
        );
    }
    let header_type = content_type(&resp);
    match read_limited(resp, max_bytes).await {
        Ok(b) => Ok((header_type, b)),
        Err(ReadError::TooLarge) => Err(too_large_unknown(max_bytes)),
        Err(ReadError::Network(e)) => Err(network_error(platform, e, secret)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_accepted_as_hex_or_base64_and_rejected_otherwise() {
        let bytes = b"Schlagloch in der Hauptstrasse";
        let digest = Sha256::digest(bytes);
        let hex = hex::encode(digest);
        let b64 = base64::engine::general_purpose::STANDARD.encode(digest);
        assert!(sha256_matches(&hex, bytes));
        assert!(sha256_matches(&hex.to_uppercase(), bytes));
        assert!(sha256_matches(&b64, bytes));
        assert!(!sha256_matches(&hex, b"other bytes"));
        assert!(!sha256_matches(&b64, b"other bytes"));
        assert!(!sha256_matches("", bytes));
        assert!(!sha256_matches("<HASH>", bytes));
    }

    #[test]
    fn redaction_removes_every_occurrence() {
        assert_eq!(
            redact("bot123:abc failed for bot123:abc", "123:abc"),
            "bot[redacted] failed for bot[redacted]"
        );
        assert_eq!(redact("nothing", ""), "nothing");
    }

    #[test]
    fn empty_secret_never_matches() {
        assert!(!secret_eq(b"", b""));
        assert!(secret_eq(b"s3cret", b"s3cret"));
        assert!(!secret_eq(b"s3cret", b"s3cre"));
    }
}
