//! The measurements made on the store itself: the response-time report (issue 6) and erasing one citizen (issue 3), on the generated data.

use std::str::FromStr;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context};
use jiff::civil::Date;
use jiff::Timestamp;
use rathaus_hub::Tenant;
use rathaus_store::{CitizenRef, Store};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

use crate::data::DAY;

/// Durations of repeated runs of one operation.
#[derive(Debug, Clone, Default)]
pub(crate) struct Timings(pub(crate) Vec<Duration>);

impl Timings {
    pub(crate) fn median(&self) -> Duration {
        let mut v = self.0.clone();
        v.sort_unstable();
        match v.len() {
            0 => Duration::ZERO,
            n if n % 2 == 1 => v[n / 2],
            n => (v[n / 2 - 1] + v[n / 2]) / 2,
        }
    }

    pub(crate) fn max(&self) -> Duration {
        self.0.iter().copied().max().unwrap_or_default()
    }

    pub(crate) fn min(&self) -> Duration {
        self.0.iter().copied().min().unwrap_or_default()
    }
}

/// The response-time report as the UI and the API make it.
#[derive(Debug, Clone, Default)]
pub(crate) struct ReportRun {
    pub(crate) from: String,
    pub(crate) to: String,
    /// Whole report (`rathaus_hub::reports::response_times_at`).
    pub(crate) total: Timings,
    /// Of which the store's query (`Store::response_samples`) alone.
    pub(crate) query: Timings,
    pub(crate) samples: usize,
    pub(crate) answered: usize,
    /// `EXPLAIN QUERY PLAN` of the samples query on this database.
    pub(crate) plan: Vec<String>,
}

/// The UTC calendar day of a unix-ms time.
fn day_of(ms: i64) -> anyhow::Result<Date> {
    Ok(Timestamp::from_millisecond(ms)
        .map_err(|e| anyhow!("time {ms}: {e}"))?
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date())
}

/// Runs the report for the days covering `[first_at, last_at]` `runs` times (after one warm-up run).
pub(crate) async fn response_report(
    store: &Store,
    db_path: &std::path::Path,
    tenant: &Tenant,
    first_at: i64,
    last_at: i64,
    runs: usize,
    now: i64,
) -> anyhow::Result<ReportRun> {
    let from = day_of(first_at - DAY)?;
    let to = day_of(last_at + DAY)?;
    let mut out = ReportRun {
        from: from.to_string(),
        to: to.to_string(),
        ..ReportRun::default()
    };
    for i in 0..=runs {
        let t = Instant::now();
        let report = rathaus_hub::reports::response_times_at(store, tenant, from, to, now)
            .await
            .map_err(|e| anyhow!("response-time report: {e}"))?;
        let d = t.elapsed();
        if i > 0 {
            out.total.0.push(d);
        }
        std::hint::black_box(&report);
    }
    let (start, end) = (first_at - 2 * DAY, last_at + 2 * DAY);
    for i in 0..=runs {
        let t = Instant::now();
        let samples = store
            .response_samples(tenant.row.id, start, end)
            .await
            .context("response samples")?;
        let d = t.elapsed();
        if i > 0 {
            out.query.0.push(d);
        }
        out.samples = samples.len();
        out.answered = samples
            .iter()
            .filter(|s| s.first_response.is_some())
            .count();
    }
    out.plan = explain(
        db_path,
        "EXPLAIN QUERY PLAN SELECT ch.name, f.started_at, f.due_at, f.first_response_at, f.slot_start \
         FROM first_responses f JOIN channels ch ON ch.id = f.channel_id \
         WHERE f.municipality_id = ?1 AND f.started_at >= ?2 AND f.started_at < ?3",
        &[tenant.row.id, start, end],
    )
    .await
    .unwrap_or_else(|e| vec![format!("(no plan: {e:#})")]);
    Ok(out)
}

/// The plan SQLite chooses for `sql` (an `EXPLAIN QUERY PLAN …`), one line per step.
async fn explain(
    db_path: &std::path::Path,
    sql: &str,
    binds: &[i64],
) -> anyhow::Result<Vec<String>> {
    let mut conn = SqliteConnectOptions::from_str(&format!("sqlite://{}", db_path.display()))?
        .read_only(true)
        .connect()
        .await?;
    let mut q = sqlx::query_as::<_, (i64, i64, i64, String)>(sql);
    for b in binds {
        q = q.bind(*b);
    }
    let rows = q.fetch_all(&mut conn).await?;
    conn.close().await?;
    Ok(rows.into_iter().map(|(_, _, _, d)| d).collect())
}

/// Erasing citizens one after the other through the real erasure path.
#[derive(Debug, Clone, Default)]
pub(crate) struct ErasureRun {
    pub(crate) times: Timings,
    pub(crate) messages_each: u64,
    pub(crate) concerns_each: u64,
}

pub(crate) async fn erasures(
    store: &Store,
    victims: &[CitizenRef],
    now: i64,
) -> anyhow::Result<ErasureRun> {
    let mut out = ErasureRun::default();
    for v in victims {
        let t = Instant::now();
        let summary = store
            .erase_citizen(v, "bench", now, rathaus_hub::gate::job_mentions)
            .await
            .context("erasing a citizen")?;
        out.times.0.push(t.elapsed());
        out.messages_each = out.messages_each.max(summary.messages);
        out.concerns_each = out.concerns_each.max(summary.concerns);
    }
    Ok(out)
}
