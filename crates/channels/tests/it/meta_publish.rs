//! The Facebook page and Instagram adapters against the fake Graph API: every request body is snapshotted (tests/it/snapshots).

use std::sync::Arc;
use std::time::Duration;

use rathaus_channels::fake_networks::{serve_staged, FakeNetworks, GRAPH_TOKEN, PAGE_ID};
use rathaus_channels::meta::{FacebookPageClient, InstagramClient};
use rathaus_channels::publish::{
    publisher, FacebookPageConfig, InstagramConfig, Lookup, NetworkConfig, PublishError,
};
use rathaus_channels::staging::StagedMedia;
use serde_json::json;

use crate::publish_images::{png, post_with};

fn fb_config(fake: &FakeNetworks, token: &str) -> FacebookPageConfig {
    serde_json::from_value(json!({
        "page_id": PAGE_ID,
        "access_token": token,
        "api_base": fake.base_url(),
        "api_version": "v23.0",
    }))
    .unwrap()
}

fn ig_config(fake: &FakeNetworks) -> InstagramConfig {
    serde_json::from_value(json!({
        "user_id": rathaus_channels::fake_networks::IG_USER_ID,
        "access_token": GRAPH_TOKEN,
        "api_base": fake.base_url(),
        "api_version": "v23.0",
    }))
    .unwrap()
}

fn http() -> reqwest::Client {
    rathaus_channels::publish::publishing_http_client().unwrap()
}

fn short_http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap()
}

/// No request carries the token anywhere but in the Authorization header.
fn assert_token_only_in_header(fake: &FakeNetworks, token: &str) {
    for r in fake.requests() {
        assert_eq!(
            r.authorization.as_deref(),
            Some(format!("Bearer {token}").as_str())
        );
        assert!(!r.path.contains(token) && !r.body.to_string().contains(token));
        assert!(r.query.values().all(|v| !v.contains(token)));
    }
}

#[tokio::test]
async fn facebook_posts_text_and_photos_with_alt_text_through_the_publisher_interface() {
    let fake = FakeNetworks::start().await.unwrap();
    let page = publisher(
        &NetworkConfig::FacebookPage(fb_config(&fake, GRAPH_TOKEN)),
        http(),
        "http://127.0.0.1",
        std::sync::Arc::new(rathaus_channels::staging::StagedMedia::default()),
    )
    .expect("facebook adapter is registered");
    assert!(page.capabilities().lookup && page.capabilities().delete);

    let text_only = page
        .publish(&post_with(
            "fb-1",
            "Der Wertstoffhof hat am Samstag geöffnet.",
            vec![],
        ))
        .await
        .unwrap();
    assert_eq!(
        text_only.url.as_deref(),
        Some(format!("https://www.facebook.com/{}", text_only.id).as_str())
    );
    let with_photos = page
        .publish(&post_with(
            "fb-2",
            "Bilder vom Stadtfest 🎉 https://musterstadt.de/fest",
            vec![
                png(30, 20, 1, "Bühne auf dem Marktplatz"),
                png(20, 30, 2, "Kinder am Brunnen"),
            ],
        ))
        .await
        .unwrap();
    let posts = fake.page_posts();
    assert_eq!(posts.len(), 2);
    assert_eq!(posts[1]["id"], with_photos.id.as_str());
    assert_eq!(posts[1]["attached_media"].as_array().unwrap().len(), 2);
    assert_token_only_in_header(&fake, GRAPH_TOKEN);
    insta::assert_json_snapshot!("facebook_text_and_photos", fake.snapshot());
}

#[tokio::test]
async fn facebook_rate_limit_waits_as_long_as_meta_says_and_a_bad_token_says_what_to_do() {
    let fake = FakeNetworks::start().await.unwrap();
    let page = FacebookPageClient::new(&fb_config(&fake, GRAPH_TOKEN), http());
    fake.fail_next(
        "POST",
        "/feed",
        400,
        json!({"error": {"message": "(#32) Page request limit reached", "type": "OAuthException", "code": 32, "fbtrace_id": "x"}}),
        &[("x-business-use-case-usage", r#"{"104":[{"type":"pages","call_count":100,"total_cputime":20,"total_time":20,"estimated_time_to_regain_access":12}]}"#)],
    );
    let err = page
        .publish(&post_with("fb-rl", "Hallo", vec![]))
        .await
        .unwrap_err();
    let PublishError::RateLimited {
        retry_after_ms,
        reason,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(*retry_after_ms, 12 * 60 * 1000);
    assert!(reason.contains("code 32"), "{reason}");

    let wrong = FacebookPageClient::new(&fb_config(&fake, "EAA-revoked-token"), http());
    let err = wrong
        .publish(&post_with("fb-tok", "Hallo", vec![]))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, PublishError::Permanent { .. }), "{err:?}");
    assert!(
        text.contains("enter a new token") && text.contains("neuen Token"),
        "{text}"
    );
    assert!(!text.contains("EAA-revoked-token"));
}

#[tokio::test]
async fn facebook_lost_answer_is_resolved_by_looking_the_post_up_never_a_second_post() {
    let fake = FakeNetworks::start().await.unwrap();
    let page = FacebookPageClient::new(&fb_config(&fake, GRAPH_TOKEN), short_http());
    let post = post_with("fb-lost", "Straßensperrung Hauptstraße ab Montag", vec![]);
    fake.withhold_next_answer("POST", "/feed");
    let err = page.publish(&post).await.unwrap_err();
    assert!(
        matches!(err, PublishError::UnknownOutcome { .. }),
        "{err:?}"
    );
    // The hub asks before trying again.
    let Lookup::Found(found) = page.find_existing(&post).await.unwrap() else {
        panic!("not found")
    };
    assert_eq!(found.id, fake.page_posts()[0]["id"].as_str().unwrap());
    // Even a blind retry ends on the same post (Graph answers 506 "duplicate", the adapter looks up).
    let again = page.publish(&post).await.unwrap();
    assert_eq!(again.id, found.id);
    assert_eq!(fake.page_posts().len(), 1);
    // A different text is not mistaken for it.
    let other = post_with("fb-other", "Etwas anderes", vec![]);
    assert_eq!(page.find_existing(&other).await.unwrap(), Lookup::NotFound);
}

#[tokio::test]
async fn facebook_delete_removes_the_post_and_a_second_delete_is_fine() {
    let fake = FakeNetworks::start().await.unwrap();
    let page = FacebookPageClient::new(&fb_config(&fake, GRAPH_TOKEN), http());
    let remote = page
        .publish(&post_with("fb-del", "Wird gelöscht", vec![]))
        .await
        .unwrap();
    page.delete(&remote).await.unwrap();
    assert!(fake.page_posts().is_empty());
    page.delete(&remote).await.unwrap();
}

async fn instagram(fake: &FakeNetworks) -> (InstagramClient, Arc<StagedMedia>) {
    let store = Arc::new(StagedMedia::default());
    let public_url = serve_staged(store.clone()).await.unwrap();
    let ig = InstagramClient::new(&ig_config(fake), http(), store.clone(), &public_url)
        .with_polling(Duration::from_millis(10), 20);
    (ig, store)
}

#[tokio::test]
async fn instagram_single_image_goes_through_a_container_with_alt_text_and_the_image_url_expires() {
    let fake = FakeNetworks::start().await.unwrap();
    fake.set_in_progress_polls(2);
    let (ig, _store) = instagram(&fake).await;
    let remote = ig
        .publish(&post_with(
            "ig-1",
            "Sonnenuntergang über dem Rathaus #Musterstadt",
            vec![png(40, 30, 3, "Das Rathaus im Abendlicht")],
        ))
        .await
        .unwrap();
    let media = fake.instagram_media();
    assert_eq!(media.len(), 1);
    assert_eq!(remote.id, media[0]["id"].as_str().unwrap());
    assert_eq!(remote.url.as_deref(), media[0]["permalink"].as_str());
    assert_eq!(media[0]["alt_text"], "Das Rathaus im Abendlicht");
    // Instagram fetched a JPEG (converted from the PNG) without being given a cookie …
    let fetched = fake.fetched_images();
    assert_eq!(fetched.len(), 1);
    assert_eq!(fetched[0]["status"], 200);
    assert_eq!(fetched[0]["content_type"], "image/jpeg");
    assert_eq!(fetched[0]["set_cookie"], false);
    // … and the URL is gone once the post is published.
    let url = fake
        .requests()
        .iter()
        .find_map(|r| r.body["image_url"].as_str().map(str::to_string))
        .unwrap();
    assert!(
        url.contains("/medien/") && url.len() > 50,
        "unguessable: {url}"
    );
    assert_eq!(reqwest::get(&url).await.unwrap().status(), 404);
    assert_token_only_in_header(&fake, GRAPH_TOKEN);
    insta::assert_json_snapshot!("instagram_single_image", fake.snapshot());
}

#[tokio::test]
async fn instagram_several_images_become_a_carousel_each_with_its_alt_text() {
    let fake = FakeNetworks::start().await.unwrap();
    let (ig, _store) = instagram(&fake).await;
    ig.publish(&post_with(
        "ig-carousel",
        "Drei Eindrücke vom Wochenmarkt",
        vec![
            png(30, 30, 4, "Gemüsestand mit Kürbissen"),
            png(30, 30, 5, "Blumenstand"),
            png(30, 30, 6, "Marktplatz von oben"),
        ],
    ))
    .await
    .unwrap();
    let media = fake.instagram_media();
    assert_eq!(media.len(), 1);
    assert_eq!(media[0]["children"].as_str().unwrap().split(',').count(), 3);
    assert_eq!(fake.fetched_images().len(), 3);
    insta::assert_json_snapshot!("instagram_carousel", fake.snapshot());
}

#[tokio::test]
async fn instagram_refuses_what_it_cannot_post_before_sending() {
    let fake = FakeNetworks::start().await.unwrap();
    let (ig, _store) = instagram(&fake).await;
    let err = ig
        .publish(&post_with("ig-text", "Nur Text", vec![]))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("needs at least one image"),
        "{err}"
    );
    let unreachable = InstagramClient::new(
        &ig_config(&fake),
        http(),
        Arc::new(StagedMedia::default()),
        "",
    );
    let err = unreachable
        .publish(&post_with("ig-nobase", "Bild", vec![png(4, 4, 1, "x")]))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("public_url"), "{err}");
    assert!(fake.requests().is_empty());
    assert!(matches!(
        rathaus_channels::publish::Publisher::delete(
            &ig,
            &rathaus_channels::publish::RemotePost {
                id: "1".into(),
                url: None
            }
        )
        .await,
        Err(PublishError::Unsupported { .. })
    ));
}

#[tokio::test]
async fn instagram_lost_publish_answer_is_found_by_caption() {
    let fake = FakeNetworks::start().await.unwrap();
    let store = Arc::new(StagedMedia::default());
    let public_url = serve_staged(store.clone()).await.unwrap();
    let ig = InstagramClient::new(&ig_config(&fake), short_http(), store.clone(), &public_url)
        .with_polling(Duration::from_millis(10), 5);
    let post = post_with(
        "ig-lost",
        "Neue Öffnungszeiten im Bürgerbüro",
        vec![png(8, 8, 9, "Schild")],
    );
    fake.withhold_next_answer("POST", "/media_publish");
    let err = ig.publish(&post).await.unwrap_err();
    assert!(
        matches!(err, PublishError::UnknownOutcome { .. }),
        "{err:?}"
    );
    let Lookup::Found(found) = ig.find_existing(&post).await.unwrap() else {
        panic!("not found")
    };
    assert_eq!(found.id, fake.instagram_media()[0]["id"].as_str().unwrap());
}

#[tokio::test]
async fn instagram_image_it_cannot_fetch_is_a_plain_error() {
    let fake = FakeNetworks::start().await.unwrap();
    let store = Arc::new(StagedMedia::default());
    let dead = crate::dead_base_url().await;
    let ig = InstagramClient::new(&ig_config(&fake), http(), store, &dead)
        .with_polling(Duration::from_millis(10), 5);
    let err = ig
        .publish(&post_with(
            "ig-nofetch",
            "Bild",
            vec![png(8, 8, 9, "Schild")],
        ))
        .await
        .unwrap_err();
    assert!(matches!(err, PublishError::Permanent { .. }), "{err:?}");
    assert!(
        err.to_string().contains("could not process the image"),
        "{err}"
    );
    assert!(fake.instagram_media().is_empty());
}
