//! Publishing to X with an OAuth 2.0 user token: images through the v2 media upload (with alt text via media metadata), the post through `POST /2/tweets`, lookup after a timeout, deletion.
//!
//! Errors are RFC 7807 problem objects (`title`, `detail`, `type`, `status`); a 429 says when the
//! window resets in `x-rate-limit-reset` (unix seconds). X refuses a post whose text equals a
//! recent one ("duplicate content"): after a lost answer that means the first attempt got through,
//! so the adapter looks it up instead of failing.

use std::sync::{Arc, Mutex};

use rathaus_domain::publishing::text::find_links;
use rathaus_domain::publishing::{fits, PublishKind};
use serde_json::{json, Value};

use crate::http::{read_limited, redact, ReadError, API_RESPONSE_LIMIT};
use crate::image_fit;
use crate::publish::multipart::Form;
use crate::publish::{
    rate, transport_error, BoxFuture, Capabilities, Lookup, OutgoingPost, PublishError, Publisher,
    RemotePost, XConfig,
};
use crate::USER_AGENT;

mod token;
use token::{Renewal, TokenState};
pub use token::{XTokenKeeper, XTokens};

/// Largest image X takes.
pub const MAX_IMAGE_BYTES: usize = 5 * 1024 * 1024;
/// X's limit for an image description.
const MAX_ALT_CHARS: usize = 1_000;
/// Clock skew allowed when searching posts since the first attempt.
const CLOCK_SKEW_MS: i64 = 5 * 60 * 1000;

/// One X account (`[[municipality.x]]`).
#[derive(Clone)]
pub struct XClient {
    http: reqwest::Client,
    api_base: String,
    /// The user token in use, and how it is renewed when X has a refresh token for it.
    tokens: Arc<TokenState>,
    /// The account's user id, asked once (`GET /2/users/me`) for lookups.
    user_id: Arc<Mutex<Option<String>>>,
}

impl std::fmt::Debug for XClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XClient")
            .field("api_base", &self.api_base)
            .field("access_token", &"[redacted]")
            .finish()
    }
}

/// Whether a failed call may have created something.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Effect {
    Creates,
    Safe,
}

/// A failed call with X's problem `detail` (for the duplicate check).
struct Failure {
    status: u16,
    detail: String,
    error: PublishError,
}

/// The text with every link replaced by a marker: X returns links shortened to t.co.
fn without_links(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for link in find_links(text) {
        out.push_str(&text[pos..link.start]);
        out.push_str("<link>");
        pos = link.end;
    }
    out.push_str(&text[pos..]);
    out.trim().to_string()
}

/// X's `x-rate-limit-reset` (unix seconds) as a wait in ms, at least one second, at most a day.
fn rate_limit_reset_ms(headers: &reqwest::header::HeaderMap) -> Option<u64> {
    let reset: i64 = headers
        .get("x-rate-limit-reset")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let wait = reset.saturating_mul(1000) - jiff::Timestamp::now().as_millisecond();
    Some(
        u64::try_from(wait)
            .unwrap_or(0)
            .clamp(1_000, 24 * 60 * 60 * 1000),
    )
}

/// The renewal settings of `[[municipality.x]]` fit together: a refresh token needs the app's
/// client id, and a client id or secret alone renews nothing.
pub fn check_renewal(c: &XConfig) -> Result<(), String> {
    let given = |v: &Option<String>| v.as_deref().is_some_and(|v| !v.trim().is_empty());
    let bad = |v: &Option<String>| {
        v.as_deref()
            .is_some_and(|v| v.trim().is_empty() || v.contains(char::is_whitespace))
    };
    if bad(&c.refresh_token) || bad(&c.client_id) || bad(&c.client_secret) {
        return Err(
            "refresh_token, client_id and client_secret must not be empty or contain spaces".into(),
        );
    }
    match (given(&c.refresh_token), given(&c.client_id)) {
        (true, false) => Err("refresh_token needs client_id (the app's OAuth 2.0 client id) to renew the access token".into()),
        (false, true) => Err("client_id is given without refresh_token; add the refresh token X gave with the access token (scope offline.access)".into()),
        _ if given(&c.client_secret) && !given(&c.client_id) => {
            Err("client_secret needs client_id".into())
        }
        _ => Ok(()),
    }
}

impl XClient {
    pub fn new(config: &XConfig, http: reqwest::Client) -> Self {
        let nonempty = |v: &Option<String>| v.clone().filter(|v| !v.trim().is_empty());
        let renewal = nonempty(&config.client_id).map(|client_id| Renewal {
            client_id,
            client_secret: nonempty(&config.client_secret),
            keeper: config.token_keeper.clone(),
        });
        XClient {
            http,
            api_base: config.api_base.trim_end_matches('/').to_string(),
            tokens: Arc::new(TokenState::new(
                config.access_token.clone(),
                nonempty(&config.refresh_token),
                renewal,
            )),
            user_id: Arc::new(Mutex::new(None)),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{}", self.api_base, path.trim_start_matches('/'))
    }

    /// What X would refuse, found before sending: 280 weighted characters, four images.
    pub fn check(post: &OutgoingPost) -> Result<(), PublishError> {
        if let Err(exceeded) = fits(PublishKind::X, &post.text, None, !post.images.is_empty()) {
            let m = exceeded[0];
            return Err(PublishError::permanent(
                format!("X: Der Text ist zu lang ({})", m.describe_de()),
                format!("X: the text is too long ({})", m.describe_en()),
            ));
        }
        let max = PublishKind::X.max_images();
        if post.images.len() > max {
            return Err(PublishError::permanent(
                format!("X: {} Bilder, höchstens {max}", post.images.len()),
                format!("X: {} images, at most {max}", post.images.len()),
            ));
        }
        Ok(())
    }

    /// Sends with the current user token. A token X refuses (401) or whose known expiry has passed
    /// is renewed once when a refresh token is configured, and the call repeated once: a 401 means
    /// X did nothing, so repeating cannot post twice.
    async fn send(&self, req: reqwest::RequestBuilder, effect: Effect) -> Result<Value, Failure> {
        let failure = |error| Failure {
            status: 0,
            detail: String::new(),
            error,
        };
        let token_url = self.url("2/oauth2/token");
        let token = self
            .tokens
            .before_call(&self.http, &token_url)
            .await
            .map_err(failure)?;
        let again = req.try_clone();
        match self.send_with(req, effect, &token).await {
            Err(f) if f.status == 401 && self.tokens.renewable() => {
                self.tokens
                    .renew(&self.http, &token_url, &token)
                    .await
                    .map_err(failure)?;
                let Some(again) = again else {
                    return Err(f);
                };
                self.send_with(again, effect, &self.tokens.access_token())
                    .await
            }
            other => other,
        }
    }

    async fn send_with(
        &self,
        req: reqwest::RequestBuilder,
        effect: Effect,
        token: &str,
    ) -> Result<Value, Failure> {
        let failure = |error| Failure {
            status: 0,
            detail: String::new(),
            error,
        };
        let resp = req
            .header(reqwest::header::USER_AGENT, USER_AGENT)
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| failure(self.transport(e, effect, token)))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = match read_limited(resp, API_RESPONSE_LIMIT).await {
            Ok(b) => b,
            Err(ReadError::Network(e)) => return Err(failure(self.transport(e, effect, token))),
            Err(ReadError::TooLarge) => {
                return Err(failure(PublishError::retryable("X: oversized answer")))
            }
        };
        let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if status.is_success() {
            return Ok(body);
        }
        let detail = redact(
            body["detail"]
                .as_str()
                .or(body["title"].as_str())
                .or(body["errors"][0]["message"].as_str())
                .unwrap_or_default(),
            token,
        );
        let code = status.as_u16();
        tracing::warn!(status = code, "x api call failed");
        let error = match code {
            429 => PublishError::RateLimited {
                reason: format!("X: rate limit reached: {detail}"),
                retry_after_ms: rate_limit_reset_ms(&headers).unwrap_or_else(|| {
                    rate::retry_after_ms(&headers, jiff::Timestamp::now().as_millisecond())
                }),
            },
            401 if self.tokens.renewable() => token::reauthorise(&detail),
            401 => PublishError::permanent(
                "X: Der Zugangsschlüssel ist abgelaufen oder ungültig – bitte einen neuen OAuth-2.0-Nutzertoken eintragen (mit refresh_token und client_id erneuert Rathaus ihn selbst)",
                "X: the access token has expired or is invalid — enter a new OAuth 2.0 user token (with refresh_token and client_id Rathaus renews it itself)",
            ),
            500..=599 if effect == Effect::Creates => PublishError::UnknownOutcome {
                reason: format!("X: HTTP {code}: {detail}"),
            },
            500..=599 => PublishError::retryable(format!("X: HTTP {code}: {detail}")),
            _ => PublishError::permanent(
                format!("X hat abgelehnt (HTTP {code}): {detail}"),
                format!("X refused (HTTP {code}): {detail}"),
            ),
        };
        Err(Failure {
            status: code,
            detail,
            error,
        })
    }

    fn transport(&self, err: reqwest::Error, effect: Effect, token: &str) -> PublishError {
        match (transport_error("X", err, token), effect) {
            (PublishError::UnknownOutcome { reason }, Effect::Safe) => {
                PublishError::retryable(reason)
            }
            (e, _) => e,
        }
    }

    /// Uploads one image and sets its alt text; returns the media id.
    async fn upload_image(
        &self,
        image: &crate::publish::PostImage,
    ) -> Result<String, PublishError> {
        let image = image_fit::fit(image, MAX_IMAGE_BYTES)?;
        let file_name = if image.mime == "image/png" {
            "image.png"
        } else {
            "image.jpg"
        };
        let (content_type, body) = Form::new()
            .text("media_category", "tweet_image")
            .file("media", file_name, &image.mime, &image.bytes)
            .finish();
        let req = self
            .http
            .post(self.url("2/media/upload"))
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body);
        let v = self.send(req, Effect::Safe).await.map_err(|f| f.error)?;
        let id = v["data"]["id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| PublishError::retryable("X media upload: answer without id"))?;
        let alt: String = image.alt.chars().take(MAX_ALT_CHARS).collect();
        if !alt.trim().is_empty() {
            let req = self
                .http
                .post(self.url("2/media/metadata"))
                .json(&json!({"id": id, "metadata": {"alt_text": {"text": alt}}}));
            self.send(req, Effect::Safe).await.map_err(|f| f.error)?;
        }
        Ok(id)
    }

    fn remote(id: &str) -> RemotePost {
        RemotePost {
            id: id.to_string(),
            url: Some(format!("https://x.com/i/web/status/{id}")),
        }
    }

    pub async fn publish(&self, post: &OutgoingPost) -> Result<RemotePost, PublishError> {
        Self::check(post)?;
        let mut media_ids = Vec::with_capacity(post.images.len());
        for image in &post.images {
            media_ids.push(self.upload_image(image).await?);
        }
        let mut body = json!({"text": post.text});
        if !media_ids.is_empty() {
            body["media"] = json!({"media_ids": media_ids});
        }
        let req = self.http.post(self.url("2/tweets")).json(&body);
        match self.send(req, Effect::Creates).await {
            Ok(v) => match v["data"]["id"].as_str() {
                Some(id) => Ok(Self::remote(id)),
                None => Err(PublishError::UnknownOutcome {
                    reason: "X: answer without the post's id".into(),
                }),
            },
            Err(f) if f.status == 403 && f.detail.to_ascii_lowercase().contains("duplicate") => {
                match self.find_existing(post).await? {
                    Lookup::Found(remote) => Ok(remote),
                    Lookup::NotFound => Err(f.error),
                }
            }
            Err(f) => Err(f.error),
        }
    }

    async fn me(&self) -> Result<String, PublishError> {
        if let Some(id) = self
            .user_id
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        {
            return Ok(id);
        }
        let v = self
            .send(self.http.get(self.url("2/users/me")), Effect::Safe)
            .await
            .map_err(|f| f.error)?;
        let id = v["data"]["id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| PublishError::retryable("X users/me: answer without id"))?;
        *self.user_id.lock().unwrap_or_else(|e| e.into_inner()) = Some(id.clone());
        Ok(id)
    }

    /// Looks through the account's posts since the first attempt for this text (links compared
    /// as links, since X shortens them).
    pub async fn find_existing(&self, post: &OutgoingPost) -> Result<Lookup, PublishError> {
        let user = self.me().await?;
        let since = jiff::Timestamp::from_millisecond(post.first_attempt_at - CLOCK_SKEW_MS)
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .to_string();
        let req = self
            .http
            .get(self.url(&format!("2/users/{user}/tweets")))
            .query(&[
                ("max_results", "20"),
                ("start_time", since.as_str()),
                ("tweet.fields", "created_at,text"),
            ]);
        let v = self.send(req, Effect::Safe).await.map_err(|f| f.error)?;
        let ours = without_links(&post.text);
        let found = v["data"].as_array().and_then(|posts| {
            posts.iter().find_map(|p| {
                let same = p["text"].as_str().is_some_and(|t| without_links(t) == ours);
                same.then(|| p["id"].as_str()).flatten()
            })
        });
        Ok(found.map_or(Lookup::NotFound, |id| Lookup::Found(Self::remote(id))))
    }

    /// Deletes a post; one that is already gone counts as deleted.
    pub async fn delete(&self, remote: &RemotePost) -> Result<(), PublishError> {
        let req = self
            .http
            .delete(self.url(&format!("2/tweets/{}", remote.id)));
        match self.send(req, Effect::Safe).await {
            Ok(_) => Ok(()),
            Err(f) if f.status == 404 => Ok(()),
            Err(f) => Err(f.error),
        }
    }
}

impl Publisher for XClient {
    fn kind(&self) -> PublishKind {
        PublishKind::X
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            idempotency_window_ms: None,
            lookup: true,
            edit: false,
            delete: true,
        }
    }

    fn publish<'a>(
        &'a self,
        post: &'a OutgoingPost,
    ) -> BoxFuture<'a, Result<RemotePost, PublishError>> {
        Box::pin(XClient::publish(self, post))
    }

    fn find_existing<'a>(
        &'a self,
        post: &'a OutgoingPost,
    ) -> BoxFuture<'a, Result<Lookup, PublishError>> {
        Box::pin(XClient::find_existing(self, post))
    }

    fn delete<'a>(&'a self, remote: &'a RemotePost) -> BoxFuture<'a, Result<(), PublishError>> {
        Box::pin(XClient::delete(self, remote))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_compare_as_links_because_x_shortens_them() {
        assert_eq!(
            without_links("Infos: https://musterstadt.de/fest ab 18 Uhr"),
            without_links("Infos: https://t.co/AbC123 ab 18 Uhr")
        );
        assert_ne!(
            without_links("Infos ab 18 Uhr"),
            without_links("Infos ab 19 Uhr")
        );
    }
}
