//! Publishing jobs: one queued job per (post, network channel) that publishes, edits or deletes there, never posting twice.
//!
//! Never a double post: before the platform is called the attempt is recorded with its idempotency
//! key (status `sending`); the result is recorded after. A job that finds its publication still
//! `sending` knows an earlier attempt's outcome is unknown (timeout, crash) and resolves it first —
//! repeating with the same key inside the platform's idempotency window, else looking the post up,
//! else leaving it `unknown` for a person to check. Nothing is ever sent blindly a second time.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use rand::Rng as _;
use rathaus_channels::publish::{
    publisher, Lookup, NetworkConfig, OutgoingPost, PostImage, PublishError, Publisher, RemotePost,
};
use rathaus_channels::staging::MediaStage;
use rathaus_domain::publishing::{ChannelTarget, Composition, MastodonLimits, PublishKind};
use rathaus_domain::Backoff;
use rathaus_store::{
    now_ms, publication_status as st, ClaimedJob, JobKind, PublicationState, Store, StoreError,
};
use serde::{Deserialize, Serialize};

use crate::media_stage::StoreMediaStage;
use crate::outbox::Verdict;
use crate::registry::{Registry, Tenant};

/// Shown when an attempt's outcome cannot be found out on the platform.
pub const OUTCOME_UNCLEAR: &str = "Unklar, ob der Beitrag erschienen ist (keine Antwort der Plattform); bitte dort nachsehen, Rathaus sendet ihn nicht noch einmal / unclear whether the post appeared (no answer from the platform); please check there, Rathaus does not send it again";

/// A publication whose channel was removed before its job ran.
pub const CHANNEL_REMOVED: &str =
    "Kanal wurde entfernt, bevor der Beitrag dort erschien / channel was removed before the post went out";

/// One configured network channel with its adapter.
#[derive(Clone)]
pub struct PublishChannel {
    pub name: String,
    pub kind: PublishKind,
    pub publisher: Arc<dyn Publisher>,
}

impl std::fmt::Debug for PublishChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublishChannel")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// A municipality's network channels that have an adapter.
#[derive(Debug, Clone, Default)]
pub struct Publishers(Vec<PublishChannel>);

impl Publishers {
    /// Adapters for every configured channel whose network has one; the others stay "not connected".
    /// `public_url`: this server's public address (Instagram fetches images from it, staged in the
    /// store so that every web process of the deployment can serve them).
    pub fn build(
        configs: &[NetworkConfig],
        http: &reqwest::Client,
        public_url: &str,
        store: &Store,
    ) -> Publishers {
        let stage: Arc<dyn MediaStage> = Arc::new(StoreMediaStage::new(store.clone()));
        Publishers(
            configs
                .iter()
                .filter_map(|c| {
                    publisher(c, http.clone(), public_url, stage.clone()).map(|p| PublishChannel {
                        name: c.name(),
                        kind: c.kind(),
                        publisher: p,
                    })
                })
                .collect(),
        )
    }

    /// Wraps ready-made adapters (tests).
    pub fn from_channels(channels: Vec<PublishChannel>) -> Publishers {
        Publishers(channels)
    }

    pub fn get(&self, name: &str) -> Option<&PublishChannel> {
        self.0.iter().find(|c| c.name == name)
    }

    pub fn iter(&self) -> impl Iterator<Item = &PublishChannel> {
        self.0.iter()
    }
}

/// The character limit each Mastodon channel's instance reports (`/api/v2/instance`, remembered
/// for an hour), for the composer's checks; an instance that does not answer within two seconds
/// keeps the stock limits.
pub async fn mastodon_limits(
    tenant: &Tenant,
    networks: &[ChannelTarget],
) -> BTreeMap<String, MastodonLimits> {
    let mut out = BTreeMap::new();
    for n in networks.iter().filter(|n| n.kind == PublishKind::Mastodon) {
        let Some(channel) = tenant.publishers.get(&n.name) else {
            continue;
        };
        let asked =
            tokio::time::timeout(Duration::from_secs(2), channel.publisher.max_characters()).await;
        if let Ok(Some(max)) = asked {
            let max = usize::try_from(max).unwrap_or(usize::MAX);
            out.insert(n.name.clone(), MastodonLimits::with_max_characters(max));
        }
    }
    out
}

/// What a job does on its channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobOp {
    Publish,
    Edit,
    Delete,
}

/// The queued job's payload (no personal data: posts are public).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishJob {
    pub post_id: i64,
    pub channel: String,
    pub op: JobOp,
}

/// Queues one job to run now.
pub async fn enqueue(
    store: &Store,
    municipality_id: i64,
    post_id: i64,
    channel: &str,
    op: JobOp,
    now: i64,
) -> Result<(), StoreError> {
    let payload = serde_json::to_vec(&PublishJob {
        post_id,
        channel: channel.to_string(),
        op,
    })
    .map_err(|e| StoreError::Invalid(format!("publish job: {e}")))?;
    store
        .enqueue_job(municipality_id, JobKind::Publish, &payload, now, now)
        .await?;
    Ok(())
}

fn new_idempotency_key(post_id: i64) -> String {
    format!(
        "rathaus-{post_id}-{:032x}",
        rand::thread_rng().gen::<u128>()
    )
}

/// What goes to this channel: its text variant, the images with their alt texts.
async fn outgoing(
    store: &Store,
    tenant: &Tenant,
    post_id: i64,
    channel: &PublishChannel,
    key: String,
    first_attempt_at: i64,
) -> Result<OutgoingPost, String> {
    let post = store
        .post(tenant.row.id, post_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("post is gone")?;
    let images = store
        .post_images(post_id)
        .await
        .map_err(|e| e.to_string())?;
    let bytes = store
        .post_image_bytes(post_id)
        .await
        .map_err(|e| e.to_string())?;
    let composition = Composition {
        text: post.text.clone(),
        language: post.language.clone(),
        images: Vec::new(),
        videos: Vec::new(),
        channels: vec![ChannelTarget::new(channel.name.clone(), channel.kind)],
        variants: post.variants.clone(),
    };
    let text = composition.text_for(&channel.name).to_string();
    let images = images
        .iter()
        .filter_map(|i| {
            let b = bytes.iter().find(|(id, _)| *id == i.id)?;
            Some(PostImage {
                bytes: b.1.clone(),
                mime: i.mime.clone(),
                alt: i.alt.clone(),
                width: u32::try_from(i.width).unwrap_or(0),
                height: u32::try_from(i.height).unwrap_or(0),
            })
        })
        .collect();
    Ok(OutgoingPost {
        idempotency_key: key,
        text,
        language: post.language,
        images,
        first_attempt_at,
    })
}

/// Retry timing for a failed platform call; `None` means "stop trying".
fn retry_delay(err: &PublishError, attempts: i64, backoff: &Backoff, jitter: f64) -> Option<u64> {
    let attempt = u32::try_from(attempts.max(1)).unwrap_or(u32::MAX);
    match err {
        // A rate limit is the platform asking us to wait, not a failure: it does not use up tries
        // as quickly (four times the usual number).
        PublishError::RateLimited { retry_after_ms, .. } => {
            (attempt < backoff.max_attempts.saturating_mul(4)).then_some(*retry_after_ms)
        }
        PublishError::Retryable { retry_after_ms, .. } => (!backoff.gives_up_after(attempt))
            .then(|| backoff.delay_ms(attempt, jitter, *retry_after_ms)),
        PublishError::UnknownOutcome { .. } => {
            (!backoff.gives_up_after(attempt)).then(|| backoff.delay_ms(attempt, jitter, None))
        }
        PublishError::Permanent { .. } | PublishError::Unsupported { .. } => None,
    }
}

fn retry_note(err: &PublishError) -> String {
    format!("Neuer Versuch folgt / will be retried: {err}")
}

/// Runs one publishing job. When our own side keeps failing (database, decoding) until the job
/// gives up, the publication says so instead of staying pending for ever.
pub(crate) async fn run(
    store: &Store,
    registry: &Registry,
    job: &ClaimedJob,
    backoff: &Backoff,
    jitter: f64,
) -> Result<Verdict, String> {
    let result = run_job(store, registry, job, backoff, jitter).await;
    let attempt = u32::try_from(job.attempts.max(1)).unwrap_or(u32::MAX);
    if let (Err(reason), true) = (&result, backoff.gives_up_after(attempt)) {
        let pj: Option<PublishJob> = serde_json::from_slice(&job.payload).ok();
        if let (Some(pj), Some(tenant)) = (pj, registry.tenant(job.municipality_id)) {
            if pj.op == JobOp::Publish {
                let message = format!(
                    "Interner Fehler, nach {attempt} Versuchen aufgegeben / internal error, gave up after {attempt} attempts: {reason}"
                );
                let status = match store.publication_state(pj.post_id, &pj.channel).await {
                    // An attempt may have reached the platform: a person must look.
                    Ok(Some(s)) if s.status == st::SENDING => Some(st::UNKNOWN),
                    Ok(Some(s)) if s.status == st::PENDING => Some(st::FAILED),
                    // Already decided (or unreadable): leave it.
                    _ => None,
                };
                let Some(status) = status else {
                    return result;
                };
                if let Err(e) = conclude(
                    store,
                    tenant,
                    pj.post_id,
                    &pj.channel,
                    status,
                    Some(&message),
                )
                .await
                {
                    tracing::error!(post = pj.post_id, error = %e, "could not record the given-up publication");
                }
            }
        }
    }
    result
}

async fn run_job(
    store: &Store,
    registry: &Registry,
    job: &ClaimedJob,
    backoff: &Backoff,
    jitter: f64,
) -> Result<Verdict, String> {
    let pj: PublishJob = serde_json::from_slice(&job.payload).map_err(|e| e.to_string())?;
    let Some(tenant) = registry.tenant(job.municipality_id) else {
        return Ok(Verdict::GiveUp {
            reason: "municipality is no longer configured".into(),
        });
    };
    let Some(state) = store
        .publication_state(pj.post_id, &pj.channel)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(Verdict::GiveUp {
            reason: "publication not found".into(),
        });
    };
    let Some(channel) = tenant.publishers.get(&pj.channel).cloned() else {
        // Jobs are queued only for channels with an adapter, so the channel was removed (in the
        // admin UI or the file) since. Once more after a wait first: this process's registry may
        // predate a channel just added by another process (it is rebuilt every round).
        if job.attempts <= 1 {
            return Ok(Verdict::RetryIn {
                delay_ms: backoff.delay_ms(1, jitter, None),
                reason: "channel not configured in this process (yet)".into(),
            });
        }
        if pj.op == JobOp::Publish && state.status == st::PENDING {
            return conclude(
                store,
                tenant,
                pj.post_id,
                &pj.channel,
                st::FAILED,
                Some(CHANNEL_REMOVED),
            )
            .await;
        }
        return Ok(Verdict::GiveUp {
            reason: "channel is no longer configured".into(),
        });
    };
    match pj.op {
        JobOp::Publish => publish(store, tenant, &channel, &state, job, backoff, jitter).await,
        JobOp::Edit => edit(store, tenant, &channel, &state, job, backoff, jitter).await,
        JobOp::Delete => delete(store, tenant, &channel, &state, job, backoff, jitter).await,
    }
}

/// Records a result that ends this channel's publishing and moves the post on when it was the last.
async fn conclude(
    store: &Store,
    tenant: &Tenant,
    post_id: i64,
    channel: &str,
    status: &str,
    error: Option<&str>,
) -> Result<Verdict, String> {
    let now = now_ms();
    store
        .record_publication_outcome(post_id, channel, status, error, now)
        .await
        .map_err(|e| e.to_string())?;
    finish_if_done(store, tenant, post_id, now).await?;
    Ok(Verdict::Done)
}

/// When no channel is pending or in flight any more, the post is published, partly failed or failed.
async fn finish_if_done(
    store: &Store,
    tenant: &Tenant,
    post_id: i64,
    now: i64,
) -> Result<(), String> {
    let states = store
        .publication_states(post_id)
        .await
        .map_err(|e| e.to_string())?;
    if states
        .iter()
        .any(|s| s.status == st::PENDING || s.status == st::SENDING)
    {
        return Ok(());
    }
    let ok = states
        .iter()
        .filter(|s| s.status == st::PUBLISHED || s.status == st::DELETED)
        .count();
    let failed = states.len() - ok;
    crate::publishing::finish(store, tenant, post_id, ok, failed, now)
        .await
        .map_err(|e| e.to_string())
}

async fn publish(
    store: &Store,
    tenant: &Tenant,
    channel: &PublishChannel,
    state: &PublicationState,
    job: &ClaimedJob,
    backoff: &Backoff,
    jitter: f64,
) -> Result<Verdict, String> {
    let (post_id, name) = (state.post_id, channel.name.as_str());
    if state.status != st::PENDING && state.status != st::SENDING {
        // Already decided (published, failed, deleted): a repeated job changes nothing.
        return Ok(Verdict::Done);
    }
    let caps = channel.publisher.capabilities();
    let now = now_ms();
    if state.status == st::SENDING {
        // An earlier attempt may have reached the platform.
        let age = now - state.first_attempt_at.unwrap_or(now);
        let same_key_is_safe = caps.idempotency_window_ms.is_some_and(|w| age < w);
        if !same_key_is_safe {
            if !caps.lookup {
                tracing::warn!(
                    post = post_id,
                    channel = name,
                    "publication outcome unknown; left for a person to check"
                );
                return conclude(
                    store,
                    tenant,
                    post_id,
                    name,
                    st::UNKNOWN,
                    Some(OUTCOME_UNCLEAR),
                )
                .await;
            }
            let probe = outgoing(
                store,
                tenant,
                post_id,
                channel,
                state.idempotency_key.clone().unwrap_or_default(),
                state.first_attempt_at.unwrap_or(now),
            )
            .await?;
            match channel.publisher.find_existing(&probe).await {
                Ok(Lookup::Found(remote)) => {
                    return record_published(store, tenant, state, &remote).await
                }
                Ok(Lookup::NotFound) => {}
                Err(e) => {
                    return Ok(match retry_delay(&e, job.attempts, backoff, jitter) {
                        Some(delay_ms) => Verdict::RetryIn {
                            delay_ms,
                            reason: e.to_string(),
                        },
                        None => {
                            conclude(
                                store,
                                tenant,
                                post_id,
                                name,
                                st::UNKNOWN,
                                Some(OUTCOME_UNCLEAR),
                            )
                            .await?
                        }
                    })
                }
            }
        }
    }
    // Durable before the call: the key, the start, `sending`.
    let Some(attempt) = store
        .begin_publication_attempt(post_id, name, &new_idempotency_key(post_id), now)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(Verdict::Done);
    };
    let post = outgoing(
        store,
        tenant,
        post_id,
        channel,
        attempt.idempotency_key,
        attempt.first_attempt_at,
    )
    .await?;
    match channel.publisher.publish(&post).await {
        Ok(remote) => record_published(store, tenant, state, &remote).await,
        Err(e) => after_failure(store, tenant, state, &e, job, backoff, jitter).await,
    }
}

async fn record_published(
    store: &Store,
    tenant: &Tenant,
    state: &PublicationState,
    remote: &RemotePost,
) -> Result<Verdict, String> {
    let now = now_ms();
    store
        .record_publication_published(
            state.post_id,
            &state.channel,
            &remote.id,
            remote.url.as_deref(),
            now,
        )
        .await
        .map_err(|e| e.to_string())?;
    finish_if_done(store, tenant, state.post_id, now).await?;
    Ok(Verdict::Done)
}

async fn after_failure(
    store: &Store,
    tenant: &Tenant,
    state: &PublicationState,
    err: &PublishError,
    job: &ClaimedJob,
    backoff: &Backoff,
    jitter: f64,
) -> Result<Verdict, String> {
    let (post_id, name) = (state.post_id, state.channel.as_str());
    tracing::warn!(post = post_id, channel = name, error = %err, "publishing attempt failed");
    let Some(delay_ms) = retry_delay(err, job.attempts, backoff, jitter) else {
        return match err {
            PublishError::UnknownOutcome { .. } => {
                conclude(
                    store,
                    tenant,
                    post_id,
                    name,
                    st::UNKNOWN,
                    Some(OUTCOME_UNCLEAR),
                )
                .await
            }
            PublishError::Permanent { message } | PublishError::Unsupported { message } => {
                conclude(store, tenant, post_id, name, st::FAILED, Some(message)).await
            }
            other => {
                let attempt = job.attempts.max(1);
                let reason = format!(
                    "{other} (nach {attempt} Versuchen aufgegeben / gave up after {attempt} attempts)"
                );
                conclude(store, tenant, post_id, name, st::FAILED, Some(&reason)).await
            }
        };
    };
    // The platform did not take it (back to pending), or may have (stays sending: resolved first).
    let status = match err {
        PublishError::UnknownOutcome { .. } => st::SENDING,
        _ => st::PENDING,
    };
    store
        .record_publication_outcome(post_id, name, status, Some(&retry_note(err)), now_ms())
        .await
        .map_err(|e| e.to_string())?;
    Ok(Verdict::RetryIn {
        delay_ms,
        reason: err.to_string(),
    })
}

fn remote_of(state: &PublicationState) -> Option<RemotePost> {
    Some(RemotePost {
        id: state.remote_id.clone()?,
        url: state.url.clone(),
    })
}

fn local_time(tenant: &Tenant, ms: i64) -> String {
    let tz = jiff::tz::TimeZone::get(&tenant.settings.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_zoned(tz).strftime("%d.%m.%Y %H:%M").to_string())
        .unwrap_or_default()
}

/// Records what happened to a channel's post after publishing (a note, optionally a new status and
/// link); the follow-up job is then done.
async fn noted(
    store: &Store,
    post_id: i64,
    channel: &str,
    status: Option<&str>,
    url: Option<&str>,
    note: &str,
    now: i64,
) -> Result<Verdict, String> {
    store
        .record_publication_note(post_id, channel, status, url, note, now)
        .await
        .map_err(|e| e.to_string())?;
    Ok(Verdict::Done)
}

async fn edit(
    store: &Store,
    tenant: &Tenant,
    channel: &PublishChannel,
    state: &PublicationState,
    job: &ClaimedJob,
    backoff: &Backoff,
    jitter: f64,
) -> Result<Verdict, String> {
    let (post_id, name) = (state.post_id, channel.name.as_str());
    if state.status == st::PENDING || state.status == st::SENDING {
        // Not out yet: the publish job sends the new text anyway; an unknown attempt resolves first.
        if state.status == st::PENDING {
            return Ok(Verdict::Done);
        }
        return Ok(Verdict::RetryIn {
            delay_ms: 5_000,
            reason: "waiting for the publication to be resolved".into(),
        });
    }
    let Some(remote) = remote_of(state).filter(|_| state.status == st::PUBLISHED) else {
        return Ok(Verdict::Done);
    };
    let now = now_ms();
    if !channel.publisher.capabilities().edit {
        let note = format!(
            "Bearbeiten ist auf {} nicht möglich; dort steht weiter der alte Text / editing is not possible on {}; the old text stays there",
            channel.kind.label_de(),
            channel.kind.label_en()
        );
        return noted(store, post_id, name, None, None, &note, now).await;
    }
    let post = outgoing(
        store,
        tenant,
        post_id,
        channel,
        state.idempotency_key.clone().unwrap_or_default(),
        state.first_attempt_at.unwrap_or(now),
    )
    .await?;
    match channel.publisher.edit(&remote, &post).await {
        Ok(edited) => {
            let when = local_time(tenant, now);
            noted(
                store,
                post_id,
                name,
                None,
                edited.url.as_deref(),
                &format!("Bearbeitet am {when} / edited on {when}"),
                now,
            )
            .await
        }
        Err(e) => match retry_delay(&e, job.attempts, backoff, jitter) {
            Some(delay_ms) => Ok(Verdict::RetryIn {
                delay_ms,
                reason: e.to_string(),
            }),
            None => {
                let note = format!("Bearbeiten nicht möglich / editing not possible: {e}");
                noted(store, post_id, name, None, None, &note, now).await
            }
        },
    }
}

async fn delete(
    store: &Store,
    tenant: &Tenant,
    channel: &PublishChannel,
    state: &PublicationState,
    job: &ClaimedJob,
    backoff: &Backoff,
    jitter: f64,
) -> Result<Verdict, String> {
    let (post_id, name) = (state.post_id, channel.name.as_str());
    let now = now_ms();
    if state.status == st::SENDING {
        return Ok(Verdict::RetryIn {
            delay_ms: 5_000,
            reason: "waiting for the publication to be resolved".into(),
        });
    }
    if state.status == st::PENDING {
        // Never sent: stop it from going out.
        return noted(
            store,
            post_id,
            name,
            Some(st::DELETED),
            None,
            "Zurückgezogen, bevor er erschien / withdrawn before it appeared",
            now,
        )
        .await;
    }
    let Some(remote) = remote_of(state).filter(|_| state.status == st::PUBLISHED) else {
        return Ok(Verdict::Done);
    };
    let refused = |e: &dyn std::fmt::Display| {
        format!(
            "Löschen auf {} nicht möglich, der Beitrag steht dort noch / deleting on {} not possible, the post is still there: {e}",
            channel.kind.label_de(),
            channel.kind.label_en()
        )
    };
    if !channel.publisher.capabilities().delete {
        let note = refused(&"die Plattform erlaubt es nicht / the platform does not allow it");
        return noted(store, post_id, name, None, None, &note, now).await;
    }
    match channel.publisher.delete(&remote).await {
        Ok(()) => {
            let when = local_time(tenant, now);
            noted(
                store,
                post_id,
                name,
                Some(st::DELETED),
                None,
                &format!("Gelöscht am {when} / deleted on {when}"),
                now,
            )
            .await
        }
        Err(e) => match retry_delay(&e, job.attempts, backoff, jitter) {
            Some(delay_ms) => Ok(Verdict::RetryIn {
                delay_ms,
                reason: e.to_string(),
            }),
            None => noted(store, post_id, name, None, None, &refused(&e), now).await,
        },
    }
}
