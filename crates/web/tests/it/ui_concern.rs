//! The concern page as staff use it: thread, reply and its limits, roles, notes, assignment, status, media, audit.

use rathaus_domain::{ConcernStatus, DeliveryStatus, Direction, MessageContent};
use rathaus_store::Role;

use crate::harness::{header, start, HOUR_MS, PHONE};

#[tokio::test]
async fn citizen_text_is_escaped() {
    let app = start().await;
    app.staff(app.a, "sb@musterstadt.de", Role::Agent).await;
    let (id, _) = app
        .concern(app.a, PHONE, "<script>alert(1)</script><b>fett</b>")
        .await;
    let cookie = app.login("sb@musterstadt.de").await;
    let (_, body) = app.get_page(&cookie, &format!("/concerns/{id}")).await;
    // Askama writes numeric entities; either form is escaped.
    let shown = body.replace("&#60;", "&lt;").replace("&#62;", "&gt;");
    assert!(
        shown.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{body}"
    );
    assert!(!body.contains("<script>alert") && !body.contains("<b>fett"));
}

#[tokio::test]
async fn another_municipalitys_concern_is_not_found() {
    let app = start().await;
    app.staff(app.a, "sb@musterstadt.de", Role::Agent).await;
    let (theirs, pseudonym) = app.concern(app.b, "5005", "Frage an Beispieldorf").await;
    let cookie = app.login("sb@musterstadt.de").await;

    let (status, body) = app.get_page(&cookie, &format!("/concerns/{theirs}")).await;
    assert_eq!(status, 404);
    assert!(!body.contains("Frage an Beispieldorf"));
    let (_, inbox) = app.get_page(&cookie, "/inbox").await;
    assert!(!inbox.contains(&pseudonym));
    let res = app
        .post_form(
            &cookie,
            &format!("/concerns/{theirs}/reply"),
            &[("text", "Hallo")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 404);
    assert_eq!(app.outbound_count(app.b, theirs).await, 0);
}

#[tokio::test]
async fn a_reply_from_the_form_is_queued_and_shown_as_queued() {
    let app = start().await;
    app.staff(app.a, "sb@musterstadt.de", Role::Agent).await;
    let (id, _) = app.concern(app.a, PHONE, "Wann ist Sperrmüll?").await;
    let cookie = app.login("sb@musterstadt.de").await;

    let res = app
        .post_form(
            &cookie,
            &format!("/concerns/{id}/reply"),
            &[("text", "Am Dienstag.")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let location = header(res.headers(), "location").to_string();
    assert_eq!(location, format!("/concerns/{id}?msg=sent"));

    let detail = app.store.concern_detail(app.a, id).await.unwrap().unwrap();
    let out = detail
        .messages
        .iter()
        .find(|m| m.direction == Direction::Outbound)
        .expect("an outbound message");
    assert_eq!(out.text.as_deref(), Some("Am Dienstag."));
    assert_eq!(out.delivery_status, Some(DeliveryStatus::Queued));
    assert_eq!(out.author_name.as_deref(), Some("sb"));

    let (_, body) = app.get_page(&cookie, &location).await;
    assert!(
        body.contains("role=\"status\"><p class=\"flash-message\">Antwort wird gesendet."),
        "{body}"
    );
    assert!(body.contains("Zustellung: Warteschlange"));

    // An empty reply is refused with the reason, and nothing more is queued.
    let res = app
        .post_form(
            &cookie,
            &format!("/concerns/{id}/reply"),
            &[("text", "   ")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 422);
    assert!(res.text().await.unwrap().contains("Die Antwort ist leer."));
    assert_eq!(app.outbound_count(app.a, id).await, 1);
}

#[tokio::test]
async fn after_24_hours_the_reply_is_refused_with_the_reason() {
    let app = start().await;
    app.staff(app.a, "sb@musterstadt.de", Role::Agent).await;
    let citizen = app.citizen(app.a, PHONE).await;
    let (id, _) = app
        .file(
            &citizen,
            "old",
            MessageContent::Text {
                body: "Alte Frage".into(),
            },
            25 * HOUR_MS,
        )
        .await;
    let cookie = app.login("sb@musterstadt.de").await;

    let (_, body) = app.get_page(&cookie, &format!("/concerns/{id}")).await;
    assert!(body.contains("älter als 24 Stunden"), "{body}");
    assert!(
        !body.contains("id=\"reply-text\""),
        "no reply form when replying is impossible"
    );

    let res = app
        .post_form(
            &cookie,
            &format!("/concerns/{id}/reply"),
            &[("text", "Zu spät?")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains("role=\"alert\""));
    assert!(body.contains("älter als 24 Stunden"));
    assert_eq!(app.outbound_count(app.a, id).await, 0);
}

#[tokio::test]
async fn read_only_roles_see_no_forms_and_cannot_post() {
    let app = start().await;
    // The data-protection officer may read threads but not answer; a viewer may not even read them.
    app.staff(app.a, "dsb@musterstadt.de", Role::Dpo).await;
    app.staff(app.a, "leser@musterstadt.de", Role::Viewer).await;
    let (id, _) = app.concern(app.a, PHONE, "Frage").await;

    let dpo = app.login("dsb@musterstadt.de").await;
    let (status, body) = app.get_page(&dpo, &format!("/concerns/{id}")).await;
    assert_eq!(status, 200);
    assert!(body.contains("Frage"));
    assert!(!body.contains("/reply\"") && !body.contains("<textarea"));
    assert!(body.contains("Leserechte"));

    let viewer = app.login("leser@musterstadt.de").await;
    let (status, body) = app.get_page(&viewer, &format!("/concerns/{id}")).await;
    assert_eq!(status, 403);
    assert!(!body.contains("Frage"));
    let (status, _) = app.get_page(&viewer, "/inbox").await;
    assert_eq!(status, 403);

    for cookie in [&dpo, &viewer] {
        for (path, form) in [
            ("reply", ("text", "Hallo")),
            ("note", ("text", "Notiz")),
            ("status", ("status", "resolved")),
            ("assign", ("staff_id", "")),
        ] {
            let res = app
                .post_form(cookie, &format!("/concerns/{id}/{path}"), &[form])
                .await;
            assert_eq!(res.status().as_u16(), 403, "{path}");
        }
    }
    let detail = app.store.concern_detail(app.a, id).await.unwrap().unwrap();
    assert_eq!(detail.messages.len(), 1);
    assert_eq!(detail.summary.status, ConcernStatus::Open);
}

#[tokio::test]
async fn reading_a_thread_and_replying_are_audited_without_content() {
    let app = start().await;
    let staff_id = app.staff(app.a, "sb@musterstadt.de", Role::Agent).await;
    let (id, _) = app.concern(app.a, PHONE, "Vertrauliche Frage").await;
    let cookie = app.login("sb@musterstadt.de").await;
    app.get_page(&cookie, &format!("/concerns/{id}")).await;
    app.post_form(
        &cookie,
        &format!("/concerns/{id}/reply"),
        &[("text", "Geheime Antwort")],
    )
    .await;

    let entries = app
        .store
        .audit_entries(app.a, &rathaus_store::AuditFilter::default())
        .await
        .unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert!(actions.contains(&"concern.read"), "{actions:?}");
    assert!(actions.contains(&"concern.reply"), "{actions:?}");
    assert!(actions.contains(&"login.ok"), "{actions:?}");
    let read = entries.iter().find(|e| e.action == "concern.read").unwrap();
    assert_eq!(
        read.target.as_deref(),
        Some(format!("concern:{id}").as_str())
    );
    assert!(read.actor.starts_with(&format!("staff:{staff_id} ")));
    let all = format!("{entries:?}");
    assert!(!all.contains("Vertrauliche") && !all.contains("Geheime") && !all.contains(PHONE));
}

#[tokio::test]
async fn notes_assignment_and_status_from_the_forms() {
    let app = start().await;
    app.staff(app.a, "sb@musterstadt.de", Role::Agent).await;
    let colleague = app
        .staff(app.a, "kollegin@musterstadt.de", Role::Agent)
        .await;
    let stranger = app.staff(app.b, "fremd@beispieldorf.de", Role::Agent).await;
    let (id, _) = app.concern(app.a, PHONE, "Frage").await;
    let cookie = app.login("sb@musterstadt.de").await;
    let concern = format!("/concerns/{id}");

    let res = app
        .post_form(
            &cookie,
            &format!("{concern}/note"),
            &[("text", "Bauamt fragen")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let (_, body) = app.get_page(&cookie, &concern).await;
    assert!(body.contains("msg-internal"));
    assert!(body.contains("Interne Notiz · sb"));
    assert!(body.contains("Bauamt fragen"));

    let res = app
        .post_form(
            &cookie,
            &format!("{concern}/assign"),
            &[("staff_id", &colleague.to_string())],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let s = app.store.concern_summary(app.a, id).await.unwrap().unwrap();
    assert_eq!(s.assignee_id, Some(colleague));
    let res = app
        .post_form(
            &cookie,
            &format!("{concern}/assign"),
            &[("staff_id", &stranger.to_string())],
        )
        .await;
    assert_eq!(res.status().as_u16(), 422);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("gehört nicht zu Ihrer Kommune"));
    let res = app
        .post_form(&cookie, &format!("{concern}/assign"), &[("staff_id", "")])
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let s = app.store.concern_summary(app.a, id).await.unwrap().unwrap();
    assert_eq!(s.assignee_id, None);

    let res = app
        .post_form(
            &cookie,
            &format!("{concern}/status"),
            &[("status", "resolved")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let s = app.store.concern_summary(app.a, id).await.unwrap().unwrap();
    assert_eq!(s.status, ConcernStatus::Resolved);
    let (_, body) = app.get_page(&cookie, "/inbox?status=resolved").await;
    assert!(body.contains(&concern));
}

#[tokio::test]
async fn media_is_downloaded_as_an_attachment_and_pending_media_says_so() {
    let app = start().await;
    app.staff(app.a, "sb@musterstadt.de", Role::Agent).await;
    let (citizen, id, media_id) = app.concern_with_image(app.a, PHONE).await;
    let cookie = app.login("sb@musterstadt.de").await;

    let (_, body) = app.get_page(&cookie, &format!("/concerns/{id}")).await;
    assert!(body.contains("Anhang wird noch geladen"), "{body}");
    let media_path = format!("/concerns/{id}/media/{media_id}");
    let (status, _) = app.get_page(&cookie, &media_path).await;
    assert_eq!(status, 404, "nothing to download before it is stored");

    app.store
        .save_media(&citizen, media_id, "image/jpeg", b"\xff\xd8\xff jpeg bytes")
        .await
        .unwrap();
    let (_, body) = app.get_page(&cookie, &format!("/concerns/{id}")).await;
    assert!(body.contains(&format!("href=\"{media_path}\"")));
    let res = app
        .http
        .get(app.url(&media_path))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let h = res.headers().clone();
    assert_eq!(header(&h, "content-type"), "image/jpeg");
    assert_eq!(
        header(&h, "content-disposition"),
        "attachment; filename=\"SchlaglochFoto.jpg\""
    );
    assert_eq!(header(&h, "x-content-type-options"), "nosniff");
    assert_eq!(
        res.bytes().await.unwrap().as_ref(),
        b"\xff\xd8\xff jpeg bytes"
    );

    // A scriptable type is never handed to the browser as such.
    app.store
        .save_media(
            &citizen,
            media_id,
            "image/svg+xml",
            b"<svg onload=alert(1)>",
        )
        .await
        .unwrap();
    let res = app
        .http
        .get(app.url(&media_path))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(
        header(res.headers(), "content-type"),
        "application/octet-stream"
    );
    assert!(header(res.headers(), "content-disposition").starts_with("attachment"));
}

#[tokio::test]
async fn links_in_messages_are_shown_and_never_fetched() {
    // A server that counts every connection made to it.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = hits.clone();
    tokio::spawn(async move {
        while let Ok((_conn, _)) = listener.accept().await {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    });
    let app = start().await;
    app.staff(app.a, "sb@musterstadt.de", Role::Agent).await;
    let link = format!("http://127.0.0.1:{port}/vorschau?bild=1");
    let (id, _) = app
        .concern(app.a, PHONE, &format!("Siehe Foto: {link} – danke"))
        .await;
    let cookie = app.login("sb@musterstadt.de").await;
    let (_, inbox) = app.get_page(&cookie, "/inbox").await;
    let (status, body) = app.get_page(&cookie, &format!("/concerns/{id}")).await;
    assert_eq!(status, 200);
    // Shown as the citizen wrote it (escaped), never as an embed.
    let shown = body.replace("&#61;", "=").replace("&amp;", "&");
    assert!(
        shown.contains(&format!("127.0.0.1:{port}/vorschau?bild")),
        "{body}"
    );
    assert!(
        !body.contains(&format!("<img src=\"{link}"))
            && !body.contains(&format!("<iframe src=\"{link}")),
        "{body}"
    );
    assert!(!inbox.contains("<img src=\"http://127.0.0.1"), "{inbox}");
    // Nothing on the server side looked at the link (no preview, no check).
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 0);
}
