//! The `rathaus serve` child process: its configuration file, start, readiness and stop.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use tokio::process::{Child, Command};

use crate::{APP_SECRET, PHONE_NUMBER_ID};

pub(crate) fn free_port() -> anyhow::Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(l.local_addr()?.port())
}

pub(crate) fn write_config(
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

pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) pid: u32,
    pub(crate) log: PathBuf,
}

impl Server {
    pub(crate) async fn start(
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
    pub(crate) async fn wait_ready(
        &mut self,
        http: &reqwest::Client,
        base: &str,
    ) -> anyhow::Result<()> {
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

    pub(crate) fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// SIGTERM (graceful shutdown), SIGKILL after 15 s.
    pub(crate) async fn stop(mut self) {
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
