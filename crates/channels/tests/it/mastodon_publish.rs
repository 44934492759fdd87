//! Mastodon and Telegram channel adapters through the publisher interface, against the local fakes.

use std::time::Duration;

use rathaus_channels::fake_mastodon::{
    FakeMastodonTelegram, MASTODON_TOKEN, TELEGRAM_CHANNEL, TELEGRAM_CHANNEL_TOKEN,
};
use rathaus_channels::publish::mastodon::MastodonPublisher;
use rathaus_channels::publish::telegram_channel::TelegramChannelPublisher;
use rathaus_channels::publish::{
    MastodonConfig, OutgoingPost, PostImage, PublishError, Publisher, TelegramChannelPublishConfig,
};
use serde_json::json;

fn mastodon(fake: &FakeMastodonTelegram, token: &str, timeout_secs: u64) -> MastodonPublisher {
    MastodonPublisher::new(
        reqwest::Client::new(),
        &MastodonConfig {
            name: Some("mastodon".into()),
            instance: fake.base_url(),
            access_token: token.into(),
            timeout_secs: Some(timeout_secs),
        },
    )
    .with_media_poll(Duration::from_millis(10))
}

fn telegram(
    fake: &FakeMastodonTelegram,
    chat: &str,
    timeout_secs: u64,
) -> TelegramChannelPublisher {
    TelegramChannelPublisher::new(
        reqwest::Client::new(),
        &TelegramChannelPublishConfig {
            name: Some("kanal".into()),
            chat: chat.into(),
            bot_token: TELEGRAM_CHANNEL_TOKEN.into(),
            api_base: fake.base_url(),
            timeout_secs: Some(timeout_secs),
        },
    )
}

fn image(alt: &str, len: usize) -> PostImage {
    PostImage {
        bytes: vec![0x5a; len],
        mime: "image/png".into(),
        alt: alt.into(),
        width: 640,
        height: 480,
    }
}

fn post(text: &str, images: Vec<PostImage>) -> OutgoingPost {
    OutgoingPost {
        idempotency_key: "rathaus-7-00000000000000000000000000000abc".into(),
        text: text.into(),
        language: "de".into(),
        images,
        first_attempt_at: 1_795_780_800_000,
    }
}

#[tokio::test]
async fn mastodon_uploads_images_with_alt_text_then_posts_once_with_the_key() {
    let fake = FakeMastodonTelegram::start().await.unwrap();
    fake.set_processing_polls(1);
    let m = mastodon(&fake, MASTODON_TOKEN, 5);
    let p = post(
        "Der Wochenmarkt zieht um: ab Samstag auf dem Rathausplatz. https://musterstadt.de/markt",
        vec![
            image("Luftbild des Rathausplatzes mit Marktständen", 1200),
            image("Lageplan: neuer Standort zwischen Rathaus und Kirche", 800),
        ],
    );
    let remote = m.publish(&p).await.unwrap();
    let statuses = fake.statuses();
    assert_eq!(statuses.len(), 1);
    assert_eq!(
        remote.url.as_deref(),
        Some(
            format!(
                "https://fake.social/@musterstadt/{}",
                statuses[0]["id"].as_str().unwrap()
            )
            .as_str()
        )
    );
    let media = fake.media();
    let alts: Vec<_> = media.values().map(|m| m["description"].clone()).collect();
    assert_eq!(
        alts,
        vec![
            json!("Luftbild des Rathausplatzes mit Marktständen"),
            json!("Lageplan: neuer Standort zwischen Rathaus und Kirche")
        ]
    );
    assert_eq!(statuses[0]["media_ids"].as_array().unwrap().len(), 2);
    let status_call = fake
        .requests()
        .into_iter()
        .find(|r| r.path == "/api/v1/statuses")
        .unwrap();
    assert_eq!(
        status_call.idempotency_key.as_deref(),
        Some(p.idempotency_key.as_str())
    );
    insta::assert_json_snapshot!("mastodon_two_images", fake.snapshot());

    // The same key again (a retry after a lost answer) gets the same status, not a second one.
    let again = m.publish(&p).await.unwrap();
    assert_eq!(fake.statuses().len(), 1);
    assert_eq!(again.url, remote.url);
}

#[tokio::test]
async fn mastodon_lost_answer_is_an_unknown_outcome_and_429_waits_for_retry_after() {
    let fake = FakeMastodonTelegram::start().await.unwrap();
    let m = mastodon(&fake, MASTODON_TOKEN, 1);
    fake.withhold_next_answer("/api/v1/statuses");
    let err = m.publish(&post("Hallo", vec![])).await.unwrap_err();
    assert!(
        matches!(err, PublishError::UnknownOutcome { .. }),
        "{err:?}"
    );
    assert_eq!(fake.statuses().len(), 1, "the instance made it");

    fake.fail_next(
        "/api/v1/statuses",
        1,
        429,
        json!({ "error": "Too many requests" }),
        &[("retry-after", "7")],
    );
    let err = m.publish(&post("Zweiter", vec![])).await.unwrap_err();
    assert_eq!(
        err,
        PublishError::RateLimited {
            reason: "Mastodon status: Too many requests".into(),
            retry_after_ms: 7_000
        }
    );
}

#[tokio::test]
async fn mastodon_refusals_are_plain_words_and_the_limit_comes_from_the_instance() {
    let fake = FakeMastodonTelegram::start().await.unwrap();
    fake.set_max_characters(20);
    let m = mastodon(&fake, MASTODON_TOKEN, 5);
    assert_eq!(m.max_characters().await, Some(20));
    let err = m
        .publish(&post("Dieser Text ist länger als zwanzig Zeichen.", vec![]))
        .await
        .unwrap_err();
    let PublishError::Permanent { message } = err else {
        panic!("{err:?}")
    };
    assert!(
        message.contains("Mastodon lehnt den Beitrag ab")
            && message.contains("character limit of 20 exceeded"),
        "{message}"
    );
    let bad = mastodon(&fake, "wrong-token", 5);
    let PublishError::Permanent { message } = bad.publish(&post("x", vec![])).await.unwrap_err()
    else {
        panic!()
    };
    assert!(message.contains("access_token"), "{message}");
    assert!(!message.contains("wrong-token"));
}

#[tokio::test]
async fn mastodon_edit_keeps_media_and_updates_alt_text_and_delete_is_idempotent() {
    let fake = FakeMastodonTelegram::start().await.unwrap();
    let m = mastodon(&fake, MASTODON_TOKEN, 5);
    let remote = m
        .publish(&post("Alt", vec![image("Brunnen", 10)]))
        .await
        .unwrap();
    fake.clear_requests();
    let edited = m
        .edit(
            &remote,
            &post("Neu", vec![image("Brunnen am Marktplatz", 10)]),
        )
        .await
        .unwrap();
    assert_eq!(edited.url, remote.url);
    assert_eq!(fake.statuses()[0]["text"], json!("Neu"));
    assert_eq!(
        fake.media().values().next().unwrap()["description"],
        json!("Brunnen am Marktplatz")
    );
    insta::assert_json_snapshot!("mastodon_edit", fake.snapshot());
    m.delete(&remote).await.unwrap();
    assert_eq!(fake.statuses()[0]["deleted"], json!(true));
    m.delete(&remote).await.unwrap();
}

#[tokio::test]
async fn telegram_channel_text_photo_and_album_with_links_edit_and_delete() {
    let fake = FakeMastodonTelegram::start().await.unwrap();
    let t = telegram(&fake, TELEGRAM_CHANNEL, 5);
    let text = t
        .publish(&post("Heute Sperrmüll in der Nordstadt.", vec![]))
        .await
        .unwrap();
    let one = t
        .publish(&post(
            "Neue Bänke im Stadtpark",
            vec![image("Zwei Holzbänke unter einer Linde", 50)],
        ))
        .await
        .unwrap();
    let album = t
        .publish(&post(
            "Baustelle Hauptstraße",
            vec![
                image("Absperrung an der Kreuzung", 30),
                image("Umleitungsschild", 40),
            ],
        ))
        .await
        .unwrap();
    let name = TELEGRAM_CHANNEL.trim_start_matches('@');
    let ids: Vec<u64> = fake
        .messages()
        .iter()
        .map(|m| m["message_id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids.len(), 4, "text, photo, two album photos");
    assert_eq!(text.url, Some(format!("https://t.me/{name}/{}", ids[0])));
    assert_eq!(one.url, Some(format!("https://t.me/{name}/{}", ids[1])));
    assert_eq!(album.url, Some(format!("https://t.me/{name}/{}", ids[2])));
    insta::assert_json_snapshot!("telegram_channel_text_photo_album", fake.snapshot());

    fake.clear_requests();
    t.edit(&text, &post("Heute Sperrmüll in der Südstadt.", vec![]))
        .await
        .unwrap();
    t.edit(&album, &post("Baustelle Hauptstraße: bis Freitag", vec![]))
        .await
        .unwrap();
    assert_eq!(
        fake.messages()[0]["text"],
        json!("Heute Sperrmüll in der Südstadt.")
    );
    assert_eq!(
        fake.messages()[2]["caption"],
        json!("Baustelle Hauptstraße: bis Freitag")
    );
    t.delete(&album).await.unwrap();
    assert!(fake.messages()[2..]
        .iter()
        .all(|m| m["deleted"] == json!(true)));
    t.delete(&album).await.unwrap();
    insta::assert_json_snapshot!("telegram_channel_edit_delete", fake.snapshot());
}

#[tokio::test]
async fn telegram_channel_errors_say_what_to_fix_and_never_show_the_token() {
    let fake = FakeMastodonTelegram::start().await.unwrap();
    let wrong_chat = telegram(&fake, "@gibt_es_nicht", 5);
    let PublishError::Permanent { message } = wrong_chat
        .publish(&post("Hallo", vec![]))
        .await
        .unwrap_err()
    else {
        panic!()
    };
    assert!(
        message.contains("@gibt_es_nicht") && message.contains("chat"),
        "{message}"
    );
    assert!(!message.contains(TELEGRAM_CHANNEL_TOKEN));

    let t = telegram(&fake, TELEGRAM_CHANNEL, 1);
    fake.fail_next(
        "sendMessage",
        1,
        429,
        json!({ "ok": false, "error_code": 429, "description": "Too Many Requests: retry after 5", "parameters": { "retry_after": 5 } }),
        &[],
    );
    let err = t.publish(&post("Hallo", vec![])).await.unwrap_err();
    assert!(
        matches!(
            err,
            PublishError::RateLimited {
                retry_after_ms: 5_000,
                ..
            }
        ),
        "{err:?}"
    );
    fake.withhold_next_answer("sendMessage");
    let err = t.publish(&post("Hallo", vec![])).await.unwrap_err();
    assert!(
        matches!(err, PublishError::UnknownOutcome { .. }),
        "{err:?}"
    );
    assert!(!format!("{err:?}").contains(TELEGRAM_CHANNEL_TOKEN));
}
