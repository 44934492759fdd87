//! The Bluesky adapter against Bluesky's reference PDS on loopback (started by scripts/test.sh, or by
//! `source scripts/lib/bluesky-pds.sh && rathaus_bluesky_install && rathaus_bluesky_start`).
//!
//! The PDS validates every record against the lexicon but not the facet byte ranges, so each
//! test reads its post back and checks what the ranges slice out. Every test signs up its own
//! account, so counts of records and logins are its own.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use rathaus_channels::bluesky::BlueskyClient;
use rathaus_channels::publish::{Lookup, OutgoingPost, PostImage, PublishError, Publisher};
use serde_json::{json, Value};

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// The PDS URL, or None (a skip outside CI; a failure in CI).
fn pds() -> Option<String> {
    match std::env::var("RATHAUS_TEST_BLUESKY_PDS") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                !in_ci(),
                "RATHAUS_TEST_BLUESKY_PDS is not set: the Bluesky tests need the loopback PDS (scripts/test.sh starts it)"
            );
            eprintln!("skipping: RATHAUS_TEST_BLUESKY_PDS not set (run scripts/test.sh)");
            None
        }
    }
}

/// A fresh account on the PDS with an app password: (handle, app password).
async fn sign_up(pds: &str) -> (String, String) {
    let http = reqwest::Client::new();
    let handle = format!("t{:08x}.test", rand_u32());
    let password = format!("pw-{:08x}{:08x}", rand_u32(), rand_u32());
    let account: Value = http
        .post(format!("{pds}/xrpc/com.atproto.server.createAccount"))
        .json(&json!({"handle": handle, "email": format!("{handle}@example.test"), "password": password}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    let app: Value = http
        .post(format!("{pds}/xrpc/com.atproto.server.createAppPassword"))
        .bearer_auth(account["accessJwt"].as_str().unwrap())
        .json(&json!({"name": "rathaus"}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    (handle, app["password"].as_str().unwrap().to_string())
}

fn rand_u32() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
    );
    h.finish() as u32
}

async fn client() -> Option<(BlueskyClient, String)> {
    let pds = pds()?;
    let (handle, app_password) = sign_up(&pds).await;
    let http = rathaus_channels::publish::publishing_http_client().unwrap();
    Some((
        BlueskyClient::new(http, pds, handle.clone(), app_password),
        handle,
    ))
}

fn post(key: &str, text: &str) -> OutgoingPost {
    OutgoingPost {
        idempotency_key: key.into(),
        text: text.into(),
        language: "de".into(),
        images: Vec::new(),
        first_attempt_at: jiff::Timestamp::now().as_millisecond(),
    }
}

/// What a facet's byte range slices out of the text.
fn facet_slices(record: &Value) -> Vec<(String, String)> {
    let text = record["text"].as_str().unwrap().as_bytes();
    record["facets"]
        .as_array()
        .map(|facets| {
            facets
                .iter()
                .map(|f| {
                    let start = f["index"]["byteStart"].as_u64().unwrap() as usize;
                    let end = f["index"]["byteEnd"].as_u64().unwrap() as usize;
                    (
                        f["features"][0]["$type"].as_str().unwrap().to_string(),
                        String::from_utf8(text[start..end].to_vec()).unwrap(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn umlauts_before_a_link_give_byte_ranges_that_slice_out_the_link() {
    let Some((bsky, handle)) = client().await else {
        return;
    };
    let text = "Grüße aus dem Rathaus! Öffnungszeiten für Bürger: https://musterstadt.de/öffnungszeiten #Bürgerservice 🏛️";
    let remote = bsky.publish(&post("p1-bluesky", text)).await.unwrap();
    assert!(remote.id.starts_with("at://did:plc:"), "{remote:?}");
    let url = remote.url.clone().unwrap();
    assert!(
        url.starts_with(&format!("https://bsky.app/profile/{handle}/post/")),
        "{url}"
    );

    let record = bsky
        .read_record(&remote.id)
        .await
        .unwrap()
        .expect("record exists");
    assert_eq!(record["text"], text);
    assert_eq!(record["langs"], json!(["de"]));
    assert_eq!(
        facet_slices(&record),
        vec![
            (
                "app.bsky.richtext.facet#link".to_string(),
                "https://musterstadt.de/öffnungszeiten".to_string()
            ),
            (
                "app.bsky.richtext.facet#tag".to_string(),
                "#Bürgerservice".to_string()
            ),
        ]
    );
    assert_eq!(
        record["facets"][0]["features"][0]["uri"],
        "https://musterstadt.de/öffnungszeiten"
    );
    assert_eq!(record["facets"][1]["features"][0]["tag"], "Bürgerservice");
    // The link starts after 5 two-byte umlauts: byte 55, character 50.
    assert_eq!(record["facets"][0]["index"]["byteStart"], 55);
}

#[tokio::test]
async fn a_mention_of_a_known_handle_carries_its_did() {
    let Some((bsky, handle)) = client().await else {
        return;
    };
    let text = format!("Danke an @{handle} für die Hilfe!");
    let remote = bsky.publish(&post("p-mention", &text)).await.unwrap();
    let record = bsky.read_record(&remote.id).await.unwrap().unwrap();
    assert_eq!(
        facet_slices(&record),
        vec![(
            "app.bsky.richtext.facet#mention".to_string(),
            format!("@{handle}")
        )]
    );
    let did = remote
        .id
        .trim_start_matches("at://")
        .split('/')
        .next()
        .unwrap();
    assert_eq!(record["facets"][0]["features"][0]["did"], did);
}

fn noisy_png(w: u32, h: u32, seed: u32) -> Vec<u8> {
    let mut state = seed;
    let img = RgbImage::from_fn(w, h, |_, _| {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let b = state.to_be_bytes();
        Rgb([b[0], b[1], b[2]])
    });
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(img)
        .write_to(&mut out, ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

#[tokio::test]
async fn images_go_up_with_their_alt_text_and_large_ones_are_shrunk_below_one_megabyte() {
    let Some((bsky, _)) = client().await else {
        return;
    };
    let big = noisy_png(800, 600, 7);
    assert!(
        big.len() > 1_000_000,
        "test image must exceed 1 MB: {}",
        big.len()
    );
    let mut p = post("p-images", "Zwei Bilder vom Stadtfest");
    p.images = vec![
        PostImage {
            bytes: noisy_png(40, 30, 1),
            mime: "image/png".into(),
            alt: "Bühne auf dem Marktplatz".into(),
            width: 40,
            height: 30,
        },
        PostImage {
            bytes: big,
            mime: "image/png".into(),
            alt: "Luftbild der Altstadt mit Rathaus".into(),
            width: 800,
            height: 600,
        },
    ];
    let remote = bsky.publish(&p).await.unwrap();
    let record = bsky.read_record(&remote.id).await.unwrap().unwrap();
    let images = record["embed"]["images"].as_array().unwrap();
    assert_eq!(record["embed"]["$type"], "app.bsky.embed.images");
    assert_eq!(images.len(), 2);
    assert_eq!(images[0]["alt"], "Bühne auf dem Marktplatz");
    assert_eq!(images[1]["alt"], "Luftbild der Altstadt mit Rathaus");
    assert_eq!(images[0]["image"]["mimeType"], "image/png");
    assert_eq!(images[1]["image"]["mimeType"], "image/jpeg");
    assert!(
        images[1]["image"]["size"].as_u64().unwrap() <= 1_000_000,
        "{}",
        images[1]
    );
}

#[tokio::test]
async fn a_text_of_301_graphemes_is_refused_before_anything_is_sent() {
    let Some((bsky, _)) = client().await else {
        return;
    };
    let text = "ä".repeat(301);
    let err = bsky.publish(&post("p-long", &text)).await.unwrap_err();
    let PublishError::Permanent { message } = &err else {
        panic!("{err:?}")
    };
    assert!(message.contains("301 of 300 graphemes"), "{message}");
    assert!(message.contains("301 von 300 Graphemen"), "{message}");
    assert_eq!(bsky.sessions_created(), 0, "not even a login happened");
    // 300 graphemes are fine.
    bsky.publish(&post("p-300", &"ä".repeat(300)))
        .await
        .unwrap();
}

#[tokio::test]
async fn an_image_without_alt_text_is_refused_before_sending() {
    let Some((bsky, _)) = client().await else {
        return;
    };
    let mut p = post("p-noalt", "Bild");
    p.images = vec![PostImage {
        bytes: noisy_png(4, 4, 3),
        mime: "image/png".into(),
        alt: " ".into(),
        width: 4,
        height: 4,
    }];
    let err = bsky.publish(&p).await.unwrap_err();
    assert!(err.to_string().contains("image 1 has no alt text"), "{err}");
    assert_eq!(bsky.sessions_created(), 0);
}

#[tokio::test]
async fn delete_removes_the_post_and_a_second_delete_is_fine() {
    let Some((bsky, _)) = client().await else {
        return;
    };
    let remote = bsky
        .publish(&post("p-del", "Wird gleich gelöscht"))
        .await
        .unwrap();
    assert!(bsky.read_record(&remote.id).await.unwrap().is_some());
    Publisher::delete(&bsky, &remote).await.unwrap();
    assert!(bsky.read_record(&remote.id).await.unwrap().is_none());
    Publisher::delete(&bsky, &remote).await.unwrap();
    let err = bsky
        .delete("at://did:plc:someoneelse/app.bsky.feed.post/3kabc")
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("not a post of this account"),
        "{err}"
    );
}

#[tokio::test]
async fn a_retried_post_is_found_instead_of_posted_twice() {
    let Some((bsky, _)) = client().await else {
        return;
    };
    let p = post("p-retry", "Nur einmal, bitte");
    assert_eq!(bsky.find_existing(&p).await.unwrap(), Lookup::NotFound);
    let first = bsky.publish(&p).await.unwrap();
    // The hub lost the answer (timeout, crash) and asks before retrying …
    assert_eq!(
        bsky.find_existing(&p).await.unwrap(),
        Lookup::Found(first.clone())
    );
    // … and even a blind retry lands on the same record.
    let second = bsky.publish(&p).await.unwrap();
    assert_eq!(first, second);
    let other = post("p-other", "Nur einmal, bitte");
    assert_eq!(bsky.find_existing(&other).await.unwrap(), Lookup::NotFound);

    let records = list_records(&bsky, &first.id).await;
    assert_eq!(records.len(), 1, "{records:?}");
}

async fn list_records(_bsky: &BlueskyClient, uri: &str) -> Vec<Value> {
    let pds = std::env::var("RATHAUS_TEST_BLUESKY_PDS").unwrap();
    let did = uri.trim_start_matches("at://").split('/').next().unwrap();
    let v: Value = reqwest::Client::new()
        .get(format!("{pds}/xrpc/com.atproto.repo.listRecords"))
        .query(&[("repo", did), ("collection", "app.bsky.feed.post")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["records"].as_array().unwrap().clone()
}

#[tokio::test]
async fn one_login_serves_many_posts_and_an_expired_token_is_refreshed_not_logged_in_again() {
    let Some((bsky, _)) = client().await else {
        return;
    };
    for i in 0..5 {
        bsky.publish(&post(&format!("p-many-{i}"), &format!("Beitrag {i}")))
            .await
            .unwrap();
    }
    assert_eq!(bsky.sessions_created(), 1);
    bsky.spoil_access_token_for_tests().await;
    let remote = bsky
        .publish(&post("p-after-refresh", "Nach dem Auffrischen"))
        .await
        .unwrap();
    assert!(bsky.read_record(&remote.id).await.unwrap().is_some());
    assert_eq!(
        bsky.sessions_created(),
        1,
        "refreshSession, not a new createSession"
    );
    // Clones share the session.
    let clone = bsky.clone();
    clone.publish(&post("p-clone", "Vom Klon")).await.unwrap();
    assert_eq!(bsky.sessions_created(), 1);
}

#[tokio::test]
async fn a_wrong_app_password_is_a_plain_permanent_error_without_the_password() {
    let Some(pds) = pds() else { return };
    let (handle, _) = sign_up(&pds).await;
    let http = rathaus_channels::publish::publishing_http_client().unwrap();
    let bsky = BlueskyClient::new(http, pds, handle, "wrong-pass-word-1234");
    let err = bsky.publish(&post("p-auth", "Hallo")).await.unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(matches!(err, PublishError::Permanent { .. }), "{err:?}");
    assert!(
        text.contains("check the handle and the app password"),
        "{text}"
    );
    assert!(!text.contains("wrong-pass-word-1234"), "{text}");
}

#[tokio::test]
async fn the_account_the_test_script_created_posts_with_its_app_password() {
    let Some(pds) = pds() else { return };
    let (Ok(handle), Ok(app_password)) = (
        std::env::var("RATHAUS_TEST_BLUESKY_HANDLE"),
        std::env::var("RATHAUS_TEST_BLUESKY_APP_PASSWORD"),
    ) else {
        assert!(
            !in_ci(),
            "scripts/test.sh exports RATHAUS_TEST_BLUESKY_HANDLE and _APP_PASSWORD"
        );
        return;
    };
    let http = rathaus_channels::publish::publishing_http_client().unwrap();
    let bsky = BlueskyClient::new(http, pds, handle.clone(), app_password);
    let remote = bsky
        .publish(&post(
            &format!("script-{}", rand_u32()),
            "Hallo aus dem Testskript",
        ))
        .await
        .unwrap();
    let did = std::env::var("RATHAUS_TEST_BLUESKY_DID").unwrap_or_default();
    assert!(remote.id.starts_with(&format!("at://{did}/")), "{remote:?}");
    assert!(remote.url.unwrap().contains(&handle));
}
