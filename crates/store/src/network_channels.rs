//! Publishing network channels added in the admin UI: their non-secret fields as JSON, their secret
//! sealed in `network_secrets`; every change raises the settings version so all processes rebuild.

use crate::db::{read, write_tx};
use crate::settings::{network_secret_context, put_network_secrets, BUMP_VERSION};
use crate::{Result, Store};

/// A network channel as added in the admin UI (without its secret, see [`Store::network_secrets`]).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct NetworkChannelRecord {
    pub municipality_id: i64,
    /// The municipality's slug (the configuration file names municipalities by slug).
    pub slug: String,
    pub name: String,
    /// The network, as `PublishKind::as_str` ("mastodon", "facebook_page", …).
    pub kind: String,
    /// The non-secret fields as a JSON object of strings, keyed as in the configuration table.
    pub fields_json: String,
    /// The public profile linked from the town's channel directory.
    pub profile_url: Option<String>,
    /// Who added it ("staff:<id> <email>") and when.
    pub created_by: String,
    pub created_at: i64,
    pub changed_by: String,
    pub changed_at: i64,
}

/// What the admin UI adds or changes: the channel's fields and, for a new channel always, its secret.
#[derive(Clone)]
pub struct NetworkChannelInput<'a> {
    pub municipality_id: i64,
    pub name: &'a str,
    pub kind: &'a str,
    pub fields_json: &'a str,
    pub profile_url: Option<&'a str>,
    /// Secrets by name ("access_token", "refresh_token", …) and value; a secret not listed keeps its
    /// stored value on a change.
    pub secrets: Vec<(&'a str, &'a str)>,
}

impl std::fmt::Debug for NetworkChannelInput<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetworkChannelInput")
            .field("municipality_id", &self.municipality_id)
            .field("name", &self.name)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Every network channel added in the admin UI, of every municipality (for the registry).
    pub async fn network_channels(&self) -> Result<Vec<NetworkChannelRecord>> {
        Ok(read!(self.db(), |ex| {
            sqlx::query_as(
                "SELECT c.municipality_id, m.slug, c.name, c.kind, c.fields_json, c.profile_url, \
                 c.created_by, c.created_at, c.changed_by, c.changed_at \
                 FROM network_channels c JOIN municipalities m ON m.id = c.municipality_id \
                 ORDER BY c.municipality_id, c.created_at, c.name",
            )
            .fetch_all(ex)
            .await?
        }))
    }

    /// The secrets of a network channel, each sealed under its municipality, channel and name.
    pub(crate) fn seal_network_secrets<'a>(
        &self,
        municipality_id: i64,
        channel_name: &str,
        secrets: &[(&'a str, &str)],
    ) -> Vec<(&'a str, Vec<u8>)> {
        let key = self.secrets_key();
        secrets
            .iter()
            .map(|(name, value)| {
                let ctx = network_secret_context(municipality_id, channel_name, name);
                (*name, key.seal_str(value, &ctx))
            })
            .collect()
    }

    /// Adds a network channel with its secret (sealed) and raises the settings version, all in one
    /// transaction. Returns `false` and stores nothing when the municipality already has a channel
    /// of that name added in the admin UI.
    pub async fn add_network_channel(
        &self,
        c: &NetworkChannelInput<'_>,
        changed_by: &str,
        now: i64,
    ) -> Result<bool> {
        let sealed = self.seal_network_secrets(c.municipality_id, c.name, &c.secrets);
        let added = write_tx!(self, |tx| {
            let n = sqlx::query(
                "INSERT INTO network_channels (municipality_id, name, kind, fields_json, profile_url, \
                 created_by, created_at, changed_by, changed_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $6, $7) ON CONFLICT (municipality_id, name) DO NOTHING",
            )
            .bind(c.municipality_id)
            .bind(c.name)
            .bind(c.kind)
            .bind(c.fields_json)
            .bind(c.profile_url)
            .bind(changed_by)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n > 0 {
                // A secret left from an earlier channel of this name must not outlive it.
                sqlx::query(
                    "DELETE FROM network_secrets WHERE municipality_id = $1 AND channel_name = $2",
                )
                .bind(c.municipality_id)
                .bind(c.name)
                .execute(&mut *tx)
                .await?;
                put_network_secrets(&mut tx, c.municipality_id, c.name, &sealed, changed_by, now)
                    .await?;
                sqlx::query(BUMP_VERSION).execute(&mut *tx).await?;
            }
            n > 0
        });
        Ok(added)
    }

    /// Changes a network channel added in the admin UI: its fields, its profile, and its secret when
    /// one is given; raises the settings version. Returns `false` when there is no such channel (the
    /// kind must match too).
    pub async fn change_network_channel(
        &self,
        c: &NetworkChannelInput<'_>,
        changed_by: &str,
        now: i64,
    ) -> Result<bool> {
        let sealed = self.seal_network_secrets(c.municipality_id, c.name, &c.secrets);
        let changed = write_tx!(self, |tx| {
            let n = sqlx::query(
                "UPDATE network_channels SET fields_json = $1, profile_url = $2, changed_by = $3, \
                 changed_at = $4 WHERE municipality_id = $5 AND name = $6 AND kind = $7",
            )
            .bind(c.fields_json)
            .bind(c.profile_url)
            .bind(changed_by)
            .bind(now)
            .bind(c.municipality_id)
            .bind(c.name)
            .bind(c.kind)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n > 0 {
                put_network_secrets(&mut tx, c.municipality_id, c.name, &sealed, changed_by, now)
                    .await?;
                sqlx::query(BUMP_VERSION).execute(&mut *tx).await?;
            }
            n > 0
        });
        Ok(changed)
    }

    /// Removes a network channel added in the admin UI together with its secret and raises the
    /// settings version. Posts keep their results for the channel (they record its name).
    /// Returns whether there was one.
    pub async fn remove_network_channel(&self, municipality_id: i64, name: &str) -> Result<bool> {
        let removed = write_tx!(self, |tx| {
            let n = sqlx::query(
                "DELETE FROM network_channels WHERE municipality_id = $1 AND name = $2",
            )
            .bind(municipality_id)
            .bind(name)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n > 0 {
                sqlx::query(
                    "DELETE FROM network_secrets WHERE municipality_id = $1 AND channel_name = $2",
                )
                .bind(municipality_id)
                .bind(name)
                .execute(&mut *tx)
                .await?;
                sqlx::query(BUMP_VERSION).execute(&mut *tx).await?;
            }
            n > 0
        });
        Ok(removed)
    }
}
