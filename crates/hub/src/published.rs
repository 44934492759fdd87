//! A post after it went out: editing its text everywhere the platform allows it, and withdrawing it everywhere.
//!
//! The news page follows at once; each network channel gets an edit or delete job
//! ([`crate::publish_jobs`]), and where a platform cannot edit or delete, the post says so.

use rathaus_domain::publishing::PostStatus;
use rathaus_store::{publication_status as st, AuditEvent, Store, WEBSITE_CHANNEL};

use crate::publish_jobs::{enqueue, JobOp};
use crate::publishing::{check_text, PublishError};
use crate::Tenant;

fn is_out(status: &str) -> bool {
    matches!(
        PostStatus::parse(status),
        Some(
            PostStatus::Publishing
                | PostStatus::Published
                | PostStatus::PartlyFailed
                | PostStatus::Failed
        )
    )
}

/// Changes the text of a post that is out, checked like a new one for its channels.
pub async fn edit_published(
    store: &Store,
    tenant: &Tenant,
    id: i64,
    actor_id: i64,
    text: &str,
    now: i64,
) -> Result<(), PublishError> {
    let post = store
        .post(tenant.row.id, id)
        .await?
        .ok_or(PublishError::PostNotFound)?;
    if !is_out(&post.status) {
        return Err(PublishError::NotPublished);
    }
    check_text(store, tenant, id, text, &post.language).await?;
    store
        .update_published_text(tenant.row.id, id, actor_id, text, now)
        .await?;
    for p in store.publication_states(id).await? {
        if p.channel != WEBSITE_CHANNEL && p.status == st::PUBLISHED {
            enqueue(store, tenant.row.id, id, &p.channel, JobOp::Edit, now).await?;
        }
    }
    Ok(())
}

/// Takes a post off the news page and deletes it on every network (a publication not sent yet is
/// stopped). Where a platform does not allow deleting, the post says so.
pub async fn withdraw(
    store: &Store,
    tenant: &Tenant,
    id: i64,
    actor_id: i64,
    now: i64,
) -> Result<(), PublishError> {
    let post = store
        .post(tenant.row.id, id)
        .await?
        .ok_or(PublishError::PostNotFound)?;
    if !is_out(&post.status) {
        return Err(PublishError::NotPublished);
    }
    for p in store.publication_states(id).await? {
        if p.channel == WEBSITE_CHANNEL {
            if p.status == st::PUBLISHED {
                store
                    .record_publication_note(
                        id,
                        &p.channel,
                        Some(st::DELETED),
                        None,
                        "Von der Nachrichtenseite genommen / removed from the news page",
                        now,
                    )
                    .await?;
            }
        } else if matches!(p.status.as_str(), st::PUBLISHED | st::PENDING | st::SENDING) {
            enqueue(store, tenant.row.id, id, &p.channel, JobOp::Delete, now).await?;
        }
    }
    store
        .audit(
            AuditEvent::new(
                Some(tenant.row.id),
                format!("staff:{actor_id}"),
                "post.withdraw",
            )
            .target(format!("post:{id}")),
            now,
        )
        .await?;
    Ok(())
}
