//! The X adapter against the fake X API v2: every request body is snapshotted (tests/it/snapshots).

use std::time::Duration;

use rathaus_channels::fake_networks::{FakeNetworks, X_TOKEN};
use rathaus_channels::publish::{publisher, Lookup, NetworkConfig, PublishError, XConfig};
use rathaus_channels::x::XClient;
use serde_json::json;

use crate::publish_images::{png, post_with};

fn config(fake: &FakeNetworks, token: &str) -> XConfig {
    serde_json::from_value(json!({"access_token": token, "api_base": fake.base_url()})).unwrap()
}

fn http() -> reqwest::Client {
    rathaus_channels::publish::publishing_http_client().unwrap()
}

#[tokio::test]
async fn x_posts_text_with_images_and_their_alt_text_through_the_publisher_interface() {
    let fake = FakeNetworks::start().await.unwrap();
    let x = publisher(
        &NetworkConfig::X(config(&fake, X_TOKEN)),
        http(),
        "http://127.0.0.1",
        std::sync::Arc::new(rathaus_channels::staging::StagedMedia::default()),
    )
    .expect("x adapter is registered");
    let remote = x
        .publish(&post_with(
            "x-1",
            "Heute 18 Uhr Gemeinderat, live: https://musterstadt.de/live",
            vec![
                png(30, 20, 1, "Sitzungssaal im Rathaus"),
                png(20, 30, 2, "Tagesordnung"),
            ],
        ))
        .await
        .unwrap();
    let tweets = fake.tweets();
    assert_eq!(tweets.len(), 1);
    assert_eq!(remote.id, tweets[0]["id"].as_str().unwrap());
    assert_eq!(
        remote.url.as_deref(),
        Some(format!("https://x.com/i/web/status/{}", remote.id).as_str())
    );
    let media = fake.x_media();
    let alts: Vec<&str> = media
        .values()
        .map(|m| m["alt_text"].as_str().unwrap())
        .collect();
    assert_eq!(alts, ["Sitzungssaal im Rathaus", "Tagesordnung"]);
    for r in fake.requests() {
        assert_eq!(
            r.authorization.as_deref(),
            Some(format!("Bearer {X_TOKEN}").as_str())
        );
    }
    insta::assert_json_snapshot!("x_text_and_images", fake.snapshot());
}

#[tokio::test]
async fn x_refuses_281_weighted_characters_before_sending() {
    let fake = FakeNetworks::start().await.unwrap();
    let x = XClient::new(&config(&fake, X_TOKEN), http());
    // Umlauts weigh 1, CJK 2: 140 × "日" is 280, one more "ä" makes 281.
    let ok = "日".repeat(140);
    let long = format!("{ok}ä");
    let err = x
        .publish(&post_with("x-long", &long, vec![]))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("281 of 280 weighted characters"),
        "{err}"
    );
    assert!(fake.requests().is_empty());
    x.publish(&post_with("x-280", &ok, vec![])).await.unwrap();
}

#[tokio::test]
async fn x_rate_limit_waits_until_the_announced_reset_and_a_bad_token_says_what_to_do() {
    let fake = FakeNetworks::start().await.unwrap();
    let x = XClient::new(&config(&fake, X_TOKEN), http());
    let reset = (jiff::Timestamp::now().as_second() + 120).to_string();
    fake.fail_next(
        "POST",
        "/2/tweets",
        429,
        json!({"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429}),
        &[("x-rate-limit-limit", "100"), ("x-rate-limit-remaining", "0"), ("x-rate-limit-reset", reset.as_str())],
    );
    let err = x
        .publish(&post_with("x-rl", "Hallo", vec![]))
        .await
        .unwrap_err();
    let PublishError::RateLimited { retry_after_ms, .. } = err else {
        panic!("{err:?}")
    };
    assert!(
        (110_000..=121_000).contains(&retry_after_ms),
        "{retry_after_ms}"
    );

    let wrong = XClient::new(&config(&fake, "expired-token"), http());
    let err = wrong
        .publish(&post_with("x-tok", "Hallo", vec![]))
        .await
        .unwrap_err();
    assert!(matches!(err, PublishError::Permanent { .. }), "{err:?}");
    assert!(err.to_string().contains("OAuth 2.0 user token"), "{err}");
}

#[tokio::test]
async fn x_lost_answer_is_resolved_by_looking_up_even_with_links_shortened() {
    let fake = FakeNetworks::start().await.unwrap();
    let short = reqwest::Client::builder()
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let x = XClient::new(&config(&fake, X_TOKEN), short);
    let post = post_with(
        "x-lost",
        "Baustelle am Bahnhof: https://musterstadt.de/baustelle",
        vec![],
    );
    fake.withhold_next_answer("POST", "/2/tweets");
    let err = x.publish(&post).await.unwrap_err();
    assert!(
        matches!(err, PublishError::UnknownOutcome { .. }),
        "{err:?}"
    );
    let Lookup::Found(found) = x.find_existing(&post).await.unwrap() else {
        panic!("not found")
    };
    assert_eq!(found.id, fake.tweets()[0]["id"].as_str().unwrap());
    // A blind retry: X says "duplicate content", the adapter finds the first post.
    let again = x.publish(&post).await.unwrap();
    assert_eq!(again.id, found.id);
    assert_eq!(fake.tweets().len(), 1);
    assert_eq!(
        x.find_existing(&post_with(
            "x-other",
            "Baustelle am Rathaus: https://musterstadt.de/b",
            vec![]
        ))
        .await
        .unwrap(),
        Lookup::NotFound
    );
}

#[tokio::test]
async fn x_delete_removes_the_post_and_a_second_delete_is_fine() {
    let fake = FakeNetworks::start().await.unwrap();
    let x = XClient::new(&config(&fake, X_TOKEN), http());
    let remote = x
        .publish(&post_with("x-del", "Wird gelöscht", vec![]))
        .await
        .unwrap();
    x.delete(&remote).await.unwrap();
    assert!(fake.tweets().is_empty());
    x.delete(&remote).await.unwrap();
}
