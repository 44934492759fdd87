//! Each network publication's attempts and results: the attempt is recorded before the platform is called and the result after, so no post is made twice.

use crate::db::{read, write_tx};
use crate::{Result, Store, StoreError};

/// Publication states besides the workflow's: `pending` (not tried, or will be retried),
/// `sending` (an attempt is in flight or its outcome is unknown), `published`, `failed`,
/// `unknown` (a person must check the platform), `deleted`.
pub mod publication_status {
    pub const PENDING: &str = "pending";
    pub const SENDING: &str = "sending";
    pub const PUBLISHED: &str = "published";
    pub const FAILED: &str = "failed";
    pub const UNKNOWN: &str = "unknown";
    pub const DELETED: &str = "deleted";
}

/// Everything known about one (post, channel).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicationState {
    pub post_id: i64,
    pub channel: String,
    pub kind: String,
    pub status: String,
    pub url: Option<String>,
    pub error: Option<String>,
    pub remote_id: Option<String>,
    pub idempotency_key: Option<String>,
    pub first_attempt_at: Option<i64>,
    pub attempts: i64,
    /// After publishing: edited, deleted, or why that was not possible there.
    pub note: Option<String>,
    pub published_at: Option<i64>,
    pub updated_at: i64,
}

/// An attempt that may go ahead: the key to send and when the first attempt began.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptStarted {
    pub idempotency_key: String,
    pub first_attempt_at: i64,
    pub attempts: i64,
}

const STATE_COLUMNS: &str =
    "post_id, channel, kind, status, url, error, remote_id, idempotency_key, \
     first_attempt_at, attempts, note, published_at, updated_at";

type StateRow = (
    i64,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
    i64,
    Option<String>,
    Option<i64>,
    i64,
);

fn state_from_row(r: StateRow) -> PublicationState {
    PublicationState {
        post_id: r.0,
        channel: r.1,
        kind: r.2,
        status: r.3,
        url: r.4,
        error: r.5,
        remote_id: r.6,
        idempotency_key: r.7,
        first_attempt_at: r.8,
        attempts: r.9,
        note: r.10,
        published_at: r.11,
        updated_at: r.12,
    }
}

impl Store {
    /// One channel's publication of a post.
    pub async fn publication_state(
        &self,
        post_id: i64,
        channel: &str,
    ) -> Result<Option<PublicationState>> {
        let row: Option<StateRow> = read!(self.db(), |ex| {
            sqlx::query_as(&format!(
                "SELECT {STATE_COLUMNS} FROM post_publications WHERE post_id = $1 AND channel = $2"
            ))
            .bind(post_id)
            .bind(channel)
            .fetch_optional(ex)
            .await?
        });
        Ok(row.map(state_from_row))
    }

    /// Every channel's publication of a post, by channel name.
    pub async fn publication_states(&self, post_id: i64) -> Result<Vec<PublicationState>> {
        let rows: Vec<StateRow> = read!(self.db(), |ex| {
            sqlx::query_as(&format!(
                "SELECT {STATE_COLUMNS} FROM post_publications WHERE post_id = $1 ORDER BY channel"
            ))
            .bind(post_id)
            .fetch_all(ex)
            .await?
        });
        Ok(rows.into_iter().map(state_from_row).collect())
    }

    /// Records, durably and before the platform is called, that an attempt starts: the row moves
    /// to `sending`, keeps the first key it was given (`new_key` only fills an empty one) and the
    /// time of the first attempt. `None` when the publication is no longer pending or sending.
    pub async fn begin_publication_attempt(
        &self,
        post_id: i64,
        channel: &str,
        new_key: &str,
        now: i64,
    ) -> Result<Option<AttemptStarted>> {
        let row: Option<(Option<String>, Option<i64>, i64)> = write_tx!(self, |tx| {
            sqlx::query_as(
                "UPDATE post_publications SET status = 'sending', \
                 idempotency_key = COALESCE(idempotency_key, $1), \
                 first_attempt_at = COALESCE(first_attempt_at, $2), attempts = attempts + 1, updated_at = $2 \
                 WHERE post_id = $3 AND channel = $4 AND status IN ('pending', 'sending') \
                 RETURNING idempotency_key, first_attempt_at, attempts",
            )
            .bind(new_key)
            .bind(now)
            .bind(post_id)
            .bind(channel)
            .fetch_optional(&mut *tx)
            .await?
        });
        match row {
            None => Ok(None),
            Some((Some(key), Some(first), attempts)) => Ok(Some(AttemptStarted {
                idempotency_key: key,
                first_attempt_at: first,
                attempts,
            })),
            Some(_) => Err(StoreError::Invalid(format!(
                "publication {post_id}/{channel}: attempt recorded without key"
            ))),
        }
    }

    /// The platform made the post: remember where it is.
    pub async fn record_publication_published(
        &self,
        post_id: i64,
        channel: &str,
        remote_id: &str,
        url: Option<&str>,
        now: i64,
    ) -> Result<()> {
        let n = write_tx!(self, |tx| {
            sqlx::query(
                "UPDATE post_publications SET status = 'published', remote_id = $1, url = $2, error = NULL, \
                 published_at = COALESCE(published_at, $3), updated_at = $3 WHERE post_id = $4 AND channel = $5",
            )
            .bind(remote_id)
            .bind(url)
            .bind(now)
            .bind(post_id)
            .bind(channel)
            .execute(&mut *tx)
            .await?
            .rows_affected()
        });
        if n == 1 {
            Ok(())
        } else {
            Err(StoreError::NotFound)
        }
    }

    /// Any other outcome: `status` with the reason in plain words (or none).
    pub async fn record_publication_outcome(
        &self,
        post_id: i64,
        channel: &str,
        status: &str,
        error: Option<&str>,
        now: i64,
    ) -> Result<()> {
        let n = write_tx!(self, |tx| {
            sqlx::query(
                "UPDATE post_publications SET status = $1, error = $2, updated_at = $3 \
                 WHERE post_id = $4 AND channel = $5",
            )
            .bind(status)
            .bind(error)
            .bind(now)
            .bind(post_id)
            .bind(channel)
            .execute(&mut *tx)
            .await?
            .rows_affected()
        });
        if n == 1 {
            Ok(())
        } else {
            Err(StoreError::NotFound)
        }
    }

    /// After publishing: a note on what an edit or deletion did there; `status` and `url` change
    /// when given (`deleted`, a new link).
    pub async fn record_publication_note(
        &self,
        post_id: i64,
        channel: &str,
        status: Option<&str>,
        url: Option<&str>,
        note: &str,
        now: i64,
    ) -> Result<()> {
        let n = write_tx!(self, |tx| {
            sqlx::query(
                "UPDATE post_publications SET status = COALESCE($1, status), url = COALESCE($2, url), \
                 note = $3, updated_at = $4 WHERE post_id = $5 AND channel = $6",
            )
            .bind(status)
            .bind(url)
            .bind(note)
            .bind(now)
            .bind(post_id)
            .bind(channel)
            .execute(&mut *tx)
            .await?
            .rows_affected()
        });
        if n == 1 {
            Ok(())
        } else {
            Err(StoreError::NotFound)
        }
    }

    /// The bytes of a post's images in their order, for the networks.
    pub async fn post_image_bytes(&self, post_id: i64) -> Result<Vec<(i64, Vec<u8>)>> {
        Ok(read!(self.db(), |ex| {
            sqlx::query_as(
                "SELECT id, bytes FROM post_images WHERE post_id = $1 ORDER BY position, id",
            )
            .bind(post_id)
            .fetch_all(ex)
            .await?
        }))
    }
}

impl Store {
    /// Replaces the text of a post that is already out (the news page shows it at once) and
    /// writes the audit entry `post.edit_published`.
    pub async fn update_published_text(
        &self,
        municipality_id: i64,
        post_id: i64,
        actor_id: i64,
        text: &str,
        now: i64,
    ) -> Result<()> {
        let post = self
            .post(municipality_id, post_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let search = crate::posts::search_text(text, &post.variants);
        let n = write_tx!(self, |tx| {
            sqlx::query(
                "UPDATE posts SET text = $1, search_text = $2, updated_at = $3 \
                 WHERE id = $4 AND municipality_id = $5",
            )
            .bind(text)
            .bind(&search)
            .bind(now)
            .bind(post_id)
            .bind(municipality_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
        });
        if n != 1 {
            return Err(StoreError::NotFound);
        }
        self.audit(
            crate::AuditEvent::new(
                Some(municipality_id),
                format!("staff:{actor_id}"),
                "post.edit_published",
            )
            .target(format!("post:{post_id}")),
            now,
        )
        .await?;
        Ok(())
    }
}

/// Sending a post to one channel again: which publication, from which state, and what else moves.
#[derive(Debug, Clone)]
pub struct PublicationRetry<'a> {
    pub municipality_id: i64,
    pub post_id: i64,
    pub channel: &'a str,
    /// The state a person saw: `failed`, or `unknown` after they confirmed the post did not appear.
    pub from_status: &'a str,
    /// A refused attempt left nothing to repeat: the next one gets a new idempotency key. After an
    /// unclear outcome the old key is kept, so a platform that still remembers it answers with
    /// the post it has instead of making a second.
    pub fresh_key: bool,
    /// The post's own step back to `publishing` (from `partly_failed` or `failed`), if any.
    pub post_step: Option<crate::PostStep<'a>>,
    /// The publishing job to queue (sealed like every job payload).
    pub job_payload: &'a [u8],
    /// Audit action, e.g. `post.retry`.
    pub audit_action: &'a str,
    pub actor_id: i64,
    pub now: i64,
}

impl Store {
    /// Puts a publication that ended (`failed`, or `unknown` confirmed by a person) back to
    /// `pending`, moves the post back to `publishing` when asked, and queues the publishing job —
    /// all in one transaction, so a crash leaves either nothing changed or a job that will run.
    /// Then writes the audit entry (actor, `post:<id>`, the channel). `false` when the publication
    /// is no longer in `from_status`, the post is not out, or the post moved on meanwhile.
    pub async fn retry_publication(&self, r: &PublicationRetry<'_>) -> Result<bool> {
        let (job_id, sealed) = self.seal_job(r.municipality_id, r.job_payload).await?;
        let reset_key = if r.fresh_key {
            ", idempotency_key = NULL, first_attempt_at = NULL"
        } else {
            ""
        };
        let done = write_tx!(self, |tx| {
            let n = sqlx::query(&format!(
                "UPDATE post_publications SET status = 'pending', error = NULL, updated_at = $1{reset_key} \
                 WHERE post_id = $2 AND channel = $3 AND status = $4 AND post_id IN \
                 (SELECT id FROM posts WHERE id = $2 AND municipality_id = $5 \
                  AND status IN ('publishing', 'partly_failed', 'failed'))"
            ))
            .bind(r.now)
            .bind(r.post_id)
            .bind(r.channel)
            .bind(r.from_status)
            .bind(r.municipality_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n != 1 {
                return Ok(false);
            }
            if let Some(step) = &r.post_step {
                let moved = sqlx::query(
                    "UPDATE posts SET status = $1, updated_at = $2 \
                     WHERE id = $3 AND municipality_id = $4 AND status = $5",
                )
                .bind(step.to)
                .bind(step.at)
                .bind(r.post_id)
                .bind(r.municipality_id)
                .bind(step.from)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if moved != 1 {
                    // Dropping the transaction undoes the publication's change.
                    return Ok(false);
                }
                crate::posts::record_transition(&mut tx, r.post_id, step).await?;
            }
            sqlx::query(crate::jobs::INSERT_JOB)
                .bind(job_id)
                .bind(r.municipality_id)
                .bind(crate::JobKind::Publish.as_str())
                .bind(&sealed)
                .bind(r.now)
                .bind(r.now)
                .execute(&mut *tx)
                .await?;
            true
        });
        if !done {
            return Ok(false);
        }
        let mut details = format!("channel={}; was {}", r.channel, r.from_status);
        if let Some(step) = &r.post_step {
            details.push_str(&format!("; post {} -> {}", step.from, step.to));
        }
        self.audit(
            crate::AuditEvent::new(
                Some(r.municipality_id),
                format!("staff:{}", r.actor_id),
                r.audit_action,
            )
            .target(format!("post:{}", r.post_id))
            .details(details),
            r.now,
        )
        .await?;
        Ok(true)
    }
}
