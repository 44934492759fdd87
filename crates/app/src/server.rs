//! Wiring: opens the store, builds the registry, starts the worker and the HTTP server.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use rathaus_hub::{RegistryHandle, Worker, WorkerOptions};
use rathaus_store::{now_ms, Store};
use rathaus_web::{AppState, WebSettings};
use tokio::sync::watch;

use crate::config::Config;
use crate::keyfile;

/// Everything a running instance consists of.
pub struct Running {
    pub addr: SocketAddr,
    pub store: Store,
    pub registry: RegistryHandle,
    pub worker: Option<Worker>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Running {
    /// Stops accepting requests, lets the worker finish its current jobs, and closes the database.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
        self.store.close().await;
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// The master key from `RATHAUS_MASTER_KEY` or the key file (created on first use).
pub fn master_key(config: &Config) -> anyhow::Result<rathaus_crypto::Key> {
    create_private_dir(&config.data_dir)?;
    let env_key = std::env::var("RATHAUS_MASTER_KEY").ok();
    keyfile::load_or_create(env_key.as_deref(), &config.master_key_path())
}

/// Opens the store with the configured (or created) master key; creates the data folder (0700).
/// If a key rotation stopped after the database switched but before the key file was replaced, this
/// finishes it (the database names the key it needs; `master.key.new` holds it).
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let key = master_key(config)?;
    let url = config.database_url();
    let opened = match Store::open(&url, key).await {
        Err(rathaus_store::StoreError::WrongMasterKey { needed, given })
            if std::env::var_os("RATHAUS_MASTER_KEY").is_none() =>
        {
            match keyfile::finish_interrupted_rotation(&config.master_key_path(), &needed)? {
                Some(new) => Store::open(&url, new).await,
                None => Err(rathaus_store::StoreError::WrongMasterKey { needed, given }),
            }
        }
        other => other,
    };
    opened.with_context(|| format!("opening database {}", redact_url(&url)))
}

fn create_private_dir(dir: &std::path::Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("creating data folder {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
    Ok(())
}

/// Database URL without its password, for messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let cred = &url[s + 3..at];
            match cred.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &cred[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

pub async fn build_registry(
    store: &Store,
    config: &Config,
    public_url: &str,
) -> anyhow::Result<RegistryHandle> {
    let http = rathaus_channels::default_http_client().context("building the HTTP client")?;
    let mut tenants = config.tenants()?;
    if tenants.is_empty() {
        // Zero configuration: one municipality so the first admin has somewhere to log in.
        tenants.push(rathaus_hub::TenantConfig {
            networks: Vec::new(),
            settings: rathaus_domain::MunicipalitySettings::new("kommune", "Meine Kommune"),
            whatsapp: Vec::new(),
            telegram: Vec::new(),
            sso: None,
        });
    }
    Ok(RegistryHandle::build(store, &tenants, http, now_ms(), public_url).await?)
}

/// Which parts of the instance to run (the scale-out roles).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Roles {
    pub web: bool,
    pub worker: bool,
}

/// Starts the instance on `config.listen` (port 0 picks a free one) and returns at once.
pub async fn start(
    config: &Config,
    roles: Roles,
    worker_options: WorkerOptions,
) -> anyhow::Result<Running> {
    let store = open_store(config).await?;
    // Bind first, so the public URL is known (port 0 picks a free port) before links are made.
    let listener = if roles.web {
        Some(
            tokio::net::TcpListener::bind(&config.listen)
                .await
                .with_context(|| format!("cannot listen on {}", config.listen))?,
        )
    } else {
        None
    };
    let addr: SocketAddr = match &listener {
        Some(l) => l.local_addr()?,
        None => "127.0.0.1:0".parse()?,
    };
    let public = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"));
    let registry = build_registry(&store, config, &public).await?;
    registry.audit_file_change(now_ms()).await?;
    let (shutdown, rx) = watch::channel(false);
    let mut tasks = Vec::new();
    if !roles.worker {
        // The worker checks the settings version each round; a web-only process checks it here.
        let (registry, rx) = (registry.clone(), rx.clone());
        tasks.push(tokio::spawn(async move {
            registry.watch(std::time::Duration::from_secs(2), rx).await
        }));
    }
    let worker = roles
        .worker
        .then(|| Worker::new(store.clone(), registry.clone(), worker_options));
    if let Some(w) = &worker {
        let w = w.clone();
        let rx = rx.clone();
        tasks.push(tokio::spawn(async move { w.run(rx).await }));
    }
    if let Some(listener) = listener {
        let state = AppState {
            store: store.clone(),
            registry: registry.clone(),
            worker: worker.clone(),
            settings: Arc::new(WebSettings::for_url(&public)),
            public_cache: Default::default(),
        };
        let header_timeout = state.settings.header_read_timeout;
        let app = rathaus_web::router(state);
        let mut rx = rx.clone();
        tasks.push(tokio::spawn(async move {
            let graceful = async move {
                let _ = rx.wait_for(|stop| *stop).await;
            };
            // Peer addresses as connect info, and a deadline for request heads (slow clients).
            if let Err(e) = rathaus_web::serve::serve(listener, app, header_timeout, graceful).await
            {
                tracing::error!(error = %e, "HTTP server stopped with an error");
            }
        }));
    }
    Ok(Running {
        addr,
        store,
        registry,
        worker,
        shutdown,
        tasks,
    })
}

/// Prints a one-time link to create the first admin if nobody can log in yet.
pub async fn first_admin_link(
    running: &Running,
    public_url: &str,
) -> anyhow::Result<Option<String>> {
    if running.store.staff_count().await? > 0 {
        return Ok(None);
    }
    let Some(tenant) = running.registry.tenants().first() else {
        return Ok(None);
    };
    let token = running
        .store
        .create_setup_link(tenant.row.id, now_ms(), 24 * 60 * 60 * 1000)
        .await?;
    Ok(Some(format!("{public_url}/setup/{token}")))
}

/// Waits for Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn database_passwords_are_not_shown() {
        assert_eq!(
            redact_url("postgres://hub:geheim@db/rathaus"),
            "postgres://hub:***@db/rathaus"
        );
        assert_eq!(redact_url("sqlite://./x.db"), "sqlite://./x.db");
    }
}
