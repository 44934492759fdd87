//! Images staged for Instagram on both backends: one process stages, another (its own store handle on
//! the same database) serves them; sealed at rest, the token never stored; gone when withdrawn or
//! expired, and expired rows purged.

use rathaus_crypto::Key;
use rathaus_store::{StagedImage, Store};

use crate::backends;

const T0: i64 = 1_790_000_000_000;
const TOKEN: &str = "q7Yd0m3bTZk2rVx1pJc8sN4uHfW9eLaGoKiB6yQtRnE";
/// A recognisable run of bytes standing in for an image.
const IMAGE: &[u8] = b"\xFF\xD8\xFF\xE0 JPEG Stadtfest-Plakat Marktplatz \xFF\xD9";

/// The rows as they are on disk; `b` is (backend name, database URL).
async fn raw_rows(b: &(&str, String)) -> Vec<(Vec<u8>, Vec<u8>)> {
    let q = "SELECT token_hash, sealed FROM staged_media";
    if b.0 == "sqlite" {
        let pool = sqlx::SqlitePool::connect(&b.1).await.unwrap();
        sqlx::query_as(q).fetch_all(&pool).await.unwrap()
    } else {
        let pool = sqlx::PgPool::connect(&b.1).await.unwrap();
        sqlx::query_as(q).fetch_all(&pool).await.unwrap()
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn a_staged_image_is_served_by_another_process_until_withdrawn_or_expired() {
    for b in backends::all().await {
        // The "worker" and the "web server": two store handles on one fresh database and master key.
        let dir = tempfile::tempdir().unwrap();
        let url = match b.name {
            "sqlite" => format!("sqlite://{}", dir.path().join("shared.db").display()),
            _ => backends::fresh_database(&b.url).await,
        };
        let b = (b.name, url);
        let key = Key::generate();
        let worker = Store::open(&b.1, key.clone()).await.unwrap();
        let web = Store::open(&b.1, key).await.unwrap();

        worker
            .stage_media(TOKEN, IMAGE, "image/jpeg", T0 + 3_600_000, T0)
            .await
            .unwrap();
        worker
            .stage_media("second-token", b"other", "image/jpeg", T0 + 1_000, T0)
            .await
            .unwrap();
        assert_eq!(
            web.staged_media(TOKEN, T0 + 1).await.unwrap(),
            Some(StagedImage {
                bytes: IMAGE.to_vec(),
                mime: "image/jpeg".into()
            }),
            "{}",
            b.0
        );
        assert_eq!(web.staged_media("guessed", T0 + 1).await.unwrap(), None);

        // At rest: neither the token nor the image bytes.
        let rows = raw_rows(&b).await;
        assert_eq!(rows.len(), 2);
        for (hash, sealed) in &rows {
            assert!(!contains(hash, TOKEN.as_bytes()) && !contains(sealed, TOKEN.as_bytes()));
            assert!(!contains(sealed, b"Stadtfest-Plakat"), "{}: sealed", b.0);
        }

        // Expired: not served, and purged by housekeeping (only the expired one).
        assert_eq!(
            web.staged_media("second-token", T0 + 1_000).await.unwrap(),
            None
        );
        assert_eq!(web.purge_expired_staged_media(T0 + 1_000).await.unwrap(), 1);
        assert_eq!(raw_rows(&b).await.len(), 1);

        // Withdrawn after publishing: gone at once, for every process.
        worker.withdraw_staged_media(TOKEN).await.unwrap();
        assert_eq!(web.staged_media(TOKEN, T0 + 2).await.unwrap(), None);
        assert!(raw_rows(&b).await.is_empty());
        worker.close().await;
        web.close().await;
    }
}
