//! Opens a fresh store per test on each backend; PostgreSQL comes from RATHAUS_TEST_POSTGRES_URL.

use rathaus_crypto::Key;
use rathaus_store::Store;

pub struct TestStore {
    pub store: Store,
    /// Where the database is, for tests that tamper with it behind the store's back.
    pub url: String,
    pub name: &'static str,
    _dir: Option<tempfile::TempDir>,
}

pub async fn sqlite() -> TestStore {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    TestStore {
        store: Store::open(&url, Key::generate()).await.unwrap(),
        url,
        name: "sqlite",
        _dir: Some(dir),
    }
}

/// A fresh database on the test PostgreSQL server, or None when there is none outside CI.
pub async fn postgres() -> Option<TestStore> {
    let Ok(base) = std::env::var("RATHAUS_TEST_POSTGRES_URL") else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("RATHAUS_TEST_POSTGRES_URL is not set: PostgreSQL tests must run in CI (use scripts/test.sh)");
        }
        eprintln!(
            "skipping PostgreSQL: RATHAUS_TEST_POSTGRES_URL not set (scripts/test.sh sets it)"
        );
        return None;
    };
    let url = fresh_database(&base).await;
    Some(TestStore {
        store: Store::open(&url, Key::generate()).await.unwrap(),
        url,
        name: "postgres",
        _dir: None,
    })
}

/// Creates `rathaus_t_<random>` next to the given database and returns its URL.
pub async fn fresh_database(base: &str) -> String {
    use sqlx::Connection;
    let name = format!("rathaus_t_{:016x}", rand_u64());
    let mut conn = sqlx::PgConnection::connect(base).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let (head, tail) = match base.find('?') {
        Some(q) => (&base[..q], &base[q..]),
        None => (base, ""),
    };
    let slash = head.rfind('/').unwrap();
    format!("{}/{name}{tail}", &head[..slash])
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
    );
    h.finish()
}

/// Both backends that are available here.
pub async fn all() -> Vec<TestStore> {
    let mut v = vec![sqlite().await];
    if let Some(pg) = postgres().await {
        v.push(pg);
    }
    v
}

/// Runs one SQL statement directly on the test database (to simulate tampering).
pub async fn tamper(t: &TestStore, sql: &str) {
    if t.url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(&t.url).await.unwrap();
        sqlx::query(sql).execute(&pool).await.unwrap();
        pool.close().await;
    } else {
        let pool = sqlx::SqlitePool::connect(&t.url).await.unwrap();
        sqlx::query(sql).execute(&pool).await.unwrap();
        pool.close().await;
    }
}

/// The values in the one column `sql` selects, read directly from the test database (behind the
/// store's back, e.g. to look for a plaintext).
pub async fn raw_column<T>(t: &TestStore, sql: &str) -> Vec<T>
where
    T: Send
        + Unpin
        + for<'r> sqlx::Decode<'r, sqlx::Sqlite>
        + sqlx::Type<sqlx::Sqlite>
        + for<'r> sqlx::Decode<'r, sqlx::Postgres>
        + sqlx::Type<sqlx::Postgres>,
{
    if t.url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(&t.url).await.unwrap();
        let rows = sqlx::query_scalar(sql).fetch_all(&pool).await.unwrap();
        pool.close().await;
        rows
    } else {
        let pool = sqlx::SqlitePool::connect(&t.url).await.unwrap();
        let rows = sqlx::query_scalar(sql).fetch_all(&pool).await.unwrap();
        pool.close().await;
        rows
    }
}

/// The municipality `slug` called `name` (Europe/Berlin), made if it is not there yet; its id.
pub async fn municipality(s: &Store, slug: &str, name: &str) -> i64 {
    s.ensure_municipality(slug, name, "Europe/Berlin", 1_790_000_000_000)
        .await
        .unwrap()
        .id
}

/// An editor `autorin@x.de` of municipality `m`, made if she is not there yet; her id.
pub async fn author(s: &Store, m: i64) -> i64 {
    s.upsert_staff(
        m,
        "autorin@x.de",
        "Autorin",
        None,
        rathaus_store::Role::Editor,
        1_790_000_000_000,
    )
    .await
    .unwrap()
}

/// A German post "Hallo" of municipality `m` by `author` for `channels` (name, kind) with `images`,
/// no variants, made at the fixtures' time; its id.
pub async fn hallo_post(
    s: &Store,
    m: i64,
    author: i64,
    channels: &[(&str, &str)],
    images: &[i64],
) -> i64 {
    let channels: Vec<(String, String)> = channels
        .iter()
        .map(|(name, kind)| (name.to_string(), kind.to_string()))
        .collect();
    s.create_post(
        &rathaus_store::NewPost {
            municipality_id: m,
            author_id: author,
            text: "Hallo",
            language: "de",
            variants: &std::collections::BTreeMap::new(),
            channels: &channels,
            images,
            publish_at: None,
        },
        1_790_000_000_000,
    )
    .await
    .unwrap()
}
