//! The inbox side of concerns: lists, counts, one concern with its decrypted thread.

use rathaus_crypto::context;
use rathaus_domain::delivery::within_customer_service_window;
use rathaus_domain::{
    ChannelKind, ConcernStatus, ConsentState, DeliveryStatus, Direction, MessageKind,
    CUSTOMER_SERVICE_WINDOW_MS,
};

use crate::concerns::ReplyRefused;
use crate::db::read;
use crate::{Result, Store, StoreError};

/// Filters of the inbox list.
#[derive(Debug, Clone, Default)]
pub struct ConcernFilter {
    pub status: Option<ConcernStatus>,
    pub channel_id: Option<i64>,
    pub limit: Option<i64>,
    /// Only concerns of this team.
    pub team_id: Option<i64>,
    /// Only what this staff member's teams may see: concerns of their teams and concerns without a team.
    pub visible_to: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConcernSummary {
    pub id: i64,
    pub status: ConcernStatus,
    pub channel_id: i64,
    pub channel_kind: ChannelKind,
    pub channel_name: String,
    pub citizen_id: i64,
    pub pseudonym: String,
    pub assignee_id: Option<i64>,
    pub assignee_name: Option<String>,
    /// The team it is routed to, if any.
    pub team_id: Option<i64>,
    pub team_name: Option<String>,
    pub created_at: i64,
    pub last_activity_at: i64,
    /// When it was resolved (retention counts from here).
    pub resolved_at: Option<i64>,
    /// When the first answer is (or was) due under the promise made when the citizen wrote.
    pub due_at: Option<i64>,
    /// From when the promise counts as near due (see [`ConcernSummary::response_status`]).
    pub near_due_at: Option<i64>,
    /// The first staff reply after the citizen's first waiting message.
    pub first_response_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MessageView {
    pub id: i64,
    pub direction: Direction,
    pub kind: MessageKind,
    pub text: Option<String>,
    pub author_name: Option<String>,
    pub delivery_status: Option<DeliveryStatus>,
    pub delivery_error: Option<String>,
    pub created_at: i64,
    pub media: Option<MediaInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaInfo {
    pub id: i64,
    /// "pending", "stored" or "failed".
    pub state: String,
    pub mime_type: Option<String>,
    pub byte_size: Option<i64>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ConcernDetail {
    pub summary: ConcernSummary,
    pub messages: Vec<MessageView>,
    pub consent: ConsentState,
    /// Until when a free-form reply is possible (channels with a customer-service window), else None.
    pub reply_window_until: Option<i64>,
    pub last_inbound_at: Option<i64>,
}

impl ConcernDetail {
    /// Whether a staff reply may be sent at `now`; the reason when not.
    pub fn reply_blocked(&self, now: i64) -> Option<ReplyRefused> {
        if self.consent != ConsentState::Given {
            return Some(ReplyRefused::ConsentWithdrawn);
        }
        if self.summary.channel_kind.has_customer_service_window()
            && !within_customer_service_window(self.last_inbound_at, now)
        {
            return Some(ReplyRefused::WindowClosed);
        }
        None
    }
}

#[derive(sqlx::FromRow)]
struct SummaryRaw {
    id: i64,
    status: String,
    channel_id: i64,
    kind: String,
    channel_name: String,
    citizen_id: i64,
    pseudonym: String,
    assignee_id: Option<i64>,
    assignee_name: Option<String>,
    team_id: Option<i64>,
    team_name: Option<String>,
    created_at: i64,
    last_activity_at: i64,
    resolved_at: Option<i64>,
    due_at: Option<i64>,
    near_due_at: Option<i64>,
    first_response_at: Option<i64>,
}

impl SummaryRaw {
    fn into_summary(self) -> Result<ConcernSummary> {
        Ok(ConcernSummary {
            id: self.id,
            status: ConcernStatus::parse(&self.status)
                .ok_or_else(|| StoreError::Invalid(format!("bad status {}", self.status)))?,
            channel_id: self.channel_id,
            channel_kind: ChannelKind::parse(&self.kind)
                .ok_or_else(|| StoreError::Invalid(format!("bad channel kind {}", self.kind)))?,
            channel_name: self.channel_name,
            citizen_id: self.citizen_id,
            pseudonym: self.pseudonym,
            assignee_id: self.assignee_id,
            assignee_name: self.assignee_name,
            team_id: self.team_id,
            team_name: self.team_name,
            created_at: self.created_at,
            last_activity_at: self.last_activity_at,
            resolved_at: self.resolved_at,
            due_at: self.due_at,
            near_due_at: self.near_due_at,
            first_response_at: self.first_response_at,
        })
    }
}

const SUMMARY_SELECT: &str = "SELECT c.id, c.status, c.channel_id, ch.kind, ch.name AS channel_name, c.citizen_id, \
     z.pseudonym, c.assignee_id, s.display_name AS assignee_name, c.team_id, t.name AS team_name, c.created_at, c.last_activity_at, c.resolved_at, \
     f.due_at, f.near_due_at, f.first_response_at \
     FROM concerns c JOIN channels ch ON ch.id = c.channel_id JOIN citizens z ON z.id = c.citizen_id \
     LEFT JOIN staff s ON s.id = c.assignee_id LEFT JOIN teams t ON t.id = c.team_id LEFT JOIN first_responses f ON f.id = c.response_id";

#[derive(sqlx::FromRow)]
struct MessageRaw {
    id: i64,
    direction: String,
    kind: String,
    body_enc: Option<Vec<u8>>,
    author_name: Option<String>,
    delivery_status: Option<String>,
    delivery_error: Option<String>,
    created_at: i64,
    media_id: Option<i64>,
    media_state: Option<String>,
    mime_type: Option<String>,
    byte_size: Option<i64>,
    media_error: Option<String>,
}

impl Store {
    /// The inbox: newest activity first.
    pub async fn list_concerns(
        &self,
        municipality_id: i64,
        filter: &ConcernFilter,
    ) -> Result<Vec<ConcernSummary>> {
        let sql = format!(
            "{SUMMARY_SELECT} WHERE c.municipality_id = $1 AND ($2 IS NULL OR c.status = $2) AND ($3 IS NULL OR c.channel_id = $3) \
             AND ($5 IS NULL OR c.team_id = $5) \
             AND ($6 IS NULL OR c.team_id IS NULL OR c.team_id IN (SELECT team_id FROM team_members WHERE staff_id = $6)) \
             ORDER BY c.last_activity_at DESC, c.id DESC LIMIT $4"
        );
        let status = filter.status.map(|s| s.as_str());
        let raws: Vec<SummaryRaw> = read!(self.db(), |ex| {
            sqlx::query_as(&sql)
                .bind(municipality_id)
                .bind(status)
                .bind(filter.channel_id)
                .bind(filter.limit.unwrap_or(200))
                .bind(filter.team_id)
                .bind(filter.visible_to)
                .fetch_all(ex)
                .await?
        });
        raws.into_iter().map(SummaryRaw::into_summary).collect()
    }

    /// Counts of concerns per status, for the inbox tabs.
    pub async fn concern_counts(&self, municipality_id: i64) -> Result<Vec<(ConcernStatus, i64)>> {
        let rows: Vec<(String, i64)> = read!(self.db(), |ex| {
            sqlx::query_as(
                "SELECT status, COUNT(*) FROM concerns WHERE municipality_id = $1 GROUP BY status",
            )
            .bind(municipality_id)
            .fetch_all(ex)
            .await?
        });
        Ok(ConcernStatus::ALL
            .into_iter()
            .map(|s| {
                (
                    s,
                    rows.iter()
                        .find(|(n, _)| n == s.as_str())
                        .map(|(_, c)| *c)
                        .unwrap_or(0),
                )
            })
            .collect())
    }

    pub async fn concern_summary(
        &self,
        municipality_id: i64,
        concern_id: i64,
    ) -> Result<Option<ConcernSummary>> {
        let sql = format!("{SUMMARY_SELECT} WHERE c.municipality_id = $1 AND c.id = $2");
        let raw: Option<SummaryRaw> = read!(self.db(), |ex| {
            sqlx::query_as(&sql)
                .bind(municipality_id)
                .bind(concern_id)
                .fetch_optional(ex)
                .await?
        });
        raw.map(SummaryRaw::into_summary).transpose()
    }

    /// A concern with its whole thread, decrypted. Scoped to the municipality: another town's id is "not found".
    pub async fn concern_detail(
        &self,
        municipality_id: i64,
        concern_id: i64,
    ) -> Result<Option<ConcernDetail>> {
        let Some(summary) = self.concern_summary(municipality_id, concern_id).await? else {
            return Ok(None);
        };
        let citizen = self.citizen(municipality_id, summary.citizen_id).await?;
        let last_inbound_at: Option<i64> = read!(self.db(), |ex| {
            sqlx::query_scalar("SELECT last_inbound_at FROM citizens WHERE id = $1")
                .bind(citizen.id)
                .fetch_one(ex)
                .await?
        });
        let raws: Vec<MessageRaw> = read!(self.db(), |ex| {
            sqlx::query_as(
                "SELECT m.id, m.direction, m.kind, m.body_enc, s.display_name AS author_name, m.delivery_status, m.delivery_error, \
                 m.created_at, md.id AS media_id, md.state AS media_state, md.mime_type, md.byte_size, md.error AS media_error \
                 FROM messages m LEFT JOIN staff s ON s.id = m.author_id LEFT JOIN media md ON md.message_id = m.id \
                 WHERE m.concern_id = $1 ORDER BY m.created_at, m.id",
            )
            .bind(concern_id)
            .fetch_all(ex)
            .await?
        });
        let mut messages = Vec::with_capacity(raws.len());
        for r in raws {
            let text = match &r.body_enc {
                Some(b) => Some(
                    citizen
                        .key
                        .open_string(b, &context("messages", "body_enc", r.id))?,
                ),
                None => None,
            };
            messages.push(MessageView {
                id: r.id,
                direction: Direction::parse(&r.direction).unwrap_or(Direction::Internal),
                kind: MessageKind::parse(&r.kind).unwrap_or(MessageKind::Unsupported),
                text,
                author_name: r.author_name,
                delivery_status: r.delivery_status.as_deref().and_then(DeliveryStatus::parse),
                delivery_error: r.delivery_error,
                created_at: r.created_at,
                media: r.media_id.map(|id| MediaInfo {
                    id,
                    state: r.media_state.unwrap_or_default(),
                    mime_type: r.mime_type,
                    byte_size: r.byte_size,
                    error: r.media_error,
                }),
            });
        }
        let reply_window_until = if summary.channel_kind.has_customer_service_window() {
            last_inbound_at.map(|t| t + CUSTOMER_SERVICE_WINDOW_MS)
        } else {
            None
        };
        Ok(Some(ConcernDetail {
            summary,
            messages,
            consent: citizen.consent,
            reply_window_until,
            last_inbound_at,
        }))
    }
}
