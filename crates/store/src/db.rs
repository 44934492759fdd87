//! Connection handling for both backends, and the macros that run one SQL text on either.
//!
//! The SQL we write is portable (`$1` placeholders, `RETURNING`, `ON CONFLICT`), so each query is written
//! once and the macros expand it for the backend in use. Only DDL (migrations) and the job claim differ.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub(crate) enum Db {
    /// One writer connection (SQLite allows one writer anyway) plus a pool of readers (WAL).
    Sqlite {
        writer: SqlitePool,
        reader: SqlitePool,
    },
    Postgres(PgPool),
}

impl Db {
    pub(crate) async fn connect(url: &str) -> Result<Db> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await?;
            return Ok(Db::Postgres(pool));
        }
        let opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a webhook answered 200 must survive power loss, not just a process crash.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            // Deleted rows are overwritten, so erased citizens leave no bytes behind in free pages.
            .pragma("secure_delete", "ON")
            .busy_timeout(Duration::from_secs(10));
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .connect_with(opts.clone())
            .await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts.read_only(true))
            .await?;
        Ok(Db::Sqlite { writer, reader })
    }

    pub(crate) fn backend(&self) -> Backend {
        match self {
            Db::Sqlite { .. } => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    pub(crate) async fn migrate(&self) -> Result<()> {
        match self {
            Db::Sqlite { writer, .. } => sqlx::migrate!("./migrations/sqlite").run(writer).await?,
            Db::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    pub(crate) async fn close(&self) {
        match self {
            Db::Sqlite { writer, reader } => {
                reader.close().await;
                writer.close().await;
            }
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

/// Runs `$body` inside one write transaction; `$tx` is the transaction (use `&mut *$tx` as executor).
/// On SQLite the transaction starts with `BEGIN IMMEDIATE` so it never has to upgrade a read lock.
/// `write_tx!(self, …)` on a [`crate::Store`] also raises its write generation after the commit (see
/// [`crate::Store::write_generation`]); `write_tx!(db = …, …)` runs on a bare [`Db`] (opening the store).
macro_rules! write_tx {
    ($store:ident, |$tx:ident| $body:block) => {{
        let out = $crate::db::write_tx!(db = $store.db(), |$tx| $body);
        $store.wrote();
        out
    }};
    (db = $db:expr, |$tx:ident| $body:block) => {{
        match $db {
            $crate::db::Db::Sqlite { writer, .. } => {
                #[allow(unused_mut)]
                let mut $tx = writer.begin_with("BEGIN IMMEDIATE").await?;
                let out = $body;
                $tx.commit().await?;
                out
            }
            $crate::db::Db::Postgres(pool) => {
                #[allow(unused_mut)]
                let mut $tx = pool.begin().await?;
                let out = $body;
                $tx.commit().await?;
                out
            }
        }
    }};
}

/// Runs `$body` with `$ex` bound to a read executor (`&Pool`).
macro_rules! read {
    ($db:expr, |$ex:ident| $body:block) => {{
        match $db {
            $crate::db::Db::Sqlite { reader, .. } => {
                let $ex = reader;
                $body
            }
            $crate::db::Db::Postgres(pool) => {
                let $ex = pool;
                $body
            }
        }
    }};
}

pub(crate) use read;
pub(crate) use write_tx;
