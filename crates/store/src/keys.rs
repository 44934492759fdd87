//! The key hierarchy at run time: master key in memory, municipality keys unwrapped on first use.

use std::collections::HashMap;
use std::sync::RwLock;

use rathaus_crypto::{context, Key};

use crate::db::{read, Db};
use crate::{Result, StoreError};

pub(crate) struct Keyring {
    master: Key,
    municipalities: RwLock<HashMap<i64, Key>>,
}

/// Purposes of keys derived from a municipality key; one stored key, several independent sub-keys.
pub(crate) const LOOKUP: &str = "lookup-hash";
pub(crate) const QUEUE: &str = "queue-payload";

impl Keyring {
    pub(crate) fn new(master: Key) -> Keyring {
        Keyring {
            master,
            municipalities: RwLock::new(HashMap::new()),
        }
    }

    pub(crate) fn master(&self) -> &Key {
        &self.master
    }

    pub(crate) fn wrap_municipality_key(&self, id: i64, key: &Key) -> Vec<u8> {
        self.master
            .wrap(key, &context("municipalities", "wrapped_key", id))
    }

    pub(crate) async fn municipality(&self, db: &Db, id: i64) -> Result<Key> {
        if let Ok(cache) = self.municipalities.read() {
            if let Some(k) = cache.get(&id) {
                return Ok(k.clone());
            }
        }
        let wrapped: Option<Vec<u8>> = read!(db, |ex| {
            sqlx::query_scalar("SELECT wrapped_key FROM municipalities WHERE id = $1")
                .bind(id)
                .fetch_optional(ex)
                .await?
        });
        let wrapped = wrapped.ok_or(StoreError::NotFound)?;
        let key = self
            .master
            .unwrap_key(&wrapped, &context("municipalities", "wrapped_key", id))?;
        if let Ok(mut cache) = self.municipalities.write() {
            cache.insert(id, key.clone());
        }
        Ok(key)
    }

    /// Keyed hash under the municipality's lookup key, for finding rows by a platform id.
    pub(crate) async fn lookup_hash(
        &self,
        db: &Db,
        municipality: i64,
        what: &str,
    ) -> Result<Vec<u8>> {
        let key = self.municipality(db, municipality).await?.derive(LOOKUP);
        Ok(key.keyed_hash(what.as_bytes()).to_vec())
    }

    pub(crate) async fn queue_key(&self, db: &Db, municipality: i64) -> Result<Key> {
        Ok(self.municipality(db, municipality).await?.derive(QUEUE))
    }

    pub(crate) async fn citizen(
        &self,
        db: &Db,
        municipality: i64,
        citizen: i64,
        wrapped: &[u8],
    ) -> Result<Key> {
        let mk = self.municipality(db, municipality).await?;
        Ok(mk.unwrap_key(wrapped, &context("citizens", "wrapped_key", citizen))?)
    }
}
