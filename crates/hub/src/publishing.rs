//! Posts from composition to publication: each workflow step checked by the domain and stored, and publishing to the town's own news page.
//!
//! The town's news page (the built-in channel `website`) always gets the post; it is published the
//! moment the post is due. Each network channel gets a publishing job ([`crate::publish_jobs`]), also
//! one removed since the post was composed (its job ends it with a note). Only a configured channel
//! left without an adapter (every network has one; tests can wire adapters by hand) stays `pending`
//! with [`NOT_CONNECTED`].

use std::collections::BTreeMap;

use jiff::tz::TimeZone;
use jiff::Timestamp;
use rathaus_domain::publishing::workflow::resolve_publish_at;
use rathaus_domain::publishing::{
    Actor, ChannelTarget, Composition, Finding, ImageRef, MastodonLimits, Policy, PostStatus,
    PostWorkflow, PublishAt, Transition, WorkflowError,
};
use rathaus_store::{NewPost, PostImage, PostRecord, PostStep, Store, StoreError, WEBSITE_CHANNEL};

use crate::{Registry, Tenant};

/// Shown on a network channel whose adapter is not built yet.
pub const NOT_CONNECTED: &str = "Kanal noch nicht angebunden / channel not yet connected";
/// Images one post may carry.
pub const MAX_IMAGES: usize = 4;

/// What the composer sends.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub text: String,
    pub language: String,
    /// Configured channel names; `website` is added when missing.
    pub channels: Vec<String>,
    pub media: Vec<i64>,
    pub variants: BTreeMap<String, String>,
    pub publish_at: Option<Timestamp>,
}

/// Why a step was refused.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// Blocking findings (first the one that names the problem); warnings come along.
    #[error("the post has blocking findings")]
    Findings(Vec<Finding>),
    #[error(transparent)]
    Workflow(#[from] WorkflowError),
    #[error("no publishing channel named '{0}'")]
    UnknownChannel(String),
    #[error("image {0} is unknown or already used in another post")]
    MediaUnavailable(i64),
    #[error("post not found")]
    PostNotFound,
    /// Editing or withdrawing needs a post that went out.
    #[error("the post has not been published")]
    NotPublished,
    /// Someone else moved the post on between reading and writing.
    #[error("the post was changed meanwhile")]
    Changed,
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn ms(t: Timestamp) -> i64 {
    t.as_millisecond()
}

fn ts(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn policy(tenant: &Tenant) -> Policy {
    Policy {
        four_eyes: tenant.settings.publishing.four_eyes,
        time_zone: TimeZone::get(&tenant.settings.timezone).unwrap_or(TimeZone::UTC),
    }
}

fn image_refs(images: &[PostImage]) -> Vec<ImageRef> {
    images
        .iter()
        .map(|i| ImageRef {
            id: i.id.to_string(),
            alt: i.alt.clone(),
            bytes_len: u64::try_from(i.bytes_len).unwrap_or(0),
            width: u32::try_from(i.width).unwrap_or(0),
            height: u32::try_from(i.height).unwrap_or(0),
        })
        .collect()
}

/// Everything the domain finds about the post. The news page has no limits of its own and is always
/// a target, so "no channel chosen" does not apply.
fn findings(
    text: &str,
    language: &str,
    networks: Vec<ChannelTarget>,
    images: &[PostImage],
    variants: &BTreeMap<String, String>,
    mastodon_limits: &BTreeMap<String, MastodonLimits>,
) -> Vec<Finding> {
    let composition = Composition {
        text: text.to_string(),
        language: language.to_string(),
        images: image_refs(images),
        videos: Vec::new(),
        channels: networks,
        variants: variants.clone(),
    };
    let mut found: Vec<Finding> = composition
        .check(mastodon_limits)
        .into_iter()
        .filter(|f| f.code != "channel_missing")
        .collect();
    if text.trim().is_empty() && images.is_empty() && !found.iter().any(|f| f.code == "text_empty")
    {
        found.insert(
            0,
            Finding::blocking(
                "text_empty",
                "Der Beitrag hat weder Text noch Bilder.".into(),
                "The post has neither text nor images.".into(),
            ),
        );
    }
    if images.len() > MAX_IMAGES {
        found.insert(
            0,
            Finding::blocking(
                "too_many_images",
                format!(
                    "{} Bilder; höchstens {MAX_IMAGES} pro Beitrag.",
                    images.len()
                ),
                format!("{} images; at most {MAX_IMAGES} per post.", images.len()),
            ),
        );
    }
    found
}

fn blocking(found: Vec<Finding>) -> Result<Vec<Finding>, PublishError> {
    if found.iter().any(Finding::is_blocking) {
        Err(PublishError::Findings(found))
    } else {
        Ok(found)
    }
}

/// The configured network channels among `names` (the news page left out), unknown names refused.
fn networks(tenant: &Tenant, names: &[String]) -> Result<Vec<ChannelTarget>, PublishError> {
    let mut out: Vec<ChannelTarget> = Vec::new();
    for name in names {
        if name == WEBSITE_CHANNEL || out.iter().any(|c| &c.name == name) {
            continue;
        }
        match tenant.settings.publishing.channel(name) {
            Some(c) => out.push(c.clone()),
            None => return Err(PublishError::UnknownChannel(name.clone())),
        }
    }
    Ok(out)
}

/// Stores a new draft after checking it; returns its id.
pub async fn create(
    store: &Store,
    tenant: &Tenant,
    author_id: i64,
    draft: &Draft,
    now: i64,
) -> Result<i64, PublishError> {
    let networks = networks(tenant, &draft.channels)?;
    let images = store.post_images_by_id(tenant.row.id, &draft.media).await?;
    let mut ordered = Vec::with_capacity(draft.media.len());
    for id in &draft.media {
        match images.iter().find(|i| i.id == *id && i.post_id.is_none()) {
            Some(i) if !ordered.iter().any(|o: &PostImage| o.id == *id) => ordered.push(i.clone()),
            _ => return Err(PublishError::MediaUnavailable(*id)),
        }
    }
    let limits = crate::publish_jobs::mastodon_limits(tenant, &networks).await;
    blocking(findings(
        &draft.text,
        &draft.language,
        networks.clone(),
        &ordered,
        &draft.variants,
        &limits,
    ))?;
    if let Some(at) = draft.publish_at {
        resolve_publish_at(&PublishAt::Instant(at), ts(now), &policy(tenant).time_zone)?;
    }
    let mut channels = vec![(WEBSITE_CHANNEL.to_string(), WEBSITE_CHANNEL.to_string())];
    channels.extend(
        networks
            .iter()
            .map(|c| (c.name.clone(), c.kind.as_str().to_string())),
    );
    let new = NewPost {
        municipality_id: tenant.row.id,
        author_id,
        text: &draft.text,
        language: draft.language.trim(),
        variants: &draft.variants,
        channels: &channels,
        images: &draft.media,
        publish_at: draft.publish_at.map(ms),
    };
    store.create_post(&new, now).await.map_err(|e| match e {
        StoreError::Invalid(_) => {
            PublishError::MediaUnavailable(draft.media.first().copied().unwrap_or(0))
        }
        e => PublishError::Store(e),
    })
}

/// Checks a new text for a stored post's channels and images (editing after publication).
pub(crate) async fn check_text(
    store: &Store,
    tenant: &Tenant,
    id: i64,
    text: &str,
    language: &str,
) -> Result<Vec<Finding>, PublishError> {
    let post = store
        .post(tenant.row.id, id)
        .await?
        .ok_or(PublishError::PostNotFound)?;
    let networks: Vec<ChannelTarget> = store
        .publications(id)
        .await?
        .iter()
        .filter_map(|p| tenant.settings.publishing.channel(&p.channel).cloned())
        .collect();
    let images = store.post_images(id).await?;
    let limits = crate::publish_jobs::mastodon_limits(tenant, &networks).await;
    blocking(findings(
        text,
        language,
        networks,
        &images,
        &post.variants,
        &limits,
    ))
}

/// A stored post with what the workflow needs.
struct Loaded {
    post: PostRecord,
    workflow: PostWorkflow,
    findings: Vec<Finding>,
}

async fn load(store: &Store, tenant: &Tenant, id: i64) -> Result<Loaded, PublishError> {
    let post = store
        .post(tenant.row.id, id)
        .await?
        .ok_or(PublishError::PostNotFound)?;
    let status = PostStatus::parse(&post.status)
        .ok_or_else(|| StoreError::Invalid(format!("post {id}: unknown status")))?;
    let names: Vec<String> = store
        .publications(id)
        .await?
        .into_iter()
        .map(|p| p.channel)
        .collect();
    // A channel removed from the configuration since composing no longer counts.
    let networks: Vec<ChannelTarget> = names
        .iter()
        .filter_map(|n| tenant.settings.publishing.channel(n).cloned())
        .collect();
    let images = store.post_images(id).await?;
    let limits = crate::publish_jobs::mastodon_limits(tenant, &networks).await;
    let findings = findings(
        &post.text,
        &post.language,
        networks,
        &images,
        &post.variants,
        &limits,
    );
    let workflow = PostWorkflow {
        status,
        author: post.author_id.to_string(),
        approved_by: post.approved_by.map(|a| a.to_string()),
        publish_at: post.publish_at.map(ts),
    };
    Ok(Loaded {
        post,
        workflow,
        findings,
    })
}

/// Stores one domain transition; `Changed` when the post moved on meanwhile.
async fn apply(
    store: &Store,
    tenant: &Tenant,
    post_id: i64,
    wf: &PostWorkflow,
    t: &Transition,
) -> Result<(), PublishError> {
    let actor_id = match &t.actor {
        Actor::Staff(id) => Some(
            id.parse::<i64>()
                .map_err(|_| StoreError::Invalid(format!("staff id '{id}'")))?,
        ),
        Actor::System => None,
    };
    let approved_by = wf
        .approved_by
        .as_deref()
        .and_then(|a| a.parse::<i64>().ok());
    let published = matches!(t.to, PostStatus::Published | PostStatus::PartlyFailed);
    let step = PostStep {
        from: t.from.as_str(),
        to: t.to.as_str(),
        action: t.action.as_str(),
        actor_id,
        comment: t.comment.as_deref(),
        at: ms(t.at),
        approved_by,
        publish_at: wf.publish_at.map(ms),
        published_at: published.then_some(ms(t.at)),
    };
    if store.apply_post_step(tenant.row.id, post_id, &step).await? {
        Ok(())
    } else {
        Err(PublishError::Changed)
    }
}

/// Asks for approval.
pub async fn submit(
    store: &Store,
    tenant: &Tenant,
    id: i64,
    actor_id: i64,
    now: i64,
) -> Result<(), PublishError> {
    let mut l = load(store, tenant, id).await?;
    blocking(l.findings.clone())?;
    let t = l
        .workflow
        .submit(&actor_id.to_string(), ts(now), &l.findings)?;
    apply(store, tenant, id, &l.workflow, &t).await
}

/// Approves (not the author, under four-eyes), schedules at the post's time or now, and publishes
/// at once when due.
pub async fn approve(
    store: &Store,
    registry: &Registry,
    tenant: &Tenant,
    id: i64,
    actor_id: i64,
    now: i64,
) -> Result<(), PublishError> {
    let mut l = load(store, tenant, id).await?;
    let policy = policy(tenant);
    let actor = actor_id.to_string();
    if l.workflow.status != PostStatus::Approved {
        blocking(l.findings.clone())?;
        let t = l.workflow.approve(&actor, ts(now), &policy, &l.findings)?;
        apply(store, tenant, id, &l.workflow, &t).await?;
    }
    // A time that passed while the post waited for approval means "now".
    let when = match l.post.publish_at {
        Some(at) if at > now => PublishAt::Instant(ts(at)),
        _ => PublishAt::Now,
    };
    let t = l
        .workflow
        .schedule(&actor, ts(now), &when, &policy, &l.findings)?;
    apply(store, tenant, id, &l.workflow, &t).await?;
    if l.workflow.publish_at.is_some_and(|at| ms(at) <= now) {
        publish(store, registry, tenant, id, now).await?;
    }
    Ok(())
}

/// Sends the post back to its author with a comment.
pub async fn reject(
    store: &Store,
    tenant: &Tenant,
    id: i64,
    actor_id: i64,
    comment: &str,
    now: i64,
) -> Result<(), PublishError> {
    let mut l = load(store, tenant, id).await?;
    let t = l
        .workflow
        .reject(&actor_id.to_string(), ts(now), &policy(tenant), comment)?;
    apply(store, tenant, id, &l.workflow, &t).await
}

/// The public address of a post on the news page.
pub fn post_url(public_url: &str, slug: &str, id: i64) -> String {
    format!("{}/{slug}/beitrag/{id}", public_url.trim_end_matches('/'))
}

/// Publishes a due, scheduled post: the news page at once, a publishing job for each network
/// channel. Another instance publishing the same post makes this a no-op.
pub async fn publish(
    store: &Store,
    registry: &Registry,
    tenant: &Tenant,
    id: i64,
    now: i64,
) -> Result<(), PublishError> {
    let mut l = load(store, tenant, id).await?;
    let t = l.workflow.start_publishing(ts(now))?;
    match apply(store, tenant, id, &l.workflow, &t).await {
        Err(PublishError::Changed) => return Ok(()),
        other => other?,
    }
    let mut waiting = 0;
    for p in store.publications(id).await? {
        if p.channel == WEBSITE_CHANNEL {
            let url = post_url(&registry.public_url, &tenant.row.slug, id);
            store
                .set_publication(id, &p.channel, "published", Some(&url), None, now)
                .await?;
        } else if tenant.publishers.get(&p.channel).is_some()
            || !tenant
                .settings
                .publishing
                .channels
                .iter()
                .any(|c| c.name == p.channel)
        {
            // A channel removed since the post was composed gets its job too: the job ends the
            // publication with a note (publish_jobs::CHANNEL_REMOVED), so the post can finish.
            waiting += 1;
            crate::publish_jobs::enqueue(
                store,
                tenant.row.id,
                id,
                &p.channel,
                crate::publish_jobs::JobOp::Publish,
                now,
            )
            .await?;
        } else {
            waiting += 1;
            store
                .set_publication(id, &p.channel, "pending", None, Some(NOT_CONNECTED), now)
                .await?;
        }
    }
    if waiting == 0 {
        let t = l.workflow.finish_publishing(ts(now), 1, 0)?;
        apply(store, tenant, id, &l.workflow, &t).await?;
    }
    Ok(())
}

/// Moves a publishing post to published, partly failed or failed once every channel has answered.
/// Another worker having done so already is fine.
pub(crate) async fn finish(
    store: &Store,
    tenant: &Tenant,
    id: i64,
    succeeded: usize,
    failed: usize,
    now: i64,
) -> Result<(), PublishError> {
    let mut l = load(store, tenant, id).await?;
    if l.workflow.status != PostStatus::Publishing {
        return Ok(());
    }
    let t = l.workflow.finish_publishing(ts(now), succeeded, failed)?;
    match apply(store, tenant, id, &l.workflow, &t).await {
        Err(PublishError::Changed) => Ok(()),
        other => other,
    }
}

/// Publishes every scheduled post whose time has come; returns how many were started.
pub async fn publish_due(
    store: &Store,
    registry: &Registry,
    now: i64,
) -> Result<usize, PublishError> {
    let mut n = 0;
    for (municipality_id, id) in store.due_posts(now).await? {
        let Some(tenant) = registry.tenant(municipality_id) else {
            continue;
        };
        match publish(store, registry, tenant, id, now).await {
            Ok(()) => n += 1,
            Err(e) => {
                tracing::error!(post = id, error = %e, "publishing a due post failed; tried again later")
            }
        }
    }
    Ok(n)
}
