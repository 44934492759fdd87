//! The fake platform itself, and the platform-neutral `ChannelClient` on top of it.

use rathaus_channels::testing::{FakeFailure, FakePlatform};
use rathaus_channels::{ChannelClient, MediaRef, SendError};
use rathaus_domain::ChannelKind;

use crate::{TG_TOKEN, WA_TOKEN};

#[tokio::test]
async fn channel_client_reaches_the_right_platform() {
    let fake = FakePlatform::start().await.unwrap();
    let wa: ChannelClient = fake.whatsapp_client("PN1", WA_TOKEN).into();
    let tg: ChannelClient = fake.telegram_client(TG_TOKEN).into();
    assert_eq!(wa.kind(), ChannelKind::WhatsApp);
    assert_eq!(tg.kind(), ChannelKind::Telegram);

    wa.send_text("4915112345678", "per WhatsApp").await.unwrap();
    tg.send_text("42", "per Telegram").await.unwrap();
    let sent = fake.sent_texts();
    assert_eq!(
        sent.iter()
            .map(|s| (s.platform, s.recipient.as_str(), s.text.as_str()))
            .collect::<Vec<_>>(),
        vec![
            (ChannelKind::WhatsApp, "4915112345678", "per WhatsApp"),
            (ChannelKind::Telegram, "42", "per Telegram"),
        ]
    );

    fake.add_media("m1", b"bytes", "image/png");
    let media = MediaRef {
        platform_media_id: "m1".into(),
        mime_type: None,
        sha256: None,
        filename: None,
    };
    assert_eq!(wa.fetch_media(&media, 100).await.unwrap().bytes, b"bytes");
    assert_eq!(tg.fetch_media(&media, 100).await.unwrap().bytes, b"bytes");
}

#[tokio::test]
async fn fail_next_fails_exactly_that_many_requests() {
    let fake = FakePlatform::start().await.unwrap();
    let client = fake.whatsapp_client("PN1", WA_TOKEN);
    fake.fail_next(2, FakeFailure::graph(503, 2, "down", ""));
    for _ in 0..2 {
        assert!(matches!(
            client.send_text("491", "x").await,
            Err(SendError::Retryable { .. })
        ));
    }
    client.send_text("491", "endlich").await.unwrap();
    assert_eq!(fake.requests().len(), 3);
    assert_eq!(
        fake.sent_texts().len(),
        1,
        "failed attempts are not deliveries"
    );
    fake.clear_requests();
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn the_fake_rejects_what_the_real_api_rejects() {
    let fake = FakePlatform::start().await.unwrap();
    // No token: Graph answers 401 / code 190.
    let anonymous = fake.whatsapp_client("PN1", "");
    assert!(matches!(
        anonymous.send_text("491", "x").await,
        Err(SendError::Permanent { .. })
    ));
    // Empty text: Telegram answers 400.
    let tg = fake.telegram_client(TG_TOKEN);
    let err = tg.send_text("42", "").await.unwrap_err();
    assert_eq!(
        err,
        SendError::Permanent {
            reason: "Telegram sendMessage failed: Bad Request: message text is empty".into()
        }
    );
}
