//! Failed logins are throttled per account and per address, without telling known from unknown
//! accounts; refused passkeys count like wrong passwords and codes.

use rathaus_store::{now_ms, AuditFilter, Role};

use crate::harness::{header, start, App, PASSWORD};
use crate::passkeys::{cookie_of, options, register, Authenticator, ORIGIN};

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

/// A passwordless passkey sign-in from `from`: status, Retry-After, whether a session was opened, body.
async fn passkey_attempt(
    app: &App,
    auth: &mut Authenticator,
    from: &str,
) -> (u16, String, bool, String) {
    let (opts, binding) = options(app, "", "/login/passkey/challenge").await;
    let form = auth.get(opts["publicKey"]["challenge"].as_str().unwrap(), ORIGIN);
    let res = app
        .http
        .post(app.url("/login/passkey"))
        .header("cookie", binding.unwrap())
        .header("sec-fetch-site", "same-origin")
        .header("x-forwarded-for", from)
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let retry_after = header(res.headers(), "retry-after").to_string();
    let session = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .any(|c| c.to_str().unwrap().starts_with("rathaus_session="));
    (status, retry_after, session, res.text().await.unwrap())
}

/// Someone else's key presented under a registered passkey's credential id: a bad signature.
fn impostor(of: &Authenticator) -> Authenticator {
    let mut fake = Authenticator::new(99);
    fake.credential_id = of.credential_id.clone();
    fake.user_handle = of.user_handle.clone();
    fake
}

/// A member with a registered passkey.
async fn with_passkey(app: &App, email: &str, role: Role) -> (i64, Authenticator) {
    let id = app.staff(app.a, email, role).await;
    let cookie = app.login(email).await;
    let mut laptop = Authenticator::new(7);
    register(app, &cookie, &mut laptop, "Dienstlaptop").await;
    app.post_form(&cookie, "/logout", &[]).await;
    (id, laptop)
}

async fn lockouts(app: &App) -> Vec<(String, String)> {
    let filter = AuditFilter {
        action_prefix: Some("login.locked".into()),
        ..AuditFilter::default()
    };
    let all = app.store.audit_entries(app.a, &filter).await.unwrap();
    all.into_iter()
        .map(|e| (e.target.unwrap_or_default(), e.details.unwrap_or_default()))
        .collect()
}

#[tokio::test]
async fn refused_passkeys_from_one_address_lock_it_even_for_a_valid_passkey() {
    let app = start().await;
    let email = "sb@musterstadt.de";
    let (id, mut laptop) = with_passkey(&app, email, Role::Agent).await;
    let from = "203.0.113.9";
    // An unknown credential and a registered one with a bad signature read exactly alike.
    let (status, _, session, unknown) =
        passkey_attempt(&app, &mut Authenticator::new(42), from).await;
    assert_eq!((status, session), (401, false));
    let (status, _, session, bad) = passkey_attempt(&app, &mut impostor(&laptop), from).await;
    assert_eq!((status, session), (401, false));
    assert!(
        unknown.contains("Der Passkey wurde abgelehnt."),
        "{unknown}"
    );
    assert_eq!(
        unknown, bad,
        "a known passkey must look like an unknown one"
    );
    for seed in 100..118 {
        let (status, ..) = passkey_attempt(&app, &mut Authenticator::new(seed), from).await;
        assert_eq!(status, 401);
    }

    // Twenty refusals from the address: even the right passkey is refused now, and so is a bad
    // signature (the lock comes before the signature is looked at).
    let (status, retry_after, session, body) = passkey_attempt(&app, &mut laptop, from).await;
    assert_eq!((status, session), (429, false), "{body}");
    assert!(
        body.contains("Zu viele fehlgeschlagene Anmeldeversuche")
            && body.contains("role=\"alert\""),
        "{body}"
    );
    assert!(retry_after.parse::<i64>().unwrap() > 500, "{retry_after}");
    let (status, ..) = passkey_attempt(&app, &mut impostor(&laptop), from).await;
    assert_eq!(status, 429);
    assert_eq!(
        app.store.staff_passkeys(id).await.unwrap()[0].last_used_at,
        None,
        "the passkey was not used"
    );
    // It is one throttle: the password from that address is refused as well.
    let (status, _, cookie, _) = attempt(&app, email, PASSWORD, from).await;
    assert_eq!((status, cookie), (429, false));

    // Another address is not locked; the passkey signs in from there.
    let (status, _, session, _) = passkey_attempt(&app, &mut laptop, "203.0.113.10").await;
    assert_eq!((status, session), (303, true));

    // Once the address's window has passed (failures recorded eleven minutes ago), it may sign in.
    let app = start().await;
    let (_, mut laptop) = with_passkey(&app, email, Role::Agent).await;
    for _ in 0..20 {
        app.store
            .record_address_login_failure(Some(from), now_ms() - 11 * MIN_MS)
            .await
            .unwrap();
    }
    let (status, _, session, _) = passkey_attempt(&app, &mut laptop, from).await;
    assert_eq!((status, session), (303, true));
}

#[tokio::test]
async fn refused_passkeys_lock_their_account_and_a_passkey_sign_in_resets_the_count() {
    let app = start().await;
    let email = "sb@musterstadt.de";
    let (id, mut laptop) = with_passkey(&app, email, Role::Agent).await;
    // Five bad signatures for the account, each from another address, lock it like five wrong passwords.
    for i in 0..5 {
        let (status, ..) =
            passkey_attempt(&app, &mut impostor(&laptop), &format!("198.51.100.{i}")).await;
        assert_eq!(status, 401);
    }
    let (status, retry_after, session, body) =
        passkey_attempt(&app, &mut laptop, "198.51.100.77").await;
    assert_eq!((status, session), (429, false), "{body}");
    assert!(body.contains("Zu viele fehlgeschlagene Anmeldeversuche"));
    let secs: i64 = retry_after.parse().unwrap();
    assert!((55..=60).contains(&secs), "{retry_after}");
    let (status, ..) = attempt(&app, email, PASSWORD, "198.51.100.78").await;
    assert_eq!(status, 429, "the password of that account is locked too");
    let locked = lockouts(&app).await;
    assert_eq!(locked.len(), 1, "{locked:?}");
    assert_eq!(locked[0].0, format!("staff:{id}"));
    assert!(locked[0].1.starts_with("account"), "{locked:?}");

    // Once the lock has passed (six failures three minutes ago), the passkey signs in and the
    // account starts again: four more failures do not lock it.
    let app = start().await;
    let (_, mut laptop) = with_passkey(&app, email, Role::Agent).await;
    for _ in 0..6 {
        app.store
            .record_login_failure(email, None, now_ms() - 3 * MIN_MS)
            .await
            .unwrap();
    }
    let (status, _, session, _) = passkey_attempt(&app, &mut laptop, "198.51.100.1").await;
    assert_eq!((status, session), (303, true));
    for _ in 0..4 {
        let (status, ..) = passkey_attempt(&app, &mut impostor(&laptop), "198.51.100.1").await;
        assert_eq!(status, 401);
    }
    let (status, _, session, _) = passkey_attempt(&app, &mut laptop, "198.51.100.1").await;
    assert_eq!(
        (status, session),
        (303, true),
        "the earlier failures no longer count"
    );
    let (status, ..) = attempt(&app, email, PASSWORD, "198.51.100.1").await;
    assert_eq!(status, 303);
}

#[tokio::test]
async fn refused_passkeys_at_the_second_step_lock_the_account_and_end_the_pending_login() {
    let app = start().await;
    let email = "anna@musterstadt.de";
    // An administrator whose only second factor is the passkey.
    let (id, mut key) = with_passkey(&app, email, Role::Admin).await;
    let from = "198.51.100.20";
    let res = app
        .http
        .post(app.url("/login"))
        .header("sec-fetch-site", "same-origin")
        .header("x-forwarded-for", from)
        .form(&[("email", email), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert!(header(res.headers(), "location").starts_with("/login/mfa"));
    let pending = cookie_of(&res);
    let second = |form: Vec<(&'static str, String)>| {
        let (app, pending) = (&app, pending.clone());
        async move {
            app.http
                .post(app.url("/login/mfa/passkey"))
                .header("cookie", pending)
                .header("sec-fetch-site", "same-origin")
                .header("x-forwarded-for", from)
                .form(&form)
                .send()
                .await
                .unwrap()
        }
    };
    for _ in 0..5 {
        let (opts, _) = options(&app, &pending, "/login/mfa/passkey/challenge").await;
        let form = impostor(&key).get(opts["publicKey"]["challenge"].as_str().unwrap(), ORIGIN);
        let res = second(form).await;
        assert_eq!(res.status().as_u16(), 401);
        let body = res.text().await.unwrap();
        assert!(
            body.contains("Der Passkey wurde abgelehnt.")
                && body.contains("action=\"/login/mfa/passkey\""),
            "the second step again: {body}"
        );
    }
    // Locked: the right passkey is refused and the half-finished login is over.
    let (opts, _) = options(&app, &pending, "/login/mfa/passkey/challenge").await;
    let form = key.get(opts["publicKey"]["challenge"].as_str().unwrap(), ORIGIN);
    let res = second(form).await;
    assert_eq!(res.status().as_u16(), 429);
    let secs: i64 = header(res.headers(), "retry-after").parse().unwrap();
    assert!((55..=60).contains(&secs), "{secs}");
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Zu viele fehlgeschlagene Anmeldeversuche"));
    assert_eq!(
        app.get_page(&pending, "/login/mfa").await.0,
        303,
        "the pending login is gone"
    );
    let (status, ..) = attempt(&app, email, PASSWORD, "198.51.100.21").await;
    assert_eq!(status, 429, "the account is locked for the password too");
    let locked = lockouts(&app).await;
    assert_eq!(locked.len(), 1, "{locked:?}");
    assert_eq!(locked[0].0, format!("staff:{id}"));
}
