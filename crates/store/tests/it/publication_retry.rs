//! Sending a channel again and renewed network tokens on both backends: the publication, the post's step back to publishing and the job move together or not at all; renewed tokens are sealed and leave the settings version alone.

use rathaus_store::{
    publication_status as st, AuditFilter, PostStep, PublicationRetry, Role, Store, WEBSITE_CHANNEL,
};

use crate::backends::{self, hallo_post, municipality, raw_column};

const T0: i64 = 1_790_000_000_000;

/// A post of `municipality` with the news page and Mastodon; Mastodon failed, the post partly failed.
async fn partly_failed_post(s: &Store, municipality: i64) -> (i64, i64) {
    let author = s
        .upsert_staff(
            municipality,
            &format!("autorin{municipality}@x.de"),
            "Autorin",
            None,
            Role::Editor,
            T0,
        )
        .await
        .unwrap();
    let channels = [(WEBSITE_CHANNEL, WEBSITE_CHANNEL), ("mastodon", "mastodon")];
    let id = hallo_post(s, municipality, author, &channels, &[]).await;
    s.begin_publication_attempt(id, "mastodon", "key-1", T0 + 1)
        .await
        .unwrap()
        .unwrap();
    s.record_publication_outcome(id, "mastodon", st::FAILED, Some("token revoked"), T0 + 2)
        .await
        .unwrap();
    let step = PostStep {
        from: "draft",
        to: "partly_failed",
        action: "finish_publishing",
        actor_id: None,
        comment: None,
        at: T0 + 3,
        approved_by: None,
        publish_at: None,
        published_at: Some(T0 + 3),
    };
    assert!(s.apply_post_step(municipality, id, &step).await.unwrap());
    (id, author)
}

fn back_to_publishing(from: &'static str, actor: i64) -> PostStep<'static> {
    PostStep {
        from,
        to: "publishing",
        action: "retry",
        actor_id: Some(actor),
        comment: Some("mastodon"),
        at: T0 + 10,
        approved_by: None,
        publish_at: None,
        published_at: None,
    }
}

#[tokio::test]
async fn a_failed_publication_goes_back_to_pending_with_its_post_and_a_job_in_one_step() {
    for b in backends::all().await {
        let s = &b.store;
        let m = municipality(s, "musterstadt", "Musterstadt").await;
        let other = municipality(s, "beispieldorf", "Beispieldorf").await;
        let (id, actor) = partly_failed_post(s, m).await;
        let retry = |municipality_id, from_status, post_step| PublicationRetry {
            municipality_id,
            post_id: id,
            channel: "mastodon",
            from_status,
            fresh_key: true,
            post_step,
            job_payload: b"{\"job\":1}",
            audit_action: "post.retry",
            actor_id: actor,
            now: T0 + 10,
        };

        // Another municipality, a state that is not the one seen, a post step that no longer fits:
        // nothing changes, nothing is queued.
        for wrong in [
            retry(
                other,
                st::FAILED,
                Some(back_to_publishing("partly_failed", actor)),
            ),
            retry(
                m,
                st::UNKNOWN,
                Some(back_to_publishing("partly_failed", actor)),
            ),
            retry(m, st::FAILED, Some(back_to_publishing("failed", actor))),
        ] {
            assert!(!s.retry_publication(&wrong).await.unwrap(), "{}", b.name);
        }
        let state = s.publication_state(id, "mastodon").await.unwrap().unwrap();
        assert_eq!(state.status, st::FAILED, "{}", b.name);
        assert_eq!(state.idempotency_key.as_deref(), Some("key-1"));
        assert_eq!(
            s.post(m, id).await.unwrap().unwrap().status,
            "partly_failed"
        );
        assert!(s
            .claim_jobs("w", T0 + 20, 1000, 10)
            .await
            .unwrap()
            .is_empty());

        assert!(s
            .retry_publication(&retry(
                m,
                st::FAILED,
                Some(back_to_publishing("partly_failed", actor))
            ))
            .await
            .unwrap());
        let state = s.publication_state(id, "mastodon").await.unwrap().unwrap();
        assert_eq!(state.status, st::PENDING, "{}", b.name);
        assert_eq!(state.error, None);
        assert_eq!(
            state.idempotency_key, None,
            "a fresh key for the next attempt"
        );
        assert_eq!(state.first_attempt_at, None);
        assert_eq!(s.post(m, id).await.unwrap().unwrap().status, "publishing");
        let steps = s.post_transitions(id).await.unwrap();
        let last = steps.last().unwrap();
        assert_eq!(
            (last.action.as_str(), last.actor_id, last.comment.as_deref()),
            ("retry", Some(actor), Some("mastodon"))
        );
        let jobs = s.claim_jobs("w", T0 + 20, 1000, 10).await.unwrap();
        assert_eq!(jobs.len(), 1, "{}", b.name);
        assert_eq!(jobs[0].payload, b"{\"job\":1}");
        assert_eq!(jobs[0].municipality_id, m);
        let audit = s
            .audit_entries(
                m,
                &AuditFilter {
                    action_prefix: Some("post.retry".into()),
                    ..AuditFilter::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(audit.len(), 1, "{}", b.name);
        assert_eq!(audit[0].actor, format!("staff:{actor}"));
        assert_eq!(
            audit[0].target.as_deref(),
            Some(format!("post:{id}").as_str())
        );
        assert_eq!(
            audit[0].details.as_deref(),
            Some("channel=mastodon; was failed; post partly_failed -> publishing")
        );

        // Done once: a second try finds it pending.
        assert!(!s
            .retry_publication(&retry(m, st::FAILED, None))
            .await
            .unwrap());

        // An unclear publication keeps its key (the platform may still remember it).
        s.begin_publication_attempt(id, "mastodon", "key-2", T0 + 30)
            .await
            .unwrap()
            .unwrap();
        s.record_publication_outcome(id, "mastodon", st::UNKNOWN, Some("unclear"), T0 + 31)
            .await
            .unwrap();
        let unclear = PublicationRetry {
            from_status: st::UNKNOWN,
            fresh_key: false,
            audit_action: "post.resend_unclear",
            ..retry(m, st::UNKNOWN, None)
        };
        assert!(s.retry_publication(&unclear).await.unwrap());
        let state = s.publication_state(id, "mastodon").await.unwrap().unwrap();
        assert_eq!(
            (state.status.as_str(), state.idempotency_key.as_deref()),
            (st::PENDING, Some("key-2")),
            "{}",
            b.name
        );
    }
}

#[tokio::test]
async fn renewed_network_tokens_are_sealed_kept_per_channel_and_leave_the_settings_version() {
    for b in backends::all().await {
        let s = &b.store;
        let m = municipality(s, "musterstadt", "Musterstadt").await;
        let v0 = s.settings_version().await.unwrap();
        s.keep_network_tokens(
            m,
            "x",
            &[
                ("renewed_access_token", "access-ONE"),
                ("renewed_refresh_token", "refresh-ONE"),
            ],
            "x-token-renewal",
            T0,
        )
        .await
        .unwrap();
        s.keep_network_tokens(
            m,
            "x",
            &[
                ("renewed_access_token", "access-TWO"),
                ("renewed_refresh_token", "refresh-TWO"),
            ],
            "x-token-renewal",
            T0 + 1,
        )
        .await
        .unwrap();
        s.save_network_secret(m, "x", "access_token", "from-the-ui", "staff:1", T0)
            .await
            .unwrap();
        s.keep_network_tokens(m, "x2", &[("renewed_access_token", "other")], "x", T0)
            .await
            .unwrap();
        assert_eq!(
            s.settings_version().await.unwrap(),
            v0 + 1,
            "only the UI's secret counts"
        );
        assert_eq!(
            s.network_tokens(m, "x", "renewed_").await.unwrap(),
            vec![
                ("renewed_access_token".to_string(), "access-TWO".to_string()),
                (
                    "renewed_refresh_token".to_string(),
                    "refresh-TWO".to_string()
                ),
            ],
            "{}",
            b.name
        );
        let sealed: Vec<Vec<u8>> = raw_column(&b, "SELECT sealed FROM network_secrets").await;
        assert_eq!(sealed.len(), 4);
        for blob in sealed {
            for plain in ["access-TWO", "refresh-TWO"] {
                assert!(
                    !blob.windows(plain.len()).any(|w| w == plain.as_bytes()),
                    "{plain} in plaintext on {}",
                    b.name
                );
            }
        }
    }
}
