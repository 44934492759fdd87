//! `rathaus-bench`: fires signed WhatsApp webhooks at a freshly started `rathaus serve` and compares the intake with the database's raw durable-insert rate.
//!
//! One run: (0) the ceiling — N single-row transactions of the same size straight into a fresh
//! database with the store's settings; (1) N webhooks as fast as C keep-alive connections allow;
//! (2) webhooks at a fixed rate (open loop, latency counted from the scheduled send time);
//! then the server's peak RSS (`VmHWM`). `--write docs/benchmarks.md` writes the report.
//!
//! Then, on a generated year of data (1,000,000 messages in 100,000 concerns): the response-time
//! report, erasing single citizens, and the retention purge inside a running server under webhook
//! load; and the public news page and feeds against nginx serving the same bytes (`--parts`).

mod ceiling;
mod data;
mod load;
mod machine;
mod news;
mod purge;
mod report;
mod runs;
mod scenarios;
mod scenarios_report;
mod scratch_db;
mod server;
mod store_parts;
mod webhooks;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, Context};
use clap::Parser;

use ceiling::{ceiling_postgres, ceiling_sqlite, Ceiling};
use load::{closed_loop, open_loop, send, Phase};
use machine::{
    filesystem_of, git_commit, proc_status_kib, utc_now, wait_quiet, CpuSnap, Machine, Rss,
};
use report::{ms, reproduce_command, scenarios_command};
use runs::Runs;
use scenarios::{data_parts, news_part, Parts, Scenarios, ALL_PARTS};
use scenarios_report::SECTION_MARKER;
use scratch_db::{job_snapshot, PgScratch};
use server::{free_port, write_config, Server};
use webhooks::{mean, prepare, stored_payload_len};

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
    /// Parts to run, comma-separated: intake, report, erasure, purge, news.
    #[arg(long, default_value = ALL_PARTS)]
    parts: Parts,
    /// Messages in the generated data (report, erasure, purge).
    #[arg(long, default_value_t = 1_000_000)]
    messages: usize,
    /// Concerns in the generated data; all of them are due for the purge.
    #[arg(long, default_value_t = 100_000)]
    concerns: usize,
    /// Citizens erased one after the other (each with 3 concerns of 10 messages).
    #[arg(long, default_value_t = 10)]
    erasures: usize,
    /// Runs of the response-time report (after one warm-up run).
    #[arg(long, default_value_t = 5)]
    report_runs: usize,
    /// Webhooks per second sent while the purge runs.
    #[arg(long, default_value_t = 200)]
    purge_rate: u32,
    /// Seconds after which a purge that has not finished counts as failed.
    #[arg(long, default_value_t = 300)]
    purge_limit: u64,
    /// Posts published on the news page before it is measured.
    #[arg(long, default_value_t = 30)]
    news_posts: usize,
    /// Seconds of each wrk run.
    #[arg(long, default_value_t = 5)]
    wrk_seconds: u64,
    /// wrk runs per server and resource (alternating between rathaus and nginx).
    #[arg(long, default_value_t = 3)]
    wrk_rounds: usize,
    /// wrk connections.
    #[arg(long, default_value_t = 16)]
    wrk_connections: usize,
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
    let mut intake_md = None;
    if args.parts.intake {
        intake_md = Some(intake(&args, rate_events, &server_exe, &base).await?);
    }
    let mut scenarios = Scenarios::default();
    if args.parts.data() || args.parts.news {
        if args.database_url.is_some() {
            bail!("the report, erasure, purge and news parts run on SQLite only; leave out --database-url or use --parts intake");
        }
        if args.concerns == 0 || args.messages < 2 * args.concerns {
            bail!("--concerns must be at least 1 and --messages at least twice --concerns");
        }
        let scratch = base.join(format!(
            "rathaus-bench-data-{}-{:08x}",
            std::process::id(),
            rand::random::<u32>()
        ));
        let result = async {
            if args.parts.data() {
                data_parts(
                    &args,
                    args.parts,
                    &server_exe,
                    &scratch.join("data"),
                    &mut scenarios,
                )
                .await?;
            }
            if args.parts.news {
                news_part(&args, &server_exe, &scratch.join("news"), &mut scenarios).await?;
            }
            Ok::<_, anyhow::Error>(())
        }
        .await;
        if args.keep || result.is_err() {
            eprintln!("scratch folder kept: {}", scratch.display());
        } else if let Err(e) = std::fs::remove_dir_all(&scratch) {
            eprintln!(
                "warning: could not remove scratch folder {}: {e}",
                scratch.display()
            );
        }
        result?;
        println!("\n{}", scenarios.goals_table());
    }
    if let Some(path) = &args.write {
        let old = std::fs::read_to_string(path).unwrap_or_default();
        let notes_at = old.find(NOTES_MARKER).unwrap_or(old.len());
        let section_at = old
            .find(SECTION_MARKER)
            .filter(|i| *i < notes_at)
            .unwrap_or(notes_at);
        // Parts not run this time keep what the file said about them; hand-written notes after the
        // notes marker survive a new run.
        let mut md = match intake_md {
            Some(m) => m,
            None => old[..section_at].to_string(),
        };
        md = format!("{}\n", md.trim_end());
        if !scenarios.is_empty() {
            let section = scenarios.markdown(&utc_now(), &git_commit(), &scenarios_command(&args));
            md = format!("{md}\n{}\n", section.trim_end());
        } else if section_at < notes_at {
            md = format!("{md}\n{}\n", old[section_at..notes_at].trim_end());
        }
        if notes_at < old.len() {
            md = format!("{md}\n{}", &old[notes_at..]);
        }
        std::fs::write(path, md).with_context(|| format!("writing {}", path.display()))?;
        println!("report written to {}", path.display());
    }
    Ok(())
}

/// The webhook intake runs (`--repeat` of them); returns their Markdown report.
async fn intake(
    args: &Args,
    rate_events: usize,
    server_exe: &Path,
    base: &Path,
) -> anyhow::Result<String> {
    let mut runs = Vec::with_capacity(args.repeat);
    for i in 0..args.repeat {
        if args.repeat > 1 {
            eprintln!("run {} of {}", i + 1, args.repeat);
        }
        let mut report = bench_once(args, rate_events, server_exe, base).await?;
        // With --wait-quiet, a run that others disturbed anyway is done again (at most three times).
        let mut redone = 0;
        while args.wait_quiet > 0 && !report.disturbed().is_empty() && redone < 3 {
            eprintln!(
                "other processes were busy during {}; doing this run again",
                report.disturbed().join(", ")
            );
            redone += 1;
            report = bench_once(args, rate_events, server_exe, base).await?;
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
    Ok(all.markdown())
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
