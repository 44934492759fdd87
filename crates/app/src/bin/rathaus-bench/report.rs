//! The report of one run: goals, tables, the Markdown document and the command that repeats it.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use crate::machine::CpuUse;
use crate::{Args, Report, GOAL_P99, GOAL_RSS_KIB, GOAL_SHARE_OF_CEILING};

/// The build command and the path of this binary, as the commands that repeat a run name them.
fn build_and_bench_path() -> (String, String) {
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
    (out, bench_path)
}

/// The options of the data-heavy parts that differ from their defaults, and `--parts` unless all run.
fn parts_options(args: &Args) -> String {
    let mut out = String::new();
    if args.parts.to_string() != crate::ALL_PARTS {
        let _ = write!(out, " --parts {}", args.parts);
    }
    for (name, value, default) in [
        ("messages", args.messages as u64, 1_000_000),
        ("concerns", args.concerns as u64, 100_000),
        ("erasures", args.erasures as u64, 10),
        ("report-runs", args.report_runs as u64, 5),
        ("purge-rate", u64::from(args.purge_rate), 200),
        ("purge-limit", args.purge_limit, 300),
        ("news-posts", args.news_posts as u64, 30),
        ("wrk-seconds", args.wrk_seconds, 5),
        ("wrk-rounds", args.wrk_rounds as u64, 3),
        ("wrk-connections", args.wrk_connections as u64, 16),
    ] {
        if value != default {
            let _ = write!(out, " --{name} {value}");
        }
    }
    out
}

/// The shell commands that repeat only the data-heavy parts of this run.
pub(crate) fn scenarios_command(args: &Args) -> String {
    let (mut out, bench_path) = build_and_bench_path();
    let mut parts = args.parts;
    parts.intake = false;
    let _ = write!(out, "{bench_path} --parts {parts}");
    let mut only = args.clone();
    only.parts = crate::ALL_PARTS.parse().unwrap_or(parts);
    out.push_str(&parts_options(&only));
    if let Some(w) = &args.write {
        let _ = write!(out, " --write {}", w.display());
    }
    out
}

/// The shell commands that repeat this run.
pub(crate) fn reproduce_command(args: &Args, rate_events: usize) -> String {
    let (mut out, bench_path) = build_and_bench_path();
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
    out.push_str(&parts_options(args));
    if let Some(w) = &args.write {
        let _ = write!(out, " --write {}", w.display());
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Output

pub(crate) fn ms(d: Duration) -> String {
    let v = d.as_secs_f64() * 1000.0;
    if v < 10.0 {
        format!("{v:.2} ms")
    } else {
        format!("{v:.1} ms")
    }
}

pub(crate) fn mib(kib: Option<u64>) -> String {
    kib.map_or_else(|| "n/a".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0))
}

pub(crate) fn verdict(ok: bool) -> &'static str {
    if ok {
        "**met**"
    } else {
        "**missed**"
    }
}

impl Report {
    pub(crate) fn is_postgres(&self) -> bool {
        self.backend.starts_with("PostgreSQL")
    }

    pub(crate) fn share_of_ceiling(&self) -> f64 {
        self.max.accepted_rate() / self.ceiling.rate().max(1e-9)
    }

    pub(crate) fn goal_share(&self) -> bool {
        self.share_of_ceiling() >= GOAL_SHARE_OF_CEILING
    }

    /// p99 below the goal while the rate was actually held and every webhook accepted.
    pub(crate) fn goal_latency(&self) -> bool {
        self.fixed.lat.p99 < GOAL_P99
            && self.fixed.accepted == self.fixed.sent
            && self.fixed.accepted_rate() >= 0.95 * f64::from(self.rate)
    }

    pub(crate) fn goal_rss(&self) -> bool {
        self.rss.peak_kib.is_some_and(|k| k < GOAL_RSS_KIB)
    }

    pub(crate) fn goals_table(&self) -> String {
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

    pub(crate) fn summary_table(&self) -> String {
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
    pub(crate) fn cpu_line(
        &self,
        cpu: &CpuUse,
        wall: Duration,
        accepted: usize,
        who: &str,
    ) -> String {
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
    pub(crate) fn disturbed(&self) -> Vec<String> {
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
    pub(crate) fn markdown(&self, goals: &str, runs: &str, figures_title: &str) -> String {
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
    pub(crate) fn other_peak_share(&self) -> Option<f64> {
        [
            (self.ceiling.cpu.other, self.ceiling.elapsed),
            (self.max.cpu.other, self.max.wall),
            (self.fixed.cpu.other, self.fixed.wall),
        ]
        .iter()
        .filter_map(|(o, w)| Some(o.as_ref()? / w.as_secs_f64().max(1e-9)))
        .reduce(f64::max)
    }

    pub(crate) fn summary_table_without_goals(&self) -> String {
        let full = self.summary_table();
        match full.find("\n| Goal |") {
            Some(i) => full[..i].to_string(),
            None => full,
        }
    }
}
