//! The persistent job queue: verified events and outgoing sends, claimed with leases, retried with backoff.

use rand::Rng;
use rathaus_crypto::context;

use crate::db::{read, write_tx, Db};
use crate::{Result, Store, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// A verified inbound event (message or status) waiting to pass the consent gate.
    Inbound,
    /// Deliver a stored outbound message of a concern.
    SendReply,
    /// Send a consent-gate answer to someone who has no concern (nothing else is stored).
    Notify,
    /// Download a media file through the platform API.
    FetchMedia,
    /// Publish, edit or delete a post on one network channel (hub::publish_jobs).
    Publish,
}

impl JobKind {
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Inbound => "inbound",
            JobKind::SendReply => "send_reply",
            JobKind::Notify => "notify",
            JobKind::FetchMedia => "fetch_media",
            JobKind::Publish => "publish",
        }
    }

    pub fn parse(s: &str) -> Option<JobKind> {
        [
            JobKind::Inbound,
            JobKind::SendReply,
            JobKind::Notify,
            JobKind::FetchMedia,
            JobKind::Publish,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// One verified inbound event to queue.
#[derive(Debug, Clone)]
pub struct InboundItem {
    /// Same key = same event (platform redelivery): stored once.
    pub dedupe_key: String,
    /// Events with the same key are handled one after another in arrival order, across all workers
    /// (e.g. "channel:sender", so an opt-in is always seen before the message that follows it).
    pub order_key: Option<String>,
    pub payload: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct ClaimedJob {
    pub id: i64,
    pub municipality_id: i64,
    pub kind: JobKind,
    /// Decrypted payload.
    pub payload: Vec<u8>,
    /// How many times this job has been claimed, this time included.
    pub attempts: i64,
}

/// Queue ids are random so the payload's associated data can name the row before it is written.
fn new_job_id() -> i64 {
    rand::thread_rng().gen_range(1..i64::MAX)
}

impl Store {
    /// Stores verified inbound events durably, each at most once: an event whose dedupe key was seen
    /// before is dropped. Returns how many were new. All or nothing: one transaction.
    pub async fn enqueue_inbound(
        &self,
        municipality_id: i64,
        events: &[InboundItem],
        now: i64,
    ) -> Result<usize> {
        let qkey = self.keys().queue_key(self.db(), municipality_id).await?;
        let mut prepared = Vec::with_capacity(events.len());
        for item in events {
            let hash = self
                .keys()
                .lookup_hash(
                    self.db(),
                    municipality_id,
                    &format!("event:{}", item.dedupe_key),
                )
                .await?;
            let order = match &item.order_key {
                Some(k) => Some(
                    self.keys()
                        .lookup_hash(self.db(), municipality_id, &format!("order:{k}"))
                        .await?,
                ),
                None => None,
            };
            let id = new_job_id();
            prepared.push((
                hash,
                id,
                qkey.seal(&item.payload, &context("jobs", "payload_enc", id)),
                order,
            ));
        }
        let mut fresh = 0usize;
        write_tx!(self, |tx| {
            for (hash, id, sealed, order) in &prepared {
                let inserted = sqlx::query(
                    "INSERT INTO inbound_seen (municipality_id, key_hash, seen_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (municipality_id, key_hash) DO NOTHING",
                )
                .bind(municipality_id)
                .bind(hash)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if inserted == 0 {
                    continue;
                }
                sqlx::query(INSERT_JOB)
                    .bind(id)
                    .bind(municipality_id)
                    .bind(JobKind::Inbound.as_str())
                    .bind(sealed)
                    .bind(now)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                if order.is_some() {
                    sqlx::query("UPDATE jobs SET order_key = $1 WHERE id = $2")
                        .bind(order)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                fresh += 1;
            }
        });
        Ok(fresh)
    }

    /// Queues one job to run at `run_at`.
    pub async fn enqueue_job(
        &self,
        municipality_id: i64,
        kind: JobKind,
        payload: &[u8],
        run_at: i64,
        now: i64,
    ) -> Result<i64> {
        let (id, sealed) = self.seal_job(municipality_id, payload).await?;
        write_tx!(self, |tx| {
            sqlx::query(INSERT_JOB)
                .bind(id)
                .bind(municipality_id)
                .bind(kind.as_str())
                .bind(&sealed)
                .bind(run_at)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        });
        Ok(id)
    }

    pub(crate) async fn seal_job(
        &self,
        municipality_id: i64,
        payload: &[u8],
    ) -> Result<(i64, Vec<u8>)> {
        let qkey = self.keys().queue_key(self.db(), municipality_id).await?;
        let id = new_job_id();
        Ok((id, qkey.seal(payload, &context("jobs", "payload_enc", id))))
    }

    /// Claims up to `limit` due jobs (or jobs whose worker's lease ran out) for `lease_ms`.
    pub async fn claim_jobs(
        &self,
        worker: &str,
        now: i64,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<ClaimedJob>> {
        let lock = match self.db() {
            Db::Sqlite { .. } => "",
            Db::Postgres(_) => "FOR UPDATE SKIP LOCKED",
        };
        let sql = claim_sql(lock);
        let mut rows: Vec<(i64, i64, String, Vec<u8>, i64, i64)> = write_tx!(self, |tx| {
            // Jobs of a crashed worker come back first, so the claim below is one ordered index scan over
            // ready jobs that stops at the limit, however long the backlog is.
            sqlx::query(
                "UPDATE jobs SET state = 'ready', lease_until = NULL, leased_by = NULL \
                 WHERE state = 'running' AND lease_until < $1",
            )
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query_as(&sql)
                .bind(now + lease_ms)
                .bind(worker)
                .bind(now)
                .bind(limit)
                .fetch_all(&mut *tx)
                .await?
        });
        // RETURNING gives no order; hand jobs out in the order they arrived.
        rows.sort_by_key(|r| r.5);
        let mut jobs = Vec::with_capacity(rows.len());
        for (id, municipality_id, kind, sealed, attempts, _) in rows {
            let kind = JobKind::parse(&kind)
                .ok_or_else(|| StoreError::Invalid(format!("unknown job kind {kind}")))?;
            let qkey = self.keys().queue_key(self.db(), municipality_id).await?;
            let payload = qkey.open(&sealed, &context("jobs", "payload_enc", id))?;
            jobs.push(ClaimedJob {
                id,
                municipality_id,
                kind,
                payload,
                attempts,
            });
        }
        Ok(jobs)
    }

    /// A finished job is deleted: its payload may hold personal data we no longer need.
    pub async fn complete_job(&self, id: i64) -> Result<()> {
        write_tx!(self, |tx| {
            sqlx::query("DELETE FROM jobs WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// Puts a job back to run again at `run_at`, remembering why it failed.
    pub async fn retry_job(&self, id: i64, run_at: i64, error: &str) -> Result<()> {
        write_tx!(self, |tx| {
            sqlx::query("UPDATE jobs SET state = 'ready', run_at = $1, lease_until = NULL, leased_by = NULL, last_error = $2 WHERE id = $3")
                .bind(run_at)
                .bind(error)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// Gives up on a job: it stays visible as dead with its error, and is not claimed again.
    pub async fn bury_job(&self, id: i64, error: &str) -> Result<()> {
        write_tx!(self, |tx| {
            sqlx::query("UPDATE jobs SET state = 'dead', lease_until = NULL, leased_by = NULL, last_error = $1 WHERE id = $2")
                .bind(error)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// Number of jobs per state ("ready", "running", "dead"), for health checks and tests.
    pub async fn job_count(&self, state: &str) -> Result<i64> {
        Ok(read!(self.db(), |ex| {
            sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE state = $1")
                .bind(state)
                .fetch_one(ex)
                .await?
        }))
    }
}

pub(crate) const INSERT_JOB: &str = "INSERT INTO jobs (id, municipality_id, kind, seq, payload_enc, state, run_at, attempts, created_at) \
     VALUES ($1, $2, $3, (SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs), $4, 'ready', $5, 0, $6)";

fn claim_sql(lock: &str) -> String {
    format!(
        "UPDATE jobs SET state = 'running', lease_until = $1, leased_by = $2, attempts = attempts + 1 \
         WHERE id IN (SELECT j.id FROM jobs j WHERE j.state = 'ready' AND j.run_at <= $3 \
                      AND NOT EXISTS (SELECT 1 FROM jobs e WHERE e.order_key = j.order_key AND e.seq < j.seq \
                                      AND e.state IN ('ready', 'running')) \
                      ORDER BY j.run_at, j.seq LIMIT $4 {lock}) \
         RETURNING id, municipality_id, kind, payload_enc, attempts, seq"
    )
}
