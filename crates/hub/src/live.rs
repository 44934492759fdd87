//! The registry in force: a handle every handler and worker reads, swapped for a rebuilt registry when settings change.
//!
//! The registry is built from the configuration file's municipalities with the settings and channel
//! credentials edited in the admin UI laid over them (see [`crate::settings`]). Every change raises a
//! version number in the database; this process rebuilds at once after its own change, and other
//! processes (separate workers on PostgreSQL) notice the new version on their next round.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

use rathaus_store::Store;

use crate::registry::{Registry, RegistryError, TenantConfig};
use crate::settings::{self, Section};

/// Cheap to clone; all clones share the registry in force. Readers take a snapshot with [`current`]
/// and keep using it for the request or job, so a swap never changes a registry mid-use.
///
/// The handle also dereferences to the snapshot taken when it was created or cloned. Axum clones
/// the application state for every request, so `state.registry.tenant(..)` in a handler reads the
/// registry in force when the request arrived; long-lived holders (the worker) call [`current`].
///
/// [`current`]: RegistryHandle::current
pub struct RegistryHandle {
    inner: Arc<Inner>,
    snapshot: Arc<Registry>,
}

impl Clone for RegistryHandle {
    fn clone(&self) -> Self {
        RegistryHandle {
            inner: self.inner.clone(),
            snapshot: self.current(),
        }
    }
}

impl std::ops::Deref for RegistryHandle {
    type Target = Registry;
    fn deref(&self) -> &Registry {
        &self.snapshot
    }
}

struct Inner {
    current: RwLock<Arc<Registry>>,
    /// The municipalities the registry in force was built from (file plus admin UI).
    effective: RwLock<Vec<TenantConfig>>,
    /// The settings version the registry in force was built at.
    version: AtomicI64,
    /// What a rebuild starts from; `None` for a registry handed in ready-made.
    source: Option<Source>,
    /// Serialises rebuilds so two concurrent reloads cannot swap in an older result last.
    rebuilding: tokio::sync::Mutex<()>,
}

/// The inputs of [`Registry::build`] as they were at start (the configuration file's municipalities).
struct Source {
    store: Store,
    configs: Vec<TenantConfig>,
    http: reqwest::Client,
    public_url: String,
}

impl Source {
    async fn build(
        &self,
        now: i64,
    ) -> Result<(i64, Vec<TenantConfig>, Arc<Registry>), RegistryError> {
        // The version is read first: a change that lands while we build raises it again, so the
        // next check rebuilds once more rather than missing it.
        let version = self.store.settings_version().await?;
        let overrides = self.store.settings_overrides().await?;
        let secrets = self.store.channel_secrets().await?;
        let network_secrets = self.store.network_secrets().await?;
        let network_channels = self.store.network_channels().await?;
        let effective = settings::effective(
            &self.configs,
            &overrides,
            &secrets,
            &network_secrets,
            &network_channels,
        );
        let registry = Registry::build(
            &self.store,
            &effective,
            self.http.clone(),
            now,
            &self.public_url,
        )
        .await?;
        Ok((version, effective, registry))
    }
}

impl RegistryHandle {
    /// Builds the registry from the configuration file's municipalities plus the settings edited in
    /// the admin UI, and keeps what is needed to rebuild it later.
    pub async fn build(
        store: &Store,
        configs: &[TenantConfig],
        http: reqwest::Client,
        now: i64,
        public_url: &str,
    ) -> Result<RegistryHandle, RegistryError> {
        let source = Source {
            store: store.clone(),
            configs: configs.to_vec(),
            http,
            public_url: public_url.to_string(),
        };
        let (version, effective, registry) = source.build(now).await?;
        Ok(RegistryHandle {
            snapshot: registry.clone(),
            inner: Arc::new(Inner {
                current: RwLock::new(registry),
                effective: RwLock::new(effective),
                version: AtomicI64::new(version),
                source: Some(source),
                rebuilding: tokio::sync::Mutex::new(()),
            }),
        })
    }

    /// A handle around a registry that is never rebuilt.
    pub fn fixed(registry: Arc<Registry>) -> RegistryHandle {
        RegistryHandle {
            snapshot: registry.clone(),
            inner: Arc::new(Inner {
                current: RwLock::new(registry),
                effective: RwLock::new(Vec::new()),
                version: AtomicI64::new(0),
                source: None,
                rebuilding: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// The registry in force now.
    pub fn current(&self) -> Arc<Registry> {
        match self.inner.current.read() {
            Ok(r) => r.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Puts `registry` in force for every later [`current`](RegistryHandle::current).
    pub fn replace(&self, registry: Arc<Registry>) {
        match self.inner.current.write() {
            Ok(mut r) => *r = registry,
            Err(poisoned) => *poisoned.into_inner() = registry,
        }
    }

    /// Rebuilds the registry from the file and the database and swaps it in.
    /// On error the registry in force stays.
    pub async fn reload(&self, now: i64) -> Result<(), RegistryError> {
        let Some(source) = &self.inner.source else {
            return Ok(());
        };
        let _one_at_a_time = self.inner.rebuilding.lock().await;
        let (version, effective, registry) = source.build(now).await?;
        self.replace(registry);
        match self.inner.effective.write() {
            Ok(mut e) => *e = effective,
            Err(poisoned) => *poisoned.into_inner() = effective,
        }
        self.inner.version.store(version, Ordering::SeqCst);
        Ok(())
    }

    /// Rebuilds when the settings version in the database moved since the last build (a change made
    /// by another process). One cheap query when nothing changed. Returns whether it rebuilt.
    pub async fn refresh_if_changed(&self, now: i64) -> Result<bool, RegistryError> {
        let Some(source) = &self.inner.source else {
            return Ok(false);
        };
        let version = source.store.settings_version().await?;
        if version == self.inner.version.load(Ordering::SeqCst) {
            return Ok(false);
        }
        self.reload(now).await?;
        Ok(true)
    }

    /// The municipalities as the configuration file gives them (before any change made in the admin UI).
    pub fn file_configs(&self) -> &[TenantConfig] {
        self.inner
            .source
            .as_ref()
            .map(|s| s.configs.as_slice())
            .unwrap_or(&[])
    }

    /// A municipality's settings and channels as in force (file plus admin UI).
    pub fn effective_config(&self, slug: &str) -> Option<TenantConfig> {
        let all = match self.inner.effective.read() {
            Ok(e) => e,
            Err(poisoned) => poisoned.into_inner(),
        };
        all.iter().find(|c| c.settings.slug == slug).cloned()
    }

    /// Checks a new value for one section of a municipality as the configuration file would be
    /// checked; `Err` names the key, e.g. `office_hours.mon: '13:00-12:00' ends before it starts`.
    pub fn check_section(&self, slug: &str, section: Section, json: &str) -> Result<(), String> {
        let mut cfg = self
            .effective_config(slug)
            .ok_or_else(|| format!("municipality '{slug}' is not configured"))?;
        section.apply(&mut cfg.settings, json)?;
        settings::check(&cfg)
    }

    /// Compares the configuration file's settings with those seen at the last start and writes
    /// `config.file_changed` to the audit log of each municipality whose part of the file differs
    /// (or appears for the first time). Returns how many entries were written. Secrets enter the
    /// fingerprint only through a hash.
    pub async fn audit_file_change(&self, now: i64) -> Result<usize, RegistryError> {
        let Some(source) = &self.inner.source else {
            return Ok(0);
        };
        let seen = settings::file_fingerprints(&source.configs);
        let text = serde_json::to_string(&seen).unwrap_or_default();
        let before: std::collections::BTreeMap<String, String> = source
            .store
            .record_config_file_hash(&text)
            .await?
            .and_then(|b| serde_json::from_str(&b).ok())
            .unwrap_or_default();
        let registry = self.current();
        let mut written = 0;
        for (slug, hash) in &seen {
            let details = match before.get(slug) {
                Some(b) if b == hash => continue,
                Some(_) => "Konfigurationsdatei geändert / configuration file changed since the last start",
                None => "Konfigurationsdatei zum ersten Mal gelesen / configuration file read for the first time",
            };
            let municipality = registry.tenant_by_slug(slug).map(|t| t.row.id);
            source
                .store
                .audit(
                    rathaus_store::AuditEvent::new(municipality, "system", "config.file_changed")
                        .target(format!("municipality:{slug}"))
                        .details(details),
                    now,
                )
                .await?;
            written += 1;
        }
        Ok(written)
    }

    /// Keeps a process without a worker (a web-only instance) current: checks the settings version
    /// every `every` until `shutdown` turns true.
    pub async fn watch(
        &self,
        every: std::time::Duration,
        mut shutdown: tokio::sync::watch::Receiver<bool>,
    ) {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = shutdown.changed() => {}
            }
            if *shutdown.borrow() {
                return;
            }
            if let Err(e) = self.refresh_if_changed(rathaus_store::now_ms()).await {
                tracing::error!(error = %e, "checking for changed settings failed");
            }
        }
    }
}
