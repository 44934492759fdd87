//! Posts to publish: content, workflow state, per-channel publications and the recorded workflow steps (public information, staff by id only).

use std::collections::BTreeMap;

use crate::db::{read, write_tx};
use crate::{AuditEvent, Result, Store, StoreError};

/// The built-in channel that publishes to the town's own news page.
pub const WEBSITE_CHANNEL: &str = "website";

/// A draft as the composer hands it over.
#[derive(Debug, Clone)]
pub struct NewPost<'a> {
    pub municipality_id: i64,
    pub author_id: i64,
    pub text: &'a str,
    pub language: &'a str,
    /// Text by channel name or kind that replaces the common text there.
    pub variants: &'a BTreeMap<String, String>,
    /// (name, kind) of every target channel; each gets a pending publication row.
    pub channels: &'a [(String, String)],
    /// Uploaded images in the order they are shown; each must be unattached and of this municipality.
    pub images: &'a [i64],
    pub publish_at: Option<i64>,
}

/// A stored post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostRecord {
    pub id: i64,
    pub municipality_id: i64,
    pub author_id: i64,
    pub text: String,
    pub language: String,
    pub variants: BTreeMap<String, String>,
    /// `rathaus_domain::publishing::PostStatus::as_str`.
    pub status: String,
    pub approved_by: Option<i64>,
    /// Why the post was last sent back.
    pub review_comment: Option<String>,
    pub publish_at: Option<i64>,
    pub published_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Where one channel stands with a post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publication {
    pub channel: String,
    pub kind: String,
    /// `pending`, `published` or `failed`.
    pub status: String,
    pub url: Option<String>,
    pub error: Option<String>,
    pub published_at: Option<i64>,
    pub updated_at: i64,
}

/// One workflow step to apply: the post moves from `from` to `to` only if it is still in `from`.
#[derive(Debug, Clone)]
pub struct PostStep<'a> {
    pub from: &'a str,
    pub to: &'a str,
    /// `rathaus_domain::publishing::Action::as_str`.
    pub action: &'a str,
    /// None for the publishing worker.
    pub actor_id: Option<i64>,
    pub comment: Option<&'a str>,
    pub at: i64,
    /// The post's fields after the step.
    pub approved_by: Option<i64>,
    pub publish_at: Option<i64>,
    /// Set when the step publishes; kept otherwise.
    pub published_at: Option<i64>,
}

/// A recorded workflow step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostTransition {
    pub from: String,
    pub to: String,
    pub action: String,
    pub actor_id: Option<i64>,
    pub comment: Option<String>,
    pub publish_at: Option<i64>,
    pub at: i64,
}

pub(crate) const POST_COLUMNS: &str =
    "p.id, p.municipality_id, p.author_id, p.text, p.language, p.variants, p.status, \
     p.approved_by, p.review_comment, p.publish_at, p.published_at, p.created_at, p.updated_at";

pub(crate) type PostRow = (
    i64,
    i64,
    i64,
    String,
    String,
    String,
    String,
    Option<i64>,
    Option<String>,
    Option<i64>,
    Option<i64>,
    i64,
    i64,
);

pub(crate) fn post_from_row(r: PostRow) -> PostRecord {
    PostRecord {
        id: r.0,
        municipality_id: r.1,
        author_id: r.2,
        text: r.3,
        language: r.4,
        // Written by this module only; a damaged value shows as "no variants" rather than failing the page.
        variants: serde_json::from_str(&r.5).unwrap_or_default(),
        status: r.6,
        approved_by: r.7,
        review_comment: r.8,
        publish_at: r.9,
        published_at: r.10,
        created_at: r.11,
        updated_at: r.12,
    }
}

/// What the public search looks through: text and variants, lower-cased.
pub(crate) fn search_text(text: &str, variants: &BTreeMap<String, String>) -> String {
    let mut s = text.to_lowercase();
    for v in variants.values() {
        s.push('\n');
        s.push_str(&v.to_lowercase());
    }
    s
}

fn actor_label(actor_id: Option<i64>) -> String {
    match actor_id {
        Some(id) => format!("staff:{id}"),
        None => "system".into(),
    }
}

impl Store {
    /// Stores a new draft with its images attached and one pending publication per channel.
    pub async fn create_post(&self, p: &NewPost<'_>, now: i64) -> Result<i64> {
        let variants = serde_json::to_string(p.variants)
            .map_err(|e| StoreError::Invalid(format!("variants: {e}")))?;
        let search = search_text(p.text, p.variants);
        let id = write_tx!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO posts (municipality_id, author_id, text, search_text, language, variants, status, \
                 publish_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'draft', $7, $8, $8) RETURNING id",
            )
            .bind(p.municipality_id)
            .bind(p.author_id)
            .bind(p.text)
            .bind(&search)
            .bind(p.language)
            .bind(&variants)
            .bind(p.publish_at)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            for (position, image) in p.images.iter().enumerate() {
                let attached = sqlx::query(
                    "UPDATE post_images SET post_id = $1, position = $2 \
                     WHERE id = $3 AND municipality_id = $4 AND post_id IS NULL",
                )
                .bind(id)
                .bind(i64::try_from(position).unwrap_or(i64::MAX))
                .bind(image)
                .bind(p.municipality_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if attached != 1 {
                    // Dropping the transaction rolls the draft back.
                    return Err(StoreError::Invalid(format!(
                        "image {image} is unknown or already used in another post"
                    )));
                }
            }
            for (name, kind) in p.channels {
                sqlx::query(
                    "INSERT INTO post_publications (post_id, channel, kind, status, updated_at) \
                     VALUES ($1, $2, $3, 'pending', $4)",
                )
                .bind(id)
                .bind(name)
                .bind(kind)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            id
        });
        self.audit(
            AuditEvent::new(
                Some(p.municipality_id),
                actor_label(Some(p.author_id)),
                "post.create",
            )
            .target(format!("post:{id}")),
            now,
        )
        .await?;
        Ok(id)
    }

    /// One post of the municipality.
    pub async fn post(&self, municipality_id: i64, id: i64) -> Result<Option<PostRecord>> {
        let row: Option<PostRow> = read!(self.db(), |ex| {
            sqlx::query_as(&format!(
                "SELECT {POST_COLUMNS} FROM posts p WHERE p.id = $1 AND p.municipality_id = $2"
            ))
            .bind(id)
            .bind(municipality_id)
            .fetch_optional(ex)
            .await?
        });
        Ok(row.map(post_from_row))
    }

    /// Applies one workflow step if the post is still where the caller saw it, records it and writes
    /// the audit entry (`post.<action>`, actor `staff:<id>` or `system`, the comment in the details).
    /// Returns false when the post has moved on meanwhile (nothing is changed then).
    pub async fn apply_post_step(
        &self,
        municipality_id: i64,
        post_id: i64,
        step: &PostStep<'_>,
    ) -> Result<bool> {
        let review_comment = (step.action == "reject").then_some(step.comment).flatten();
        let applied = write_tx!(self, |tx| {
            let n = sqlx::query(
                "UPDATE posts SET status = $1, approved_by = $2, publish_at = $3, \
                 published_at = COALESCE($4, published_at), review_comment = COALESCE($5, review_comment), \
                 updated_at = $6 WHERE id = $7 AND municipality_id = $8 AND status = $9",
            )
            .bind(step.to)
            .bind(step.approved_by)
            .bind(step.publish_at)
            .bind(step.published_at)
            .bind(review_comment)
            .bind(step.at)
            .bind(post_id)
            .bind(municipality_id)
            .bind(step.from)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 1 {
                record_transition(&mut tx, post_id, step).await?;
            }
            n == 1
        });
        if applied {
            let mut details = format!("{} -> {}", step.from, step.to);
            if let Some(at) = step.publish_at.filter(|_| step.action == "schedule") {
                details.push_str(&format!("; publish_at={at}"));
            }
            if let Some(c) = step.comment {
                details.push_str(&format!("; comment: {c}"));
            }
            let event = AuditEvent::new(
                Some(municipality_id),
                actor_label(step.actor_id),
                format!("post.{}", step.action),
            )
            .target(format!("post:{post_id}"))
            .details(details);
            self.audit(event, step.at).await?;
        }
        Ok(applied)
    }

    /// Every recorded step of a post, oldest first.
    pub async fn post_transitions(&self, post_id: i64) -> Result<Vec<PostTransition>> {
        let rows: Vec<(
            String,
            String,
            String,
            Option<i64>,
            Option<String>,
            Option<i64>,
            i64,
        )> = read!(self.db(), |ex| {
            sqlx::query_as(
                "SELECT from_status, to_status, action, actor_id, comment, publish_at, at \
                     FROM post_transitions WHERE post_id = $1 ORDER BY id",
            )
            .bind(post_id)
            .fetch_all(ex)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(from, to, action, actor_id, comment, publish_at, at)| PostTransition {
                    from,
                    to,
                    action,
                    actor_id,
                    comment,
                    publish_at,
                    at,
                },
            )
            .collect())
    }

    /// The post's channels with their results, in the order they were chosen.
    pub async fn publications(&self, post_id: i64) -> Result<Vec<Publication>> {
        let rows: Vec<(
            String,
            String,
            String,
            Option<String>,
            Option<String>,
            Option<i64>,
            i64,
        )> = read!(self.db(), |ex| {
            sqlx::query_as(
                "SELECT channel, kind, status, url, error, published_at, updated_at \
                     FROM post_publications WHERE post_id = $1 ORDER BY channel",
            )
            .bind(post_id)
            .fetch_all(ex)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(channel, kind, status, url, error, published_at, updated_at)| Publication {
                    channel,
                    kind,
                    status,
                    url,
                    error,
                    published_at,
                    updated_at,
                },
            )
            .collect())
    }

    /// Records one channel's result (or why it is still pending).
    pub async fn set_publication(
        &self,
        post_id: i64,
        channel: &str,
        status: &str,
        url: Option<&str>,
        error: Option<&str>,
        now: i64,
    ) -> Result<()> {
        let published_at = (status == "published").then_some(now);
        let n = write_tx!(self, |tx| {
            sqlx::query(
                "UPDATE post_publications SET status = $1, url = $2, error = $3, \
                 published_at = COALESCE($4, published_at), updated_at = $5 WHERE post_id = $6 AND channel = $7",
            )
            .bind(status)
            .bind(url)
            .bind(error)
            .bind(published_at)
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

    /// Scheduled posts whose time has come, oldest first: (municipality, post).
    pub async fn due_posts(&self, now: i64) -> Result<Vec<(i64, i64)>> {
        Ok(read!(self.db(), |ex| {
            sqlx::query_as(
                "SELECT municipality_id, id FROM posts WHERE status = 'scheduled' \
                 AND publish_at IS NOT NULL AND publish_at <= $1 ORDER BY publish_at, id",
            )
            .bind(now)
            .fetch_all(ex)
            .await?
        }))
    }
}

/// Records `step` of post `post_id` in its history, inside `tx`.
pub(crate) async fn record_transition<'c, DB>(
    tx: &mut sqlx::Transaction<'c, DB>,
    post_id: i64,
    step: &PostStep<'_>,
) -> Result<()>
where
    DB: sqlx::Database,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<i64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<&'q str>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'e> &'e mut <DB as sqlx::Database>::Connection: sqlx::Executor<'e, Database = DB>,
{
    sqlx::query(
        "INSERT INTO post_transitions (post_id, from_status, to_status, action, actor_id, comment, publish_at, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(post_id)
    .bind(step.from)
    .bind(step.to)
    .bind(step.action)
    .bind(step.actor_id)
    .bind(step.comment)
    .bind(step.publish_at)
    .bind(step.at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
