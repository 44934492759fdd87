//! The report of the data-heavy parts: their goals (met or missed), figures, method and the command that repeats them.

use std::fmt::Write as _;
use std::time::Duration;

use crate::report::verdict;
use crate::scenarios::Scenarios;

/// Marks the start of this section in the written report, so a run of only some parts keeps the rest.
pub(crate) const SECTION_MARKER: &str =
    "<!-- Erasure, purge, response-time report and news page: written by rathaus-bench. -->";

pub(crate) const GOAL_ERASURE: Duration = Duration::from_millis(100);
pub(crate) const GOAL_PURGE: Duration = Duration::from_secs(60);
pub(crate) const GOAL_INTAKE_BLOCKED: Duration = Duration::from_millis(100);
pub(crate) const GOAL_REPORT: Duration = Duration::from_secs(1);
pub(crate) const GOAL_NEWS_SHARE: f64 = 0.5;

fn ms(d: Duration) -> String {
    let v = d.as_secs_f64() * 1000.0;
    if v < 10.0 {
        format!("{v:.2} ms")
    } else {
        format!("{v:.0} ms")
    }
}

fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

impl Scenarios {
    pub(crate) fn is_empty(&self) -> bool {
        self.report.is_none()
            && self.erasure.is_none()
            && self.purge.is_none()
            && self.news.is_none()
    }

    /// The goals of the parts that ran, as a Markdown table (also printed after the run).
    pub(crate) fn goals_table(&self) -> String {
        let mut t = String::from("| Goal | Target | Measured | Result |\n|---|---|---|---|\n");
        let data = self.generated.as_ref();
        let size = data.map_or(String::new(), |g| {
            format!(
                "{} messages in {} concerns",
                thousands(g.messages),
                thousands(g.concerns)
            )
        });
        if let Some(e) = &self.erasure {
            let _ = writeln!(
                t,
                "| Erasing one citizen ({} concerns, {} messages) in a database of {size} | < 100 ms each | median {}, max {} over {} erasures | {} |",
                e.concerns_each,
                e.messages_each,
                ms(e.times.median()),
                ms(e.times.max()),
                e.times.0.len(),
                verdict(!e.times.0.is_empty() && e.times.max() < GOAL_ERASURE)
            );
        }
        if let Some(p) = &self.purge {
            let _ = writeln!(
                t,
                "| Daily retention purge of {} due concerns | < 60 s | {:.1} s | {} |",
                thousands(p.concerns_before.saturating_sub(p.concerns_after).max(0) as usize),
                p.duration.as_secs_f64(),
                verdict(p.duration < GOAL_PURGE)
            );
            let ok = p.during.max < GOAL_INTAKE_BLOCKED
                && p.longest_gap < GOAL_INTAKE_BLOCKED
                && p.during_accepted == p.during_sent
                && p.during_sent > 0;
            let _ = writeln!(
                t,
                "| Webhook intake during the purge ({}/s) | never blocked ≥ 100 ms | slowest webhook {}, longest time without an answer {}, {} of {} accepted | {} |",
                p.rate,
                ms(p.during.max),
                ms(p.longest_gap),
                p.during_accepted,
                p.during_sent,
                verdict(ok)
            );
        }
        if let Some(r) = &self.report {
            let _ = writeln!(
                t,
                "| Response-time report over {size} (SQLite) | < 1 s | median {}, max {} over {} runs | {} |",
                ms(r.total.median()),
                ms(r.total.max()),
                r.total.0.len(),
                verdict(!r.total.0.is_empty() && r.total.max() < GOAL_REPORT)
            );
        }
        if let Some(n) = &self.news {
            for c in &n.comparisons {
                let _ = writeln!(
                    t,
                    "| {} vs. nginx serving the same bytes | ≥ 50 % of nginx | {:.0} % ({:.0} vs. {:.0} requests/s){} | {} |",
                    c.label,
                    c.share() * 100.0,
                    c.rathaus_rps(),
                    c.nginx_rps(),
                    if c.bad() > 0 {
                        format!(", {} failed requests", c.bad())
                    } else {
                        String::new()
                    },
                    verdict(c.share() >= GOAL_NEWS_SHARE && c.bad() == 0)
                );
            }
        }
        t
    }

    /// The whole section, starting with [`SECTION_MARKER`].
    pub(crate) fn markdown(&self, date: &str, commit: &str, command: &str) -> String {
        let mut md = String::new();
        let _ = writeln!(md, "{SECTION_MARKER}\n");
        let _ = writeln!(
            md,
            "# Erasure, retention purge, response-time report and news page\n\nMeasured {date} at commit {commit}, on the same machine as above.\n"
        );
        let _ = writeln!(md, "## Goals\n\n{}", self.goals_table());
        if let Some(g) = &self.generated {
            let _ = writeln!(md, "## Data\n");
            let _ = writeln!(
                md,
                "Generated for the report, the erasures and the purge (`crates/app/src/bin/rathaus-bench/data.rs` through \
                 the store's `bench_fill_*`, used by nothing else): {} citizens (consented, each with their own key; \
                 platform id, phone and name sealed), {} concerns, {} messages (bodies sealed with the citizen's key, \
                 platform message ids as keyed hashes; 2 to 18 per concern, citizen and staff in turn, 5 % of concerns \
                 never answered), one first-response measurement per concern. Concerns start evenly over one year that \
                 ended 100 days ago and were resolved within days, so all of them are due for the purge (90 days after \
                 resolution by default). SQLite file after filling: {:.0} MiB; filling took {:.0} s.\n",
                thousands(g.citizens),
                thousands(g.concerns),
                thousands(g.messages),
                g.db_bytes as f64 / 1048576.0,
                g.seconds
            );
        }
        if let Some(r) = &self.report {
            let _ = writeln!(md, "## Response-time report\n");
            let _ = writeln!(
                md,
                "`rathaus_hub::reports::response_times_at` (what the staff UI and `GET /api/v1/reports/response-times` \
                 call) for {} to {}: {} measurements, {} of them answered. {} runs after one warm-up run: median {}, \
                 min {}, max {}. Of that, the store's query (`Store::response_samples`) alone: median {}, max {}.\n",
                r.from,
                r.to,
                thousands(r.samples),
                thousands(r.answered),
                r.total.0.len(),
                ms(r.total.median()),
                ms(r.total.min()),
                ms(r.total.max()),
                ms(r.query.median()),
                ms(r.query.max())
            );
            let _ = writeln!(
                md,
                "SQLite's plan for the samples query (`EXPLAIN QUERY PLAN`):\n\n```\n{}\n```\n",
                r.plan.join("\n")
            );
        }
        if let Some(e) = &self.erasure {
            let list: Vec<String> = e.times.0.iter().map(|d| ms(*d)).collect();
            let _ = writeln!(md, "## Erasure\n");
            let _ = writeln!(
                md,
                "`Store::erase_citizen` with the hub's `job_mentions` (the path of the staff UI and of a citizen's \
                 own request), one citizen after the other, each with {} concerns and {} messages, in the database \
                 above: {}. The job queue is empty here, so the check of queued jobs for the citizen costs almost \
                 nothing.\n",
                e.concerns_each,
                e.messages_each,
                list.join(", ")
            );
        }
        if let Some(p) = &self.purge {
            let _ = writeln!(md, "## Retention purge under webhook load\n");
            let _ = writeln!(
                md,
                "`rathaus serve` (release build, with its worker) started on the data above; its worker runs the \
                 housekeeping (`Worker::housekeeping` → `Store::purge_municipality`) at once. Signed WhatsApp webhooks \
                 at {}/s (open loop, 8 connections, 64 platform addresses) from the moment the server answered until \
                 one second after the purge's audit entry appeared.\n",
                p.rate
            );
            let _ = writeln!(md, "| Detail | Value |\n|---|---|");
            let _ = writeln!(
                md,
                "| Purge | {:.1} s, from the housekeeping's start (the audit entry's time) until its entry was seen (polled every 50 ms); audit entry: `{}` |",
                p.duration.as_secs_f64(),
                p.details
            );
            let _ = writeln!(
                md,
                "| Concerns before / after | {} / {} |",
                thousands(p.concerns_before.max(0) as usize),
                thousands(p.concerns_after.max(0) as usize)
            );
            let _ = writeln!(
                md,
                "| Load started | {} |",
                if p.load_started_after_ms >= 0.0 {
                    format!(
                        "{:.0} ms after the purge began (the server's start-up)",
                        p.load_started_after_ms
                    )
                } else {
                    format!("{:.0} ms before the purge began (the load was running when the worker started it)", -p.load_started_after_ms)
                }
            );
            let _ = writeln!(
                md,
                "| Webhooks scheduled during the purge | {} sent, {} accepted; latency from the scheduled send time: p50 {}, p99 {}, max {} |",
                p.during_sent,
                p.during_accepted,
                ms(p.during.p50),
                ms(p.during.p99),
                ms(p.during.max)
            );
            let _ = writeln!(
                md,
                "| Longest time without any webhook answer during the purge | {} |",
                ms(p.longest_gap)
            );
            let _ = writeln!(
                md,
                "| All webhooks of the run | p50 {}, p99 {}, max {}; {} failed |\n",
                ms(p.all.p50),
                ms(p.all.p99),
                ms(p.all.max),
                p.errors
            );
        }
        if let Some(n) = &self.news {
            let _ = writeln!(md, "## News page and feeds vs. nginx\n");
            let _ = writeln!(
                md,
                "{} posts published through the real workflow (draft, submit, approval by a second person). \
                 The benchmark fetches each resource once from `rathaus serve` (release build, with its worker) \
                 and writes the bytes as static files for {} (Debian package, `worker_processes auto`, \
                 `sendfile on`, `access_log off`, started on 127.0.0.1 with a configuration in the scratch \
                 folder). Then `{}` (`wrk {}`) loads each server in turn, alternating which one goes first, \
                 {} times each; the table shows medians.\n",
                n.posts,
                n.nginx_version,
                n.wrk_version,
                n.wrk_args,
                n.comparisons.first().map_or(0, |c| c.rathaus.len())
            );
            let _ = writeln!(
                md,
                "| Resource | Bytes | rathaus requests/s (runs) | nginx requests/s (runs) | rathaus p50 / p99 (last run) | nginx p50 / p99 (last run) |\n|---|---|---|---|---|---|"
            );
            for c in &n.comparisons {
                let runs = |v: &[crate::news::Wrk]| {
                    v.iter()
                        .map(|w| format!("{:.0}", w.rps))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                let lat = |v: &[crate::news::Wrk]| {
                    v.last()
                        .map_or("n/a".into(), |w| format!("{} / {}", w.p50, w.p99))
                };
                let _ = writeln!(
                    md,
                    "| {} | {} | {:.0} ({}) | {:.0} ({}) | {} | {} |",
                    c.label,
                    c.bytes,
                    c.rathaus_rps(),
                    runs(&c.rathaus),
                    c.nginx_rps(),
                    runs(&c.nginx),
                    lat(&c.rathaus),
                    lat(&c.nginx)
                );
            }
            md.push('\n');
        }
        let _ = writeln!(md, "## Reproduce these parts\n\n```sh\n{command}\n```\n");
        let _ = writeln!(
            md,
            "`--parts` chooses what runs (`intake,report,erasure,purge,news`; default: all). Sizes: `--messages`, \
             `--concerns`, `--erasures`, `--purge-rate`, `--news-posts`, `--wrk-seconds`, `--wrk-rounds`, \
             `--wrk-connections`. The news part needs `nginx` and `wrk`; run as root, the benchmark installs \
             `nginx-light` and `wrk` with apt-get when they are missing. These parts run on SQLite only.\n"
        );
        md
    }
}
