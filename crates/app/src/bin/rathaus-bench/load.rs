//! The load generator: closed-loop (max throughput) and open-loop (fixed rate) webhook senders and their statistics.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::machine::{CpuSnap, CpuUse};
use crate::webhooks::Signed;

pub(crate) struct Sample {
    /// From the scheduled send time (fixed rate) or the send (max throughput) to the answer.
    pub(crate) latency: Duration,
    /// From the actual send to the answer.
    pub(crate) service: Duration,
    pub(crate) outcome: Result<u16, &'static str>,
}

#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Stats {
    pub(crate) p50: Duration,
    pub(crate) p99: Duration,
    pub(crate) max: Duration,
}

impl Stats {
    pub(crate) fn of(mut v: Vec<Duration>) -> Stats {
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

pub(crate) struct Phase {
    pub(crate) sent: usize,
    pub(crate) accepted: usize,
    pub(crate) wall: Duration,
    /// Latency of accepted webhooks.
    pub(crate) lat: Stats,
    pub(crate) service: Stats,
    pub(crate) errors: BTreeMap<String, usize>,
    pub(crate) cpu: CpuUse,
}

impl Phase {
    pub(crate) fn accepted_rate(&self) -> f64 {
        self.accepted as f64 / self.wall.as_secs_f64().max(1e-9)
    }

    pub(crate) fn from_samples(samples: Vec<Sample>, wall: Duration, cpu: CpuUse) -> Phase {
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

    pub(crate) fn errors_text(&self) -> String {
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

pub(crate) async fn send(
    http: &reqwest::Client,
    url: &str,
    e: &Signed,
) -> Result<u16, &'static str> {
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

pub(crate) fn classify(e: reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect error"
    } else {
        "request error"
    }
}

/// `c` connections, each sending the next webhook as soon as the previous one is answered.
pub(crate) async fn closed_loop(
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
pub(crate) async fn open_loop(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let s = Stats::of(v);
        assert_eq!(s.p50, Duration::from_millis(50));
        assert_eq!(s.p99, Duration::from_millis(99));
        assert_eq!(s.max, Duration::from_millis(100));
    }
}
