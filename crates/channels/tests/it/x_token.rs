//! Renewing the X user token against the fake X: an expired token is renewed once with the refresh token and the post goes out; the rotated pair is kept and used next time; two workers renew once; a refused renewal asks for re-authorisation.

use std::sync::{Arc, Mutex};

use rathaus_channels::fake_networks::{
    FakeNetworks, X_CLIENT_ID, X_CLIENT_SECRET, X_REFRESH_TOKEN, X_TOKEN,
};
use rathaus_channels::publish::{BoxFuture, PublishError, XConfig};
use rathaus_channels::x::{XClient, XTokenKeeper, XTokens};
use serde_json::json;

use crate::publish_images::post_with;

/// A keeper in memory, shared by the clients of one test as the database is by workers.
#[derive(Default)]
struct MemoryKeeper {
    kept: Mutex<Option<XTokens>>,
    locked: Mutex<bool>,
    keeps: Mutex<u32>,
}

impl XTokenKeeper for MemoryKeeper {
    fn load(&self) -> BoxFuture<'_, Result<Option<XTokens>, String>> {
        let kept = self.kept.lock().unwrap().clone();
        Box::pin(async move { Ok(kept) })
    }

    fn keep<'a>(&'a self, tokens: &'a XTokens) -> BoxFuture<'a, Result<(), String>> {
        *self.kept.lock().unwrap() = Some(tokens.clone());
        *self.keeps.lock().unwrap() += 1;
        Box::pin(async { Ok(()) })
    }

    fn lock(&self) -> BoxFuture<'_, Result<bool, String>> {
        let mut l = self.locked.lock().unwrap();
        let took = !*l;
        *l = true;
        Box::pin(async move { Ok(took) })
    }

    fn unlock(&self) -> BoxFuture<'_, ()> {
        *self.locked.lock().unwrap() = false;
        Box::pin(async {})
    }
}

fn config(fake: &FakeNetworks, keeper: Option<Arc<MemoryKeeper>>, secret: bool) -> XConfig {
    let mut c: XConfig = serde_json::from_value(json!({
        "access_token": X_TOKEN,
        "refresh_token": X_REFRESH_TOKEN,
        "client_id": X_CLIENT_ID,
        "api_base": fake.base_url(),
    }))
    .unwrap();
    if secret {
        c.client_secret = Some(X_CLIENT_SECRET.into());
    }
    c.token_keeper = keeper.map(|k| k as Arc<dyn XTokenKeeper>);
    c
}

fn http() -> reqwest::Client {
    rathaus_channels::publish::publishing_http_client().unwrap()
}

fn token_requests(fake: &FakeNetworks) -> Vec<serde_json::Value> {
    fake.requests()
        .into_iter()
        .filter(|r| r.path == "/2/oauth2/token")
        .map(|r| r.body)
        .collect()
}

#[tokio::test]
async fn an_expired_x_token_is_renewed_once_and_the_rotated_refresh_token_is_used_next() {
    let fake = FakeNetworks::start().await.unwrap();
    let keeper = Arc::new(MemoryKeeper::default());
    let x = XClient::new(&config(&fake, Some(keeper.clone()), false), http());
    x.publish(&post_with("x-1", "Vor dem Ablauf", vec![]))
        .await
        .unwrap();
    assert_eq!(fake.x_renewals(), 0, "a valid token is not renewed");

    // Two hours later: X refuses the token; it is renewed and the post goes out.
    fake.expire_x_access_token();
    fake.clear_requests();
    let remote = x
        .publish(&post_with("x-2", "Nach dem Ablauf", vec![]))
        .await
        .unwrap();
    assert_eq!(fake.x_renewals(), 1);
    assert_eq!(fake.tweets().len(), 2);
    assert_eq!(fake.tweets()[1]["id"], json!(remote.id));
    // The refused call, the renewal (a public client names its client id), the repeated call.
    insta::assert_json_snapshot!("x_token_renewal", fake.snapshot());
    let calls: Vec<(String, Option<String>)> = fake
        .requests()
        .into_iter()
        .map(|r| (r.path, r.authorization))
        .collect();
    assert_eq!(
        calls,
        vec![
            ("/2/tweets".into(), Some(format!("Bearer {X_TOKEN}"))),
            ("/2/oauth2/token".into(), None),
            (
                "/2/tweets".into(),
                Some("Bearer x-fake-oauth2-user-token-1".into())
            ),
        ]
    );
    let kept = keeper.kept.lock().unwrap().clone().unwrap();
    assert_eq!(kept.access_token, "x-fake-oauth2-user-token-1");
    assert_eq!(kept.refresh_token, "x-fake-refresh-token-1");
    let in_two_hours = jiff::Timestamp::now().as_millisecond() + 7_200_000;
    assert!(kept
        .expires_at
        .is_some_and(|at| (in_two_hours - 5_000..=in_two_hours).contains(&at)));
    assert!(!*keeper.locked.lock().unwrap(), "the lock is given back");

    // Next expiry: renewed with the rotated refresh token, by a client started afresh (a restart)
    // that takes the kept pair over instead of the configured one.
    fake.expire_x_access_token();
    let restarted = XClient::new(&config(&fake, Some(keeper.clone()), false), http());
    restarted
        .publish(&post_with("x-3", "Nach dem Neustart", vec![]))
        .await
        .unwrap();
    assert_eq!(fake.x_renewals(), 2);
    let bodies = token_requests(&fake);
    assert_eq!(
        bodies.last().unwrap()["refresh_token"],
        json!("x-fake-refresh-token-1")
    );
    assert_eq!(
        keeper.kept.lock().unwrap().clone().unwrap().refresh_token,
        "x-fake-refresh-token-2"
    );
}

#[tokio::test]
async fn a_known_expiry_is_renewed_before_the_call_and_a_confidential_client_uses_basic_auth() {
    let fake = FakeNetworks::start().await.unwrap();
    fake.set_x_confidential_client(true);
    let keeper = Arc::new(MemoryKeeper::default());
    // A kept pair whose expiry has passed: renewed before X is even asked.
    *keeper.kept.lock().unwrap() = Some(XTokens {
        access_token: X_TOKEN.into(),
        refresh_token: X_REFRESH_TOKEN.into(),
        expires_at: Some(jiff::Timestamp::now().as_millisecond() - 1_000),
    });
    let x = XClient::new(&config(&fake, Some(keeper.clone()), true), http());
    x.publish(&post_with("x-c", "Vertrauliche App", vec![]))
        .await
        .unwrap();
    let requests = fake.requests();
    assert_eq!(requests[0].path, "/2/oauth2/token");
    assert!(requests[0]
        .authorization
        .as_deref()
        .is_some_and(|a| a.starts_with("Basic ")));
    assert_eq!(
        requests[0].body,
        json!({"refresh_token": X_REFRESH_TOKEN, "grant_type": "refresh_token"}),
        "a confidential client authenticates by header only"
    );
    assert_eq!(requests.len(), 2, "no refused call first");
    assert_eq!(fake.tweets().len(), 1);
}

#[tokio::test]
async fn two_workers_with_an_expired_token_renew_it_once_and_both_post() {
    let fake = FakeNetworks::start().await.unwrap();
    let keeper = Arc::new(MemoryKeeper::default());
    let a = XClient::new(&config(&fake, Some(keeper.clone()), false), http());
    let b = XClient::new(&config(&fake, Some(keeper.clone()), false), http());
    fake.expire_x_access_token();
    let (pa, pb) = (
        post_with("x-a", "Erster Beitrag", vec![]),
        post_with("x-b", "Zweiter Beitrag", vec![]),
    );
    let (ra, rb) = tokio::join!(a.publish(&pa), b.publish(&pb));
    ra.unwrap();
    rb.unwrap();
    assert_eq!(
        fake.x_renewals(),
        1,
        "the second worker took the first one's tokens"
    );
    assert_eq!(token_requests(&fake).len(), 1);
    assert_eq!(fake.tweets().len(), 2);
    assert_eq!(*keeper.keeps.lock().unwrap(), 1);
}

#[tokio::test]
async fn a_refused_renewal_says_the_x_connection_must_be_authorised_again() {
    let fake = FakeNetworks::start().await.unwrap();
    let keeper = Arc::new(MemoryKeeper::default());
    let x = XClient::new(&config(&fake, Some(keeper.clone()), false), http());
    fake.revoke_x_refresh_token();
    let err = x
        .publish(&post_with("x-r", "Zugang entzogen", vec![]))
        .await
        .unwrap_err();
    assert!(matches!(err, PublishError::Permanent { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("muss neu autorisiert werden"), "{text}");
    assert!(text.contains("must be authorised again"), "{text}");
    assert!(
        text.contains("Value passed for the token was invalid"),
        "{text}"
    );
    assert!(
        !text.contains(X_REFRESH_TOKEN) && !text.contains(X_TOKEN),
        "{text}"
    );
    assert!(fake.tweets().is_empty());
    assert!(keeper.kept.lock().unwrap().is_none());
    assert!(!*keeper.locked.lock().unwrap(), "the lock is given back");
}
