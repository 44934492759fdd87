//! Publishing to networks end to end: API → publishing jobs → Mastodon and a Telegram channel (local fakes) → per-channel results on the post; retries, lost answers, a crash mid-publish, edit and delete.

use std::time::Duration;

use rathaus_channels::fake_mastodon::{
    FakeMastodonTelegram, MASTODON_TOKEN, TELEGRAM_CHANNEL, TELEGRAM_CHANNEL_TOKEN,
};
use rathaus_channels::publish::{MastodonConfig, NetworkConfig, TelegramChannelPublishConfig};
use rathaus_domain::publishing::{ChannelTarget, PublishKind};
use rathaus_domain::Backoff;
use rathaus_hub::publish_jobs::OUTCOME_UNCLEAR;
use rathaus_hub::{RegistryHandle, Worker, WorkerOptions};
use rathaus_store::Role;
use serde_json::{json, Value};

use crate::harness::{start_with, App};
use crate::publishing::{jpeg_with_exif, send, upload};

/// Musterstadt with a Mastodon account and a Telegram channel on the fakes.
pub(crate) async fn start(fake: &FakeMastodonTelegram, timeout_secs: u64) -> App {
    let base = fake.base_url();
    start_with("http://127.0.0.1", move |c| {
        let p = &mut c[0].settings.publishing;
        p.channels
            .push(ChannelTarget::new("mastodon", PublishKind::Mastodon));
        p.channels
            .push(ChannelTarget::new("kanal", PublishKind::TelegramChannel));
        c[0].networks = vec![
            NetworkConfig::Mastodon(MastodonConfig {
                name: Some("mastodon".into()),
                instance: base.clone(),
                access_token: MASTODON_TOKEN.into(),
                timeout_secs: Some(timeout_secs),
            }),
            NetworkConfig::TelegramChannel(TelegramChannelPublishConfig {
                name: Some("kanal".into()),
                chat: TELEGRAM_CHANNEL.into(),
                bot_token: TELEGRAM_CHANNEL_TOKEN.into(),
                api_base: base,
                timeout_secs: Some(timeout_secs),
            }),
        ];
    })
    .await
}

/// A worker with short leases and quick retries, as a test can wait for them.
pub(crate) fn worker(app: &App) -> Worker {
    worker_on(app, app.registry.clone(), 8)
}

/// A worker like [`worker`] on `registry` (e.g. another process's), giving up after `max_attempts`.
pub(crate) fn worker_on(app: &App, registry: RegistryHandle, max_attempts: u32) -> Worker {
    Worker::new(
        app.store.clone(),
        registry,
        WorkerOptions {
            lease_ms: 400,
            backoff: Backoff {
                base_ms: 50,
                cap_ms: 200,
                max_attempts,
            },
            ..WorkerOptions::default()
        },
    )
}

/// The API tokens of two editors: one writes, the other approves (four eyes).
pub(crate) struct Editors {
    pub(crate) author: String,
    pub(crate) reviewer: String,
}

pub(crate) async fn editors(app: &App) -> Editors {
    Editors {
        author: app
            .api_token(app.a, "redaktion@musterstadt.de", Role::Editor)
            .await,
        reviewer: app
            .api_token(app.a, "pressestelle@musterstadt.de", Role::Editor)
            .await,
    }
}

/// Composes for `channels` with the images `media` and submits; returns the post's id.
pub(crate) async fn compose_and_submit(
    app: &App,
    e: &Editors,
    text: &str,
    media: &[i64],
    channels: &[&str],
) -> i64 {
    let (s, v) = send(
        app,
        &e.author,
        "POST",
        "/api/v1/posts",
        Some(json!({"text": text, "language": "de", "media": media, "channels": channels})),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_i64().unwrap();
    let (s, v) = send(
        app,
        &e.author,
        "POST",
        &format!("/api/v1/posts/{id}/submit"),
        None,
    )
    .await;
    assert_eq!(s, 200, "{v}");
    id
}

/// The second editor approves post `id` (due at once).
pub(crate) async fn approve(app: &App, e: &Editors, id: i64) {
    let (s, v) = send(
        app,
        &e.reviewer,
        "POST",
        &format!("/api/v1/posts/{id}/approve"),
        None,
    )
    .await;
    assert_eq!(s, 200, "{v}");
}

/// Composes for the news page, Mastodon and the Telegram channel, submits and approves; returns the id.
pub(crate) async fn compose_and_approve(app: &App, e: &Editors, text: &str, media: &[i64]) -> i64 {
    let id = compose_and_submit(app, e, text, media, &["mastodon", "kanal"]).await;
    approve(app, e, id).await;
    id
}

pub(crate) async fn post(app: &App, e: &Editors, id: i64) -> Value {
    let (s, v) = send(app, &e.author, "GET", &format!("/api/v1/posts/{id}"), None).await;
    assert_eq!(s, 200, "{v}");
    v
}

pub(crate) fn channel<'a>(post: &'a Value, name: &str) -> &'a Value {
    post["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["channel"] == json!(name))
        .unwrap()
}

/// Runs due jobs until none is left or `until` holds (retries come due after their wait).
async fn run_until(w: &Worker, mut until: impl FnMut() -> bool) {
    for _ in 0..100 {
        w.drain().await.unwrap();
        if until() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Runs `w` until channel `name` of post `id` is no longer pending or sending; its result.
pub(crate) async fn settle_channel(
    app: &App,
    e: &Editors,
    w: &Worker,
    id: i64,
    name: &str,
) -> Value {
    for _ in 0..100 {
        w.drain().await.unwrap();
        let r = channel(&post(app, e, id).await, name).clone();
        if r["status"] != json!("pending") && r["status"] != json!("sending") {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{name} did not settle: {}", post(app, e, id).await);
}

pub(crate) async fn settle(app: &App, e: &Editors, w: &Worker, id: i64) -> Value {
    for _ in 0..100 {
        w.drain().await.unwrap();
        let p = post(app, e, id).await;
        let open = p["channels"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["status"] == json!("pending") || c["status"] == json!("sending"));
        if !open {
            return p;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("publications did not settle: {}", post(app, e, id).await);
}

#[tokio::test]
async fn a_post_with_two_images_reaches_mastodon_with_alt_texts_and_the_telegram_channel() {
    let fake = FakeMastodonTelegram::start().await.unwrap();
    fake.set_processing_polls(1);
    let app = start(&fake, 5).await;
    let e = editors(&app).await;
    let (_, a) = upload(
        &app,
        &e.author,
        jpeg_with_exif(),
        "image/jpeg",
        "Der neue Spielplatz am Stadtsee",
    )
    .await;
    let (_, b) = upload(
        &app,
        &e.author,
        jpeg_with_exif(),
        "image/jpeg",
        "Kinder auf der Kletterspinne",
    )
    .await;
    let media = [a["id"].as_i64().unwrap(), b["id"].as_i64().unwrap()];
    let id = compose_and_approve(
        &app,
        &e,
        "Der Spielplatz am Stadtsee ist wieder offen.",
        &media,
    )
    .await;

    let before = post(&app, &e, id).await;
    assert_eq!(before["status"], json!("publishing"), "{before}");
    assert_eq!(channel(&before, "website")["status"], json!("published"));
    assert_eq!(channel(&before, "mastodon")["status"], json!("pending"));

    let w = worker(&app);
    let p = settle(&app, &e, &w, id).await;
    assert_eq!(p["status"], json!("published"), "{p}");
    let statuses = fake.statuses();
    assert_eq!(statuses.len(), 1);
    let status_id = statuses[0]["id"].as_str().unwrap();
    assert_eq!(
        channel(&p, "mastodon")["url"],
        json!(format!("https://fake.social/@musterstadt/{status_id}"))
    );
    let alts: Vec<Value> = fake
        .media()
        .values()
        .map(|m| m["description"].clone())
        .collect();
    assert_eq!(
        alts,
        vec![
            json!("Der neue Spielplatz am Stadtsee"),
            json!("Kinder auf der Kletterspinne")
        ]
    );
    assert_eq!(
        statuses[0]["text"],
        json!("Der Spielplatz am Stadtsee ist wieder offen.")
    );
    assert_eq!(statuses[0]["language"], json!("de"));
    let messages = fake.messages();
    assert_eq!(messages.len(), 2, "an album of two photos");
    assert_eq!(
        messages[0]["caption"],
        json!("Der Spielplatz am Stadtsee ist wieder offen.")
    );
    let first = messages[0]["message_id"].as_u64().unwrap();
    assert_eq!(
        channel(&p, "kanal")["url"],
        json!(format!("https://t.me/musterstadt_news/{first}"))
    );
    assert_eq!(channel(&p, "kanal")["error"], Value::Null);
}

#[tokio::test]
async fn a_rate_limit_is_waited_out_and_a_permanent_refusal_shows_in_plain_words() {
    let fake = FakeMastodonTelegram::start().await.unwrap();
    let app = start(&fake, 5).await;
    let e = editors(&app).await;
    let w = worker(&app);

    fake.fail_next(
        "/api/v1/statuses",
        1,
        429,
        json!({ "error": "Too many requests" }),
        &[("retry-after", "1")],
    );
    let id = compose_and_approve(&app, &e, "Bürgersprechstunde am Dienstag.", &[]).await;
    let started = std::time::Instant::now();
    w.drain().await.unwrap();
    let p = post(&app, &e, id).await;
    let m = channel(&p, "mastodon");
    assert_eq!(m["status"], json!("pending"), "{p}");
    assert!(
        m["error"].as_str().unwrap().contains("Too many requests"),
        "{m}"
    );
    // Not before the second the instance asked for.
    w.drain().await.unwrap();
    assert_eq!(fake.statuses().len(), 0);
    let p = settle(&app, &e, &w, id).await;
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(channel(&p, "mastodon")["status"], json!("published"), "{p}");
    assert_eq!(fake.statuses().len(), 1);
    assert_eq!(p["status"], json!("published"));

    // Too long for this instance (it allows 30): refused for good, in words an editor understands.
    fake.set_max_characters(30);
    let id = compose_and_approve(
        &app,
        &e,
        "Die Stadtbibliothek hat ab Montag länger geöffnet.",
        &[],
    )
    .await;
    let p = settle(&app, &e, &w, id).await;
    let m = channel(&p, "mastodon");
    assert_eq!(m["status"], json!("failed"), "{p}");
    let error = m["error"].as_str().unwrap();
    assert!(
        error.contains("Mastodon lehnt den Beitrag ab")
            && error.contains("character limit of 30 exceeded"),
        "{error}"
    );
    assert_eq!(channel(&p, "kanal")["status"], json!("published"));
    assert_eq!(p["status"], json!("partly_failed"));
}

#[tokio::test]
async fn a_lost_answer_after_the_platform_accepted_never_makes_a_second_post() {
    let fake = FakeMastodonTelegram::start().await.unwrap();
    let app = start(&fake, 1).await;
    let e = editors(&app).await;
    let w = worker(&app);
    fake.withhold_next_answer("/api/v1/statuses");
    fake.withhold_next_answer("/sendMessage");
    let id = compose_and_approve(&app, &e, "Wasserrohrbruch in der Lindenstraße.", &[]).await;
    let p = settle(&app, &e, &w, id).await;

    // Mastodon: asked again with the same Idempotency-Key, answered with the post it already had.
    assert_eq!(fake.statuses().len(), 1);
    let posts: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.path == "/api/v1/statuses")
        .collect();
    assert_eq!(posts.len(), 2);
    assert_eq!(posts[0].idempotency_key, posts[1].idempotency_key);
    assert_eq!(channel(&p, "mastodon")["status"], json!("published"), "{p}");
    // Telegram cannot be asked: the post says so and nothing is sent again.
    assert_eq!(fake.messages().len(), 1);
    assert_eq!(
        fake.requests()
            .iter()
            .filter(|r| r.path.ends_with("/sendMessage"))
            .count(),
        1
    );
    let k = channel(&p, "kanal");
    assert_eq!(k["status"], json!("unknown"), "{p}");
    assert_eq!(k["error"], json!(OUTCOME_UNCLEAR));
}

#[tokio::test]
async fn a_worker_killed_after_the_platform_accepted_leaves_each_channel_with_the_post_once() {
    let fake = FakeMastodonTelegram::start().await.unwrap();
    // A long timeout: the worker is still waiting for the answers when it dies.
    let app = start(&fake, 60).await;
    let e = editors(&app).await;
    fake.withhold_next_answer("/api/v1/statuses");
    fake.withhold_next_answer("/sendMessage");
    let id =
        compose_and_approve(&app, &e, "Stadtfest: Straßensperrungen am Wochenende.", &[]).await;

    let doomed = worker(&app);
    let running = tokio::spawn(async move { doomed.drain().await });
    // Both platforms have the post; their answers never arrive …
    for _ in 0..200 {
        if fake.statuses().len() == 1 && fake.messages().len() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!((fake.statuses().len(), fake.messages().len()), (1, 1));
    // … and the worker dies before recording anything (as with kill -9: no code after this point runs).
    running.abort();
    assert!(running.await.unwrap_err().is_cancelled());
    let p = post(&app, &e, id).await;
    assert_eq!(channel(&p, "mastodon")["status"], json!("sending"), "{p}");
    assert_eq!(channel(&p, "kanal")["status"], json!("sending"), "{p}");

    // A new worker takes the jobs over once the dead one's leases ran out.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let restarted = worker(&app);
    let p = settle(&app, &e, &restarted, id).await;
    assert_eq!(fake.statuses().len(), 1, "Mastodon has the post once");
    assert_eq!(
        fake.messages().len(),
        1,
        "the Telegram channel has the post once"
    );
    assert_eq!(channel(&p, "mastodon")["status"], json!("published"), "{p}");
    assert_eq!(channel(&p, "kanal")["status"], json!("unknown"), "{p}");
}

#[tokio::test]
async fn edit_and_delete_propagate_and_the_post_says_where_deleting_was_not_possible() {
    let fake = FakeMastodonTelegram::start().await.unwrap();
    let app = start(&fake, 5).await;
    let e = editors(&app).await;
    let w = worker(&app);
    let id = compose_and_approve(&app, &e, "Sperrmüll am Montag.", &[]).await;
    settle(&app, &e, &w, id).await;

    let (s, v) = send(
        &app,
        &e.author,
        "POST",
        &format!("/api/v1/posts/{id}/edit"),
        Some(json!({"text": "Sperrmüll am Dienstag."})),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["text"], json!("Sperrmüll am Dienstag."));
    run_until(&w, || {
        fake.statuses()[0]["text"] == json!("Sperrmüll am Dienstag.")
    })
    .await;
    let p = post(&app, &e, id).await;
    assert_eq!(fake.statuses()[0]["text"], json!("Sperrmüll am Dienstag."));
    assert_eq!(fake.messages()[0]["text"], json!("Sperrmüll am Dienstag."));
    assert!(
        channel(&p, "mastodon")["note"]
            .as_str()
            .unwrap()
            .starts_with("Bearbeitet am"),
        "{p}"
    );
    assert!(
        channel(&p, "kanal")["note"]
            .as_str()
            .unwrap()
            .starts_with("Bearbeitet am"),
        "{p}"
    );

    // Telegram refuses (older than 48 hours, say); Mastodon deletes.
    fake.fail_next(
        "deleteMessage",
        1,
        400,
        json!({ "ok": false, "error_code": 400, "description": "Bad Request: message can't be deleted" }),
        &[],
    );
    let (s, v) = send(
        &app,
        &e.author,
        "POST",
        &format!("/api/v1/posts/{id}/delete"),
        None,
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(channel(&v, "website")["status"], json!("deleted"));
    let p = {
        run_until(&w, || fake.statuses()[0]["deleted"] == json!(true)).await;
        w.drain().await.unwrap();
        post(&app, &e, id).await
    };
    assert_eq!(channel(&p, "mastodon")["status"], json!("deleted"), "{p}");
    assert_eq!(fake.statuses()[0]["deleted"], json!(true));
    let k = channel(&p, "kanal");
    assert_eq!(k["status"], json!("published"), "{p}");
    let note = k["note"].as_str().unwrap();
    assert!(
        note.contains("Löschen auf Telegram-Kanal nicht möglich")
            && note.contains("message can't be deleted"),
        "{note}"
    );
    assert_eq!(fake.messages()[0]["deleted"], json!(false));
    // The staff post page says the same in words.
    let cookie = app.login("redaktion@musterstadt.de").await;
    let (status, page) = app.get_page(&cookie, &format!("/beitraege/{id}")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Löschen auf Telegram-Kanal nicht möglich"),
        "{page}"
    );
    // Off the news page.
    let page = app.public_text("/musterstadt/").await;
    assert!(!page.contains("Sperrmüll am Dienstag"), "{page}");

    // A draft cannot be edited or withdrawn this way.
    let (s, v) = send(
        &app,
        &e.author,
        "POST",
        "/api/v1/posts",
        Some(json!({"text": "Entwurf", "language": "de"})),
    )
    .await;
    assert_eq!(s, 201);
    let draft = v["id"].as_i64().unwrap();
    let (s, v) = send(
        &app,
        &e.author,
        "POST",
        &format!("/api/v1/posts/{draft}/delete"),
        None,
    )
    .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("post_not_published")),
        "{v}"
    );
}

#[tokio::test]
async fn the_composer_refuses_what_the_instance_would_with_its_own_character_limit() {
    let fake = FakeMastodonTelegram::start().await.unwrap();
    fake.set_max_characters(30);
    let app = start(&fake, 5).await;
    let e = editors(&app).await;
    let text = "Die Stadtbibliothek hat ab Montag länger geöffnet.";
    let (s, v) = send(
        &app,
        &e.author,
        "POST",
        "/api/v1/posts",
        Some(json!({"text": text, "language": "de", "channels": ["mastodon"]})),
    )
    .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (422, Some("text_too_long")),
        "{v}"
    );
    assert!(
        v["error"]["message"].as_str().unwrap().contains("30"),
        "{v}"
    );
    // The same text is fine for the Telegram channel alone.
    let (s, v) = send(
        &app,
        &e.author,
        "POST",
        "/api/v1/posts",
        Some(json!({"text": text, "language": "de", "channels": ["kanal"]})),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(fake.statuses().len(), 0);
}
