//! Two-factor sign-in: required enrolment for admins and officers, the code step, replay, recovery codes.

use rathaus_store::{now_ms, AuditFilter, Role};
use rathaus_web::security::totp;

use crate::harness::{header, start, App, PASSWORD};

/// RFC 4648 base32 (upper case, no padding), as the page shows the secret.
fn base32_decode(s: &str) -> Vec<u8> {
    const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0);
    for c in s.chars().filter(|c| !c.is_whitespace()) {
        buffer = (buffer << 5) | ALPHABET.find(c).unwrap() as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    out
}

fn between<'a>(body: &'a str, start: &str, end: &str) -> &'a str {
    let i = body
        .find(start)
        .unwrap_or_else(|| panic!("{start} not in {body}"))
        + start.len();
    &body[i..i + body[i..].find(end).unwrap()]
}

fn cookie_of(res: &reqwest::Response) -> String {
    header(res.headers(), "set-cookie")
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

/// Sets up the second factor through the pages; returns the new session cookie, the secret and the
/// recovery codes shown.
pub async fn enrol(app: &App, cookie: &str) -> (String, Vec<u8>, Vec<String>) {
    let (status, body) = app.get_page(cookie, "/account/mfa").await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("src=\"data:image/svg+xml;base64,"),
        "server-drawn QR code"
    );
    assert!(
        body.contains("otpauth://totp/Rathaus%20Musterstadt:"),
        "{body}"
    );
    assert!(!body.contains("<script"));
    let secret = base32_decode(between(&body, "class=\"secret\">", "</code>"));
    assert_eq!(secret.len(), totp::SECRET_BYTES);

    let res = app
        .post_form(cookie, "/account/mfa", &[("code", "000000")])
        .await;
    assert_eq!(res.status().as_u16(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains("role=\"alert\"") && body.contains("Der Code ist falsch"));

    let code = totp::code_for_step(&secret, totp::step_at(now_ms()));
    let res = app
        .post_form(cookie, "/account/mfa", &[("code", &code)])
        .await;
    assert_eq!(res.status().as_u16(), 200);
    let new_cookie = cookie_of(&res);
    assert_ne!(new_cookie, cookie, "a new session id after the change");
    let body = res.text().await.unwrap();
    let codes: Vec<String> = body
        .split("<li><code>")
        .skip(1)
        .map(|s| s[..s.find("</code>").unwrap()].to_string())
        .collect();
    assert_eq!(codes.len(), 10, "{body}");
    // The old session id is gone.
    let (status, _) = app.get_page(cookie, "/account/mfa").await;
    assert_eq!(status, 303);
    (new_cookie, secret, codes)
}

async fn password_step(app: &App, email: &str) -> reqwest::Response {
    app.http
        .post(app.url("/login"))
        .header("sec-fetch-site", "same-origin")
        .header("cookie", "rathaus_session=chosen-by-an-attacker")
        .form(&[("email", email), ("password", PASSWORD)])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_admin_must_set_up_the_second_factor_first_then_signs_in_with_a_code_once() {
    let app = start().await;
    // Made without a second factor (as the setup link does).
    let id = app
        .staff_without_second_factor(app.a, "anna@musterstadt.de", "Anna", Role::Admin)
        .await;
    let cookie = app.login("anna@musterstadt.de").await;
    for path in ["/inbox", "/concerns/1", "/sprechstunde"] {
        let res = app
            .http
            .get(app.url(path))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 303, "{path}");
        assert_eq!(header(res.headers(), "location"), "/account/mfa", "{path}");
    }
    let (status, body) = app.get_page(&cookie, "/account/mfa").await;
    assert_eq!(status, 200);
    assert!(body.contains("Pflicht"), "the page says why");

    let (cookie, secret, codes) = enrol(&app, &cookie).await;
    let (status, _) = app.get_page(&cookie, "/inbox").await;
    assert_eq!(status, 200);
    assert!(app.store.totp_enabled(id).await.unwrap());

    // Next sign-in: the password alone opens nothing.
    app.post_form(&cookie, "/logout", &[]).await;
    let res = password_step(&app, "anna@musterstadt.de").await;
    assert_eq!(res.status().as_u16(), 303);
    assert!(header(res.headers(), "location").starts_with("/login/mfa"));
    let pending = cookie_of(&res);
    assert_ne!(pending, "rathaus_session=chosen-by-an-attacker");
    let (status, _) = app.get_page(&pending, "/inbox").await;
    assert_eq!(status, 303, "a pending login is no session");
    let (status, body) = app.get_page(&pending, "/login/mfa").await;
    assert_eq!(status, 200);
    assert!(body.contains("autocomplete=\"one-time-code\""));

    // A wrong code, then the code already used to confirm (replay): both refused alike.
    let now = totp::step_at(now_ms());
    let used = totp::code_for_step(&secret, now);
    for code in ["123456", used.as_str()] {
        let res = app
            .post_form(&pending, "/login/mfa", &[("code", code)])
            .await;
        assert_eq!(res.status().as_u16(), 401, "{code}");
        assert!(res.headers().get("set-cookie").is_none());
        assert!(res.text().await.unwrap().contains("Der Code ist falsch"));
    }
    let next = totp::code_for_step(&secret, now + 1);
    let res = app
        .post_form(&pending, "/login/mfa", &[("code", &next)])
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let full = cookie_of(&res);
    assert_ne!(full, pending, "the session id changes at login");
    let (status, _) = app.get_page(&full, "/inbox").await;
    assert_eq!(status, 200);
    let (status, _) = app.get_page(&pending, "/login/mfa").await;
    assert_eq!(status, 303, "the pending login is used up");

    // A recovery code works once.
    for (expect, what) in [(303, "first use"), (401, "second use")] {
        let res = password_step(&app, "anna@musterstadt.de").await;
        let pending = cookie_of(&res);
        let res = app
            .post_form(
                &pending,
                "/login/mfa",
                &[("code", &codes[3].to_uppercase())],
            )
            .await;
        assert_eq!(res.status().as_u16(), expect, "{what}");
    }
    assert_eq!(app.store.recovery_codes_left(id).await.unwrap(), 9);
    let audit = app
        .store
        .audit_entries(app.a, &AuditFilter::default())
        .await
        .unwrap();
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    for a in ["mfa.enabled", "login.recovery_code", "login.ok"] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
}

#[tokio::test]
async fn wrong_codes_count_as_failed_logins_and_end_the_pending_login() {
    let app = start().await;
    app.staff(app.a, "dsb@musterstadt.de", Role::Dpo).await;
    let res = password_step(&app, "dsb@musterstadt.de").await;
    let pending = cookie_of(&res);
    for _ in 0..5 {
        let res = app
            .post_form(&pending, "/login/mfa", &[("code", "000000")])
            .await;
        assert_eq!(res.status().as_u16(), 401);
    }
    let res = app
        .post_form(&pending, "/login/mfa", &[("code", "000000")])
        .await;
    assert_eq!(res.status().as_u16(), 429);
    let (status, _) = app.get_page(&pending, "/login/mfa").await;
    assert_eq!(status, 303, "the half-finished login is ended");
    let res = password_step(&app, "dsb@musterstadt.de").await;
    assert_eq!(res.status().as_u16(), 429, "the account is locked");
}

#[tokio::test]
async fn other_roles_may_switch_it_on_and_off_but_admins_and_officers_may_not_switch_it_off() {
    let app = start().await;
    let agent = app.staff(app.a, "sb@musterstadt.de", Role::Agent).await;
    let cookie = app.login("sb@musterstadt.de").await;
    let (status, body) = app.get_page(&cookie, "/account/mfa").await;
    assert_eq!(status, 200);
    assert!(!body.contains("Pflicht"));
    let (cookie, secret, _) = enrol(&app, &cookie).await;

    // New recovery codes need a current code.
    let res = app
        .post_form(
            &cookie,
            "/account/mfa/recovery-codes",
            &[("code", "000000")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 422);
    let next = totp::code_for_step(&secret, totp::step_at(now_ms()) + 1);
    let res = app
        .post_form(&cookie, "/account/mfa/recovery-codes", &[("code", &next)])
        .await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.text().await.unwrap().matches("<li><code>").count(), 10);

    // Switching off: the code just used is refused (replay); codes are only accepted once.
    let res = app
        .post_form(&cookie, "/account/mfa/disable", &[("code", &next)])
        .await;
    assert_eq!(res.status().as_u16(), 422);
    assert!(app.store.totp_enabled(agent).await.unwrap());

    let admin = app.staff(app.a, "admin@musterstadt.de", Role::Admin).await;
    let admin_cookie = app.login("admin@musterstadt.de").await;
    let code = app.fresh_totp(admin).await.unwrap();
    let res = app
        .post_form(&admin_cookie, "/account/mfa/disable", &[("code", &code)])
        .await;
    assert_eq!(res.status().as_u16(), 403);
    assert!(app.store.totp_enabled(admin).await.unwrap());
}

#[tokio::test]
async fn account_security_pages_pass_axe_and_fit_a_phone() {
    let Some(dir) = crate::browser::e2e_dir() else {
        return;
    };
    let app = start().await;
    app.staff(app.a, "sb@musterstadt.de", Role::Agent).await;
    app.staff(app.a, "admin@musterstadt.de", Role::Admin).await;
    let audit_as = |cookie: String, paths: &[&str]| {
        let (name, value) = cookie.split_once('=').unwrap();
        let mut args = vec![app.base.clone(), name.to_string(), value.to_string()];
        args.extend(paths.iter().map(|p| p.to_string()));
        args
    };
    // Enrolment (with the QR code) and the session list.
    let agent = app.login("sb@musterstadt.de").await;
    let args = audit_as(
        agent,
        &[
            "/account/mfa",
            "/account/sessions",
            "/account/sessions?msg=session_ended",
        ],
    );
    crate::browser::assert_clean(&crate::browser::audit(&dir, &args).await);
    // The status page of an enrolled admin.
    let admin = app.login("admin@musterstadt.de").await;
    let args = audit_as(admin, &["/account/mfa"]);
    crate::browser::assert_clean(&crate::browser::audit(&dir, &args).await);
    // The code step of a login.
    let pending = cookie_of(&password_step(&app, "admin@musterstadt.de").await);
    let args = audit_as(pending, &["/login/mfa", "/login/mfa?lang=en"]);
    crate::browser::assert_clean(&crate::browser::audit(&dir, &args).await);
}

#[tokio::test]
async fn sessions_are_listed_ended_one_by_one_or_everywhere_and_expire() {
    let app = start().await;
    let id = app.staff(app.a, "sb@musterstadt.de", Role::Agent).await;
    let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
    let res = app
        .http
        .post(app.url("/login"))
        .header("sec-fetch-site", "same-origin")
        .header("user-agent", firefox)
        .header("x-forwarded-for", "198.51.100.23")
        .form(&[("email", "sb@musterstadt.de"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let other = cookie_of(&res);
    let mine = app.login("sb@musterstadt.de").await;
    let (status, body) = app.get_page(&mine, "/account/sessions").await;
    assert_eq!(status, 200);
    assert!(
        body.contains("Firefox, Linux") && body.contains("198.51.100.0"),
        "{body}"
    );
    assert!(
        !body.contains("Gecko") && !body.contains("198.51.100.23"),
        "only the summary is kept"
    );
    assert_eq!(body.matches("dieses Gerät").count(), 1);
    let reference = between(&body, "action=\"/account/sessions/", "/end\"").to_string();

    // Someone else's reference ends nothing.
    let bob = app.staff(app.a, "bob@musterstadt.de", Role::Agent).await;
    let bobs = app.login("bob@musterstadt.de").await;
    let res = app
        .post_form(&bobs, &format!("/account/sessions/{reference}/end"), &[])
        .await;
    assert_eq!(res.status().as_u16(), 404);
    let res = app
        .post_form(&mine, &format!("/account/sessions/{reference}/end"), &[])
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(app.get_page(&other, "/account/sessions").await.0, 303);
    assert_eq!(app.get_page(&mine, "/account/sessions").await.0, 200);

    // Sign out everywhere: this browser too.
    let second = app.login("sb@musterstadt.de").await;
    let res = app.post_form(&mine, "/account/sessions/end-all", &[]).await;
    assert_eq!(res.status().as_u16(), 303);
    assert!(header(res.headers(), "location").starts_with("/login?msg=signed_out_everywhere"));
    for c in [&mine, &second] {
        assert_eq!(app.get_page(c, "/account/sessions").await.0, 303);
    }
    assert_eq!(
        app.get_page(&bobs, "/account/sessions").await.0,
        200,
        "bob stays"
    );
    let _ = bob;

    // Idle for 31 minutes, or past the absolute limit: expired.
    let now = now_ms();
    for (token, created, expires) in [
        ("idle", now - 31 * 60 * 1000, now + 60 * 60 * 1000),
        ("old", now - 13 * 60 * 60 * 1000, now - 1),
    ] {
        app.store
            .create_session(token, id, app.a, created, expires)
            .await
            .unwrap();
        let (status, _) = app
            .get_page(&format!("rathaus_session={token}"), "/inbox")
            .await;
        assert_eq!(status, 303, "{token}");
    }

    // A changed role ends the sessions: no session id outlives a privilege change.
    let cookie = app.login("sb@musterstadt.de").await;
    app.staff(app.a, "sb@musterstadt.de", Role::Host).await;
    assert_eq!(app.get_page(&cookie, "/inbox").await.0, 303);
}

#[tokio::test]
async fn a_municipality_can_require_the_second_factor_of_everyone() {
    let app = crate::harness::start_with("http://127.0.0.1", |tenants| {
        tenants[0].settings.security.second_factor = rathaus_domain::SecondFactorRule::Everyone;
    })
    .await;
    app.staff(app.a, "sb@musterstadt.de", Role::Agent).await;
    app.staff(app.b, "sb@beispieldorf.de", Role::Agent).await;
    // In Musterstadt an agent without a second factor reaches only the set-up page, which says it is required.
    let cookie = app.login("sb@musterstadt.de").await;
    let res = app
        .http
        .get(app.url("/inbox"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(header(res.headers(), "location"), "/account/mfa");
    let (status, body) = app.get_page(&cookie, "/account/mfa").await;
    assert_eq!(status, 200);
    assert!(body.contains("Pflicht"), "the page says why");
    let (cookie, _, _) = enrol(&app, &cookie).await;
    let (status, _) = app.get_page(&cookie, "/inbox").await;
    assert_eq!(status, 200);
    // Beispieldorf keeps the default: its agent works without one.
    let other = app.login("sb@beispieldorf.de").await;
    let (status, _) = app.get_page(&other, "/inbox").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_session_opened_without_the_second_factor_stays_limited_after_setting_it_up_elsewhere() {
    let app = start().await;
    // An administrator made without a second factor, signed in with the password on two devices.
    app.staff_without_second_factor(app.a, "anna@musterstadt.de", "Anna", Role::Admin)
        .await;
    let laptop = app.login("anna@musterstadt.de").await;
    let phone = app.login("anna@musterstadt.de").await;
    let (laptop, _, _) = enrol(&app, &laptop).await;
    assert_eq!(app.get_page(&laptop, "/inbox").await.0, 200);
    // The phone's session never proved a second factor: still only the account pages.
    let res = app
        .http
        .get(app.url("/inbox"))
        .header("cookie", &phone)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(header(res.headers(), "location"), "/account/mfa");
    let (status, body) = app.get_page(&phone, "/account/mfa").await;
    assert_eq!(status, 200);
    assert!(
        body.contains("ohne zweiten Faktor geöffnet"),
        "the page says why: {body}"
    );
    // The session list names how each session was opened.
    let (status, body) = app.get_page(&laptop, "/account/sessions").await;
    assert_eq!(status, 200);
    assert!(
        body.contains("<td>Passwort + Code aus der App</td>"),
        "{body}"
    );
    assert!(body.contains("<td>Passwort</td>"), "{body}");
}

#[tokio::test]
async fn a_data_protection_officer_must_set_up_the_second_factor_too() {
    let app = start().await;
    app.staff_without_second_factor(app.a, "dsb-neu@musterstadt.de", "Dora", Role::Dpo)
        .await;
    let cookie = app.login("dsb-neu@musterstadt.de").await;
    // The privacy center and the audit log stay closed until the second factor is set up.
    for path in ["/privacy", "/privacy/audit"] {
        let res = app
            .http
            .get(app.url(path))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 303, "{path}");
        assert_eq!(header(res.headers(), "location"), "/account/mfa", "{path}");
    }
    let (cookie, _, _) = enrol(&app, &cookie).await;
    assert_eq!(app.get_page(&cookie, "/privacy").await.0, 200);
}
