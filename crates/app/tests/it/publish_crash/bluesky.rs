//! The crash test against Bluesky's reference PDS: the server is killed after the PDS wrote the post but before Rathaus got the answer; after the restart the account has the post once.

use serde_json::{json, Value};

use super::held_pds::HeldPds;
use super::{api, api_token, channel, serve, settle, wait_for, write_config};
use crate::harness::{databases, Db};
use crate::staged_media_split::free_port;

/// The loopback PDS's account from scripts/test.sh: (PDS, handle, DID, app password); None (the test
/// is skipped) outside CI when it is not running.
fn bluesky_account() -> Option<(String, String, String, String)> {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    match (
        var("RATHAUS_TEST_BLUESKY_PDS"),
        var("RATHAUS_TEST_BLUESKY_HANDLE"),
        var("RATHAUS_TEST_BLUESKY_DID"),
        var("RATHAUS_TEST_BLUESKY_APP_PASSWORD"),
    ) {
        (Some(pds), Some(handle), Some(did), Some(pw)) => Some((pds, handle, did, pw)),
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

/// The account's posts on the PDS itself (every page of `com.atproto.repo.listRecords`).
async fn bluesky_posts(http: &reqwest::Client, pds: &str, did: &str) -> Vec<Value> {
    let mut records = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![
            ("repo", did.to_string()),
            ("collection", "app.bsky.feed.post".to_string()),
            ("limit", "100".to_string()),
        ];
        if let Some(c) = &cursor {
            query.push(("cursor", c.clone()));
        }
        let page: Value = http
            .get(format!("{pds}/xrpc/com.atproto.repo.listRecords"))
            .query(&query)
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .json()
            .await
            .unwrap();
        let batch = page["records"].as_array().cloned().unwrap_or_default();
        let done = batch.is_empty();
        records.extend(batch);
        cursor = page["cursor"].as_str().map(str::to_string);
        if done || cursor.is_none() {
            return records;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_after_the_bluesky_pds_wrote_the_post_nothing_twice_after_its_restart() {
    let Some(account) = bluesky_account() else {
        return;
    };
    for db in databases().await {
        killed_while_bluesky_answers(&db, &account).await;
    }
}

async fn killed_while_bluesky_answers(db: &Db, account: &(String, String, String, String)) {
    let (pds, handle, did, app_password) = account;
    let held = HeldPds::start(pds).await;
    let dir = tempfile::tempdir().unwrap();
    let channels = format!(
        r#"[[municipality.bluesky]]
name = "bluesky"
pds = "{}"
handle = "{handle}"
app_password = "{app_password}"
"#,
        held.url
    );
    let cfg = write_config(dir.path(), db, free_port(), &channels);
    let token = api_token(&cfg);
    let http = reqwest::Client::new();

    // The PDS will write the post; its answer never reaches Rathaus.
    held.withhold_next_create_record();
    let mut first = serve(&cfg).await;
    // Other tests post with the same account: this text is only this run's.
    let text = format!(
        "Wahllokale öffnen am Sonntag um 8 Uhr (Aushang {:08x}).",
        rand::random::<u32>()
    );
    let (s, v) = api(
        &http,
        &first,
        &token,
        reqwest::Method::POST,
        "/api/v1/posts",
        Some(json!({"text": text, "language": "de", "media": [], "channels": ["bluesky"]})),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_i64().unwrap();
    for step in ["submit", "approve"] {
        let path = format!("/api/v1/posts/{id}/{step}");
        let (s, v) = api(&http, &first, &token, reqwest::Method::POST, &path, None).await;
        assert_eq!(s, 200, "{step}: {v}");
    }

    wait_for("the PDS to write the post", || {
        !held.withheld_answers().is_empty()
    })
    .await;
    first.child.start_kill().unwrap();
    let status = first.child.wait().await.unwrap();
    assert!(!status.success(), "killed, not ended: {status:?}");
    let written = held.withheld_answers();
    let uri = written[0]["uri"]
        .as_str()
        .unwrap_or_else(|| panic!("the PDS did not take the post: {written:?}"))
        .to_string();

    // The PDS has it; Rathaus does not know.
    let ours = |records: &[Value]| -> Vec<String> {
        records
            .iter()
            .filter(|r| r["value"]["text"] == json!(text))
            .map(|r| r["uri"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ours(&bluesky_posts(&http, pds, did).await), [uri.as_str()]);
    let config = rathaus::config::Config::load_with_env(Some(&cfg), &[]).unwrap();
    let store = rathaus::server::open_store(&config).await.unwrap();
    let states = store.publication_states(id).await.unwrap();
    assert!(
        states
            .iter()
            .any(|p| p.channel == "bluesky" && p.status == "sending"),
        "{states:?}"
    );
    store.close().await;

    let mut second = serve(&cfg).await;
    let settled = settle(&http, &second, &token, id).await;

    // Read back from the PDS: the post once, the one the dead process had sent.
    assert_eq!(
        ours(&bluesky_posts(&http, pds, did).await),
        [uri.as_str()],
        "Bluesky has the post once"
    );
    assert_eq!(
        held.calls("com.atproto.repo.createRecord"),
        1,
        "never written a second time"
    );
    let b = channel(&settled, "bluesky");
    assert_eq!(b["status"], json!("published"), "{settled}");
    let rkey = uri.rsplit('/').next().unwrap();
    assert_eq!(
        b["url"],
        json!(format!("https://bsky.app/profile/{handle}/post/{rkey}"))
    );

    second.child.start_kill().unwrap();
    second.child.wait().await.unwrap();
}
