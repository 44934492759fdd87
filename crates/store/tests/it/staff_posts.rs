//! The composer's store functions on both backends: the staff list of posts in every state, images before publication, and editing a draft only while it is one (audited).

use std::collections::BTreeMap;

use rathaus_store::{AuditFilter, DraftEdit, NewPost, NewPostImage, PostStep, WEBSITE_CHANNEL};

use crate::backends::{self, author};

const T0: i64 = 1_790_000_000_000;

#[tokio::test]
async fn drafts_are_listed_edited_and_locked_once_submitted() {
    for t in backends::all().await {
        let s = &t.store;
        let m = s
            .ensure_municipality("musterstadt", "Musterstadt", "Europe/Berlin", T0)
            .await
            .unwrap();
        let other = s
            .ensure_municipality("anderswo", "Anderswo", "Europe/Berlin", T0)
            .await
            .unwrap();
        let author = author(s, m.id).await;
        let img = s
            .insert_post_image(
                &NewPostImage {
                    municipality_id: m.id,
                    uploaded_by: author,
                    mime: "image/png",
                    width: 2,
                    height: 1,
                    bytes: b"PNGBYTES",
                    alt: "Marktplatz",
                },
                T0,
            )
            .await
            .unwrap();
        // Before publication only staff of the same municipality get the bytes.
        assert_eq!(
            s.staff_post_image(m.id, img).await.unwrap(),
            Some(("image/png".to_string(), b"PNGBYTES".to_vec()))
        );
        assert_eq!(s.staff_post_image(other.id, img).await.unwrap(), None);
        assert_eq!(s.public_post_image(m.id, img).await.unwrap(), None);

        let variants = BTreeMap::new();
        let channels = vec![(WEBSITE_CHANNEL.to_string(), WEBSITE_CHANNEL.to_string())];
        let new = |text: &'static str| NewPost {
            municipality_id: m.id,
            author_id: author,
            text,
            language: "de",
            variants: &variants,
            channels: &channels,
            images: &[],
            publish_at: None,
        };
        let first = s.create_post(&new("Erster Entwurf"), T0).await.unwrap();
        let second = s
            .create_post(&new("Zweiter Entwurf"), T0 + 1)
            .await
            .unwrap();

        let mut v = BTreeMap::new();
        v.insert("mastodon".to_string(), "Kurz: Sperrung".to_string());
        let edit = DraftEdit {
            text: "Erster Entwurf, überarbeitet",
            language: "de",
            variants: &v,
            publish_at: Some(T0 + 86_400_000),
        };
        assert!(s
            .edit_draft(m.id, first, author, &edit, T0 + 2)
            .await
            .unwrap());
        assert!(!s
            .edit_draft(other.id, first, author, &edit, T0 + 2)
            .await
            .unwrap());
        let p = s.post(m.id, first).await.unwrap().unwrap();
        assert_eq!(p.text, "Erster Entwurf, überarbeitet");
        assert_eq!(p.variants, v);
        assert_eq!(p.publish_at, Some(T0 + 86_400_000));

        // Most recently changed first; another municipality sees none of them.
        let list: Vec<i64> = s
            .staff_posts(m.id, 10)
            .await
            .unwrap()
            .iter()
            .map(|p| p.id)
            .collect();
        assert_eq!(list, vec![first, second]);
        assert!(s.staff_posts(other.id, 10).await.unwrap().is_empty());

        // Submitted: no longer editable.
        let submitted = PostStep {
            from: "draft",
            to: "submitted",
            action: "submit",
            actor_id: Some(author),
            comment: None,
            at: T0 + 3,
            approved_by: None,
            publish_at: None,
            published_at: None,
        };
        assert!(s.apply_post_step(m.id, first, &submitted).await.unwrap());
        assert!(!s
            .edit_draft(m.id, first, author, &edit, T0 + 4)
            .await
            .unwrap());

        let filter = AuditFilter {
            action_prefix: Some("post.edit".into()),
            ..Default::default()
        };
        let edits = s.audit_entries(m.id, &filter).await.unwrap();
        assert_eq!(edits.len(), 1, "one audited edit");
        assert_eq!(edits[0].actor, format!("staff:{author}"));
        assert_eq!(edits[0].target.as_deref(), Some(&*format!("post:{first}")));
    }
}
