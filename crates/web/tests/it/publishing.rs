//! Publishing through the API: image upload without EXIF, alt text required, four-eyes approval, per-channel results, scheduling, reject.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, RgbImage};
use rathaus_domain::publishing::{ChannelTarget, PublishKind};
use rathaus_domain::schedule::ConsultationHourSettings;
use rathaus_hub::publishing::NOT_CONNECTED;
use rathaus_store::{now_ms, Role};
use serde_json::{json, Value};

use crate::harness::{start_with, App};

pub const GPS_SECRET: &[u8] = b"GPS 48.4914N 9.2043E Rathausplatz";

/// A small JPEG with an APP1 EXIF block (ImageDescription with a location) right after SOI.
pub fn jpeg_with_exif() -> Vec<u8> {
    let img = RgbImage::from_fn(16, 8, |x, y| {
        image::Rgb([(x * 15) as u8, (y * 30) as u8, 90])
    });
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(img)
        .write_with_encoder(JpegEncoder::new_with_quality(&mut out, 90))
        .unwrap();
    let jpeg = out.into_inner();
    let mut tiff = b"II\x2a\x00\x08\x00\x00\x00\x01\x00".to_vec();
    let desc_at = 8 + 2 + 12 + 4;
    tiff.extend(0x010Eu16.to_le_bytes());
    tiff.extend(2u16.to_le_bytes());
    tiff.extend((GPS_SECRET.len() as u32 + 1).to_le_bytes());
    tiff.extend((desc_at as u32).to_le_bytes());
    tiff.extend(0u32.to_le_bytes());
    tiff.extend(GPS_SECRET);
    tiff.push(0);
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend(tiff);
    let mut file = jpeg[..2].to_vec();
    file.extend([0xFF, 0xE1]);
    file.extend(((payload.len() + 2) as u16).to_be_bytes());
    file.extend(payload);
    file.extend(&jpeg[2..]);
    file
}

pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Musterstadt with a Mastodon channel configured (not connected yet) and a consultation hour.
pub async fn start_publishing() -> App {
    start_with("http://127.0.0.1", |c| {
        c[0].settings
            .publishing
            .channels
            .push(ChannelTarget::new("mastodon", PublishKind::Mastodon));
        c[0].settings.publishing.profiles.insert(
            "mastodon".into(),
            "https://social.musterstadt.example/@rathaus".into(),
        );
        c[0].settings
            .consultation_hours
            .push(ConsultationHourSettings {
                name: "Bürgermeister-Sprechstunde".into(),
                channels: vec!["whatsapp".into()],
                rule: "FREQ=WEEKLY;BYDAY=TU".into(),
                start: "14:00".into(),
                end: "16:00".into(),
                ..Default::default()
            });
    })
    .await
}

pub async fn send(
    app: &App,
    token: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = app
        .http
        .request(method.parse().unwrap(), app.url(path))
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

pub async fn upload(app: &App, token: &str, bytes: Vec<u8>, mime: &str, alt: &str) -> (u16, Value) {
    let res = app
        .http
        .post(app.url(&format!("/api/v1/media?alt={alt}")))
        .bearer_auth(token)
        .header("content-type", mime)
        .body(bytes)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

/// Composes, submits and has a second editor approve a post; returns its id.
pub async fn publish(app: &App, author: &str, reviewer: &str, text: &str, media: &[i64]) -> i64 {
    let (s, v) = send(
        app,
        author,
        "POST",
        "/api/v1/posts",
        Some(json!({"text": text, "language": "de", "media": media})),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_i64().unwrap();
    assert_eq!(
        send(
            app,
            author,
            "POST",
            &format!("/api/v1/posts/{id}/submit"),
            None
        )
        .await
        .0,
        200
    );
    let (s, v) = send(
        app,
        reviewer,
        "POST",
        &format!("/api/v1/posts/{id}/approve"),
        None,
    )
    .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("published")), "{v}");
    id
}

#[tokio::test]
async fn compose_with_alt_text_four_eyes_and_per_channel_results() {
    let app = start_publishing().await;
    let author = app
        .api_token(app.a, "redaktion@musterstadt.de", Role::Editor)
        .await;
    let reviewer = app
        .api_token(app.a, "pressestelle@musterstadt.de", Role::Editor)
        .await;
    let agent = app.api_token(app.a, "sb@musterstadt.de", Role::Agent).await;

    // Upload: re-encoded, EXIF gone; other types refused.
    let original = jpeg_with_exif();
    assert!(contains(&original, GPS_SECRET));
    let (s, img) = upload(&app, &author, original, "image/jpeg", "").await;
    assert_eq!(s, 201, "{img}");
    assert_eq!(
        (
            img["width"].as_i64(),
            img["height"].as_i64(),
            img["alt"].as_str()
        ),
        (Some(16), Some(8), Some(""))
    );
    let image_id = img["id"].as_i64().unwrap();
    let (s, e) = upload(&app, &author, b"GIF89a....".to_vec(), "image/gif", "x").await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (415, Some("image_type_unsupported"))
    );
    assert_eq!(
        upload(&app, &agent, jpeg_with_exif(), "image/jpeg", "x")
            .await
            .0,
        403,
        "agents do not publish"
    );

    // Without alt text the post is refused, naming the image.
    let body = json!({"text": "Einladung zum Stadtfest am Samstag", "language": "de", "channels": ["mastodon"], "media": [image_id]});
    let (s, e) = send(&app, &author, "POST", "/api/v1/posts", Some(body.clone())).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (422, Some("alt_text_missing")),
        "{e}"
    );
    assert!(
        e["error"]["message"].as_str().unwrap().contains("Bild 1"),
        "{e}"
    );
    assert_eq!(e["findings"][0]["severity"], "blocking");
    let (s, e) = send(
        &app,
        &author,
        "POST",
        "/api/v1/posts",
        Some(json!({"text": "x", "language": "de", "channels": ["myspace"]})),
    )
    .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (422, Some("channel_unknown"))
    );
    assert!(e["error"]["message"].as_str().unwrap().contains("mastodon"));
    let (s, e) = send(
        &app,
        &author,
        "POST",
        "/api/v1/posts",
        Some(json!({"text": "𝐖𝐢𝐜𝐡𝐭𝐢𝐠", "language": "de"})),
    )
    .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (422, Some("fake_formatting"))
    );

    let (s, _) = send(
        &app,
        &author,
        "PUT",
        &format!("/api/v1/media/{image_id}"),
        Some(json!({"alt": "Das Festzelt auf dem Marktplatz"})),
    )
    .await;
    assert_eq!(s, 200);
    let (s, v) = send(&app, &author, "POST", "/api/v1/posts", Some(body)).await;
    assert_eq!((s, v["status"].as_str()), (201, Some("draft")), "{v}");
    let id = v["id"].as_i64().unwrap();

    // Approval before submission, by the author, or by an agent: refused.
    let approve = format!("/api/v1/posts/{id}/approve");
    let (s, e) = send(&app, &reviewer, "POST", &approve, None).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (409, Some("transition_not_allowed"))
    );
    let (s, v) = send(
        &app,
        &author,
        "POST",
        &format!("/api/v1/posts/{id}/submit"),
        None,
    )
    .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("submitted")));
    let (s, e) = send(&app, &author, "POST", &approve, None).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (403, Some("four_eyes_same_person")),
        "{e}"
    );
    assert_eq!(send(&app, &agent, "POST", &approve, None).await.0, 403);
    let (s, e) = send(
        &app,
        &author,
        "PUT",
        &format!("/api/v1/media/{image_id}"),
        Some(json!({"alt": "anders"})),
    )
    .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (409, Some("media_locked"))
    );

    // A second editor approves: the news page publishes at once, Mastodon waits (not connected).
    let (s, v) = send(&app, &reviewer, "POST", &approve, None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v["status"], "publishing",
        "a channel has not answered yet: {v}"
    );
    let (s, v) = send(&app, &author, "GET", &format!("/api/v1/posts/{id}"), None).await;
    assert_eq!(s, 200);
    let channels = v["channels"].as_array().unwrap();
    let website = channels.iter().find(|c| c["channel"] == "website").unwrap();
    assert_eq!(website["status"], "published");
    let expected = format!("{}/musterstadt/beitrag/{id}", app.registry.public_url);
    assert_eq!(website["url"].as_str(), Some(&*expected));
    let mastodon = channels
        .iter()
        .find(|c| c["channel"] == "mastodon")
        .unwrap();
    assert_eq!(
        (mastodon["status"].as_str(), mastodon["error"].as_str()),
        (Some("pending"), Some(NOT_CONNECTED))
    );
    assert_eq!(v["media"][0]["alt"], "Das Festzelt auf dem Marktplatz");
    assert!(v["approved_by"].is_i64());

    // The stored (and served) image carries no EXIF.
    let res = app
        .http
        .get(app.url(&format!("/musterstadt/bilder/{image_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    assert!(res.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("immutable"));
    let served = res.bytes().await.unwrap();
    assert!(!contains(&served, GPS_SECRET) && !contains(&served, b"Exif"));

    // The audit trail names each step with its actor.
    let entries = app
        .store
        .audit_entries(
            app.a,
            &rathaus_store::AuditFilter {
                action_prefix: Some("post.".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    for a in [
        "post.create",
        "post.submit",
        "post.approve",
        "post.schedule",
        "post.start_publishing",
    ] {
        assert!(actions.contains(&a), "{a} missing in {actions:?}");
    }
    // Tenant isolation: the other municipality's editor sees nothing.
    let other = app
        .api_token(app.b, "redaktion@beispieldorf.de", Role::Editor)
        .await;
    assert_eq!(
        send(&app, &other, "GET", &format!("/api/v1/posts/{id}"), None)
            .await
            .0,
        404
    );
}

#[tokio::test]
async fn rejection_needs_a_comment_and_scheduled_posts_go_out_when_due() {
    let app = start_publishing().await;
    let author = app
        .api_token(app.a, "redaktion@musterstadt.de", Role::Editor)
        .await;
    let admin = app
        .api_token(app.a, "admin@musterstadt.de", Role::Admin)
        .await;
    let (_, v) = send(
        &app,
        &author,
        "POST",
        "/api/v1/posts",
        Some(json!({"text": "Wasserrohrbruch in der Lindenstraße", "language": "de"})),
    )
    .await;
    let id = v["id"].as_i64().unwrap();
    send(
        &app,
        &author,
        "POST",
        &format!("/api/v1/posts/{id}/submit"),
        None,
    )
    .await;
    let reject = format!("/api/v1/posts/{id}/reject");
    let (s, e) = send(
        &app,
        &admin,
        "POST",
        &reject,
        Some(json!({"comment": "  "})),
    )
    .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (422, Some("rejection_comment_missing"))
    );
    let (s, e) = send(
        &app,
        &author,
        "POST",
        &reject,
        Some(json!({"comment": "selbst"})),
    )
    .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (403, Some("four_eyes_same_person"))
    );
    let (s, v) = send(
        &app,
        &admin,
        "POST",
        &reject,
        Some(json!({"comment": "Bitte Umleitung nennen"})),
    )
    .await;
    assert_eq!(
        (s, v["status"].as_str(), v["review_comment"].as_str()),
        (200, Some("draft"), Some("Bitte Umleitung nennen"))
    );

    // A post for later: approved now, published by the due check once its time has come.
    let at = jiff::Timestamp::from_millisecond(now_ms() + 60_000).unwrap();
    let (s, v) = send(
        &app,
        &author,
        "POST",
        "/api/v1/posts",
        Some(json!({"text": "Sperrung morgen", "language": "de", "publish_at": at.to_string()})),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let later = v["id"].as_i64().unwrap();
    let past = json!({"text": "x", "language": "de", "publish_at": "2020-01-01T00:00:00Z"});
    let (s, e) = send(&app, &author, "POST", "/api/v1/posts", Some(past)).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (422, Some("publish_at_in_past"))
    );
    send(
        &app,
        &author,
        "POST",
        &format!("/api/v1/posts/{later}/submit"),
        None,
    )
    .await;
    let (s, v) = send(
        &app,
        &admin,
        "POST",
        &format!("/api/v1/posts/{later}/approve"),
        None,
    )
    .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("scheduled")), "{v}");
    assert_eq!(
        app.http
            .get(app.url(&format!("/musterstadt/beitrag/{later}")))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let n = rathaus_hub::publishing::publish_due(&app.store, &app.registry, now_ms())
        .await
        .unwrap();
    assert_eq!(n, 0, "not due yet");
    let n = rathaus_hub::publishing::publish_due(&app.store, &app.registry, now_ms() + 61_000)
        .await
        .unwrap();
    assert_eq!(n, 1);
    let (_, v) = send(
        &app,
        &author,
        "GET",
        &format!("/api/v1/posts/{later}"),
        None,
    )
    .await;
    assert_eq!(v["status"], "published", "{v}");
    assert_eq!(
        app.http
            .get(app.url(&format!("/musterstadt/beitrag/{later}")))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // Once published, nothing is due any more.
    assert_eq!(
        rathaus_hub::publishing::publish_due(&app.store, &app.registry, now_ms() + 120_000)
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn without_four_eyes_the_author_approves() {
    let app = start_with("http://127.0.0.1", |c| {
        c[0].settings.publishing.four_eyes = false
    })
    .await;
    let author = app
        .api_token(app.a, "redaktion@musterstadt.de", Role::Editor)
        .await;
    let (_, v) = send(
        &app,
        &author,
        "POST",
        "/api/v1/posts",
        Some(json!({"text": "Kleine Meldung", "language": "de"})),
    )
    .await;
    let id = v["id"].as_i64().unwrap();
    send(
        &app,
        &author,
        "POST",
        &format!("/api/v1/posts/{id}/submit"),
        None,
    )
    .await;
    let (s, v) = send(
        &app,
        &author,
        "POST",
        &format!("/api/v1/posts/{id}/approve"),
        None,
    )
    .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("published")), "{v}");
}

#[tokio::test]
async fn images_above_the_general_body_limit_are_taken_up_to_ten_mib() {
    let app = start_publishing().await;
    let author = app
        .api_token(app.a, "redaktion@musterstadt.de", Role::Editor)
        .await;
    // Noise does not compress: a 1200 × 1200 JPEG at quality 95 is well above 1 MiB.
    let mut seed = 0x2545_f491_u32;
    let img = RgbImage::from_fn(1200, 1200, |_, _| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        image::Rgb([seed as u8, (seed >> 8) as u8, (seed >> 16) as u8])
    });
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(img)
        .write_with_encoder(JpegEncoder::new_with_quality(&mut out, 95))
        .unwrap();
    let big = out.into_inner();
    assert!(
        big.len() > rathaus_web::MAX_BODY_BYTES,
        "{} bytes",
        big.len()
    );
    let (s, v) = upload(&app, &author, big, "image/jpeg", "Rauschen").await;
    assert_eq!((s, v["width"].as_i64()), (201, Some(1200)), "{v}");
    let res = app
        .http
        .post(app.url("/api/v1/media"))
        .bearer_auth(&author)
        .header("content-type", "image/jpeg")
        .body(vec![0u8; 10 * 1024 * 1024 + 2])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
}
