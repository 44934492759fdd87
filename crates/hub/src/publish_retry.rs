//! Sending a post to one network channel again after its publishing ended: a refused channel once its cause is fixed, an unclear one only after a person confirmed the post did not appear.
//!
//! A failed channel means the platform did not make the post, so trying again cannot double it. An
//! unclear channel (`unknown`) may have the post already: it is sent again only on a person's
//! explicit word that it is not there, audited separately (`post.resend_unclear`) because that
//! word knowingly risks a double post. Either way the channel goes back to `pending` and a fresh
//! publishing job ([`crate::publish_jobs`]) takes it from there.

use jiff::Timestamp;
use rathaus_domain::publishing::{PostStatus, PostWorkflow};
use rathaus_store::{
    publication_status as st, PostStep, PublicationRetry, Store, StoreError, WEBSITE_CHANNEL,
};

use crate::publish_jobs::{JobOp, PublishJob};
use crate::Tenant;

/// Audit action of trying a failed channel again.
pub const AUDIT_RETRY: &str = "post.retry";
/// Audit action of sending again after a person confirmed an unclear post did not appear.
pub const AUDIT_RESEND_UNCLEAR: &str = "post.resend_unclear";

/// Why a channel cannot be sent again.
#[derive(Debug, thiserror::Error)]
pub enum RetryError {
    #[error("post not found")]
    PostNotFound,
    /// The post has no network channel of that name (the news page is never retried).
    #[error("the post has no network channel '{0}'")]
    UnknownChannel(String),
    /// The post never went out (draft, submitted, approved, scheduled).
    #[error("the post has not been published")]
    NotPublished,
    /// The post was taken off the news page and the networks: it is not sent anywhere again.
    #[error("the post was withdrawn")]
    Withdrawn,
    /// Only a failed channel can be tried again; `status` is where it stands.
    #[error("channel is {status}, not failed")]
    NotFailed { status: String },
    /// The channel's outcome is unclear: a person must confirm first that the post did not appear.
    #[error("channel's outcome is unclear")]
    OutcomeUnclear,
    /// The confirmation path is only for an unclear channel.
    #[error("channel is {status}, not unclear")]
    NotUnclear { status: String },
    /// The channel is no longer configured with an adapter.
    #[error("channel '{0}' is not connected")]
    NotConnected(String),
    /// Someone else changed the post or the channel between reading and writing.
    #[error("the post was changed meanwhile")]
    Changed,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Which of the two ways back to `pending`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Path {
    /// The channel failed: the platform refused, nothing can be doubled.
    Failed,
    /// The outcome was unclear and a person confirmed the post did not appear.
    ConfirmedNotAppeared,
}

/// Tries a failed channel again: it shows as pending, a fresh publishing job sends it, and the
/// post goes back to `publishing` until every channel has answered again. Audited as `post.retry`.
pub async fn retry_failed(
    store: &Store,
    tenant: &Tenant,
    post_id: i64,
    channel: &str,
    actor_id: i64,
    now: i64,
) -> Result<(), RetryError> {
    reopen(store, tenant, post_id, channel, actor_id, now, Path::Failed).await
}

/// Sends an unclear channel again on a person's word that the post did not appear there.
/// Audited as `post.resend_unclear`.
pub async fn resend_unclear(
    store: &Store,
    tenant: &Tenant,
    post_id: i64,
    channel: &str,
    actor_id: i64,
    now: i64,
) -> Result<(), RetryError> {
    reopen(
        store,
        tenant,
        post_id,
        channel,
        actor_id,
        now,
        Path::ConfirmedNotAppeared,
    )
    .await
}

async fn reopen(
    store: &Store,
    tenant: &Tenant,
    post_id: i64,
    channel: &str,
    actor_id: i64,
    now: i64,
    path: Path,
) -> Result<(), RetryError> {
    let post = store
        .post(tenant.row.id, post_id)
        .await?
        .ok_or(RetryError::PostNotFound)?;
    let state = match channel {
        WEBSITE_CHANNEL => None,
        _ => store.publication_state(post_id, channel).await?,
    }
    .ok_or_else(|| RetryError::UnknownChannel(channel.to_string()))?;
    let status = PostStatus::parse(&post.status)
        .ok_or_else(|| StoreError::Invalid(format!("post {post_id}: unknown status")))?;
    if !matches!(
        status,
        PostStatus::Publishing
            | PostStatus::Published
            | PostStatus::PartlyFailed
            | PostStatus::Failed
    ) {
        return Err(RetryError::NotPublished);
    }
    let website = store.publication_state(post_id, WEBSITE_CHANNEL).await?;
    if website.is_some_and(|w| w.status == st::DELETED) {
        return Err(RetryError::Withdrawn);
    }
    let (from_status, audit_action) = match (path, state.status.as_str()) {
        (Path::Failed, st::FAILED) => (st::FAILED, AUDIT_RETRY),
        (Path::Failed, st::UNKNOWN) => return Err(RetryError::OutcomeUnclear),
        (Path::Failed, other) => {
            return Err(RetryError::NotFailed {
                status: other.to_string(),
            })
        }
        (Path::ConfirmedNotAppeared, st::UNKNOWN) => (st::UNKNOWN, AUDIT_RESEND_UNCLEAR),
        (Path::ConfirmedNotAppeared, other) => {
            return Err(RetryError::NotUnclear {
                status: other.to_string(),
            })
        }
    };
    if tenant.publishers.get(channel).is_none() {
        return Err(RetryError::NotConnected(channel.to_string()));
    }
    // A post that had finished goes back to publishing so it is finished again after this answer.
    let transition = match status {
        PostStatus::PartlyFailed | PostStatus::Failed => {
            let mut wf = PostWorkflow {
                status,
                author: post.author_id.to_string(),
                approved_by: post.approved_by.map(|a| a.to_string()),
                publish_at: post
                    .publish_at
                    .and_then(|ms| Timestamp::from_millisecond(ms).ok()),
            };
            let at = Timestamp::from_millisecond(now).unwrap_or(Timestamp::UNIX_EPOCH);
            Some(
                wf.retry(&actor_id.to_string(), at)
                    .map_err(|e| StoreError::Invalid(e.to_string()))?,
            )
        }
        _ => None,
    };
    let post_step = transition.as_ref().map(|t| PostStep {
        from: t.from.as_str(),
        to: t.to.as_str(),
        action: t.action.as_str(),
        actor_id: Some(actor_id),
        comment: Some(channel),
        at: now,
        approved_by: post.approved_by,
        publish_at: post.publish_at,
        published_at: None,
    });
    let payload = serde_json::to_vec(&PublishJob {
        post_id,
        channel: channel.to_string(),
        op: JobOp::Publish,
    })
    .map_err(|e| StoreError::Invalid(format!("publish job: {e}")))?;
    let done = store
        .retry_publication(&PublicationRetry {
            municipality_id: tenant.row.id,
            post_id,
            channel,
            from_status,
            fresh_key: path == Path::Failed,
            post_step,
            job_payload: &payload,
            audit_action,
            actor_id,
            now,
        })
        .await?;
    if done {
        Ok(())
    } else {
        Err(RetryError::Changed)
    }
}
