//! Response-time tracking: the promise recorded when a citizen's message starts waiting, the first staff reply, near/past-due counts, report samples and consultation-hour queues.

use rathaus_domain::schedule::report::ResponseSample;
use rathaus_domain::schedule::response_time::{Clock, Promise, Situation};
use rathaus_domain::schedule::ResponseStatus;

use crate::db::{read, write_tx};
use crate::inbox::ConcernSummary;
use crate::{Result, Store, StoreError};

/// One stored measurement: channel name, team name, started, due, first response, slot start.
type SampleRow = (String, Option<String>, i64, i64, Option<i64>, Option<i64>);

/// The promise made for a citizen's message, as the hub computed it from the municipality's schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PromiseRecord {
    pub situation: Situation,
    pub clock: Clock,
    pub due_at: i64,
    /// From when it counts as near due (see `Promise::near_due_from`).
    pub near_due_at: i64,
    /// Start of the consultation slot the message arrived in.
    pub slot_start: Option<i64>,
}

impl PromiseRecord {
    /// Millisecond form of a promise; `near_due_from` is rounded up so "near due ⇔ near_due_at ≤ now" holds in ms.
    pub fn new(
        promise: &Promise,
        near_due_from: jiff::Timestamp,
        slot_start: Option<jiff::Timestamp>,
    ) -> Self {
        let ceil_ms = |t: jiff::Timestamp| {
            let ms = t.as_millisecond();
            if t.subsec_nanosecond() % 1_000_000 > 0 {
                ms + 1
            } else {
                ms
            }
        };
        PromiseRecord {
            situation: promise.situation,
            clock: promise.clock,
            due_at: promise.due.as_millisecond(),
            near_due_at: ceil_ms(near_due_from),
            slot_start: slot_start.map(|t| t.as_millisecond()),
        }
    }
}

fn situation_str(s: Situation) -> &'static str {
    match s {
        Situation::Consultation => "consultation",
        Situation::OfficeHours => "office_hours",
        Situation::Otherwise => "otherwise",
    }
}

fn clock_str(c: Clock) -> &'static str {
    match c {
        Clock::WallClock => "wall_clock",
        Clock::OfficeTime => "office_time",
    }
}

/// Starts a measurement for a concern that has none running. Binds: municipality, concern, channel,
/// situation, clock, slot_start, started_at, due_at, near_due_at.
pub(crate) const START_MEASUREMENT: &str = "INSERT INTO first_responses \
     (municipality_id, concern_id, channel_id, situation, clock, slot_start, started_at, due_at, near_due_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id";

/// The first staff reply of the concern's running measurement. Binds: reply time, concern.
pub(crate) const MARK_FIRST_RESPONSE: &str = "UPDATE first_responses SET first_response_at = $1 \
     WHERE id = (SELECT response_id FROM concerns WHERE id = $2) AND first_response_at IS NULL AND started_at <= $1";

/// Counts of open concerns against their promise, for the inbox header.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResponseAlerts {
    /// Not yet answered, less than the near-due threshold left.
    pub near_due: i64,
    /// Not yet answered and past the due time.
    pub past_due: i64,
}

/// One waiting concern in a consultation slot's queue, in order of arrival.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueEntry {
    pub concern_id: i64,
    pub pseudonym: String,
    pub channel_id: i64,
    /// The citizen's first message still waiting for an answer.
    pub waiting_since: i64,
}

impl ConcernSummary {
    /// Where the concern stands against its first-response promise at `now`; `None` once answered
    /// or when no promise was recorded.
    pub fn response_status(&self, now: i64) -> Option<ResponseStatus> {
        if self.first_response_at.is_some() {
            return None;
        }
        let due = self.due_at?;
        Some(if now > due {
            ResponseStatus::Breached
        } else if self.near_due_at.is_some_and(|n| n <= now) {
            ResponseStatus::NearDue
        } else {
            ResponseStatus::OnTrack
        })
    }
}

/// "$first, $first+1, …" for an IN list.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

const WAITING: &str = "FROM concerns c JOIN first_responses f ON f.id = c.response_id \
     WHERE c.municipality_id = $1 AND c.status <> 'resolved' AND f.first_response_at IS NULL";

impl Store {
    /// Near-due and past-due counts of open, unanswered concerns at `now`; with `visible_to`, only
    /// those that staff member may open (concerns of its teams and those of no team).
    pub async fn response_alerts(
        &self,
        municipality_id: i64,
        now: i64,
        visible_to: Option<i64>,
    ) -> Result<ResponseAlerts> {
        let scope = if visible_to.is_some() {
            " AND (c.team_id IS NULL OR c.team_id IN (SELECT team_id FROM team_members WHERE staff_id = $3))"
        } else {
            ""
        };
        let sql = format!(
            "SELECT COALESCE(SUM(CASE WHEN f.due_at >= $2 AND f.near_due_at <= $2 THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN f.due_at < $2 THEN 1 ELSE 0 END), 0) {WAITING}{scope}"
        );
        let (near_due, past_due): (i64, i64) = read!(self.db(), |ex| {
            let mut q = sqlx::query_as(&sql).bind(municipality_id).bind(now);
            if let Some(staff) = visible_to {
                q = q.bind(staff);
            }
            q.fetch_one(ex).await?
        });
        Ok(ResponseAlerts { near_due, past_due })
    }

    /// The first-response measurements that started in `[from, to)`, for the report. Only times,
    /// the channel's name and the concern's current team: nothing that names a citizen or a concern.
    pub async fn response_samples(
        &self,
        municipality_id: i64,
        from: i64,
        to: i64,
    ) -> Result<Vec<ResponseSample>> {
        let rows: Vec<SampleRow> = read!(self.db(), |ex| {
            sqlx::query_as(
                "SELECT ch.name, t.name, f.started_at, f.due_at, f.first_response_at, f.slot_start \
                 FROM first_responses f JOIN channels ch ON ch.id = f.channel_id \
                 LEFT JOIN concerns c ON c.id = f.concern_id LEFT JOIN teams t ON t.id = c.team_id \
                 WHERE f.municipality_id = $1 AND f.started_at >= $2 AND f.started_at < $3",
            )
            .bind(municipality_id)
            .bind(from)
            .bind(to)
            .fetch_all(ex)
            .await?
        });
        let ts = |ms: i64| {
            jiff::Timestamp::from_millisecond(ms)
                .map_err(|e| StoreError::Invalid(format!("time {ms}: {e}")))
        };
        rows.into_iter()
            .map(|(channel, team, started, due, first, slot)| {
                Ok(ResponseSample {
                    channel,
                    team,
                    started: ts(started)?,
                    due: ts(due)?,
                    first_response: first.map(ts).transpose()?,
                    slot_start: slot.map(ts).transpose()?,
                })
            })
            .collect()
    }

    /// Marks that the concern got its one "outside the consultation hour" answer; false if it had it already.
    pub async fn claim_consultation_notice(
        &self,
        municipality_id: i64,
        concern_id: i64,
        now: i64,
    ) -> Result<bool> {
        let n = write_tx!(self, |tx| {
            sqlx::query(
                "UPDATE concerns SET consultation_notice_at = $1 \
                 WHERE id = $2 AND municipality_id = $3 AND consultation_notice_at IS NULL",
            )
            .bind(now)
            .bind(concern_id)
            .bind(municipality_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
        });
        Ok(n == 1)
    }

    /// Marks that the concern got the greeting of the slot starting at `slot_start`; false if it had it already.
    pub async fn claim_consultation_greeting(
        &self,
        municipality_id: i64,
        concern_id: i64,
        slot_start: i64,
    ) -> Result<bool> {
        let n = write_tx!(self, |tx| {
            sqlx::query(
                "UPDATE concerns SET consultation_greeted_slot = $1 WHERE id = $2 AND municipality_id = $3 \
                 AND (consultation_greeted_slot IS NULL OR consultation_greeted_slot <> $1)",
            )
            .bind(slot_start)
            .bind(concern_id)
            .bind(municipality_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
        });
        Ok(n == 1)
    }

    /// The queue of a consultation slot: open, unanswered concerns on `channel_ids` whose waiting
    /// began at or after `since` (the end of the previous slot), oldest first.
    pub async fn consultation_queue(
        &self,
        municipality_id: i64,
        channel_ids: &[i64],
        since: Option<i64>,
    ) -> Result<Vec<QueueEntry>> {
        if channel_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT c.id, z.pseudonym, c.channel_id, f.started_at \
             FROM concerns c JOIN first_responses f ON f.id = c.response_id JOIN citizens z ON z.id = c.citizen_id \
             WHERE c.municipality_id = $1 AND c.status <> 'resolved' AND f.first_response_at IS NULL \
             AND f.started_at >= $2 AND c.channel_id IN ({}) ORDER BY f.started_at, c.id",
            placeholders(3, channel_ids.len())
        );
        let rows: Vec<(i64, String, i64, i64)> = read!(self.db(), |ex| {
            let mut q = sqlx::query_as(&sql)
                .bind(municipality_id)
                .bind(since.unwrap_or(i64::MIN));
            for id in channel_ids {
                q = q.bind(*id);
            }
            q.fetch_all(ex).await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(concern_id, pseudonym, channel_id, waiting_since)| QueueEntry {
                    concern_id,
                    pseudonym,
                    channel_id,
                    waiting_since,
                },
            )
            .collect())
    }

    /// How many are ahead of a concern that has waited since `waiting_since` in the queue that began at `since`.
    pub async fn consultation_queue_ahead(
        &self,
        municipality_id: i64,
        channel_ids: &[i64],
        concern_id: i64,
        waiting_since: i64,
        since: Option<i64>,
    ) -> Result<i64> {
        if channel_ids.is_empty() {
            return Ok(0);
        }
        let sql = format!(
            "SELECT COUNT(*) {WAITING} AND f.started_at >= $2 AND c.id <> $3 \
             AND (f.started_at < $4 OR (f.started_at = $4 AND c.id < $3)) AND c.channel_id IN ({})",
            placeholders(5, channel_ids.len())
        );
        Ok(read!(self.db(), |ex| {
            let mut q = sqlx::query_scalar(&sql)
                .bind(municipality_id)
                .bind(since.unwrap_or(i64::MIN))
                .bind(concern_id)
                .bind(waiting_since);
            for id in channel_ids {
                q = q.bind(*id);
            }
            q.fetch_one(ex).await?
        }))
    }

    /// How many concerns on `channel_ids` got their first staff reply in `[from, to)` (a slot's "handled" count).
    pub async fn first_responses_between(
        &self,
        municipality_id: i64,
        channel_ids: &[i64],
        from: i64,
        to: i64,
    ) -> Result<i64> {
        if channel_ids.is_empty() {
            return Ok(0);
        }
        let sql = format!(
            "SELECT COUNT(*) FROM first_responses WHERE municipality_id = $1 AND first_response_at >= $2 \
             AND first_response_at < $3 AND channel_id IN ({})",
            placeholders(4, channel_ids.len())
        );
        Ok(read!(self.db(), |ex| {
            let mut q = sqlx::query_scalar(&sql)
                .bind(municipality_id)
                .bind(from)
                .bind(to);
            for id in channel_ids {
                q = q.bind(*id);
            }
            q.fetch_one(ex).await?
        }))
    }
}

pub(crate) fn promise_binds(p: &PromiseRecord) -> (&'static str, &'static str) {
    (situation_str(p.situation), clock_str(p.clock))
}
