//! The audit log browser (filters, paging, chain status), deletion dates of resolved concerns, the DPO link.

use rathaus_domain::ConcernStatus;
use rathaus_store::{now_ms, AuditEvent, Role};

use crate::harness::{start, PHONE};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

fn berlin_date(ms: i64) -> String {
    let tz = jiff::tz::TimeZone::get("Europe/Berlin").unwrap();
    jiff::Timestamp::from_millisecond(ms)
        .unwrap()
        .to_zoned(tz)
        .strftime("%d.%m.%Y")
        .to_string()
}

fn berlin_day(ms: i64) -> String {
    let tz = jiff::tz::TimeZone::get("Europe/Berlin").unwrap();
    jiff::Timestamp::from_millisecond(ms)
        .unwrap()
        .to_zoned(tz)
        .strftime("%Y-%m-%d")
        .to_string()
}

#[tokio::test]
async fn the_audit_page_filters_pages_and_shows_the_chain_intact() {
    let app = start().await;
    app.staff(app.a, "dsb@musterstadt.de", Role::Dpo).await;
    let now = now_ms();
    for i in 0..55 {
        let e = AuditEvent::new(Some(app.a), "system", "test.tick").target(format!("n:{i}"));
        app.store.audit(e, now).await.unwrap();
    }
    // Another town's entries never show.
    let other = AuditEvent::new(Some(app.b), "staff:99 x@beispieldorf.de", "citizen.reveal");
    app.store.audit(other, now).await.unwrap();
    let (concern, _) = app.concern(app.a, PHONE, "Hallo").await;
    let citizen = app
        .store
        .concern_summary(app.a, concern)
        .await
        .unwrap()
        .unwrap()
        .citizen_id;
    let cookie = app.login("dsb@musterstadt.de").await;
    app.post_form(&cookie, &format!("/privacy/citizens/{citizen}/reveal"), &[])
        .await;

    let (status, body) = app
        .get_page(&cookie, "/privacy/audit?action=citizen.")
        .await;
    assert_eq!(status, 200);
    assert!(body.contains("Protokollkette unversehrt"), "{body}");
    assert!(body.contains("citizen.reveal"));
    assert!(!body.contains("test.tick") && !body.contains("login.ok"));
    assert!(
        !body.contains("beispieldorf"),
        "another municipality's entry"
    );

    let (_, body) = app.get_page(&cookie, "/privacy/audit?actor=dsb%40").await;
    assert!(body.contains("citizen.reveal"), "{body}");
    // Logins name the actor by id only; system entries have no e-mail at all.
    assert!(!body.contains("test.tick") && !body.contains("login.ok"));

    // Local dates: today finds them, tomorrow and yesterday (as the last day) do not.
    let today = berlin_day(now);
    let (_, body) = app
        .get_page(
            &cookie,
            &format!("/privacy/audit?action=citizen.&from={today}&to={today}"),
        )
        .await;
    assert!(body.contains("citizen.reveal"));
    let tomorrow = berlin_day(now + DAY_MS);
    let (_, body) = app
        .get_page(
            &cookie,
            &format!("/privacy/audit?action=citizen.&from={tomorrow}"),
        )
        .await;
    assert!(!body.contains("citizen.reveal") && body.contains("Keine Einträge"));
    let yesterday = berlin_day(now - DAY_MS);
    let (_, body) = app
        .get_page(&cookie, &format!("/privacy/audit?to={yesterday}"))
        .await;
    assert!(!body.contains("citizen.reveal"));
    let (status, _) = app.get_page(&cookie, "/privacy/audit?from=gestern").await;
    assert_eq!(status, 422);

    // Newest first, 50 a page, then an "older" link with the rest.
    let (_, first) = app.get_page(&cookie, "/privacy/audit?action=test.").await;
    assert_eq!(first.matches("<code>test.tick</code>").count(), 50);
    assert!(first.find("n:54").unwrap() < first.find("n:5<").unwrap());
    let start = first
        .find("href=\"/privacy/audit?action=test.")
        .expect("older link");
    let href: String = first[start + 6..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    let (status, older) = app
        .get_page(&cookie, &href.replace("&#38;", "&").replace("&amp;", "&"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(older.matches("<code>test.tick</code>").count(), 5);
    assert!(older.contains("n:0<") && !older.contains("n:54"));
}

#[tokio::test]
async fn the_audit_api_filters_and_reports_the_chain() {
    let app = start().await;
    let dpo = app.api_token(app.a, "dsb@musterstadt.de", Role::Dpo).await;
    let (concern, _) = app.concern(app.a, PHONE, "Hallo").await;
    let citizen = app
        .store
        .concern_summary(app.a, concern)
        .await
        .unwrap()
        .unwrap()
        .citizen_id;
    let res = app
        .http
        .get(app.url(&format!("/api/v1/privacy/citizens/{citizen}/export")))
        .bearer_auth(&dpo)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);

    let (status, page) = app
        .api_get(&dpo, "/api/v1/privacy/audit?action=export.")
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["chain"]["intact"], true);
    assert!(page["chain"]["entries"].as_i64().unwrap() >= 1);
    let entries = page["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["action"], "export.staff");
    assert_eq!(entries[0]["target"], format!("citizen:{citizen}"));
    assert!(page["next_before"].is_null());

    let today = berlin_day(now_ms());
    let (_, page) = app
        .api_get(
            &dpo,
            &format!("/api/v1/privacy/audit?from={today}&to={today}"),
        )
        .await;
    assert_eq!(page["entries"].as_array().unwrap().len(), 1);
    let tomorrow = berlin_day(now_ms() + DAY_MS);
    let (_, page) = app
        .api_get(&dpo, &format!("/api/v1/privacy/audit?from={tomorrow}"))
        .await;
    assert!(page["entries"].as_array().unwrap().is_empty());
    let (status, body) = app
        .api_get(&dpo, "/api/v1/privacy/audit?from=31.12.2026")
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["code"], "invalid_date");
}

#[tokio::test]
async fn resolved_concerns_show_their_deletion_date_and_the_dpo_gets_a_link() {
    let app = start().await;
    app.staff(app.a, "sb@musterstadt.de", Role::Agent).await;
    app.staff(app.a, "dsb@musterstadt.de", Role::Dpo).await;
    let (resolved, _) = app.concern(app.a, PHONE, "Erledigt").await;
    let (open, _) = app.concern(app.a, "4917000000005", "Noch offen").await;
    let resolved_at = now_ms() - 10 * DAY_MS;
    app.store
        .set_concern_status(app.a, resolved, ConcernStatus::Resolved, resolved_at)
        .await
        .unwrap();
    let rules = app.registry.tenant(app.a).unwrap().settings.retention;
    let expected = format!(
        "wird gelöscht am {}",
        berlin_date(rules.concern_deleted_at(resolved_at))
    );
    let cookie = app.login("sb@musterstadt.de").await;

    let (_, body) = app
        .get_page(&cookie, &format!("/concerns/{resolved}"))
        .await;
    assert!(body.contains(&expected), "{expected} missing: {body}");
    assert!(
        !body.contains("/privacy/citizens/"),
        "no privacy link for agents"
    );
    let (_, body) = app.get_page(&cookie, "/inbox?status=resolved").await;
    assert!(body.contains(&expected));
    let (_, body) = app.get_page(&cookie, &format!("/concerns/{open}")).await;
    assert!(!body.contains("wird gelöscht"));

    let dpo = app.login("dsb@musterstadt.de").await;
    let citizen = app
        .store
        .concern_summary(app.a, resolved)
        .await
        .unwrap()
        .unwrap()
        .citizen_id;
    let (_, body) = app.get_page(&dpo, &format!("/concerns/{resolved}")).await;
    assert!(
        body.contains(&format!("href=\"/privacy/citizens/{citizen}\"")),
        "{body}"
    );
    assert!(body.contains("Datenschutz"));
}
