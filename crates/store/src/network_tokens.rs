//! Tokens a publishing network channel renewed itself (X's rotated OAuth pair), sealed in `network_secrets` beside the secrets entered in the admin UI.
//!
//! Renewing is no change of settings: the settings version stays, and the workers read the kept
//! tokens when they need them instead of rebuilding their registries every two hours.

use crate::db::{read, write_tx};
use crate::settings::{network_secret_context, put_network_secrets};
use crate::{Result, Store};

impl Store {
    /// The secrets kept for one network channel whose names start with `prefix`, opened, by name.
    pub async fn network_tokens(
        &self,
        municipality_id: i64,
        channel_name: &str,
        prefix: &str,
    ) -> Result<Vec<(String, String)>> {
        let pattern = format!("{prefix}%");
        let rows: Vec<(String, Vec<u8>)> = read!(self.db(), |ex| {
            sqlx::query_as(
                "SELECT name, sealed FROM network_secrets \
                 WHERE municipality_id = $1 AND channel_name = $2 AND name LIKE $3 ORDER BY name",
            )
            .bind(municipality_id)
            .bind(channel_name)
            .bind(&pattern)
            .fetch_all(ex)
            .await?
        });
        let key = self.secrets_key();
        rows.into_iter()
            .map(|(name, sealed)| {
                let ctx = network_secret_context(municipality_id, channel_name, &name);
                let value = key.open_string(&sealed, &ctx)?;
                Ok((name, value))
            })
            .collect()
    }

    /// Seals and stores several tokens of one network channel in one transaction, replacing earlier
    /// values of the same names; the settings version is not raised.
    pub async fn keep_network_tokens(
        &self,
        municipality_id: i64,
        channel_name: &str,
        tokens: &[(&str, &str)],
        changed_by: &str,
        now: i64,
    ) -> Result<()> {
        let sealed = self.seal_network_secrets(municipality_id, channel_name, tokens);
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
        });
        Ok(())
    }
}
