//! The X user token renewed end to end: an expired token is renewed by the publishing job and the post goes out; the rotated pair is sealed in the database and wins over the file after a restart; a refused renewal shows on the post in plain words.

use rathaus_channels::fake_networks::{FakeNetworks, X_CLIENT_ID, X_REFRESH_TOKEN, X_TOKEN};
use rathaus_channels::publish::NetworkConfig;
use rathaus_domain::publishing::{ChannelTarget, PublishKind};
use rathaus_domain::MunicipalitySettings;
use rathaus_hub::{RegistryHandle, TenantConfig, Worker};
use rathaus_store::now_ms;
use serde_json::json;

use crate::harness::{start_with, App};
use crate::publishing_networks::{
    approve, compose_and_submit, editors, settle_channel, worker_on, Editors,
};

const PUBLIC_URL: &str = "http://127.0.0.1";

fn x_network(fake: &FakeNetworks) -> NetworkConfig {
    NetworkConfig::X(
        serde_json::from_value(json!({
            "name": "x",
            "access_token": X_TOKEN,
            "refresh_token": X_REFRESH_TOKEN,
            "client_id": X_CLIENT_ID,
            "api_base": fake.base_url(),
        }))
        .unwrap(),
    )
}

fn musterstadt(fake: &FakeNetworks) -> TenantConfig {
    let mut settings = MunicipalitySettings::new("musterstadt", "Musterstadt");
    settings
        .publishing
        .channels
        .push(ChannelTarget::new("x", PublishKind::X));
    TenantConfig {
        networks: vec![x_network(fake)],
        settings,
        whatsapp: vec![],
        telegram: vec![],
        sso: None,
    }
}

async fn start(fake: &FakeNetworks) -> App {
    let network = x_network(fake);
    start_with(PUBLIC_URL, move |c| {
        c[0].settings
            .publishing
            .channels
            .push(ChannelTarget::new("x", PublishKind::X));
        c[0].networks = vec![network];
    })
    .await
}

/// A worker on `registry` that gives up after four attempts.
fn worker(app: &App, registry: RegistryHandle) -> Worker {
    worker_on(app, registry, 4)
}

/// Composes for X, has a second editor approve; the post is due at once.
async fn approved(app: &App, text: &str) -> (i64, Editors) {
    let e = editors(app).await;
    let id = compose_and_submit(app, &e, text, &[], &["x"]).await;
    approve(app, &e, id).await;
    (id, e)
}

#[tokio::test]
async fn an_expired_x_token_is_renewed_sealed_and_the_rotated_refresh_token_survives_a_restart() {
    let fake = FakeNetworks::start().await.unwrap();
    let app = start(&fake).await;
    let w = worker(&app, app.registry.clone());

    // The configured user token has expired: the job renews it and posts.
    fake.expire_x_access_token();
    let (id, e) = approved(&app, "Der Wochenmarkt zieht auf den Rathausplatz.").await;
    let x = settle_channel(&app, &e, &w, id, "x").await;
    assert_eq!(x["status"], json!("published"), "{x}");
    assert_eq!(fake.x_renewals(), 1);
    assert_eq!(fake.tweets().len(), 1);

    // The rotated pair is kept sealed: readable through the store, nowhere in the database file.
    let kept = app
        .store
        .network_tokens(app.a, "x", "renewed_")
        .await
        .unwrap();
    let value = |name: &str| kept.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    assert_eq!(
        value("renewed_access_token").as_deref(),
        Some("x-fake-oauth2-user-token-1")
    );
    assert_eq!(
        value("renewed_refresh_token").as_deref(),
        Some("x-fake-refresh-token-1")
    );
    for plain in ["x-fake-oauth2-user-token-1", "x-fake-refresh-token-1"] {
        let holding = app.files_holding(plain);
        assert!(
            holding.is_empty(),
            "{plain} in plaintext at rest in {holding:?}"
        );
    }

    // A restart (a registry built afresh from the file's tokens) after the next expiry: the kept
    // pair wins over the file, and the rotated refresh token renews it.
    fake.expire_x_access_token();
    fake.clear_requests();
    let restarted = RegistryHandle::build(
        &app.store,
        &[musterstadt(&fake)],
        reqwest::Client::new(),
        now_ms(),
        PUBLIC_URL,
    )
    .await
    .unwrap();
    let w2 = worker(&app, restarted);
    let (id, e) = approved(&app, "Die Stadtbücherei hat neue Öffnungszeiten.").await;
    let x = settle_channel(&app, &e, &w2, id, "x").await;
    assert_eq!(x["status"], json!("published"), "{x}");
    assert_eq!(fake.x_renewals(), 2);
    let requests = fake.requests();
    assert_eq!(
        requests[0].authorization.as_deref(),
        Some("Bearer x-fake-oauth2-user-token-1"),
        "the kept token, not the file's"
    );
    let renewal = requests
        .iter()
        .find(|r| r.path == "/2/oauth2/token")
        .unwrap();
    assert_eq!(
        renewal.body["refresh_token"],
        json!("x-fake-refresh-token-1")
    );
    assert_eq!(fake.tweets().len(), 2);
    let kept = app
        .store
        .network_tokens(app.a, "x", "renewed_refresh_token")
        .await
        .unwrap();
    assert_eq!(kept[0].1, "x-fake-refresh-token-2");
}

#[tokio::test]
async fn a_refused_renewal_shows_on_the_post_that_the_x_connection_must_be_authorised_again() {
    let fake = FakeNetworks::start().await.unwrap();
    let app = start(&fake).await;
    let w = worker(&app, app.registry.clone());
    fake.revoke_x_refresh_token();
    let (id, e) = approved(&app, "Sperrung der Brückenstraße.").await;
    let x = settle_channel(&app, &e, &w, id, "x").await;
    assert_eq!(x["status"], json!("failed"), "{x}");
    let error = x["error"].as_str().unwrap();
    assert!(
        error.contains("Die Verbindung zum X-Konto muss neu autorisiert werden"),
        "{error}"
    );
    assert!(!error.contains(X_REFRESH_TOKEN), "{error}");
    assert!(fake.tweets().is_empty());
    assert_eq!(fake.x_renewals(), 0);
    let kept = app
        .store
        .network_tokens(app.a, "x", "renewed_")
        .await
        .unwrap();
    assert!(kept.is_empty());
}

/// Two worker processes (two registries over one database) find the token expired at the same
/// moment: the database lease lets one renew, the other takes its new pair — X sees one renewal,
/// so neither spends a refresh token the other already replaced.
#[tokio::test]
async fn two_workers_renew_the_expired_token_once_through_the_database_lease() {
    let fake = FakeNetworks::start().await.unwrap();
    let app = start(&fake).await;
    let configs = [musterstadt(&fake)];
    let registry = || {
        RegistryHandle::build(
            &app.store,
            &configs,
            reqwest::Client::new(),
            now_ms(),
            PUBLIC_URL,
        )
    };
    let (one, two) = (registry().await.unwrap(), registry().await.unwrap());
    let x = |r: &RegistryHandle| {
        r.current()
            .tenant(app.a)
            .unwrap()
            .publishers
            .get("x")
            .unwrap()
            .publisher
            .clone()
    };
    let (x1, x2) = (x(&one), x(&two));
    fake.expire_x_access_token();
    let post = |text: &str| rathaus_channels::publish::OutgoingPost {
        idempotency_key: format!("key-{text}"),
        text: text.into(),
        language: "de".into(),
        images: vec![],
        first_attempt_at: now_ms(),
    };
    let (p1, p2) = (post("Erster Beitrag"), post("Zweiter Beitrag"));
    let (r1, r2) = tokio::join!(x1.publish(&p1), x2.publish(&p2));
    r1.unwrap();
    r2.unwrap();
    assert_eq!(fake.x_renewals(), 1);
    assert_eq!(fake.tweets().len(), 2);
    let kept = app
        .store
        .network_tokens(app.a, "x", "renewed_refresh_token")
        .await
        .unwrap();
    assert_eq!(kept[0].1, "x-fake-refresh-token-1");
}
