//! The registry in force: a handle every handler and worker reads, swapped for a rebuilt registry when settings change.

use std::sync::{Arc, RwLock};

use rathaus_store::Store;

use crate::registry::{Registry, RegistryError, TenantConfig};

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

impl RegistryHandle {
    /// Builds the registry from the configuration file's municipalities and keeps what is needed to
    /// rebuild it later.
    pub async fn build(
        store: &Store,
        configs: &[TenantConfig],
        http: reqwest::Client,
        now: i64,
        public_url: &str,
    ) -> Result<RegistryHandle, RegistryError> {
        let registry = Registry::build(store, configs, http.clone(), now, public_url).await?;
        Ok(RegistryHandle {
            snapshot: registry.clone(),
            inner: Arc::new(Inner {
                current: RwLock::new(registry),
                source: Some(Source {
                    store: store.clone(),
                    configs: configs.to_vec(),
                    http,
                    public_url: public_url.to_string(),
                }),
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

    /// Rebuilds the registry from the configuration file's municipalities and swaps it in.
    /// On error the registry in force stays.
    pub async fn reload(&self, now: i64) -> Result<(), RegistryError> {
        let Some(source) = &self.inner.source else {
            return Ok(());
        };
        let _one_at_a_time = self.inner.rebuilding.lock().await;
        let registry = Registry::build(
            &source.store,
            &source.configs,
            source.http.clone(),
            now,
            &source.public_url,
        )
        .await?;
        self.replace(registry);
        Ok(())
    }

    /// The municipalities as the configuration file gives them (before any change made in the admin UI).
    pub fn file_configs(&self) -> &[TenantConfig] {
        self.inner
            .source
            .as_ref()
            .map(|s| s.configs.as_slice())
            .unwrap_or(&[])
    }
}
