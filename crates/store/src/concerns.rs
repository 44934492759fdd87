//! Concerns and their threads: filing citizen messages, staff replies and notes, delivery status, media.

use rathaus_crypto::context;
use rathaus_domain::{ConcernStatus, DeliveryStatus, InboundMessage, StatusUpdate};

use crate::citizens::CitizenRef;
use crate::db::{read, write_tx};
use crate::jobs::{JobKind, INSERT_JOB};
use crate::response_times::{promise_binds, PromiseRecord, MARK_FIRST_RESPONSE, START_MEASUREMENT};
use crate::{Result, Store, StoreError};

mod media;
pub use media::MediaContent;

/// What the worker reports after filing an inbound message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FiledMessage {
    pub concern_id: i64,
    pub message_id: i64,
    pub media_id: Option<i64>,
    pub new_concern: bool,
    /// When the concern's citizen message still waiting for a first answer came (its queue position);
    /// `None` once answered or when no promise is recorded.
    pub waiting_since: Option<i64>,
}

/// Why a staff reply is refused before anything is queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReplyRefused {
    #[error("Das 24-Stunden-Fenster für freie Antworten ist abgelaufen: die letzte Nachricht des Bürgers ist älter als 24 Stunden. / The 24-hour window for free-form replies has closed.")]
    WindowClosed,
    #[error("Der Bürger hat seine Einwilligung widerrufen; es können keine Nachrichten mehr gesendet werden. / The citizen withdrew consent; no messages can be sent.")]
    ConsentWithdrawn,
    #[error("Die Antwort ist leer. / The reply is empty.")]
    EmptyText,
    #[error("Die Antwort ist zu lang (höchstens 4096 Zeichen). / The reply is too long (at most 4096 characters).")]
    TooLong,
}

/// A queued outbound message, as the worker needs it to send.
#[derive(Debug, Clone)]
pub struct OutboundToSend {
    pub message_id: i64,
    pub channel_id: i64,
    pub recipient: String,
    pub text: String,
}

/// Payload of a send job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundDraft {
    pub message_id: i64,
}

pub const MAX_REPLY_CHARS: usize = 4096;

impl Store {
    async fn message_hash(
        &self,
        municipality_id: i64,
        channel_id: i64,
        platform_message_id: &str,
    ) -> Result<Vec<u8>> {
        self.keys()
            .lookup_hash(
                self.db(),
                municipality_id,
                &format!("message:{channel_id}:{platform_message_id}"),
            )
            .await
    }

    /// Files a consented citizen's message into their open concern (or a new one). Returns None for a
    /// message already filed (platform redelivery). Records no response-time promise.
    pub async fn file_inbound_message(
        &self,
        citizen: &CitizenRef,
        msg: &InboundMessage,
        now: i64,
    ) -> Result<Option<FiledMessage>> {
        self.file_inbound_message_promised(citizen, msg, None, now)
            .await
    }

    /// Like [`Store::file_inbound_message`]; when the concern has no measurement running, the message
    /// starts one with `promise` (first message of a concern, or the first after staff reopened it).
    pub async fn file_inbound_message_promised(
        &self,
        citizen: &CitizenRef,
        msg: &InboundMessage,
        promise: Option<&PromiseRecord>,
        now: i64,
    ) -> Result<Option<FiledMessage>> {
        let hash = self
            .message_hash(
                citizen.municipality_id,
                citizen.channel_id,
                &msg.platform_message_id,
            )
            .await?;
        let key = citizen.key.clone();
        let text = msg.content.display_text();
        let media = msg.content.media().cloned();
        let kind = msg.content.kind();
        // The platform's clock decides the reply window, but never a time in our future.
        let sent_at = msg.sent_at_ms.min(now);
        let filed = write_tx!(self, |tx| {
            let dup: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM messages WHERE channel_id = $1 AND platform_message_hash = $2",
            )
            .bind(citizen.channel_id)
            .bind(&hash)
            .fetch_optional(&mut *tx)
            .await?;
            if dup.is_some() {
                return Ok(None);
            }
            let open: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM concerns WHERE citizen_id = $1 AND channel_id = $2 AND status <> 'resolved' ORDER BY last_activity_at DESC LIMIT 1",
            )
            .bind(citizen.id)
            .bind(citizen.channel_id)
            .fetch_optional(&mut *tx)
            .await?;
            let (concern_id, new_concern) = match open {
                Some(id) => (id, false),
                None => {
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO concerns (municipality_id, citizen_id, channel_id, status, created_at, last_activity_at, team_id) \
                         VALUES ($1, $2, $3, 'open', $4, $4, (SELECT team_id FROM team_channels WHERE channel_id = $3)) RETURNING id",
                    )
                    .bind(citizen.municipality_id)
                    .bind(citizen.id)
                    .bind(citizen.channel_id)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?;
                    (id, true)
                }
            };
            let message_id: i64 = sqlx::query_scalar(
                "INSERT INTO messages (municipality_id, concern_id, channel_id, direction, kind, platform_message_hash, created_at) \
                 VALUES ($1, $2, $3, 'inbound', $4, $5, $6) RETURNING id",
            )
            .bind(citizen.municipality_id)
            .bind(concern_id)
            .bind(citizen.channel_id)
            .bind(kind.as_str())
            .bind(&hash)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            if let Some(t) = &text {
                sqlx::query("UPDATE messages SET body_enc = $1 WHERE id = $2")
                    .bind(key.seal_str(t, &context("messages", "body_enc", message_id)))
                    .bind(message_id)
                    .execute(&mut *tx)
                    .await?;
            }
            let media_id = match &media {
                Some(m) => {
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO media (municipality_id, message_id, state, mime_type) VALUES ($1, $2, 'pending', $3) RETURNING id",
                    )
                    .bind(citizen.municipality_id)
                    .bind(message_id)
                    .bind(m.mime_type.as_deref())
                    .fetch_one(&mut *tx)
                    .await?;
                    if let Some(f) = &m.filename {
                        sqlx::query("UPDATE media SET filename_enc = $1 WHERE id = $2")
                            .bind(key.seal_str(f, &context("media", "filename_enc", id)))
                            .bind(id)
                            .execute(&mut *tx)
                            .await?;
                    }
                    Some(id)
                }
                None => None,
            };
            if let Some(p) = promise {
                let running: Option<i64> =
                    sqlx::query_scalar("SELECT response_id FROM concerns WHERE id = $1")
                        .bind(concern_id)
                        .fetch_one(&mut *tx)
                        .await?;
                if running.is_none() {
                    let (situation, clock) = promise_binds(p);
                    let id: i64 = sqlx::query_scalar(START_MEASUREMENT)
                        .bind(citizen.municipality_id)
                        .bind(concern_id)
                        .bind(citizen.channel_id)
                        .bind(situation)
                        .bind(clock)
                        .bind(p.slot_start)
                        .bind(now)
                        .bind(p.due_at)
                        .bind(p.near_due_at)
                        .fetch_one(&mut *tx)
                        .await?;
                    sqlx::query("UPDATE concerns SET response_id = $1 WHERE id = $2")
                        .bind(id)
                        .bind(concern_id)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            let waiting_since: Option<i64> = sqlx::query_scalar(
                "SELECT f.started_at FROM concerns c JOIN first_responses f ON f.id = c.response_id \
                 WHERE c.id = $1 AND f.first_response_at IS NULL",
            )
            .bind(concern_id)
            .fetch_optional(&mut *tx)
            .await?;
            let status = ConcernStatus::Open.after_citizen_message();
            sqlx::query("UPDATE concerns SET status = $1, last_activity_at = $2, resolved_at = NULL WHERE id = $3")
                .bind(status.as_str())
                .bind(now)
                .bind(concern_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE citizens SET last_inbound_at = $1 WHERE id = $2 AND (last_inbound_at IS NULL OR last_inbound_at < $1)")
                .bind(sent_at)
                .bind(citizen.id)
                .execute(&mut *tx)
                .await?;
            Some(FiledMessage {
                concern_id,
                message_id,
                media_id,
                new_concern,
                waiting_since,
            })
        });
        Ok(filed)
    }

    /// Applies a platform delivery report to the outbound message it names; unknown ids are ignored.
    pub async fn apply_status(
        &self,
        municipality_id: i64,
        channel_id: i64,
        update: &StatusUpdate,
    ) -> Result<bool> {
        let hash = self
            .message_hash(municipality_id, channel_id, &update.platform_message_id)
            .await?;
        let changed = write_tx!(self, |tx| {
            let row: Option<(i64, Option<String>)> = sqlx::query_as(
                "SELECT id, delivery_status FROM messages WHERE channel_id = $1 AND platform_message_hash = $2 AND direction = 'outbound'",
            )
            .bind(channel_id)
            .bind(&hash)
            .fetch_optional(&mut *tx)
            .await?;
            match row {
                None => false,
                Some((id, current)) => {
                    let current = current
                        .as_deref()
                        .and_then(DeliveryStatus::parse)
                        .unwrap_or(DeliveryStatus::Queued);
                    let next = current.advance(update.status);
                    sqlx::query("UPDATE messages SET delivery_status = $1, delivery_error = COALESCE($2, delivery_error) WHERE id = $3")
                        .bind(next.as_str())
                        .bind(update.error.as_deref())
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    next != current
                }
            }
        });
        Ok(changed)
    }

    /// Queues a staff reply for sending through the concern's channel, after checking it may be sent.
    pub async fn queue_reply(
        &self,
        municipality_id: i64,
        concern_id: i64,
        staff_id: i64,
        text: &str,
        now: i64,
    ) -> Result<Result<i64, ReplyRefused>> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(Err(ReplyRefused::EmptyText));
        }
        if text.chars().count() > MAX_REPLY_CHARS {
            return Ok(Err(ReplyRefused::TooLong));
        }
        let detail = self
            .concern_detail(municipality_id, concern_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        if let Some(refused) = detail.reply_blocked(now) {
            return Ok(Err(refused));
        }
        let citizen = self
            .citizen(municipality_id, detail.summary.citizen_id)
            .await?;
        let (job_id, _) = self.seal_job(municipality_id, b"").await?;
        let qkey = self.keys().queue_key(self.db(), municipality_id).await?;
        let message_id = write_tx!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO messages (municipality_id, concern_id, channel_id, direction, kind, author_id, delivery_status, created_at) \
                 VALUES ($1, $2, $3, 'outbound', 'text', $4, 'queued', $5) RETURNING id",
            )
            .bind(municipality_id)
            .bind(concern_id)
            .bind(detail.summary.channel_id)
            .bind(staff_id)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query("UPDATE messages SET body_enc = $1 WHERE id = $2")
                .bind(
                    citizen
                        .key
                        .seal_str(text, &context("messages", "body_enc", id)),
                )
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let payload = id.to_string();
            sqlx::query(INSERT_JOB)
                .bind(job_id)
                .bind(municipality_id)
                .bind(JobKind::SendReply.as_str())
                .bind(qkey.seal(payload.as_bytes(), &context("jobs", "payload_enc", job_id)))
                .bind(now)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE concerns SET last_activity_at = $1 WHERE id = $2")
                .bind(now)
                .bind(concern_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(MARK_FIRST_RESPONSE)
                .bind(now)
                .bind(concern_id)
                .execute(&mut *tx)
                .await?;
            id
        });
        Ok(Ok(message_id))
    }

    /// Loads a queued reply for the worker: where to send it and what it says.
    pub async fn outbound_to_send(
        &self,
        municipality_id: i64,
        message_id: i64,
    ) -> Result<OutboundToSend> {
        let row: Option<(i64, i64, Option<Vec<u8>>)> = read!(self.db(), |ex| {
            sqlx::query_as(
                "SELECT m.channel_id, c.citizen_id, m.body_enc FROM messages m JOIN concerns c ON c.id = m.concern_id \
                 WHERE m.id = $1 AND m.municipality_id = $2 AND m.direction = 'outbound'",
            )
            .bind(message_id)
            .bind(municipality_id)
            .fetch_optional(ex)
            .await?
        });
        let (channel_id, citizen_id, body) = row.ok_or(StoreError::NotFound)?;
        let citizen = self.citizen(municipality_id, citizen_id).await?;
        let text = match body {
            Some(b) => citizen
                .key
                .open_string(&b, &context("messages", "body_enc", message_id))?,
            None => String::new(),
        };
        Ok(OutboundToSend {
            message_id,
            channel_id,
            recipient: self.citizen_platform_id(&citizen).await?,
            text,
        })
    }

    /// Records that the platform accepted an outbound message, so its delivery reports can find it.
    pub async fn mark_sent(
        &self,
        municipality_id: i64,
        channel_id: i64,
        message_id: i64,
        platform_message_id: &str,
    ) -> Result<()> {
        let hash = self
            .message_hash(municipality_id, channel_id, platform_message_id)
            .await?;
        write_tx!(self, |tx| {
            sqlx::query(
                "UPDATE messages SET platform_message_hash = $1, delivery_error = NULL, \
                 delivery_status = CASE WHEN delivery_status IN ('delivered', 'read') THEN delivery_status ELSE 'sent' END \
                 WHERE id = $2 AND municipality_id = $3",
            )
            .bind(&hash)
            .bind(message_id)
            .bind(municipality_id)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }

    /// Shows why a message could not be (or not yet be) delivered.
    pub async fn mark_delivery_problem(
        &self,
        municipality_id: i64,
        message_id: i64,
        failed: bool,
        error: &str,
    ) -> Result<()> {
        let status = if failed { "failed" } else { "queued" };
        write_tx!(self, |tx| {
            sqlx::query("UPDATE messages SET delivery_status = $1, delivery_error = $2 WHERE id = $3 AND municipality_id = $4")
                .bind(status)
                .bind(error)
                .bind(message_id)
                .bind(municipality_id)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// Adds an internal note (never sent) to a concern.
    pub async fn add_note(
        &self,
        municipality_id: i64,
        concern_id: i64,
        staff_id: i64,
        text: &str,
        now: i64,
    ) -> Result<i64> {
        let text = text.trim();
        if text.is_empty() {
            return Err(StoreError::Invalid(
                "Die Notiz ist leer. / The note is empty.".into(),
            ));
        }
        let summary = self
            .concern_summary(municipality_id, concern_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let citizen = self.citizen(municipality_id, summary.citizen_id).await?;
        let id = write_tx!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO messages (municipality_id, concern_id, channel_id, direction, kind, author_id, created_at) \
                 VALUES ($1, $2, $3, 'internal', 'note', $4, $5) RETURNING id",
            )
            .bind(municipality_id)
            .bind(concern_id)
            .bind(summary.channel_id)
            .bind(staff_id)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query("UPDATE messages SET body_enc = $1 WHERE id = $2")
                .bind(
                    citizen
                        .key
                        .seal_str(text, &context("messages", "body_enc", id)),
                )
                .bind(id)
                .execute(&mut *tx)
                .await?;
            id
        });
        Ok(id)
    }

    pub async fn set_concern_status(
        &self,
        municipality_id: i64,
        concern_id: i64,
        status: ConcernStatus,
        now: i64,
    ) -> Result<()> {
        let resolved_at = (status == ConcernStatus::Resolved).then_some(now);
        let n = write_tx!(self, |tx| {
            // Reopening ends the old measurement: the citizen's next message starts a new one.
            sqlx::query(
                "UPDATE concerns SET status = $1, resolved_at = $2, last_activity_at = $3, \
                 response_id = CASE WHEN status = 'resolved' AND $1 <> 'resolved' THEN NULL ELSE response_id END \
                 WHERE id = $4 AND municipality_id = $5",
            )
                .bind(status.as_str())
                .bind(resolved_at)
                .bind(now)
                .bind(concern_id)
                .bind(municipality_id)
                .execute(&mut *tx)
                .await?
                .rows_affected()
        });
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Assigns a concern to a colleague of the same municipality (or to nobody).
    pub async fn assign_concern(
        &self,
        municipality_id: i64,
        concern_id: i64,
        assignee: Option<i64>,
    ) -> Result<()> {
        let n = write_tx!(self, |tx| {
            if let Some(staff_id) = assignee {
                let member: Option<i64> = sqlx::query_scalar(
                    "SELECT staff_id FROM memberships WHERE staff_id = $1 AND municipality_id = $2",
                )
                .bind(staff_id)
                .bind(municipality_id)
                .fetch_optional(&mut *tx)
                .await?;
                if member.is_none() {
                    return Err(StoreError::Invalid(
                        "Diese Person gehört nicht zu dieser Kommune. / This person is not a member of this municipality.".into(),
                    ));
                }
            }
            sqlx::query(
                "UPDATE concerns SET assignee_id = $1 WHERE id = $2 AND municipality_id = $3",
            )
            .bind(assignee)
            .bind(concern_id)
            .bind(municipality_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
        });
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
