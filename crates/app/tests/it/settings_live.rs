//! Settings changed while running: a separate worker process (own store handle and registry) picks
//! up a change saved by the web process and files new concerns with it; a changed configuration
//! file is recorded in the audit log at the next start. On SQLite and PostgreSQL.

use std::time::Duration;

use rathaus::server::{self, Roles};
use rathaus::simulate::{whatsapp_message, whatsapp_text};
use rathaus_hub::WorkerOptions;
use rathaus_store::{now_ms, AuditFilter, ConcernFilter};

use crate::harness::{databases, Instance, PHONE_NUMBER_ID};

#[tokio::test]
async fn a_separate_worker_uses_settings_saved_elsewhere_and_file_changes_are_audited() {
    for db in databases().await {
        // The web process (no worker) and a worker-only process on the same database.
        let mut web = Instance::start(&db, false).await;
        let worker = server::start(
            &web.config,
            Roles {
                web: false,
                worker: true,
            },
            WorkerOptions {
                idle_poll: Duration::from_millis(20),
                ..WorkerOptions::default()
            },
        )
        .await
        .unwrap();
        let store = web.r().store.clone();
        let m = store
            .municipality_by_slug("musterstadt")
            .await
            .unwrap()
            .unwrap()
            .id;
        // First start of each process: one entry, the second process saw the same file.
        let file_entries = |store: rathaus_store::Store| async move {
            store
                .audit_entries(
                    m,
                    &AuditFilter {
                        action_prefix: Some("config.file_changed".into()),
                        ..Default::default()
                    },
                )
                .await
                .unwrap()
        };
        let first = file_entries(store.clone()).await;
        assert_eq!(first.len(), 1, "{db:?}: {first:?}");
        assert!(first[0].details.as_deref().unwrap().contains("first time"));

        // Saved by the web process as its admin UI does: store, then rebuild its own registry.
        let open_sunday = r#"{"state":"ST","sun":["09:00-10:00"]}"#;
        store
            .save_settings_override(
                m,
                "office_hours",
                open_sunday,
                "staff:1 admin@musterstadt.de",
                now_ms(),
            )
            .await
            .unwrap();
        web.r().registry.reload(now_ms()).await.unwrap();

        // The worker process notices the new version on its own.
        let mut seen = false;
        for _ in 0..200 {
            let current = worker.registry.current();
            if current.tenant(m).unwrap().settings.office_hours.sun == vec!["09:00-10:00"] {
                seen = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        assert!(seen, "{db:?}: the worker never rebuilt its registry");

        // A citizen writes to the web process; the worker process files the concern with the new
        // office hours: due on a Sunday morning.
        let phone = "4916012345678";
        let ts = now_ms() / 1000;
        for (id, text) in [("s1", "Start"), ("m1", "Wann hat das Bürgerbüro geöffnet?")] {
            let body = whatsapp_message(
                PHONE_NUMBER_ID,
                phone,
                "Erika",
                whatsapp_text(phone, id, ts, text),
            );
            assert_eq!(web.post_wa(&body).await, 200);
        }
        let mut due = None;
        for _ in 0..400 {
            let concerns = store
                .list_concerns(m, &ConcernFilter::default())
                .await
                .unwrap();
            if let Some(d) = concerns.first().and_then(|c| c.due_at) {
                due = Some(d);
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let due = jiff::Timestamp::from_millisecond(due.expect("concern filed with a due time"))
            .unwrap()
            .to_zoned(jiff::tz::TimeZone::get("Europe/Berlin").unwrap());
        assert_eq!(due.weekday(), jiff::civil::Weekday::Sunday, "{db:?}: {due}");
        assert!((9..=10).contains(&due.hour()), "{db:?}: {due}");
        worker.stop().await;

        // Restart with the same file: nothing new. With a changed file: one more entry.
        web.restart(false).await;
        assert_eq!(file_entries(web.r().store.clone()).await.len(), 1);
        web.config.municipality[0].name = "Stadt Musterstadt an der Mulde".into();
        web.restart(false).await;
        let entries = file_entries(web.r().store.clone()).await;
        assert_eq!(entries.len(), 2, "{db:?}: {entries:?}");
        assert!(entries[0]
            .details
            .as_deref()
            .unwrap()
            .contains("changed since the last start"));
        // The settings saved in the admin UI survive restarts (the database wins over the file).
        let current = web.r().registry.current();
        assert_eq!(
            current.tenant(m).unwrap().settings.office_hours.sun,
            vec!["09:00-10:00"]
        );
    }
}
