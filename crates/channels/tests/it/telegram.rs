//! Telegram Bot API client: request shape, error mapping, file download, token hygiene.

use rathaus_channels::telegram::TelegramClient;
use rathaus_channels::testing::{FakeFailure, FakePlatform};
use rathaus_channels::{MediaRef, SendError};
use serde_json::json;

use crate::{dead_base_url, error_text, short_timeout_http, silent_base_url, TG_TOKEN};

const CHAT: &str = "987654321";

async fn setup() -> (FakePlatform, TelegramClient) {
    let fake = FakePlatform::start().await.unwrap();
    let client = fake.telegram_client(TG_TOKEN);
    (fake, client)
}

#[tokio::test]
async fn send_text_calls_send_message_with_a_numeric_chat_id() {
    let (fake, client) = setup().await;
    let sent = client
        .send_text(CHAT, "Danke, wir kümmern uns.")
        .await
        .unwrap();

    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, format!("/bot{TG_TOKEN}/sendMessage"));
    assert_eq!(
        r.header("user-agent"),
        Some(concat!("rathaus/", env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(
        r.json,
        Some(json!({ "chat_id": 987654321, "text": "Danke, wir kümmern uns." }))
    );
    // Same form as inbound ids: "{chat_id}:{message_id}".
    assert_eq!(
        sent.platform_message_id,
        fake.sent_texts()[0].platform_message_id
    );
    assert!(
        sent.platform_message_id.starts_with("987654321:"),
        "{}",
        sent.platform_message_id
    );
}

#[tokio::test]
async fn flood_control_is_retryable_after_telegrams_wait() {
    let (fake, client) = setup().await;
    fake.fail_next(
        1,
        FakeFailure::telegram(429, "Too Many Requests: retry after 5", Some(5)),
    );
    let err = client.send_text(CHAT, "x").await.unwrap_err();
    assert_eq!(
        err,
        SendError::Retryable {
            reason: "Telegram sendMessage failed: Too Many Requests: retry after 5".into(),
            retry_after_ms: Some(5_000),
        }
    );
}

#[tokio::test]
async fn server_errors_are_retryable() {
    let (fake, client) = setup().await;
    fake.fail_next(1, FakeFailure::telegram(502, "Bad Gateway", None));
    assert!(matches!(
        client.send_text(CHAT, "x").await.unwrap_err(),
        SendError::Retryable {
            retry_after_ms: None,
            ..
        }
    ));
}

#[tokio::test]
async fn blocked_bot_is_permanent_with_telegrams_description() {
    let (fake, client) = setup().await;
    fake.fail_next(
        1,
        FakeFailure::telegram(403, "Forbidden: bot was blocked by the user", None),
    );
    let err = client.send_text(CHAT, "x").await.unwrap_err();
    assert_eq!(
        err,
        SendError::Permanent {
            reason: "Telegram sendMessage failed: Forbidden: bot was blocked by the user".into()
        }
    );
}

#[tokio::test]
async fn network_errors_are_retryable_and_never_show_the_token_from_the_url() {
    let refused = TelegramClient::new(reqwest::Client::new(), dead_base_url().await, TG_TOKEN);
    let err = refused.send_text(CHAT, "x").await.unwrap_err();
    assert!(matches!(err, SendError::Retryable { .. }), "{err:?}");
    let text = error_text(&err);
    assert!(
        !text.contains(TG_TOKEN) && !text.contains("AAH-secret"),
        "{text}"
    );

    let hanging = TelegramClient::new(short_timeout_http(), silent_base_url().await, TG_TOKEN);
    let err = hanging.send_text(CHAT, "x").await.unwrap_err();
    assert!(matches!(err, SendError::Retryable { .. }), "{err:?}");
    assert!(!error_text(&err).contains("AAH-secret"));
    let media = MediaRef {
        platform_media_id: "f".into(),
        mime_type: None,
        sha256: None,
        filename: None,
    };
    let err = hanging.fetch_media(&media, 10).await.unwrap_err();
    assert!(!error_text(&err).contains("AAH-secret"));
}

#[tokio::test]
async fn a_token_echoed_in_a_description_is_redacted() {
    let (fake, client) = setup().await;
    fake.fail_next(
        1,
        FakeFailure::telegram(400, &format!("Bad Request: bot{TG_TOKEN} is odd"), None),
    );
    let err = client.send_text(CHAT, "x").await.unwrap_err();
    let text = error_text(&err);
    assert!(!text.contains("AAH-secret"), "{text}");
    assert!(text.contains("Bad Request"), "{text}");
}

fn voice(id: &str) -> MediaRef {
    MediaRef {
        platform_media_id: id.into(),
        mime_type: Some("audio/ogg".into()),
        sha256: None,
        filename: None,
    }
}

#[tokio::test]
async fn files_are_fetched_through_get_file() {
    let (fake, client) = setup().await;
    let bytes = b"OggS pretend voice note";
    fake.add_media("AwACAgIAAxkBAAIBZ2", bytes, "audio/ogg");

    let got = client
        .fetch_media(&voice("AwACAgIAAxkBAAIBZ2"), 1 << 20)
        .await
        .unwrap();
    assert_eq!(got.bytes, bytes);
    assert_eq!(
        got.mime_type, "audio/ogg",
        "the message's type beats octet-stream"
    );

    let requests = fake.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].path, format!("/bot{TG_TOKEN}/getFile"));
    assert_eq!(
        requests[0].json,
        Some(json!({ "file_id": "AwACAgIAAxkBAAIBZ2" }))
    );
    assert_eq!(requests[1].method, "GET");
    assert_eq!(
        requests[1].path,
        format!("/file/bot{TG_TOKEN}/files/AwACAgIAAxkBAAIBZ2")
    );
}

#[tokio::test]
async fn oversized_files_are_refused_before_download() {
    let (fake, client) = setup().await;
    fake.add_media("big", &[0u8; 2048], "video/mp4");
    let err = client.fetch_media(&voice("big"), 2047).await.unwrap_err();
    assert!(matches!(err, SendError::Permanent { .. }), "{err:?}");
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn unknown_files_are_permanent() {
    let (_fake, client) = setup().await;
    let err = client.fetch_media(&voice("nope"), 100).await.unwrap_err();
    assert_eq!(
        err,
        SendError::Permanent {
            reason: "Telegram getFile failed: Bad Request: invalid file_id".into()
        }
    );
}

#[tokio::test]
async fn a_checksum_in_the_media_ref_is_enforced() {
    let (fake, client) = setup().await;
    fake.add_media("doc", b"contents", "application/pdf");
    let mut media = voice("doc");
    media.sha256 = Some("0".repeat(64));
    assert!(matches!(
        client.fetch_media(&media, 100).await,
        Err(SendError::Retryable { .. })
    ));
}
