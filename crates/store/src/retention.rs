//! The retention purge: deletes what is due under a municipality's rules (content, counters, withdrawn consents).

use rathaus_domain::retention::RetentionRules;

use crate::db::{read, write_tx};
use crate::{Result, Store};

/// How many rows a purge removed (counts only, for the log and the audit entry).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PurgeReport {
    pub concerns: u64,
    pub messages: u64,
    pub media: u64,
    pub citizens: u64,
    pub consents: u64,
    pub counters: u64,
    pub dedupe_keys: u64,
    pub dead_jobs: u64,
}

/// Concerns deleted per transaction by the purge. Small, so the single SQLite writer is free again within
/// milliseconds for webhook intake: at 200 concerns of about ten messages each, one batch held it for
/// about 145 ms in rathaus-bench (docs/benchmarks.md).
const PURGE_BATCH: i64 = 25;

/// Redelivery protection: platforms retry for hours to days, not weeks.
const DEDUPE_KEEP_MS: i64 = 30 * 24 * 60 * 60 * 1000;

impl Store {
    /// Deletes everything of one municipality that its retention rules say is due at `now`.
    pub async fn purge_municipality(
        &self,
        municipality_id: i64,
        rules: &RetentionRules,
        day_of: impl Fn(i64) -> String,
        now: i64,
    ) -> Result<PurgeReport> {
        let c = rules.cutoffs(now);
        let counters_before = day_of(c.counters_before_day);
        let scope_prefix = format!("municipality:{municipality_id}:%");
        let mut r = PurgeReport::default();
        // Resolved concerns go in small batches, each its own short transaction, so webhook intake (which
        // needs the single SQLite writer) never waits long behind a large purge.
        loop {
            let ids: Vec<i64> = read!(self.db(), |ex| {
                sqlx::query_scalar(
                    "SELECT id FROM concerns WHERE municipality_id = $1 AND status = 'resolved' AND resolved_at < $2 LIMIT $3",
                )
                .bind(municipality_id)
                .bind(c.concerns_resolved_before)
                .bind(PURGE_BATCH)
                .fetch_all(ex)
                .await?
            });
            if ids.is_empty() {
                break;
            }
            let list = (1..=ids.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ");
            let media_sql = format!("DELETE FROM media WHERE message_id IN (SELECT id FROM messages WHERE concern_id IN ({list}))");
            let messages_sql = format!("DELETE FROM messages WHERE concern_id IN ({list})");
            let concerns_sql = format!("DELETE FROM concerns WHERE id IN ({list})");
            write_tx!(self, |tx| {
                let mut q = sqlx::query(&media_sql);
                for id in &ids {
                    q = q.bind(id);
                }
                r.media += q.execute(&mut *tx).await?.rows_affected();
                let mut q = sqlx::query(&messages_sql);
                for id in &ids {
                    q = q.bind(id);
                }
                r.messages += q.execute(&mut *tx).await?.rows_affected();
                let mut q = sqlx::query(&concerns_sql);
                for id in &ids {
                    q = q.bind(id);
                }
                r.concerns += q.execute(&mut *tx).await?.rows_affected();
            });
            tokio::task::yield_now().await;
        }
        write_tx!(self, |tx| {
            // Citizens who withdrew long enough ago and have nothing left: their proof of consent has served.
            let gone = "SELECT z.id FROM citizens z WHERE z.municipality_id = $1 AND z.consent_given = 0 \
                 AND NOT EXISTS (SELECT 1 FROM concerns c WHERE c.citizen_id = z.id) \
                 AND NOT EXISTS (SELECT 1 FROM consents k WHERE k.citizen_id = z.id AND k.at >= $2)";
            r.consents += sqlx::query(&format!(
                "DELETE FROM consents WHERE citizen_id IN ({gone})"
            ))
            .bind(municipality_id)
            .bind(c.withdrawn_consents_before)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            r.citizens += sqlx::query(
                "DELETE FROM citizens WHERE municipality_id = $1 AND consent_given = 0 \
                 AND NOT EXISTS (SELECT 1 FROM concerns c WHERE c.citizen_id = citizens.id) \
                 AND NOT EXISTS (SELECT 1 FROM consents k WHERE k.citizen_id = citizens.id)",
            )
            .bind(municipality_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            r.counters += sqlx::query("DELETE FROM counters WHERE scope LIKE $1 AND day < $2")
                .bind(&scope_prefix)
                .bind(&counters_before)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            r.dedupe_keys +=
                sqlx::query("DELETE FROM inbound_seen WHERE municipality_id = $1 AND seen_at < $2")
                    .bind(municipality_id)
                    .bind(now - DEDUPE_KEEP_MS)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            r.dead_jobs += sqlx::query("DELETE FROM jobs WHERE municipality_id = $1 AND state = 'dead' AND created_at < $2")
                .bind(municipality_id)
                .bind(now - DEDUPE_KEEP_MS)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        });
        Ok(r)
    }
}
