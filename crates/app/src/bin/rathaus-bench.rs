//! `rathaus-bench`: fires signed WhatsApp webhooks at a freshly started `rathaus serve` and compares the intake with the database's raw durable-insert rate.
//!
//! One run: (0) the ceiling — N single-row transactions of the same size straight into a fresh
//! database with the store's settings; (1) N webhooks as fast as C keep-alive connections allow;
//! (2) webhooks at a fixed rate (open loop, latency counted from the scheduled send time);
//! then the server's peak RSS (`VmHWM`). `--write docs/benchmarks.md` writes the report.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, Context};
use clap::Parser;
use rand::{Rng, RngCore};
use rathaus::simulate::{whatsapp_message, whatsapp_signature, whatsapp_text};
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection};
use tokio::process::{Child, Command};
use tokio::sync::Semaphore;

const PHONE_NUMBER_ID: &str = "106540352242922";
const APP_SECRET: &str = "rathaus-bench-app-secret";
/// What sealing adds to a job payload: version byte, 12-byte nonce, 16-byte tag.
const SEAL_OVERHEAD: usize = 1 + 12 + 16;
const GOAL_SHARE_OF_CEILING: f64 = 0.5;
/// In the written report, everything from this line on is kept when the file is written again.
const NOTES_MARKER: &str =
    "<!-- Notes below this line are written by hand; rathaus-bench --write keeps them. -->";
const GOAL_P99: Duration = Duration::from_millis(50);
const GOAL_RSS_KIB: u64 = 100 * 1024;

#[derive(Parser, Debug, Clone)]
#[command(
    name = "rathaus-bench",
    about = "Benchmark of the WhatsApp webhook intake against a freshly started `rathaus serve`"
)]
struct Args {
    /// Webhooks in the max-throughput phase, and rows in the ceiling measurement.
    #[arg(long, default_value_t = 5000)]
    events: usize,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Webhooks per second in the fixed-rate phase.
    #[arg(long, default_value_t = 1000)]
    rate: u32,
    /// Webhooks in the fixed-rate phase (default: five seconds' worth).
    #[arg(long)]
    rate_events: Option<usize>,
    /// Seconds to pause between the two phases (the worker keeps processing the backlog).
    #[arg(long, default_value_t = 3)]
    settle: u64,
    /// The `rathaus` binary to start (default: the one next to this binary).
    #[arg(long)]
    server: Option<PathBuf>,
    /// Run server and ceiling on PostgreSQL: a scratch database is created on this server and dropped afterwards.
    #[arg(long)]
    database_url: Option<String>,
    /// Folder in which the scratch folder is created (its filesystem decides the fsync cost).
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// Start the server with --no-worker (intake only, nothing processes the queued events).
    #[arg(long)]
    no_worker: bool,
    /// Keep the scratch folder (database, configuration, server log).
    #[arg(long)]
    keep: bool,
    /// Platform addresses the webhooks come from, as a reverse proxy on the same host reports them in
    /// X-Forwarded-For (the server limits webhooks per address); 0: no header, all from 127.0.0.1.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(0..=65536))]
    client_addresses: u32,
    /// Repeat the whole run (fresh server and database each time); goals are judged on the medians.
    #[arg(long, default_value_t = 1)]
    repeat: usize,
    /// Before each run wait up to this many seconds for the rest of the machine to be idle, and redo runs others disturbed (0: off).
    #[arg(long, default_value_t = 0)]
    wait_quiet: u64,
    /// Write the report as Markdown to this file (e.g. docs/benchmarks.md).
    #[arg(long)]
    write: Option<PathBuf>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args = Args::parse();
    // On Ctrl-C or SIGTERM the run is dropped, and with it the server child (kill_on_drop).
    let outcome = tokio::select! {
        r = run(args) => r,
        _ = rathaus::server::shutdown_signal() => {
            Err(anyhow!("interrupted; scratch folders may remain in the temp folder"))
        }
    };
    if let Err(e) = outcome {
        eprintln!("rathaus-bench: {e:#}");
        std::process::exit(1);
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    if args.events == 0 || args.concurrency == 0 || args.rate == 0 || args.repeat == 0 {
        bail!("--events, --concurrency, --rate and --repeat must be at least 1");
    }
    let rate_events = args.rate_events.unwrap_or(args.rate as usize * 5).max(1);
    let server_exe = match &args.server {
        Some(p) => p.clone(),
        None => sibling_server()?,
    };
    if !server_exe.is_file() {
        bail!(
            "server binary {} not found; build it with `cargo build --release -p rathaus --bins` or pass --server",
            server_exe.display()
        );
    }
    let base = match &args.work_dir {
        Some(d) => d.clone(),
        None => std::env::temp_dir(),
    };
    let mut runs = Vec::with_capacity(args.repeat);
    for i in 0..args.repeat {
        if args.repeat > 1 {
            eprintln!("run {} of {}", i + 1, args.repeat);
        }
        let mut report = bench_once(&args, rate_events, &server_exe, &base).await?;
        // With --wait-quiet, a run that others disturbed anyway is done again (at most three times).
        let mut redone = 0;
        while args.wait_quiet > 0 && !report.disturbed().is_empty() && redone < 3 {
            eprintln!(
                "other processes were busy during {}; doing this run again",
                report.disturbed().join(", ")
            );
            redone += 1;
            report = bench_once(&args, rate_events, &server_exe, &base).await?;
        }
        report.redone = redone;
        println!("\n{}", report.summary_table());
        let disturbed = report.disturbed();
        if !disturbed.is_empty() {
            println!(
                "caution: other processes were busy during {}",
                disturbed.join(", ")
            );
        }
        runs.push(report);
    }
    let all = Runs::new(runs)?;
    if all.runs.len() > 1 {
        println!("\n{}", all.goals_table());
    }
    let mut md = all.markdown();
    if let Some(path) = &args.write {
        // Hand-written notes after the marker survive a new run.
        if let Ok(old) = std::fs::read_to_string(path) {
            if let Some(i) = old.find(NOTES_MARKER) {
                md.push('\n');
                md.push_str(&old[i..]);
            }
        }
        std::fs::write(path, md).with_context(|| format!("writing {}", path.display()))?;
        println!("report written to {}", path.display());
    }
    Ok(())
}

/// One run in a scratch folder (and scratch PostgreSQL database) of its own, cleaned up afterwards.
async fn bench_once(
    args: &Args,
    rate_events: usize,
    server_exe: &Path,
    base: &Path,
) -> anyhow::Result<Report> {
    let scratch = base.join(format!(
        "rathaus-bench-{}-{:08x}",
        std::process::id(),
        rand::random::<u32>()
    ));
    std::fs::create_dir_all(&scratch)
        .with_context(|| format!("creating scratch folder {}", scratch.display()))?;
    let pg = match &args.database_url {
        Some(url) => Some(PgScratch::create(url).await?),
        None => None,
    };
    let result = bench(args, rate_events, server_exe, &scratch, pg.as_ref()).await;
    if let Some(pg) = &pg {
        if let Err(e) = pg.drop_database().await {
            eprintln!(
                "warning: could not drop scratch database {}: {e:#}",
                pg.name
            );
        }
    }
    if args.keep || result.is_err() {
        eprintln!("scratch folder kept: {}", scratch.display());
    } else if let Err(e) = std::fs::remove_dir_all(&scratch) {
        eprintln!(
            "warning: could not remove scratch folder {}: {e}",
            scratch.display()
        );
    }
    result
}

fn sibling_server() -> anyhow::Result<PathBuf> {
    let me = std::env::current_exe().context("locating this binary")?;
    let dir = me.parent().context("this binary has no parent folder")?;
    Ok(dir.join(format!("rathaus{}", std::env::consts::EXE_SUFFIX)))
}

/// Everything one run produced.
struct Report {
    date: String,
    commit: String,
    machine: Machine,
    command: String,
    backend: String,
    filesystem: String,
    events: usize,
    rate_events: usize,
    concurrency: usize,
    rate: u32,
    worker: bool,
    settle: u64,
    body_bytes: usize,
    payload_bytes: usize,
    ceiling: Ceiling,
    max: Phase,
    fixed: Phase,
    rss: Rss,
    jobs_after: Option<Vec<(String, String, i64)>>,
    /// 1-minute load average when the run started.
    load_before: String,
    /// With --wait-quiet: whether the run started on a quiet machine.
    waited_for_quiet: Option<bool>,
    client_addresses: u32,
    /// How often this run was thrown away and done again because others disturbed it.
    redone: usize,
}

async fn bench(
    args: &Args,
    rate_events: usize,
    server_exe: &Path,
    scratch: &Path,
    pg: Option<&PgScratch>,
) -> anyhow::Result<Report> {
    let run_id: u32 = rand::random();
    let ts = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let addrs = args.client_addresses as usize;
    let warmup = prepare(run_id, 0, args.concurrency * 4, ts, addrs);
    let phase_max = prepare(run_id, 1, args.events, ts, addrs);
    let phase_fixed = prepare(run_id, 2, rate_events, ts, addrs);
    let body_bytes = mean(phase_max.iter().map(|e| e.body.len()));
    let mut payload_sum = 0usize;
    for e in &phase_max {
        payload_sum += stored_payload_len(&e.body)?;
    }
    let payload_bytes = payload_sum.div_ceil(phase_max.len());

    // 0: the ceiling, on a database of its own (SQLite) or a table of its own (PostgreSQL).
    eprintln!(
        "ceiling: {} single-row durable transactions of {payload_bytes} bytes …",
        args.events
    );
    let quiet_limit = Duration::from_secs(args.wait_quiet);
    let quiet = wait_quiet(quiet_limit, None, "the run").await;
    let load_before = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "n/a".into());
    let cpu0 = CpuSnap::take(0);
    let (mut ceiling, backend) = match pg {
        None => ceiling_sqlite(&scratch.join("ceiling.db"), args.events, payload_bytes).await?,
        Some(pg) => ceiling_postgres(&pg.url, args.events, payload_bytes, args.concurrency).await?,
    };
    ceiling.cpu = CpuSnap::take(0).since(&cpu0);
    eprintln!(
        "ceiling: {:.0} rows/s (p50 {}, p99 {})",
        ceiling.rate(),
        ms(ceiling.lat.p50),
        ms(ceiling.lat.p99)
    );

    // The server, as a child process with a fresh data folder.
    let data_dir = scratch.join("data");
    let listen = format!("127.0.0.1:{}", free_port()?);
    let dead_api = format!("http://127.0.0.1:{}", free_port()?);
    let config_path = scratch.join("bench.toml");
    write_config(
        &config_path,
        &listen,
        &data_dir,
        pg.map(|p| p.url.as_str()),
        &dead_api,
    )?;
    let base_url = format!("http://{listen}");
    let http = reqwest::Client::builder()
        .no_proxy()
        .tcp_nodelay(true)
        .pool_max_idle_per_host(args.concurrency)
        .timeout(Duration::from_secs(30))
        .build()
        .context("building the HTTP client")?;
    let mut server = Server::start(server_exe, &config_path, scratch, args.no_worker).await?;
    let result = async {
        server.wait_ready(&http, &base_url).await?;
        let idle_rss = proc_status_kib(server.pid, "VmRSS");
        let url = format!("{base_url}/webhooks/whatsapp");

        let first = send(&http, &url, &warmup[0]).await;
        if first != Ok(200) {
            bail!(
                "the first signed webhook was answered with {first:?} instead of 200; server log:\n{}",
                server.log_tail()
            );
        }
        let _ = closed_loop(&http, &url, Arc::new(warmup), args.concurrency, server.pid).await;

        eprintln!(
            "phase 1: {} webhooks, {} connections, as fast as possible …",
            args.events, args.concurrency
        );
        let max =
            closed_loop(&http, &url, Arc::new(phase_max), args.concurrency, server.pid).await;
        eprintln!(
            "phase 1: {:.0} accepted/s, p50 {}, p99 {}",
            max.accepted_rate(),
            ms(max.lat.p50),
            ms(max.lat.p99)
        );
        let rss_after_max = proc_status_kib(server.pid, "VmRSS");
        tokio::time::sleep(Duration::from_secs(args.settle)).await;

        eprintln!(
            "phase 2: {rate_events} webhooks at {}/s, {} connections …",
            args.rate, args.concurrency
        );
        let fixed = open_loop(
            &http,
            &url,
            Arc::new(phase_fixed),
            args.concurrency,
            args.rate,
            server.pid,
        )
        .await?;
        eprintln!(
            "phase 2: {:.0} accepted/s, p50 {}, p99 {}",
            fixed.accepted_rate(),
            ms(fixed.lat.p50),
            ms(fixed.lat.p99)
        );
        let rss = Rss {
            idle_kib: idle_rss,
            after_max_kib: rss_after_max,
            after_fixed_kib: proc_status_kib(server.pid, "VmRSS"),
            peak_kib: proc_status_kib(server.pid, "VmHWM"),
        };
        let db_url = match pg {
            Some(p) => p.url.clone(),
            None => format!("sqlite://{}", data_dir.join("rathaus.db").display()),
        };
        let jobs_after = match job_snapshot(&db_url).await {
            Ok(j) => Some(j),
            Err(e) => {
                eprintln!("note: could not read the job queue: {e:#}");
                None
            }
        };
        Ok((max, fixed, rss, jobs_after, quiet))
    }
    .await;
    server.stop().await;
    let (max, fixed, rss, jobs_after, quiet) = result?;

    Ok(Report {
        date: utc_now(),
        commit: git_commit(),
        machine: Machine::read(),
        command: reproduce_command(args, rate_events),
        backend,
        filesystem: filesystem_of(scratch),
        events: args.events,
        rate_events,
        concurrency: args.concurrency,
        rate: args.rate,
        worker: !args.no_worker,
        settle: args.settle,
        body_bytes,
        payload_bytes,
        ceiling,
        max,
        fixed,
        rss,
        jobs_after,
        load_before,
        waited_for_quiet: (args.wait_quiet > 0).then_some(quiet),
        redone: 0,
        client_addresses: args.client_addresses,
    })
}

// ---------------------------------------------------------------------------------------------
// Webhook bodies

/// One prepared webhook: the body and its `X-Hub-Signature-256`.
struct Signed {
    body: Vec<u8>,
    signature: String,
    /// `X-Forwarded-For`, as a reverse proxy on the same host sets it (None: sent from 127.0.0.1 itself).
    forwarded_for: Option<String>,
}

/// The `k`-th simulated platform address (10.77.0.0/16).
fn platform_address(k: usize) -> String {
    format!("10.77.{}.{}", (k >> 8) & 0xff, k & 0xff)
}

/// `n` webhooks, each a text message with its own message id from its own sender.
/// `n` webhooks; with `addresses > 0` they come round-robin from that many platform addresses.
fn prepare(run_id: u32, phase: u32, n: usize, ts: i64, addresses: usize) -> Vec<Signed> {
    let mut rng = rand::thread_rng();
    (0..n)
        .map(|i| {
            let wa_id = format!("49{}{:03}{:07}", 151 + phase, run_id % 1000, i);
            let id = format!("wamid.HBgNbench{run_id:08x}{phase}{i:08}AA==");
            let house = rng.gen_range(1..200);
            let text = format!(
                "Guten Tag, die Straßenlaterne vor der Hausnummer {house} ist seit drei Tagen defekt. Vielen Dank!"
            );
            let value = whatsapp_message(
                PHONE_NUMBER_ID,
                &wa_id,
                &format!("Bürger {i}"),
                whatsapp_text(&wa_id, &id, ts, &text),
            );
            let body = serde_json::to_vec(&value).unwrap_or_default();
            let signature = whatsapp_signature(APP_SECRET, &body);
            let forwarded_for = (addresses > 0).then(|| platform_address(i % addresses));
            Signed {
                body,
                signature,
                forwarded_for,
            }
        })
        .collect()
}

/// Size of the sealed job payload the server stores for this body.
fn stored_payload_len(body: &[u8]) -> anyhow::Result<usize> {
    let routed =
        rathaus_channels::whatsapp::parse_webhook(body).map_err(|e| anyhow!("webhook: {e}"))?;
    let first = routed
        .into_iter()
        .next()
        .context("the prepared webhook carries no event")?;
    let job = rathaus_hub::gate::InboundJob {
        channel_id: 1,
        event: first.event,
    };
    Ok(serde_json::to_vec(&job)?.len() + SEAL_OVERHEAD)
}

fn mean(values: impl Iterator<Item = usize>) -> usize {
    let (sum, n) = values.fold((0usize, 0usize), |(s, n), v| (s + v, n + 1));
    if n == 0 {
        0
    } else {
        sum.div_ceil(n)
    }
}

// ---------------------------------------------------------------------------------------------
// Load

struct Sample {
    /// From the scheduled send time (fixed rate) or the send (max throughput) to the answer.
    latency: Duration,
    /// From the actual send to the answer.
    service: Duration,
    outcome: Result<u16, &'static str>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Stats {
    p50: Duration,
    p99: Duration,
    max: Duration,
}

impl Stats {
    fn of(mut v: Vec<Duration>) -> Stats {
        if v.is_empty() {
            return Stats::default();
        }
        v.sort_unstable();
        let at = |p: f64| {
            let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
            v[rank.clamp(1, v.len()) - 1]
        };
        Stats {
            p50: at(50.0),
            p99: at(99.0),
            max: v[v.len() - 1],
        }
    }
}

struct Phase {
    sent: usize,
    accepted: usize,
    wall: Duration,
    /// Latency of accepted webhooks.
    lat: Stats,
    service: Stats,
    errors: BTreeMap<String, usize>,
    cpu: CpuUse,
}

impl Phase {
    fn accepted_rate(&self) -> f64 {
        self.accepted as f64 / self.wall.as_secs_f64().max(1e-9)
    }

    fn from_samples(samples: Vec<Sample>, wall: Duration, cpu: CpuUse) -> Phase {
        let mut errors = BTreeMap::new();
        let mut lat = Vec::with_capacity(samples.len());
        let mut service = Vec::with_capacity(samples.len());
        for s in &samples {
            match s.outcome {
                Ok(200) => {
                    lat.push(s.latency);
                    service.push(s.service);
                }
                Ok(code) => *errors.entry(format!("HTTP {code}")).or_insert(0) += 1,
                Err(kind) => *errors.entry(kind.to_string()).or_insert(0) += 1,
            }
        }
        Phase {
            sent: samples.len(),
            accepted: lat.len(),
            wall,
            lat: Stats::of(lat),
            service: Stats::of(service),
            errors,
            cpu,
        }
    }

    fn errors_text(&self) -> String {
        if self.errors.is_empty() {
            return "none".into();
        }
        self.errors
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

async fn send(http: &reqwest::Client, url: &str, e: &Signed) -> Result<u16, &'static str> {
    let mut req = http
        .post(url)
        .header("content-type", "application/json")
        .header("x-hub-signature-256", &e.signature);
    if let Some(addr) = &e.forwarded_for {
        req = req.header("x-forwarded-for", addr);
    }
    let res = req.body(e.body.clone()).send().await.map_err(classify)?;
    let status = res.status().as_u16();
    // Read the (short) answer so the connection goes back to the pool.
    res.bytes().await.map_err(classify)?;
    Ok(status)
}

fn classify(e: reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect error"
    } else {
        "request error"
    }
}

/// `c` connections, each sending the next webhook as soon as the previous one is answered.
async fn closed_loop(
    http: &reqwest::Client,
    url: &str,
    events: Arc<Vec<Signed>>,
    c: usize,
    server_pid: u32,
) -> Phase {
    let next = Arc::new(AtomicUsize::new(0));
    let cpu0 = CpuSnap::take(server_pid);
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(c);
    for _ in 0..c {
        let (http, url, events, next) =
            (http.clone(), url.to_string(), events.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(e) = events.get(i) else { break };
                let t = Instant::now();
                let outcome = send(&http, &url, e).await;
                let d = t.elapsed();
                out.push(Sample {
                    latency: d,
                    service: d,
                    outcome,
                });
            }
            out
        }));
    }
    let mut samples = Vec::with_capacity(events.len());
    for t in tasks {
        match t.await {
            Ok(mut s) => samples.append(&mut s),
            Err(_) => eprintln!("warning: a load task failed"),
        }
    }
    let wall = start.elapsed();
    Phase::from_samples(samples, wall, CpuSnap::take(server_pid).since(&cpu0))
}

/// Sends on a fixed schedule whatever the answers do (at most `c` at a time); latency counts from
/// the scheduled time, so waiting for a free connection is part of it.
async fn open_loop(
    http: &reqwest::Client,
    url: &str,
    events: Arc<Vec<Signed>>,
    c: usize,
    rate: u32,
    server_pid: u32,
) -> anyhow::Result<Phase> {
    let slots = Arc::new(Semaphore::new(c));
    let cpu0 = CpuSnap::take(server_pid);
    let start = Instant::now() + Duration::from_millis(10);
    let mut tasks = Vec::with_capacity(events.len());
    for i in 0..events.len() {
        let at = start + Duration::from_secs_f64(i as f64 / f64::from(rate));
        tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await;
        let permit = slots.clone().acquire_owned().await?;
        let (http, url, events) = (http.clone(), url.to_string(), events.clone());
        tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            let outcome = match events.get(i) {
                Some(e) => send(&http, &url, e).await,
                None => Err("request error"),
            };
            drop(permit);
            Sample {
                latency: at.elapsed(),
                service: t.elapsed(),
                outcome,
            }
        }));
    }
    let mut samples = Vec::with_capacity(events.len());
    for t in tasks {
        match t.await {
            Ok(s) => samples.push(s),
            Err(_) => eprintln!("warning: a load task failed"),
        }
    }
    let wall = start.elapsed();
    Ok(Phase::from_samples(
        samples,
        wall,
        CpuSnap::take(server_pid).since(&cpu0),
    ))
}

// ---------------------------------------------------------------------------------------------
// Ceiling

struct Ceiling {
    rows: usize,
    elapsed: Duration,
    lat: Stats,
    connections: usize,
    cpu: CpuUse,
}

impl Ceiling {
    fn rate(&self) -> f64 {
        self.rows as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

const CEILING_COLUMNS: &str =
    "municipality_id, kind, payload_enc, state, run_at, attempts, created_at";

fn random_blobs(n: usize, len: usize) -> Vec<Vec<u8>> {
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
async fn ceiling_sqlite(
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
async fn ceiling_postgres(
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

/// A database created for this run on the given PostgreSQL server, dropped afterwards.
struct PgScratch {
    admin_url: String,
    url: String,
    name: String,
}

impl PgScratch {
    async fn create(admin_url: &str) -> anyhow::Result<PgScratch> {
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

    async fn drop_database(&self) -> anyhow::Result<()> {
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
fn with_database(url: &str, db: &str) -> anyhow::Result<String> {
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
async fn job_snapshot(url: &str) -> anyhow::Result<Vec<(String, String, i64)>> {
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

// ---------------------------------------------------------------------------------------------
// The server child process

fn free_port() -> anyhow::Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(l.local_addr()?.port())
}

fn write_config(
    path: &Path,
    listen: &str,
    data_dir: &Path,
    database_url: Option<&str>,
    api_base: &str,
) -> anyhow::Result<()> {
    let s = |v: &str| toml::Value::String(v.to_string());
    let mut whatsapp = toml::Table::new();
    whatsapp.insert("phone_number_id".into(), s(PHONE_NUMBER_ID));
    whatsapp.insert("verify_token".into(), s("rathaus-bench-verify"));
    whatsapp.insert("app_secret".into(), s(APP_SECRET));
    whatsapp.insert("access_token".into(), s("rathaus-bench-access"));
    // Nothing listens there: replies fail fast and are retried later, no traffic leaves the machine.
    whatsapp.insert("api_base".into(), s(api_base));
    let mut m = toml::Table::new();
    m.insert("slug".into(), s("benchstadt"));
    m.insert("name".into(), s("Benchstadt"));
    m.insert(
        "privacy_notice_url".into(),
        s("https://benchstadt.example/datenschutz"),
    );
    m.insert(
        "whatsapp".into(),
        toml::Value::Array(vec![toml::Value::Table(whatsapp)]),
    );
    let mut root = toml::Table::new();
    root.insert("listen".into(), s(listen));
    root.insert("data_dir".into(), s(&data_dir.display().to_string()));
    if let Some(url) = database_url {
        root.insert("database_url".into(), s(url));
    }
    root.insert(
        "municipality".into(),
        toml::Value::Array(vec![toml::Value::Table(m)]),
    );
    let text = toml::to_string(&root).context("writing the server configuration")?;
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

struct Server {
    child: Child,
    pid: u32,
    log: PathBuf,
}

impl Server {
    async fn start(
        exe: &Path,
        config: &Path,
        scratch: &Path,
        no_worker: bool,
    ) -> anyhow::Result<Server> {
        let log = scratch.join("server.log");
        let out =
            std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let err = out.try_clone()?;
        let mut cmd = Command::new(exe);
        cmd.arg("serve").arg("--config").arg(config);
        if no_worker {
            cmd.arg("--no-worker");
        }
        // Only the configuration file counts: no RATHAUS_* overrides (or master key) from the caller.
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("RATHAUS_") {
                cmd.env_remove(&k);
            }
        }
        cmd.env("RATHAUS_LOG", "warn,sqlx=error")
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .kill_on_drop(true);
        let child = cmd
            .spawn()
            .with_context(|| format!("starting {}", exe.display()))?;
        let pid = child.id().context("the server exited at once")?;
        Ok(Server { child, pid, log })
    }

    /// Polls `/healthz` (or, without it, the webhook handshake answering 403) until the server answers.
    async fn wait_ready(&mut self, http: &reqwest::Client, base: &str) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "the server exited ({status}) before it was ready; its log:\n{}",
                    self.log_tail()
                );
            }
            match http.get(format!("{base}/healthz")).send().await {
                Ok(r) if r.status().as_u16() == 200 => return Ok(()),
                Ok(r) if r.status().as_u16() == 404 => {
                    if let Ok(r) = http.get(format!("{base}/webhooks/whatsapp")).send().await {
                        if r.status().as_u16() == 403 {
                            return Ok(());
                        }
                    }
                }
                _ => {}
            }
            if Instant::now() > deadline {
                bail!(
                    "the server did not become ready within 60 s; its log:\n{}",
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// SIGTERM (graceful shutdown), SIGKILL after 15 s.
    async fn stop(mut self) {
        let _ = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(self.pid.to_string())
            .status();
        if tokio::time::timeout(Duration::from_secs(15), self.child.wait())
            .await
            .is_err()
        {
            eprintln!("warning: the server did not stop within 15 s; killing it");
            let _ = self.child.kill().await;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Measurements from /proc

struct Rss {
    idle_kib: Option<u64>,
    after_max_kib: Option<u64>,
    after_fixed_kib: Option<u64>,
    peak_kib: Option<u64>,
}

/// A `kB` field of /proc/<pid>/status, e.g. `VmHWM` (peak RSS) or `VmRSS`.
fn proc_status_kib(pid: u32, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines().find_map(|l| {
        let rest = l.strip_prefix(field)?.strip_prefix(':')?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|t| *t > 0.0)
        .unwrap_or(100.0)
}

/// User + system CPU seconds of a process (all threads) from a `/proc/<pid>/stat` file.
fn cpu_seconds(stat_path: &str) -> Option<f64> {
    let text = std::fs::read_to_string(stat_path).ok()?;
    let after = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / clock_ticks())
}

/// Busy CPU seconds of the whole machine (all cores, including steal) from `/proc/stat`.
fn machine_busy_seconds() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    let line = text.lines().find(|l| l.starts_with("cpu "))?;
    let v: Vec<f64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal (guest time is already in user).
    let busy = [0, 1, 2, 5, 6, 7]
        .iter()
        .filter_map(|i| v.get(*i))
        .sum::<f64>();
    Some(busy / clock_ticks())
}

/// CPU seconds used so far by the server, by this process and by the whole machine.
struct CpuSnap {
    server: Option<f64>,
    client: Option<f64>,
    machine: Option<f64>,
}

/// CPU seconds used in an interval; `other` is everything else on the machine (builds, …).
#[derive(Debug, Clone, Copy, Default)]
struct CpuUse {
    server: Option<f64>,
    client: Option<f64>,
    other: Option<f64>,
}

impl CpuSnap {
    fn take(server_pid: u32) -> CpuSnap {
        CpuSnap {
            server: cpu_seconds(&format!("/proc/{server_pid}/stat")),
            client: cpu_seconds("/proc/self/stat"),
            machine: machine_busy_seconds(),
        }
    }

    fn since(&self, before: &CpuSnap) -> CpuUse {
        let d = |a: Option<f64>, b: Option<f64>| Some(a? - b?);
        let server = d(self.server, before.server);
        let client = d(self.client, before.client);
        let other = d(self.machine, before.machine)
            .map(|m| (m - server.unwrap_or(0.0) - client.unwrap_or(0.0)).max(0.0));
        CpuUse {
            server,
            client,
            other,
        }
    }
}

/// Waits (at most `limit`) for two seconds in which the rest of the machine uses under 15 % of one
/// core, so that builds or tests of others do not end up in the figures. Returns whether it found them.
async fn wait_quiet(limit: Duration, server_pid: Option<u32>, what: &str) -> bool {
    if limit.is_zero() {
        return true;
    }
    let deadline = Instant::now() + limit;
    let mut told = false;
    loop {
        let before = CpuSnap::take(server_pid.unwrap_or(0));
        tokio::time::sleep(Duration::from_secs(2)).await;
        let used = CpuSnap::take(server_pid.unwrap_or(0)).since(&before);
        let other = used.other.unwrap_or(0.0) / 2.0;
        if other < 0.15 {
            return true;
        }
        if Instant::now() > deadline {
            eprintln!("warning: the machine did not become quiet before {what}; measuring anyway");
            return false;
        }
        if !told {
            eprintln!(
                "waiting for a quiet machine before {what} (others use {:.0} % of a core) …",
                other * 100.0
            );
            told = true;
        }
    }
}

struct Machine {
    cpus: usize,
    model: String,
    memory: String,
    kernel: String,
}

impl Machine {
    fn read() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let model = cpuinfo
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                (k.trim() == "model name").then(|| v.trim().to_string())
            })
            .unwrap_or_else(|| "unknown".into());
        let memory = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|m| {
                m.lines().find_map(|l| {
                    let kib: u64 = l
                        .strip_prefix("MemTotal:")?
                        .split_whitespace()
                        .next()?
                        .parse()
                        .ok()?;
                    Some(format!("{:.1} GiB", kib as f64 / 1024.0 / 1024.0))
                })
            })
            .unwrap_or_else(|| "unknown".into());
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|s| format!("Linux {}", s.trim()))
            .unwrap_or_else(|_| std::env::consts::OS.to_string());
        Machine {
            cpus: std::thread::available_parallelism().map_or(0, |n| n.get()),
            model,
            memory,
            kernel,
        }
    }
}

/// Type and device of the filesystem holding `path` (fsync costs differ enormously: tmpfs fakes it).
fn filesystem_of(path: &Path) -> String {
    let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let mounts = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
    let mut best: Option<(usize, String)> = None;
    for line in mounts.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        let (Some(dev), Some(mnt), Some(fs)) = (f.first(), f.get(1), f.get(2)) else {
            continue;
        };
        if path.starts_with(mnt) && best.as_ref().is_none_or(|(len, _)| mnt.len() >= *len) {
            best = Some((mnt.len(), format!("{fs} on {dev} (mounted at {mnt})")));
        }
    }
    best.map_or_else(|| "unknown".into(), |(_, s)| s)
}

fn git_commit() -> String {
    let run = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .and_then(|o| String::from_utf8(o.stdout).ok())
    };
    match run(&["rev-parse", "--short", "HEAD"]) {
        Some(c) => {
            let dirty = run(&["status", "--porcelain", "--untracked-files=no"])
                .is_some_and(|s| !s.trim().is_empty());
            format!(
                "{}{}",
                c.trim(),
                if dirty {
                    " (with uncommitted changes)"
                } else {
                    ""
                }
            )
        }
        None => "unknown".into(),
    }
}

fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60
    )
}

/// The shell commands that repeat this run.
fn reproduce_command(args: &Args, rate_events: usize) -> String {
    let exe = std::env::current_exe().ok();
    // <target>/release/rathaus-bench: name the target folder as it was used.
    let target = exe
        .as_deref()
        .and_then(Path::parent)
        .filter(|dir| dir.file_name().is_some_and(|n| n == "release"))
        .and_then(Path::parent)
        .map(Path::to_path_buf);
    let cwd = std::env::current_dir().ok();
    let default_target = cwd.as_ref().map(|c| c.join("target"));
    let mut out = String::new();
    let bench_path = match (&target, &default_target, &exe) {
        (Some(t), Some(d), _) if t == d => "./target/release/rathaus-bench".to_string(),
        (Some(t), _, _) => {
            let _ = writeln!(out, "export CARGO_TARGET_DIR={}", t.display());
            "$CARGO_TARGET_DIR/release/rathaus-bench".to_string()
        }
        (None, _, Some(e)) => e.display().to_string(),
        _ => "./target/release/rathaus-bench".to_string(),
    };
    out.push_str("cargo build --release -p rathaus --bins\n");
    let _ = write!(
        out,
        "{bench_path} --events {} --concurrency {} --rate {}",
        args.events, args.concurrency, args.rate
    );
    if rate_events != args.rate as usize * 5 {
        let _ = write!(out, " --rate-events {rate_events}");
    }
    if args.client_addresses != 64 {
        let _ = write!(out, " --client-addresses {}", args.client_addresses);
    }
    if args.repeat > 1 {
        let _ = write!(out, " --repeat {}", args.repeat);
    }
    if args.wait_quiet > 0 {
        let _ = write!(out, " --wait-quiet {}", args.wait_quiet);
    }
    if args.settle != 3 {
        let _ = write!(out, " --settle {}", args.settle);
    }
    if args.no_worker {
        out.push_str(" --no-worker");
    }
    if args.database_url.is_some() {
        out.push_str(" --database-url postgres://USER:PASSWORD@HOST/postgres");
    }
    if let Some(w) = &args.write {
        let _ = write!(out, " --write {}", w.display());
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Output

fn ms(d: Duration) -> String {
    let v = d.as_secs_f64() * 1000.0;
    if v < 10.0 {
        format!("{v:.2} ms")
    } else {
        format!("{v:.1} ms")
    }
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or_else(|| "n/a".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0))
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "**met**"
    } else {
        "**missed**"
    }
}

impl Report {
    fn is_postgres(&self) -> bool {
        self.backend.starts_with("PostgreSQL")
    }

    fn share_of_ceiling(&self) -> f64 {
        self.max.accepted_rate() / self.ceiling.rate().max(1e-9)
    }

    fn goal_share(&self) -> bool {
        self.share_of_ceiling() >= GOAL_SHARE_OF_CEILING
    }

    /// p99 below the goal while the rate was actually held and every webhook accepted.
    fn goal_latency(&self) -> bool {
        self.fixed.lat.p99 < GOAL_P99
            && self.fixed.accepted == self.fixed.sent
            && self.fixed.accepted_rate() >= 0.95 * f64::from(self.rate)
    }

    fn goal_rss(&self) -> bool {
        self.rss.peak_kib.is_some_and(|k| k < GOAL_RSS_KIB)
    }

    fn goals_table(&self) -> String {
        let mut t = String::new();
        t.push_str("| Goal | Target | Measured | Result |\n|---|---|---|---|\n");
        let _ = writeln!(
            t,
            "| Webhook intake vs. raw durable-insert ceiling | ≥ 50 % | {:.0} % ({:.0} of {:.0} per s) | {} |",
            self.share_of_ceiling() * 100.0,
            self.max.accepted_rate(),
            self.ceiling.rate(),
            verdict(self.goal_share())
        );
        let _ = writeln!(
            t,
            "| p99 latency at {} events/s | < 50 ms | {} ({:.0} accepted/s, {} of {} accepted) | {} |",
            self.rate,
            ms(self.fixed.lat.p99),
            self.fixed.accepted_rate(),
            self.fixed.accepted,
            self.fixed.sent,
            verdict(self.goal_latency())
        );
        let _ = writeln!(
            t,
            "| Peak RSS of the server (VmHWM) | < 100 MiB | {} | {} |",
            mib(self.rss.peak_kib),
            verdict(self.goal_rss())
        );
        t
    }

    fn summary_table(&self) -> String {
        let mut t = String::new();
        t.push_str("| Measurement | events | accepted/s | p50 | p99 | max | errors |\n|---|---|---|---|---|---|---|\n");
        let _ = writeln!(
            t,
            "| Ceiling: raw durable inserts ({} conn.) | {} | {:.0} | {} | {} | {} | none |",
            self.ceiling.connections,
            self.ceiling.rows,
            self.ceiling.rate(),
            ms(self.ceiling.lat.p50),
            ms(self.ceiling.lat.p99),
            ms(self.ceiling.lat.max)
        );
        for (name, p) in [
            (
                format!("Webhooks, max throughput ({} conn.)", self.concurrency),
                &self.max,
            ),
            (
                format!(
                    "Webhooks at {}/s open loop ({} conn.)",
                    self.rate, self.concurrency
                ),
                &self.fixed,
            ),
        ] {
            let _ = writeln!(
                t,
                "| {name} | {} | {:.0} | {} | {} | {} | {} |",
                p.sent,
                p.accepted_rate(),
                ms(p.lat.p50),
                ms(p.lat.p99),
                ms(p.lat.max),
                p.errors_text()
            );
        }
        let _ = writeln!(
            t,
            "\nServer RSS: idle {}, after phase 1 {}, after phase 2 {}, peak (VmHWM) {}.",
            mib(self.rss.idle_kib),
            mib(self.rss.after_max_kib),
            mib(self.rss.after_fixed_kib),
            mib(self.rss.peak_kib)
        );
        t.push('\n');
        t.push_str(&self.goals_table());
        t
    }

    /// CPU use in a measurement; `who` names the process that did the work in this process.
    fn cpu_line(&self, cpu: &CpuUse, wall: Duration, accepted: usize, who: &str) -> String {
        let wall = wall.as_secs_f64().max(1e-9);
        let share = |v: f64| format!("{v:.2} CPU-s ({:.0} % of one core)", v / wall * 100.0);
        let mut parts = Vec::new();
        if let Some(s) = cpu.server {
            parts.push(format!(
                "server {}, {:.0} µs per accepted event",
                share(s),
                s / (accepted.max(1) as f64) * 1e6
            ));
        }
        if let Some(c) = cpu.client {
            parts.push(format!("{who} {}", share(c)));
        }
        if let Some(o) = cpu.other {
            let label = if self.is_postgres() {
                "other processes (PostgreSQL included, if local)"
            } else {
                "other processes"
            };
            parts.push(format!("{label} {}", share(o)));
        }
        if parts.is_empty() {
            "n/a".into()
        } else {
            parts.join("; ")
        }
    }

    /// Measurements during which other processes used more than a fifth of a core.
    fn disturbed(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.is_postgres() {
            // PostgreSQL's own processes count as "other" here.
            return out;
        }
        let mut check = |name: &str, cpu: &CpuUse, wall: Duration| {
            if let Some(o) = cpu.other {
                let share = o / wall.as_secs_f64().max(1e-9);
                if share > 0.2 {
                    out.push(format!("{name} ({:.0} % of a core)", share * 100.0));
                }
            }
        };
        check("the ceiling", &self.ceiling.cpu, self.ceiling.elapsed);
        check("phase 1", &self.max.cpu, self.max.wall);
        check("phase 2", &self.fixed.cpu, self.fixed.wall);
        out
    }

    /// The report around this run's figures; `goals` and `runs` come from all runs ([`Runs`]).
    fn markdown(&self, goals: &str, runs: &str, figures_title: &str) -> String {
        let mut md = String::new();
        let _ = writeln!(md, "# Benchmarks\n");
        let _ = writeln!(
            md,
            "<!-- Written by `rathaus-bench --write docs/benchmarks.md`; run it again to update the figures \
             (notes after the notes marker at the end are kept). -->\n"
        );
        let _ = writeln!(
            md,
            "WhatsApp webhook intake of `rathaus serve`: signed webhooks over {} concurrent keep-alive \
             connections against a freshly started server, compared with the raw durable-insert rate of \
             the same database in the same run.\n",
            self.concurrency
        );
        let _ = writeln!(md, "Measured {} at commit {}.\n", self.date, self.commit);
        let disturbed = self.disturbed();
        if !disturbed.is_empty() {
            let _ = writeln!(
                md,
                "**Caution:** other processes on this shared machine were busy during {}; those figures are \
                 likely worse than on an otherwise idle machine.\n",
                disturbed.join(", ")
            );
        }
        let _ = writeln!(md, "## Goals\n\n{goals}");
        if !runs.is_empty() {
            let _ = writeln!(md, "## All runs\n\n{runs}");
        }
        let _ = writeln!(
            md,
            "## {figures_title}\n\n{}",
            self.summary_table_without_goals()
        );
        let _ = writeln!(
            md,
            "Latency percentiles are over accepted (HTTP 200) webhooks only.\n"
        );
        let _ = writeln!(md, "| Detail | Value |\n|---|---|");
        let _ = writeln!(
            md,
            "| Phase 1 wall time | {:.2} s for {} webhooks |",
            self.max.wall.as_secs_f64(),
            self.max.sent
        );
        let _ = writeln!(
            md,
            "| Phase 2 wall time | {:.2} s for {} webhooks (schedule {:.2} s) |",
            self.fixed.wall.as_secs_f64(),
            self.fixed.sent,
            self.fixed.sent as f64 / f64::from(self.rate)
        );
        let _ = writeln!(
            md,
            "| Phase 2 service time (send → answer) | p50 {}, p99 {}, max {} |",
            ms(self.fixed.service.p50),
            ms(self.fixed.service.p99),
            ms(self.fixed.service.max)
        );
        let _ = writeln!(
            md,
            "| CPU in phase 1 | {} |",
            self.cpu_line(
                &self.max.cpu,
                self.max.wall,
                self.max.accepted,
                "load generator"
            )
        );
        let _ = writeln!(
            md,
            "| CPU in phase 2 | {} |",
            self.cpu_line(
                &self.fixed.cpu,
                self.fixed.wall,
                self.fixed.accepted,
                "load generator"
            )
        );
        let _ = writeln!(
            md,
            "| CPU during the ceiling | {} |",
            self.cpu_line(
                &self.ceiling.cpu,
                self.ceiling.elapsed,
                0,
                "benchmark (SQLite runs in it)"
            )
        );
        let _ = writeln!(
            md,
            "| Ceiling wall time | {:.2} s for {} rows |",
            self.ceiling.elapsed.as_secs_f64(),
            self.ceiling.rows
        );
        let _ = writeln!(
            md,
            "| Server RSS | idle {}, after phase 1 {}, after phase 2 {}, peak {} |",
            mib(self.rss.idle_kib),
            mib(self.rss.after_max_kib),
            mib(self.rss.after_fixed_kib),
            mib(self.rss.peak_kib)
        );
        let jobs = match &self.jobs_after {
            Some(rows) if rows.is_empty() => "empty".to_string(),
            Some(rows) => rows
                .iter()
                .map(|(k, s, n)| format!("{k}/{s}: {n}"))
                .collect::<Vec<_>>()
                .join(", "),
            None => "n/a".into(),
        };
        let _ = writeln!(md, "| Job queue at the end (kind/state: count) | {jobs} |");
        let _ = writeln!(
            md,
            "| Webhook body / stored job payload | {} bytes / {} bytes (sealed) |\n",
            self.body_bytes, self.payload_bytes
        );

        let _ = writeln!(md, "## Setup\n");
        let _ = writeln!(
            md,
            "- Machine: {} CPUs ({}), {} RAM, {}",
            self.machine.cpus, self.machine.model, self.machine.memory, self.machine.kernel
        );
        let _ = writeln!(md, "- Database: {}", self.backend);
        let _ = writeln!(
            md,
            "- Load average (1 min) at the start: {}{}",
            self.load_before,
            match self.waited_for_quiet {
                Some(true) => "; with `--wait-quiet` every run starts after 2 s in which other processes used < 15 % of a core, and a run during which they used more than 20 % of a core is done again (at most three times)",
                Some(false) => "; `--wait-quiet` did not find a quiet moment before this run",
                None => "",
            }
        );
        let _ = writeln!(md, "- Scratch folder filesystem: {}", self.filesystem);
        if self.redone > 0 {
            let _ = writeln!(
                md,
                "- This run replaced {} earlier attempt(s) that other processes disturbed (`--wait-quiet`).",
                self.redone
            );
        }
        let _ = writeln!(
            md,
            "- Server: `rathaus serve`{} ({} build), a child process of the benchmark with a fresh \
             data folder, log level `warn`; one municipality with one WhatsApp number whose API base \
             points at a closed local port, so the replies the worker sends fail and are retried later.",
            if self.worker {
                " with its job worker"
            } else {
                " --no-worker"
            },
            if cfg!(debug_assertions) {
                "debug"
            } else {
                "release"
            }
        );
        let _ = writeln!(
            md,
            "- Load generator: the same machine, one thread, HTTP/1.1 keep-alive, {} connections; {}.\n",
            self.concurrency,
            if self.client_addresses == 0 {
                "every webhook comes from 127.0.0.1 without `X-Forwarded-For`, so the server's per-address \
                 webhook limit applies to all of them together"
                    .to_string()
            } else {
                format!(
                    "the webhooks carry `X-Forwarded-For` with {} platform addresses in turn, as a reverse proxy \
                     on the same host reports Meta's delivery servers, so the server's per-address webhook limit \
                     (token bucket per client address) is met per address, not for all webhooks together",
                    self.client_addresses
                )
            }
        );

        let _ = writeln!(md, "## Reproduce\n\n```sh\n{}\n```\n", self.command);
        let _ = writeln!(
            md,
            "Without `CARGO_TARGET_DIR` the binaries are in `./target/release/`. Options: `rathaus-bench --help` \
             (`--database-url postgres://…` runs server and ceiling on a scratch PostgreSQL database, \
             `--no-worker` measures the intake alone, `--work-dir` chooses the filesystem).\n"
        );

        let _ = writeln!(md, "## Method\n");
        let _ = writeln!(
            md,
            "- Every webhook is a text message with its own message id from its own sender, signed with \
             the channel's app secret (`X-Hub-Signature-256`), so each one is verified, parsed and stored \
             as a new inbound job (one write transaction of the store's `enqueue_inbound`) before the 200."
        );
        let _ = writeln!(
            md,
            "- Ceiling: {} single-row transactions, each committed durably, into a table shaped like `jobs` \
             (random 63-bit ids, one index on `(state, run_at)`) holding a random BLOB of the stored payload's size \
             ({} bytes); {}. It runs first, in the same run, on the same filesystem/server.",
            self.ceiling.rows,
            self.payload_bytes,
            if self.ceiling.connections == 1 {
                "SQLite: one connection with `BEGIN IMMEDIATE`, WAL and `synchronous=FULL`, like the store's single writer".to_string()
            } else {
                format!("PostgreSQL: {} connections at once, like the server's pool", self.ceiling.connections)
            }
        );
        let _ = writeln!(
            md,
            "- Phase 1 (max throughput): {} webhooks, each connection sends the next as soon as the previous \
             is answered; accepted/s = HTTP 200 answers / wall time. {} warm-up webhooks before it are not counted.",
            self.events,
            self.concurrency * 4
        );
        let _ = writeln!(
            md,
            "- Phase 2 (fixed rate), {} s after phase 1{}: {} webhooks \
             scheduled at {}/s regardless of the answers (open loop), at most {} in flight; latency counts from \
             the scheduled send time, so queueing for a connection is included.",
            self.settle,
            if self.worker {
                " while the worker still works on its backlog"
            } else {
                ""
            },
            self.rate_events,
            self.rate,
            self.concurrency
        );
        let _ = writeln!(
            md,
            "- Peak RSS: `VmHWM` from `/proc/<pid>/status` of the server process after both phases."
        );
        md
    }

    /// The most any other process used of a core during one of the measurements.
    fn other_peak_share(&self) -> Option<f64> {
        [
            (self.ceiling.cpu.other, self.ceiling.elapsed),
            (self.max.cpu.other, self.max.wall),
            (self.fixed.cpu.other, self.fixed.wall),
        ]
        .iter()
        .filter_map(|(o, w)| Some(o.as_ref()? / w.as_secs_f64().max(1e-9)))
        .reduce(f64::max)
    }

    fn summary_table_without_goals(&self) -> String {
        let full = self.summary_table();
        match full.find("\n| Goal |") {
            Some(i) => full[..i].to_string(),
            None => full,
        }
    }
}

/// All runs of one invocation; goals are judged on the medians (RSS: on the worst run).
struct Runs {
    runs: Vec<Report>,
    /// The run with the median share of the ceiling, whose details the report shows.
    median: usize,
}

impl Runs {
    fn new(runs: Vec<Report>) -> anyhow::Result<Runs> {
        if runs.is_empty() {
            bail!("no runs");
        }
        let mut order: Vec<usize> = (0..runs.len()).collect();
        order.sort_by(|a, b| {
            runs[*a]
                .share_of_ceiling()
                .total_cmp(&runs[*b].share_of_ceiling())
        });
        let median = order[(order.len() - 1) / 2];
        Ok(Runs { runs, median })
    }

    fn median_of(&self, f: impl Fn(&Report) -> f64) -> (f64, f64, f64) {
        let mut v: Vec<f64> = self.runs.iter().map(f).collect();
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        };
        (median, v[0], v[n - 1])
    }

    fn goals_table(&self) -> String {
        let n = self.runs.len();
        if n == 1 {
            return self.runs[0].goals_table();
        }
        let count = |f: fn(&Report) -> bool| self.runs.iter().filter(|r| f(r)).count();
        let mut t = String::new();
        let _ = writeln!(
            t,
            "| Goal | Target | Median of {n} runs | Range | Runs meeting it | Result |\n|---|---|---|---|---|---|"
        );
        let (share, lo, hi) = self.median_of(|r| r.share_of_ceiling() * 100.0);
        let (intake, _, _) = self.median_of(|r| r.max.accepted_rate());
        let (ceiling, _, _) = self.median_of(|r| r.ceiling.rate());
        let _ = writeln!(
            t,
            "| Webhook intake vs. raw durable-insert ceiling | ≥ 50 % | {share:.0} % (intake {intake:.0}/s, ceiling {ceiling:.0}/s) | {lo:.0}–{hi:.0} % | {} of {n} | {} |",
            count(Report::goal_share),
            verdict(share >= GOAL_SHARE_OF_CEILING * 100.0)
        );
        let (p99, lo, hi) = self.median_of(|r| r.fixed.lat.p99.as_secs_f64() * 1000.0);
        let held = self.runs.iter().all(|r| {
            r.fixed.accepted == r.fixed.sent && r.fixed.accepted_rate() >= 0.95 * f64::from(r.rate)
        });
        let rate = self.runs[0].rate;
        let _ = writeln!(
            t,
            "| p99 latency at {rate} events/s | < 50 ms | {p99:.1} ms{} | {lo:.1}–{hi:.1} ms | {} of {n} | {} |",
            if held { "" } else { " (the rate was not held in every run)" },
            count(Report::goal_latency),
            verdict(held && p99 < GOAL_P99.as_secs_f64() * 1000.0)
        );
        let (_, lo, worst) =
            self.median_of(|r| r.rss.peak_kib.map_or(f64::INFINITY, |k| k as f64 / 1024.0));
        let _ = writeln!(
            t,
            "| Peak RSS of the server (VmHWM) | < 100 MiB | worst run {worst:.1} MiB | {lo:.1}–{worst:.1} MiB | {} of {n} | {} |",
            count(Report::goal_rss),
            verdict(worst < GOAL_RSS_KIB as f64 / 1024.0)
        );
        t
    }

    fn runs_table(&self) -> String {
        if self.runs.len() == 1 {
            return String::new();
        }
        let mut t = String::from(
            "| Run | Ceiling rows/s | Intake accepted/s | Share | p99 (max throughput) | p99 at fixed rate | Peak RSS | Others' CPU (busiest measurement) | Disturbed attempts discarded |\n|---|---|---|---|---|---|---|---|---|\n",
        );
        for (i, r) in self.runs.iter().enumerate() {
            let _ = writeln!(
                t,
                "| {}{} | {:.0} | {:.0} | {:.0} % | {} | {} | {} | {} | {} |",
                i + 1,
                if i == self.median { " (median)" } else { "" },
                r.ceiling.rate(),
                r.max.accepted_rate(),
                r.share_of_ceiling() * 100.0,
                ms(r.max.lat.p99),
                ms(r.fixed.lat.p99),
                mib(r.rss.peak_kib),
                r.other_peak_share()
                    .map_or_else(|| "n/a".into(), |s| format!("{:.0} % of a core", s * 100.0)),
                r.redone
            );
        }
        t
    }

    fn markdown(&self) -> String {
        let n = self.runs.len();
        let title = if n == 1 {
            "Figures".to_string()
        } else {
            format!(
                "Figures of run {} (the median run by share of the ceiling)",
                self.median + 1
            )
        };
        self.runs[self.median].markdown(&self.goals_table(), &self.runs_table(), &title)
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

    #[test]
    fn percentiles_use_nearest_rank() {
        let v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let s = Stats::of(v);
        assert_eq!(s.p50, Duration::from_millis(50));
        assert_eq!(s.p99, Duration::from_millis(99));
        assert_eq!(s.max, Duration::from_millis(100));
    }

    #[test]
    fn prepared_webhooks_parse_and_are_distinct() {
        let v = prepare(7, 1, 3, 1_700_000_000, 2);
        assert_eq!(v[0].forwarded_for.as_deref(), Some("10.77.0.0"));
        assert_eq!(v[2].forwarded_for, v[0].forwarded_for);
        assert_eq!(platform_address(257), "10.77.1.1");
        assert_eq!(v.len(), 3);
        assert_ne!(v[0].body, v[1].body);
        for e in &v {
            assert!(stored_payload_len(&e.body).is_ok());
            assert_eq!(e.signature, whatsapp_signature(APP_SECRET, &e.body));
        }
    }
}
