//! Staff administration and teams through the real server: invitations, role changes, the last-admin rule,
//! audit entries, refusals for other roles, and the team scope of agents.

use rathaus_store::{AuditFilter, Role};

use crate::harness::{header, start, App};

async fn audit_actions(app: &App, prefix: &str) -> Vec<(String, String, String, Option<String>)> {
    app.store
        .audit_entries(
            app.a,
            &AuditFilter {
                action_prefix: Some(prefix.into()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.actor, r.action, r.details.unwrap_or_default(), r.ip))
        .collect()
}

/// The value of the one-time link field on the page.
fn invite_link(body: &str) -> String {
    let at = body.find("id=\"invite-link\"").expect("link field");
    let rest = &body[at..];
    let v = rest.find("value=\"").unwrap() + 7;
    let end = rest[v..].find('"').unwrap();
    rest[v..v + end].to_string()
}

#[tokio::test]
async fn an_admin_invites_changes_roles_and_removes_with_audit_entries() {
    let app = start().await;
    let admin = app.staff(app.a, "chefin@musterstadt.de", Role::Admin).await;
    let cookie = app.login("chefin@musterstadt.de").await;

    let (status, body) = app.get_page(&cookie, "/admin").await;
    assert_eq!(status, 200);
    assert!(body.contains("href=\"/admin/mitarbeitende\""), "{body}");
    assert!(body.contains("href=\"/admin/teams\""));

    // Invite a new agent: the page shows the one-time link once.
    let res = app
        .post_form(
            &cookie,
            "/admin/mitarbeitende",
            &[
                ("email", "neu@musterstadt.de"),
                ("name", "Nora Neu"),
                ("role", "agent"),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 201);
    let body = res.text().await.unwrap();
    let link = invite_link(&body);
    assert!(link.starts_with("http://127.0.0.1/einladung/"), "{link}");
    let (_, list) = app.get_page(&cookie, "/admin/mitarbeitende").await;
    assert!(list.contains("Nora Neu") && list.contains("eingeladen"));
    assert!(!list.contains(&link), "the link is shown only once");

    // The invited person sets a password through the link and signs in.
    let path = link.trim_start_matches("http://127.0.0.1");
    let (status, form) = app.get_page("", path).await;
    assert_eq!(status, 200);
    assert!(form.contains("neu@musterstadt.de"));
    // The password rules apply here too: common passwords and the own e-mail are refused.
    for (pw, says) in [
        ("Sommer2024!!!", "zu verbreitet"),
        ("neu-im-Team-2026", "E-Mail-Adresse"),
    ] {
        let res = app
            .post_form(
                "",
                path,
                &[
                    ("name", "Nora Neu"),
                    ("password", pw),
                    ("password_confirm", pw),
                ],
            )
            .await;
        assert_eq!(res.status().as_u16(), 422, "{pw}");
        assert!(res.text().await.unwrap().contains(says), "{pw}");
    }
    let res = app
        .post_form(
            "",
            path,
            &[
                ("name", "Nora Neu"),
                ("password", crate::harness::PASSWORD),
                ("password_confirm", crate::harness::PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(app.get_page("", path).await.0, 404, "a used link is dead");
    let nora_cookie = app.login("neu@musterstadt.de").await;
    assert_eq!(app.get_page(&nora_cookie, "/inbox").await.0, 200);
    // Agents get no administration.
    assert_eq!(
        app.get_page(&nora_cookie, "/admin/mitarbeitende").await.0,
        403
    );
    let res = app
        .post_form(
            &nora_cookie,
            "/admin/mitarbeitende",
            &[("email", "x@musterstadt.de"), ("role", "admin")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 403);

    // Promote Nora to editor: her session ends.
    let (nora, _) = app
        .store
        .staff_credentials("neu@musterstadt.de")
        .await
        .unwrap()
        .unwrap();
    let res = app
        .post_form(
            &cookie,
            &format!("/admin/mitarbeitende/{nora}/rolle"),
            &[("role", "editor")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(
        app.store.membership_role(app.a, nora).await.unwrap(),
        Some(Role::Editor)
    );
    let res = app
        .http
        .get(app.url("/inbox"))
        .header("cookie", &nora_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(header(res.headers(), "location"), "/login");

    // The only admin can neither demote nor remove herself, nor be demoted by anyone.
    let res = app
        .post_form(
            &cookie,
            &format!("/admin/mitarbeitende/{admin}/rolle"),
            &[("role", "viewer")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 409);
    assert!(res.text().await.unwrap().contains("eigene Rolle"));
    let res = app
        .post_form(
            &cookie,
            &format!("/admin/mitarbeitende/{admin}/entfernen"),
            &[],
        )
        .await;
    assert_eq!(res.status().as_u16(), 409);
    assert_eq!(
        app.store.membership_role(app.a, admin).await.unwrap(),
        Some(Role::Admin)
    );

    // Remove Nora; a member of another town is "not found" here.
    let res = app
        .post_form(
            &cookie,
            &format!("/admin/mitarbeitende/{nora}/entfernen"),
            &[],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(app.store.membership_role(app.a, nora).await.unwrap(), None);
    let elsewhere = app.staff(app.b, "dorf@beispieldorf.de", Role::Agent).await;
    let res = app
        .post_form(
            &cookie,
            &format!("/admin/mitarbeitende/{elsewhere}/rolle"),
            &[("role", "admin")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 404);
    assert_eq!(
        app.store.membership_role(app.b, elsewhere).await.unwrap(),
        Some(Role::Agent)
    );

    // Who, what, when (the log's time) and the truncated address, for each change.
    let entries = audit_actions(&app, "staff.").await;
    let actions: Vec<&str> = entries.iter().map(|e| e.1.as_str()).collect();
    assert_eq!(actions.len(), 3, "{entries:?}");
    for a in ["staff.invited", "staff.role_changed", "staff.removed"] {
        assert!(actions.contains(&a), "{a} missing: {entries:?}");
    }
    for (actor, action, details, ip) in &entries {
        assert!(actor.contains("chefin@musterstadt.de"), "{actor}");
        assert_eq!(ip.as_deref(), Some("127.0.0.0"), "{action}");
        if action == "staff.role_changed" {
            assert_eq!(details, "agent -> editor");
        }
    }
}

#[tokio::test]
async fn a_second_admin_makes_demotion_possible() {
    let app = start().await;
    app.staff(app.a, "eins@musterstadt.de", Role::Admin).await;
    let zwei = app.staff(app.a, "zwei@musterstadt.de", Role::Admin).await;
    let cookie = app.login("eins@musterstadt.de").await;
    let res = app
        .post_form(
            &cookie,
            &format!("/admin/mitarbeitende/{zwei}/rolle"),
            &[("role", "dpo")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(
        app.store.membership_role(app.a, zwei).await.unwrap(),
        Some(Role::Dpo)
    );
    // Now "eins" is the last admin: nobody can remove her.
    let (status, body) = app.get_page(&cookie, "/admin/mitarbeitende").await;
    assert_eq!(status, 200);
    assert!(body.contains("Datenschutz") && body.contains("eingerichtet"));
    // Nonsense roles are refused with a message, not a crash.
    let res = app
        .post_form(
            &cookie,
            &format!("/admin/mitarbeitende/{zwei}/rolle"),
            &[("role", "king")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 422);
}

/// The administration pages, the invitation page and the team parts of inbox, concern and report pass
/// axe-core (WCAG 2.1 AA) on desktop and phone widths, in German and English.
#[tokio::test]
async fn the_admin_pages_pass_axe_and_fit_a_phone() {
    let Some(dir) = crate::browser::e2e_dir() else {
        return;
    };
    let app = start().await;
    let agent = app.staff(app.a, "anna@musterstadt.de", Role::Agent).await;
    app.staff(app.a, "dsb@musterstadt.de", Role::Dpo).await;
    let team = app
        .store
        .create_team(app.a, "Bürgerbüro", 0)
        .await
        .unwrap()
        .unwrap();
    app.store
        .set_team_members(app.a, team, &[agent])
        .await
        .unwrap()
        .unwrap();
    app.store
        .set_team_channels(app.a, team, &[app.channel_a])
        .await
        .unwrap()
        .unwrap();
    let (concern, _) = app.concern(app.a, crate::harness::PHONE, "Laterne").await;
    app.staff(app.a, "chefin@musterstadt.de", Role::Admin).await;
    let invitation = app
        .store
        .invite_staff(
            app.a,
            "neu@musterstadt.de",
            "Nora",
            Role::Host,
            rathaus_store::now_ms(),
            rathaus_store::INVITATION_VALID_MS,
        )
        .await
        .unwrap()
        .unwrap();
    let cookie = app.login("chefin@musterstadt.de").await;
    let (name, value) = cookie.split_once('=').unwrap();
    let today = jiff::Zoned::now().date();
    let pages = [
        "/admin".to_string(),
        "/admin/mitarbeitende".to_string(),
        "/admin/teams".to_string(),
        format!("/inbox?team={team}"),
        format!("/concerns/{concern}"),
        format!("/berichte?from={today}&to={today}"),
        format!("/einladung/{}", invitation.token.unwrap()),
        "/einladung/not-a-valid-token".to_string(),
    ];
    let mut args = vec![app.base.clone(), name.to_string(), value.to_string()];
    args.extend(pages.iter().cloned());
    crate::browser::assert_clean(&crate::browser::audit(&dir, &args).await);
    // The page that shows a fresh invitation link, and a refusal.
    let res = app
        .post_form(
            &cookie,
            "/admin/mitarbeitende",
            &[("email", "zweite@musterstadt.de"), ("role", "agent")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 201);
    app.post_form(&cookie, "/language", &[("lang", "en"), ("back", "/admin")])
        .await;
    let mut args = vec![app.base.clone(), name.to_string(), value.to_string()];
    args.extend(pages[..5].iter().cloned());
    crate::browser::assert_clean(&crate::browser::audit(&dir, &args).await);
}
