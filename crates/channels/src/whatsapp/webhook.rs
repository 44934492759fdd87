//! Turns a WhatsApp Cloud API webhook body into platform-neutral events, routed by phone number id.
//!
//! Shape (Meta's `WebhookPayload`): `entry[].changes[]` with `field` and `value`; a `messages`
//! value carries `metadata.phone_number_id`, `contacts[]`, `messages[]` and/or `statuses[]`.
//!
//! What is an error and what is not:
//! - not JSON, no `entry`, a change without `field`, a `messages` value without
//!   `metadata.phone_number_id`, a message without `id`/`timestamp`/`type` or without any sender
//!   identity, a status without `id`/`status`/`timestamp` → [`ParseError`]; the web layer answers
//!   with an error and Meta redelivers.
//! - other `field`s (group and template updates …), other `object`s, status values we do not track
//!   → skipped.
//! - a message whose type-specific part is missing or malformed (e.g. `type: "text"` without
//!   `text.body`) → `Unsupported { platform_type }`, so the citizen's other messages in the same
//!   POST still arrive and nothing vanishes silently.

use rathaus_domain::{
    DeliveryStatus, InboundEvent, InboundMessage, MediaRef, MessageContent, PlatformUser,
    StatusUpdate,
};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::describe_error;
use crate::ParseError;

/// An event together with the business phone number it was addressed to, which selects the
/// municipality's channel.
#[derive(Debug, Clone, PartialEq)]
pub struct RoutedEvent {
    pub phone_number_id: String,
    pub event: InboundEvent,
}

/// Parses a verified webhook POST body (see the module docs for what counts as malformed).
pub fn parse_webhook(raw_body: &[u8]) -> Result<Vec<RoutedEvent>, ParseError> {
    let payload: Payload =
        serde_json::from_slice(raw_body).map_err(|e| ParseError::from_json(&e))?;
    if payload.object != "whatsapp_business_account" {
        tracing::debug!("ignoring webhook for another object type");
        return Ok(Vec::new());
    }
    let mut events = Vec::new();
    for entry in payload.entry {
        for change in entry.changes {
            if change.field != "messages" {
                continue;
            }
            let value: MessagesValue =
                serde_json::from_value(change.value).map_err(|e| ParseError::from_json(&e))?;
            let phone_number_id = value.metadata.phone_number_id;
            if phone_number_id.is_empty() {
                return Err(ParseError::Structure("empty metadata.phone_number_id"));
            }
            for message in &value.messages {
                let event = convert_message(message, &value.contacts)?;
                events.push(RoutedEvent {
                    phone_number_id: phone_number_id.clone(),
                    event: InboundEvent::Message(event),
                });
            }
            for status in value.statuses {
                if let Some(update) = convert_status(status)? {
                    events.push(RoutedEvent {
                        phone_number_id: phone_number_id.clone(),
                        event: InboundEvent::Status(update),
                    });
                }
            }
        }
    }
    Ok(events)
}

#[derive(Deserialize)]
struct Payload {
    object: String,
    entry: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    changes: Vec<Change>,
}

#[derive(Deserialize)]
struct Change {
    field: String,
    #[serde(default)]
    value: Value,
}

#[derive(Deserialize)]
struct MessagesValue {
    metadata: Metadata,
    #[serde(default, deserialize_with = "null_as_default")]
    contacts: Vec<Contact>,
    #[serde(default, deserialize_with = "null_as_default")]
    messages: Vec<RawMessage>,
    #[serde(default, deserialize_with = "null_as_default")]
    statuses: Vec<RawStatus>,
}

#[derive(Deserialize)]
struct Metadata {
    phone_number_id: String,
}

/// The sender's profile; `user_id` is the business-scoped user id (BSUID), `wa_id` the phone
/// number, which Meta omits for users who adopted a username.
#[derive(Deserialize)]
struct Contact {
    #[serde(default)]
    profile: Option<Profile>,
    #[serde(default)]
    wa_id: Option<String>,
    #[serde(default)]
    user_id: Option<String>,
}

#[derive(Deserialize)]
struct Profile {
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct RawMessage {
    id: String,
    timestamp: UnixSeconds,
    #[serde(rename = "type")]
    kind: String,
    /// Phone number (wa_id) of the sender; may be absent for username users.
    #[serde(default)]
    from: Option<String>,
    /// Business-scoped user id of the sender, in newer payloads.
    #[serde(default)]
    from_user_id: Option<String>,
    #[serde(default)]
    text: Option<Value>,
    #[serde(default)]
    audio: Option<Value>,
    #[serde(default)]
    image: Option<Value>,
    #[serde(default)]
    video: Option<Value>,
    #[serde(default)]
    document: Option<Value>,
    #[serde(default)]
    sticker: Option<Value>,
    #[serde(default)]
    location: Option<Value>,
    #[serde(default)]
    interactive: Option<Value>,
    #[serde(default)]
    button: Option<Value>,
}

#[derive(Deserialize)]
struct RawStatus {
    id: String,
    status: String,
    timestamp: UnixSeconds,
    #[serde(default, deserialize_with = "null_as_default")]
    errors: Vec<RawError>,
}

#[derive(Deserialize)]
struct RawError {
    #[serde(default)]
    code: Option<i64>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    error_data: Option<ErrorData>,
}

#[derive(Deserialize)]
struct ErrorData {
    #[serde(default)]
    details: Option<String>,
}

/// Meta sends unix seconds as a string; a bare number is accepted too.
#[derive(Deserialize)]
#[serde(untagged)]
enum UnixSeconds {
    Text(String),
    Number(i64),
}

impl UnixSeconds {
    fn to_ms(&self) -> Result<i64, ParseError> {
        let secs = match self {
            UnixSeconds::Text(s) => s
                .trim()
                .parse::<i64>()
                .map_err(|_| ParseError::Structure("timestamp is not unix seconds"))?,
            UnixSeconds::Number(n) => *n,
        };
        if secs < 0 {
            return Err(ParseError::Structure("timestamp is negative"));
        }
        secs.checked_mul(1000)
            .ok_or(ParseError::Structure("timestamp out of range"))
    }
}

fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn convert_message(msg: &RawMessage, contacts: &[Contact]) -> Result<InboundMessage, ParseError> {
    if msg.id.is_empty() {
        return Err(ParseError::Structure("message without id"));
    }
    let contact = find_contact(msg, contacts);
    let user_id =
        non_empty(&msg.from_user_id).or_else(|| contact.and_then(|c| non_empty(&c.user_id)));
    let phone = non_empty(&msg.from).or_else(|| contact.and_then(|c| non_empty(&c.wa_id)));
    let Some(id) = user_id.or(phone) else {
        return Err(ParseError::Structure("message without sender"));
    };
    let display_name = contact
        .and_then(|c| c.profile.as_ref())
        .and_then(|p| non_empty(&p.name))
        .map(str::to_owned);
    Ok(InboundMessage {
        platform_message_id: msg.id.clone(),
        sender: PlatformUser {
            id: id.to_owned(),
            phone: phone.map(str::to_owned),
            display_name,
        },
        sent_at_ms: msg.timestamp.to_ms()?,
        content: convert_content(msg),
    })
}

/// The contact entry describing this message's sender: matched by user id, then by phone number;
/// a lone contact belongs to the lone sender of its value.
fn find_contact<'a>(msg: &RawMessage, contacts: &'a [Contact]) -> Option<&'a Contact> {
    if let Some(uid) = non_empty(&msg.from_user_id) {
        if let Some(c) = contacts.iter().find(|c| non_empty(&c.user_id) == Some(uid)) {
            return Some(c);
        }
    }
    if let Some(from) = non_empty(&msg.from) {
        if let Some(c) = contacts.iter().find(|c| non_empty(&c.wa_id) == Some(from)) {
            return Some(c);
        }
    }
    match contacts {
        [only] => Some(only),
        _ => None,
    }
}

#[derive(Deserialize)]
struct TextPart {
    body: String,
}

#[derive(Deserialize)]
struct MediaPart {
    id: String,
    #[serde(default)]
    mime_type: Option<String>,
    #[serde(default)]
    sha256: Option<String>,
    #[serde(default)]
    caption: Option<String>,
    #[serde(default)]
    filename: Option<String>,
    #[serde(default)]
    voice: Option<bool>,
}

impl MediaPart {
    fn media_ref(&self) -> MediaRef {
        MediaRef {
            platform_media_id: self.id.clone(),
            mime_type: non_empty(&self.mime_type).map(str::to_owned),
            sha256: non_empty(&self.sha256).map(str::to_owned),
            filename: non_empty(&self.filename).map(str::to_owned),
        }
    }

    fn caption(&self) -> Option<String> {
        non_empty(&self.caption).map(str::to_owned)
    }
}

#[derive(Deserialize)]
struct LocationPart {
    latitude: f64,
    longitude: f64,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    address: Option<String>,
}

#[derive(Deserialize)]
struct InteractivePart {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    button_reply: Option<Choice>,
    #[serde(default)]
    list_reply: Option<Choice>,
}

#[derive(Deserialize)]
struct Choice {
    id: String,
    title: String,
}

/// Quick-reply button of a template message.
#[derive(Deserialize)]
struct ButtonPart {
    payload: String,
    text: String,
}

fn part<T: for<'de> Deserialize<'de>>(value: &Option<Value>) -> Option<T> {
    value
        .as_ref()
        .and_then(|v| serde_json::from_value(v.clone()).ok())
}

fn convert_content(msg: &RawMessage) -> MessageContent {
    let converted = match msg.kind.as_str() {
        "text" => part::<TextPart>(&msg.text).map(|t| MessageContent::Text { body: t.body }),
        "audio" => part::<MediaPart>(&msg.audio).map(|a| {
            let media = a.media_ref();
            if a.voice == Some(true) {
                MessageContent::Voice { media }
            } else {
                MessageContent::Audio { media }
            }
        }),
        "image" => part::<MediaPart>(&msg.image).map(|m| MessageContent::Image {
            media: m.media_ref(),
            caption: m.caption(),
        }),
        "video" => part::<MediaPart>(&msg.video).map(|m| MessageContent::Video {
            media: m.media_ref(),
            caption: m.caption(),
        }),
        "document" => part::<MediaPart>(&msg.document).map(|m| MessageContent::Document {
            media: m.media_ref(),
            caption: m.caption(),
        }),
        "sticker" => part::<MediaPart>(&msg.sticker).map(|m| MessageContent::Sticker {
            media: m.media_ref(),
        }),
        "location" => part::<LocationPart>(&msg.location)
            .filter(|l| (-90.0..=90.0).contains(&l.latitude))
            .filter(|l| (-180.0..=180.0).contains(&l.longitude))
            .map(|l| MessageContent::Location {
                latitude: l.latitude,
                longitude: l.longitude,
                name: non_empty(&l.name).map(str::to_owned),
                address: non_empty(&l.address).map(str::to_owned),
            }),
        "interactive" => part::<InteractivePart>(&msg.interactive).and_then(|i| {
            let choice = match i.kind.as_str() {
                "button_reply" => i.button_reply,
                "list_reply" => i.list_reply,
                _ => None,
            }?;
            Some(MessageContent::InteractiveReply {
                id: choice.id,
                title: choice.title,
            })
        }),
        "button" => part::<ButtonPart>(&msg.button).map(|b| MessageContent::InteractiveReply {
            id: b.payload,
            title: b.text,
        }),
        _ => None,
    };
    converted.unwrap_or_else(|| {
        if is_known_type(&msg.kind) {
            tracing::warn!(
                platform_type = %msg.kind,
                "whatsapp message part malformed, kept as unsupported"
            );
        }
        MessageContent::Unsupported {
            platform_type: msg.kind.clone(),
        }
    })
}

fn is_known_type(kind: &str) -> bool {
    matches!(
        kind,
        "text"
            | "audio"
            | "image"
            | "video"
            | "document"
            | "sticker"
            | "location"
            | "interactive"
            | "button"
    )
}

fn convert_status(status: RawStatus) -> Result<Option<StatusUpdate>, ParseError> {
    if status.id.is_empty() {
        return Err(ParseError::Structure("status without message id"));
    }
    let at_ms = status.timestamp.to_ms()?;
    let delivery = match status.status.as_str() {
        "sent" => DeliveryStatus::Sent,
        "delivered" => DeliveryStatus::Delivered,
        "read" => DeliveryStatus::Read,
        "failed" => DeliveryStatus::Failed,
        _ => {
            tracing::debug!(status = %status.status, "ignoring whatsapp status we do not track");
            return Ok(None);
        }
    };
    let error = (!status.errors.is_empty()).then(|| {
        status
            .errors
            .iter()
            .map(|e| {
                describe_error(
                    e.code,
                    non_empty(&e.title).or(non_empty(&e.message)),
                    e.error_data.as_ref().and_then(|d| non_empty(&d.details)),
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    });
    Ok(Some(StatusUpdate {
        platform_message_id: status.id,
        status: delivery,
        at_ms,
        error,
    }))
}

#[cfg(test)]
#[path = "webhook_tests.rs"]
mod tests;
