//! Headless Chromium drives the staff UI: log in, open the concern, answer; the answer reaches the platform.

use rathaus::demo::{DEMO_AGENT, DEMO_PASSWORD, DEMO_PHONE_NUMBER_ID};
use rathaus::simulate::{whatsapp_message, whatsapp_text};
use rathaus_store::now_ms;
use serde_json::Value;

use crate::harness::{Db, Instance};

/// Where the npm tooling lives (scripts/test.sh sets RATHAUS_TEST_E2E_DIR); None outside CI means "skip".
fn e2e_dir() -> Option<std::path::PathBuf> {
    let dir = std::env::var("RATHAUS_TEST_E2E_DIR")
        .ok()
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests-e2e")
        });
    if dir.join("node_modules/playwright-core").exists()
        && std::path::Path::new("/usr/bin/chromium").exists()
    {
        return Some(dir);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("browser tooling missing in CI: run scripts/test.sh (installs chromium and tests-e2e/node_modules)");
    }
    eprintln!("skipping browser test: no chromium or tests-e2e/node_modules (scripts/test.sh installs them)");
    None
}

#[tokio::test]
async fn staff_answers_in_chromium() {
    let Some(dir) = e2e_dir() else { return };
    let inst = Instance::start(&Db::Sqlite, true).await;
    let store = &inst.r().store;
    let m = store
        .municipality_by_slug("musterstadt")
        .await
        .unwrap()
        .unwrap();
    let hash = rathaus_web::passwords::hash_password(DEMO_PASSWORD);
    store
        .upsert_staff(
            m.id,
            DEMO_AGENT,
            "Sven Sachbearbeiter",
            Some(&hash),
            rathaus_store::Role::Agent,
            now_ms(),
        )
        .await
        .unwrap();
    let phone = "4917099887766";
    for (id, text) in [
        ("wamid.b1", "Start"),
        ("wamid.b2", "Der Gehweg in der Birkenallee ist vereist."),
    ] {
        let body = whatsapp_message(
            DEMO_PHONE_NUMBER_ID,
            phone,
            "Bea Beispiel",
            whatsapp_text(phone, id, now_ms() / 1000, text),
        );
        assert_eq!(inst.post_wa(&body).await, 200);
    }
    inst.eventually("concern filed", || !inst.platform.sent_texts().is_empty())
        .await;
    inst.drain().await;

    let reply = "Der Winterdienst ist informiert und streut heute noch.";
    let shots = std::env::var("RATHAUS_TEST_E2E_SCREENSHOTS").ok();
    let mut cmd = tokio::process::Command::new("node");
    cmd.current_dir(&dir)
        .arg("answer-concern.mjs")
        .arg(inst.url())
        .arg(DEMO_AGENT)
        .arg(DEMO_PASSWORD)
        .arg(reply);
    if let Some(s) = &shots {
        cmd.arg(s);
    }
    let out = cmd.output().await.expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "browser run failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Value = serde_json::from_str(stdout.lines().last().unwrap_or("{}")).unwrap();

    let inbox = seen["inboxText"].as_str().unwrap();
    assert!(
        inbox.contains("Bürger·"),
        "inbox shows the pseudonym: {inbox}"
    );
    assert!(!inbox.contains(phone), "inbox never shows the phone number");
    assert!(seen["afterReplyText"].as_str().unwrap().contains(reply));
    assert_eq!(seen["mobileReplyVisible"], true);
    for (page, violations) in seen["audits"].as_object().unwrap() {
        assert!(
            violations.as_array().unwrap().is_empty(),
            "WCAG violations on {page}: {violations}"
        );
    }

    inst.eventually("reply reached the platform", || {
        inst.platform
            .sent_texts()
            .iter()
            .any(|t| t.text == reply && t.recipient == phone)
    })
    .await;
    inst.running.unwrap().stop().await;
}
