//! The audit chain on both backends: intact, tampered, truncated, purged with a checkpoint.

use rathaus_store::{AuditEvent, AuditFilter, AuditVerdict};

use crate::backends::{self, tamper};

const T0: i64 = 1_790_000_000_000;
const DAY: i64 = 24 * 60 * 60 * 1000;

#[tokio::test]
async fn chain_detects_edits_and_deletions() {
    for t in backends::all().await {
        let s = &t.store;
        let m = s
            .ensure_municipality("musterstadt", "M", "Europe/Berlin", T0)
            .await
            .unwrap();
        for (i, action) in ["login", "concern.read", "citizen.reveal", "export"]
            .iter()
            .enumerate()
        {
            let e = AuditEvent::new(Some(m.id), "staff:1 anna@musterstadt.de", *action)
                .target(format!("concern:{i}"));
            s.audit(e, T0 + i as i64).await.unwrap();
        }
        assert_eq!(
            s.verify_audit().await.unwrap(),
            AuditVerdict::Intact {
                entries: 4,
                from_checkpoint: None
            },
            "{}",
            t.name
        );
        let reads = s
            .audit_entries(
                m.id,
                &AuditFilter {
                    action_prefix: Some("concern.".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(reads.len(), 1);
        assert_eq!(reads[0].target.as_deref(), Some("concern:1"));

        tamper(
            &t,
            "UPDATE audit_log SET actor = 'staff:2 someone-else' WHERE id = 3",
        )
        .await;
        assert!(
            matches!(
                s.verify_audit().await.unwrap(),
                AuditVerdict::Broken { entry_id: 3, .. }
            ),
            "{}",
            t.name
        );
    }
}

#[tokio::test]
async fn deleting_an_entry_in_the_middle_is_named() {
    for t in backends::all().await {
        let s = &t.store;
        for i in 0..5 {
            s.audit(AuditEvent::new(None, "system", "purge"), T0 + i)
                .await
                .unwrap();
        }
        tamper(&t, "DELETE FROM audit_log WHERE id = 2").await;
        match s.verify_audit().await.unwrap() {
            AuditVerdict::Broken { entry_id, reason } => {
                assert_eq!(entry_id, 2, "{}", t.name);
                assert!(reason.contains("missing"), "{reason}");
            }
            v => panic!("{}: deletion not detected: {v:?}", t.name),
        }
    }
}

#[tokio::test]
async fn retention_purge_keeps_the_chain_verifiable() {
    for t in backends::all().await {
        let s = &t.store;
        for i in 0..6 {
            s.audit(
                AuditEvent::new(None, "system", format!("a{i}")),
                T0 + i * DAY,
            )
            .await
            .unwrap();
        }
        assert_eq!(
            s.purge_audit_before(T0 + 3 * DAY, T0 + 10 * DAY)
                .await
                .unwrap(),
            3
        );
        assert_eq!(
            s.verify_audit().await.unwrap(),
            AuditVerdict::Intact {
                entries: 3,
                from_checkpoint: Some(3)
            },
            "{}",
            t.name
        );
        s.audit(AuditEvent::new(None, "system", "after"), T0 + 11 * DAY)
            .await
            .unwrap();
        assert_eq!(
            s.verify_audit().await.unwrap(),
            AuditVerdict::Intact {
                entries: 4,
                from_checkpoint: Some(3)
            }
        );
        // Purging everything still leaves a chain that continues.
        s.purge_audit_before(T0 + 100 * DAY, T0 + 100 * DAY)
            .await
            .unwrap();
        s.audit(AuditEvent::new(None, "system", "fresh"), T0 + 101 * DAY)
            .await
            .unwrap();
        assert_eq!(
            s.verify_audit().await.unwrap(),
            AuditVerdict::Intact {
                entries: 1,
                from_checkpoint: Some(7)
            }
        );
        // A forged checkpoint is refused.
        tamper(&t, "UPDATE audit_checkpoints SET entry_id = entry_id + 1").await;
        assert!(
            matches!(s.verify_audit().await.unwrap(), AuditVerdict::Broken { .. }),
            "{}",
            t.name
        );
    }
}

#[tokio::test]
async fn swapping_two_entries_is_detected() {
    for t in backends::all().await {
        let s = &t.store;
        for (i, a) in ["login.ok", "concern.read", "citizen.erase"]
            .iter()
            .enumerate()
        {
            s.audit(
                AuditEvent::new(None, format!("staff:{i}"), *a),
                T0 + i as i64,
            )
            .await
            .unwrap();
        }
        // Reorder: entries 1 and 2 exchange their content (ids stay, so no gap).
        tamper(&t, "UPDATE audit_log SET id = -1 WHERE id = 1").await;
        tamper(&t, "UPDATE audit_log SET id = 1 WHERE id = 2").await;
        tamper(&t, "UPDATE audit_log SET id = 2 WHERE id = -1").await;
        assert!(
            matches!(
                s.verify_audit().await.unwrap(),
                AuditVerdict::Broken { entry_id: 1, .. }
            ),
            "{}",
            t.name
        );
    }
}
