//! A split deployment (`rathaus serve --no-worker` beside `rathaus worker`): the image the worker stages for Instagram is fetched from the web process, and is gone once the post is out.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use rathaus_channels::fake_networks::{FakeNetworks, GRAPH_TOKEN, IG_USER_ID};
use serde_json::{json, Value};

use crate::harness::{databases, process_config, rathaus, Db};
use crate::publish_crash::{api, api_token, channel, serve_with, wait_for, Serve};

/// A 16×16 PNG (an upload is re-encoded; Instagram gets a JPEG).
pub(crate) const PNG_HEX: &str = "89504e470d0a1a0a0000000d4948445200000010000000100802000000909168360000004f4944415478da95c2211645000044d1b712d17949144551144551147f14456b9a65fd35cc3d970c56c968954c56c96c952c56c96a956c56c96e951c56c969955c56c96d95fcac92c72a79ad92cfea1f84c74a10c1ddb4100000000049454e44ae426082";

pub(crate) fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Musterstadt with an Instagram account on the Graph fake, for processes on `port`.
fn write_config(dir: &Path, db: &Db, graph: &FakeNetworks, port: u16) -> PathBuf {
    let instagram = format!(
        r#"[[municipality.instagram]]
name = "instagram"
user_id = "{IG_USER_ID}"
access_token = "{GRAPH_TOKEN}"
api_base = "{graph}"
"#,
        graph = graph.base_url(),
    );
    process_config(dir, db, port, None, &instagram)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_process_serves_the_image_a_separate_worker_staged_for_instagram() {
    for db in databases().await {
        split(&db).await;
    }
}

async fn split(db: &Db) {
    let graph = FakeNetworks::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(dir.path(), db, &graph, free_port());
    let token = api_token(&cfg);
    let http = reqwest::Client::new();

    let mut web: Serve = serve_with(&cfg, &["serve", "--no-worker"]).await;
    let mut worker = tokio::process::Command::from(rathaus())
        .args(["worker", "--config"])
        .arg(&cfg)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap();

    let png = hex::decode(PNG_HEX).unwrap();
    let res = http
        .post(format!(
            "{}/api/v1/media?alt=Plakat%20des%20Stadtfests",
            web.url
        ))
        .bearer_auth(&token)
        .header("content-type", "image/png")
        .body(png)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201, "{:?}", res.text().await);
    let media: Value = res.json().await.unwrap();
    let text = "Stadtfest am Samstag – das Plakat ist da.";
    let (s, v) = api(
        &http,
        &web,
        &token,
        reqwest::Method::POST,
        "/api/v1/posts",
        Some(
            json!({"text": text, "language": "de", "media": [media["id"]],
                    "channels": ["instagram"]}),
        ),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_i64().unwrap();
    for step in ["submit", "approve"] {
        let path = format!("/api/v1/posts/{id}/{step}");
        let (s, v) = api(&http, &web, &token, reqwest::Method::POST, &path, None).await;
        assert_eq!(s, 200, "{step}: {v}");
    }

    wait_for("Instagram to publish the post", || {
        graph.instagram_media().len() == 1
    })
    .await;
    // Instagram fetched the image from the web process, which has no worker of its own.
    let fetched = graph.fetched_images();
    assert_eq!(fetched.len(), 1, "{fetched:?}");
    assert_eq!(fetched[0]["status"], json!(200), "{fetched:?}");
    assert_eq!(fetched[0]["content_type"], json!("image/jpeg"));

    let path = format!("/api/v1/posts/{id}");
    let mut post = Value::Null;
    for _ in 0..200 {
        let (_, p) = api(&http, &web, &token, reqwest::Method::GET, &path, None).await;
        if channel(&p, "instagram")["status"] == json!("published") {
            post = p;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        channel(&post, "instagram")["status"],
        json!("published"),
        "{post}"
    );

    // Published: the staged image's URL answers 404 now, without a cookie.
    let image_url = graph
        .requests()
        .iter()
        .find_map(|r| r.body["image_url"].as_str().map(str::to_string))
        .expect("the container named its image_url");
    assert!(
        image_url.starts_with(&format!("{}/medien/", web.url)),
        "{image_url}"
    );
    let res = http.get(&image_url).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 404);
    assert!(res.headers().get("set-cookie").is_none());

    worker.start_kill().unwrap();
    worker.wait().await.unwrap();
    web.child.start_kill().unwrap();
    web.child.wait().await.unwrap();
}
