//! The worker loop: claims due jobs from the persistent queue and runs them, several at a time.

use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use rathaus_domain::Backoff;
use rathaus_store::{now_ms, ClaimedJob, JobKind, Store};
use tokio::sync::{watch, Notify};

use crate::gate::process_inbound;
use crate::live::RegistryHandle;
use crate::outbox::{self, Verdict};

#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// How long a claimed job stays ours before another worker may take it over (`[worker]
    /// lease_seconds`). When a worker dies mid-job (crash, `kill -9`, power loss) its jobs are run
    /// again once their lease has run out — by another worker or by this one after a restart.
    /// For publishing this is safe: a publishing job records its attempt (idempotency key, first
    /// attempt time, status `sending`) in the database *before* it calls the platform, so the rerun
    /// knows the earlier attempt may have reached it and resolves that first (the same
    /// `Idempotency-Key`, or looking the post up, or "unclear" for a person) instead of posting a
    /// second time. The lease must only be longer than the slowest job, so that a job still
    /// running is not taken over.
    pub lease_ms: i64,
    /// Jobs claimed per round.
    pub batch: i64,
    /// Sleep between rounds when the queue is empty (a webhook wakes the worker earlier).
    pub idle_poll: Duration,
    pub backoff: Backoff,
    /// How often the retention purge is attempted (one instance runs it, under a database lease).
    pub housekeeping_every: Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions {
            lease_ms: 5 * 60 * 1000,
            batch: 32,
            idle_poll: Duration::from_millis(1000),
            backoff: Backoff::default(),
            housekeeping_every: Duration::from_secs(60 * 60),
        }
    }
}

/// Runs queued jobs. Cheap to clone; `wake()` shortens the wait after new jobs were queued.
#[derive(Clone)]
pub struct Worker {
    store: Store,
    registry: RegistryHandle,
    options: WorkerOptions,
    id: String,
    wake: Arc<Notify>,
}

impl Worker {
    pub fn new(store: Store, registry: RegistryHandle, options: WorkerOptions) -> Worker {
        let id = format!(
            "worker-{}-{:08x}",
            std::process::id(),
            rand::thread_rng().gen::<u32>()
        );
        Worker {
            store,
            registry,
            options,
            id,
            wake: Arc::new(Notify::new()),
        }
    }

    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Processes jobs until `shutdown` turns true. Jobs in flight finish; their leases protect the rest.
    pub async fn run(&self, mut shutdown: watch::Receiver<bool>) {
        tracing::info!(worker = %self.id, "worker started");
        let mut next_housekeeping = tokio::time::Instant::now();
        let mut next_publish_check = tokio::time::Instant::now();
        loop {
            if *shutdown.borrow() {
                break;
            }
            // Settings changed in the admin UI (by any process): rebuild before the next jobs run.
            match self.registry.refresh_if_changed(now_ms()).await {
                Ok(true) => tracing::info!(worker = %self.id, "settings changed; registry rebuilt"),
                Ok(false) => {}
                Err(e) => tracing::error!(error = %e, "checking for changed settings failed"),
            }
            // Scheduled posts: every instance looks; the status step lets only one publish each.
            if tokio::time::Instant::now() >= next_publish_check {
                next_publish_check = tokio::time::Instant::now() + Duration::from_secs(30);
                if let Err(e) =
                    crate::publishing::publish_due(&self.store, &self.registry.current(), now_ms())
                        .await
                {
                    tracing::error!(error = %e, "checking for due posts failed; tried again later");
                }
            }
            if tokio::time::Instant::now() >= next_housekeeping {
                next_housekeeping += self.options.housekeeping_every;
                if let Err(e) = self.housekeeping(now_ms()).await {
                    tracing::error!(error = %e, "retention purge failed; it is tried again later");
                }
            }
            let worked = match self.run_round().await {
                Ok(n) => n > 0,
                Err(e) => {
                    tracing::error!(error = %e, "claiming jobs failed");
                    false
                }
            };
            if !worked {
                tokio::select! {
                    _ = self.wake.notified() => {}
                    _ = tokio::time::sleep(self.options.idle_poll) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
        tracing::info!(worker = %self.id, "worker stopped");
    }

    /// Claims one batch and runs it; returns how many jobs ran.
    pub async fn run_round(&self) -> Result<usize, rathaus_store::StoreError> {
        let jobs = self
            .store
            .claim_jobs(
                &self.id,
                now_ms(),
                self.options.lease_ms,
                self.options.batch,
            )
            .await?;
        let n = jobs.len();
        // Inbound events run in arrival order so a citizen's opt-in is seen before their next message;
        // outgoing work runs concurrently.
        let (inbound, other): (Vec<_>, Vec<_>) =
            jobs.into_iter().partition(|j| j.kind == JobKind::Inbound);
        let mut set = tokio::task::JoinSet::new();
        for job in other {
            let w = self.clone();
            set.spawn(async move { w.run_job(job).await });
        }
        for job in inbound {
            self.run_job(job).await;
        }
        while set.join_next().await.is_some() {}
        Ok(n)
    }

    /// The retention purge for every municipality, run by whichever instance holds the lease.
    /// Returns false when another instance holds it.
    pub async fn housekeeping(&self, now: i64) -> Result<bool, rathaus_store::StoreError> {
        let ttl =
            i64::try_from(self.options.housekeeping_every.as_millis()).unwrap_or(i64::MAX / 4);
        if !self
            .store
            .try_lease("retention-purge", &self.id, now, ttl)
            .await?
        {
            return Ok(false);
        }
        let mut audit_years = 0;
        let registry = self.registry.current();
        for t in registry.tenants() {
            let tz = t.settings.timezone.clone();
            let report = self
                .store
                .purge_municipality(
                    t.row.id,
                    &t.settings.retention,
                    |ms| crate::gate::local_day(&tz, ms),
                    now,
                )
                .await?;
            audit_years = audit_years.max(t.settings.retention.audit_years);
            if report != rathaus_store::PurgeReport::default() {
                tracing::info!(municipality = %t.row.slug, ?report, "retention purge");
                let details = format!(
                    "concerns={} messages={} media={} citizens={} consents={} counters={}",
                    report.concerns,
                    report.messages,
                    report.media,
                    report.citizens,
                    report.consents,
                    report.counters
                );
                self.store
                    .audit(
                        rathaus_store::AuditEvent::new(Some(t.row.id), "system", "retention.purge")
                            .details(details),
                        now,
                    )
                    .await?;
            }
        }
        // Images staged for Instagram that a crash (or a lost withdrawal) left behind: already
        // unreachable once expired, deleted here.
        let staged = self.store.purge_expired_staged_media(now).await?;
        if staged > 0 {
            tracing::info!(images = staged, "expired staged images purged");
        }
        if audit_years > 0 {
            let cutoff = now - i64::from(audit_years) * 365 * rathaus_domain::retention::DAY_MS;
            self.store.purge_audit_before(cutoff, now).await?;
        }
        Ok(true)
    }

    /// Runs rounds until the queue has nothing due (for tests and the CLI).
    pub async fn drain(&self) -> Result<usize, rathaus_store::StoreError> {
        let mut total = 0;
        loop {
            let n = self.run_round().await?;
            if n == 0 {
                return Ok(total);
            }
            total += n;
        }
    }

    async fn run_job(&self, job: ClaimedJob) {
        let jitter: f64 = rand::thread_rng().gen();
        let b = &self.options.backoff;
        let registry = self.registry.current();
        let result = match job.kind {
            JobKind::Inbound => process_inbound(
                &self.store,
                &registry,
                job.municipality_id,
                &job.payload,
                now_ms(),
            )
            .await
            .map(|outcome| {
                tracing::debug!(job = job.id, ?outcome, "inbound event processed");
                Verdict::Done
            })
            .map_err(|e| e.to_string()),
            JobKind::SendReply => outbox::send_reply(&self.store, &registry, &job, b, jitter).await,
            JobKind::Notify => outbox::notify(&registry, &job, b, jitter).await,
            JobKind::FetchMedia => {
                outbox::fetch_media(&self.store, &registry, &job, b, jitter).await
            }
            JobKind::Publish => {
                crate::publish_jobs::run(&self.store, &registry, &job, b, jitter).await
            }
        };
        let verdict = match result {
            Ok(v) => v,
            Err(reason) => {
                // Our own failure (database, decoding): retry with backoff, give up after the last attempt.
                let attempt = u32::try_from(job.attempts.max(1)).unwrap_or(u32::MAX);
                if b.gives_up_after(attempt) {
                    Verdict::GiveUp { reason }
                } else {
                    Verdict::RetryIn {
                        delay_ms: b.delay_ms(attempt, jitter, None),
                        reason,
                    }
                }
            }
        };
        let outcome = match &verdict {
            Verdict::Done => self.store.complete_job(job.id).await,
            Verdict::RetryIn { delay_ms, reason } => {
                tracing::warn!(job = job.id, kind = job.kind.as_str(), attempt = job.attempts, %reason, "job will be retried");
                let delay = i64::try_from(*delay_ms).unwrap_or(i64::MAX / 2);
                self.store.retry_job(job.id, now_ms() + delay, reason).await
            }
            Verdict::GiveUp { reason } => {
                tracing::warn!(job = job.id, kind = job.kind.as_str(), %reason, "job gave up");
                match job.kind {
                    // The failure is shown on the message or media; nothing is left to keep.
                    JobKind::SendReply
                    | JobKind::FetchMedia
                    | JobKind::Notify
                    | JobKind::Publish => self.store.complete_job(job.id).await,
                    JobKind::Inbound => self.store.bury_job(job.id, reason).await,
                }
            }
        };
        if let Err(e) = outcome {
            tracing::error!(job = job.id, error = %e, "could not record job outcome; its lease will expire and it runs again");
        }
    }
}
