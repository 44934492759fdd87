//! Unit tests for the Telegram update parser, on hand-written updates shaped like the Bot API's.
#![allow(clippy::unwrap_used, clippy::panic)]

use super::*;
use crate::test_json::arb_json;
use proptest::prelude::*;
use rathaus_domain::MessageContent;
use serde_json::json;

const NOW: i64 = 1_750_000_000_123;
const CHAT: i64 = 987_654_321;

fn private_chat() -> Value {
    json!({ "id": CHAT, "type": "private", "first_name": "Erika", "last_name": "Mustermann" })
}

/// An update with a private message built from `fields` (content and caption).
fn update_with(kind: &str, fields: Value) -> Vec<u8> {
    let mut message = json!({
        "message_id": 42,
        "from": { "id": CHAT, "is_bot": false, "first_name": "Erika", "last_name": "Mustermann", "language_code": "de" },
        "chat": private_chat(),
        "date": 1_700_000_000,
    });
    for (k, v) in fields.as_object().unwrap() {
        message[k] = v.clone();
    }
    serde_json::to_vec(&json!({ "update_id": 10001, kind: message })).unwrap()
}

fn parse(body: &[u8]) -> Option<TelegramUpdate> {
    parse_update_at(body, NOW).unwrap()
}

fn message(body: &[u8]) -> InboundMessage {
    match parse(body).expect("an event").event {
        InboundEvent::Message(m) => m,
        other => panic!("expected a message, got {other:?}"),
    }
}

fn content(fields: Value) -> MessageContent {
    message(&update_with("message", fields)).content
}

fn file(id: &str, mime: Option<&str>, name: Option<&str>) -> MediaRef {
    MediaRef {
        platform_media_id: id.into(),
        mime_type: mime.map(str::to_owned),
        sha256: None,
        filename: name.map(str::to_owned),
    }
}

#[test]
fn text_message_from_a_private_chat() {
    let update = parse(&update_with("message", json!({ "text": "Start" }))).unwrap();
    assert_eq!(update.update_id, 10001);
    let InboundEvent::Message(m) = update.event else {
        panic!()
    };
    assert_eq!(
        m,
        InboundMessage {
            platform_message_id: format!("{CHAT}:42"),
            sender: PlatformUser {
                id: CHAT.to_string(),
                phone: None,
                display_name: Some("Erika Mustermann".into()),
            },
            sent_at_ms: 1_700_000_000_000,
            content: MessageContent::Text {
                body: "Start".into()
            },
        }
    );
}

#[test]
fn edited_message_gets_its_own_id_and_time() {
    let m = message(&update_with(
        "edited_message",
        json!({ "text": "Start bitte", "edit_date": 1_700_000_100 }),
    ));
    assert_eq!(m.platform_message_id, format!("{CHAT}:42:e1700000100"));
    assert_eq!(m.sent_at_ms, 1_700_000_100_000);
    assert_eq!(
        m.content,
        MessageContent::Text {
            body: "Start bitte".into()
        }
    );
}

#[test]
fn photo_uses_the_largest_size_and_keeps_the_caption() {
    let c = content(json!({
        "photo": [
            { "file_id": "small", "file_unique_id": "s", "width": 90, "height": 67, "file_size": 1200 },
            { "file_id": "large", "file_unique_id": "l", "width": 1280, "height": 960, "file_size": 98000 },
            { "file_id": "medium", "file_unique_id": "m", "width": 320, "height": 240, "file_size": 15000 }
        ],
        "caption": "Müll am Spielplatz"
    }));
    assert_eq!(
        c,
        MessageContent::Image {
            media: file("large", Some("image/jpeg"), None),
            caption: Some("Müll am Spielplatz".into()),
        }
    );
}

#[test]
fn voice_audio_video_document_and_sticker() {
    assert_eq!(
        content(
            json!({ "voice": { "file_id": "v1", "file_unique_id": "u", "duration": 4, "mime_type": "audio/ogg" } })
        ),
        MessageContent::Voice {
            media: file("v1", Some("audio/ogg"), None)
        }
    );
    assert_eq!(
        content(
            json!({ "audio": { "file_id": "a1", "file_unique_id": "u", "duration": 180, "file_name": "rede.mp3", "mime_type": "audio/mpeg" } })
        ),
        MessageContent::Audio {
            media: file("a1", Some("audio/mpeg"), Some("rede.mp3"))
        }
    );
    assert_eq!(
        content(
            json!({ "video": { "file_id": "vid", "file_unique_id": "u", "width": 1, "height": 1, "duration": 3, "mime_type": "video/mp4" }, "caption": "Hochwasser" })
        ),
        MessageContent::Video {
            media: file("vid", Some("video/mp4"), None),
            caption: Some("Hochwasser".into())
        }
    );
    assert_eq!(
        content(
            json!({ "document": { "file_id": "d1", "file_unique_id": "u", "file_name": "Antrag.pdf", "mime_type": "application/pdf" }, "caption": "Bitte prüfen" })
        ),
        MessageContent::Document {
            media: file("d1", Some("application/pdf"), Some("Antrag.pdf")),
            caption: Some("Bitte prüfen".into())
        }
    );
    assert_eq!(
        content(
            json!({ "sticker": { "file_id": "st", "file_unique_id": "u", "type": "regular", "width": 512, "height": 512, "is_animated": false, "is_video": false } })
        ),
        MessageContent::Sticker {
            media: file("st", Some("image/webp"), None)
        }
    );
}

#[test]
fn animation_is_a_video_not_the_backward_compatible_document() {
    let c = content(json!({
        "animation": { "file_id": "gif", "file_unique_id": "u", "width": 1, "height": 1, "duration": 2, "mime_type": "video/mp4" },
        "document": { "file_id": "gif", "file_unique_id": "u", "mime_type": "video/mp4" }
    }));
    assert_eq!(
        c,
        MessageContent::Video {
            media: file("gif", Some("video/mp4"), None),
            caption: None
        }
    );
}

#[test]
fn location_and_venue() {
    assert_eq!(
        content(json!({ "location": { "latitude": 52.5163, "longitude": 13.3777 } })),
        MessageContent::Location {
            latitude: 52.5163,
            longitude: 13.3777,
            name: None,
            address: None
        }
    );
    assert_eq!(
        content(json!({
            "venue": { "location": { "latitude": 52.5163, "longitude": 13.3777 }, "title": "Rathaus", "address": "Rathausstraße 15" },
            "location": { "latitude": 52.5163, "longitude": 13.3777 }
        })),
        MessageContent::Location {
            latitude: 52.5163,
            longitude: 13.3777,
            name: Some("Rathaus".into()),
            address: Some("Rathausstraße 15".into()),
        }
    );
}

#[test]
fn anything_else_is_unsupported_with_its_kind() {
    assert_eq!(
        content(json!({ "contact": { "phone_number": "+49170", "first_name": "Max" } })),
        MessageContent::Unsupported {
            platform_type: "contact".into()
        }
    );
    assert_eq!(
        content(json!({ "poll": { "id": "1", "question": "?", "options": [] }, "entities": [] })),
        MessageContent::Unsupported {
            platform_type: "poll".into()
        }
    );
    assert_eq!(
        content(json!({ "reply_markup": {} })),
        MessageContent::Unsupported {
            platform_type: "unknown".into()
        }
    );
    // A content part of the wrong shape is kept as a marker too.
    assert_eq!(
        content(json!({ "photo": [] })),
        MessageContent::Unsupported {
            platform_type: "photo".into()
        }
    );
    assert_eq!(
        content(json!({ "text": 5 })),
        MessageContent::Unsupported {
            platform_type: "text".into()
        }
    );
}

#[test]
fn callback_query_becomes_an_interactive_reply_with_the_button_label() {
    let body = serde_json::to_vec(&json!({
        "update_id": 10002,
        "callback_query": {
            "id": "4382bfdwdsb323b2d9",
            "from": { "id": CHAT, "is_bot": false, "first_name": "Erika" },
            "message": {
                "message_id": 7, "date": 1_700_000_000, "chat": private_chat(), "text": "Einverstanden?",
                "reply_markup": { "inline_keyboard": [[
                    { "text": "Ja", "callback_data": "consent:yes" },
                    { "text": "Nein", "callback_data": "consent:no" }
                ]]}
            },
            "chat_instance": "-12345",
            "data": "consent:yes"
        }
    }))
    .unwrap();
    let m = message(&body);
    assert_eq!(m.platform_message_id, "cb:4382bfdwdsb323b2d9");
    assert_eq!(m.sender.id, CHAT.to_string());
    assert_eq!(m.sender.display_name.as_deref(), Some("Erika"));
    assert_eq!(m.sent_at_ms, NOW);
    assert_eq!(
        m.content,
        MessageContent::InteractiveReply {
            id: "consent:yes".into(),
            title: "Ja".into()
        }
    );
}

#[test]
fn callback_without_markup_uses_the_data_as_title() {
    let body = json!({ "update_id": 3, "callback_query": {
        "id": "q", "from": { "id": 55, "is_bot": false, "first_name": "A" }, "chat_instance": "1", "data": "topic:roads"
    }});
    let m = message(body.to_string().as_bytes());
    assert_eq!(m.sender.id, "55");
    assert_eq!(
        m.content,
        MessageContent::InteractiveReply {
            id: "topic:roads".into(),
            title: "topic:roads".into()
        }
    );
}

#[test]
fn nothing_for_us() {
    // Group chat traffic.
    let group = json!({ "update_id": 1, "message": {
        "message_id": 1, "date": 1, "chat": { "id": -100123, "type": "supergroup", "title": "Stadtrat" },
        "from": { "id": 5, "is_bot": false, "first_name": "X" }, "text": "Hallo"
    }});
    assert_eq!(parse(group.to_string().as_bytes()), None);
    // Other update kinds.
    for body in [
        json!({ "update_id": 2, "my_chat_member": { "chat": { "id": 1, "type": "private" } } }),
        json!({ "update_id": 3, "channel_post": { "message_id": 1, "date": 1, "chat": { "id": -1, "type": "channel" }, "text": "x" } }),
        json!({ "update_id": 4 }),
        json!({ "update_id": 5, "callback_query": { "id": "g", "from": { "id": 1, "is_bot": false, "first_name": "A" }, "chat_instance": "1", "game_short_name": "g" } }),
    ] {
        assert_eq!(parse(body.to_string().as_bytes()), None, "{body}");
    }
}

#[test]
fn malformed_updates_are_errors() {
    for body in [
        "".to_owned(),
        "nope".to_owned(),
        "[]".to_owned(),
        "{}".to_owned(),
        json!({ "update_id": "1" }).to_string(),
        json!({ "update_id": 1, "message": { "date": 1, "chat": { "id": 1, "type": "private" }, "text": "x" } }).to_string(),
        json!({ "update_id": 1, "message": { "message_id": 1, "chat": { "id": 1, "type": "private" }, "text": "x" } }).to_string(),
        json!({ "update_id": 1, "message": { "message_id": 1, "date": 1, "text": "x" } }).to_string(),
        json!({ "update_id": 1, "message": { "message_id": 1, "date": -5, "chat": { "id": 1, "type": "private" }, "text": "x" } }).to_string(),
        json!({ "update_id": 1, "callback_query": { "id": "q", "data": "x" } }).to_string(),
    ] {
        assert!(parse_update_at(body.as_bytes(), NOW).is_err(), "{body}");
    }
}

const WORDS: &[&str] = &[
    "update_id",
    "message",
    "edited_message",
    "callback_query",
    "message_id",
    "date",
    "edit_date",
    "chat",
    "id",
    "type",
    "private",
    "from",
    "text",
    "photo",
    "file_id",
    "width",
    "height",
    "voice",
    "venue",
    "location",
    "latitude",
    "longitude",
    "data",
    "reply_markup",
    "inline_keyboard",
    "callback_data",
];

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_update_at(&bytes, NOW);
    }

    #[test]
    fn arbitrary_json_never_panics(value in arb_json(WORDS)) {
        let _ = parse_update_at(value.to_string().as_bytes(), NOW);
    }

    #[test]
    fn arbitrary_message_content_never_panics(content in arb_json(WORDS), kind in prop::sample::select(vec!["message", "edited_message"])) {
        let mut fields = json!({});
        if let Value::Object(map) = content {
            for (k, v) in map {
                fields[k] = v;
            }
        }
        let _ = parse_update_at(&update_with(kind, fields), NOW);
    }

    #[test]
    fn arbitrary_callback_never_panics(markup in arb_json(WORDS), data in "[a-z:]{0,8}", date in any::<i64>()) {
        let body = json!({ "update_id": 1, "callback_query": {
            "id": "q", "from": { "id": 1, "first_name": "A" }, "data": data,
            "message": { "message_id": 1, "date": date, "chat": private_chat(), "reply_markup": markup }
        }});
        let _ = parse_update_at(body.to_string().as_bytes(), NOW);
    }
}
