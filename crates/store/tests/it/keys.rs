//! Master-key rotation on both backends: everything stays readable under the new key, the old key is refused.

use rathaus_crypto::Key;
use rathaus_domain::{ChannelKind, PlatformUser};
use rathaus_store::{AuditEvent, AuditVerdict, Role, Store, StoreError};

use crate::backends;

const T0: i64 = 1_790_000_000_000;

/// A fresh empty database URL on each available backend (with the folder kept alive for SQLite).
async fn urls() -> Vec<(String, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let mut v = vec![(
        format!("sqlite://{}", dir.path().join("k.db").display()),
        Some(dir),
    )];
    if backends::postgres().await.is_some() {
        let base = std::env::var("RATHAUS_TEST_POSTGRES_URL").unwrap();
        v.push((backends::fresh_database(&base).await, None));
    }
    v
}

fn erika() -> PlatformUser {
    PlatformUser {
        id: "4915100".into(),
        phone: Some("4915100".into()),
        display_name: Some("Erika Mustermann".into()),
    }
}

#[tokio::test]
async fn rotation_rewraps_every_key_and_only_the_new_key_opens_the_database() {
    for (url, _dir) in urls().await {
        let old = Key::generate();
        let new = Key::generate();
        let s = Store::open(&url, old.clone()).await.unwrap();
        assert_eq!(s.master_key_id(), old.id());
        let m = s
            .ensure_municipality("musterstadt", "Musterstadt", "Europe/Berlin", T0)
            .await
            .unwrap();
        let ch = s
            .ensure_channel(m.id, ChannelKind::WhatsApp, "whatsapp", "1065", T0)
            .await
            .unwrap();
        let v = s
            .ensure_privacy_notice(m.id, "https://x/ds", Some("Fassung 1"), T0)
            .await
            .unwrap();
        let citizen = s
            .record_consent(m.id, ch.id, &erika(), &v, "wamid.1", T0)
            .await
            .unwrap();
        let staff = s
            .upsert_staff(m.id, "anna@musterstadt.de", "Anna", None, Role::Admin, T0)
            .await
            .unwrap();
        s.begin_totp(staff, b"12345678901234567890", T0)
            .await
            .unwrap();
        s.replace_recovery_codes(staff, &["abcd-efgh-ijkl".into()])
            .await
            .unwrap();
        let sealed = s.secrets_key().seal(b"channel token", b"ctx");
        for action in ["login", "concern.read"] {
            s.audit(AuditEvent::new(Some(m.id), "staff:1", action), T0)
                .await
                .unwrap();
        }

        assert_eq!(s.rotate_master_key(&new, T0 + 1).await.unwrap(), 1, "{url}");
        s.audit(AuditEvent::new(None, "cli", "keys.rotated"), T0 + 1)
            .await
            .unwrap();
        s.close().await;

        match Store::open(&url, old.clone()).await {
            Err(StoreError::WrongMasterKey { given, needed }) => {
                assert_eq!((given, needed), (old.id(), new.id()), "{url}");
            }
            Err(e) => panic!("{url}: wrong error for the old key: {e}"),
            Ok(_) => panic!("{url}: the old key still opens the database"),
        }

        let s = Store::open(&url, new.clone()).await.unwrap();
        let found = s
            .find_citizen(m.id, ch.id, "4915100")
            .await
            .unwrap()
            .expect("citizen found by the lookup hash under the re-wrapped municipality key");
        assert_eq!(found.pseudonym, citizen.pseudonym);
        let totp = s.totp(staff).await.unwrap().unwrap();
        assert_eq!(totp.secret, b"12345678901234567890");
        assert!(s
            .use_recovery_code(staff, "ABCD EFGH IJKL", T0 + 2)
            .await
            .unwrap());
        assert_eq!(
            s.secrets_key().open(&sealed, b"ctx").unwrap(),
            b"channel token"
        );
        assert_eq!(
            s.verify_audit().await.unwrap(),
            AuditVerdict::Intact {
                entries: 3,
                from_checkpoint: None
            },
            "{url}"
        );
        // A municipality added after the rotation is wrapped under the new key.
        let m2 = s
            .ensure_municipality("beispielstadt", "B", "Europe/Berlin", T0 + 3)
            .await
            .unwrap();
        let ch2 = s
            .ensure_channel(m2.id, ChannelKind::WhatsApp, "whatsapp", "1066", T0)
            .await
            .unwrap();
        assert!(s.find_citizen(m2.id, ch2.id, "1").await.unwrap().is_none());
        // Rotating to the key in use is refused; rotating on is possible.
        assert!(matches!(
            s.rotate_master_key(&new, T0 + 4).await,
            Err(StoreError::Invalid(_))
        ));
        let third = Key::generate();
        assert_eq!(s.rotate_master_key(&third, T0 + 5).await.unwrap(), 2);
        s.close().await;
        let s = Store::open(&url, third).await.unwrap();
        assert!(s
            .find_citizen(m.id, ch.id, "4915100")
            .await
            .unwrap()
            .is_some());
        s.close().await;
    }
}

#[tokio::test]
async fn a_database_from_before_key_ids_does_not_record_a_wrong_key() {
    for (url, _dir) in urls().await {
        let right = Key::generate();
        let s = Store::open(&url, right.clone()).await.unwrap();
        s.ensure_municipality("musterstadt", "M", "Europe/Berlin", T0)
            .await
            .unwrap();
        s.close().await;
        // As if the database predated the master_key table (its municipality key is under `right`).
        exec(&url, "DELETE FROM master_key").await;
        assert!(matches!(
            Store::open(&url, Key::generate()).await,
            Err(StoreError::WrongMasterKey { .. })
        ));
        let s = Store::open(&url, right.clone()).await.unwrap();
        assert_eq!(s.master_key_id(), right.id());
        s.close().await;
    }
}

async fn exec(url: &str, sql: &str) {
    if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        sqlx::query(sql).execute(&pool).await.unwrap();
        pool.close().await;
    } else {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        sqlx::query(sql).execute(&pool).await.unwrap();
        pool.close().await;
    }
}
