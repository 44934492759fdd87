//! Scratch PostgreSQL databases for a run, and a look at the server's job queue afterwards.

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

/// A database created for this run on the given PostgreSQL server, dropped afterwards.
pub(crate) struct PgScratch {
    pub(crate) admin_url: String,
    pub(crate) url: String,
    pub(crate) name: String,
}

impl PgScratch {
    pub(crate) async fn create(admin_url: &str) -> anyhow::Result<PgScratch> {
        let name = format!(
            "rathaus_bench_{}_{:06x}",
            std::process::id(),
            rand::random::<u32>() & 0xff_ffff
        );
        let mut conn = sqlx::PgConnection::connect(admin_url)
            .await
            .context("connecting to --database-url")?;
        sqlx::query(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut conn)
            .await
            .context("creating a scratch database (the user needs CREATEDB)")?;
        conn.close().await?;
        Ok(PgScratch {
            admin_url: admin_url.to_string(),
            url: with_database(admin_url, &name)?,
            name,
        })
    }

    pub(crate) async fn drop_database(&self) -> anyhow::Result<()> {
        let mut conn = sqlx::PgConnection::connect(&self.admin_url).await?;
        let forced = sqlx::query(&format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            self.name
        ))
        .execute(&mut conn)
        .await;
        if forced.is_err() {
            sqlx::query(&format!("DROP DATABASE IF EXISTS \"{}\"", self.name))
                .execute(&mut conn)
                .await?;
        }
        conn.close().await?;
        Ok(())
    }
}

/// The same connection URL with another database name.
pub(crate) fn with_database(url: &str, db: &str) -> anyhow::Result<String> {
    let scheme_end = url.find("://").context("database URL without scheme")? + 3;
    let (main, query) = match url.find('?') {
        Some(q) => (&url[..q], &url[q..]),
        None => (url, ""),
    };
    let host_start = main
        .rfind('@')
        .map_or(scheme_end, |a| a + 1)
        .max(scheme_end);
    let host_end = main[host_start..]
        .find('/')
        .map_or(main.len(), |p| host_start + p);
    Ok(format!("{}/{db}{query}", &main[..host_end]))
}

/// Jobs left in the server's queue, by kind and state (best effort: reads the store's table).
pub(crate) async fn job_snapshot(url: &str) -> anyhow::Result<Vec<(String, String, i64)>> {
    const Q: &str =
        "SELECT kind, state, COUNT(*) FROM jobs GROUP BY kind, state ORDER BY kind, state";
    if url.starts_with("postgres") {
        let mut conn = sqlx::PgConnection::connect(url).await?;
        let rows = sqlx::query_as(Q).fetch_all(&mut conn).await?;
        conn.close().await?;
        Ok(rows)
    } else {
        let mut conn = SqliteConnectOptions::from_str(url)?
            .read_only(true)
            .busy_timeout(Duration::from_secs(10))
            .connect()
            .await?;
        let rows = sqlx::query_as(Q).fetch_all(&mut conn).await?;
        conn.close().await?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_name_is_replaced() {
        assert_eq!(
            with_database("postgres://u:p@h:5432/postgres?sslmode=disable", "x").ok(),
            Some("postgres://u:p@h:5432/x?sslmode=disable".into())
        );
        assert_eq!(
            with_database("postgres://h", "x").ok(),
            Some("postgres://h/x".into())
        );
    }
}
