//! Failed logins are throttled per account and per address, without telling known from unknown accounts.

use rathaus_store::{now_ms, AuditFilter, Role};

use crate::harness::{header, start, App, PASSWORD};

const MIN_MS: i64 = 60 * 1000;

async fn attempt(
    app: &App,
    email: &str,
    password: &str,
    from: &str,
) -> (u16, String, bool, String) {
    let res = app
        .http
        .post(app.url("/login"))
        .header("sec-fetch-site", "same-origin")
        .header("x-forwarded-for", from)
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let retry_after = header(res.headers(), "retry-after").to_string();
    let cookie = res.headers().get("set-cookie").is_some();
    let body = res.text().await.unwrap().replace(email, "EMAIL");
    (status, retry_after, cookie, body)
}

#[tokio::test]
async fn five_failures_lock_the_account_alike_for_known_and_unknown_e_mails() {
    let app = start().await;
    app.staff(app.a, "sb@musterstadt.de", Role::Agent).await;
    let mut runs = Vec::new();
    for email in ["sb@musterstadt.de", "niemand@musterstadt.de"] {
        let mut answers = Vec::new();
        for i in 0..5 {
            let (status, _, cookie, body) =
                attempt(&app, email, "falsches Passwort", &format!("198.51.100.{i}")).await;
            assert!(!cookie);
            assert!(body.contains("E-Mail-Adresse oder Passwort ist falsch."));
            answers.push((status, body));
        }
        // Locked now, even with the right password and from another address.
        let (status, retry_after, cookie, body) =
            attempt(&app, email, PASSWORD, "198.51.100.77").await;
        assert_eq!(status, 429, "{email}");
        assert!(!cookie);
        assert!(
            body.contains("Zu viele fehlgeschlagene Anmeldeversuche")
                && body.contains("role=\"alert\""),
            "{body}"
        );
        let secs: i64 = retry_after.parse().unwrap();
        assert!((55..=60).contains(&secs), "{retry_after}");
        answers.push((status, body));
        runs.push(answers);
    }
    assert_eq!(
        runs[0], runs[1],
        "a known account must look like an unknown one"
    );

    let locked = app
        .store
        .audit_entries(
            app.a,
            &AuditFilter {
                action_prefix: Some("login.locked".into()),
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(locked.len(), 1, "{locked:?}");
    assert!(locked[0].details.as_deref().unwrap().starts_with("account"));
}

#[tokio::test]
async fn the_lock_ends_doubles_with_more_failures_and_a_success_resets_it() {
    let app = start().await;
    app.staff(app.a, "sb@musterstadt.de", Role::Agent).await;
    let email = "sb@musterstadt.de";
    let now = now_ms();
    // Five failures 61 seconds ago: the one-minute lock is over.
    for _ in 0..5 {
        app.store
            .record_login_failure(email, None, now - 61 * 1000)
            .await
            .unwrap();
    }
    // One more failure now: six failures lock for two minutes.
    let (status, ..) = attempt(&app, email, "falsch", "198.51.100.1").await;
    assert_eq!(status, 401);
    let (status, retry_after, ..) = attempt(&app, email, PASSWORD, "198.51.100.1").await;
    assert_eq!(status, 429);
    let secs: i64 = retry_after.parse().unwrap();
    assert!((115..=120).contains(&secs), "doubled: {retry_after}");

    // Once that lock is over (failures moved back in time), the right password signs in and clears the count.
    let app2 = start().await;
    app2.staff(app2.a, email, Role::Agent).await;
    for _ in 0..6 {
        app2.store
            .record_login_failure(email, None, now - 3 * MIN_MS)
            .await
            .unwrap();
    }
    let (status, _, cookie, _) = attempt(&app2, email, PASSWORD, "198.51.100.1").await;
    assert_eq!((status, cookie), (303, true));
    for _ in 0..4 {
        assert_eq!(attempt(&app2, email, "falsch", "198.51.100.1").await.0, 401);
    }
    assert_eq!(
        attempt(&app2, email, PASSWORD, "198.51.100.1").await.0,
        303,
        "the earlier failures no longer count"
    );
}

#[tokio::test]
async fn twenty_failures_from_one_address_refuse_it_but_not_others() {
    let app = start().await;
    app.staff(app.a, "sb@musterstadt.de", Role::Agent).await;
    for i in 0..20 {
        let (status, ..) = attempt(
            &app,
            &format!("rate{i}@musterstadt.de"),
            "falsch",
            "203.0.113.9",
        )
        .await;
        assert_eq!(status, 401);
    }
    let (status, retry_after, cookie, _) =
        attempt(&app, "sb@musterstadt.de", PASSWORD, "203.0.113.9").await;
    assert_eq!((status, cookie), (429, false));
    assert!(retry_after.parse::<i64>().unwrap() > 500);
    let (status, _, cookie, _) = attempt(&app, "sb@musterstadt.de", PASSWORD, "203.0.113.10").await;
    assert_eq!((status, cookie), (303, true));
}
