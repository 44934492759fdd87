//! All runs of one invocation: goals judged on the medians, the table of runs, the written report.

use std::fmt::Write as _;

use anyhow::bail;

use crate::report::{mib, ms, verdict};
use crate::{Report, GOAL_P99, GOAL_RSS_KIB, GOAL_SHARE_OF_CEILING};

/// All runs of one invocation; goals are judged on the medians (RSS: on the worst run).
pub(crate) struct Runs {
    pub(crate) runs: Vec<Report>,
    /// The run with the median share of the ceiling, whose details the report shows.
    pub(crate) median: usize,
}

impl Runs {
    pub(crate) fn new(runs: Vec<Report>) -> anyhow::Result<Runs> {
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

    pub(crate) fn median_of(&self, f: impl Fn(&Report) -> f64) -> (f64, f64, f64) {
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

    pub(crate) fn goals_table(&self) -> String {
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

    pub(crate) fn runs_table(&self) -> String {
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

    pub(crate) fn markdown(&self) -> String {
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
