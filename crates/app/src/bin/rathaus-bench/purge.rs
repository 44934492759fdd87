//! The daily retention purge (issue 3) inside a running `rathaus serve`, with signed webhooks sent at a fixed rate the whole time to see how long intake is held up.

use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};
use tokio::sync::Semaphore;

use crate::load::{send, Stats};
use crate::server::Server;
use crate::webhooks::prepare;

/// What one purge under load showed.
#[derive(Debug, Clone, Default)]
pub(crate) struct PurgeRun {
    /// From the start of housekeeping (the audit entry's time) until its entry was seen.
    pub(crate) duration: Duration,
    /// The audit entry's counts, e.g. `concerns=100000 messages=1000000 …`.
    pub(crate) details: String,
    pub(crate) concerns_before: i64,
    pub(crate) concerns_after: i64,
    /// Milliseconds from the purge's start to the first webhook (negative: the load was already running).
    pub(crate) load_started_after_ms: f64,
    pub(crate) rate: u32,
    /// Webhooks scheduled while the purge ran, and how many of them got a 200.
    pub(crate) during_sent: usize,
    pub(crate) during_accepted: usize,
    /// Latency (from the scheduled send time) of webhooks scheduled while the purge ran.
    pub(crate) during: Stats,
    /// Longest time without any webhook answer while the purge ran.
    pub(crate) longest_gap: Duration,
    /// All webhooks of the run (before, during and after the purge).
    pub(crate) all: Stats,
    pub(crate) errors: usize,
}

fn epoch_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

struct Answer {
    /// Scheduled send time and answer time, unix ms (fractional).
    scheduled: f64,
    answered: f64,
    ok: bool,
}

/// Reads the purge's audit entry (`at`, `details`) if it is there yet.
async fn purge_entry(db: &Path) -> anyhow::Result<Option<(i64, String)>> {
    let mut conn = SqliteConnectOptions::from_str(&format!("sqlite://{}", db.display()))?
        .read_only(true)
        .busy_timeout(Duration::from_secs(5))
        .connect()
        .await?;
    let row: Option<(i64, Option<String>)> = sqlx::query_as(
        "SELECT at, details FROM audit_log WHERE action = 'retention.purge' ORDER BY id LIMIT 1",
    )
    .fetch_optional(&mut conn)
    .await?;
    conn.close().await?;
    Ok(row.map(|(at, d)| (at, d.unwrap_or_default())))
}

async fn concern_count(db: &Path) -> anyhow::Result<i64> {
    let mut conn = SqliteConnectOptions::from_str(&format!("sqlite://{}", db.display()))?
        .read_only(true)
        .busy_timeout(Duration::from_secs(5))
        .connect()
        .await?;
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM concerns")
        .fetch_one(&mut conn)
        .await?;
    conn.close().await?;
    Ok(n)
}

/// Starts the server on the prepared data (its worker begins with the purge), sends webhooks at
/// `rate` per second over `c` connections from the moment it answers until a second after the
/// purge's audit entry appears (at most `limit`), then stops it.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn purge_under_load(
    server_exe: &Path,
    config: &Path,
    scratch: &Path,
    db: &Path,
    base_url: &str,
    rate: u32,
    c: usize,
    addresses: usize,
    limit: Duration,
) -> anyhow::Result<PurgeRun> {
    let concerns_before = concern_count(db).await?;
    let ts = epoch_ms() / 1000;
    let n = (rate as usize) * (limit.as_secs() as usize + 2);
    let events = Arc::new(prepare(rand::random(), 3, n, ts, addresses));
    let http = reqwest::Client::builder()
        .no_proxy()
        .tcp_nodelay(true)
        .pool_max_idle_per_host(c)
        .timeout(Duration::from_secs(30))
        .build()
        .context("building the HTTP client")?;
    let server = Server::start(server_exe, config, scratch, false).await?;
    let result = async {
        // Readiness polled every 10 ms: the purge starts with the worker, the load as soon as possible.
        let ready_by = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = http.get(format!("{base_url}/healthz")).send().await {
                if r.status().is_success() {
                    break;
                }
            }
            if Instant::now() > ready_by {
                bail!(
                    "the server did not become ready; its log:\n{}",
                    server.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let url = format!("{base_url}/webhooks/whatsapp");
        let stop = Arc::new(AtomicBool::new(false));
        let slots = Arc::new(Semaphore::new(c));
        let t0 = Instant::now();
        let e0 = epoch_ms() as f64;
        let at_ms = move |t: Instant| e0 + t.duration_since(t0).as_secs_f64() * 1000.0;
        let sender = {
            let (http, url, events, stop) =
                (http.clone(), url.clone(), events.clone(), stop.clone());
            tokio::spawn(async move {
                let mut tasks = Vec::new();
                for i in 0..events.len() {
                    let at = t0 + Duration::from_secs_f64(i as f64 / f64::from(rate));
                    tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await;
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let Ok(permit) = slots.clone().acquire_owned().await else {
                        break;
                    };
                    let (http, url, events) = (http.clone(), url.clone(), events.clone());
                    tasks.push(tokio::spawn(async move {
                        let outcome = match events.get(i) {
                            Some(e) => send(&http, &url, e).await,
                            None => Err("request error"),
                        };
                        drop(permit);
                        Answer {
                            scheduled: at_ms(at),
                            answered: at_ms(Instant::now()),
                            ok: outcome == Ok(200),
                        }
                    }));
                }
                let mut out = Vec::with_capacity(tasks.len());
                for t in tasks {
                    if let Ok(a) = t.await {
                        out.push(a);
                    }
                }
                out
            })
        };
        // Watch for the purge's audit entry.
        let deadline = Instant::now() + limit;
        let entry = loop {
            if let Some(e) = purge_entry(db).await? {
                break Some((e, epoch_ms()));
            }
            if Instant::now() > deadline {
                break None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        tokio::time::sleep(Duration::from_secs(1)).await;
        stop.store(true, Ordering::Relaxed);
        let answers = sender.await.context("the load task failed")?;
        let Some(((started, details), seen)) = entry else {
            bail!(
                "the purge did not finish within {} s; server log:\n{}",
                limit.as_secs(),
                server.log_tail()
            );
        };
        Ok((answers, started, details, seen, e0))
    }
    .await;
    server.stop().await;
    let (answers, started, details, seen, load_start) = result?;
    let (start, end) = (started as f64, seen as f64);
    let during: Vec<&Answer> = answers
        .iter()
        .filter(|a| a.scheduled >= start && a.scheduled <= end)
        .collect();
    let lat = |v: &[&Answer]| {
        Stats::of(
            v.iter()
                .filter(|a| a.ok)
                .map(|a| Duration::from_secs_f64((a.answered - a.scheduled).max(0.0) / 1000.0))
                .collect(),
        )
    };
    let mut times: Vec<f64> = answers
        .iter()
        .filter(|a| a.ok)
        .map(|a| a.answered)
        .filter(|t| *t >= start && *t <= end)
        .collect();
    times.sort_by(f64::total_cmp);
    let gap = times.windows(2).map(|w| w[1] - w[0]).fold(0.0f64, f64::max);
    let all: Vec<&Answer> = answers.iter().collect();
    Ok(PurgeRun {
        duration: Duration::from_millis((seen - started).max(0) as u64),
        details,
        concerns_before,
        concerns_after: concern_count(db).await?,
        load_started_after_ms: load_start - start,
        rate,
        during_sent: during.len(),
        during_accepted: during.iter().filter(|a| a.ok).count(),
        during: lat(&during),
        longest_gap: Duration::from_secs_f64(gap / 1000.0),
        all: lat(&all),
        errors: answers.iter().filter(|a| !a.ok).count(),
    })
}
