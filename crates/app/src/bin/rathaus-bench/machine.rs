//! What the benchmark reads about processes and the machine: RSS and CPU from /proc, hardware, filesystem, commit, time.

use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub(crate) struct Rss {
    pub(crate) idle_kib: Option<u64>,
    pub(crate) after_max_kib: Option<u64>,
    pub(crate) after_fixed_kib: Option<u64>,
    pub(crate) peak_kib: Option<u64>,
}

/// A `kB` field of /proc/<pid>/status, e.g. `VmHWM` (peak RSS) or `VmRSS`.
pub(crate) fn proc_status_kib(pid: u32, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines().find_map(|l| {
        let rest = l.strip_prefix(field)?.strip_prefix(':')?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

pub(crate) fn clock_ticks() -> f64 {
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
pub(crate) fn cpu_seconds(stat_path: &str) -> Option<f64> {
    let text = std::fs::read_to_string(stat_path).ok()?;
    let after = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / clock_ticks())
}

/// Busy CPU seconds of the whole machine (all cores, including steal) from `/proc/stat`.
pub(crate) fn machine_busy_seconds() -> Option<f64> {
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
pub(crate) struct CpuSnap {
    pub(crate) server: Option<f64>,
    pub(crate) client: Option<f64>,
    pub(crate) machine: Option<f64>,
}

/// CPU seconds used in an interval; `other` is everything else on the machine (builds, …).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CpuUse {
    pub(crate) server: Option<f64>,
    pub(crate) client: Option<f64>,
    pub(crate) other: Option<f64>,
}

impl CpuSnap {
    pub(crate) fn take(server_pid: u32) -> CpuSnap {
        CpuSnap {
            server: cpu_seconds(&format!("/proc/{server_pid}/stat")),
            client: cpu_seconds("/proc/self/stat"),
            machine: machine_busy_seconds(),
        }
    }

    pub(crate) fn since(&self, before: &CpuSnap) -> CpuUse {
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
pub(crate) async fn wait_quiet(limit: Duration, server_pid: Option<u32>, what: &str) -> bool {
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

pub(crate) struct Machine {
    pub(crate) cpus: usize,
    pub(crate) model: String,
    pub(crate) memory: String,
    pub(crate) kernel: String,
}

impl Machine {
    pub(crate) fn read() -> Machine {
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
pub(crate) fn filesystem_of(path: &Path) -> String {
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

pub(crate) fn git_commit() -> String {
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

pub(crate) fn utc_now() -> String {
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
