//! The staff UI around the concern page: sign-in, inbox, CSRF, headers, language, setup link.

use rathaus_store::{now_ms, Role};

use crate::harness::{header, start, start_at, CITIZEN_NAME, HOUR_MS, PASSWORD, PHONE};

#[tokio::test]
async fn login_succeeds_and_wrong_password_or_unknown_user_get_the_same_answer() {
    let app = start().await;
    app.staff(app.a, "sb@musterstadt.de", Role::Agent).await;

    let res = app
        .http
        .post(app.url("/login"))
        .header("sec-fetch-site", "same-origin")
        .form(&[("email", "SB@musterstadt.de "), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(header(res.headers(), "location"), "/inbox");
    let cookie = header(res.headers(), "set-cookie").to_string();
    assert!(cookie.starts_with("rathaus_session="), "{cookie}");
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attr), "{attr} missing in {cookie}");
    }
    let cookie = cookie.split(';').next().unwrap().to_string();
    let (status, body) = app.get_page(&cookie, "/inbox").await;
    assert_eq!(status, 200);
    assert!(body.contains("Posteingang"));

    let mut answers = Vec::new();
    for (email, pw) in [
        ("sb@musterstadt.de", "falsches Passwort"),
        ("niemand@musterstadt.de", PASSWORD),
    ] {
        let res = app
            .http
            .post(app.url("/login"))
            .header("sec-fetch-site", "same-origin")
            .form(&[("email", email), ("password", pw)])
            .send()
            .await
            .unwrap();
        assert!(res.headers().get("set-cookie").is_none());
        let status = res.status().as_u16();
        let body = res.text().await.unwrap();
        assert!(
            body.contains("E-Mail-Adresse oder Passwort ist falsch."),
            "{body}"
        );
        answers.push((status, body.replace(email, "")));
    }
    assert_eq!(
        answers[0], answers[1],
        "unknown e-mail must look like a wrong password"
    );

    // Signing out ends the session for good.
    let res = app.post_form(&cookie, "/logout", &[]).await;
    assert_eq!(res.status().as_u16(), 303);
    let res = app
        .http
        .get(app.url("/inbox"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(header(res.headers(), "location"), "/login");
}

#[tokio::test]
async fn behind_https_the_cookie_is_host_prefixed_and_secure() {
    let app = start_at("https://rathaus.musterstadt.de").await;
    app.staff(app.a, "sb@musterstadt.de", Role::Agent).await;
    let res = app
        .http
        .post(app.url("/login"))
        .header("sec-fetch-site", "same-origin")
        .form(&[("email", "sb@musterstadt.de"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let cookie = header(res.headers(), "set-cookie").to_string();
    assert!(cookie.starts_with("__Host-rathaus_session="), "{cookie}");
    assert!(cookie.contains("; Secure") && cookie.contains("Path=/") && !cookie.contains("Domain"));
    let session = cookie.split(';').next().unwrap().to_string();
    let (status, _) = app.get_page(&session, "/inbox").await;
    assert_eq!(status, 200, "the prefixed cookie is read back");
    // The public URL counts as our origin when a proxy rewrites Host and no fetch metadata is sent.
    let res = app
        .http
        .post(app.url("/logout"))
        .header("cookie", &session)
        .header("origin", "https://rathaus.musterstadt.de")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
}

#[tokio::test]
async fn without_a_session_pages_lead_to_the_login() {
    let app = start().await;
    for path in ["/", "/inbox", "/concerns/1"] {
        let res = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 303, "{path}");
        assert_eq!(header(res.headers(), "location"), "/login", "{path}");
    }
    let res = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.text().await.unwrap(), "ok");
}

#[tokio::test]
async fn inbox_shows_the_pseudonym_and_never_the_phone_number() {
    let app = start().await;
    app.staff(app.a, "sb@musterstadt.de", Role::Agent).await;
    let (id, pseudonym) = app
        .concern(app.a, PHONE, "Die Straßenlaterne ist kaputt.")
        .await;
    let cookie = app.login("sb@musterstadt.de").await;

    let (status, body) = app.get_page(&cookie, "/inbox").await;
    assert_eq!(status, 200);
    assert!(pseudonym.starts_with("Bürger·"));
    assert!(body.contains(&pseudonym), "{body}");
    assert!(body.contains(&format!("href=\"/concerns/{id}\"")));
    assert!(
        !body.contains(PHONE) && !body.contains(CITIZEN_NAME),
        "personal data in the inbox"
    );
    assert!(
        body.contains("Offen <span class=\"count\">1</span>"),
        "{body}"
    );
    assert!(body.contains("WhatsApp · whatsapp"));
    assert!(body.contains("niemand"), "unassigned is shown as nobody");
    // Last activity in the municipality's local time, e.g. "27.11.2026, 14:05".
    let stamp = body.split("<time datetime=").nth(1).unwrap();
    let shown = stamp.split('>').nth(1).unwrap().split('<').next().unwrap();
    assert!(
        shown.len() == 17 && shown.as_bytes()[2] == b'.' && shown.contains(", "),
        "{shown}"
    );

    // Resolved tab is empty with a friendly text; the channel filter narrows the list.
    let (_, body) = app.get_page(&cookie, "/inbox?status=resolved").await;
    assert!(body.contains("Hier sind keine Anliegen."));
    assert!(!body.contains(&pseudonym));
    let (_, body) = app
        .get_page(
            &cookie,
            &format!("/inbox?status=open&channel={}", app.channel_a + 1000),
        )
        .await;
    assert!(!body.contains(&pseudonym));

    // The thread shows the text, but never the number.
    let (status, body) = app.get_page(&cookie, &format!("/concerns/{id}")).await;
    assert_eq!(status, 200);
    assert!(body.contains("Die Straßenlaterne ist kaputt."));
    assert!(!body.contains(PHONE) && !body.contains(CITIZEN_NAME));
    assert!(
        body.contains("Antwort möglich bis"),
        "WhatsApp shows the reply window"
    );
}

#[tokio::test]
async fn cross_site_posts_are_refused() {
    let app = start().await;
    app.staff(app.a, "sb@musterstadt.de", Role::Agent).await;
    let (id, _) = app.concern(app.a, PHONE, "Frage").await;
    let cookie = app.login("sb@musterstadt.de").await;
    let path = app.url(&format!("/concerns/{id}/reply"));

    let res = app
        .http
        .post(&path)
        .header("cookie", &cookie)
        .header("sec-fetch-site", "cross-site")
        .form(&[("text", "untergeschoben")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    // Older browsers: no fetch metadata, a foreign Origin.
    let res = app
        .http
        .post(&path)
        .header("cookie", &cookie)
        .header("origin", "https://evil.example")
        .form(&[("text", "untergeschoben")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    // Neither header: refused too.
    let res = app
        .http
        .post(&path)
        .header("cookie", &cookie)
        .form(&[("text", "untergeschoben")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    assert_eq!(app.outbound_count(app.a, id).await, 0);

    // Our own origin without fetch metadata is fine.
    let host = app.base.trim_start_matches("http://").to_string();
    let res = app
        .http
        .post(&path)
        .header("cookie", &cookie)
        .header("origin", format!("http://{host}"))
        .form(&[("text", "echt")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(app.outbound_count(app.a, id).await, 1);
}

#[tokio::test]
async fn pages_carry_security_headers_and_accessible_basics() {
    let app = start().await;
    let res = app.http.get(app.url("/login")).send().await.unwrap();
    let h = res.headers().clone();
    let csp = header(&h, "content-security-policy");
    assert!(
        csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(header(&h, "x-frame-options"), "DENY");
    assert_eq!(header(&h, "x-content-type-options"), "nosniff");
    let body = res.text().await.unwrap();
    assert!(body.contains("<html lang=\"de\">"));
    assert!(body.contains("<title>Anmelden – Rathaus</title>"));
    assert!(body.contains("class=\"skip-link\" href=\"#main\""));
    assert!(body.contains("<main id=\"main\""));
    assert!(body.contains("<label for=\"email\">") && body.contains("<label for=\"password\">"));
    // The only script is the passkey sign-in's file from our own origin; no inline script or style.
    assert!(
        body.matches("<script").count() == 1
            && body.contains("<script src=\"/static/passkeys.js\" defer></script>")
            && !body.contains("style="),
        "no inline script or style"
    );

    let res = app
        .http
        .get(app.url("/static/app.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(
        header(res.headers(), "content-type"),
        "text/css; charset=utf-8"
    );
    assert!(header(res.headers(), "cache-control").contains("max-age"));
    assert!(res.text().await.unwrap().contains(":focus-visible"));
}

#[tokio::test]
async fn english_is_selectable_per_user_and_stays() {
    let app = start().await;
    app.staff(app.a, "sb@musterstadt.de", Role::Agent).await;
    let cookie = app.login("sb@musterstadt.de").await;
    let res = app
        .post_form(
            &cookie,
            "/language",
            &[("lang", "en"), ("back", "/inbox?status=pending")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(
        header(res.headers(), "location"),
        "/inbox?status=pending&msg=language"
    );
    let (_, body) = app
        .get_page(&cookie, "/inbox?status=pending&msg=language")
        .await;
    assert!(body.contains("<html lang=\"en\">"));
    assert!(body.contains("<h1>Inbox</h1>"));
    assert!(body.contains("Language changed."));
    // A new session remembers the choice.
    let cookie = app.login("sb@musterstadt.de").await;
    let (_, body) = app.get_page(&cookie, "/inbox").await;
    assert!(body.contains("Sign out"));
    // The login page offers English without an account.
    let res = app
        .http
        .get(app.url("/login?lang=en"))
        .send()
        .await
        .unwrap();
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("<h1 id=\"login-heading\">Sign in</h1>"));
}

#[tokio::test]
async fn a_setup_link_creates_the_first_admin_once() {
    let app = start().await;
    let token = app
        .store
        .create_setup_link(app.a, now_ms(), HOUR_MS)
        .await
        .unwrap();
    let path = format!("/setup/{token}");
    let res = app.http.get(app.url(&path)).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Erstes Administrationskonto anlegen"));

    let form = |pw: &'static str, confirm: &'static str| {
        vec![
            ("name", "Anna Admin"),
            ("email", "anna@musterstadt.de"),
            ("password", pw),
            ("password_confirm", confirm),
        ]
    };
    let res = app.post_form("", &path, &form("kurz", "kurz")).await;
    assert_eq!(res.status().as_u16(), 422);
    assert!(res.text().await.unwrap().contains("mindestens 12 Zeichen"));
    let res = app
        .post_form("", &path, &form(PASSWORD, "etwas anderes 123"))
        .await;
    assert_eq!(res.status().as_u16(), 422);
    assert!(res.text().await.unwrap().contains("stimmen nicht überein"));
    // Common passwords, dressed up or not, and the town's or the person's own name are refused.
    for (pw, says) in [
        ("Sommer2024!!!", "zu verbreitet"),
        ("P@ssw0rt123456", "zu verbreitet"),
        ("Schalke04Schalke04", "zu verbreitet"),
        ("qwertzuiop123", "Tastenfolge"),
        ("aaaaaaaaaaaaaaa", "wiederholten Zeichen"),
        ("anna-im-Rathaus-2026", "E-Mail-Adresse"),
        ("Musterstadt-ist-schoen", "Namen der Gemeinde"),
    ] {
        let res = app.post_form("", &path, &form(pw, pw)).await;
        assert_eq!(res.status().as_u16(), 422, "{pw}");
        let body = res.text().await.unwrap();
        assert!(body.contains(says), "{pw}: {body}");
        assert!(!body.contains(pw), "the refused password is not echoed");
    }
    let mut english = form("Winter2025!!!!", "Winter2025!!!!");
    english.push(("lang", "en"));
    let res = app.post_form("", &path, &english).await;
    assert_eq!(res.status().as_u16(), 422);
    assert!(res.text().await.unwrap().contains("too common"));

    let res = app.post_form("", &path, &form(PASSWORD, PASSWORD)).await;
    assert_eq!(res.status().as_u16(), 303);
    assert!(header(res.headers(), "location").starts_with("/login?msg=setup_done"));
    let cookie = app.login("anna@musterstadt.de").await;
    // The first admin sets up the second factor before anything else.
    let (status, _) = app.get_page(&cookie, "/inbox").await;
    assert_eq!(status, 303);
    let (cookie, _, _) = crate::mfa::enrol(&app, &cookie).await;
    let (status, body) = app.get_page(&cookie, "/inbox").await;
    assert_eq!(status, 200);
    assert!(body.contains("Anna Admin"));
    let staff = app.store.staff_of_municipality(app.a).await.unwrap();
    assert_eq!(staff[0].role, Role::Admin);

    // Used up: the link no longer works.
    let res = app.http.get(app.url(&path)).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 404);
    let res = app.post_form("", &path, &form(PASSWORD, PASSWORD)).await;
    assert_eq!(res.status().as_u16(), 404);
}

#[tokio::test]
async fn each_role_lands_on_a_page_it_may_open_and_sees_only_its_sections() {
    let app = start().await;
    for (email, role, home, inbox_link) in [
        (
            "redaktion@musterstadt.de",
            Role::Editor,
            "/beitraege",
            false,
        ),
        (
            "controlling@musterstadt.de",
            Role::Viewer,
            "/berichte",
            false,
        ),
        ("sb@musterstadt.de", Role::Agent, "/inbox", true),
    ] {
        app.staff(app.a, email, role).await;
        let res = app
            .http
            .post(app.url("/login"))
            .header("sec-fetch-site", "same-origin")
            .form(&[("email", email), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 303, "{role:?}");
        assert_eq!(header(res.headers(), "location"), home, "{role:?}");
        let cookie = header(res.headers(), "set-cookie")
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let (status, page) = app.get_page(&cookie, home).await;
        assert_eq!(status, 200, "{role:?} at {home}");
        assert_eq!(page.contains("href=\"/inbox\""), inbox_link, "{role:?}");
        // `/` sends a signed-in member to the same start page.
        let res = app
            .http
            .get(app.url("/"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(header(res.headers(), "location"), home, "{role:?}");
    }
}
