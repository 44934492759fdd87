//! Sending one channel of a post again: a failed channel after its cause is fixed (API and post page), refusals with their codes, and the confirmed "did not appear – send again" for an unclear channel.

use rathaus_channels::fake_mastodon::FakeMastodonTelegram;
use rathaus_store::{AuditRecord, Role};
use serde_json::{json, Value};

use crate::harness::{header, App};
use crate::publishing::send;
use crate::publishing_networks::{
    channel, compose_and_approve, editors, post, settle, start, worker,
};

/// The audit entries of exactly `action`.
async fn audit(app: &App, action: &str) -> Vec<AuditRecord> {
    app.audit_records(action)
        .await
        .into_iter()
        .filter(|r| r.action == action)
        .collect()
}

/// The instance refuses the token once (it was revoked; then renewed): the channel fails for good.
fn refuse_token_once(fake: &FakeMastodonTelegram) {
    fake.fail_next(
        "/api/v1/statuses",
        1,
        401,
        json!({ "error": "The access token was revoked" }),
        &[],
    );
}

#[tokio::test]
async fn a_failed_channel_is_tried_again_through_the_api_and_appears_once() {
    let fake = FakeMastodonTelegram::start().await.unwrap();
    let app = start(&fake, 5).await;
    let e = editors(&app).await;
    let w = worker(&app);
    refuse_token_once(&fake);
    let id = compose_and_approve(&app, &e, "Die Grünschnittannahme öffnet am Samstag.", &[]).await;
    let p = settle(&app, &e, &w, id).await;
    assert_eq!(channel(&p, "mastodon")["status"], json!("failed"), "{p}");
    assert_eq!(p["status"], json!("partly_failed"));
    assert_eq!(fake.statuses().len(), 0);
    let retry = format!("/api/v1/posts/{id}/channels/mastodon/retry");

    // A viewer may not; another municipality does not see the post; the news page and a channel
    // the post does not have are no network channels of it; a published channel is not retried.
    let viewer = app
        .api_token(app.a, "ansicht@musterstadt.de", Role::Viewer)
        .await;
    let (s, v) = send(&app, &viewer, "POST", &retry, None).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (403, Some("forbidden")),
        "{v}"
    );
    let other = app
        .api_token(app.b, "redaktion@beispielheim.de", Role::Editor)
        .await;
    let (s, v) = send(&app, &other, "POST", &retry, None).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (404, Some("post_not_found")),
        "{v}"
    );
    for name in ["website", "bluesky"] {
        let path = format!("/api/v1/posts/{id}/channels/{name}/retry");
        let (s, v) = send(&app, &e.author, "POST", &path, None).await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (404, Some("unknown_channel")),
            "{v}"
        );
    }
    let path = format!("/api/v1/posts/{id}/channels/kanal/retry");
    let (s, v) = send(&app, &e.author, "POST", &path, None).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("not_failed")),
        "{v}"
    );
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("published"),
        "{v}"
    );
    assert!(audit(&app, "post.retry").await.is_empty());

    // The token is renewed (the fake takes it again): try again.
    let (s, v) = send(&app, &e.reviewer, "POST", &retry, None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(channel(&v, "mastodon")["status"], json!("pending"), "{v}");
    assert_eq!(channel(&v, "mastodon")["error"], Value::Null, "{v}");
    assert_eq!(v["status"], json!("publishing"));
    let p = settle(&app, &e, &w, id).await;
    assert_eq!(channel(&p, "mastodon")["status"], json!("published"), "{p}");
    assert_eq!(p["status"], json!("published"), "{p}");
    let statuses = fake.statuses();
    assert_eq!(statuses.len(), 1, "the post appears exactly once");
    assert_eq!(
        statuses[0]["text"],
        json!("Die Grünschnittannahme öffnet am Samstag.")
    );
    assert_eq!(
        fake.messages().len(),
        1,
        "the Telegram channel is not sent again"
    );
    // A fresh idempotency key: the refused attempt left nothing to repeat.
    let keys: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.path == "/api/v1/statuses")
        .map(|r| r.idempotency_key)
        .collect();
    assert_eq!(keys.len(), 2);
    assert_ne!(keys[0], keys[1]);

    let entries = audit(&app, "post.retry").await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    let reviewer = app
        .store
        .staff_credentials("pressestelle@musterstadt.de")
        .await
        .unwrap()
        .unwrap()
        .0;
    assert_eq!(entries[0].actor, format!("staff:{reviewer}"));
    assert_eq!(
        entries[0].target.as_deref(),
        Some(format!("post:{id}").as_str())
    );
    let details = entries[0].details.as_deref().unwrap();
    assert!(details.contains("channel=mastodon"), "{details}");

    // Now published: a second retry is refused.
    let (s, v) = send(&app, &e.author, "POST", &retry, None).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("not_failed")),
        "{v}"
    );
}

#[tokio::test]
async fn the_post_page_offers_try_again_for_a_failed_channel_and_shows_it_pending_then_published() {
    let fake = FakeMastodonTelegram::start().await.unwrap();
    let app = start(&fake, 5).await;
    let e = editors(&app).await;
    let w = worker(&app);
    refuse_token_once(&fake);
    let id = compose_and_approve(&app, &e, "Das Hallenbad schließt früher.", &[]).await;
    settle(&app, &e, &w, id).await;

    let cookie = app.login("redaktion@musterstadt.de").await;
    let page_path = format!("/beitraege/{id}");
    let (s, page) = app.get_page(&cookie, &page_path).await;
    assert_eq!(s, 200);
    assert!(page.contains("The access token was revoked"), "{page}");
    let action = format!("/beitraege/{id}/kanaele/mastodon/erneut");
    assert!(page.contains(&format!("action=\"{action}\"")), "{page}");
    assert!(page.contains("Erneut versuchen"), "{page}");
    // Only the failed channel has the button.
    assert!(!page.contains("/kanaele/kanal/"), "{page}");

    // Without the same-origin marks of our own page the form is refused (CSRF).
    let res = app
        .http
        .post(app.url(&action))
        .header("cookie", &cookie)
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    assert!(app
        .store
        .publication_state(id, "mastodon")
        .await
        .unwrap()
        .is_some_and(|s| s.status == "failed"));

    // An editor of another municipality finds no such post.
    app.staff(app.b, "redaktion@beispieldorf.de", Role::Editor)
        .await;
    let elsewhere = app.login("redaktion@beispieldorf.de").await;
    let res = app.post_form(&elsewhere, &action, &[]).await;
    assert_eq!(res.status().as_u16(), 404);
    let (s, _) = app.get_page(&elsewhere, &page_path).await;
    assert_eq!(s, 404);

    let res = app.post_form(&cookie, &action, &[]).await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(
        header(res.headers(), "location"),
        format!("{page_path}?msg=retried")
    );
    let (_, page) = app
        .get_page(&cookie, &format!("{page_path}?msg=retried"))
        .await;
    assert!(page.contains("Der Kanal wird erneut versucht"), "{page}");
    assert!(page.contains("result-pending"), "{page}");
    assert!(!page.contains("The access token was revoked"), "{page}");
    assert!(!page.contains("Erneut versuchen"), "{page}");

    let p = settle(&app, &e, &w, id).await;
    assert_eq!(p["status"], json!("published"), "{p}");
    assert_eq!(fake.statuses().len(), 1, "the post appears exactly once");
    let (_, page) = app.get_page(&cookie, &page_path).await;
    let status_id = fake.statuses()[0]["id"].as_str().unwrap().to_string();
    assert!(
        page.contains(&format!("https://fake.social/@musterstadt/{status_id}")),
        "{page}"
    );
    assert!(
        page.contains("erneut versucht"),
        "the history says so: {page}"
    );

    // Posting the form again (a second tab) changes nothing and says why.
    let res = app.post_form(&cookie, &action, &[]).await;
    assert_eq!(res.status().as_u16(), 409);
    assert_eq!(fake.statuses().len(), 1);
    assert_eq!(audit(&app, "post.retry").await.len(), 1);
}

#[tokio::test]
async fn an_unclear_channel_is_sent_again_only_after_confirming_it_did_not_appear() {
    let fake = FakeMastodonTelegram::start().await.unwrap();
    let app = start(&fake, 1).await;
    let e = editors(&app).await;
    let w = worker(&app);
    // Telegram's answer is lost and Telegram cannot be asked: unclear.
    fake.withhold_next_answer("/sendMessage");
    let id = compose_and_approve(&app, &e, "Straßenfest am Marktplatz.", &[]).await;
    let p = settle(&app, &e, &w, id).await;
    assert_eq!(channel(&p, "kanal")["status"], json!("unknown"), "{p}");
    assert_eq!(p["status"], json!("partly_failed"));
    // Say the editor looked and the channel does not show it (the fake lost it).
    fake.clear_requests();

    // "Try again" is not for an unclear channel; the API says what to do instead.
    let (s, v) = send(
        &app,
        &e.author,
        "POST",
        &format!("/api/v1/posts/{id}/channels/kanal/retry"),
        None,
    )
    .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("outcome_unclear")),
        "{v}"
    );
    let resend = format!("/api/v1/posts/{id}/channels/kanal/resend");
    let (s, v) = send(
        &app,
        &e.author,
        "POST",
        &resend,
        Some(json!({"did_not_appear": false})),
    )
    .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (422, Some("confirmation_missing")),
        "{v}"
    );
    let path = format!("/api/v1/posts/{id}/channels/mastodon/resend");
    let (s, v) = send(
        &app,
        &e.author,
        "POST",
        &path,
        Some(json!({"did_not_appear": true})),
    )
    .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("not_unclear")),
        "{v}"
    );

    // On the page: the confirmation is required.
    let cookie = app.login("pressestelle@musterstadt.de").await;
    let page_path = format!("/beitraege/{id}");
    let (_, page) = app.get_page(&cookie, &page_path).await;
    let action = format!("/beitraege/{id}/kanaele/kanal/nicht-erschienen");
    assert!(page.contains(&format!("action=\"{action}\"")), "{page}");
    assert!(
        page.contains("Ist nicht erschienen – erneut senden"),
        "{page}"
    );
    assert!(!page.contains("/kanaele/kanal/erneut"), "{page}");
    let res = app.post_form(&cookie, &action, &[]).await;
    assert_eq!(res.status().as_u16(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains("Bitte bestätigen Sie zuerst"), "{body}");
    assert!(audit(&app, "post.resend_unclear").await.is_empty());
    w.drain().await.unwrap();
    assert_eq!(
        fake.messages().len(),
        1,
        "nothing sent without the confirmation"
    );

    let res = app
        .post_form(&cookie, &action, &[("did_not_appear", "yes")])
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let p = post(&app, &e, id).await;
    assert_eq!(channel(&p, "kanal")["status"], json!("pending"), "{p}");
    let entries = audit(&app, "post.resend_unclear").await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(
        entries[0].target.as_deref(),
        Some(format!("post:{id}").as_str())
    );
    assert!(
        entries[0]
            .details
            .as_deref()
            .unwrap()
            .contains("channel=kanal"),
        "{entries:?}"
    );
    assert!(audit(&app, "post.retry").await.is_empty());

    let p = settle(&app, &e, &w, id).await;
    assert_eq!(channel(&p, "kanal")["status"], json!("published"), "{p}");
    assert_eq!(p["status"], json!("published"), "{p}");
    let sent = fake
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/sendMessage"))
        .count();
    assert_eq!(sent, 1, "sent once more, on the person's word");
}

/// The post page with a failed channel ("try again") and an unclear one (confirm, then "send
/// again") passes axe-core on desktop and phone.
#[tokio::test]
async fn the_post_page_with_its_send_again_forms_passes_axe_and_fits_a_phone() {
    let Some(dir) = crate::browser::e2e_dir() else {
        return;
    };
    let fake = FakeMastodonTelegram::start().await.unwrap();
    let app = start(&fake, 1).await;
    let e = editors(&app).await;
    let w = worker(&app);
    refuse_token_once(&fake);
    fake.withhold_next_answer("/sendMessage");
    let id = compose_and_approve(&app, &e, "Neue Öffnungszeiten im Bürgerbüro.", &[]).await;
    let p = settle(&app, &e, &w, id).await;
    assert_eq!(channel(&p, "mastodon")["status"], json!("failed"), "{p}");
    assert_eq!(channel(&p, "kanal")["status"], json!("unknown"), "{p}");

    let cookie = app.login("redaktion@musterstadt.de").await;
    let (_, page) = app.get_page(&cookie, &format!("/beitraege/{id}")).await;
    assert!(page.contains("/kanaele/mastodon/erneut"), "{page}");
    assert!(page.contains("/kanaele/kanal/nicht-erschienen"), "{page}");
    let (name, value) = cookie.split_once('=').unwrap();
    let args = vec![
        app.base.clone(),
        name.to_string(),
        value.to_string(),
        format!("/beitraege/{id}"),
    ];
    crate::browser::assert_clean(&crate::browser::audit(&dir, &args).await);
}
