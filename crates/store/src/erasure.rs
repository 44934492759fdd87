//! Erasure (Art. 17) by crypto-shredding: the citizen's key and rows go, an erasure record with a keyed hash stays.

use crate::citizens::CitizenRef;
use crate::db::{read, write_tx};
use crate::jobs::JobKind;
use crate::{Result, Store};

/// Who is being erased, as a queued job's payload may mention them.
#[derive(Debug, Clone)]
pub struct ErasureTarget {
    pub citizen_id: i64,
    pub channel_id: i64,
    pub platform_id: String,
    pub message_ids: Vec<i64>,
}

/// What an erasure removed (counts only).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErasureSummary {
    pub concerns: u64,
    pub messages: u64,
    pub media: u64,
    pub consents: u64,
    pub jobs: u64,
}

/// An erasure as recorded: nothing about the person but a keyed hash.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct ErasureRecord {
    pub municipality_id: i64,
    pub channel_id: i64,
    #[serde(with = "hex_bytes")]
    pub lookup_hash: Vec<u8>,
    pub requested_by: String,
    pub at: i64,
}

mod hex_bytes {
    pub fn serialize<S: serde::Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(b))
    }
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s: String = serde::Deserialize::deserialize(d)?;
        hex::decode(s).map_err(serde::de::Error::custom)
    }
}

impl Store {
    /// Erases a citizen completely. `mentions` tells whether a queued job's payload concerns them; such jobs
    /// are deleted too. Returns what was removed.
    pub async fn erase_citizen(
        &self,
        citizen: &CitizenRef,
        requested_by: &str,
        now: i64,
        mentions: impl Fn(JobKind, &[u8], &ErasureTarget) -> bool,
    ) -> Result<ErasureSummary> {
        let platform_id = self.citizen_platform_id(citizen).await?;
        let message_ids: Vec<i64> = read!(self.db(), |ex| {
            sqlx::query_scalar("SELECT m.id FROM messages m JOIN concerns c ON c.id = m.concern_id WHERE c.citizen_id = $1")
                .bind(citizen.id)
                .fetch_all(ex)
                .await?
        });
        let target = ErasureTarget {
            citizen_id: citizen.id,
            channel_id: citizen.channel_id,
            platform_id,
            message_ids,
        };
        let doomed_jobs = self
            .jobs_matching(citizen.municipality_id, |kind, payload| {
                mentions(kind, payload, &target)
            })
            .await?;
        let lookup_hash: Vec<u8> = read!(self.db(), |ex| {
            sqlx::query_scalar("SELECT lookup_hash FROM citizens WHERE id = $1")
                .bind(citizen.id)
                .fetch_one(ex)
                .await?
        });
        let mut summary = ErasureSummary::default();
        write_tx!(self, |tx| {
            for id in &doomed_jobs {
                summary.jobs += sqlx::query("DELETE FROM jobs WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            }
            summary.media += sqlx::query(
                "DELETE FROM media WHERE message_id IN (SELECT m.id FROM messages m JOIN concerns c ON c.id = m.concern_id WHERE c.citizen_id = $1)",
            )
            .bind(citizen.id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            summary.messages += sqlx::query("DELETE FROM messages WHERE concern_id IN (SELECT id FROM concerns WHERE citizen_id = $1)")
                .bind(citizen.id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            // Response-time rows are anonymous, but an erasure leaves nothing that came from the citizen.
            sqlx::query("DELETE FROM first_responses WHERE concern_id IN (SELECT id FROM concerns WHERE citizen_id = $1)")
                .bind(citizen.id)
                .execute(&mut *tx)
                .await?;
            summary.concerns += sqlx::query("DELETE FROM concerns WHERE citizen_id = $1")
                .bind(citizen.id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            summary.consents += sqlx::query("DELETE FROM consents WHERE citizen_id = $1")
                .bind(citizen.id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            sqlx::query("DELETE FROM export_links WHERE citizen_id = $1")
                .bind(citizen.id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE data_requests SET citizen_id = NULL, completed_at = COALESCE(completed_at, $2) WHERE citizen_id = $1")
                .bind(citizen.id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO data_requests (municipality_id, citizen_id, pseudonym, kind, via, requested_at, due_at, completed_at) \
                 VALUES ($1, NULL, $2, 'erasure', $3, $4, $5, $4)",
            )
            .bind(citizen.municipality_id)
            .bind(&citizen.pseudonym)
            .bind(requested_by)
            .bind(now)
            .bind(now + crate::requests::REQUEST_DEADLINE_MS)
            .execute(&mut *tx)
            .await?;
            // Deleting the row destroys the wrapped citizen key: any copy of the ciphertexts is now unreadable.
            sqlx::query("DELETE FROM citizens WHERE id = $1")
                .bind(citizen.id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO erasures (municipality_id, channel_id, lookup_hash, requested_by, at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(citizen.municipality_id)
            .bind(citizen.channel_id)
            .bind(&lookup_hash)
            .bind(requested_by)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        });
        Ok(summary)
    }

    /// Ids of queued jobs of a municipality whose decrypted payload satisfies `pred`.
    async fn jobs_matching(
        &self,
        municipality_id: i64,
        pred: impl Fn(JobKind, &[u8]) -> bool,
    ) -> Result<Vec<i64>> {
        let rows: Vec<(i64, String, Vec<u8>)> = read!(self.db(), |ex| {
            sqlx::query_as("SELECT id, kind, payload_enc FROM jobs WHERE municipality_id = $1")
                .bind(municipality_id)
                .fetch_all(ex)
                .await?
        });
        let qkey = self.keys().queue_key(self.db(), municipality_id).await?;
        let mut out = Vec::new();
        for (id, kind, sealed) in rows {
            let (Some(kind), Ok(payload)) = (
                JobKind::parse(&kind),
                qkey.open(&sealed, &rathaus_crypto::context("jobs", "payload_enc", id)),
            ) else {
                continue;
            };
            if pred(kind, &payload) {
                out.push(id);
            }
        }
        Ok(out)
    }

    /// Erasures recorded at or after `since`, oldest first.
    pub async fn erasures_since(&self, since: i64) -> Result<Vec<ErasureRecord>> {
        Ok(read!(self.db(), |ex| {
            sqlx::query_as(
                "SELECT municipality_id, channel_id, lookup_hash, requested_by, at FROM erasures WHERE at >= $1 ORDER BY at, id",
            )
            .bind(since)
            .fetch_all(ex)
            .await?
        }))
    }

    /// Applies an erasure recorded elsewhere (after restoring an older backup): erases the citizen if they
    /// exist here and records the erasure once. Returns whether someone was erased.
    pub async fn replay_erasure(
        &self,
        rec: &ErasureRecord,
        mentions: impl Fn(JobKind, &[u8], &ErasureTarget) -> bool,
    ) -> Result<bool> {
        let id: Option<i64> = read!(self.db(), |ex| {
            sqlx::query_scalar("SELECT id FROM citizens WHERE channel_id = $1 AND lookup_hash = $2 AND municipality_id = $3")
                .bind(rec.channel_id)
                .bind(&rec.lookup_hash)
                .bind(rec.municipality_id)
                .fetch_optional(ex)
                .await?
        });
        match id {
            Some(id) => {
                let citizen = self.citizen(rec.municipality_id, id).await?;
                self.erase_citizen(&citizen, &rec.requested_by, rec.at, mentions)
                    .await?;
                Ok(true)
            }
            None => {
                let known: i64 = read!(self.db(), |ex| {
                    sqlx::query_scalar("SELECT COUNT(*) FROM erasures WHERE channel_id = $1 AND lookup_hash = $2 AND at = $3")
                        .bind(rec.channel_id)
                        .bind(&rec.lookup_hash)
                        .bind(rec.at)
                        .fetch_one(ex)
                        .await?
                });
                if known == 0 {
                    write_tx!(self, |tx| {
                        sqlx::query(
                            "INSERT INTO erasures (municipality_id, channel_id, lookup_hash, requested_by, at) VALUES ($1, $2, $3, $4, $5)",
                        )
                        .bind(rec.municipality_id)
                        .bind(rec.channel_id)
                        .bind(&rec.lookup_hash)
                        .bind(&rec.requested_by)
                        .bind(rec.at)
                        .execute(&mut *tx)
                        .await?;
                    });
                }
                Ok(false)
            }
        }
    }

    /// Takes or renews the named lease for `holder` until `now + ttl_ms`; false if another holder has it.
    pub async fn try_lease(&self, name: &str, holder: &str, now: i64, ttl_ms: i64) -> Result<bool> {
        let n = write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO leases (name, holder, until_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until_at = excluded.until_at \
                 WHERE leases.holder = excluded.holder OR leases.until_at < $4",
            )
            .bind(name)
            .bind(holder)
            .bind(now + ttl_ms)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected()
        });
        Ok(n > 0)
    }
}
