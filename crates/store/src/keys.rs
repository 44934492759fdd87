//! The key hierarchy at run time: master key and instance key in memory, municipality keys unwrapped on
//! first use; opening checks the master key against the database, rotation re-wraps under a new one.
//!
//! Master key (file or `RATHAUS_MASTER_KEY`) ─wraps→ municipality keys ─wrap→ citizen keys.
//! Master key ─wraps→ instance key ─derives→ audit chain, TOTP, recovery-code, throttle, config-secret keys.
//! A rotation re-wraps what the master key wraps; nothing derived changes, so the audit chain still verifies.

use std::collections::HashMap;
use std::sync::RwLock;

use rathaus_crypto::{context, Key};

use crate::db::{read, write_tx, Db};
use crate::{Result, Store, StoreError};

pub(crate) struct Keyring {
    /// The key from the key file or `RATHAUS_MASTER_KEY`; wraps municipality keys and the instance key.
    master_key: Key,
    /// Root of the purpose-bound sub-keys; stored wrapped under the master key (table `master_key`).
    instance: Key,
    municipalities: RwLock<HashMap<i64, Key>>,
}

/// Purposes of keys derived from a municipality key; one stored key, several independent sub-keys.
pub(crate) const LOOKUP: &str = "lookup-hash";
pub(crate) const QUEUE: &str = "queue-payload";

fn instance_context() -> Vec<u8> {
    context("master_key", "wrapped_instance_key", 1)
}

fn municipality_context(id: i64) -> Vec<u8> {
    context("municipalities", "wrapped_key", id)
}

impl Keyring {
    /// Checks that `master` is the key this database is encrypted with and unwraps the instance key.
    /// A database without a `master_key` row gets one: with a fresh instance key if nothing is encrypted
    /// yet, otherwise (a database from before key rotation existed) with its master key as instance key.
    pub(crate) async fn open(db: &Db, master: Key, now: i64) -> Result<Keyring> {
        let instance = match Self::stored(db).await? {
            Some(row) => Self::unwrap_instance(&master, row)?,
            None => {
                let (instance, from_master) = if Self::holds_encrypted_data(db).await? {
                    Self::check_legacy_master(db, &master).await?;
                    (master.clone(), 1i64)
                } else {
                    (Key::generate(), 0i64)
                };
                let wrapped = master.wrap(&instance, &instance_context());
                let key_id = master.id();
                write_tx!(db = db, |tx| {
                    sqlx::query(
                        "INSERT INTO master_key (id, key_id, wrapped_instance_key, instance_from_master, created_at) \
                         VALUES (1, $1, $2, $3, $4) ON CONFLICT (id) DO NOTHING",
                    )
                    .bind(&key_id)
                    .bind(&wrapped)
                    .bind(from_master)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                });
                // Another process may have created the row first; its instance key wins.
                let row = Self::stored(db).await?.ok_or(StoreError::NotFound)?;
                Self::unwrap_instance(&master, row)?
            }
        };
        Ok(Keyring {
            master_key: master,
            instance,
            municipalities: RwLock::new(HashMap::new()),
        })
    }

    async fn stored(db: &Db) -> Result<Option<(String, Vec<u8>)>> {
        Ok(read!(db, |ex| {
            sqlx::query_as("SELECT key_id, wrapped_instance_key FROM master_key WHERE id = 1")
                .fetch_optional(ex)
                .await?
        }))
    }

    fn unwrap_instance(master: &Key, (key_id, wrapped): (String, Vec<u8>)) -> Result<Key> {
        if key_id != master.id() {
            return Err(StoreError::WrongMasterKey {
                given: master.id(),
                needed: key_id,
            });
        }
        Ok(master.unwrap_key(&wrapped, &instance_context())?)
    }

    /// Whether anything already depends on the master key as it was used before the instance key existed.
    async fn holds_encrypted_data(db: &Db) -> Result<bool> {
        let n: i64 = read!(db, |ex| {
            sqlx::query_scalar(
                "SELECT (SELECT COUNT(*) FROM municipalities) + (SELECT COUNT(*) FROM audit_log) \
                 + (SELECT COUNT(*) FROM audit_checkpoints) + (SELECT COUNT(*) FROM staff_totp) \
                 + (SELECT COUNT(*) FROM staff_recovery_codes)",
            )
            .fetch_one(ex)
            .await?
        });
        Ok(n > 0)
    }

    /// Refuses to record a wrong key as the database's key: it must open an existing municipality key.
    async fn check_legacy_master(db: &Db, master: &Key) -> Result<()> {
        let first: Option<(i64, Vec<u8>)> = read!(db, |ex| {
            sqlx::query_as("SELECT id, wrapped_key FROM municipalities ORDER BY id LIMIT 1")
                .fetch_optional(ex)
                .await?
        });
        if let Some((id, wrapped)) = first {
            if master
                .unwrap_key(&wrapped, &municipality_context(id))
                .is_err()
            {
                return Err(StoreError::WrongMasterKey {
                    given: master.id(),
                    needed: "(unbekannt / unknown: database from before key ids)".into(),
                });
            }
        }
        Ok(())
    }

    /// The root every purpose-bound sub-key derives from (audit chain, TOTP, recovery codes, login
    /// throttling, configuration secrets). It is the instance key, which the master key wraps and a
    /// rotation keeps — so derived keys survive `rathaus keys rotate`. (Named before rotation existed.)
    pub(crate) fn master(&self) -> &Key {
        &self.instance
    }

    /// Id of the master key this keyring was opened with.
    pub(crate) fn master_key_id(&self) -> String {
        self.master_key.id()
    }

    pub(crate) fn wrap_municipality_key(&self, id: i64, key: &Key) -> Vec<u8> {
        self.master_key.wrap(key, &municipality_context(id))
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
            .master_key
            .unwrap_key(&wrapped, &municipality_context(id))?;
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

impl Store {
    /// Id of the master key the database is encrypted with (see [`rathaus_crypto::Key::id`]).
    pub fn master_key_id(&self) -> String {
        self.keys().master_key_id()
    }

    /// Re-wraps every key the current master key wraps (each municipality key and the instance key) under
    /// `new`, and records `new`'s id, all in one transaction: afterwards only `new` opens the database, and
    /// everything sealed or chained under those keys (citizen data, audit chain, TOTP secrets) is untouched.
    /// Other processes holding the old key must be stopped first. Returns the number of municipality keys.
    pub async fn rotate_master_key(&self, new: &Key, now: i64) -> Result<usize> {
        let keys = self.keys();
        let old_id = keys.master_key.id();
        let new_id = new.id();
        if new_id == old_id {
            return Err(StoreError::Invalid(
                "the new master key is the current one".into(),
            ));
        }
        let is_pg = matches!(self.db(), Db::Postgres(_));
        let wrapped_instance = new.wrap(&keys.instance, &instance_context());
        let n = write_tx!(self, |tx| {
            if is_pg {
                // No municipality may appear (wrapped under the old key) while this runs.
                sqlx::query("LOCK TABLE municipalities, master_key IN EXCLUSIVE MODE")
                    .execute(&mut *tx)
                    .await?;
            }
            let stored: Option<String> =
                sqlx::query_scalar("SELECT key_id FROM master_key WHERE id = 1")
                    .fetch_optional(&mut *tx)
                    .await?;
            if stored.as_deref() != Some(old_id.as_str()) {
                return Err(StoreError::WrongMasterKey {
                    given: old_id,
                    needed: stored.unwrap_or_default(),
                });
            }
            let rows: Vec<(i64, Vec<u8>)> =
                sqlx::query_as("SELECT id, wrapped_key FROM municipalities ORDER BY id")
                    .fetch_all(&mut *tx)
                    .await?;
            for (id, wrapped) in &rows {
                let key = keys
                    .master_key
                    .unwrap_key(wrapped, &municipality_context(*id))?;
                sqlx::query("UPDATE municipalities SET wrapped_key = $1 WHERE id = $2")
                    .bind(new.wrap(&key, &municipality_context(*id)))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query(
                "UPDATE master_key SET key_id = $1, wrapped_instance_key = $2, rotated_at = $3 WHERE id = 1",
            )
            .bind(&new_id)
            .bind(&wrapped_instance)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            rows.len()
        });
        Ok(n)
    }
}
