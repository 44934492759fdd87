//! Limits and headers against hostile clients: HSTS, header and body caps, request timeout, rate limits.

use std::time::Duration;

use rathaus_store::Role;
use rathaus_web::security::limits::Rate;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::{header, json_of, start, start_at, start_tuned};

#[tokio::test]
async fn hsts_is_sent_only_when_served_over_https() {
    let app = start_at("https://rathaus.musterstadt.de").await;
    let res = app.http.get(app.url("/login")).send().await.unwrap();
    assert_eq!(
        header(res.headers(), "strict-transport-security"),
        "max-age=31536000; includeSubDomains"
    );
    let app = start().await;
    let res = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert!(res.headers().get("strict-transport-security").is_none());
    assert!(header(res.headers(), "content-security-policy").contains("frame-ancestors 'none'"));
}

#[tokio::test]
async fn oversized_headers_uris_and_bodies_are_refused_before_any_handler() {
    let app = start().await;
    let res = app
        .http
        .get(app.url("/login"))
        .header("x-padding", "a".repeat(20 * 1024))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 431);
    let res = app
        .http
        .get(app.url(&format!("/login?q={}", "a".repeat(9 * 1024))))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 414);
    let res = app
        .http
        .post(app.url("/webhooks/telegram/beispieldorf-bot"))
        .header("x-telegram-bot-api-secret-token", "tg-secret")
        .body(vec![b'{'; 2 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 413);
}

#[tokio::test]
async fn a_slow_body_is_cut_off_by_the_request_timeout() {
    let app = start_tuned("http://127.0.0.1", |s| {
        s.request_timeout = Duration::from_millis(800)
    })
    .await;
    let addr = app.base.trim_start_matches("http://").to_string();
    let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /webhooks/telegram/beispieldorf-bot HTTP/1.1\r\nHost: {addr}\r\n\
         X-Telegram-Bot-Api-Secret-Token: tg-secret\r\nContent-Type: application/json\r\n\
         Content-Length: 1000\r\n\r\n{{\"update_id\":"
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    // Then nothing more: the server answers 408 instead of waiting for the rest.
    let started = std::time::Instant::now();
    let mut buf = vec![0u8; 1024];
    let n = tokio::time::timeout(Duration::from_secs(10), conn.read(&mut buf))
        .await
        .expect("the server must not wait for ever")
        .unwrap();
    let answer = String::from_utf8_lossy(&buf[..n]);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn the_api_and_webhooks_are_rate_limited_per_address() {
    let app = start_tuned("http://127.0.0.1", |s| {
        s.api_rate = Rate {
            per_second: 0.1,
            burst: 3.0,
        };
        s.webhook_rate = Rate {
            per_second: 0.1,
            burst: 2.0,
        };
    })
    .await;
    let token = app.api_token(app.a, "sb@musterstadt.de", Role::Agent).await;
    let get = |from: &'static str| {
        app.http
            .get(app.url("/api/v1/concerns"))
            .bearer_auth(&token)
            .header("x-forwarded-for", from)
            .send()
    };
    for _ in 0..3 {
        assert_eq!(get("203.0.113.1").await.unwrap().status().as_u16(), 200);
    }
    let res = get("203.0.113.1").await.unwrap();
    let retry_after: u64 = header(res.headers(), "retry-after").parse().unwrap();
    assert!((1..=10).contains(&retry_after), "{retry_after}");
    let (status, body) = json_of(res).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (429, Some("rate_limited"))
    );
    // Another address has its own bucket.
    assert_eq!(get("203.0.113.2").await.unwrap().status().as_u16(), 200);

    let hook = || {
        app.http
            .post(app.url("/webhooks/whatsapp"))
            .header("x-forwarded-for", "198.51.100.9")
            .body("{}")
            .send()
    };
    for _ in 0..2 {
        assert_eq!(
            hook().await.unwrap().status().as_u16(),
            401,
            "signature checked"
        );
    }
    let res = hook().await.unwrap();
    assert_eq!(res.status().as_u16(), 429);
    assert!(res.headers().get("retry-after").is_some());
    // Staff pages are not affected.
    assert_eq!(
        app.http
            .get(app.url("/login"))
            .header("x-forwarded-for", "198.51.100.9")
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        200
    );
}

#[tokio::test]
async fn a_client_trickling_its_headers_is_disconnected() {
    let app = start_tuned("http://127.0.0.1", |s| {
        s.header_read_timeout = Duration::from_millis(700)
    })
    .await;
    let addr = app.base.trim_start_matches("http://").to_string();
    let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
    conn.write_all(b"GET /login HTTP/1.1\r\n").await.unwrap();
    let started = std::time::Instant::now();
    let mut closed = false;
    for i in 0..20 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        if conn
            .write_all(format!("X-Slow-{i}: a\r\n").as_bytes())
            .await
            .is_err()
        {
            closed = true;
            break;
        }
        let mut buf = [0u8; 256];
        if let Ok(Ok(n)) =
            tokio::time::timeout(Duration::from_millis(10), conn.read(&mut buf)).await
        {
            // 0 bytes: closed; anything else is an error answer and then the close.
            let _ = n;
            closed = true;
            break;
        }
    }
    assert!(closed, "the slow client must be cut off");
    assert!(started.elapsed() < Duration::from_secs(3));
    // Everybody else is served as usual.
    let res = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
}

/// Every kind of answer carries the same security headers: pages, static files, JSON errors of the
/// API, refused webhooks, public feeds, not-found and too-large answers.
#[tokio::test]
async fn every_kind_of_response_carries_the_security_headers() {
    let app = start().await;
    let http = &app.http;
    let answers = [
        ("page", http.get(app.url("/login")).send().await.unwrap()),
        (
            "static",
            http.get(app.url("/static/app.css")).send().await.unwrap(),
        ),
        ("redirect", http.get(app.url("/")).send().await.unwrap()),
        (
            "not found",
            http.get(app.url("/gibt-es-nicht")).send().await.unwrap(),
        ),
        (
            "API without token",
            http.get(app.url("/api/v1/posts/1")).send().await.unwrap(),
        ),
        (
            "webhook with a wrong secret",
            http.post(app.url("/webhooks/telegram/beispieldorf-bot"))
                .header("x-telegram-bot-api-secret-token", "falsch")
                .body("{}")
                .send()
                .await
                .unwrap(),
        ),
        (
            "public feed",
            http.get(app.url("/musterstadt/feed.atom"))
                .send()
                .await
                .unwrap(),
        ),
        (
            "body too large",
            http.post(app.url("/webhooks/telegram/beispieldorf-bot"))
                .header("x-telegram-bot-api-secret-token", "tg-secret")
                .body(vec![b'{'; 2 * 1024 * 1024])
                .send()
                .await
                .unwrap(),
        ),
    ];
    let mut statuses = Vec::new();
    for (what, res) in answers {
        let h = res.headers();
        statuses.push(res.status().as_u16());
        let csp = header(h, "content-security-policy");
        assert!(
            csp.contains("default-src 'self'")
                && csp.contains("script-src 'self'")
                && csp.contains("frame-ancestors 'none'"),
            "{what}: {csp}"
        );
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
            "{what}: {csp}"
        );
        assert_eq!(header(h, "x-content-type-options"), "nosniff", "{what}");
        assert!(
            ["same-origin", "no-referrer", "strict-origin"].contains(&header(h, "referrer-policy")),
            "{what}"
        );
        let permissions = header(h, "permissions-policy");
        for feature in ["camera=()", "microphone=()", "geolocation=()"] {
            assert!(permissions.contains(feature), "{what}: {permissions}");
        }
        assert_eq!(header(h, "x-frame-options"), "DENY", "{what}");
    }
    // The answers really were of those kinds.
    assert_eq!(statuses, [200, 200, 303, 404, 401, 401, 200, 413]);
}
