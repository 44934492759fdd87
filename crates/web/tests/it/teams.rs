//! Teams through the real server: an agent of team A neither sees nor opens team B's concerns (UI and
//! API), concerns move between teams (audited), and the staff API does what the staff page does.

use rathaus_store::{AuditFilter, Role};

use crate::harness::{start, App, PHONE};

struct Setup {
    team_a: i64,
    team_b: i64,
    concern_a: i64,
    concern_b: i64,
    loose: i64,
}

/// Team A gets the WhatsApp channel; team B's concern and a team-less one are moved there by hand.
async fn setup(app: &App, agent: i64) -> Setup {
    let m = app.a;
    let team_a = app
        .store
        .create_team(m, "Bürgerbüro", 0)
        .await
        .unwrap()
        .unwrap();
    let team_b = app
        .store
        .create_team(m, "Bauamt", 0)
        .await
        .unwrap()
        .unwrap();
    app.store
        .set_team_members(m, team_a, &[agent])
        .await
        .unwrap()
        .unwrap();
    app.store
        .set_team_channels(m, team_a, &[app.channel_a])
        .await
        .unwrap()
        .unwrap();
    let (concern_a, _) = app.concern(m, PHONE, "Laterne kaputt").await;
    let (concern_b, _) = app.concern(m, "4915199999999", "Baustelle laut").await;
    let (loose, _) = app.concern(m, "4915188888888", "Allgemeine Frage").await;
    assert_eq!(
        app.store.concern_team(m, concern_a).await.unwrap(),
        Some(Some(team_a)),
        "routed by channel"
    );
    app.store
        .set_concern_team(m, concern_b, Some(team_b))
        .await
        .unwrap()
        .unwrap();
    app.store
        .set_concern_team(m, loose, None)
        .await
        .unwrap()
        .unwrap();
    Setup {
        team_a,
        team_b,
        concern_a,
        concern_b,
        loose,
    }
}

#[tokio::test]
async fn an_agent_of_team_a_cannot_see_or_open_team_b_concerns() {
    let app = start().await;
    let agent = app.staff(app.a, "anna@musterstadt.de", Role::Agent).await;
    let s = setup(&app, agent).await;
    let cookie = app.login("anna@musterstadt.de").await;

    let (status, inbox) = app.get_page(&cookie, "/inbox").await;
    assert_eq!(status, 200);
    assert!(
        inbox.contains(&format!("/concerns/{}\"", s.concern_a)),
        "{inbox}"
    );
    assert!(inbox.contains(&format!("/concerns/{}\"", s.loose)));
    assert!(!inbox.contains(&format!("/concerns/{}\"", s.concern_b)));
    // The "open" tab counts only the two she may see.
    assert!(
        inbox.contains("Offen <span class=\"count\">2</span>"),
        "{inbox}"
    );
    // Not by URL either: detail, reply, media, and moving it all answer "not found".
    assert_eq!(
        app.get_page(&cookie, &format!("/concerns/{}", s.concern_b))
            .await
            .0,
        404
    );
    let res = app
        .post_form(
            &cookie,
            &format!("/concerns/{}/reply", s.concern_b),
            &[("text", "Hallo")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 404);
    let res = app
        .post_form(
            &cookie,
            &format!("/concerns/{}/team", s.concern_b),
            &[("team_id", &s.team_a.to_string())],
        )
        .await;
    assert_eq!(res.status().as_u16(), 404);
    assert_eq!(app.outbound_count(app.a, s.concern_b).await, 0);
    assert_eq!(
        app.get_page(&cookie, &format!("/concerns/{}", s.concern_a))
            .await
            .0,
        200
    );
    assert_eq!(
        app.get_page(&cookie, &format!("/concerns/{}", s.loose))
            .await
            .0,
        200
    );

    // The same through the API.
    let token = app
        .store
        .create_api_token(agent, app.a, "test", 0)
        .await
        .unwrap();
    let (status, list) = app.api_get(&token, "/api/v1/concerns").await;
    assert_eq!(status, 200);
    let ids: Vec<i64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert!(
        ids.contains(&s.concern_a) && ids.contains(&s.loose) && !ids.contains(&s.concern_b),
        "{ids:?}"
    );
    let (status, body) = app
        .api_get(&token, &format!("/api/v1/concerns/{}", s.concern_b))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("concern_not_found"))
    );
    let (status, _) = app
        .api_post(
            &token,
            &format!("/api/v1/concerns/{}/notes", s.concern_b),
            serde_json::json!({"text": "x"}),
        )
        .await;
    assert_eq!(status, 404);

    // An admin sees every concern, and can filter the inbox by team.
    app.staff(app.a, "chefin@musterstadt.de", Role::Admin).await;
    let admin = app.login("chefin@musterstadt.de").await;
    let (_, all) = app.get_page(&admin, "/inbox").await;
    for id in [s.concern_a, s.concern_b, s.loose] {
        assert!(all.contains(&format!("/concerns/{id}\"")), "{id} missing");
    }
    let (_, only_b) = app
        .get_page(&admin, &format!("/inbox?team={}", s.team_b))
        .await;
    assert!(only_b.contains(&format!("/concerns/{}\"", s.concern_b)));
    assert!(!only_b.contains(&format!("/concerns/{}\"", s.concern_a)));
    assert_eq!(
        app.get_page(&admin, &format!("/concerns/{}", s.concern_b))
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn an_agent_hands_a_concern_to_another_team_and_it_is_audited() {
    let app = start().await;
    let agent = app.staff(app.a, "anna@musterstadt.de", Role::Agent).await;
    let s = setup(&app, agent).await;
    let cookie = app.login("anna@musterstadt.de").await;
    let (_, page) = app
        .get_page(&cookie, &format!("/concerns/{}", s.concern_a))
        .await;
    assert!(
        page.contains("Bürgerbüro") && page.contains("Team ändern"),
        "{page}"
    );
    let res = app
        .post_form(
            &cookie,
            &format!("/concerns/{}/team", s.concern_a),
            &[("team_id", &s.team_b.to_string())],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(
        app.store.concern_team(app.a, s.concern_a).await.unwrap(),
        Some(Some(s.team_b))
    );
    // Handed over: now it is out of her sight.
    assert_eq!(
        app.get_page(&cookie, &format!("/concerns/{}", s.concern_a))
            .await
            .0,
        404
    );
    let entries = app
        .store
        .audit_entries(
            app.a,
            &AuditFilter {
                action_prefix: Some("concern.team".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0].details.as_deref(),
        Some(format!("team:{} -> team:{}", s.team_a, s.team_b).as_str())
    );
    assert!(entries[0].actor.contains("anna@musterstadt.de"));
    // A team of another town, or junk, is refused.
    let res = app
        .post_form(
            &cookie,
            &format!("/concerns/{}/team", s.loose),
            &[("team_id", "999999")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 404);
    // Viewers may not move concerns at all (the matrix).
    let token = app
        .api_token(app.a, "leser@musterstadt.de", Role::Viewer)
        .await;
    let (status, _) = app
        .api_post(
            &token,
            &format!("/api/v1/concerns/{}/team", s.loose),
            serde_json::json!({"team_id": null}),
        )
        .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn the_staff_api_invites_changes_roles_and_keeps_the_last_admin() {
    let app = start().await;
    let token = app
        .api_token(app.a, "chefin@musterstadt.de", Role::Admin)
        .await;
    let (status, body) = app
        .api_post(
            &token,
            "/api/v1/staff/invitations",
            serde_json::json!({"email": "neu@musterstadt.de", "display_name": "Nora", "role": "host"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert!(body["setup_url"]
        .as_str()
        .unwrap()
        .starts_with("http://127.0.0.1/einladung/"));
    let nora = body["staff_id"].as_i64().unwrap();
    let (status, body) = app
        .api_post(
            &token,
            "/api/v1/staff/invitations",
            serde_json::json!({"email": "neu@musterstadt.de", "role": "host"}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("already_member"))
    );
    let (status, body) = app
        .api_post(
            &token,
            "/api/v1/staff/invitations",
            serde_json::json!({"email": "x@musterstadt.de", "role": "king"}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("invalid_role"))
    );

    let (status, list) = app.api_get(&token, "/api/v1/staff").await;
    assert_eq!(status, 200);
    let row = list
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == nora)
        .unwrap()
        .clone();
    assert_eq!(
        (row["role"].as_str(), row["invited"].as_bool()),
        (Some("host"), Some(true))
    );

    let (status, body) = app
        .api_post(
            &token,
            &format!("/api/v1/staff/{nora}/role"),
            serde_json::json!({"role": "agent"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["previous_role"], "host");
    let (me, _) = app
        .store
        .staff_credentials("chefin@musterstadt.de")
        .await
        .unwrap()
        .unwrap();
    let (status, body) = app
        .api_post(
            &token,
            &format!("/api/v1/staff/{me}/role"),
            serde_json::json!({"role": "viewer"}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("own_account"))
    );
    let (status, _) = app
        .api_post(
            &token,
            &format!("/api/v1/staff/{nora}/remove"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = app
        .api_post(
            &token,
            &format!("/api/v1/staff/{nora}/remove"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("staff_not_found"))
    );
    // A second admin may demote the first; her token then loses its admin rights.
    let other = app
        .api_token(app.a, "zweite@musterstadt.de", Role::Admin)
        .await;
    let (status, _) = app
        .api_post(
            &other,
            &format!("/api/v1/staff/{me}/role"),
            serde_json::json!({"role": "dpo"}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = app
        .api_post(
            &token,
            &format!("/api/v1/staff/{}/role", me + 1000),
            serde_json::json!({"role": "dpo"}),
        )
        .await;
    assert_eq!(
        status, 403,
        "the demoted token lost its admin rights: {body}"
    );
    let zweite = app
        .store
        .staff_credentials("zweite@musterstadt.de")
        .await
        .unwrap()
        .unwrap()
        .0;
    let promoted = app
        .api_token(app.a, "dritte@musterstadt.de", Role::Agent)
        .await;
    let (status, _) = app.api_get(&promoted, "/api/v1/staff").await;
    assert_eq!(status, 403, "agents get no staff list");
    let (status, body) = app
        .api_post(
            &other,
            &format!("/api/v1/staff/{zweite}/remove"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("own_account"))
    );
    let entries = app
        .store
        .audit_entries(
            app.a,
            &AuditFilter {
                action_prefix: Some("staff.".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        entries.len(),
        4,
        "invite, two role changes, removal: {entries:?}"
    );
    assert!(entries
        .iter()
        .all(|e| e.details.as_deref().unwrap_or("").ends_with("(api)")));
}

/// 2025-03-03 09:00 in Berlin (CET, UTC+1).
const MON: i64 = 1_740_988_800_000;

#[tokio::test]
async fn the_response_time_report_is_split_by_team() {
    use crate::consultation::{file_promised, MIN_MS};
    use crate::harness::HOUR_MS;
    let app = start().await;
    let staff = app.staff(app.a, "sb@musterstadt.de", Role::Agent).await;
    let bau = app
        .store
        .create_team(app.a, "Bauamt", 0)
        .await
        .unwrap()
        .unwrap();
    // Answered after 10 and 30 minutes (Bauamt), after 2 hours and never (no team); all due in 1 hour.
    for (i, (answer_min, team)) in [
        (Some(10), Some(bau)),
        (Some(30), Some(bau)),
        (Some(120), None),
        (None, None),
    ]
    .into_iter()
    .enumerate()
    {
        let c = app.citizen(app.a, &format!("491730000000{i}")).await;
        let at = MON + i as i64 * HOUR_MS * 24;
        let id = file_promised(
            &app,
            &c.0,
            &format!("t{i}"),
            at,
            at + 45 * MIN_MS,
            at + HOUR_MS,
        )
        .await;
        app.store
            .set_concern_team(app.a, id, team)
            .await
            .unwrap()
            .unwrap();
        if let Some(m) = answer_min {
            app.store
                .queue_reply(app.a, id, staff, "Antwort", at + m * MIN_MS)
                .await
                .unwrap()
                .unwrap();
        }
    }
    let token = app
        .api_token(app.a, "leser@musterstadt.de", Role::Viewer)
        .await;
    let period = "from=2025-03-01&to=2025-03-31";
    let (status, r) = app
        .api_get(&token, &format!("/api/v1/reports/response-times?{period}"))
        .await;
    assert_eq!(status, 200, "{r}");
    let by_team = r["by_team"].as_array().unwrap();
    assert_eq!(by_team.len(), 2, "{r}");
    assert_eq!(by_team[0]["team"], "Bauamt");
    assert_eq!(
        (
            by_team[0]["concerns"].as_i64(),
            by_team[0]["answered"].as_i64()
        ),
        (Some(2), Some(2))
    );
    // Nearest rank over 600 and 1800 s; both within the hour.
    assert_eq!(by_team[0]["first_response_median_s"], 600);
    assert_eq!(by_team[0]["first_response_p90_s"], 1800);
    assert_eq!(by_team[0]["share_target_met"], 1.0);
    assert!(by_team[1]["team"].is_null());
    assert_eq!(
        (
            by_team[1]["concerns"].as_i64(),
            by_team[1]["answered"].as_i64()
        ),
        (Some(2), Some(1))
    );
    assert_eq!(by_team[1]["share_target_met"], 0.0);
    // Totals are unchanged by the split.
    assert_eq!(r["concerns"], 4);

    let res = app
        .http
        .get(app.url(&format!(
            "/api/v1/reports/response-times?{period}&format=csv"
        )))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let csv = res.text().await.unwrap();
    assert!(
        csv.contains("\r\nteam,Bauamt,2,2,600,1800,,,,,1.0000\r\n"),
        "{csv}"
    );
    assert!(
        csv.contains("\r\nteam,,2,1,7200,7200,,,,,0.0000\r\n"),
        "{csv}"
    );

    app.staff(app.a, "leser@musterstadt.de", Role::Viewer).await;
    let cookie = app.login("leser@musterstadt.de").await;
    let (status, page) = app.get_page(&cookie, &format!("/berichte?{period}")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Nach Team") && page.contains("ohne Team") && page.contains("chart-teams"),
        "{page}"
    );
}

fn tenant(settings: rathaus_domain::MunicipalitySettings) -> rathaus_hub::TenantConfig {
    rathaus_hub::TenantConfig {
        networks: vec![],
        settings,
        whatsapp: vec![],
        telegram: vec![],
        sso: None,
    }
}

#[tokio::test]
async fn configured_teams_route_channels_and_gain_members_at_the_next_start() {
    let app = crate::harness::start_with("http://127.0.0.1", |configs| {
        configs[0].settings.teams = vec![rathaus_domain::TeamSettings {
            name: "Bürgermeisterbüro".into(),
            members: vec!["anna@musterstadt.de".into()],
            channels: vec!["whatsapp".into()],
        }];
    })
    .await;
    let teams = app.store.teams(app.a).await.unwrap();
    assert_eq!(teams.len(), 1);
    assert_eq!(
        (teams[0].name.as_str(), teams[0].channels.clone()),
        ("Bürgermeisterbüro", vec![app.channel_a])
    );
    assert!(teams[0].members.is_empty(), "anna has no account yet");
    let (concern, _) = app.concern(app.a, PHONE, "Termin beim Bürgermeister").await;
    assert_eq!(
        app.store.concern_team(app.a, concern).await.unwrap(),
        Some(Some(teams[0].id))
    );
    // Anna is invited; the next start (same configuration) puts her into the team.
    let anna = app.staff(app.a, "anna@musterstadt.de", Role::Agent).await;
    // (Without the channel tables here, so the team's routing is left out of this rebuild.)
    let mut settings = app.registry.tenant(app.a).unwrap().settings.clone();
    settings.teams[0].channels.clear();
    let tenant_configs = [tenant(settings)];
    rathaus_hub::Registry::build(
        &app.store,
        &tenant_configs,
        reqwest::Client::new(),
        rathaus_store::now_ms(),
        "http://127.0.0.1",
    )
    .await
    .unwrap();
    let teams = app.store.teams(app.a).await.unwrap();
    assert_eq!(teams[0].members, vec![anna]);
    assert_eq!(
        teams[0].channels,
        vec![app.channel_a],
        "routing made in an earlier start stays"
    );
    // A channel that does not exist stops the start with the team named.
    let mut bad = app.registry.tenant(app.a).unwrap().settings.clone();
    bad.teams[0].channels = vec!["signal".into()];
    let err = rathaus_hub::Registry::build(
        &app.store,
        &[tenant(bad)],
        reqwest::Client::new(),
        rathaus_store::now_ms(),
        "http://127.0.0.1",
    )
    .await
    .err()
    .expect("refused");
    assert!(
        err.to_string().contains("team 'Bürgermeisterbüro'"),
        "{err}"
    );
}

#[tokio::test]
async fn an_agent_of_a_team_sees_and_opens_only_its_part_of_the_consultation_queue() {
    use crate::consultation::{consultation_app, file_promised, MIN_MS};
    use crate::harness::header;
    let app = consultation_app().await;
    let agent = app.staff(app.a, "anna@musterstadt.de", Role::Agent).await;
    let team_a = app
        .store
        .create_team(app.a, "Bürgerbüro", 0)
        .await
        .unwrap()
        .unwrap();
    let team_b = app
        .store
        .create_team(app.a, "Bauamt", 0)
        .await
        .unwrap()
        .unwrap();
    app.store
        .set_team_members(app.a, team_a, &[agent])
        .await
        .unwrap()
        .unwrap();
    let now = rathaus_store::now_ms();
    let mut queue = Vec::new();
    // The oldest waiting concern belongs to team B, the younger one to team A.
    for (i, (age, team)) in [(30, team_b), (10, team_a)].into_iter().enumerate() {
        let c = app.citizen(app.a, &format!("491700000030{i}")).await;
        let at = now - age * MIN_MS;
        let id = file_promised(
            &app,
            &c.0,
            &format!("lq{i}"),
            at,
            at + 10 * MIN_MS,
            at + 15 * MIN_MS,
        )
        .await;
        app.store
            .set_concern_team(app.a, id, Some(team))
            .await
            .unwrap()
            .unwrap();
        queue.push((id, c.0.pseudonym));
    }
    let cookie = app.login("anna@musterstadt.de").await;
    let (status, page) = app.get_page(&cookie, "/sprechstunde").await;
    assert_eq!(status, 200);
    assert!(
        page.contains(queue[1].1.as_str()) && !page.contains(queue[0].1.as_str()),
        "{page}"
    );
    let res = app
        .http
        .get(app.url("/sprechstunde/next?slot=0"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(
        header(res.headers(), "location"),
        format!("/concerns/{}", queue[1].0)
    );
}
