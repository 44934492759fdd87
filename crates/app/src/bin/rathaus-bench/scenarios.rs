//! The data-heavy parts (response-time report, erasure, retention purge, news page): their set-up on a scratch data folder and the order they run in.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Context};
use rathaus::config::Config;
use rathaus_hub::Registry;
use rathaus_store::{now_ms, Store};

use crate::data::{generate, Generated};
use crate::news::NewsRun;
use crate::purge::PurgeRun;
use crate::server::{free_port, write_config, Server};
use crate::store_parts::{ErasureRun, ReportRun};
use crate::Args;

/// Which parts of the benchmark run (`--parts`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Parts {
    pub(crate) intake: bool,
    pub(crate) report: bool,
    pub(crate) erasure: bool,
    pub(crate) purge: bool,
    pub(crate) news: bool,
}

pub(crate) const ALL_PARTS: &str = "intake,report,erasure,purge,news";

impl std::str::FromStr for Parts {
    type Err = String;
    fn from_str(s: &str) -> Result<Parts, String> {
        let mut p = Parts {
            intake: false,
            report: false,
            erasure: false,
            purge: false,
            news: false,
        };
        for name in s.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match name {
                "intake" => p.intake = true,
                "report" => p.report = true,
                "erasure" => p.erasure = true,
                "purge" => p.purge = true,
                "news" => p.news = true,
                "all" => return ALL_PARTS.parse(),
                other => return Err(format!("unknown part '{other}'; the parts are {ALL_PARTS}")),
            }
        }
        if !p.any() {
            return Err(format!("name at least one part of {ALL_PARTS}"));
        }
        Ok(p)
    }
}

impl Parts {
    pub(crate) fn any(&self) -> bool {
        self.intake || self.data() || self.news
    }
    /// Parts that need the generated year of data.
    pub(crate) fn data(&self) -> bool {
        self.report || self.erasure || self.purge
    }
}

/// What the data-heavy parts measured (each `None` when not run).
#[derive(Debug, Clone, Default)]
pub(crate) struct Scenarios {
    pub(crate) generated: Option<Generated>,
    pub(crate) report: Option<ReportRun>,
    pub(crate) erasure: Option<ErasureRun>,
    pub(crate) purge: Option<PurgeRun>,
    pub(crate) news: Option<NewsRun>,
}

/// A scratch data folder with the benchmark's configuration, opened in this process as the server
/// would open it (same master key file, same municipality and channel rows).
struct Site {
    config_path: std::path::PathBuf,
    base_url: String,
    store: Store,
    registry: Arc<Registry>,
    db: std::path::PathBuf,
}

async fn open_site(scratch: &Path) -> anyhow::Result<Site> {
    std::fs::create_dir_all(scratch)?;
    let data_dir = scratch.join("data");
    let listen = format!("127.0.0.1:{}", free_port()?);
    let dead_api = format!("http://127.0.0.1:{}", free_port()?);
    let config_path = scratch.join("bench.toml");
    write_config(&config_path, &listen, &data_dir, None, &dead_api)?;
    // Only the file counts, as for the server child (which gets no RATHAUS_* variables).
    let config = Config::load_with_env(Some(&config_path), &[])?;
    let store = rathaus::server::open_store(&config).await?;
    let base_url = format!("http://{listen}");
    let http = rathaus_channels::default_http_client().context("building the HTTP client")?;
    let registry = Registry::build(&store, &config.tenants()?, http, now_ms(), &base_url)
        .await
        .map_err(|e| anyhow!("building the registry: {e}"))?;
    Ok(Site {
        config_path,
        base_url,
        store,
        registry,
        db: data_dir.join("rathaus.db"),
    })
}

/// Generates the data, then the report, the erasures and the purge under load, in that order.
pub(crate) async fn data_parts(
    args: &Args,
    parts: Parts,
    server_exe: &Path,
    scratch: &Path,
    out: &mut Scenarios,
) -> anyhow::Result<()> {
    let site = open_site(scratch).await?;
    let tenant = site
        .registry
        .tenants()
        .first()
        .cloned()
        .context("the benchmark configuration has no municipality")?;
    let channel = tenant
        .channels
        .first()
        .map(|c| c.row.id)
        .context("the benchmark municipality has no channel")?;
    let now = now_ms();
    eprintln!(
        "data: {} concerns with {} messages …",
        args.concerns, args.messages
    );
    // Resolved 100+ days ago: all of it is due for the purge (90 days after resolution by default).
    let mut generated = generate(
        &site.store,
        tenant.row.id,
        channel,
        &tenant.notice_version,
        args.concerns,
        args.messages,
        if parts.erasure { args.erasures } else { 0 },
        now,
        100,
    )
    .await?;
    site.store.checkpoint().await?;
    generated.db_bytes = std::fs::metadata(&site.db).map_or(0, |m| m.len());
    eprintln!(
        "data: {} citizens, {} concerns, {} messages in {:.0} s ({:.0} MiB)",
        generated.citizens,
        generated.concerns,
        generated.messages,
        generated.seconds,
        generated.db_bytes as f64 / 1048576.0
    );
    if parts.report {
        eprintln!("report: response-time report over all of it …");
        let r = crate::store_parts::response_report(
            &site.store,
            &site.db,
            &tenant,
            generated.first_at,
            generated.last_at,
            args.report_runs,
            now,
        )
        .await?;
        eprintln!(
            "report: median {:.0} ms (store query {:.0} ms), {} samples",
            r.total.median().as_secs_f64() * 1000.0,
            r.query.median().as_secs_f64() * 1000.0,
            r.samples
        );
        out.report = Some(r);
    }
    if parts.erasure {
        eprintln!(
            "erasure: {} citizens one after the other …",
            generated.victims.len()
        );
        let e = crate::store_parts::erasures(&site.store, &generated.victims, now).await?;
        eprintln!(
            "erasure: median {:.1} ms, max {:.1} ms",
            e.times.median().as_secs_f64() * 1000.0,
            e.times.max().as_secs_f64() * 1000.0
        );
        out.erasure = Some(e);
    }
    site.store.checkpoint().await?;
    site.store.close().await;
    out.generated = Some(generated);
    if parts.purge {
        eprintln!(
            "purge: starting the server on the data (its worker purges at once), webhooks at {}/s …",
            args.purge_rate
        );
        let p = crate::purge::purge_under_load(
            server_exe,
            &site.config_path,
            scratch,
            &site.db,
            &site.base_url,
            args.purge_rate,
            args.concurrency,
            args.client_addresses as usize,
            Duration::from_secs(args.purge_limit),
        )
        .await?;
        eprintln!(
            "purge: {:.1} s ({}); webhooks during it: max {:.1} ms, longest gap {:.1} ms",
            p.duration.as_secs_f64(),
            p.details,
            p.during.max.as_secs_f64() * 1000.0,
            p.longest_gap.as_secs_f64() * 1000.0
        );
        out.purge = Some(p);
    }
    Ok(())
}

/// Publishes posts, starts the server and compares it with nginx on the same bytes.
pub(crate) async fn news_part(
    args: &Args,
    server_exe: &Path,
    scratch: &Path,
    out: &mut Scenarios,
) -> anyhow::Result<()> {
    let (nginx, wrk) = crate::news::tools()?;
    let site = open_site(scratch).await?;
    let tenant = site
        .registry
        .tenants()
        .first()
        .cloned()
        .context("the benchmark configuration has no municipality")?;
    eprintln!("news: publishing {} posts …", args.news_posts);
    crate::news::fill_posts(
        &site.store,
        &site.registry,
        &tenant,
        args.news_posts,
        now_ms(),
    )
    .await?;
    site.store.close().await;
    let mut server = Server::start(server_exe, &site.config_path, scratch, false).await?;
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .context("building the HTTP client")?;
    let result = async {
        server.wait_ready(&http, &site.base_url).await?;
        crate::news::compare(
            &nginx,
            &wrk,
            &site.base_url,
            &tenant.row.slug,
            scratch,
            args.wrk_rounds,
            args.wrk_seconds,
            args.wrk_connections,
            args.news_posts,
        )
        .await
    }
    .await;
    server.stop().await;
    out.news = Some(result?);
    Ok(())
}

impl std::fmt::Display for Parts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = [
            (self.intake, "intake"),
            (self.report, "report"),
            (self.erasure, "erasure"),
            (self.purge, "purge"),
            (self.news, "news"),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, n)| *n)
        .collect();
        f.write_str(&names.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_parsed_and_named_back() {
        let p: Parts = "report, news".parse().unwrap_or(Parts {
            intake: true,
            report: false,
            erasure: false,
            purge: false,
            news: false,
        });
        assert!(p.report && p.news && !p.intake && !p.purge && !p.erasure);
        assert_eq!(p.to_string(), "report,news");
        assert_eq!(
            ALL_PARTS.parse::<Parts>().map(|p| p.to_string()),
            Ok(ALL_PARTS.to_string())
        );
        assert!("intake,bogus".parse::<Parts>().is_err());
        assert!("".parse::<Parts>().is_err());
    }
}
