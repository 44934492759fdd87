//! Telegram channel: `sendMessage`, `sendPhoto` or `sendMediaGroup` to `@channel` with the bot token; edit with `editMessageText`/`editMessageCaption`, delete with `deleteMessage`.
//!
//! The Bot API has no idempotency key and no way to read a channel's history, so an attempt whose
//! answer was lost cannot be resolved here: the hub leaves it for a person to check (never resends).
//! Telegram photos have no alt text; the alt texts are required in the composer all the same, for
//! the other channels and the news page.

use std::time::Duration;

use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value};

use super::multipart::Form;
use super::rate::{self, RateBudget};
use super::{
    transport_error, BoxFuture, Capabilities, OutgoingPost, PublishError, Publisher, RemotePost,
    TelegramChannelPublishConfig,
};
use crate::http::{read_limited, redact, ReadError, API_RESPONSE_LIMIT};
use crate::USER_AGENT;
use rathaus_domain::publishing::PublishKind;

/// One channel, posted to by one bot that is an administrator there.
pub struct TelegramChannelPublisher {
    http: reqwest::Client,
    api_base: String,
    bot_token: String,
    chat: String,
    timeout: Duration,
    /// Telegram allows about 20 messages per minute into one group or channel.
    budget: RateBudget,
}

impl std::fmt::Debug for TelegramChannelPublisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelegramChannelPublisher")
            .field("api_base", &self.api_base)
            .field("chat", &self.chat)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct Envelope {
    ok: bool,
    #[serde(default)]
    result: Option<Value>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    parameters: Option<Parameters>,
}

#[derive(Deserialize)]
struct Parameters {
    #[serde(default)]
    retry_after: Option<u64>,
}

#[derive(Deserialize)]
struct Message {
    message_id: i64,
}

/// What was sent, so edit and delete know which messages and which method.
#[derive(Debug, PartialEq, Eq)]
struct Sent {
    /// `text` (sendMessage) or `caption` (photo or album; the caption is on the first message).
    form: &'static str,
    ids: Vec<i64>,
}

fn encode_remote(sent: &Sent) -> String {
    let ids: Vec<String> = sent.ids.iter().map(i64::to_string).collect();
    format!("{}:{}", sent.form, ids.join(","))
}

fn decode_remote(id: &str) -> Option<Sent> {
    let (form, ids) = id.split_once(':')?;
    let form = match form {
        "text" => "text",
        "caption" => "caption",
        _ => return None,
    };
    let ids = ids
        .split(',')
        .map(|i| i.parse().ok())
        .collect::<Option<Vec<i64>>>()?;
    (!ids.is_empty()).then_some(Sent { form, ids })
}

/// The Bot API takes a numeric chat id as a number and `@channelname` as a string.
fn chat_value(chat: &str) -> Value {
    match chat.trim().parse::<i64>() {
        Ok(id) => json!(id),
        Err(_) => json!(chat.trim()),
    }
}

/// The public link to a message: `t.me/name/id` for a public channel, `t.me/c/…/id` (members only)
/// for a private one.
fn message_url(chat: &str, message_id: i64) -> Option<String> {
    let chat = chat.trim();
    if let Some(name) = chat.strip_prefix('@') {
        return Some(format!("https://t.me/{name}/{message_id}"));
    }
    let internal = chat.strip_prefix("-100")?;
    internal
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| format!("https://t.me/c/{internal}/{message_id}"))
}

impl TelegramChannelPublisher {
    pub fn new(http: reqwest::Client, config: &TelegramChannelPublishConfig) -> Self {
        TelegramChannelPublisher {
            http,
            api_base: config.api_base.trim_end_matches('/').to_string(),
            bot_token: config.bot_token.clone(),
            chat: config.chat.trim().to_string(),
            timeout: Duration::from_secs(config.timeout_secs.unwrap_or(30).max(1)),
            budget: RateBudget::new(20, Duration::from_secs(60)),
        }
    }

    /// Calls a Bot API method; `Ok(result)` or the failure mapped to what the hub does next.
    async fn call(&self, method: &str, body: Request) -> Result<Value, PublishError> {
        self.budget.take_or_limit(1, "Telegram channel")?;
        let url = format!("{}/bot{}/{method}", self.api_base, self.bot_token);
        let req = self
            .http
            .post(url)
            .header(reqwest::header::USER_AGENT, USER_AGENT)
            .timeout(self.timeout);
        let req = match body {
            Request::Json(v) => req.json(&v),
            Request::Form(form) => {
                let (content_type, bytes) = form.finish();
                req.header(reqwest::header::CONTENT_TYPE, content_type)
                    .body(bytes)
            }
        };
        let resp = req
            .send()
            .await
            .map_err(|e| transport_error("Telegram", e, &self.bot_token))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = match read_limited(resp, API_RESPONSE_LIMIT).await {
            Ok(b) => b,
            Err(ReadError::Network(e)) => {
                return Err(transport_error("Telegram", e, &self.bot_token))
            }
            Err(ReadError::TooLarge) => {
                return Err(PublishError::UnknownOutcome {
                    reason: format!("Telegram {method}: oversized answer"),
                })
            }
        };
        let envelope = serde_json::from_slice::<Envelope>(&bytes).ok();
        if status.is_success() {
            return match envelope {
                Some(Envelope {
                    ok: true,
                    result: Some(result),
                    ..
                }) => Ok(result),
                _ => Err(PublishError::UnknownOutcome {
                    reason: format!("Telegram {method}: unreadable answer"),
                }),
            };
        }
        let said = envelope
            .as_ref()
            .and_then(|e| e.description.clone())
            .map(|d| redact(&d, &self.bot_token))
            .unwrap_or_else(|| format!("HTTP {}", status.as_u16()));
        tracing::warn!(
            status = status.as_u16(),
            method,
            "telegram channel call failed"
        );
        Err(match status {
            StatusCode::TOO_MANY_REQUESTS => PublishError::RateLimited {
                reason: format!("Telegram {method}: {said}"),
                retry_after_ms: envelope
                    .and_then(|e| e.parameters)
                    .and_then(|p| p.retry_after)
                    .map(|s| s.saturating_mul(1000))
                    .unwrap_or_else(|| rate::retry_after_ms(&headers, rate::now_ms())),
            },
            StatusCode::UNAUTHORIZED => PublishError::permanent(
                format!("Telegram kennt den Bot-Token nicht – bitte bot_token prüfen ({said})"),
                format!("Telegram does not know the bot token – please check bot_token ({said})"),
            ),
            StatusCode::FORBIDDEN => PublishError::permanent(
                format!("Der Bot darf in diesem Kanal nicht schreiben – ihn als Administrator mit dem Recht „Nachrichten senden“ hinzufügen ({said})"),
                format!("The bot may not post in this channel – add it as an administrator allowed to post messages ({said})"),
            ),
            // Telegram may have posted before failing; without a way to look, that is unknown.
            s if s.is_server_error() => PublishError::UnknownOutcome {
                reason: format!("Telegram {method}: {said}"),
            },
            _ if said.contains("chat not found") => PublishError::permanent(
                format!("Telegram findet den Kanal „{}“ nicht – bitte chat prüfen ({said})", self.chat),
                format!("Telegram cannot find the channel '{}' – please check chat ({said})", self.chat),
            ),
            _ => PublishError::permanent(
                format!("Telegram lehnt den Beitrag ab: {said}"),
                format!("Telegram refused the post: {said}"),
            ),
        })
    }

    async fn send(&self, post: &OutgoingPost) -> Result<Sent, PublishError> {
        let chat = chat_value(&self.chat);
        match post.images.as_slice() {
            [] => {
                let body = json!({ "chat_id": chat, "text": post.text });
                let m: Message = message(self.call("sendMessage", Request::Json(body)).await?)?;
                Ok(Sent {
                    form: "text",
                    ids: vec![m.message_id],
                })
            }
            [image] => {
                let mut form = Form::new().text("chat_id", &self.chat);
                if !post.text.is_empty() {
                    form = form.text("caption", &post.text);
                }
                let form = form.file("photo", "image-1", &image.mime, &image.bytes);
                let m: Message = message(self.call("sendPhoto", Request::Form(form)).await?)?;
                Ok(Sent {
                    form: "caption",
                    ids: vec![m.message_id],
                })
            }
            images => {
                let media: Vec<Value> = images
                    .iter()
                    .enumerate()
                    .map(|(i, _)| {
                        let mut item =
                            json!({ "type": "photo", "media": format!("attach://photo{i}") });
                        // The album's caption is the first photo's.
                        if i == 0 && !post.text.is_empty() {
                            item["caption"] = json!(post.text);
                        }
                        item
                    })
                    .collect();
                let mut form = Form::new()
                    .text("chat_id", &self.chat)
                    .text("media", &Value::Array(media).to_string());
                for (i, image) in images.iter().enumerate() {
                    form = form.file(
                        &format!("photo{i}"),
                        &format!("image-{}", i + 1),
                        &image.mime,
                        &image.bytes,
                    );
                }
                let result = self.call("sendMediaGroup", Request::Form(form)).await?;
                let messages: Vec<Message> =
                    serde_json::from_value(result).map_err(|_| PublishError::UnknownOutcome {
                        reason: "Telegram sendMediaGroup: unreadable answer".into(),
                    })?;
                if messages.is_empty() {
                    return Err(PublishError::UnknownOutcome {
                        reason: "Telegram sendMediaGroup: no messages in the answer".into(),
                    });
                }
                Ok(Sent {
                    form: "caption",
                    ids: messages.iter().map(|m| m.message_id).collect(),
                })
            }
        }
    }
}

enum Request {
    Json(Value),
    Form(Form),
}

fn message(result: Value) -> Result<Message, PublishError> {
    serde_json::from_value(result).map_err(|_| PublishError::UnknownOutcome {
        reason: "Telegram: unreadable message in the answer".into(),
    })
}

fn unknown_is_retryable(e: PublishError) -> PublishError {
    match e {
        PublishError::UnknownOutcome { reason } => PublishError::retryable(reason),
        other => other,
    }
}

fn bad_remote() -> PublishError {
    PublishError::permanent(
        "Unbekannte Telegram-Nachrichtenkennung",
        "unknown Telegram message id",
    )
}

impl Publisher for TelegramChannelPublisher {
    fn kind(&self) -> PublishKind {
        PublishKind::TelegramChannel
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            idempotency_window_ms: None,
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
            let sent = self.send(post).await?;
            let url = sent.ids.first().and_then(|id| message_url(&self.chat, *id));
            Ok(RemotePost {
                id: encode_remote(&sent),
                url,
            })
        })
    }

    fn edit<'a>(
        &'a self,
        remote: &'a RemotePost,
        post: &'a OutgoingPost,
    ) -> BoxFuture<'a, Result<RemotePost, PublishError>> {
        Box::pin(async move {
            let sent = decode_remote(&remote.id).ok_or_else(bad_remote)?;
            let first = *sent.ids.first().ok_or_else(bad_remote)?;
            let chat = chat_value(&self.chat);
            let (method, body) = if sent.form == "text" {
                (
                    "editMessageText",
                    json!({ "chat_id": chat, "message_id": first, "text": post.text }),
                )
            } else {
                (
                    "editMessageCaption",
                    json!({ "chat_id": chat, "message_id": first, "caption": post.text }),
                )
            };
            match self.call(method, Request::Json(body)).await {
                Ok(_) => Ok(remote.clone()),
                // Same text as before: nothing to change, which is fine.
                Err(PublishError::Permanent { message })
                    if message.contains("message is not modified") =>
                {
                    Ok(remote.clone())
                }
                Err(e) => Err(unknown_is_retryable(e)),
            }
        })
    }

    fn delete<'a>(&'a self, remote: &'a RemotePost) -> BoxFuture<'a, Result<(), PublishError>> {
        Box::pin(async move {
            let sent = decode_remote(&remote.id).ok_or_else(bad_remote)?;
            let chat = chat_value(&self.chat);
            for id in sent.ids {
                let body = json!({ "chat_id": chat, "message_id": id });
                match self.call("deleteMessage", Request::Json(body)).await {
                    Ok(_) => {}
                    // Gone already: what we wanted.
                    Err(PublishError::Permanent { message })
                        if message.contains("message to delete not found") => {}
                    Err(e) => return Err(unknown_is_retryable(e)),
                }
            }
            Ok(())
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn remote_ids_round_trip() {
        let s = Sent {
            form: "caption",
            ids: vec![41, 42],
        };
        assert_eq!(encode_remote(&s), "caption:41,42");
        assert_eq!(decode_remote("caption:41,42"), Some(s));
        assert_eq!(decode_remote("text:7").unwrap().ids, vec![7]);
        assert_eq!(decode_remote("other:7"), None);
        assert_eq!(decode_remote("text:"), None);
        assert_eq!(decode_remote("text:x"), None);
    }

    #[test]
    fn links_for_public_and_private_channels() {
        assert_eq!(
            message_url("@musterstadt", 12).as_deref(),
            Some("https://t.me/musterstadt/12")
        );
        assert_eq!(
            message_url("-1001234567890", 5).as_deref(),
            Some("https://t.me/c/1234567890/5")
        );
        assert_eq!(message_url("12345", 5), None);
    }

    #[test]
    fn debug_hides_the_token() {
        let p = TelegramChannelPublisher::new(
            reqwest::Client::new(),
            &TelegramChannelPublishConfig {
                name: None,
                chat: "@musterstadt".into(),
                bot_token: "123:geheim".into(),
                api_base: "http://127.0.0.1:9".into(),
                timeout_secs: None,
            },
        );
        assert!(!format!("{p:?}").contains("geheim"));
    }
}
