//! Bluesky sessions survive registry rebuilds: the adapters are rebuilt on every settings change, yet an unchanged login makes no new `createSession` (30 per 5 minutes); a changed app password does. Against the reference PDS on loopback, through a recorder that counts the calls.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Response, Uri};
use rathaus_channels::publish::{OutgoingPost, Publisher};
use rathaus_domain::publishing::{ChannelTarget, PublishKind};
use rathaus_store::now_ms;
use serde_json::{json, Value};

use crate::harness::{start_with, App};

fn pds() -> Option<String> {
    match std::env::var("RATHAUS_TEST_BLUESKY_PDS") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("CI").map_or(true, |v| v != "true"),
                "RATHAUS_TEST_BLUESKY_PDS is not set: this test needs the loopback PDS (scripts/test.sh starts it)"
            );
            eprintln!("skipping: RATHAUS_TEST_BLUESKY_PDS not set (run scripts/test.sh)");
            None
        }
    }
}

/// A fresh account (so the counts are this test's own) with two app passwords: (handle, first, second).
async fn account_with_two_app_passwords(pds: &str) -> (String, String, String) {
    let http = reqwest::Client::new();
    let handle = format!("s{:08x}.test", rand::random::<u32>());
    let password = format!("pw-{:016x}", rand::random::<u64>());
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
    let mut app_passwords = Vec::new();
    for name in ["rathaus", "rathaus-neu"] {
        let app: Value = http
            .post(format!("{pds}/xrpc/com.atproto.server.createAppPassword"))
            .bearer_auth(account["accessJwt"].as_str().unwrap())
            .json(&json!({ "name": name }))
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .json()
            .await
            .unwrap();
        app_passwords.push(app["password"].as_str().unwrap().to_string());
    }
    let second = app_passwords.pop().unwrap();
    let first = app_passwords.pop().unwrap();
    (handle, first, second)
}

/// Forwards everything to the PDS and counts `createSession` calls.
async fn recorder(pds: String) -> (String, Arc<AtomicU32>) {
    let logins = Arc::new(AtomicU32::new(0));
    let counted = logins.clone();
    let http = reqwest::Client::new();
    let app = axum::Router::new().fallback(
        move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
            let (http, pds, counted) = (http.clone(), pds.clone(), counted.clone());
            async move {
                if uri.path() == "/xrpc/com.atproto.server.createSession" {
                    counted.fetch_add(1, Ordering::SeqCst);
                }
                let path = uri.path_and_query().map_or("/", |p| p.as_str());
                let mut req = http.request(method, format!("{pds}{path}")).body(body);
                for name in ["content-type", "authorization"] {
                    if let Some(v) = headers.get(name) {
                        req = req.header(name, v);
                    }
                }
                let res = req.send().await.unwrap();
                let mut out = Response::builder().status(res.status().as_u16());
                if let Some(ct) = res.headers().get("content-type") {
                    out = out.header("content-type", ct);
                }
                out.body(Body::from(res.bytes().await.unwrap())).unwrap()
            }
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, logins)
}

async fn start(pds: &str, handle: &str, app_password: &str) -> App {
    let config =
        json!({"name": "bluesky", "pds": pds, "handle": handle, "app_password": app_password});
    start_with("http://127.0.0.1", move |c| {
        c[0].settings
            .publishing
            .channels
            .push(ChannelTarget::new("bluesky", PublishKind::Bluesky));
        c[0].networks = vec![rathaus_channels::publish::NetworkConfig::Bluesky(
            serde_json::from_value(config).unwrap(),
        )];
    })
    .await
}

/// The Bluesky adapter of the registry in force.
fn adapter(app: &App) -> Arc<dyn Publisher> {
    let registry = app.registry.current();
    registry
        .tenant(app.a)
        .unwrap()
        .publishers
        .get("bluesky")
        .unwrap()
        .publisher
        .clone()
}

fn post(key: &str, text: &str) -> OutgoingPost {
    OutgoingPost {
        idempotency_key: key.into(),
        text: text.into(),
        language: "de".into(),
        images: Vec::new(),
        first_attempt_at: now_ms(),
    }
}

/// Sets the channel's app password in the admin UI's store and lets the registry rebuild.
async fn set_app_password(app: &App, value: &str) {
    app.store
        .save_network_secret(
            app.a,
            "bluesky",
            "app_password",
            value,
            "staff:1 test",
            now_ms(),
        )
        .await
        .unwrap();
    assert!(
        app.registry.refresh_if_changed(now_ms()).await.unwrap(),
        "the settings change rebuilt the registry"
    );
}

#[tokio::test]
async fn rebuilt_adapters_reuse_the_bluesky_session_until_the_app_password_changes() {
    let Some(pds) = pds() else { return };
    let (handle, first, second) = account_with_two_app_passwords(&pds).await;
    let (via_recorder, logins) = recorder(pds).await;
    let app = start(&via_recorder, &handle, &first).await;

    adapter(&app)
        .publish(&post("s-1", "Erster Beitrag vor dem Umbau"))
        .await
        .unwrap();
    assert_eq!(logins.load(Ordering::SeqCst), 1);

    // Two rebuilds with the same login (a settings change that leaves it as it was).
    for (i, round) in ["s-2", "s-3"].into_iter().enumerate() {
        set_app_password(&app, &first).await;
        adapter(&app)
            .publish(&post(round, &format!("Beitrag nach Umbau {}", i + 1)))
            .await
            .unwrap();
    }
    assert_eq!(
        logins.load(Ordering::SeqCst),
        1,
        "two rebuilds with unchanged settings: still the one createSession"
    );

    // A new app password is a new login.
    set_app_password(&app, &second).await;
    adapter(&app)
        .publish(&post("s-4", "Mit dem neuen App-Passwort"))
        .await
        .unwrap();
    assert_eq!(
        logins.load(Ordering::SeqCst),
        2,
        "changed app password: a new session"
    );
}
