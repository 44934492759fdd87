//! Headless Chromium audits the staff pages (axe-core, WCAG 2.1 AA) on desktop and phone widths.

use std::process::Stdio;

use rathaus_domain::MessageContent;
use rathaus_store::{now_ms, Role};
use tokio::io::AsyncWriteExt;

use crate::harness::{start, HOUR_MS, PHONE};

/// The npm tooling (playwright-core, axe-core) and Chromium; None means "skip" outside CI.
pub(crate) fn e2e_dir() -> Option<std::path::PathBuf> {
    let dir = std::env::var("RATHAUS_TEST_E2E_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests-e2e")
        });
    let chromium =
        std::env::var("RATHAUS_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if dir.join("node_modules/playwright-core").exists() && std::path::Path::new(&chromium).exists()
    {
        return Some(dir);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("browser tooling missing in CI: run scripts/test.sh");
    }
    eprintln!("skipping browser audit: no chromium or tests-e2e/node_modules");
    None
}

pub(crate) async fn audit(dir: &std::path::Path, args: &[String]) -> serde_json::Value {
    run_script(dir, include_bytes!("audit_pages.mjs"), args).await
}

/// Runs a browser script (an ES module on stdin) with node in `dir` (tests-e2e/, where playwright is
/// installed) and returns the JSON object it prints last; a failing script fails the test with its output.
pub(crate) async fn run_script(
    dir: &std::path::Path,
    script: &[u8],
    args: &[String],
) -> serde_json::Value {
    let mut child = tokio::process::Command::new("node")
        .current_dir(dir)
        .arg("--input-type=module")
        .arg("-")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node runs");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(script).await.unwrap();
    drop(stdin);
    let out = child.wait_with_output().await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "browser run failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.lines().last().unwrap_or("{}")).unwrap()
}

pub(crate) fn assert_clean(seen: &serde_json::Value) {
    for (page, views) in seen["pages"].as_object().unwrap() {
        for (view, r) in views.as_object().unwrap() {
            assert!(
                r["violations"].as_array().unwrap().is_empty(),
                "WCAG violations on {page} ({view}): {}",
                r["violations"]
            );
            assert_eq!(r["overflow"], false, "{page} ({view}) overflows sideways");
        }
    }
    // 404 pages are audited on purpose; their status shows up as a console error, anything else counts.
    let errors: Vec<&str> = seen["consoleErrors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e.as_str())
        .filter(|e| !e.contains("status of 404"))
        .collect();
    assert!(errors.is_empty(), "console errors (e.g. CSP): {errors:?}");
}

#[tokio::test]
async fn pages_pass_axe_and_fit_a_phone() {
    let Some(dir) = e2e_dir() else { return };
    let app = start().await;
    app.staff(app.a, "sb@musterstadt.de", Role::Agent).await;
    app.staff(app.a, "kollegin@musterstadt.de", Role::Agent)
        .await;
    let (id, _) = app
        .concern(
            app.a,
            PHONE,
            "Die Laterne in der Lindenstraße ist seit Tagen aus.\nBitte reparieren.",
        )
        .await;
    let (citizen, img, _) = app.concern_with_image(app.a, "4917000000002").await;
    let _ = citizen;
    let old = app.citizen(app.a, "4917000000003").await;
    let (closed, _) = app
        .file(
            &old,
            "old",
            MessageContent::Text {
                body: "Alte Frage".into(),
            },
            25 * HOUR_MS,
        )
        .await;
    let cookie = app.login("sb@musterstadt.de").await;
    app.post_form(
        &cookie,
        &format!("/concerns/{id}/reply"),
        &[("text", "Wir kümmern uns.")],
    )
    .await;
    app.post_form(
        &cookie,
        &format!("/concerns/{id}/note"),
        &[("text", "Bauhof informiert")],
    )
    .await;
    let setup = app
        .store
        .create_setup_link(app.a, now_ms(), HOUR_MS)
        .await
        .unwrap();
    let (name, value) = cookie.split_once('=').unwrap();

    let paths = [
        "/inbox".to_string(),
        "/inbox?status=resolved".to_string(),
        format!("/concerns/{id}?msg=sent"),
        format!("/concerns/{img}"),
        format!("/concerns/{closed}"),
        "/concerns/999999".to_string(),
    ];
    let mut args = vec![app.base.clone(), name.to_string(), value.to_string()];
    args.extend(paths);
    assert_clean(&audit(&dir, &args).await);

    // The privacy center, as the data-protection officer sees it (with an overdue request and a resolved concern).
    app.staff(app.a, "dsb@musterstadt.de", Role::Dpo).await;
    let first = app.store.concern_summary(app.a, id).await.unwrap().unwrap();
    let person = app.store.citizen(app.a, first.citizen_id).await.unwrap();
    app.store
        .open_request(&person, "access", "keyword", now_ms() - 31 * 24 * HOUR_MS)
        .await
        .unwrap();
    app.store
        .set_concern_status(
            app.a,
            closed,
            rathaus_domain::ConcernStatus::Resolved,
            now_ms(),
        )
        .await
        .unwrap();
    let dpo = app.login("dsb@musterstadt.de").await;
    let c = first.citizen_id;
    app.get_page(&dpo, &format!("/privacy/citizens/{c}")).await;
    let (name, value) = dpo.split_once('=').unwrap();
    let mut args = vec![app.base.clone(), name.to_string(), value.to_string()];
    args.extend([
        "/privacy".to_string(),
        "/privacy/find".to_string(),
        format!("/privacy/citizens/{c}"),
        format!("/privacy/citizens/{c}/erase"),
        "/privacy/audit".to_string(),
        "/privacy/audit?action=nichts".to_string(),
        "/inbox?status=resolved".to_string(),
        format!("/concerns/{closed}"),
    ]);
    assert_clean(&audit(&dir, &args).await);

    // Pages without a session, in both languages.
    let args = vec![
        app.base.clone(),
        String::new(),
        String::new(),
        "/login".to_string(),
        "/login?lang=en".to_string(),
        format!("/setup/{setup}"),
        "/setup/not-a-link".to_string(),
    ];
    assert_clean(&audit(&dir, &args).await);
}
