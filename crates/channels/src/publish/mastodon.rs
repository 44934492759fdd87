//! Mastodon: media upload with alt text (`POST /api/v2/media`), the status with an `Idempotency-Key`, edit, delete, and the instance's character limit.
//!
//! Rate limits: every call takes from a budget of 300 per 5 minutes and every upload also from
//! 30 per 30 minutes (Mastodon's documented defaults); `X-RateLimit-Remaining: 0` stops calls until
//! `X-RateLimit-Reset`; a 429 waits for `Retry-After` or the reset.

use std::sync::Mutex;
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{json, Value};

use super::multipart::Form;
use super::rate::{self, AnnouncedLimit, RateBudget};
use super::{
    transport_error, BoxFuture, Capabilities, MastodonConfig, OutgoingPost, PublishError,
    Publisher, RemotePost,
};
use crate::http::{read_limited, redact, ReadError, API_RESPONSE_LIMIT};
use crate::USER_AGENT;
use rathaus_domain::publishing::PublishKind;

/// Mastodon keeps an idempotency key for one hour; we trust it a little less.
const IDEMPOTENCY_WINDOW_MS: i64 = 55 * 60 * 1000;
/// How often an upload still being processed (206) is asked about before trying again later.
const MEDIA_POLLS: u32 = 30;
/// How long the instance's character limit is remembered.
const LIMIT_TTL_MS: i64 = 60 * 60 * 1000;

/// One account on one instance.
pub struct MastodonPublisher {
    http: reqwest::Client,
    instance: String,
    token: String,
    timeout: Duration,
    media_poll: Duration,
    requests: RateBudget,
    uploads: RateBudget,
    announced: AnnouncedLimit,
    max_characters: Mutex<Option<(i64, u32)>>,
}

impl std::fmt::Debug for MastodonPublisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MastodonPublisher")
            .field("instance", &self.instance)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct Attachment {
    id: String,
    #[serde(default)]
    url: Option<String>,
}

#[derive(Deserialize)]
struct Status {
    id: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    uri: Option<String>,
}

/// `{"error": "…"}`, Mastodon's error body.
#[derive(Deserialize)]
struct ErrorBody {
    error: String,
}

/// The remote id: the status id, then the ids of its media (needed to keep them when editing).
fn encode_remote(status_id: &str, media: &[String]) -> String {
    if media.is_empty() {
        status_id.to_string()
    } else {
        format!("{status_id};{}", media.join(","))
    }
}

fn decode_remote(remote: &str) -> (&str, Vec<&str>) {
    match remote.split_once(';') {
        Some((id, media)) => (id, media.split(',').filter(|m| !m.is_empty()).collect()),
        None => (remote, Vec::new()),
    }
}

/// Path segments we put into a URL must be ids, nothing that could change the path.
fn is_safe_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn file_name(mime: &str, index: usize) -> String {
    let ext = match mime {
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "image/gif" => "gif",
        "image/webp" => "webp",
        _ => "bin",
    };
    format!("image-{}.{ext}", index + 1)
}

impl MastodonPublisher {
    pub fn new(http: reqwest::Client, config: &MastodonConfig) -> Self {
        MastodonPublisher {
            http,
            instance: config.instance.trim_end_matches('/').to_string(),
            token: config.access_token.clone(),
            timeout: Duration::from_secs(config.timeout_secs.unwrap_or(30).max(1)),
            media_poll: Duration::from_secs(1),
            requests: RateBudget::new(300, Duration::from_secs(5 * 60)),
            uploads: RateBudget::new(30, Duration::from_secs(30 * 60)),
            announced: AnnouncedLimit::default(),
            max_characters: Mutex::new(None),
        }
    }

    /// How long to wait between asks while an upload is processed (tests shorten it).
    pub fn with_media_poll(mut self, every: Duration) -> Self {
        self.media_poll = every;
        self
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.instance)
    }

    /// One call: rate limits checked first, the answer's limits remembered, failures mapped.
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Body,
        idempotency_key: Option<&str>,
        what: &str,
    ) -> Result<(StatusCode, Vec<u8>), PublishError> {
        self.call_accepting(method, path, body, idempotency_key, what, &[])
            .await
    }

    /// As [`Self::call`], with some failure statuses returned as answers (e.g. 404 on delete).
    async fn call_accepting(
        &self,
        method: Method,
        path: &str,
        body: Body,
        idempotency_key: Option<&str>,
        what: &str,
        accepted: &[u16],
    ) -> Result<(StatusCode, Vec<u8>), PublishError> {
        let now = rate::now_ms();
        self.announced.check_or_limit(now, "Mastodon")?;
        self.requests.take_or_limit(1, "Mastodon requests")?;
        let mut req = self
            .http
            .request(method, self.url(path))
            .bearer_auth(&self.token)
            .header(reqwest::header::USER_AGENT, USER_AGENT)
            .timeout(self.timeout);
        if let Some(key) = idempotency_key {
            req = req.header("Idempotency-Key", key);
        }
        req = match body {
            Body::None => req,
            Body::Json(v) => req.json(&v),
            Body::Form(form) => {
                let (content_type, bytes) = form.finish();
                req.header(reqwest::header::CONTENT_TYPE, content_type)
                    .body(bytes)
            }
        };
        let resp = req
            .send()
            .await
            .map_err(|e| transport_error("Mastodon", e, &self.token))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        self.announced.observe(&headers, rate::now_ms());
        let bytes = match read_limited(resp, API_RESPONSE_LIMIT).await {
            Ok(b) => b,
            Err(ReadError::Network(e)) => return Err(transport_error("Mastodon", e, &self.token)),
            Err(ReadError::TooLarge) => {
                return Err(PublishError::retryable(format!(
                    "Mastodon {what}: oversized answer"
                )))
            }
        };
        if status.is_success() || accepted.contains(&status.as_u16()) {
            return Ok((status, bytes));
        }
        Err(self.refusal(status, &headers, &bytes, what))
    }

    fn refusal(
        &self,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
        what: &str,
    ) -> PublishError {
        let said = serde_json::from_slice::<ErrorBody>(body)
            .map(|e| redact(&e.error, &self.token))
            .unwrap_or_else(|_| format!("HTTP {}", status.as_u16()));
        tracing::warn!(status = status.as_u16(), what, "mastodon refused a call");
        match status.as_u16() {
            429 => PublishError::RateLimited {
                reason: format!("Mastodon {what}: {said}"),
                retry_after_ms: rate::retry_after_ms(headers, rate::now_ms()),
            },
            401 | 403 => PublishError::permanent(
                format!("Mastodon verweigert den Zugang – bitte den Zugangsschlüssel (access_token) prüfen: {said}"),
                format!("Mastodon refused access – please check the access token: {said}"),
            ),
            408 | 500..=599 => PublishError::Retryable {
                reason: format!("Mastodon {what}: {said}"),
                retry_after_ms: headers
                    .get(reqwest::header::RETRY_AFTER)
                    .map(|_| rate::retry_after_ms(headers, rate::now_ms())),
            },
            404 => PublishError::permanent(
                format!("Mastodon kennt das nicht (mehr): {said}"),
                format!("Mastodon does not know it (any more): {said}"),
            ),
            _ => PublishError::permanent(
                format!("Mastodon lehnt den Beitrag ab: {said}"),
                format!("Mastodon refused the post: {said}"),
            ),
        }
    }

    /// Uploads one image with its alt text and waits until the instance has processed it.
    async fn upload(&self, image: &super::PostImage, index: usize) -> Result<String, PublishError> {
        self.uploads.take_or_limit(1, "Mastodon media uploads")?;
        let form = Form::new()
            .file(
                "file",
                &file_name(&image.mime, index),
                &image.mime,
                &image.bytes,
            )
            .text("description", &image.alt);
        // A lost upload answer leaves at most an unattached upload behind, never a post.
        let (status, bytes) = self
            .call(
                Method::POST,
                "/api/v2/media",
                Body::Form(form),
                None,
                "media upload",
            )
            .await
            .map_err(unknown_is_retryable)?;
        let mut media: Attachment = parse(&bytes, "media upload")?;
        if !is_safe_id(&media.id) {
            return Err(PublishError::retryable("Mastodon media upload: odd id"));
        }
        // 202: accepted, still processing (url null); poll until 200.
        let mut processing = status == StatusCode::ACCEPTED || media.url.is_none();
        let mut polls = 0;
        while processing {
            if polls == MEDIA_POLLS {
                return Err(PublishError::retryable(
                    "Mastodon is still processing an image",
                ));
            }
            polls += 1;
            tokio::time::sleep(self.media_poll).await;
            let (status, bytes) = self
                .call(
                    Method::GET,
                    &format!("/api/v1/media/{}", media.id),
                    Body::None,
                    None,
                    "media status",
                )
                .await
                .map_err(unknown_is_retryable)?;
            processing = status == StatusCode::PARTIAL_CONTENT;
            if !processing {
                media = parse(&bytes, "media status")?;
            }
        }
        Ok(media.id)
    }

    fn remote(&self, status: Status, media: &[String]) -> RemotePost {
        RemotePost {
            id: encode_remote(&status.id, media),
            url: status.url.or(status.uri),
        }
    }
}

enum Body {
    None,
    Json(Value),
    Form(Form),
}

fn unknown_is_retryable(e: PublishError) -> PublishError {
    match e {
        PublishError::UnknownOutcome { reason } => PublishError::retryable(reason),
        other => other,
    }
}

fn parse<T: for<'de> Deserialize<'de>>(bytes: &[u8], what: &str) -> Result<T, PublishError> {
    serde_json::from_slice(bytes)
        .map_err(|_| PublishError::retryable(format!("Mastodon {what}: unreadable answer")))
}

impl Publisher for MastodonPublisher {
    fn kind(&self) -> PublishKind {
        PublishKind::Mastodon
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            idempotency_window_ms: Some(IDEMPOTENCY_WINDOW_MS),
            lookup: false,
            edit: true,
            delete: true,
        }
    }

    fn publish<'a>(
        &'a self,
        post: &'a OutgoingPost,
    ) -> BoxFuture<'a, Result<RemotePost, PublishError>> {
        Box::pin(async move {
            let mut media_ids = Vec::with_capacity(post.images.len());
            for (i, image) in post.images.iter().enumerate() {
                media_ids.push(self.upload(image, i).await?);
            }
            let mut body = json!({
                "status": post.text,
                "visibility": "public",
                "language": post.language,
            });
            if !media_ids.is_empty() {
                body["media_ids"] = json!(media_ids);
            }
            let (_, bytes) = self
                .call(
                    Method::POST,
                    "/api/v1/statuses",
                    Body::Json(body),
                    Some(&post.idempotency_key),
                    "status",
                )
                .await?;
            let status: Status = serde_json::from_slice(&bytes).map_err(|_| {
                // Accepted, but we cannot tell where: resolve like a lost answer.
                PublishError::UnknownOutcome {
                    reason: "Mastodon status: unreadable answer".into(),
                }
            })?;
            Ok(self.remote(status, &media_ids))
        })
    }

    fn edit<'a>(
        &'a self,
        remote: &'a RemotePost,
        post: &'a OutgoingPost,
    ) -> BoxFuture<'a, Result<RemotePost, PublishError>> {
        Box::pin(async move {
            let (id, media) = decode_remote(&remote.id);
            if !is_safe_id(id) || !media.iter().all(|m| is_safe_id(m)) {
                return Err(PublishError::permanent(
                    "Unbekannte Mastodon-Beitragskennung",
                    "unknown Mastodon status id",
                ));
            }
            let mut body = json!({ "status": post.text, "language": post.language });
            if !media.is_empty() {
                body["media_ids"] = json!(media);
                // Alt texts follow the post's images in order.
                body["media_attributes"] = Value::Array(
                    media
                        .iter()
                        .zip(&post.images)
                        .map(|(m, i)| json!({ "id": m, "description": i.alt }))
                        .collect(),
                );
            }
            let (_, bytes) = self
                .call(
                    Method::PUT,
                    &format!("/api/v1/statuses/{id}"),
                    Body::Json(body),
                    None,
                    "edit",
                )
                .await
                .map_err(unknown_is_retryable)?;
            let status: Status = parse(&bytes, "edit")?;
            let media: Vec<String> = media.iter().map(|m| m.to_string()).collect();
            Ok(self.remote(status, &media))
        })
    }

    fn delete<'a>(&'a self, remote: &'a RemotePost) -> BoxFuture<'a, Result<(), PublishError>> {
        Box::pin(async move {
            let (id, _) = decode_remote(&remote.id);
            if !is_safe_id(id) {
                return Err(PublishError::permanent(
                    "Unbekannte Mastodon-Beitragskennung",
                    "unknown Mastodon status id",
                ));
            }
            // 404: gone already, which is what we wanted.
            self.call_accepting(
                Method::DELETE,
                &format!("/api/v1/statuses/{id}"),
                Body::None,
                None,
                "delete",
                &[404],
            )
            .await
            .map_err(unknown_is_retryable)?;
            Ok(())
        })
    }

    fn max_characters(&self) -> BoxFuture<'_, Option<u32>> {
        Box::pin(async move {
            let now = rate::now_ms();
            if let Some((at, n)) = *self
                .max_characters
                .lock()
                .unwrap_or_else(|e| e.into_inner())
            {
                if now - at < LIMIT_TTL_MS {
                    return Some(n);
                }
            }
            let (_, bytes) = self
                .call(
                    Method::GET,
                    "/api/v2/instance",
                    Body::None,
                    None,
                    "instance",
                )
                .await
                .ok()?;
            let v: Value = serde_json::from_slice(&bytes).ok()?;
            let n = v
                .pointer("/configuration/statuses/max_characters")?
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())?;
            *self
                .max_characters
                .lock()
                .unwrap_or_else(|e| e.into_inner()) = Some((now, n));
            Some(n)
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn remote_ids_keep_the_media() {
        assert_eq!(encode_remote("1", &[]), "1");
        let id = encode_remote("110", &["7".into(), "8".into()]);
        assert_eq!(id, "110;7,8");
        assert_eq!(decode_remote(&id), ("110", vec!["7", "8"]));
        assert_eq!(decode_remote("110"), ("110", vec![]));
    }

    #[test]
    fn ids_cannot_change_the_path() {
        assert!(is_safe_id("109876543210"));
        for bad in ["", "../x", "1/2", "1?x", "a b"] {
            assert!(!is_safe_id(bad), "{bad}");
        }
    }

    #[test]
    fn debug_hides_the_token() {
        let p = MastodonPublisher::new(
            reqwest::Client::new(),
            &MastodonConfig {
                name: None,
                instance: "https://bawü.social".into(),
                access_token: "geheimes-token".into(),
                timeout_secs: None,
            },
        );
        assert!(!format!("{p:?}").contains("geheim"));
    }
}
