//! The privacy center: DPO only, citizen page, reveal, export, erasure with confirmation, request register.

use rathaus_store::{now_ms, AuditFilter, Role};

use crate::harness::{header, start, App, PHONE};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

async fn actions(app: &App, municipality: i64, prefix: &str) -> Vec<rathaus_store::AuditRecord> {
    app.store
        .audit_entries(
            municipality,
            &AuditFilter {
                action_prefix: Some(prefix.into()),
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap()
}

fn zip_contains(bytes: &[u8], needle: &str) -> bool {
    bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn every_role_but_the_dpo_gets_403_on_every_privacy_route() {
    let app = start().await;
    let (concern, _) = app.concern(app.a, PHONE, "Bitte um Rueckruf").await;
    let citizen = app
        .store
        .concern_summary(app.a, concern)
        .await
        .unwrap()
        .unwrap()
        .citizen_id;
    let gets = [
        "/privacy".to_string(),
        "/privacy/find".to_string(),
        format!("/privacy/citizens/{citizen}"),
        format!("/privacy/citizens/{citizen}/erase"),
        "/privacy/audit?action=citizen.".to_string(),
    ];
    let posts: [(String, Vec<(&str, String)>); 5] = [
        (
            "/privacy/find".into(),
            vec![
                ("channel", app.channel_a.to_string()),
                ("platform_id", PHONE.into()),
            ],
        ),
        (format!("/privacy/citizens/{citizen}/reveal"), vec![]),
        (format!("/privacy/citizens/{citizen}/export"), vec![]),
        (format!("/privacy/citizens/{citizen}/export-link"), vec![]),
        (
            format!("/privacy/citizens/{citizen}/erase"),
            vec![("confirm", "yes".into()), ("pseudonym", String::new())],
        ),
    ];
    for role in Role::ALL {
        let email = format!("{}@musterstadt.de", role.as_str());
        let token = app.api_token(app.a, &email, role).await;
        let cookie = app.login(&email).await;
        let expected = if role == Role::Dpo { 200 } else { 403 };
        for path in &gets {
            let (status, body) = app.get_page(&cookie, path).await;
            assert_eq!(status, expected, "{role:?} GET {path}");
            if expected == 403 {
                assert!(body.contains("Keine Berechtigung"), "{body}");
                assert!(!body.contains(PHONE));
            }
        }
        // The navigation offers the privacy center only to the DPO.
        let (_, inbox) = app.get_page(&cookie, "/inbox").await;
        assert_eq!(
            inbox.contains("href=\"/privacy\""),
            role == Role::Dpo,
            "{role:?}"
        );
        if role == Role::Dpo {
            continue;
        }
        for (path, form) in &posts {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let res = app.post_form(&cookie, path, &form).await;
            assert_eq!(res.status().as_u16(), 403, "{role:?} POST {path}");
            assert!(!res.text().await.unwrap().contains(PHONE));
        }
        for path in [
            "/api/v1/privacy/requests".to_string(),
            format!("/api/v1/privacy/citizens/{citizen}/export"),
            "/api/v1/privacy/audit".to_string(),
        ] {
            let (status, body) = app.api_get(&token, &path).await;
            assert_eq!(status, 403, "{role:?} API GET {path}");
            assert_eq!(body["error"]["code"], "forbidden");
        }
        let (status, body) = app
            .api_post(
                &token,
                &format!("/api/v1/privacy/citizens/{citizen}/erase"),
                serde_json::json!({"confirm": true}),
            )
            .await;
        assert_eq!(status, 403, "{role:?} API erase");
        assert_eq!(body["error"]["code"], "forbidden");
    }
    // Nobody but the DPO touched the citizen: still there, no reveal, export or erasure recorded.
    assert!(app.store.citizen(app.a, citizen).await.is_ok());
    for action in ["citizen.reveal", "citizen.erase", "export."] {
        assert!(actions(&app, app.a, action).await.is_empty(), "{action}");
    }
}

#[tokio::test]
async fn erasure_needs_the_confirmation_and_then_nothing_is_left_in_ui_or_api() {
    let app = start().await;
    app.staff(app.a, "dsb@musterstadt.de", Role::Dpo).await;
    let agent = app.api_token(app.a, "sb@musterstadt.de", Role::Agent).await;
    let (concern, pseudonym) = app.concern(app.a, PHONE, "Meine Adresse ist geheim").await;
    let citizen = app
        .store
        .concern_summary(app.a, concern)
        .await
        .unwrap()
        .unwrap()
        .citizen_id;
    let cookie = app.login("dsb@musterstadt.de").await;
    let path = format!("/privacy/citizens/{citizen}/erase");
    let code = pseudonym.rsplit('·').next().unwrap().to_string();

    let (status, form) = app.get_page(&cookie, &path).await;
    assert_eq!(status, 200);
    assert!(
        form.contains("type=\"checkbox\"") && form.contains(&pseudonym),
        "{form}"
    );

    // Not ticked, or the wrong name typed: nothing happens.
    let res = app
        .post_form(&cookie, &path, &[("pseudonym", pseudonym.as_str())])
        .await;
    assert_eq!(res.status().as_u16(), 422);
    assert!(res.text().await.unwrap().contains("Häkchen"));
    let res = app
        .post_form(
            &cookie,
            &path,
            &[("confirm", "yes"), ("pseudonym", "Bürger·ZZZZ")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 422);
    assert!(app.store.citizen(app.a, citizen).await.is_ok());
    assert!(actions(&app, app.a, "citizen.erase").await.is_empty());

    let res = app
        .post_form(
            &cookie,
            &path,
            // The code after the dot is enough (the middle dot is hard to type).
            &[
                ("confirm", "yes"),
                ("pseudonym", code.to_lowercase().as_str()),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(header(res.headers(), "location"), "/privacy?msg=erased");
    let (_, register) = app.get_page(&cookie, "/privacy?msg=erased").await;
    assert!(register.contains("Die Person wurde gelöscht."));
    assert!(register.contains(&pseudonym) && register.contains("Löschung"));

    // Gone everywhere: citizen page, concern page, API concern, API export.
    for p in [
        format!("/privacy/citizens/{citizen}"),
        format!("/concerns/{concern}"),
    ] {
        let (status, body) = app.get_page(&cookie, &p).await;
        assert_eq!(status, 404, "{p}");
        assert!(!body.contains("Meine Adresse"));
    }
    let (status, body) = app
        .api_get(&agent, &format!("/api/v1/concerns/{concern}"))
        .await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "concern_not_found");
    let dpo = app.api_token(app.a, "dsb2@musterstadt.de", Role::Dpo).await;
    let (status, body) = app
        .api_get(&dpo, &format!("/api/v1/privacy/citizens/{citizen}/export"))
        .await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "citizen_not_found");

    let erased = actions(&app, app.a, "citizen.erase").await;
    assert_eq!(erased.len(), 1);
    assert_eq!(
        erased[0].target.as_deref(),
        Some(format!("citizen:{citizen}").as_str())
    );
    assert!(erased[0].actor.contains("dsb@musterstadt.de"));
    assert!(!erased[0]
        .details
        .clone()
        .unwrap_or_default()
        .contains(PHONE));
}

#[tokio::test]
async fn api_erasure_requires_confirm_true_and_is_final() {
    let app = start().await;
    let dpo = app.api_token(app.a, "dsb@musterstadt.de", Role::Dpo).await;
    let (concern, pseudonym) = app.concern(app.a, PHONE, "Loeschen bitte").await;
    let citizen = app
        .store
        .concern_summary(app.a, concern)
        .await
        .unwrap()
        .unwrap()
        .citizen_id;
    let path = format!("/api/v1/privacy/citizens/{citizen}/erase");

    let (status, body) = app
        .api_post(&dpo, &path, serde_json::json!({"confirm": false}))
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["code"], "confirmation_required");
    let (status, body) = app.api_post(&dpo, &path, serde_json::json!({})).await;
    assert_eq!(status, 400, "{body}");
    assert!(app.store.citizen(app.a, citizen).await.is_ok());

    let (status, body) = app
        .api_post(&dpo, &path, serde_json::json!({"confirm": true}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["pseudonym"], pseudonym.as_str());
    assert_eq!(body["concerns"], 1);
    assert_eq!(body["messages"], 1);
    let (status, body) = app
        .api_post(&dpo, &path, serde_json::json!({"confirm": true}))
        .await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "citizen_not_found");
    assert_eq!(actions(&app, app.a, "citizen.erase").await.len(), 1);
    let (_, register) = app.api_get(&dpo, "/api/v1/privacy/requests").await;
    let erasure = &register["requests"][0];
    assert_eq!(erasure["kind"], "erasure");
    assert!(erasure["via"].as_str().unwrap().starts_with("staff:"));
    assert!(erasure["completed_at"].is_string());
}

#[tokio::test]
async fn the_platform_id_is_shown_only_after_the_reveal_post_and_is_audited() {
    let app = start().await;
    app.staff(app.a, "dsb@musterstadt.de", Role::Dpo).await;
    let (concern, pseudonym) = app.concern(app.a, PHONE, "Hallo").await;
    let citizen = app
        .store
        .concern_summary(app.a, concern)
        .await
        .unwrap()
        .unwrap()
        .citizen_id;
    let cookie = app.login("dsb@musterstadt.de").await;
    let page = format!("/privacy/citizens/{citizen}");

    let (status, body) = app.get_page(&cookie, &page).await;
    assert_eq!(status, 200);
    assert!(body.contains(&pseudonym));
    assert!(!body.contains(PHONE), "platform id shown without a reveal");
    assert!(body.contains("Einwilligung erteilt"), "{body}");
    let version = &app.registry.tenant(app.a).unwrap().notice_version;
    assert!(body.contains(version.as_str()), "notice version shown");
    assert!(body.contains("gilt noch"));
    assert!(actions(&app, app.a, "citizen.reveal").await.is_empty());
    assert_eq!(actions(&app, app.a, "citizen.read").await.len(), 1);

    let res = app.post_form(&cookie, &format!("{page}/reveal"), &[]).await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(header(res.headers(), "cache-control"), "no-store");
    assert!(res.text().await.unwrap().contains(PHONE));
    let revealed = actions(&app, app.a, "citizen.reveal").await;
    assert_eq!(revealed.len(), 1);
    assert_eq!(
        revealed[0].target.as_deref(),
        Some(format!("citizen:{citizen}").as_str())
    );
    assert!(
        !format!("{:?}", revealed[0]).contains(PHONE),
        "the id itself is not logged"
    );

    // Shown once: the next visit hides it again.
    let (_, body) = app.get_page(&cookie, &page).await;
    assert!(!body.contains(PHONE));
}

#[tokio::test]
async fn the_export_zip_holds_the_message_text_and_opens_a_completed_request() {
    let app = start().await;
    app.staff(app.a, "dsb@musterstadt.de", Role::Dpo).await;
    let dpo = app.api_token(app.a, "dsb2@musterstadt.de", Role::Dpo).await;
    let (concern, _) = app
        .concern(app.a, PHONE, "Die Laterne vor Hausnummer 12 ist aus")
        .await;
    let citizen = app
        .store
        .concern_summary(app.a, concern)
        .await
        .unwrap()
        .unwrap()
        .citizen_id;
    let cookie = app.login("dsb@musterstadt.de").await;

    let res = app
        .post_form(&cookie, &format!("/privacy/citizens/{citizen}/export"), &[])
        .await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(header(res.headers(), "content-type"), "application/zip");
    assert!(header(res.headers(), "content-disposition")
        .starts_with("attachment; filename=\"auskunft-"));
    let zip = res.bytes().await.unwrap();
    assert!(zip.starts_with(b"PK\x03\x04"));
    assert!(zip_contains(&zip, "Die Laterne vor Hausnummer 12 ist aus"));
    assert!(zip_contains(&zip, "auskunft.html"));

    let res = app
        .http
        .get(app.url(&format!("/api/v1/privacy/citizens/{citizen}/export")))
        .bearer_auth(&dpo)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(header(res.headers(), "content-type"), "application/zip");
    assert!(zip_contains(
        &res.bytes().await.unwrap(),
        "Die Laterne vor Hausnummer 12 ist aus"
    ));

    assert_eq!(actions(&app, app.a, "export.staff").await.len(), 2);
    let requests = app.store.data_requests(app.a).await.unwrap();
    assert_eq!(requests.len(), 2);
    assert!(requests
        .iter()
        .all(|r| r.kind == "access" && r.completed_at.is_some()));
    assert!(requests.iter().all(|r| r.via.starts_with("staff:")));

    // The one-time link for a letter: shown once, usable by the citizen without login.
    let res = app
        .post_form(
            &cookie,
            &format!("/privacy/citizens/{citizen}/export-link"),
            &[],
        )
        .await;
    assert_eq!(res.status().as_u16(), 200);
    let body = res.text().await.unwrap();
    let start = body.find("/auskunft/").expect("link shown");
    let token: String = body[start + 10..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    let res = app
        .http
        .post(app.url(&format!("/auskunft/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert!(zip_contains(
        &res.bytes().await.unwrap(),
        "Die Laterne vor Hausnummer 12"
    ));
    assert_eq!(actions(&app, app.a, "export.link").await.len(), 1);
}

#[tokio::test]
async fn overdue_requests_are_marked_in_words_and_counted() {
    let app = start().await;
    app.staff(app.a, "dsb@musterstadt.de", Role::Dpo).await;
    let dpo = app.api_token(app.a, "dsb2@musterstadt.de", Role::Dpo).await;
    let (late, _) = app.citizen(app.a, PHONE).await;
    let (fresh, _) = app.citizen(app.a, "4917000000009").await;
    let now = now_ms();
    app.store
        .open_request(&late, "access", "keyword", now - 31 * DAY_MS)
        .await
        .unwrap();
    app.store
        .open_request(&fresh, "erasure", "keyword", now - DAY_MS)
        .await
        .unwrap();
    let cookie = app.login("dsb@musterstadt.de").await;

    let (status, body) = app.get_page(&cookie, "/privacy").await;
    assert_eq!(status, 200);
    assert!(
        body.contains("Überfällig</span>: 1") || body.contains("Überfällig: 1"),
        "{body}"
    );
    assert_eq!(body.matches("class=\"row-overdue\"").count(), 1);
    let late_row = body
        .split("<tr")
        .find(|r| r.contains(&late.pseudonym))
        .unwrap();
    assert!(late_row.contains("row-overdue") && late_row.contains("Überfällig"));
    let fresh_row = body
        .split("<tr")
        .find(|r| r.contains(&fresh.pseudonym))
        .unwrap();
    assert!(!fresh_row.contains("Überfällig"));
    assert!(fresh_row.contains("WhatsApp"), "channel shown: {fresh_row}");

    let (status, reg) = app.api_get(&dpo, "/api/v1/privacy/requests").await;
    assert_eq!(status, 200);
    assert_eq!(reg["overdue_count"], 1);
    assert_eq!(reg["open_count"], 2);
    assert_eq!(reg["requests"][0]["overdue"], true);
    assert_eq!(reg["requests"][0]["pseudonym"], late.pseudonym.as_str());
}

#[tokio::test]
async fn find_by_phone_number_as_written_on_a_letter() {
    let app = start().await;
    app.staff(app.a, "dsb@musterstadt.de", Role::Dpo).await;
    let (c, _) = app.citizen(app.a, PHONE).await;
    let (theirs, _) = app.citizen(app.b, "777").await;
    let cookie = app.login("dsb@musterstadt.de").await;
    let channel = app.channel_a.to_string();

    let res = app
        .post_form(
            &cookie,
            "/privacy/find",
            &[("channel", &channel), ("platform_id", "0151 1234 5678")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(
        header(res.headers(), "location"),
        format!("/privacy/citizens/{}", c.id)
    );
    let res = app
        .post_form(
            &cookie,
            "/privacy/find",
            &[("channel", &channel), ("platform_id", "0170 000")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 404);
    assert!(res.text().await.unwrap().contains("Nicht gefunden"));
    // Another town's channel is not offered and not searched.
    let res = app
        .post_form(
            &cookie,
            "/privacy/find",
            &[
                ("channel", &app.channel_b.to_string()),
                ("platform_id", "777"),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 422);
    let lookups = actions(&app, app.a, "citizen.lookup").await;
    assert_eq!(lookups.len(), 2);
    assert!(
        lookups.iter().all(|l| !format!("{l:?}").contains("151")),
        "searched value not logged"
    );

    // Another municipality's citizen: 404 in UI and API.
    let (status, _) = app
        .get_page(&cookie, &format!("/privacy/citizens/{}", theirs.id))
        .await;
    assert_eq!(status, 404);
    let dpo = app.api_token(app.a, "dsb2@musterstadt.de", Role::Dpo).await;
    let (status, body) = app
        .api_get(
            &dpo,
            &format!("/api/v1/privacy/citizens/{}/export", theirs.id),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("citizen_not_found"))
    );
}
