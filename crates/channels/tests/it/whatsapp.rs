//! WhatsApp Cloud API client: request shape, error mapping, media download, token hygiene.

use base64::Engine as _;
use rathaus_channels::testing::{FakeFailure, FakePlatform};
use rathaus_channels::whatsapp::{parse_webhook, WhatsAppClient};
use rathaus_channels::{InboundEvent, MediaRef, SendError};
use rathaus_domain::MessageContent;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::{dead_base_url, error_text, short_timeout_http, silent_base_url, WA_TOKEN};

const PHONE_ID: &str = "106540352242922";
const CITIZEN: &str = "4915112345678";

async fn setup() -> (FakePlatform, WhatsAppClient) {
    let fake = FakePlatform::start().await.unwrap();
    let client = fake.whatsapp_client(PHONE_ID, WA_TOKEN);
    (fake, client)
}

#[tokio::test]
async fn send_text_posts_a_spec_shaped_message() {
    let (fake, client) = setup().await;
    let sent = client
        .send_text(CITIZEN, "Ihr Anliegen ist eingegangen.")
        .await
        .unwrap();

    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, format!("/v23.0/{PHONE_ID}/messages"));
    assert_eq!(r.bearer(), Some(WA_TOKEN));
    assert_eq!(
        r.header("user-agent"),
        Some(concat!("rathaus/", env!("CARGO_PKG_VERSION")))
    );
    assert!(r
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    assert_eq!(
        r.json,
        Some(json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": CITIZEN,
            "type": "text",
            "text": { "preview_url": false, "body": "Ihr Anliegen ist eingegangen." },
        }))
    );
    // The id Meta answered with is what later status webhooks refer to.
    let accepted = fake.sent_texts();
    assert_eq!(accepted.len(), 1);
    assert_eq!(sent.platform_message_id, accepted[0].platform_message_id);
    assert!(sent.platform_message_id.starts_with("wamid."));
}

#[tokio::test]
async fn business_scoped_user_ids_are_addressed_through_recipient() {
    let (fake, client) = setup().await;
    client
        .send_text("DE.13491208655302741918", "Hallo")
        .await
        .unwrap();
    let body = fake.requests()[0].json.clone().unwrap();
    assert_eq!(body["recipient"], "DE.13491208655302741918");
    assert!(
        body.get("to").is_none(),
        "`to` would take precedence: {body}"
    );
}

#[tokio::test]
async fn server_errors_are_retryable() {
    let (fake, client) = setup().await;
    fake.fail_next(
        1,
        FakeFailure::graph(500, 2, "Service temporarily unavailable", ""),
    );
    let err = client.send_text(CITIZEN, "x").await.unwrap_err();
    assert!(matches!(err, SendError::Retryable { .. }), "{err:?}");
    // The fake recovers, and so does the next attempt.
    assert!(client.send_text(CITIZEN, "x").await.is_ok());
}

#[tokio::test]
async fn throughput_limit_is_retryable_after_the_requested_wait() {
    let (fake, client) = setup().await;
    fake.fail_next(
        1,
        FakeFailure::graph(
            429,
            130429,
            "Rate limit hit",
            "Cloud API message throughput has been reached.",
        )
        .with_header("retry-after", "7"),
    );
    let err = client.send_text(CITIZEN, "x").await.unwrap_err();
    assert_eq!(
        err,
        SendError::Retryable {
            reason: "WhatsApp sending failed: Rate limit hit: Cloud API message throughput has been reached. (code 130429)".into(),
            retry_after_ms: Some(7_000),
        }
    );
}

#[tokio::test]
async fn pair_rate_limit_is_retryable_even_with_status_400() {
    let (fake, client) = setup().await;
    fake.fail_next(
        1,
        FakeFailure::graph(
            400,
            131056,
            "(Business Account, Consumer Account) pair rate limit hit",
            "",
        ),
    );
    let err = client.send_text(CITIZEN, "x").await.unwrap_err();
    assert!(
        matches!(
            err,
            SendError::Retryable {
                retry_after_ms: None,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn closed_service_window_is_permanent_with_metas_explanation() {
    let (fake, client) = setup().await;
    fake.fail_next(
        1,
        FakeFailure::graph(
            400,
            131047,
            "Re-engagement message",
            "Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
        ),
    );
    let err = client.send_text(CITIZEN, "x").await.unwrap_err();
    let SendError::Permanent { reason } = &err else {
        panic!("expected permanent, got {err:?}")
    };
    assert!(reason.contains("Re-engagement message"), "{reason}");
    assert!(
        reason.contains("more than 24 hours have passed"),
        "{reason}"
    );
    assert!(reason.contains("131047"), "{reason}");
}

#[tokio::test]
async fn other_client_errors_are_permanent() {
    let (fake, client) = setup().await;
    fake.fail_next(
        1,
        FakeFailure::graph(
            401,
            190,
            "Error validating access token: Session has expired",
            "",
        ),
    );
    assert!(matches!(
        client.send_text(CITIZEN, "x").await.unwrap_err(),
        SendError::Permanent { .. }
    ));
    // A 4xx without a Graph error body still says what happened.
    fake.fail_next(1, FakeFailure::json(404, json!("nope")));
    let err = client.send_text(CITIZEN, "x").await.unwrap_err();
    assert_eq!(
        err,
        SendError::Permanent {
            reason: "WhatsApp sending failed: HTTP 404".into()
        }
    );
}

#[tokio::test]
async fn network_failures_and_timeouts_are_retryable_without_the_token() {
    let refused = WhatsAppClient::new(
        reqwest::Client::new(),
        dead_base_url().await,
        "v23.0",
        PHONE_ID,
        WA_TOKEN,
    );
    let err = refused.send_text(CITIZEN, "x").await.unwrap_err();
    assert!(matches!(err, SendError::Retryable { .. }), "{err:?}");
    assert!(!error_text(&err).contains(WA_TOKEN));

    let hanging = WhatsAppClient::new(
        short_timeout_http(),
        silent_base_url().await,
        "v23.0",
        PHONE_ID,
        WA_TOKEN,
    );
    let err = hanging.send_text(CITIZEN, "x").await.unwrap_err();
    assert!(matches!(err, SendError::Retryable { .. }), "{err:?}");
    let media = MediaRef {
        platform_media_id: "1".into(),
        mime_type: None,
        sha256: None,
        filename: None,
    };
    let err = hanging.fetch_media(&media, 1000).await.unwrap_err();
    assert!(matches!(err, SendError::Retryable { .. }), "{err:?}");
}

#[tokio::test]
async fn a_token_echoed_by_the_platform_is_redacted() {
    let (fake, client) = setup().await;
    fake.fail_next(
        1,
        FakeFailure::graph(
            400,
            190,
            &format!("Malformed access token {WA_TOKEN}"),
            WA_TOKEN,
        ),
    );
    let err = client.send_text(CITIZEN, "x").await.unwrap_err();
    let text = error_text(&err);
    assert!(!text.contains(WA_TOKEN), "{text}");
    assert!(text.contains("Malformed access token"), "{text}");
}

fn media_ref(id: &str) -> MediaRef {
    MediaRef {
        platform_media_id: id.into(),
        mime_type: Some("image/jpeg".into()),
        sha256: None,
        filename: None,
    }
}

#[tokio::test]
async fn media_is_looked_up_then_downloaded_with_the_token() {
    let (fake, client) = setup().await;
    let photo = b"\xff\xd8\xff\xe0 pretend jpeg of a broken street lamp";
    fake.add_media("1003383421387256", photo, "image/jpeg");

    let got = client
        .fetch_media(&media_ref("1003383421387256"), 1 << 20)
        .await
        .unwrap();
    assert_eq!(got.bytes, photo);
    assert_eq!(got.mime_type, "image/jpeg");

    let requests = fake.requests();
    assert_eq!(requests.len(), 2);
    let (lookup, download) = (&requests[0], &requests[1]);
    assert_eq!(
        (lookup.method.as_str(), lookup.path.as_str()),
        ("GET", "/v23.0/1003383421387256")
    );
    assert_eq!(
        lookup.query.as_deref(),
        Some(format!("phone_number_id={PHONE_ID}").as_str())
    );
    assert_eq!(lookup.bearer(), Some(WA_TOKEN));
    assert_eq!(download.path, "/whatsapp_business/attachments/");
    assert_eq!(
        download.bearer(),
        Some(WA_TOKEN),
        "the media URL needs the token too"
    );
    assert!(download
        .header("user-agent")
        .unwrap()
        .starts_with("rathaus/"));
}

#[tokio::test]
async fn media_with_a_wrong_checksum_is_not_returned() {
    let (fake, client) = setup().await;
    fake.add_media("77", b"the real bytes", "image/jpeg");
    fake.set_media_sha256("77", &hex::encode(Sha256::digest(b"other bytes")));
    let err = client
        .fetch_media(&media_ref("77"), 1 << 20)
        .await
        .unwrap_err();
    let SendError::Retryable { reason, .. } = &err else {
        panic!("expected retryable, got {err:?}")
    };
    assert!(reason.contains("SHA-256"), "{reason}");
}

#[tokio::test]
async fn webhook_hash_is_checked_when_the_lookup_gives_none() {
    let (fake, client) = setup().await;
    let bytes = b"voice note";
    fake.add_media("88", bytes, "audio/ogg");
    fake.set_media_sha256("88", "");
    let good = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(bytes));
    let bad = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(b"tampered"));

    let mut media = media_ref("88");
    media.sha256 = Some(good);
    assert_eq!(client.fetch_media(&media, 1000).await.unwrap().bytes, bytes);
    media.sha256 = Some(bad);
    assert!(matches!(
        client.fetch_media(&media, 1000).await,
        Err(SendError::Retryable { .. })
    ));
}

#[tokio::test]
async fn oversized_media_is_refused_before_download() {
    let (fake, client) = setup().await;
    fake.add_media("99", &[7u8; 5000], "video/mp4");
    let err = client
        .fetch_media(&media_ref("99"), 4999)
        .await
        .unwrap_err();
    assert!(matches!(err, SendError::Permanent { .. }), "{err:?}");
    assert_eq!(fake.requests().len(), 1, "only the lookup, no download");
    // Exactly at the limit is fine.
    assert_eq!(
        client
            .fetch_media(&media_ref("99"), 5000)
            .await
            .unwrap()
            .bytes
            .len(),
        5000
    );
}

#[tokio::test]
async fn unknown_media_is_permanent_and_bad_ids_never_reach_the_network() {
    let (fake, client) = setup().await;
    assert!(matches!(
        client.fetch_media(&media_ref("12345"), 1000).await,
        Err(SendError::Permanent { .. })
    ));
    assert!(matches!(
        client.fetch_media(&media_ref("../me/accounts"), 1000).await,
        Err(SendError::Permanent { .. })
    ));
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn media_announced_in_a_webhook_can_be_downloaded() {
    let (fake, client) = setup().await;
    let bytes = b"%PDF-1.7 Bauantrag";
    fake.add_media("4242", bytes, "application/pdf");
    let webhook = json!({
        "object": "whatsapp_business_account",
        "entry": [{ "id": "1", "changes": [{ "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": { "display_phone_number": "4930", "phone_number_id": PHONE_ID },
            "contacts": [{ "profile": { "name": "Erika" }, "wa_id": CITIZEN }],
            "messages": [{ "from": CITIZEN, "id": "wamid.D", "timestamp": "1700000000", "type": "document",
                "document": { "id": "4242", "mime_type": "application/pdf", "filename": "Antrag.pdf",
                              "sha256": base64::engine::general_purpose::STANDARD.encode(Sha256::digest(bytes)) } }]
        }}]}]
    });
    let events = parse_webhook(webhook.to_string().as_bytes()).unwrap();
    let InboundEvent::Message(m) = &events[0].event else {
        panic!()
    };
    let MessageContent::Document { media, .. } = &m.content else {
        panic!("{:?}", m.content)
    };
    let got = client.fetch_media(media, 1 << 20).await.unwrap();
    assert_eq!(got.bytes, bytes);
    assert_eq!(got.mime_type, "application/pdf");
}

#[tokio::test]
async fn no_error_ever_contains_the_access_token() {
    let (fake, client) = setup().await;
    fake.add_media("5", b"abc", "image/png");
    let mut errors = Vec::new();
    for failure in [
        FakeFailure::graph(500, 1, "oops", ""),
        FakeFailure::graph(429, 130429, "Rate limit hit", "").with_header("retry-after", "1"),
        FakeFailure::graph(400, 100, "Invalid parameter", "Parameter to is invalid"),
        FakeFailure::json(403, json!({ "garbage": true })),
    ] {
        fake.fail_next(1, failure.clone());
        errors.push(client.send_text(CITIZEN, "x").await.unwrap_err());
        fake.fail_next(1, failure);
        errors.push(client.fetch_media(&media_ref("5"), 100).await.unwrap_err());
    }
    // Failure on the download step rather than the lookup.
    fake.set_media_sha256("5", "00");
    errors.push(client.fetch_media(&media_ref("5"), 100).await.unwrap_err());
    errors.push(client.fetch_media(&media_ref("5"), 1).await.unwrap_err());
    for e in &errors {
        assert!(!error_text(e).contains(WA_TOKEN), "{e:?}");
        assert!(!error_text(e).contains("EAAG"), "{e:?}");
    }
}
