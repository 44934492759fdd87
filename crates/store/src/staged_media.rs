//! Images staged for a platform that fetches them by URL (Instagram): sealed bytes under a keyed hash of their unguessable token, shared by every process on the database, gone when withdrawn or expired.
//!
//! The token itself is never stored: whoever reads the database cannot build a working URL. The
//! bytes are an already public post's image, re-encoded without metadata; they are sealed anyway
//! (one AEAD pass over at most a few MB, bound to the token's hash), like every other blob here,
//! so a copy of the database or a backup shows nothing before the post is out.

use crate::db::{read, write_tx};
use crate::{Result, Store};

/// Key purposes (derived from the instance key).
const TOKEN_PURPOSE: &str = "staged-media-token";
const SEAL_PURPOSE: &str = "staged-media";

/// A staged image as served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagedImage {
    pub bytes: Vec<u8>,
    pub mime: String,
}

impl Store {
    fn staged_token_hash(&self, token: &str) -> Vec<u8> {
        self.keys()
            .master()
            .derive(TOKEN_PURPOSE)
            .keyed_hash(token.as_bytes())
            .to_vec()
    }

    /// Stages `bytes` under `token` until `expires_at` (ms).
    pub async fn stage_media(
        &self,
        token: &str,
        bytes: &[u8],
        mime: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<()> {
        let hash = self.staged_token_hash(token);
        let sealed = self.keys().master().derive(SEAL_PURPOSE).seal(bytes, &hash);
        write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO staged_media (token_hash, sealed, mime, expires_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&hash)
            .bind(&sealed)
            .bind(mime)
            .bind(expires_at)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }

    /// The image staged under `token`, unless it was withdrawn or has expired by `now`.
    pub async fn staged_media(&self, token: &str, now: i64) -> Result<Option<StagedImage>> {
        let hash = self.staged_token_hash(token);
        let row: Option<(Vec<u8>, String)> = read!(self.db(), |ex| {
            sqlx::query_as(
                "SELECT sealed, mime FROM staged_media WHERE token_hash = $1 AND expires_at > $2",
            )
            .bind(&hash)
            .bind(now)
            .fetch_optional(ex)
            .await?
        });
        let Some((sealed, mime)) = row else {
            return Ok(None);
        };
        let bytes = self
            .keys()
            .master()
            .derive(SEAL_PURPOSE)
            .open(&sealed, &hash)?;
        Ok(Some(StagedImage { bytes, mime }))
    }

    /// Makes the image unreachable at once (after publishing, or when publishing gives up).
    pub async fn withdraw_staged_media(&self, token: &str) -> Result<()> {
        let hash = self.staged_token_hash(token);
        write_tx!(self, |tx| {
            sqlx::query("DELETE FROM staged_media WHERE token_hash = $1")
                .bind(&hash)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// Deletes every staged image expired by `now` (left behind by a crash); returns how many.
    pub async fn purge_expired_staged_media(&self, now: i64) -> Result<u64> {
        Ok(write_tx!(self, |tx| {
            sqlx::query("DELETE FROM staged_media WHERE expires_at <= $1")
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected()
        }))
    }
}
