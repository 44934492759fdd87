//! Platform-neutral inbound events: what a channel adapter turns a webhook into.

use serde::{Deserialize, Serialize};

use crate::delivery::DeliveryStatus;

/// One verified thing a platform told us, already stripped of platform JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InboundEvent {
    Message(InboundMessage),
    Status(StatusUpdate),
}

impl InboundEvent {
    /// Key under which a redelivery of the same event is recognised and dropped.
    pub fn dedupe_key(&self) -> String {
        match self {
            InboundEvent::Message(m) => format!("msg:{}", m.platform_message_id),
            InboundEvent::Status(s) => {
                format!("status:{}:{}", s.platform_message_id, s.status.as_str())
            }
        }
    }
}

/// Who wrote: the platform's stable id for the person, and what the platform volunteered about them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlatformUser {
    /// WhatsApp: business-scoped user id if present, else wa_id. Telegram: the chat id.
    pub id: String,
    /// Phone number if the platform sent one (WhatsApp wa_id); never required.
    pub phone: Option<String>,
    pub display_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboundMessage {
    pub platform_message_id: String,
    pub sender: PlatformUser,
    /// Unix milliseconds as stated by the platform.
    pub sent_at_ms: i64,
    pub content: MessageContent,
}

/// Reference to media held by the platform, to be downloaded through its API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaRef {
    pub platform_media_id: String,
    pub mime_type: Option<String>,
    /// Hex or base64 SHA-256 as announced by the platform, checked after download.
    pub sha256: Option<String>,
    pub filename: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MessageContent {
    Text {
        body: String,
    },
    Voice {
        media: MediaRef,
    },
    Audio {
        media: MediaRef,
    },
    Image {
        media: MediaRef,
        caption: Option<String>,
    },
    Video {
        media: MediaRef,
        caption: Option<String>,
    },
    Document {
        media: MediaRef,
        caption: Option<String>,
    },
    Sticker {
        media: MediaRef,
    },
    Location {
        latitude: f64,
        longitude: f64,
        name: Option<String>,
        address: Option<String>,
    },
    /// A button or list choice the citizen tapped.
    InteractiveReply {
        id: String,
        title: String,
    },
    /// Something we cannot show (reactions, contacts, polls …); kept as a marker so nothing vanishes silently.
    Unsupported {
        platform_type: String,
    },
}

/// The kind of a stored message, as shown in the thread and the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    Text,
    Voice,
    Audio,
    Image,
    Video,
    Document,
    Sticker,
    Location,
    InteractiveReply,
    Unsupported,
    Note,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Text => "text",
            MessageKind::Voice => "voice",
            MessageKind::Audio => "audio",
            MessageKind::Image => "image",
            MessageKind::Video => "video",
            MessageKind::Document => "document",
            MessageKind::Sticker => "sticker",
            MessageKind::Location => "location",
            MessageKind::InteractiveReply => "interactive_reply",
            MessageKind::Unsupported => "unsupported",
            MessageKind::Note => "note",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        use MessageKind::*;
        [
            Text,
            Voice,
            Audio,
            Image,
            Video,
            Document,
            Sticker,
            Location,
            InteractiveReply,
            Unsupported,
            Note,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

impl MessageContent {
    pub fn kind(&self) -> MessageKind {
        match self {
            MessageContent::Text { .. } => MessageKind::Text,
            MessageContent::Voice { .. } => MessageKind::Voice,
            MessageContent::Audio { .. } => MessageKind::Audio,
            MessageContent::Image { .. } => MessageKind::Image,
            MessageContent::Video { .. } => MessageKind::Video,
            MessageContent::Document { .. } => MessageKind::Document,
            MessageContent::Sticker { .. } => MessageKind::Sticker,
            MessageContent::Location { .. } => MessageKind::Location,
            MessageContent::InteractiveReply { .. } => MessageKind::InteractiveReply,
            MessageContent::Unsupported { .. } => MessageKind::Unsupported,
        }
    }

    /// The words the citizen typed, used for keyword detection; media captions do not count as commands.
    pub fn command_text(&self) -> Option<&str> {
        match self {
            MessageContent::Text { body } => Some(body),
            MessageContent::InteractiveReply { title, .. } => Some(title),
            _ => None,
        }
    }

    /// Text to show in the thread: body, caption, reply title or a location description.
    pub fn display_text(&self) -> Option<String> {
        match self {
            MessageContent::Text { body } => Some(body.clone()),
            MessageContent::Image { caption, .. }
            | MessageContent::Video { caption, .. }
            | MessageContent::Document { caption, .. } => caption.clone(),
            MessageContent::InteractiveReply { title, .. } => Some(title.clone()),
            MessageContent::Location {
                latitude,
                longitude,
                name,
                address,
            } => {
                let mut parts: Vec<String> = Vec::new();
                if let Some(n) = name {
                    parts.push(n.clone());
                }
                if let Some(a) = address {
                    parts.push(a.clone());
                }
                parts.push(format!("{latitude:.6}, {longitude:.6}"));
                Some(parts.join(" · "))
            }
            _ => None,
        }
    }

    pub fn media(&self) -> Option<&MediaRef> {
        match self {
            MessageContent::Voice { media }
            | MessageContent::Audio { media }
            | MessageContent::Image { media, .. }
            | MessageContent::Video { media, .. }
            | MessageContent::Document { media, .. }
            | MessageContent::Sticker { media } => Some(media),
            _ => None,
        }
    }
}

/// A delivery report for a message we sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusUpdate {
    pub platform_message_id: String,
    pub status: DeliveryStatus,
    pub at_ms: i64,
    /// Platform error in plain words when the status is `failed`.
    pub error: Option<String>,
}

/// Who a stored message came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Inbound,
    Outbound,
    /// Internal note by staff, never sent.
    Internal,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
            Direction::Internal => "internal",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "inbound" => Some(Direction::Inbound),
            "outbound" => Some(Direction::Outbound),
            "internal" => Some(Direction::Internal),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_is_shown_with_coordinates() {
        let c = MessageContent::Location {
            latitude: 51.5,
            longitude: 7.25,
            name: Some("Rathaus".into()),
            address: None,
        };
        assert_eq!(
            c.display_text().as_deref(),
            Some("Rathaus · 51.500000, 7.250000")
        );
        assert_eq!(c.kind(), MessageKind::Location);
    }

    #[test]
    fn captions_are_not_commands() {
        let c = MessageContent::Image {
            media: MediaRef {
                platform_media_id: "1".into(),
                mime_type: None,
                sha256: None,
                filename: None,
            },
            caption: Some("Stopp".into()),
        };
        assert_eq!(c.command_text(), None);
    }

    #[test]
    fn event_round_trips_through_json() {
        let e = InboundEvent::Message(InboundMessage {
            platform_message_id: "wamid.X".into(),
            sender: PlatformUser {
                id: "491701234567".into(),
                phone: Some("491701234567".into()),
                display_name: Some("Erika".into()),
            },
            sent_at_ms: 1_700_000_000_000,
            content: MessageContent::Text {
                body: "Hallo".into(),
            },
        });
        let json = serde_json::to_string(&e).expect("serialise");
        let back: InboundEvent = serde_json::from_str(&json).expect("parse");
        assert_eq!(back, e);
        assert_eq!(e.dedupe_key(), "msg:wamid.X");
    }

    #[test]
    fn kinds_round_trip() {
        for k in [
            MessageKind::Text,
            MessageKind::InteractiveReply,
            MessageKind::Note,
        ] {
            assert_eq!(MessageKind::parse(k.as_str()), Some(k));
        }
    }
}
