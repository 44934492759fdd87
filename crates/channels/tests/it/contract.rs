//! Contract test: our WhatsApp requests validated by Prism against Meta's official OpenAPI spec.
//!
//! Prism (npm `@stoplight/prism-cli`, installed by scripts/test.sh into tests-e2e/) serves the spec from
//! `../shared/specs/` and answers 422 when a request does not match it. The spec is referenced, not copied.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use rathaus_channels::{default_http_client, WhatsAppClient};

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// The spec and the Prism binary, or None (a skip outside CI; a failure in CI).
fn prerequisites() -> Option<(PathBuf, PathBuf)> {
    let spec = std::env::var("RATHAUS_TEST_WHATSAPP_SPEC")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            repo_root().join("../shared/specs/whatsapp-business-messaging-api_v23.0.yaml")
        });
    let prism = repo_root().join("tests-e2e/node_modules/.bin/prism");
    if spec.exists() && prism.exists() {
        return Some((spec, prism));
    }
    let why = format!(
        "contract test needs {} and {}",
        spec.display(),
        prism.display()
    );
    if in_ci() {
        panic!("{why} (scripts/test.sh installs Prism; CI has shared/ beside the clone)");
    }
    eprintln!("skipping: {why}");
    None
}

struct Prism(tokio::process::Child);

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.0.start_kill();
    }
}

async fn start_prism(prism: &PathBuf, spec: &PathBuf) -> (Prism, String) {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let child = tokio::process::Command::new(prism)
        .args([
            "mock",
            "--errors",
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ])
        .arg(spec)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("prism starts");
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..300 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return (Prism(child), base);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("prism did not start within 30 s");
}

#[tokio::test]
async fn text_messages_match_the_official_spec() {
    let Some((spec, prism)) = prerequisites() else {
        return;
    };
    let (_prism, base) = start_prism(&prism, &spec).await;
    let client = WhatsAppClient::new(
        default_http_client().unwrap(),
        &base,
        "v23.0",
        "106540352242922",
        "EAAG-test-token",
    );
    let sent = client
        .send_text(
            "4915112345678",
            "Guten Tag, Ihr Anliegen ist bei uns eingegangen.",
        )
        .await
        .expect("Prism accepts the request as valid against the Message schema");
    assert!(!sent.platform_message_id.is_empty());
    let long = "Sehr geehrte Bürgerin, sehr geehrter Bürger, ".repeat(40);
    client
        .send_text("4915112345678", &long)
        .await
        .expect("long texts are valid too");

    // The check has teeth: a body that breaks the schema is refused by the same server.
    let res = reqwest::Client::new()
        .post(format!("{base}/v23.0/106540352242922/messages"))
        .bearer_auth("EAAG-test-token")
        .header("user-agent", rathaus_channels::USER_AGENT)
        .json(&serde_json::json!({"messaging_product": "whatsapp", "to": "4915112345678", "type": "text", "text": {"body": 42}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 422, "Prism validates request bodies");
}
