//! Posts as the staff composer sees them: the municipality's posts in every state, a draft's edits, and image bytes before publication.

use std::collections::BTreeMap;

use crate::db::{read, write_tx};
use crate::posts::{post_from_row, PostRecord, PostRow, POST_COLUMNS};
use crate::{AuditEvent, Result, Store, StoreError};

/// What an author may change in a draft (channels and images stay as composed).
#[derive(Debug, Clone)]
pub struct DraftEdit<'a> {
    pub text: &'a str,
    pub language: &'a str,
    pub variants: &'a BTreeMap<String, String>,
    pub publish_at: Option<i64>,
}

impl Store {
    /// The municipality's posts in every state, most recently changed first, at most `limit`.
    pub async fn staff_posts(&self, municipality_id: i64, limit: i64) -> Result<Vec<PostRecord>> {
        let rows: Vec<PostRow> = read!(self.db(), |ex| {
            sqlx::query_as(&format!(
                "SELECT {POST_COLUMNS} FROM posts p WHERE p.municipality_id = $1 \
                 ORDER BY p.updated_at DESC, p.id DESC LIMIT $2"
            ))
            .bind(municipality_id)
            .bind(limit)
            .fetch_all(ex)
            .await?
        });
        Ok(rows.into_iter().map(post_from_row).collect())
    }

    /// The bytes and type of one of the municipality's images in any state (for the composer's
    /// preview; the public pages use `public_post_image`).
    pub async fn staff_post_image(
        &self,
        municipality_id: i64,
        id: i64,
    ) -> Result<Option<(String, Vec<u8>)>> {
        Ok(read!(self.db(), |ex| {
            sqlx::query_as(
                "SELECT mime, bytes FROM post_images WHERE id = $1 AND municipality_id = $2",
            )
            .bind(id)
            .bind(municipality_id)
            .fetch_optional(ex)
            .await?
        }))
    }

    /// Changes a draft's text, language, variants and time; false when the post is not (or no
    /// longer) a draft of this municipality. Audited as `post.edit`.
    pub async fn edit_draft(
        &self,
        municipality_id: i64,
        post_id: i64,
        actor_id: i64,
        edit: &DraftEdit<'_>,
        now: i64,
    ) -> Result<bool> {
        let variants = serde_json::to_string(edit.variants)
            .map_err(|e| StoreError::Invalid(format!("variants: {e}")))?;
        let mut search = edit.text.to_lowercase();
        for v in edit.variants.values() {
            search.push('\n');
            search.push_str(&v.to_lowercase());
        }
        let n = write_tx!(self, |tx| {
            sqlx::query(
                "UPDATE posts SET text = $1, search_text = $2, language = $3, variants = $4, publish_at = $5, \
                 updated_at = $6 WHERE id = $7 AND municipality_id = $8 AND status = 'draft'",
            )
            .bind(edit.text)
            .bind(&search)
            .bind(edit.language)
            .bind(&variants)
            .bind(edit.publish_at)
            .bind(now)
            .bind(post_id)
            .bind(municipality_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
        });
        if n == 1 {
            self.audit(
                AuditEvent::new(
                    Some(municipality_id),
                    format!("staff:{actor_id}"),
                    "post.edit",
                )
                .target(format!("post:{post_id}")),
                now,
            )
            .await?;
        }
        Ok(n == 1)
    }
}
