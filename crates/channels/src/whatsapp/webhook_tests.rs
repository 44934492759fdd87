//! Unit tests for the WhatsApp webhook parser, on hand-written payloads shaped like Meta's schema.
#![allow(clippy::unwrap_used, clippy::panic)]

use super::*;
use crate::test_json::{arb_json, graft};
use proptest::prelude::*;
use serde_json::json;

const PHONE_ID: &str = "106540352242922";
const CITIZEN: &str = "4915112345678";

/// One `messages` change for `phone_number_id`, wrapped in a full payload.
fn payload(phone_number_id: &str, value: Value) -> Vec<u8> {
    let mut value = value;
    value["messaging_product"] = json!("whatsapp");
    value["metadata"] = json!({
        "display_phone_number": "4930123456",
        "phone_number_id": phone_number_id,
    });
    serde_json::to_vec(&json!({
        "object": "whatsapp_business_account",
        "entry": [{ "id": "419561257915477", "changes": [{ "field": "messages", "value": value }] }],
    }))
    .unwrap()
}

/// A payload with one message of the given type from a citizen known by phone number.
fn single(message_fields: Value) -> Vec<u8> {
    let mut message = json!({ "from": CITIZEN, "id": "wamid.ONE", "timestamp": "1749416383" });
    for (k, v) in message_fields.as_object().unwrap() {
        message[k] = v.clone();
    }
    payload(
        PHONE_ID,
        json!({
            "contacts": [{ "profile": { "name": "Erika Mustermann" }, "wa_id": CITIZEN }],
            "messages": [message],
        }),
    )
}

fn only_message(body: &[u8]) -> InboundMessage {
    let mut events = parse_webhook(body).unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    match events.remove(0).event {
        InboundEvent::Message(m) => m,
        other => panic!("expected a message, got {other:?}"),
    }
}

fn content(message_fields: Value) -> MessageContent {
    only_message(&single(message_fields)).content
}

fn media(id: &str, mime: &str) -> MediaRef {
    MediaRef {
        platform_media_id: id.into(),
        mime_type: Some(mime.into()),
        sha256: Some("b64hash=".into()),
        filename: None,
    }
}

#[test]
fn text_message_carries_sender_time_and_route() {
    let events = parse_webhook(&single(
        json!({ "type": "text", "text": { "body": "Die Laterne ist kaputt" } }),
    ))
    .unwrap();
    assert_eq!(
        events,
        vec![RoutedEvent {
            phone_number_id: PHONE_ID.into(),
            event: InboundEvent::Message(InboundMessage {
                platform_message_id: "wamid.ONE".into(),
                sender: PlatformUser {
                    id: CITIZEN.into(),
                    phone: Some(CITIZEN.into()),
                    display_name: Some("Erika Mustermann".into()),
                },
                sent_at_ms: 1_749_416_383_000,
                content: MessageContent::Text {
                    body: "Die Laterne ist kaputt".into()
                },
            }),
        }]
    );
}

#[test]
fn voice_notes_and_audio_files_are_told_apart() {
    let part = |voice: bool| json!({ "type": "audio", "audio": { "id": "111", "mime_type": "audio/ogg; codecs=opus", "sha256": "b64hash=", "voice": voice } });
    assert_eq!(
        content(part(true)),
        MessageContent::Voice {
            media: media("111", "audio/ogg; codecs=opus")
        }
    );
    assert_eq!(
        content(part(false)),
        MessageContent::Audio {
            media: media("111", "audio/ogg; codecs=opus")
        }
    );
    // Without the flag it is an ordinary audio file.
    assert_eq!(
        content(json!({ "type": "audio", "audio": { "id": "111", "mime_type": "audio/mpeg" } })),
        MessageContent::Audio {
            media: MediaRef {
                platform_media_id: "111".into(),
                mime_type: Some("audio/mpeg".into()),
                sha256: None,
                filename: None
            }
        }
    );
}

#[test]
fn image_video_document_and_sticker_keep_media_and_caption() {
    assert_eq!(
        content(
            json!({ "type": "image", "image": { "id": "222", "mime_type": "image/jpeg", "sha256": "b64hash=", "caption": "Schlagloch" } })
        ),
        MessageContent::Image {
            media: media("222", "image/jpeg"),
            caption: Some("Schlagloch".into())
        }
    );
    assert_eq!(
        content(
            json!({ "type": "video", "video": { "id": "333", "mime_type": "video/mp4", "sha256": "b64hash=" } })
        ),
        MessageContent::Video {
            media: media("333", "video/mp4"),
            caption: None
        }
    );
    let mut pdf = media("444", "application/pdf");
    pdf.filename = Some("Antrag.pdf".into());
    assert_eq!(
        content(
            json!({ "type": "document", "document": { "id": "444", "mime_type": "application/pdf", "sha256": "b64hash=", "filename": "Antrag.pdf", "caption": "Mein Antrag" } })
        ),
        MessageContent::Document {
            media: pdf,
            caption: Some("Mein Antrag".into())
        }
    );
    assert_eq!(
        content(
            json!({ "type": "sticker", "sticker": { "id": "555", "mime_type": "image/webp", "sha256": "b64hash=", "animated": false } })
        ),
        MessageContent::Sticker {
            media: media("555", "image/webp")
        }
    );
}

#[test]
fn location_keeps_coordinates_name_and_address() {
    assert_eq!(
        content(
            json!({ "type": "location", "location": { "latitude": 48.7758, "longitude": 9.1829, "name": "Marktplatz", "address": "Marktplatz 1, Stuttgart" } })
        ),
        MessageContent::Location {
            latitude: 48.7758,
            longitude: 9.1829,
            name: Some("Marktplatz".into()),
            address: Some("Marktplatz 1, Stuttgart".into()),
        }
    );
}

#[test]
fn button_and_list_replies_become_interactive_replies() {
    assert_eq!(
        content(
            json!({ "type": "interactive", "context": { "from": "4930123456", "id": "wamid.OUT" },
            "interactive": { "type": "button_reply", "button_reply": { "id": "consent-yes", "title": "Ja, einverstanden" } } })
        ),
        MessageContent::InteractiveReply {
            id: "consent-yes".into(),
            title: "Ja, einverstanden".into()
        }
    );
    assert_eq!(
        content(json!({ "type": "interactive",
            "interactive": { "type": "list_reply", "list_reply": { "id": "topic-roads", "title": "Straßen", "description": "Schäden, Baustellen" } } })),
        MessageContent::InteractiveReply {
            id: "topic-roads".into(),
            title: "Straßen".into()
        }
    );
    // Quick-reply button of a template message.
    assert_eq!(
        content(
            json!({ "type": "button", "context": { "from": "4930123456", "id": "wamid.TPL" },
            "button": { "payload": "STOP", "text": "Abmelden" } })
        ),
        MessageContent::InteractiveReply {
            id: "STOP".into(),
            title: "Abmelden".into()
        }
    );
}

#[test]
fn everything_else_is_kept_as_unsupported() {
    for (kind, part) in [
        (
            "reaction",
            json!({ "reaction": { "message_id": "wamid.OUT", "emoji": "👍" } }),
        ),
        (
            "contacts",
            json!({ "contacts": [{ "name": { "formatted_name": "Max" } }] }),
        ),
        (
            "order",
            json!({ "order": { "catalog_id": "1", "text": "", "product_items": [] } }),
        ),
        (
            "system",
            json!({ "system": { "body": "changed number", "type": "user_changed_number" } }),
        ),
        (
            "unsupported",
            json!({ "errors": [{ "code": 131051, "title": "Message type unknown" }] }),
        ),
        ("unknown", json!({})),
        (
            "some_future_type",
            json!({ "some_future_type": { "x": 1 } }),
        ),
    ] {
        let mut fields = part;
        fields["type"] = json!(kind);
        assert_eq!(
            content(fields),
            MessageContent::Unsupported {
                platform_type: kind.into()
            },
            "{kind}"
        );
    }
}

#[test]
fn malformed_type_part_becomes_unsupported_not_an_error() {
    assert_eq!(
        content(json!({ "type": "text", "text": { "body": 42 } })),
        MessageContent::Unsupported {
            platform_type: "text".into()
        }
    );
    assert_eq!(
        content(json!({ "type": "image" })),
        MessageContent::Unsupported {
            platform_type: "image".into()
        }
    );
    assert_eq!(
        content(json!({ "type": "location", "location": { "latitude": 123.0, "longitude": 9.0 } })),
        MessageContent::Unsupported {
            platform_type: "location".into()
        }
    );
    assert_eq!(
        content(
            json!({ "type": "interactive", "interactive": { "type": "nfm_reply", "nfm_reply": {} } })
        ),
        MessageContent::Unsupported {
            platform_type: "interactive".into()
        }
    );
}

#[test]
fn business_scoped_user_id_is_preferred_over_phone_number() {
    // Newer payload: both identities present.
    let body = payload(
        PHONE_ID,
        json!({
            "contacts": [{ "profile": { "name": "Erika" }, "wa_id": CITIZEN, "user_id": "DE.1349120865530274" }],
            "messages": [{ "from": CITIZEN, "from_user_id": "DE.1349120865530274", "id": "wamid.A", "timestamp": "1749416383",
                           "type": "text", "text": { "body": "Hallo" } }],
        }),
    );
    let m = only_message(&body);
    assert_eq!(m.sender.id, "DE.1349120865530274");
    assert_eq!(m.sender.phone.as_deref(), Some(CITIZEN));
    assert_eq!(m.sender.display_name.as_deref(), Some("Erika"));

    // user_id only in the contact entry.
    let body = payload(
        PHONE_ID,
        json!({
            "contacts": [{ "profile": { "name": "Erika" }, "wa_id": CITIZEN, "user_id": "DE.77" }],
            "messages": [{ "from": CITIZEN, "id": "wamid.B", "timestamp": "1749416383", "type": "text", "text": { "body": "Hallo" } }],
        }),
    );
    assert_eq!(only_message(&body).sender.id, "DE.77");

    // Username user: no phone number anywhere, and that is fine.
    let body = payload(
        PHONE_ID,
        json!({
            "contacts": [{ "profile": { "name": "Erika", "username": "@erika" }, "user_id": "DE.88" }],
            "messages": [{ "from_user_id": "DE.88", "id": "wamid.C", "timestamp": "1749416383", "type": "text", "text": { "body": "Hallo" } }],
        }),
    );
    let m = only_message(&body);
    assert_eq!(m.sender.id, "DE.88");
    assert_eq!(m.sender.phone, None);
    assert_eq!(m.sender.display_name.as_deref(), Some("Erika"));
}

#[test]
fn one_post_with_several_entries_changes_messages_and_statuses() {
    let body = serde_json::to_vec(&json!({
        "object": "whatsapp_business_account",
        "entry": [
            { "id": "WABA1", "changes": [
                { "field": "messages", "value": {
                    "messaging_product": "whatsapp",
                    "metadata": { "display_phone_number": "49301", "phone_number_id": "PN-TOWN-A" },
                    "contacts": [
                        { "profile": { "name": "Anna" }, "wa_id": "491111" },
                        { "profile": { "name": "Bernd" }, "wa_id": "492222" }
                    ],
                    "messages": [
                        { "from": "492222", "id": "wamid.B1", "timestamp": "1700000001", "type": "text", "text": { "body": "von Bernd" } },
                        { "from": "491111", "id": "wamid.A1", "timestamp": "1700000002", "type": "text", "text": { "body": "von Anna" } }
                    ]
                }},
                { "field": "message_template_status_update", "value": { "event": "APPROVED" } },
                { "field": "messages", "value": {
                    "messaging_product": "whatsapp",
                    "metadata": { "display_phone_number": "49301", "phone_number_id": "PN-TOWN-A" },
                    "statuses": [
                        { "id": "wamid.OUT1", "status": "delivered", "timestamp": "1700000003", "recipient_id": "491111" },
                        { "id": "wamid.OUT2", "status": "read", "timestamp": "1700000004", "recipient_id": "492222" }
                    ]
                }}
            ]},
            { "id": "WABA2", "changes": [
                { "field": "messages", "value": {
                    "messaging_product": "whatsapp",
                    "metadata": { "display_phone_number": "49302", "phone_number_id": "PN-TOWN-B" },
                    "contacts": [{ "profile": { "name": "Clara" }, "wa_id": "493333" }],
                    "messages": [{ "from": "493333", "id": "wamid.C1", "timestamp": "1700000005", "type": "text", "text": { "body": "von Clara" } }]
                }}
            ]}
        ]
    }))
    .unwrap();
    let events = parse_webhook(&body).unwrap();
    let summary: Vec<(String, String, Option<String>)> = events
        .iter()
        .map(|e| match &e.event {
            InboundEvent::Message(m) => (
                e.phone_number_id.clone(),
                m.platform_message_id.clone(),
                m.sender.display_name.clone(),
            ),
            InboundEvent::Status(s) => (
                e.phone_number_id.clone(),
                format!("{}={}", s.platform_message_id, s.status.as_str()),
                None,
            ),
        })
        .collect();
    let expected = [
        ("PN-TOWN-A", "wamid.B1", Some("Bernd")),
        ("PN-TOWN-A", "wamid.A1", Some("Anna")),
        ("PN-TOWN-A", "wamid.OUT1=delivered", None),
        ("PN-TOWN-A", "wamid.OUT2=read", None),
        ("PN-TOWN-B", "wamid.C1", Some("Clara")),
    ]
    .map(|(p, id, n)| (p.to_owned(), id.to_owned(), n.map(str::to_owned)));
    assert_eq!(summary, expected);
}

#[test]
fn failed_status_carries_the_error_in_plain_words() {
    let body = payload(
        PHONE_ID,
        json!({
            "statuses": [{
                "id": "wamid.OUT", "status": "failed", "timestamp": "1700000000", "recipient_id": CITIZEN,
                "errors": [{
                    "code": 131047, "title": "Re-engagement message", "message": "Re-engagement message",
                    "error_data": { "details": "More than 24 hours have passed since the recipient last replied." }
                }]
            }]
        }),
    );
    let events = parse_webhook(&body).unwrap();
    let InboundEvent::Status(status) = &events[0].event else {
        panic!("expected a status")
    };
    assert_eq!(status.status, DeliveryStatus::Failed);
    assert_eq!(status.at_ms, 1_700_000_000_000);
    assert_eq!(
        status.error.as_deref(),
        Some("Re-engagement message: More than 24 hours have passed since the recipient last replied. (code 131047)")
    );
    assert_eq!(events[0].event.dedupe_key(), "status:wamid.OUT:failed");
}

#[test]
fn statuses_without_errors_and_unknown_statuses() {
    let body = payload(
        PHONE_ID,
        json!({
            "statuses": [
                { "id": "wamid.S", "status": "sent", "timestamp": "1700000000", "recipient_id": CITIZEN },
                { "id": "wamid.S", "status": "deleted", "timestamp": "1700000001", "recipient_id": CITIZEN }
            ]
        }),
    );
    let events = parse_webhook(&body).unwrap();
    assert_eq!(events.len(), 1, "unknown status values are skipped");
    let InboundEvent::Status(s) = &events[0].event else {
        panic!()
    };
    assert_eq!((s.status, s.error.as_deref()), (DeliveryStatus::Sent, None));
}

#[test]
fn irrelevant_webhooks_give_no_events() {
    let other_object = json!({ "object": "page", "entry": [{ "id": "1", "changes": [] }] });
    assert_eq!(
        parse_webhook(other_object.to_string().as_bytes()).unwrap(),
        vec![]
    );
    let group_update = json!({ "object": "whatsapp_business_account", "entry": [{ "id": "1", "changes": [
        { "field": "group_lifecycle_update", "value": { "groups": [] } }
    ]}]});
    assert_eq!(
        parse_webhook(group_update.to_string().as_bytes()).unwrap(),
        vec![]
    );
}

#[test]
fn malformed_bodies_are_errors() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("not json", b"hello".to_vec()),
        ("empty", b"".to_vec()),
        (
            "truncated",
            br#"{"object":"whatsapp_business_account","entry":["#.to_vec(),
        ),
        ("array", b"[]".to_vec()),
        (
            "no entry",
            br#"{"object":"whatsapp_business_account"}"#.to_vec(),
        ),
        (
            "no changes",
            br#"{"object":"whatsapp_business_account","entry":[{"id":"1"}]}"#.to_vec(),
        ),
        (
            "no metadata",
            json!({ "object": "whatsapp_business_account", "entry": [{ "id": "1", "changes": [
            { "field": "messages", "value": { "messages": [] } } ]}]})
            .to_string()
            .into_bytes(),
        ),
        (
            "no value",
            json!({ "object": "whatsapp_business_account", "entry": [{ "id": "1", "changes": [
            { "field": "messages" } ]}]})
            .to_string()
            .into_bytes(),
        ),
        (
            "message without id",
            payload(
                PHONE_ID,
                json!({ "messages": [{ "from": CITIZEN, "timestamp": "1", "type": "text", "text": { "body": "x" } }] }),
            ),
        ),
        (
            "message without sender",
            payload(
                PHONE_ID,
                json!({ "contacts": [], "messages": [{ "id": "wamid.X", "timestamp": "1", "type": "text", "text": { "body": "x" } }] }),
            ),
        ),
        (
            "bad timestamp",
            payload(
                PHONE_ID,
                json!({ "messages": [{ "from": CITIZEN, "id": "wamid.X", "timestamp": "gestern", "type": "text", "text": { "body": "x" } }] }),
            ),
        ),
        (
            "status without status",
            payload(
                PHONE_ID,
                json!({ "statuses": [{ "id": "wamid.X", "timestamp": "1" }] }),
            ),
        ),
    ];
    for (name, body) in cases {
        assert!(parse_webhook(&body).is_err(), "{name} should be rejected");
    }
}

#[test]
fn parse_errors_do_not_quote_personal_data() {
    // serde would quote the offending value ("invalid type: string \"4917…\"") in its message.
    let body = payload(PHONE_ID, json!({ "messages": "491709999 schreibt" }));
    let err = parse_webhook(&body).unwrap_err();
    assert!(matches!(err, ParseError::Json { .. }), "{err:?}");
    assert!(!err.to_string().contains("491709999"), "{err}");
}

const WORDS: &[&str] = &[
    "object",
    "entry",
    "changes",
    "field",
    "value",
    "metadata",
    "phone_number_id",
    "messages",
    "statuses",
    "contacts",
    "from",
    "from_user_id",
    "user_id",
    "wa_id",
    "id",
    "timestamp",
    "type",
    "text",
    "body",
    "audio",
    "voice",
    "interactive",
    "button_reply",
    "title",
    "errors",
    "location",
    "latitude",
    "whatsapp_business_account",
    "1700000000",
    "sent",
    "failed",
];

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_webhook(&bytes);
    }

    #[test]
    fn arbitrary_json_never_panics(value in arb_json(WORDS)) {
        let _ = parse_webhook(value.to_string().as_bytes());
    }

    #[test]
    fn mutated_valid_payloads_never_panic(pick in 0usize..60, replacement in arb_json(WORDS)) {
        let mut v: Value = serde_json::from_slice(&single(json!({
            "type": "interactive",
            "interactive": { "type": "button_reply", "button_reply": { "id": "a", "title": "b" } }
        }))).unwrap();
        graft(&mut v, pick, replacement);
        let _ = parse_webhook(v.to_string().as_bytes());
    }
}
