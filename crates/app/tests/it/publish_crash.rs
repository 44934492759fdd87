//! A real `rathaus serve` process killed with SIGKILL after the platforms accepted posts but before it recorded their answers: after a restart every channel has its post once, with its link or an honest "unclear".

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use rathaus_channels::fake_mastodon::{
    FakeMastodonTelegram, MASTODON_TOKEN, TELEGRAM_CHANNEL, TELEGRAM_CHANNEL_TOKEN,
};
use rathaus_channels::fake_networks::{FakeNetworks, GRAPH_TOKEN, IG_USER_ID, PAGE_ID, X_TOKEN};
use rathaus_hub::publish_jobs::OUTCOME_UNCLEAR;
use serde_json::{json, Value};
use tokio::io::AsyncBufReadExt as _;

use crate::harness::{databases, process_config, rathaus, Db};
use crate::staged_media_split::{free_port, PNG_HEX};

mod bluesky;
mod held_pds;

/// The lease the test configures: a restarted worker takes the dead one's jobs over after it.
const LEASE_SECONDS: u64 = 5;

/// Musterstadt with the `channels` tables, no four-eyes rule and a short worker lease. A fixed port,
/// so the restarted server has the public URL Instagram fetches staged images from.
fn write_config(dir: &Path, db: &Db, port: u16, channels: &str) -> PathBuf {
    process_config(dir, db, port, Some(LEASE_SECONDS), channels)
}

/// A Mastodon account and a Telegram channel (one fake); a Facebook page, an Instagram account and
/// an X account (the Graph and X fake).
fn fake_channels(mastodon_telegram: &FakeMastodonTelegram, graph: &FakeNetworks) -> String {
    let m = mastodon_telegram.base_url();
    format!(
        r#"[[municipality.mastodon]]
name = "mastodon"
instance = "{m}"
access_token = "{MASTODON_TOKEN}"
timeout_secs = 120

[[municipality.facebook_page]]
name = "facebook"
page_id = "{PAGE_ID}"
access_token = "{GRAPH_TOKEN}"
api_base = "{graph}"

[[municipality.instagram]]
name = "instagram"
user_id = "{IG_USER_ID}"
access_token = "{GRAPH_TOKEN}"
api_base = "{graph}"

[[municipality.telegram_channel]]
name = "kanal"
chat = "{TELEGRAM_CHANNEL}"
bot_token = "{TELEGRAM_CHANNEL_TOKEN}"
api_base = "{m}"
timeout_secs = 120

[[municipality.x]]
name = "x"
access_token = "{X_TOKEN}"
api_base = "{graph}"
"#,
        graph = graph.base_url(),
    )
}

/// An editor and an API token for them, made with the CLI as an admin would.
pub(crate) fn api_token(cfg: &Path) -> String {
    let out = crate::harness::user_add(
        cfg,
        &[],
        "redaktion@musterstadt.de",
        Some("editor"),
        "ein-langes-Passwort-2026",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = rathaus()
        .args(["token", "create", "--config"])
        .arg(cfg)
        .args(["--email", "redaktion@musterstadt.de"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    stdout.lines().last().unwrap().trim().to_string()
}

/// A running `rathaus serve` (web server and worker in one process, or as `args` say).
pub(crate) struct Serve {
    pub child: tokio::process::Child,
    pub url: String,
}

async fn serve(cfg: &Path) -> Serve {
    serve_with(cfg, &["serve"]).await
}

/// Starts `rathaus <args> --config <cfg>` and waits until its web server says where it runs.
pub(crate) async fn serve_with(cfg: &Path, args: &[&str]) -> Serve {
    let mut child = tokio::process::Command::from(rathaus())
        .args(args)
        .arg("--config")
        .arg(cfg)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let url = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(url) = line.strip_prefix("Rathaus läuft / is running: ") {
                return url.trim().to_string();
            }
        }
        panic!("rathaus serve ended without saying where it runs");
    })
    .await
    .expect("rathaus serve did not start within a minute");
    // Keep reading so the process never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Serve { child, url }
}

pub(crate) async fn api(
    http: &reqwest::Client,
    s: &Serve,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = http
        .request(method, format!("{}{path}", s.url))
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let v = res.json::<Value>().await.unwrap_or(Value::Null);
    (status, v)
}

pub(crate) fn channel<'a>(post: &'a Value, name: &str) -> &'a Value {
    post["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["channel"] == json!(name))
        .unwrap_or_else(|| panic!("no channel {name} in {post}"))
}

/// The post once no channel is pending or in flight any more.
async fn settle(http: &reqwest::Client, s: &Serve, token: &str, id: i64) -> Value {
    let path = format!("/api/v1/posts/{id}");
    // The lease plus slack for a machine busy with other builds.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(LEASE_SECONDS + 120);
    while tokio::time::Instant::now() < deadline {
        let (_, p) = api(http, s, token, reqwest::Method::GET, &path, None).await;
        let open = p["channels"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["status"] == json!("pending") || c["status"] == json!("sending"));
        if !open {
            return p;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("post {id}: publications did not settle after the restart");
}

pub(crate) async fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..600 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for: {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_after_the_platforms_accepted_posts_nothing_twice_after_its_restart() {
    for db in databases().await {
        killed_and_restarted(&db).await;
    }
}

async fn killed_and_restarted(db: &Db) {
    let mastodon_telegram = FakeMastodonTelegram::start().await.unwrap();
    let graph = FakeNetworks::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let channels = fake_channels(&mastodon_telegram, &graph);
    let cfg = write_config(dir.path(), db, free_port(), &channels);
    let token = api_token(&cfg);
    let http = reqwest::Client::new();

    // Each platform will take the post and never answer.
    mastodon_telegram.withhold_next_answer("/api/v1/statuses");
    mastodon_telegram.withhold_next_answer("/sendMessage");
    graph.withhold_next_answer("POST", "/feed");
    graph.withhold_next_answer("POST", "/media_publish");
    graph.withhold_next_answer("POST", "/2/tweets");

    // The posts are written and approved before any worker runs, so the first worker takes all
    // their jobs in one round (a round waits for all its jobs, and these never get an answer).
    let mut composer = serve_with(&cfg, &["serve", "--no-worker"]).await;
    let text = "Stadtfest am Samstag: Die Marktstraße ist von 8 bis 20 Uhr gesperrt.";
    let (s, v) = api(
        &http,
        &composer,
        &token,
        reqwest::Method::POST,
        "/api/v1/posts",
        Some(json!({"text": text, "language": "de", "media": [],
                    "channels": ["mastodon", "facebook", "kanal", "x"]})),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_i64().unwrap();
    // Instagram needs an image: a post of its own (the others would send it as a photo).
    let res = http
        .post(format!(
            "{}/api/v1/media?alt=Plakat%20des%20Stadtfests",
            composer.url
        ))
        .bearer_auth(&token)
        .header("content-type", "image/png")
        .body(hex::decode(PNG_HEX).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
    let media: Value = res.json().await.unwrap();
    let caption = "Das Plakat zum Stadtfest am Samstag.";
    let (s, v) = api(
        &http,
        &composer,
        &token,
        reqwest::Method::POST,
        "/api/v1/posts",
        Some(
            json!({"text": caption, "language": "de", "media": [media["id"]],
                    "channels": ["instagram"]}),
        ),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let ig_id = v["id"].as_i64().unwrap();
    for post in [id, ig_id] {
        for step in ["submit", "approve"] {
            let path = format!("/api/v1/posts/{post}/{step}");
            let (s, v) = api(&http, &composer, &token, reqwest::Method::POST, &path, None).await;
            assert_eq!(s, 200, "{step}: {v}");
        }
    }

    composer.child.start_kill().unwrap();
    composer.child.wait().await.unwrap();
    let mut first = serve(&cfg).await;

    // All five platforms have the posts; their answers are held back …
    wait_for("the platforms to accept the posts", || {
        mastodon_telegram.statuses().len() == 1
            && mastodon_telegram.messages().len() == 1
            && graph.page_posts().len() == 1
            && graph.instagram_media().len() == 1
            && graph.tweets().len() == 1
    })
    .await;
    // … and the process dies before it records anything (SIGKILL: no code of it runs any more).
    first.child.start_kill().unwrap();
    let status = first.child.wait().await.unwrap();
    assert!(!status.success(), "killed, not ended: {status:?}");

    // Nothing was recorded by the dead process: each attempt is still `sending`.
    let config = rathaus::config::Config::load_with_env(Some(&cfg), &[]).unwrap();
    let store = rathaus::server::open_store(&config).await.unwrap();
    let states = store.publication_states(id).await.unwrap();
    let sending: Vec<(&str, &str)> = states
        .iter()
        .filter(|p| p.channel != "website")
        .map(|p| (p.channel.as_str(), p.status.as_str()))
        .collect();
    assert_eq!(
        sending,
        [
            ("facebook", "sending"),
            ("kanal", "sending"),
            ("mastodon", "sending"),
            ("x", "sending")
        ]
    );
    let ig_state = store.publication_states(ig_id).await.unwrap();
    assert!(
        ig_state
            .iter()
            .any(|p| p.channel == "instagram" && p.status == "sending"),
        "{ig_state:?}"
    );
    store.close().await;

    let second = serve(&cfg).await;
    // Once the dead process's leases ran out, the restarted worker resolves every attempt.
    let settled = settle(&http, &second, &token, id).await;
    let settled_ig = settle(&http, &second, &token, ig_id).await;

    // Mastodon: the same Idempotency-Key again, answered with the status made before.
    let statuses = mastodon_telegram.statuses();
    assert_eq!(
        statuses.len(),
        1,
        "Mastodon has the post once: {statuses:?}"
    );
    let sent: Vec<_> = mastodon_telegram
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path == "/api/v1/statuses")
        .collect();
    assert_eq!(sent.len(), 2, "asked again after the restart");
    assert!(sent[0].idempotency_key.is_some());
    assert_eq!(sent[0].idempotency_key, sent[1].idempotency_key);
    let m = channel(&settled, "mastodon");
    assert_eq!(m["status"], json!("published"), "{settled}");
    assert_eq!(
        m["url"],
        json!(format!(
            "https://fake.social/@musterstadt/{}",
            statuses[0]["id"].as_str().unwrap()
        ))
    );

    // Facebook: no key; the post was looked up on the page instead of being sent again.
    let page_posts = graph.page_posts();
    assert_eq!(page_posts.len(), 1, "the page has the post once");
    let feed_posts = graph
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/feed"))
        .count();
    assert_eq!(feed_posts, 1, "never sent to the page a second time");
    let f = channel(&settled, "facebook");
    assert_eq!(f["status"], json!("published"), "{settled}");
    assert_eq!(f["url"], page_posts[0]["permalink_url"]);

    // Telegram: neither a key nor a way to look; a person is asked to check, nothing is resent.
    assert_eq!(
        mastodon_telegram.messages().len(),
        1,
        "the channel has the post once"
    );
    let k = channel(&settled, "kanal");
    assert_eq!(k["status"], json!("unknown"), "{settled}");
    assert_eq!(k["error"], json!(OUTCOME_UNCLEAR));
    let sends = mastodon_telegram
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/sendMessage"))
        .count();
    assert_eq!(sends, 1, "never sent to the channel a second time");

    // Instagram: no key either; found among the account's media by its caption, not published again.
    let ig_media = graph.instagram_media();
    assert_eq!(ig_media.len(), 1, "Instagram has the post once");
    let publishes = graph
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/media_publish"))
        .count();
    assert_eq!(publishes, 1, "media_publish never called a second time");
    let ig = channel(&settled_ig, "instagram");
    assert_eq!(ig["status"], json!("published"), "{settled_ig}");
    assert_eq!(ig["url"], ig_media[0]["permalink"]);

    // X: no key either; found among the account's recent posts by its text, not posted again.
    let tweets = graph.tweets();
    assert_eq!(tweets.len(), 1, "X has the post once: {tweets:?}");
    let x_requests = graph.requests();
    let tweeted = x_requests
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/2/tweets")
        .count();
    assert_eq!(tweeted, 1, "never posted to X a second time");
    assert!(
        x_requests
            .iter()
            .any(|r| r.method == "GET" && r.path.ends_with("/tweets")),
        "the restarted worker looked through the account's posts"
    );
    let x = channel(&settled, "x");
    assert_eq!(x["status"], json!("published"), "{settled}");
    assert_eq!(
        x["url"],
        json!(format!(
            "https://x.com/i/web/status/{}",
            tweets[0]["id"].as_str().unwrap()
        ))
    );

    let mut second = second;
    second.child.start_kill().unwrap();
    second.child.wait().await.unwrap();
}
