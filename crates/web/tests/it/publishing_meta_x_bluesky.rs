//! Publishing end to end to a Facebook page, Instagram and X (local fakes of their APIs) and Bluesky (the
//! reference PDS on loopback): API → publishing jobs → each network once, with the image and its alt text;
//! Instagram fetches the image from this server's `/medien/` route, which is gone afterwards.

use std::time::Duration;

use rathaus_channels::fake_networks::{FakeNetworks, GRAPH_TOKEN, IG_USER_ID, PAGE_ID, X_TOKEN};
use rathaus_channels::publish::NetworkConfig;
use rathaus_domain::publishing::{ChannelTarget, PublishKind};
use rathaus_domain::Backoff;
use rathaus_hub::{Worker, WorkerOptions};
use rathaus_store::Role;
use serde_json::{json, Value};

use crate::harness::{start_at_own_address, App};
use crate::publishing::{jpeg_with_exif, send, upload};

/// The test account of the loopback PDS (scripts/test.sh), or None outside CI.
fn bluesky_account() -> Option<(String, String, String)> {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    match (
        var("RATHAUS_TEST_BLUESKY_PDS"),
        var("RATHAUS_TEST_BLUESKY_HANDLE"),
        var("RATHAUS_TEST_BLUESKY_APP_PASSWORD"),
    ) {
        (Some(pds), Some(handle), Some(pw)) => Some((pds, handle, pw)),
        _ => {
            assert!(
                std::env::var("CI").map_or(true, |v| v != "true"),
                "RATHAUS_TEST_BLUESKY_* not set: this test needs the loopback PDS (scripts/test.sh starts it)"
            );
            eprintln!("skipping: RATHAUS_TEST_BLUESKY_PDS not set (run scripts/test.sh)");
            None
        }
    }
}

fn network(value: Value) -> NetworkConfig {
    let kind = value["kind"].as_str().unwrap().to_string();
    let mut table = value;
    table.as_object_mut().unwrap().remove("kind");
    match kind.as_str() {
        "facebook_page" => NetworkConfig::FacebookPage(serde_json::from_value(table).unwrap()),
        "instagram" => NetworkConfig::Instagram(serde_json::from_value(table).unwrap()),
        "x" => NetworkConfig::X(serde_json::from_value(table).unwrap()),
        "bluesky" => NetworkConfig::Bluesky(serde_json::from_value(table).unwrap()),
        other => panic!("{other}"),
    }
}

async fn start(fake: &FakeNetworks, pds: &str, handle: &str, app_password: &str) -> App {
    let base = fake.base_url();
    let (pds, handle, app_password) = (
        pds.to_string(),
        handle.to_string(),
        app_password.to_string(),
    );
    start_at_own_address(move |c| {
        let p = &mut c[0].settings.publishing;
        for (name, kind) in [
            ("facebook", PublishKind::FacebookPage),
            ("instagram", PublishKind::Instagram),
            ("x", PublishKind::X),
            ("bluesky", PublishKind::Bluesky),
        ] {
            p.channels.push(ChannelTarget::new(name, kind));
        }
        c[0].networks = vec![
            network(
                json!({"kind": "facebook_page", "name": "facebook", "page_id": PAGE_ID,
                "access_token": GRAPH_TOKEN, "api_base": base, "api_version": "v23.0"}),
            ),
            network(
                json!({"kind": "instagram", "name": "instagram", "user_id": IG_USER_ID,
                "access_token": GRAPH_TOKEN, "api_base": base, "api_version": "v23.0"}),
            ),
            network(json!({"kind": "x", "name": "x", "access_token": X_TOKEN, "api_base": base})),
            network(
                json!({"kind": "bluesky", "name": "bluesky", "pds": pds, "handle": handle,
                "app_password": app_password}),
            ),
        ];
    })
    .await
}

fn channel<'a>(post: &'a Value, name: &str) -> &'a Value {
    post["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["channel"] == json!(name))
        .unwrap_or_else(|| panic!("no channel {name} in {post}"))
}

#[tokio::test]
async fn one_post_reaches_facebook_instagram_x_and_bluesky_once_with_its_image_and_alt_text() {
    let Some((pds, handle, app_password)) = bluesky_account() else {
        return;
    };
    let fake = FakeNetworks::start().await.unwrap();
    let app = start(&fake, &pds, &handle, &app_password).await;
    let author = app
        .api_token(app.a, "redaktion@musterstadt.de", Role::Editor)
        .await;
    let reviewer = app
        .api_token(app.a, "pressestelle@musterstadt.de", Role::Editor)
        .await;

    let (s, v) = upload(
        &app,
        &author,
        jpeg_with_exif(),
        "image/jpeg",
        "Das Rathaus am Marktplatz",
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let media = v["id"].as_i64().unwrap();
    let text = format!(
        "Grüße vom Bürgerfest! Programm: https://musterstadt.de/fest #Bürgerfest {}",
        jiff::Timestamp::now().as_millisecond()
    );
    let (s, v) = send(
        &app,
        &author,
        "POST",
        "/api/v1/posts",
        Some(json!({"text": text, "language": "de", "media": [media],
            "channels": ["facebook", "instagram", "x", "bluesky"]})),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_i64().unwrap();
    let (s, v) = send(
        &app,
        &author,
        "POST",
        &format!("/api/v1/posts/{id}/submit"),
        None,
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = send(
        &app,
        &reviewer,
        "POST",
        &format!("/api/v1/posts/{id}/approve"),
        None,
    )
    .await;
    assert_eq!(s, 200, "{v}");

    let worker = Worker::new(
        app.store.clone(),
        app.registry.clone(),
        WorkerOptions {
            lease_ms: 2_000,
            backoff: Backoff {
                base_ms: 50,
                cap_ms: 200,
                max_attempts: 8,
            },
            ..WorkerOptions::default()
        },
    );
    let mut post = Value::Null;
    for _ in 0..100 {
        worker.drain().await.unwrap();
        let (_, p) = send(&app, &author, "GET", &format!("/api/v1/posts/{id}"), None).await;
        post = p;
        let open = post["channels"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["status"] == json!("pending") || c["status"] == json!("sending"));
        if !open {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for name in ["facebook", "instagram", "x", "bluesky"] {
        assert_eq!(
            channel(&post, name)["status"],
            "published",
            "{name}: {post}"
        );
    }
    let url = |name: &str| channel(&post, name)["url"].as_str().unwrap().to_string();

    // Facebook: one post with the photo attached.
    let page_posts = fake.page_posts();
    assert_eq!(page_posts.len(), 1);
    assert_eq!(page_posts[0]["message"], text.as_str());
    assert_eq!(page_posts[0]["attached_media"].as_array().unwrap().len(), 1);
    assert_eq!(
        url("facebook"),
        page_posts[0]["permalink_url"].as_str().unwrap().to_string()
    );
    let alt_sent = fake.requests().iter().any(|r| {
        r.path.ends_with("/photos")
            && r.body["parts"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["value"] == "Das Rathaus am Marktplatz")
    });
    assert!(alt_sent, "alt_text_custom sent with the photo");

    // Instagram fetched the JPEG from this server, without a cookie; the address is gone now.
    let ig = fake.instagram_media();
    assert_eq!(ig.len(), 1);
    assert_eq!(ig[0]["alt_text"], "Das Rathaus am Marktplatz");
    assert_eq!(
        url("instagram"),
        ig[0]["permalink"].as_str().unwrap().to_string()
    );
    let fetched = fake.fetched_images();
    assert_eq!(fetched.len(), 1);
    assert_eq!(fetched[0]["status"], 200);
    assert_eq!(fetched[0]["set_cookie"], false);
    let image_url = fake
        .requests()
        .iter()
        .find_map(|r| r.body["image_url"].as_str().map(str::to_string))
        .unwrap();
    assert!(image_url.starts_with(&app.url("/medien/")), "{image_url}");
    assert_eq!(app.http.get(&image_url).send().await.unwrap().status(), 404);

    // X: one post with the image and its alt text.
    let tweets = fake.tweets();
    assert_eq!(tweets.len(), 1);
    assert_eq!(tweets[0]["media_ids"].as_array().unwrap().len(), 1);
    assert_eq!(
        fake.x_media().values().next().unwrap()["alt_text"],
        "Das Rathaus am Marktplatz"
    );
    assert!(url("x").ends_with(tweets[0]["id"].as_str().unwrap()));

    // Bluesky: the record on the PDS, with the link facet on the right bytes and the image's alt.
    let rkey = url("bluesky").rsplit('/').next().unwrap().to_string();
    assert!(url("bluesky").starts_with(&format!("https://bsky.app/profile/{handle}/post/")));
    let did: Value = reqwest::get(format!(
        "{pds}/xrpc/com.atproto.identity.resolveHandle?handle={handle}"
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let record: Value = reqwest::get(format!(
        "{pds}/xrpc/com.atproto.repo.getRecord?repo={}&collection=app.bsky.feed.post&rkey={rkey}",
        did["did"].as_str().unwrap()
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let value = &record["value"];
    assert_eq!(value["text"], text.as_str());
    assert_eq!(
        value["embed"]["images"][0]["alt"],
        "Das Rathaus am Marktplatz"
    );
    let link = &value["facets"][0];
    let (start, end) = (
        link["index"]["byteStart"].as_u64().unwrap() as usize,
        link["index"]["byteEnd"].as_u64().unwrap() as usize,
    );
    assert_eq!(&text.as_bytes()[start..end], b"https://musterstadt.de/fest");

    // Running the jobs again posts nothing anywhere.
    worker.drain().await.unwrap();
    assert_eq!(
        (
            fake.page_posts().len(),
            fake.instagram_media().len(),
            fake.tweets().len()
        ),
        (1, 1, 1)
    );
}
