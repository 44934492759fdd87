//! A member of several municipalities moves their session between them: rotated session, membership
//! checked, both audit trails, the new municipality's rules, and the header's switch (axe-clean).

use rathaus_store::{now_ms, AuditFilter, AuditRecord, Role, SecondFactor};

use crate::harness::{start, App};

const MEMBER: &str = "pendlerin@musterstadt.de";

/// The `Cookie` value of a response's new session cookie, if it sets one.
fn new_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
}

async fn switch(app: &App, cookie: &str, municipality: &str) -> reqwest::Response {
    app.post_form(
        cookie,
        "/account/gemeinde",
        &[("municipality", municipality)],
    )
    .await
}

async fn switch_entries(app: &App, municipality: i64) -> Vec<AuditRecord> {
    app.store
        .audit_entries(
            municipality,
            &AuditFilter {
                action_prefix: Some("session.municipality_switched".into()),
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap()
}

#[tokio::test]
async fn an_agent_here_and_admin_there_switches_with_a_fresh_session() {
    let app = start().await;
    let staff_id = app.staff(app.a, MEMBER, Role::Agent).await;
    // Admin in Beispieldorf, with the second factor an admin must have.
    app.staff(app.b, MEMBER, Role::Admin).await;
    let (in_a, _) = app.concern(app.a, "4915100000001", "Schlagloch").await;
    let (in_b, _) = app.concern(app.b, "4915100000002", "Brücke").await;

    // Signing in lands in the first municipality: Musterstadt, as its agent.
    let old = app.login(MEMBER).await;
    let (status, inbox) = app.get_page(&old, "/inbox").await;
    assert_eq!(status, 200);
    assert!(inbox.contains("Musterstadt"), "{inbox}");
    assert!(inbox.contains(&format!("/concerns/{in_a}\"")), "{inbox}");
    assert!(!inbox.contains(&format!("/concerns/{in_b}\"")), "{inbox}");
    // The header offers both municipalities with the member's role there.
    assert!(inbox.contains("action=\"/account/gemeinde\""), "{inbox}");
    assert!(
        inbox.contains(&format!(
            "<option value=\"{}\" selected>Musterstadt (Sachbearbeitung)</option>",
            app.a
        )),
        "{inbox}"
    );
    assert!(
        inbox.contains(&format!(
            "<option value=\"{}\">Beispieldorf (Administration)</option>",
            app.b
        )),
        "{inbox}"
    );
    assert_eq!(app.get_page(&old, "/admin").await.0, 403);

    let res = switch(&app, &old, &app.b.to_string()).await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(crate::harness::header(res.headers(), "location"), "/inbox");
    let new = new_cookie(&res).expect("a new session cookie");
    assert_ne!(new, old, "the session id is rotated");
    // The old session is over.
    let res = app
        .http
        .get(app.url("/inbox"))
        .header("cookie", &old)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(crate::harness::header(res.headers(), "location"), "/login");

    // Now Beispieldorf's administrator: its administration opens, its concerns and not Musterstadt's.
    let (status, admin) = app.get_page(&new, "/admin").await;
    assert_eq!(status, 200, "{admin}");
    assert!(admin.contains("Beispieldorf"), "{admin}");
    let (_, inbox) = app.get_page(&new, "/inbox").await;
    assert!(inbox.contains(&format!("/concerns/{in_b}\"")), "{inbox}");
    assert!(!inbox.contains(&format!("/concerns/{in_a}\"")), "{inbox}");
    assert_eq!(
        app.get_page(&new, &format!("/concerns/{in_a}")).await.0,
        404
    );
    // How the member signed in (password and app code) carries over to the new session.
    let token = new.split_once('=').unwrap().1;
    let sign_in = app.store.session_sign_in(token).await.unwrap().flatten();
    assert_eq!(sign_in.unwrap().second, Some(SecondFactor::Totp));

    // Both audit trails record the move, naming the member by id only.
    for municipality in [app.a, app.b] {
        let entries = switch_entries(&app, municipality).await;
        assert_eq!(entries.len(), 1, "{entries:?}");
        let e = &entries[0];
        assert_eq!(e.actor, format!("staff:{staff_id}"));
        assert_eq!(
            e.details.as_deref(),
            Some("from: musterstadt; to: beispieldorf")
        );
        assert!(!format!("{e:?}").contains(MEMBER), "{e:?}");
    }

    // And back again.
    let res = switch(&app, &new, &app.a.to_string()).await;
    assert_eq!(res.status().as_u16(), 303);
    let back = new_cookie(&res).unwrap();
    assert_eq!(app.get_page(&back, "/admin").await.0, 403);
    let (_, inbox) = app.get_page(&back, "/inbox").await;
    assert!(inbox.contains(&format!("/concerns/{in_a}\"")), "{inbox}");
}

#[tokio::test]
async fn a_municipality_without_membership_is_refused_and_nothing_changes() {
    let app = start().await;
    app.staff(app.a, MEMBER, Role::Agent).await;
    let (in_a, _) = app.concern(app.a, "4915100000001", "Schlagloch").await;
    let cookie = app.login(MEMBER).await;
    for (target, status) in [
        (app.b.to_string(), 403),
        ("999999".to_string(), 403),
        // Not an id at all: a malformed form.
        ("beispieldorf".to_string(), 400),
    ] {
        let res = switch(&app, &cookie, &target).await;
        assert_eq!(res.status().as_u16(), status, "{target}");
        assert!(new_cookie(&res).is_none(), "{target}");
        if status == 403 {
            let page = res.text().await.unwrap();
            assert!(
                page.contains("Sie gehören dieser Gemeinde nicht an."),
                "{page}"
            );
        }
    }
    // Still signed in, still in Musterstadt.
    let (status, inbox) = app.get_page(&cookie, "/inbox").await;
    assert_eq!(status, 200);
    assert!(inbox.contains(&format!("/concerns/{in_a}\"")), "{inbox}");
    assert!(switch_entries(&app, app.a).await.is_empty());
    assert!(switch_entries(&app, app.b).await.is_empty());
}

#[tokio::test]
async fn a_switch_from_a_foreign_site_is_refused() {
    let app = start().await;
    app.staff(app.a, MEMBER, Role::Agent).await;
    app.staff(app.b, MEMBER, Role::Agent).await;
    let (in_a, _) = app.concern(app.a, "4915100000001", "Schlagloch").await;
    let cookie = app.login(MEMBER).await;
    let b = app.b.to_string();
    for (name, value) in [
        ("sec-fetch-site", "cross-site"),
        ("origin", "https://evil.example"),
    ] {
        let res = app
            .http
            .post(app.url("/account/gemeinde"))
            .header("cookie", &cookie)
            .header(name, value)
            .form(&[("municipality", b.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 403, "{name}");
        assert!(new_cookie(&res).is_none());
    }
    let (_, inbox) = app.get_page(&cookie, "/inbox").await;
    assert!(inbox.contains(&format!("/concerns/{in_a}\"")), "{inbox}");
    assert!(switch_entries(&app, app.b).await.is_empty());
}

#[tokio::test]
async fn a_member_of_one_municipality_sees_no_switch() {
    let app = start().await;
    app.staff(app.a, MEMBER, Role::Agent).await;
    let cookie = app.login(MEMBER).await;
    for path in ["/inbox", "/account/sessions"] {
        let (status, page) = app.get_page(&cookie, path).await;
        assert_eq!(status, 200);
        assert!(!page.contains("/account/gemeinde"), "{path}: {page}");
    }
}

/// Admin in the new municipality without a second factor yet: the switch works, and the guard then
/// sends the member to set one up before anything else there opens.
#[tokio::test]
async fn the_new_municipality_asks_for_the_second_factor_it_requires() {
    let app = start().await;
    app.staff(app.a, MEMBER, Role::Agent).await;
    app.staff_without_second_factor(app.b, MEMBER, "pendlerin", Role::Admin)
        .await;
    let cookie = app.login(MEMBER).await;
    assert_eq!(app.get_page(&cookie, "/inbox").await.0, 200);
    let res = switch(&app, &cookie, &app.b.to_string()).await;
    assert_eq!(res.status().as_u16(), 303);
    let new = new_cookie(&res).unwrap();
    for path in ["/inbox", "/admin"] {
        let res = app
            .http
            .get(app.url(path))
            .header("cookie", &new)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 303, "{path}");
        assert_eq!(
            crate::harness::header(res.headers(), "location"),
            "/account/mfa"
        );
    }
    assert_eq!(app.get_page(&new, "/account/mfa").await.0, 200);
}

/// The header with the switch passes axe-core (WCAG 2.1 AA) on desktop and phone widths.
#[tokio::test]
async fn the_switch_passes_axe_and_fits_a_phone() {
    let Some(dir) = crate::browser::e2e_dir() else {
        return;
    };
    let app = start().await;
    app.staff(app.a, MEMBER, Role::Agent).await;
    app.staff(app.b, MEMBER, Role::Viewer).await;
    app.concern(app.a, "4915100000001", "Schlagloch").await;
    let cookie = app.login(MEMBER).await;
    assert!(app
        .get_page(&cookie, "/inbox")
        .await
        .1
        .contains("/account/gemeinde"));
    let (name, value) = cookie.split_once('=').unwrap();
    let mut args = vec![app.base.clone(), name.to_string(), value.to_string()];
    args.extend(["/inbox".to_string(), "/account/sessions".to_string()]);
    crate::browser::assert_clean(&crate::browser::audit(&dir, &args).await);
}

#[tokio::test]
async fn a_providers_word_for_the_second_factor_stays_in_its_municipality() {
    use rathaus_store::{FirstFactor, NewSession, SignIn};
    let app = start().await;
    let staff_id = app.staff(app.a, MEMBER, Role::Admin).await;
    app.staff_without_second_factor(app.b, MEMBER, "pendlerin", Role::Admin)
        .await;
    // A session opened through Musterstadt's provider, which vouches for the second factor there.
    let name = app
        .login(MEMBER)
        .await
        .split_once('=')
        .unwrap()
        .0
        .to_string();
    let token = "Sso-Session-Of-The-Provider-0123456789abcdefghi";
    let now = now_ms();
    app.store
        .start_session(&NewSession {
            token,
            staff_id,
            municipality_id: app.a,
            now,
            expires_at: now + 3_600_000,
            mfa_pending: false,
            sign_in: SignIn::new(FirstFactor::Sso).with(SecondFactor::Provider),
            client_ip: None,
            user_agent: None,
        })
        .await
        .unwrap();
    let cookie = format!("{name}={token}");
    assert_eq!(app.get_page(&cookie, "/admin").await.0, 200);
    // In Beispieldorf the provider of Musterstadt does not count: the admin proves a factor there.
    let res = switch(&app, &cookie, &app.b.to_string()).await;
    assert_eq!(res.status().as_u16(), 303);
    let new = new_cookie(&res).unwrap();
    let sign_in = app
        .store
        .session_sign_in(new.split_once('=').unwrap().1)
        .await
        .unwrap()
        .flatten()
        .unwrap();
    assert_eq!(sign_in, SignIn::new(FirstFactor::Sso));
    let res = app
        .http
        .get(app.url("/admin"))
        .header("cookie", &new)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(
        crate::harness::header(res.headers(), "location"),
        "/account/mfa"
    );
    // There the session is confirmed with the app's code: a wrong one is refused and changes nothing,
    // the right one gives a new session that counts as having the second factor.
    let (_, page) = app.get_page(&new, "/account/mfa").await;
    assert!(page.contains("action=\"/account/mfa/session\""), "{page}");
    let res = app
        .post_form(&new, "/account/mfa/session", &[("code", "000000")])
        .await;
    assert_eq!(res.status().as_u16(), 422);
    assert!(new_cookie(&res).is_none());
    let code = app.fresh_totp(staff_id).await.unwrap();
    let res = app
        .post_form(&new, "/account/mfa/session", &[("code", &code)])
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let confirmed = new_cookie(&res).expect("a new session id");
    assert_eq!(app.get_page(&confirmed, "/admin").await.0, 200);
    assert_eq!(
        app.get_page(&new, "/admin").await.0,
        303,
        "the old id is over"
    );
    let sign_in = app
        .store
        .session_sign_in(confirmed.split_once('=').unwrap().1)
        .await
        .unwrap()
        .flatten()
        .unwrap();
    assert_eq!(
        sign_in,
        SignIn::new(FirstFactor::Sso).with(SecondFactor::Totp)
    );
    // The same code a second time is a replay.
    let res = app
        .post_form(&confirmed, "/account/mfa/session", &[("code", &code)])
        .await;
    assert_ne!(res.status().as_u16(), 303);
}
