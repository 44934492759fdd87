//! Turns a Telegram `Update` (webhook body) into a platform-neutral event.
//!
//! Handled: `message` and `edited_message` from private chats, and `callback_query` (an inline
//! button the citizen tapped). Group, supergroup and channel traffic, and every other update kind,
//! is "nothing for us" (`Ok(None)`): a town's bot is a one-to-one service, and a group chat id is
//! not a citizen. Not JSON, no `update_id`, or a message without `message_id`/`date`/`chat` →
//! [`ParseError`]. A content part that is malformed becomes `Unsupported` rather than an error.

use rathaus_domain::{InboundEvent, InboundMessage, MediaRef, MessageContent, PlatformUser};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::ParseError;

/// A parsed update; `update_id` lets the caller drop redeliveries.
#[derive(Debug, Clone, PartialEq)]
pub struct TelegramUpdate {
    pub update_id: i64,
    pub event: InboundEvent,
}

/// Parses a verified webhook body. Callback queries carry no time of their own and are stamped
/// with the current time.
pub fn parse_update(raw_body: &[u8]) -> Result<Option<TelegramUpdate>, ParseError> {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    parse_update_at(raw_body, now_ms)
}

/// [`parse_update`] with the time for callback queries given by the caller.
pub fn parse_update_at(raw_body: &[u8], now_ms: i64) -> Result<Option<TelegramUpdate>, ParseError> {
    let update: Update = serde_json::from_slice(raw_body).map_err(|e| ParseError::from_json(&e))?;
    let event = if let Some(message) = update.message {
        convert_message(parse_message(message)?, false)?
    } else if let Some(message) = update.edited_message {
        convert_message(parse_message(message)?, true)?
    } else if let Some(query) = update.callback_query {
        convert_callback(query, now_ms)
    } else {
        None
    };
    Ok(event.map(|message| TelegramUpdate {
        update_id: update.update_id,
        event: InboundEvent::Message(message),
    }))
}

#[derive(Deserialize)]
struct Update {
    update_id: i64,
    #[serde(default)]
    message: Option<Value>,
    #[serde(default)]
    edited_message: Option<Value>,
    #[serde(default)]
    callback_query: Option<CallbackQuery>,
}

#[derive(Deserialize)]
struct Message {
    message_id: i64,
    date: i64,
    chat: Chat,
    #[serde(default)]
    edit_date: Option<i64>,
    #[serde(default)]
    from: Option<User>,
    #[serde(default)]
    caption: Option<String>,
    /// Everything else: the content (`text`, `photo`, …) and metadata we do not use.
    #[serde(flatten)]
    rest: Map<String, Value>,
}

#[derive(Deserialize)]
struct Chat {
    id: i64,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    first_name: Option<String>,
    #[serde(default)]
    last_name: Option<String>,
}

#[derive(Deserialize)]
struct User {
    id: i64,
    #[serde(default)]
    first_name: Option<String>,
    #[serde(default)]
    last_name: Option<String>,
}

#[derive(Deserialize)]
struct CallbackQuery {
    id: String,
    from: User,
    #[serde(default)]
    message: Option<CallbackMessage>,
    #[serde(default)]
    data: Option<String>,
}

/// The bot's message carrying the button; may be "inaccessible" (`date` 0, no markup).
#[derive(Deserialize)]
struct CallbackMessage {
    chat: Chat,
    #[serde(default)]
    reply_markup: Option<Value>,
}

#[derive(Deserialize)]
struct PhotoSize {
    file_id: String,
    #[serde(default)]
    width: u64,
    #[serde(default)]
    height: u64,
    #[serde(default)]
    file_size: Option<u64>,
}

#[derive(Deserialize)]
struct FilePart {
    file_id: String,
    #[serde(default)]
    mime_type: Option<String>,
    #[serde(default)]
    file_name: Option<String>,
    #[serde(default)]
    is_animated: bool,
    #[serde(default)]
    is_video: bool,
}

#[derive(Deserialize)]
struct Location {
    latitude: f64,
    longitude: f64,
}

#[derive(Deserialize)]
struct Venue {
    location: Location,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    address: Option<String>,
}

/// Message fields that say something about a message but are not its content.
const METADATA_KEYS: &[&str] = &[
    "author_signature",
    "business_connection_id",
    "caption_entities",
    "effect_id",
    "entities",
    "external_reply",
    "forward_date",
    "forward_from",
    "forward_from_chat",
    "forward_from_message_id",
    "forward_origin",
    "forward_sender_name",
    "forward_signature",
    "has_media_spoiler",
    "has_protected_content",
    "is_automatic_forward",
    "is_from_offline",
    "is_topic_message",
    "link_preview_options",
    "media_group_id",
    "message_thread_id",
    "paid_star_count",
    "quote",
    "reply_markup",
    "reply_to_message",
    "reply_to_story",
    "sender_boost_count",
    "sender_business_bot",
    "sender_chat",
    "show_caption_above_media",
    "via_bot",
];

fn parse_message(value: Value) -> Result<Message, ParseError> {
    serde_json::from_value(value).map_err(|e| ParseError::from_json(&e))
}

fn non_empty(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn full_name(first: Option<&str>, last: Option<&str>) -> Option<String> {
    let joined = [first, last]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    (!joined.is_empty()).then_some(joined)
}

fn seconds_to_ms(secs: i64) -> Result<i64, ParseError> {
    if secs < 0 {
        return Err(ParseError::Structure("date is negative"));
    }
    secs.checked_mul(1000)
        .ok_or(ParseError::Structure("date out of range"))
}

fn convert_message(msg: Message, edited: bool) -> Result<Option<InboundMessage>, ParseError> {
    if msg.chat.kind != "private" {
        return Ok(None);
    }
    let chat_id = msg.chat.id;
    let (platform_message_id, at) = if edited {
        let edit_date = msg.edit_date.unwrap_or(msg.date);
        (
            format!("{chat_id}:{}:e{edit_date}", msg.message_id),
            edit_date,
        )
    } else {
        (format!("{chat_id}:{}", msg.message_id), msg.date)
    };
    let display_name = msg
        .from
        .as_ref()
        .and_then(|u| full_name(u.first_name.as_deref(), u.last_name.as_deref()))
        .or_else(|| {
            full_name(
                msg.chat.first_name.as_deref(),
                msg.chat.last_name.as_deref(),
            )
        });
    Ok(Some(InboundMessage {
        platform_message_id,
        sender: PlatformUser {
            id: chat_id.to_string(),
            phone: None,
            display_name,
        },
        sent_at_ms: seconds_to_ms(at)?,
        content: convert_content(&msg),
    }))
}

fn field<T: for<'de> Deserialize<'de>>(rest: &Map<String, Value>, key: &str) -> Option<T> {
    rest.get(key)
        .and_then(|v| serde_json::from_value(v.clone()).ok())
}

fn media_ref(file: &FilePart, fallback_mime: Option<&str>) -> MediaRef {
    MediaRef {
        platform_media_id: file.file_id.clone(),
        mime_type: non_empty(file.mime_type.as_deref())
            .or_else(|| fallback_mime.map(str::to_owned)),
        sha256: None,
        filename: non_empty(file.file_name.as_deref()),
    }
}

fn convert_content(msg: &Message) -> MessageContent {
    let rest = &msg.rest;
    let caption = non_empty(msg.caption.as_deref());
    // Telegram sets `document` next to `animation`, and `location` next to `venue`, for old
    // clients; the more specific part is looked at first.
    const CONTENT_KEYS: &[&str] = &[
        "text",
        "photo",
        "voice",
        "audio",
        "animation",
        "video",
        "video_note",
        "document",
        "sticker",
        "venue",
        "location",
    ];
    let Some(key) = CONTENT_KEYS.iter().find(|k| rest.contains_key(**k)) else {
        let platform_type = rest
            .keys()
            .find(|k| !METADATA_KEYS.contains(&k.as_str()))
            .map_or_else(|| "unknown".to_owned(), Clone::clone);
        return MessageContent::Unsupported { platform_type };
    };
    let converted = match *key {
        "text" => field::<String>(rest, "text").map(|body| MessageContent::Text { body }),
        "photo" => field::<Vec<PhotoSize>>(rest, "photo").and_then(|sizes| {
            let largest = sizes
                .into_iter()
                .max_by_key(|p| (p.width.saturating_mul(p.height), p.file_size))?;
            Some(MessageContent::Image {
                media: MediaRef {
                    platform_media_id: largest.file_id,
                    // Telegram re-encodes photos as JPEG.
                    mime_type: Some("image/jpeg".into()),
                    sha256: None,
                    filename: None,
                },
                caption: caption.clone(),
            })
        }),
        "voice" => field::<FilePart>(rest, "voice").map(|f| MessageContent::Voice {
            media: media_ref(&f, Some("audio/ogg")),
        }),
        "audio" => field::<FilePart>(rest, "audio").map(|f| MessageContent::Audio {
            media: media_ref(&f, None),
        }),
        "animation" | "video" | "video_note" => {
            field::<FilePart>(rest, key).map(|f| MessageContent::Video {
                media: media_ref(&f, Some("video/mp4")),
                caption: caption.clone(),
            })
        }
        "document" => field::<FilePart>(rest, "document").map(|f| MessageContent::Document {
            media: media_ref(&f, None),
            caption: caption.clone(),
        }),
        "sticker" => field::<FilePart>(rest, "sticker").map(|f| {
            let mime = if f.is_animated {
                "application/x-tgsticker"
            } else if f.is_video {
                "video/webm"
            } else {
                "image/webp"
            };
            MessageContent::Sticker {
                media: media_ref(&f, Some(mime)),
            }
        }),
        "venue" => field::<Venue>(rest, "venue").and_then(|v| {
            location(
                v.location,
                non_empty(v.title.as_deref()),
                non_empty(v.address.as_deref()),
            )
        }),
        "location" => field::<Location>(rest, "location").and_then(|l| location(l, None, None)),
        _ => None,
    };
    converted.unwrap_or_else(|| {
        tracing::warn!(platform_type = %key, "telegram message part malformed, kept as unsupported");
        MessageContent::Unsupported {
            platform_type: (*key).to_owned(),
        }
    })
}

fn location(l: Location, name: Option<String>, address: Option<String>) -> Option<MessageContent> {
    let plausible = (-90.0..=90.0).contains(&l.latitude) && (-180.0..=180.0).contains(&l.longitude);
    plausible.then_some(MessageContent::Location {
        latitude: l.latitude,
        longitude: l.longitude,
        name,
        address,
    })
}

fn convert_callback(query: CallbackQuery, now_ms: i64) -> Option<InboundMessage> {
    let data = query.data.filter(|d| !d.is_empty())?;
    let chat_id = match &query.message {
        Some(m) if m.chat.kind != "private" => return None,
        Some(m) => m.chat.id,
        // Button under an inline-mode message: in a private chat the chat id is the user id.
        None => query.from.id,
    };
    let title = query
        .message
        .as_ref()
        .and_then(|m| m.reply_markup.as_ref())
        .and_then(|markup| button_text(markup, &data))
        .unwrap_or_else(|| data.clone());
    Some(InboundMessage {
        platform_message_id: format!("cb:{}", query.id),
        sender: PlatformUser {
            id: chat_id.to_string(),
            phone: None,
            display_name: full_name(
                query.from.first_name.as_deref(),
                query.from.last_name.as_deref(),
            ),
        },
        sent_at_ms: now_ms,
        content: MessageContent::InteractiveReply { id: data, title },
    })
}

/// The label of the inline button whose `callback_data` is `data`, as the citizen saw it.
fn button_text(markup: &Value, data: &str) -> Option<String> {
    markup
        .get("inline_keyboard")?
        .as_array()?
        .iter()
        .filter_map(Value::as_array)
        .flatten()
        .find(|b| b.get("callback_data").and_then(Value::as_str) == Some(data))?
        .get("text")?
        .as_str()
        .map(str::to_owned)
}

#[cfg(test)]
#[path = "update_tests.rs"]
mod tests;
