//! The ceiling: raw durable single-row inserts into a jobs-shaped table, on SQLite or PostgreSQL.

use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use rand::{Rng, RngCore};
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::load::Stats;
use crate::machine::CpuUse;

pub(crate) struct Ceiling {
    pub(crate) rows: usize,
    pub(crate) elapsed: Duration,
    pub(crate) lat: Stats,
    pub(crate) connections: usize,
    pub(crate) cpu: CpuUse,
}

impl Ceiling {
    pub(crate) fn rate(&self) -> f64 {
        self.rows as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

pub(crate) const CEILING_COLUMNS: &str =
    "municipality_id, kind, payload_enc, state, run_at, attempts, created_at";

pub(crate) fn random_blobs(n: usize, len: usize) -> Vec<Vec<u8>> {
    let mut rng = rand::thread_rng();
    (0..n)
        .map(|_| {
            let mut b = vec![0u8; len];
            rng.fill_bytes(&mut b);
            b
        })
        .collect()
}

/// Single-row transactions through one connection (the store's single SQLite writer), WAL and
/// synchronous=FULL like the store, into a table shaped like `jobs` (random 63-bit ids, same index).
pub(crate) async fn ceiling_sqlite(
    path: &Path,
    rows: usize,
    blob_len: usize,
) -> anyhow::Result<(Ceiling, String)> {
    let opts = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        .connect_with(opts)
        .await
        .with_context(|| format!("opening {}", path.display()))?;
    let version: String = sqlx::query_scalar("SELECT sqlite_version()")
        .fetch_one(&pool)
        .await?;
    sqlx::query(
        "CREATE TABLE ceiling (id INTEGER PRIMARY KEY, municipality_id INTEGER, kind TEXT NOT NULL, \
         payload_enc BLOB NOT NULL, state TEXT NOT NULL, run_at INTEGER NOT NULL, attempts INTEGER NOT NULL, \
         lease_until INTEGER, leased_by TEXT, last_error TEXT, created_at INTEGER NOT NULL)",
    )
    .execute(&pool)
    .await?;
    sqlx::query("CREATE INDEX ceiling_ready ON ceiling (state, run_at)")
        .execute(&pool)
        .await?;
    let blobs = random_blobs(rows, blob_len);
    let insert = format!(
        "INSERT INTO ceiling (id, {CEILING_COLUMNS}) VALUES ($1, 1, 'inbound', $2, 'ready', $3, 0, $3)"
    );
    let mut lat = Vec::with_capacity(rows);
    let start = Instant::now();
    for (i, blob) in blobs.iter().enumerate() {
        let t = Instant::now();
        let id: i64 = rand::thread_rng().gen_range(1..i64::MAX);
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query(&insert)
            .bind(id)
            .bind(blob)
            .bind(i as i64)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        lat.push(t.elapsed());
    }
    let elapsed = start.elapsed();
    pool.close().await;
    Ok((
        Ceiling {
            rows,
            elapsed,
            lat: Stats::of(lat),
            connections: 1,
            cpu: CpuUse::default(),
        },
        format!("SQLite {version} (WAL, synchronous=FULL)"),
    ))
}

/// Single-row transactions from `c` connections at once (PostgreSQL commits them in groups).
pub(crate) async fn ceiling_postgres(
    url: &str,
    rows: usize,
    blob_len: usize,
    c: usize,
) -> anyhow::Result<(Ceiling, String)> {
    let pool = PgPoolOptions::new()
        .max_connections(c as u32)
        .connect(url)
        .await
        .context("connecting to the scratch database")?;
    let version: String = sqlx::query_scalar("SHOW server_version")
        .fetch_one(&pool)
        .await?;
    let sync: String = sqlx::query_scalar("SHOW synchronous_commit")
        .fetch_one(&pool)
        .await?;
    let fsync: String = sqlx::query_scalar("SHOW fsync").fetch_one(&pool).await?;
    sqlx::query(
        "CREATE TABLE rathaus_bench_ceiling (id BIGINT PRIMARY KEY, municipality_id BIGINT, kind TEXT NOT NULL, \
         payload_enc BYTEA NOT NULL, state TEXT NOT NULL, run_at BIGINT NOT NULL, attempts BIGINT NOT NULL, \
         lease_until BIGINT, leased_by TEXT, last_error TEXT, created_at BIGINT NOT NULL)",
    )
    .execute(&pool)
    .await?;
    sqlx::query(
        "CREATE INDEX rathaus_bench_ceiling_ready ON rathaus_bench_ceiling (state, run_at)",
    )
    .execute(&pool)
    .await?;
    let blobs = Arc::new(random_blobs(rows, blob_len));
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(c);
    for _ in 0..c {
        let (pool, blobs, next) = (pool.clone(), blobs.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let insert = format!(
                "INSERT INTO rathaus_bench_ceiling (id, {CEILING_COLUMNS}) VALUES ($1, 1, 'inbound', $2, 'ready', $3, 0, $3)"
            );
            let mut lat = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(blob) = blobs.get(i) else { break };
                let t = Instant::now();
                let id: i64 = rand::thread_rng().gen_range(1..i64::MAX);
                let mut tx = pool.begin().await?;
                sqlx::query(&insert)
                    .bind(id)
                    .bind(blob)
                    .bind(i as i64)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                lat.push(t.elapsed());
            }
            Ok::<_, sqlx::Error>(lat)
        }));
    }
    let mut lat = Vec::with_capacity(rows);
    for t in tasks {
        lat.append(&mut t.await.context("ceiling task")??);
    }
    let elapsed = start.elapsed();
    pool.close().await;
    Ok((
        Ceiling {
            rows,
            elapsed,
            lat: Stats::of(lat),
            connections: c,
            cpu: CpuUse::default(),
        },
        format!("PostgreSQL {version} (fsync={fsync}, synchronous_commit={sync})"),
    ))
}
