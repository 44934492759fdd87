//! The Instagram adapters' [`MediaStage`] over the store: staged images live in the database, so the web server that Instagram reaches serves what any worker process staged.

use std::time::Duration;

use rathaus_channels::publish::BoxFuture;
use rathaus_channels::staging::{new_token, MediaStage};
use rathaus_store::{now_ms, Store};

/// Stages images in the database (table `staged_media`, sealed, only a hash of the token).
#[derive(Clone)]
pub struct StoreMediaStage {
    store: Store,
}

impl StoreMediaStage {
    pub fn new(store: Store) -> Self {
        StoreMediaStage { store }
    }
}

impl MediaStage for StoreMediaStage {
    fn stage<'a>(
        &'a self,
        bytes: Vec<u8>,
        mime: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<String, String>> {
        Box::pin(async move {
            let token = new_token();
            let now = now_ms();
            let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX / 4);
            self.store
                .stage_media(&token, &bytes, mime, now.saturating_add(ttl_ms), now)
                .await
                .map_err(|e| e.to_string())?;
            Ok(token)
        })
    }

    fn withdraw<'a>(&'a self, token: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            if let Err(e) = self.store.withdraw_staged_media(token).await {
                tracing::error!(error = %e, "could not withdraw a staged image; it expires on its own");
            }
        })
    }
}
