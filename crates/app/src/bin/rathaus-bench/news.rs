//! The public news page and feeds (issue 5) served by `rathaus serve`, side by side with nginx serving the same rendered bytes as static files, both loaded by `wrk`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use rathaus_hub::publishing::{self, Draft};
use rathaus_hub::{Registry, Tenant};
use rathaus_store::{Role, Store};
use tokio::process::{Child, Command};

use crate::data::DAY;

/// The three public resources measured, as (label, path below `/{slug}/`, static file name).
pub(crate) const RESOURCES: [(&str, &str, &str); 3] = [
    ("News page `/{slug}/`", "", "index.html"),
    ("Atom feed `/{slug}/feed.atom`", "feed.atom", "feed.atom"),
    ("JSON feed `/{slug}/feed.json`", "feed.json", "feed.json"),
];

/// One `wrk` run.
#[derive(Debug, Clone, Default)]
pub(crate) struct Wrk {
    pub(crate) rps: f64,
    pub(crate) p50: String,
    pub(crate) p99: String,
    /// Non-2xx answers and socket errors.
    pub(crate) bad: u64,
}

/// One resource, both servers, all rounds.
#[derive(Debug, Clone, Default)]
pub(crate) struct Comparison {
    pub(crate) label: String,
    pub(crate) bytes: usize,
    pub(crate) rathaus: Vec<Wrk>,
    pub(crate) nginx: Vec<Wrk>,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

impl Comparison {
    pub(crate) fn rathaus_rps(&self) -> f64 {
        median(self.rathaus.iter().map(|w| w.rps).collect())
    }
    pub(crate) fn nginx_rps(&self) -> f64 {
        median(self.nginx.iter().map(|w| w.rps).collect())
    }
    pub(crate) fn share(&self) -> f64 {
        self.rathaus_rps() / self.nginx_rps().max(1e-9)
    }
    pub(crate) fn bad(&self) -> u64 {
        self.rathaus.iter().chain(&self.nginx).map(|w| w.bad).sum()
    }
}

/// Everything the news measurement produced.
#[derive(Debug, Clone, Default)]
pub(crate) struct NewsRun {
    pub(crate) posts: usize,
    pub(crate) comparisons: Vec<Comparison>,
    pub(crate) nginx_version: String,
    pub(crate) wrk_version: String,
    pub(crate) wrk_args: String,
}

const PARAGRAPHS: &[&str] = &[
    "Ab Montag wird die Hauptstraße zwischen Marktplatz und Bahnhof für zwei Wochen saniert. Die Umleitung ist ausgeschildert; die Buslinien 3 und 7 fahren über die Ringstraße.",
    "Das Bürgerbüro hat am Donnerstag wegen einer Schulung nur von 8 bis 12 Uhr geöffnet. Termine am Nachmittag werden verschoben, Sie werden persönlich benachrichtigt.",
    "Der Gemeinderat tagt am 14. öffentlich im großen Sitzungssaal des Rathauses. Auf der Tagesordnung stehen der Haushalt, der neue Radweg und die Sanierung der Grundschule.",
    "Die Grüngutannahme am Bauhof ist ab sofort auch samstags von 9 bis 13 Uhr geöffnet. Bitte bringen Sie kein Restmüll und keine Erde mit.",
    "Im Freibad beginnt die Saison am 15. Mai. Saisonkarten gibt es online und an der Kasse; für Familien mit dem Familienpass gilt der ermäßigte Preis.",
    "Wegen Bauarbeiten an der Wasserleitung kann es in der Gartenstraße am Dienstag zwischen 9 und 15 Uhr zu Unterbrechungen kommen. Wir bitten um Verständnis.",
    "Die Stadtbibliothek lädt zum Vorlesenachmittag für Kinder ab vier Jahren ein, jeden Mittwoch um 15 Uhr. Der Eintritt ist frei, eine Anmeldung ist nicht nötig.",
    "Fundsachen aus dem Stadtfest können bis Ende des Monats im Bürgerbüro abgeholt werden. Danach gehen sie an das Fundbüro des Landkreises.",
];

fn post_text(i: usize) -> String {
    let a = PARAGRAPHS[i % PARAGRAPHS.len()];
    let b = PARAGRAPHS[(i * 3 + 1) % PARAGRAPHS.len()];
    format!("{a}\n\n{b}\n\nFragen beantwortet das Bürgerbüro unter 0123 456-0 (Meldung Nr. {i}).")
}

/// Publishes `n` posts on the website, one a day back from `now`, through the real workflow
/// (draft, submit, approve by a second person, publish).
pub(crate) async fn fill_posts(
    store: &Store,
    registry: &Registry,
    tenant: &Tenant,
    n: usize,
    now: i64,
) -> anyhow::Result<()> {
    let m = tenant.row.id;
    let author = store
        .upsert_staff(
            m,
            "presse@benchstadt.example",
            "Pressestelle",
            None,
            Role::Editor,
            now,
        )
        .await?;
    let approver = store
        .upsert_staff(
            m,
            "leitung@benchstadt.example",
            "Amtsleitung",
            None,
            Role::Admin,
            now,
        )
        .await?;
    for i in 0..n {
        let at = now - (n - i) as i64 * DAY;
        let draft = Draft {
            text: post_text(i),
            language: "de".into(),
            ..Draft::default()
        };
        let id = publishing::create(store, tenant, author, &draft, at)
            .await
            .with_context(|| format!("creating post {i}"))?;
        publishing::submit(store, tenant, id, author, at)
            .await
            .with_context(|| format!("submitting post {i}"))?;
        publishing::approve(store, registry, tenant, id, approver, at)
            .await
            .with_context(|| format!("approving post {i}"))?;
    }
    Ok(())
}

/// Finds `name` on PATH.
fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// nginx and wrk, installed from Debian when missing and running as root.
pub(crate) fn tools() -> anyhow::Result<(PathBuf, PathBuf)> {
    if which("nginx").is_none() || which("wrk").is_none() {
        let root = std::process::Command::new("id")
            .arg("-u")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .is_some_and(|s| s.trim() == "0");
        if !root {
            bail!("nginx and wrk are needed: `sudo apt-get install -y nginx-light wrk` (Debian), or leave out the news part with --parts");
        }
        eprintln!("news: installing nginx-light and wrk with apt-get …");
        let ok = std::process::Command::new("apt-get")
            .args(["install", "-y", "-q", "nginx-light", "wrk"])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            bail!("`apt-get install -y nginx-light wrk` failed");
        }
    }
    match (which("nginx"), which("wrk")) {
        (Some(n), Some(w)) => Ok((n, w)),
        _ => bail!("nginx or wrk still not found after installing"),
    }
}

fn version_of(exe: &Path, arg: &str) -> String {
    std::process::Command::new(exe)
        .arg(arg)
        .output()
        .ok()
        .map(|o| {
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            );
            text.lines()
                .find(|l| l.contains("version") || l.starts_with("wrk"))
                .unwrap_or("")
                .trim()
                .to_string()
        })
        .unwrap_or_default()
}

/// An nginx on 127.0.0.1 serving `root`, with its configuration, logs and temp folders in `dir`.
struct Nginx {
    child: Child,
}

impl Nginx {
    async fn start(exe: &Path, dir: &Path, root: &Path, port: u16) -> anyhow::Result<Nginx> {
        for sub in ["tmp", "logs"] {
            std::fs::create_dir_all(dir.join(sub))?;
        }
        let d = dir.display();
        let conf = format!(
            "worker_processes auto;\ndaemon off;\npid {d}/nginx.pid;\nerror_log {d}/logs/error.log warn;\n\
             events {{ worker_connections 1024; }}\n\
             http {{\n  access_log off;\n  types {{ text/html html; application/atom+xml atom; application/json json; }}\n\
             default_type application/octet-stream;\n  sendfile on;\n  tcp_nopush on;\n  keepalive_requests 1000000;\n\
             client_body_temp_path {d}/tmp/body;\n  proxy_temp_path {d}/tmp/proxy;\n  fastcgi_temp_path {d}/tmp/fastcgi;\n\
             uwsgi_temp_path {d}/tmp/uwsgi;\n  scgi_temp_path {d}/tmp/scgi;\n\
             server {{ listen 127.0.0.1:{port}; root {}; index index.html; }}\n}}\n",
            root.display()
        );
        let conf_path = dir.join("nginx.conf");
        std::fs::write(&conf_path, conf)?;
        let log = std::fs::File::create(dir.join("logs/stderr.log"))?;
        let child = Command::new(exe)
            .arg("-p")
            .arg(dir)
            .arg("-e")
            .arg(dir.join("logs/error.log"))
            .arg("-c")
            .arg(&conf_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .kill_on_drop(true)
            .spawn()
            .context("starting nginx")?;
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                let err = std::fs::read_to_string(dir.join("logs/stderr.log")).unwrap_or_default();
                bail!("nginx did not start: {err}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(Nginx { child })
    }

    async fn stop(mut self) {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .arg("-QUIT")
                .arg(pid.to_string())
                .status();
        }
        if tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }
}

/// Runs wrk against `url` and reads requests/s, latency and errors from its output.
async fn wrk(exe: &Path, url: &str, args: &[String]) -> anyhow::Result<Wrk> {
    let out = Command::new(exe)
        .args(args)
        .arg("--latency")
        .arg(url)
        .output()
        .await
        .context("running wrk")?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    if !out.status.success() {
        bail!("wrk failed: {text}{}", String::from_utf8_lossy(&out.stderr));
    }
    let field = |prefix: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(prefix).map(|r| r.trim().to_string()))
    };
    let rps: f64 = field("Requests/sec:")
        .and_then(|v| v.parse().ok())
        .with_context(|| format!("no Requests/sec in wrk output: {text}"))?;
    let non2xx: u64 = field("Non-2xx or 3xx responses:")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let socket: u64 = field("Socket errors:")
        .map(|v| {
            v.split(',')
                .filter_map(|p| p.split_whitespace().last()?.parse::<u64>().ok())
                .sum()
        })
        .unwrap_or(0);
    Ok(Wrk {
        rps,
        p50: field("50%").unwrap_or_default(),
        p99: field("99%").unwrap_or_default(),
        bad: non2xx + socket,
    })
}

/// Fetches the three resources from the running server, writes them as static files for nginx, and
/// measures both, alternating, `rounds` times each.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn compare(
    nginx_exe: &Path,
    wrk_exe: &Path,
    rathaus_base: &str,
    slug: &str,
    dir: &Path,
    rounds: usize,
    seconds: u64,
    connections: usize,
    posts: usize,
) -> anyhow::Result<NewsRun> {
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .context("building the HTTP client")?;
    let root = dir.join("root");
    let site = root.join(slug);
    std::fs::create_dir_all(&site)?;
    let mut sizes = Vec::new();
    for (_, path, file) in RESOURCES {
        let url = format!("{rathaus_base}/{slug}/{path}");
        let res = http
            .get(&url)
            .send()
            .await
            .with_context(|| format!("GET {url}"))?;
        if !res.status().is_success() {
            bail!("GET {url} answered {}", res.status());
        }
        let body = res.bytes().await?;
        std::fs::write(site.join(file), &body)?;
        sizes.push(body.len());
    }
    // Readable by nginx's unprivileged workers.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for p in [dir.to_path_buf(), root.clone(), site.clone()] {
            let _ = std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755));
        }
    }
    let port = crate::server::free_port()?;
    let nginx = Nginx::start(nginx_exe, &dir.join("nginx"), &root, port).await?;
    let args = vec![
        "-t1".to_string(),
        format!("-c{connections}"),
        format!("-d{seconds}s"),
    ];
    let nginx_base = format!("http://127.0.0.1:{port}");
    let result = async {
        let mut comparisons = Vec::new();
        for (i, (label, path, _)) in RESOURCES.iter().enumerate() {
            let mut c = Comparison {
                label: label.to_string(),
                bytes: sizes[i],
                ..Comparison::default()
            };
            for round in 0..rounds {
                // Alternate who goes first, so a slow moment on the machine does not always hit one side.
                for side in 0..2 {
                    let rathaus_turn = (side + round) % 2 == 0;
                    let base = if rathaus_turn {
                        rathaus_base
                    } else {
                        &nginx_base
                    };
                    let w = wrk(wrk_exe, &format!("{base}/{slug}/{path}"), &args).await?;
                    eprintln!(
                        "news: {label}, {}: {:.0} requests/s",
                        if rathaus_turn { "rathaus" } else { "nginx" },
                        w.rps
                    );
                    if rathaus_turn {
                        c.rathaus.push(w);
                    } else {
                        c.nginx.push(w);
                    }
                }
            }
            comparisons.push(c);
        }
        Ok::<_, anyhow::Error>(comparisons)
    }
    .await;
    nginx.stop().await;
    Ok(NewsRun {
        posts,
        comparisons: result?,
        nginx_version: version_of(nginx_exe, "-v"),
        wrk_version: version_of(wrk_exe, "-v"),
        wrk_args: format!("{} --latency", args.join(" ")),
    })
}
