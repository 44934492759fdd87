//! Network publications on both backends: the attempt is durable before the platform call, the key survives retries, results and notes are kept.

use rathaus_store::{publication_status as st, NewPostImage, WEBSITE_CHANNEL};

use crate::backends::{self, author, hallo_post};

const T0: i64 = 1_790_000_000_000;

#[tokio::test]
async fn an_attempt_is_recorded_before_the_call_and_keeps_its_key_across_retries() {
    for t in backends::all().await {
        let s = &t.store;
        let m = s
            .ensure_municipality("musterstadt", "Musterstadt", "Europe/Berlin", T0)
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
                    alt: "Rathaus",
                },
                T0,
            )
            .await
            .unwrap();
        let channels = [(WEBSITE_CHANNEL, WEBSITE_CHANNEL), ("mastodon", "mastodon")];
        let id = hallo_post(s, m.id, author, &channels, &[img]).await;
        assert_eq!(
            s.post_image_bytes(id).await.unwrap(),
            vec![(img, b"PNGBYTES".to_vec())]
        );

        let first = s
            .begin_publication_attempt(id, "mastodon", "key-1", T0 + 1)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (
                first.idempotency_key.as_str(),
                first.first_attempt_at,
                first.attempts
            ),
            ("key-1", T0 + 1, 1)
        );
        let state = s.publication_state(id, "mastodon").await.unwrap().unwrap();
        assert_eq!(state.status, st::SENDING, "{}", t.url);

        // A retry (after a crash, say) keeps the first key and start.
        let again = s
            .begin_publication_attempt(id, "mastodon", "key-2", T0 + 5)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (
                again.idempotency_key.as_str(),
                again.first_attempt_at,
                again.attempts
            ),
            ("key-1", T0 + 1, 2)
        );

        s.record_publication_published(
            id,
            "mastodon",
            "110;7",
            Some("https://x.social/@m/110"),
            T0 + 6,
        )
        .await
        .unwrap();
        // Decided publications take no new attempt.
        assert_eq!(
            s.begin_publication_attempt(id, "mastodon", "key-3", T0 + 7)
                .await
                .unwrap(),
            None
        );
        s.record_publication_note(
            id,
            "mastodon",
            Some(st::DELETED),
            None,
            "Gelöscht / deleted",
            T0 + 8,
        )
        .await
        .unwrap();
        let states = s.publication_states(id).await.unwrap();
        let mastodon = states.iter().find(|p| p.channel == "mastodon").unwrap();
        assert_eq!(mastodon.remote_id.as_deref(), Some("110;7"));
        assert_eq!(mastodon.url.as_deref(), Some("https://x.social/@m/110"));
        assert_eq!(mastodon.status, st::DELETED);
        assert_eq!(mastodon.note.as_deref(), Some("Gelöscht / deleted"));
        assert_eq!(mastodon.published_at, Some(T0 + 6));
        assert_eq!(mastodon.attempts, 2);

        s.record_publication_outcome(
            id,
            WEBSITE_CHANNEL,
            st::FAILED,
            Some("Grund / reason"),
            T0 + 9,
        )
        .await
        .unwrap();
        let web = s
            .publication_state(id, WEBSITE_CHANNEL)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (web.status.as_str(), web.error.as_deref()),
            (st::FAILED, Some("Grund / reason"))
        );
        assert!(s
            .record_publication_outcome(id, "nirgends", st::FAILED, None, T0)
            .await
            .is_err());

        s.update_published_text(m.id, id, author, "Neuer Text", T0 + 10)
            .await
            .unwrap();
        assert_eq!(s.post(m.id, id).await.unwrap().unwrap().text, "Neuer Text");
    }
}
