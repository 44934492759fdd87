//! Settings edited in the admin UI: per-section overrides of the configuration file, sealed channel
//! credentials, and the settings version other processes watch to rebuild their registry.

use rathaus_crypto::context;

use crate::db::{read, write_tx};
use crate::{Result, Store};

/// One section as edited in the admin UI.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SettingsOverride {
    pub municipality_id: i64,
    /// The municipality's slug (the configuration file names municipalities by slug).
    pub slug: String,
    /// e.g. "office_hours"; the hub knows the sections.
    pub section: String,
    /// The section's value as JSON, in the shape of the configuration file's section.
    pub value_json: String,
    /// Who saved it ("staff:<id> <email>").
    pub changed_by: String,
    pub changed_at: i64,
}

/// A channel credential entered in the admin UI, opened for the registry. Never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct ChannelSecret {
    pub channel_id: i64,
    /// "whatsapp" or "telegram".
    pub kind: String,
    /// The channel's phone_number_id (WhatsApp) or name (Telegram).
    pub external_id: String,
    /// e.g. "access_token", "app_secret", "bot_token", "webhook_secret".
    pub name: String,
    pub value: String,
    pub changed_by: String,
    pub changed_at: i64,
}

impl std::fmt::Debug for ChannelSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelSecret")
            .field("channel_id", &self.channel_id)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl ChannelSecret {
    /// The last four characters, all that is ever shown again.
    pub fn last4(&self) -> String {
        last4(&self.value)
    }
}

/// A publishing network channel's secret entered in the admin UI, opened for the registry. Never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct NetworkSecret {
    pub municipality_id: i64,
    /// The municipality's slug (the configuration file names municipalities by slug).
    pub slug: String,
    /// The network channel's name as configured (e.g. "mastodon").
    pub channel_name: String,
    /// "access_token", "app_password" or "bot_token".
    pub name: String,
    pub value: String,
    pub changed_by: String,
    pub changed_at: i64,
}

impl std::fmt::Debug for NetworkSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetworkSecret")
            .field("municipality_id", &self.municipality_id)
            .field("channel_name", &self.channel_name)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl NetworkSecret {
    /// The last four characters, all that is ever shown again.
    pub fn last4(&self) -> String {
        last4(&self.value)
    }
}

fn last4(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    chars[chars.len().saturating_sub(4)..].iter().collect()
}

pub(crate) fn network_secret_context(
    municipality_id: i64,
    channel_name: &str,
    name: &str,
) -> Vec<u8> {
    context(
        "network_secrets",
        name,
        format!("{municipality_id}/{channel_name}"),
    )
}

fn secret_context(channel_id: i64, name: &str) -> Vec<u8> {
    context("channel_secrets", name, channel_id)
}

pub(crate) const BUMP_VERSION: &str =
    "UPDATE settings_state SET version = version + 1 WHERE id = 1";

/// Stores a sealed network secret, replacing an earlier one of the same municipality, channel and
/// name; binds municipality id, channel name, name, sealed value, changed_by and the time.
const UPSERT_NETWORK_SECRET: &str = "INSERT INTO network_secrets \
     (municipality_id, channel_name, name, sealed, changed_by, changed_at) \
     VALUES ($1, $2, $3, $4, $5, $6) \
     ON CONFLICT (municipality_id, channel_name, name) DO UPDATE SET sealed = excluded.sealed, \
     changed_by = excluded.changed_by, changed_at = excluded.changed_at";

/// Stores the `sealed` secrets of one network channel in `tx`, each replacing an earlier value of
/// the same municipality, channel and name.
pub(crate) async fn put_network_secrets<'c, DB>(
    tx: &mut sqlx::Transaction<'c, DB>,
    municipality_id: i64,
    channel_name: &str,
    sealed: &[(&str, Vec<u8>)],
    changed_by: &str,
    now: i64,
) -> Result<()>
where
    DB: sqlx::Database,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> &'q [u8]: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'e> &'e mut <DB as sqlx::Database>::Connection: sqlx::Executor<'e, Database = DB>,
{
    for (name, blob) in sealed {
        sqlx::query(UPSERT_NETWORK_SECRET)
            .bind(municipality_id)
            .bind(channel_name)
            .bind(*name)
            .bind(blob.as_slice())
            .bind(changed_by)
            .bind(now)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

impl Store {
    /// Every override of every municipality (for building the registry).
    pub async fn settings_overrides(&self) -> Result<Vec<SettingsOverride>> {
        Ok(read!(self.db(), |ex| {
            sqlx::query_as(
                "SELECT o.municipality_id, m.slug, o.section, o.value_json, o.changed_by, o.changed_at \
                 FROM settings_overrides o JOIN municipalities m ON m.id = o.municipality_id \
                 ORDER BY o.municipality_id, o.section",
            )
            .fetch_all(ex)
            .await?
        }))
    }

    /// Saves one section's value for a municipality (replacing an earlier one) and raises the version.
    pub async fn save_settings_override(
        &self,
        municipality_id: i64,
        section: &str,
        value_json: &str,
        changed_by: &str,
        now: i64,
    ) -> Result<()> {
        write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO settings_overrides (municipality_id, section, value_json, changed_by, changed_at) \
                 VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (municipality_id, section) DO UPDATE SET value_json = excluded.value_json, \
                 changed_by = excluded.changed_by, changed_at = excluded.changed_at",
            )
            .bind(municipality_id)
            .bind(section)
            .bind(value_json)
            .bind(changed_by)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query(BUMP_VERSION).execute(&mut *tx).await?;
        });
        Ok(())
    }

    /// Drops a section's override, so the configuration file's value applies again.
    /// Returns whether there was one.
    pub async fn remove_settings_override(
        &self,
        municipality_id: i64,
        section: &str,
    ) -> Result<bool> {
        let removed = write_tx!(self, |tx| {
            let n = sqlx::query(
                "DELETE FROM settings_overrides WHERE municipality_id = $1 AND section = $2",
            )
            .bind(municipality_id)
            .bind(section)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n > 0 {
                sqlx::query(BUMP_VERSION).execute(&mut *tx).await?;
            }
            n > 0
        });
        Ok(removed)
    }

    /// Raised by every change of settings or channel credentials; one cheap query.
    pub async fn settings_version(&self) -> Result<i64> {
        Ok(read!(self.db(), |ex| {
            sqlx::query_scalar("SELECT version FROM settings_state WHERE id = 1")
                .fetch_one(ex)
                .await?
        }))
    }

    /// Seals and stores a channel credential (replacing an earlier one) and raises the version.
    pub async fn save_channel_secret(
        &self,
        channel_id: i64,
        name: &str,
        value: &str,
        changed_by: &str,
        now: i64,
    ) -> Result<()> {
        let sealed = self
            .secrets_key()
            .seal_str(value, &secret_context(channel_id, name));
        write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO channel_secrets (channel_id, name, sealed, changed_by, changed_at) \
                 VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (channel_id, name) DO UPDATE SET sealed = excluded.sealed, \
                 changed_by = excluded.changed_by, changed_at = excluded.changed_at",
            )
            .bind(channel_id)
            .bind(name)
            .bind(&sealed)
            .bind(changed_by)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query(BUMP_VERSION).execute(&mut *tx).await?;
        });
        Ok(())
    }

    /// Every channel credential entered in the admin UI, opened.
    pub async fn channel_secrets(&self) -> Result<Vec<ChannelSecret>> {
        let rows: Vec<(i64, String, String, String, Vec<u8>, String, i64)> = read!(
            self.db(),
            |ex| {
                sqlx::query_as(
                    "SELECT s.channel_id, c.kind, c.external_id, s.name, s.sealed, s.changed_by, s.changed_at \
                     FROM channel_secrets s JOIN channels c ON c.id = s.channel_id \
                     ORDER BY s.channel_id, s.name",
                )
                .fetch_all(ex)
                .await?
            }
        );
        let key = self.secrets_key();
        rows.into_iter()
            .map(
                |(channel_id, kind, external_id, name, sealed, changed_by, changed_at)| {
                    let value = key.open_string(&sealed, &secret_context(channel_id, &name))?;
                    Ok(ChannelSecret {
                        channel_id,
                        kind,
                        external_id,
                        name,
                        value,
                        changed_by,
                        changed_at,
                    })
                },
            )
            .collect()
    }

    /// Seals and stores a publishing network channel's secret (replacing an earlier one) and raises
    /// the version.
    pub async fn save_network_secret(
        &self,
        municipality_id: i64,
        channel_name: &str,
        name: &str,
        value: &str,
        changed_by: &str,
        now: i64,
    ) -> Result<()> {
        let sealed = self.seal_network_secrets(municipality_id, channel_name, &[(name, value)]);
        write_tx!(self, |tx| {
            put_network_secrets(
                &mut tx,
                municipality_id,
                channel_name,
                &sealed,
                changed_by,
                now,
            )
            .await?;
            sqlx::query(BUMP_VERSION).execute(&mut *tx).await?;
        });
        Ok(())
    }

    /// Every publishing network channel's secret entered in the admin UI, opened.
    pub async fn network_secrets(&self) -> Result<Vec<NetworkSecret>> {
        let rows: Vec<(i64, String, String, String, Vec<u8>, String, i64)> = read!(
            self.db(),
            |ex| {
                sqlx::query_as(
                    "SELECT s.municipality_id, m.slug, s.channel_name, s.name, s.sealed, s.changed_by, s.changed_at \
                     FROM network_secrets s JOIN municipalities m ON m.id = s.municipality_id \
                     ORDER BY s.municipality_id, s.channel_name, s.name",
                )
                .fetch_all(ex)
                .await?
            }
        );
        let key = self.secrets_key();
        rows.into_iter()
            .map(
                |(municipality_id, slug, channel_name, name, sealed, changed_by, changed_at)| {
                    let value = key.open_string(
                        &sealed,
                        &network_secret_context(municipality_id, &channel_name, &name),
                    )?;
                    Ok(NetworkSecret {
                        municipality_id,
                        slug,
                        channel_name,
                        name,
                        value,
                        changed_by,
                        changed_at,
                    })
                },
            )
            .collect()
    }

    /// Records the hash of the configuration file's effective settings; returns the hash seen before
    /// (`None` on first start).
    pub async fn record_config_file_hash(&self, hash: &str) -> Result<Option<String>> {
        let before = write_tx!(self, |tx| {
            let before: Option<String> =
                sqlx::query_scalar("SELECT file_hash FROM settings_state WHERE id = 1")
                    .fetch_one(&mut *tx)
                    .await?;
            if before.as_deref() != Some(hash) {
                sqlx::query("UPDATE settings_state SET file_hash = $1 WHERE id = 1")
                    .bind(hash)
                    .execute(&mut *tx)
                    .await?;
            }
            before
        });
        Ok(before)
    }
}
