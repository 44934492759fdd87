//! Starts a real Rathaus instance (SQLite or PostgreSQL) beside a fake WhatsApp/Telegram platform.

use std::path::PathBuf;
use std::time::Duration;

use rathaus::config::Config;
use rathaus::demo::demo_config;
use rathaus::server::{self, Roles, Running};
use rathaus_channels::testing::FakePlatform;
use rathaus_hub::WorkerOptions;

pub const PHONE_NUMBER_ID: &str = rathaus::demo::DEMO_PHONE_NUMBER_ID;
pub const APP_SECRET: &str = rathaus::demo::DEMO_APP_SECRET;
pub const TG_SECRET: &str = rathaus::demo::DEMO_TELEGRAM_SECRET;

pub struct Instance {
    pub running: Option<Running>,
    pub platform: FakePlatform,
    pub config: Config,
    /// Keeps the data folder alive as long as the instance.
    pub _dir: tempfile::TempDir,
    pub http: reqwest::Client,
}

/// Which database the instance runs on.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite,
    Postgres(String),
}

pub async fn databases() -> Vec<Db> {
    let mut v = vec![Db::Sqlite];
    match std::env::var("RATHAUS_TEST_POSTGRES_URL") {
        Ok(base) => v.push(Db::Postgres(fresh_pg(&base).await)),
        Err(_) if std::env::var("CI").is_ok_and(|c| c == "true") => {
            panic!("RATHAUS_TEST_POSTGRES_URL is not set: PostgreSQL tests must run in CI (scripts/test.sh)")
        }
        Err(_) => eprintln!("skipping PostgreSQL: RATHAUS_TEST_POSTGRES_URL not set"),
    }
    v
}

async fn fresh_pg(base: &str) -> String {
    use sqlx::Connection;
    let name = format!(
        "rathaus_e2e_{}",
        std::process::id() as u64 * 1000 + rand::random::<u16>() as u64
    );
    let mut conn = sqlx::PgConnection::connect(base).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .unwrap();
    let slash = base.rfind('/').unwrap();
    format!("{}/{name}", &base[..slash])
}

impl Instance {
    pub async fn start(db: &Db, worker: bool) -> Instance {
        Self::start_with(db, worker, |_| {}).await
    }

    /// Like [`Instance::start`], with the demo configuration changed by `configure` first.
    pub async fn start_with(
        db: &Db,
        worker: bool,
        configure: impl FnOnce(&mut Config),
    ) -> Instance {
        let platform = FakePlatform::start().await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut config = demo_config(dir.path().join("data"), "127.0.0.1:0", &platform.base_url());
        configure(&mut config);
        if let Db::Postgres(url) = db {
            config.database_url = Some(url.clone());
        }
        let running = server::start(&config, Roles { web: true, worker }, fast_worker())
            .await
            .unwrap();
        Instance {
            running: Some(running),
            platform,
            config,
            _dir: dir,
            http: reqwest::Client::new(),
        }
    }

    /// Stops the instance and starts it again on the same data (a "restart" or crash recovery).
    pub async fn restart(&mut self, worker: bool) {
        if let Some(r) = self.running.take() {
            r.stop().await;
        }
        self.running = Some(
            server::start(&self.config, Roles { web: true, worker }, fast_worker())
                .await
                .unwrap(),
        );
    }

    pub fn r(&self) -> &Running {
        self.running.as_ref().unwrap()
    }

    pub fn url(&self) -> String {
        self.r().url()
    }

    /// Runs the queue until nothing is due, like a worker process would (tests start without a
    /// background worker so they decide when jobs run).
    pub async fn drain(&self) {
        let r = self.r();
        let w = match &r.worker {
            Some(w) => w.clone(),
            None => rathaus_hub::Worker::new(r.store.clone(), r.registry.clone(), fast_worker()),
        };
        w.drain().await.unwrap();
    }

    pub fn data_dir(&self) -> PathBuf {
        self.config.data_dir.clone()
    }

    pub async fn post_wa(&self, body: &serde_json::Value) -> u16 {
        rathaus::simulate::post_whatsapp(&self.http, &self.url(), APP_SECRET, body)
            .await
            .unwrap()
    }

    pub async fn post_tg(&self, body: &serde_json::Value) -> u16 {
        rathaus::simulate::post_telegram(&self.http, &self.url(), "buergerbot", TG_SECRET, body)
            .await
            .unwrap()
    }

    /// Waits until `check` holds (the in-process worker runs on its own).
    pub async fn eventually<F: Fn() -> bool>(&self, what: &str, check: F) {
        for _ in 0..200 {
            if check() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("timed out waiting for: {what}");
    }
}

fn fast_worker() -> WorkerOptions {
    WorkerOptions {
        idle_poll: Duration::from_millis(50),
        ..WorkerOptions::default()
    }
}

/// The `rathaus` binary as a separate process (no master key from the environment, quiet log).
pub fn rathaus() -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_rathaus"));
    c.env_remove("RATHAUS_MASTER_KEY")
        .env("RATHAUS_LOG", "warn");
    c
}

/// Writes `rathaus.toml` in `dir` for a `rathaus` process on `port` (listen and public URL), with its
/// data in `dir/data` on `db`, an optional worker lease, Musterstadt without the four-eyes rule and
/// the `channels` tables; returns its path.
pub fn process_config(
    dir: &std::path::Path,
    db: &Db,
    port: u16,
    lease_seconds: Option<u64>,
    channels: &str,
) -> PathBuf {
    let database = match db {
        Db::Sqlite => String::new(),
        Db::Postgres(url) => format!("database_url = \"{url}\"\n"),
    };
    let worker = lease_seconds
        .map(|s| format!("[worker]\nlease_seconds = {s}\n\n"))
        .unwrap_or_default();
    let toml = format!(
        r#"listen = "127.0.0.1:{port}"
public_url = "http://127.0.0.1:{port}"
data_dir = "{data}"
{database}
{worker}[[municipality]]
slug = "musterstadt"
name = "Stadt Musterstadt"

[municipality.publishing]
four_eyes = false

{channels}"#,
        data = dir.join("data").display(),
    );
    let path = dir.join("rathaus.toml");
    std::fs::write(&path, toml).unwrap();
    path
}

/// `rathaus user add` for Musterstadt with `email`, `role` (or the default role) and the password on
/// stdin, as an admin types it; the process's output (checked by the caller).
pub fn user_add(
    cfg: &std::path::Path,
    env: &[(&str, &str)],
    email: &str,
    role: Option<&str>,
    password: &str,
) -> std::process::Output {
    use std::io::Write as _;
    let mut cmd = rathaus();
    cmd.envs(env.iter().copied())
        .args(["user", "add", "--config"])
        .arg(cfg)
        .args(["--municipality", "musterstadt", "--email", email]);
    if let Some(role) = role {
        cmd.args(["--role", role]);
    }
    let mut child = cmd
        .arg("--password-stdin")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{password}\n").as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}
