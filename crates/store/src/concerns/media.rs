//! Media of concerns: storing downloaded attachments sealed with the citizen's key, and decrypting them for staff.

use rathaus_crypto::context;

use crate::citizens::CitizenRef;
use crate::db::{read, write_tx};
use crate::{Result, Store};

/// Decrypted media for download by staff.
#[derive(Debug, Clone)]
pub struct MediaContent {
    pub mime_type: String,
    pub filename: Option<String>,
    pub bytes: Vec<u8>,
}

impl Store {
    /// Stores downloaded media, sealed with the citizen's key.
    pub async fn save_media(
        &self,
        citizen: &CitizenRef,
        media_id: i64,
        mime_type: &str,
        bytes: &[u8],
    ) -> Result<()> {
        let sealed = citizen
            .key
            .seal(bytes, &context("media", "content_enc", media_id));
        write_tx!(self, |tx| {
            sqlx::query("UPDATE media SET state = 'stored', mime_type = $1, byte_size = $2, content_enc = $3, error = NULL WHERE id = $4 AND municipality_id = $5")
                .bind(mime_type)
                .bind(bytes.len() as i64)
                .bind(&sealed)
                .bind(media_id)
                .bind(citizen.municipality_id)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    pub async fn media_failed(
        &self,
        municipality_id: i64,
        media_id: i64,
        error: &str,
    ) -> Result<()> {
        write_tx!(self, |tx| {
            sqlx::query("UPDATE media SET state = 'failed', error = $1 WHERE id = $2 AND municipality_id = $3")
                .bind(error)
                .bind(media_id)
                .bind(municipality_id)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// Media of one concern's message, decrypted for a staff download.
    pub async fn media_content(
        &self,
        municipality_id: i64,
        concern_id: i64,
        media_id: i64,
    ) -> Result<Option<MediaContent>> {
        let row: Option<(i64, Option<String>, Option<Vec<u8>>, Option<Vec<u8>>)> = read!(
            self.db(),
            |ex| {
                sqlx::query_as(
                "SELECT c.citizen_id, md.mime_type, md.filename_enc, md.content_enc FROM media md \
                 JOIN messages m ON m.id = md.message_id JOIN concerns c ON c.id = m.concern_id \
                 WHERE md.id = $1 AND md.municipality_id = $2 AND c.id = $3 AND md.state = 'stored'",
            )
            .bind(media_id)
            .bind(municipality_id)
            .bind(concern_id)
            .fetch_optional(ex)
            .await?
            }
        );
        let Some((citizen_id, mime, fname, content)) = row else {
            return Ok(None);
        };
        let citizen = self.citizen(municipality_id, citizen_id).await?;
        let bytes = match content {
            Some(c) => citizen
                .key
                .open(&c, &context("media", "content_enc", media_id))?,
            None => return Ok(None),
        };
        let filename = match fname {
            Some(f) => Some(
                citizen
                    .key
                    .open_string(&f, &context("media", "filename_enc", media_id))?,
            ),
            None => None,
        };
        Ok(Some(MediaContent {
            mime_type: mime.unwrap_or_else(|| "application/octet-stream".into()),
            filename,
            bytes,
        }))
    }
}
