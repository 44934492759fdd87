//! Posts on both backends: draft with images and channels, workflow steps with audit, publications, the news page and its search.

use std::collections::BTreeMap;

use rathaus_store::{AuditFilter, NewPost, NewPostImage, PostStep, Role, Store, WEBSITE_CHANNEL};

use crate::backends::{self, author};

const T0: i64 = 1_790_000_000_000;

async fn setup(s: &Store) -> (i64, i64, i64, i64) {
    let m = s
        .ensure_municipality("musterstadt", "Musterstadt", "Europe/Berlin", T0)
        .await
        .unwrap();
    let other = s
        .ensure_municipality("anderswo", "Anderswo", "Europe/Berlin", T0)
        .await
        .unwrap();
    let author = author(s, m.id).await;
    let reviewer = s
        .upsert_staff(m.id, "pruefer@x.de", "Prüfer", None, Role::Editor, T0)
        .await
        .unwrap();
    (m.id, other.id, author, reviewer)
}

fn image<'a>(m: i64, by: i64, bytes: &'a [u8], alt: &'a str) -> NewPostImage<'a> {
    NewPostImage {
        municipality_id: m,
        uploaded_by: by,
        mime: "image/png",
        width: 2,
        height: 1,
        bytes,
        alt,
    }
}

fn step<'a>(
    from: &'a str,
    to: &'a str,
    action: &'a str,
    actor: Option<i64>,
    at: i64,
) -> PostStep<'a> {
    PostStep {
        from,
        to,
        action,
        actor_id: actor,
        comment: None,
        at,
        approved_by: None,
        publish_at: None,
        published_at: None,
    }
}

#[tokio::test]
async fn posts_move_through_the_workflow_and_reach_the_news_page() {
    for t in backends::all().await {
        let s = &t.store;
        let (m, other, author, reviewer) = setup(s).await;
        let img = s
            .insert_post_image(&image(m, author, b"PNGBYTES", ""), T0)
            .await
            .unwrap();
        let foreign = s
            .insert_post_image(&image(other, author, b"X", "x"), T0)
            .await
            .unwrap();
        assert!(s
            .set_post_image_alt(m, img, "  Der Marktplatz im Schnee ")
            .await
            .unwrap());
        assert!(
            !s.set_post_image_alt(m, foreign, "fremd").await.unwrap(),
            "{}: other municipality",
            t.name
        );

        let variants = BTreeMap::from([("mastodon".to_string(), "Kurz: Straßenfest".to_string())]);
        let channels = vec![
            (WEBSITE_CHANNEL.to_string(), "website".to_string()),
            ("mastodon".to_string(), "mastodon".to_string()),
        ];
        let mut new = NewPost {
            municipality_id: m,
            author_id: author,
            text: "Einladung zum STRASSENFEST am Samstag",
            language: "de",
            variants: &variants,
            channels: &channels,
            images: &[img, foreign],
            publish_at: None,
        };
        // An image of another municipality cannot be attached; nothing of the draft remains.
        assert!(s.create_post(&new, T0).await.is_err(), "{}", t.name);
        let only_img = [img];
        new.images = &only_img;
        let id = s.create_post(&new, T0 + 1).await.unwrap();
        let p = s.post(m, id).await.unwrap().unwrap();
        assert_eq!(
            (p.status.as_str(), p.author_id, p.variants.clone()),
            ("draft", author, variants.clone())
        );
        assert!(
            s.post(other, id).await.unwrap().is_none(),
            "{}: tenant isolation",
            t.name
        );
        let imgs = s.post_images(id).await.unwrap();
        assert_eq!(imgs.len(), 1);
        assert_eq!(
            (imgs[0].alt.as_str(), imgs[0].bytes_len, imgs[0].post_id),
            ("Der Marktplatz im Schnee", 8, Some(id))
        );
        // An attached image cannot be used twice.
        new.images = &only_img;
        assert!(s.create_post(&new, T0 + 2).await.is_err(), "{}", t.name);

        // Steps apply only from the status the caller saw.
        assert!(s
            .apply_post_step(
                m,
                id,
                &step("draft", "submitted", "submit", Some(author), T0 + 10)
            )
            .await
            .unwrap());
        assert!(!s
            .apply_post_step(
                m,
                id,
                &step("draft", "submitted", "submit", Some(author), T0 + 11)
            )
            .await
            .unwrap());
        assert!(
            !s.set_post_image_alt(m, img, "geändert").await.unwrap(),
            "{}: alt is frozen after submission",
            t.name
        );
        let mut reject = step("submitted", "draft", "reject", Some(reviewer), T0 + 12);
        reject.comment = Some("Bitte Uhrzeit ergänzen");
        assert!(s.apply_post_step(m, id, &reject).await.unwrap());
        assert_eq!(
            s.post(m, id)
                .await
                .unwrap()
                .unwrap()
                .review_comment
                .as_deref(),
            Some("Bitte Uhrzeit ergänzen")
        );
        assert!(s
            .apply_post_step(
                m,
                id,
                &step("draft", "submitted", "submit", Some(author), T0 + 13)
            )
            .await
            .unwrap());
        let mut approve = step("submitted", "approved", "approve", Some(reviewer), T0 + 14);
        approve.approved_by = Some(reviewer);
        assert!(s.apply_post_step(m, id, &approve).await.unwrap());
        let mut schedule = step("approved", "scheduled", "schedule", Some(reviewer), T0 + 15);
        schedule.approved_by = Some(reviewer);
        schedule.publish_at = Some(T0 + 1000);
        assert!(s.apply_post_step(m, id, &schedule).await.unwrap());
        assert!(
            s.due_posts(T0 + 999).await.unwrap().is_empty(),
            "{}",
            t.name
        );
        assert_eq!(s.due_posts(T0 + 1000).await.unwrap(), vec![(m, id)]);

        // Not on the news page (and its image not public) before the website publication.
        assert_eq!(s.news_page(m, None, 10, 0).await.unwrap().1, 0);
        assert!(s.public_post_image(m, img).await.unwrap().is_none());
        let mut start = step(
            "scheduled",
            "publishing",
            "start_publishing",
            None,
            T0 + 1000,
        );
        start.approved_by = Some(reviewer);
        start.publish_at = Some(T0 + 1000);
        assert!(s.apply_post_step(m, id, &start).await.unwrap());
        s.set_publication(
            id,
            WEBSITE_CHANNEL,
            "published",
            Some("https://x/musterstadt/beitrag/1"),
            None,
            T0 + 1001,
        )
        .await
        .unwrap();
        s.set_publication(
            id,
            "mastodon",
            "pending",
            None,
            Some("Kanal noch nicht angebunden"),
            T0 + 1001,
        )
        .await
        .unwrap();
        assert!(s
            .set_publication(id, "nope", "published", None, None, T0)
            .await
            .is_err());
        let pubs = s.publications(id).await.unwrap();
        assert_eq!(pubs.len(), 2);
        let mastodon = pubs.iter().find(|p| p.channel == "mastodon").unwrap();
        assert_eq!(
            (mastodon.status.as_str(), mastodon.error.as_deref()),
            ("pending", Some("Kanal noch nicht angebunden"))
        );
        let web = pubs.iter().find(|p| p.channel == WEBSITE_CHANNEL).unwrap();
        assert_eq!(
            (web.status.as_str(), web.published_at),
            ("published", Some(T0 + 1001))
        );

        let (items, total) = s.news_page(m, None, 10, 0).await.unwrap();
        assert_eq!(
            (total, items.len(), items[0].post.id, items[0].published_at),
            (1, 1, id, T0 + 1001),
            "{}",
            t.name
        );
        // Search is case-insensitive beyond ASCII and looks into variants; wildcards are literal.
        assert_eq!(
            s.news_page(m, Some("strassenfest"), 10, 0).await.unwrap().1,
            1,
            "{}",
            t.name
        );
        assert_eq!(
            s.news_page(m, Some("STRAßENFEST"), 10, 0).await.unwrap().1,
            1,
            "{}",
            t.name
        );
        assert_eq!(
            s.news_page(m, Some("%"), 10, 0).await.unwrap().1,
            0,
            "{}",
            t.name
        );
        assert_eq!(s.news_page(m, Some("Rathaus"), 10, 0).await.unwrap().1, 0);
        assert_eq!(s.news_page(other, None, 10, 0).await.unwrap().1, 0);
        assert!(s.news_item(m, id).await.unwrap().is_some());
        assert!(s.news_item(other, id).await.unwrap().is_none());
        assert_eq!(
            s.public_post_image(m, img).await.unwrap(),
            Some(("image/png".to_string(), b"PNGBYTES".to_vec()))
        );
        assert!(s.public_post_image(other, img).await.unwrap().is_none());

        let steps = s.post_transitions(id).await.unwrap();
        let actions: Vec<&str> = steps.iter().map(|s| s.action.as_str()).collect();
        assert_eq!(
            actions,
            [
                "submit",
                "reject",
                "submit",
                "approve",
                "schedule",
                "start_publishing"
            ],
            "{}",
            t.name
        );
        assert_eq!(
            (steps[1].actor_id, steps[1].comment.as_deref()),
            (Some(reviewer), Some("Bitte Uhrzeit ergänzen"))
        );
        assert_eq!(steps[5].actor_id, None);

        let audit = s
            .audit_entries(
                m,
                &AuditFilter {
                    action_prefix: Some("post.".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let mut seen: Vec<(String, String)> = audit
            .iter()
            .map(|a| (a.action.clone(), a.actor.clone()))
            .collect();
        seen.sort();
        assert!(
            seen.contains(&("post.reject".into(), format!("staff:{reviewer}"))),
            "{}: {seen:?}",
            t.name
        );
        assert!(seen.contains(&("post.start_publishing".into(), "system".into())));
        assert!(seen.contains(&("post.create".into(), format!("staff:{author}"))));
        let reject_entry = audit.iter().find(|a| a.action == "post.reject").unwrap();
        assert_eq!(reject_entry.target.as_deref(), Some(&*format!("post:{id}")));
        assert!(reject_entry
            .details
            .as_deref()
            .unwrap_or("")
            .contains("Bitte Uhrzeit ergänzen"));
    }
}

#[tokio::test]
async fn news_pages_are_newest_first_and_paginated() {
    for t in backends::all().await {
        let s = &t.store;
        let (m, _, author, _) = setup(s).await;
        let variants = BTreeMap::new();
        let channels = vec![(WEBSITE_CHANNEL.to_string(), "website".to_string())];
        let mut ids = Vec::new();
        for i in 0..5 {
            let text = format!("Meldung {i}");
            let id = s
                .create_post(
                    &NewPost {
                        municipality_id: m,
                        author_id: author,
                        text: &text,
                        language: "de",
                        variants: &variants,
                        channels: &channels,
                        images: &[],
                        publish_at: None,
                    },
                    T0,
                )
                .await
                .unwrap();
            s.set_publication(id, WEBSITE_CHANNEL, "published", None, None, T0 + i)
                .await
                .unwrap();
            ids.push(id);
        }
        let (first, total) = s.news_page(m, None, 2, 0).await.unwrap();
        assert_eq!(total, 5);
        assert_eq!(
            first.iter().map(|i| i.post.id).collect::<Vec<_>>(),
            vec![ids[4], ids[3]],
            "{}",
            t.name
        );
        let (last, _) = s.news_page(m, None, 2, 4).await.unwrap();
        assert_eq!(
            last.iter().map(|i| i.post.id).collect::<Vec<_>>(),
            vec![ids[0]]
        );
    }
}
