//! Small read queries for the privacy center: notice versions, a citizen's activity, request channels, audit paging.

use crate::audit::{AuditFilter, AuditRecord};
use crate::citizens::CitizenRef;
use crate::db::read;
use crate::{Result, Store};

/// One version of a municipality's privacy notice and since when it was in force.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PrivacyNotice {
    pub version: String,
    pub url: String,
    pub first_in_force_at: i64,
}

/// What exists about a citizen, without content: their concerns and how many messages.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CitizenActivity {
    /// (concern id, status, created_at), oldest first.
    pub concerns: Vec<(i64, String, i64)>,
    pub messages: i64,
}

impl Store {
    /// Every privacy-notice version of a municipality, oldest first.
    pub async fn privacy_notices(&self, municipality_id: i64) -> Result<Vec<PrivacyNotice>> {
        Ok(read!(self.db(), |ex| {
            sqlx::query_as(
                "SELECT version, url, first_in_force_at FROM privacy_notices WHERE municipality_id = $1 \
                 ORDER BY first_in_force_at, id",
            )
            .bind(municipality_id)
            .fetch_all(ex)
            .await?
        }))
    }

    /// The citizen's concerns and their message count (notes included).
    pub async fn citizen_activity(&self, citizen: &CitizenRef) -> Result<CitizenActivity> {
        let concerns: Vec<(i64, String, i64)> = read!(self.db(), |ex| {
            sqlx::query_as(
                "SELECT id, status, created_at FROM concerns WHERE citizen_id = $1 AND municipality_id = $2 ORDER BY created_at, id",
            )
            .bind(citizen.id)
            .bind(citizen.municipality_id)
            .fetch_all(ex)
            .await?
        });
        let messages: i64 = read!(self.db(), |ex| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM messages m JOIN concerns c ON c.id = m.concern_id WHERE c.citizen_id = $1",
            )
            .bind(citizen.id)
            .fetch_one(ex)
            .await?
        });
        Ok(CitizenActivity { concerns, messages })
    }

    /// (request id, channel id) for the requests whose citizen still exists.
    pub async fn data_request_channels(&self, municipality_id: i64) -> Result<Vec<(i64, i64)>> {
        Ok(read!(self.db(), |ex| {
            sqlx::query_as(
                "SELECT r.id, z.channel_id FROM data_requests r JOIN citizens z ON z.id = r.citizen_id \
                 WHERE r.municipality_id = $1",
            )
            .bind(municipality_id)
            .fetch_all(ex)
            .await?
        }))
    }

    /// As [`Store::audit_entries`], but only entries with an id below `before_id` (for "older" paging).
    pub async fn audit_entries_before(
        &self,
        municipality_id: i64,
        f: &AuditFilter,
        before_id: Option<i64>,
    ) -> Result<Vec<AuditRecord>> {
        let prefix = f
            .action_prefix
            .as_ref()
            .map(|p| format!("{}%", escape_like(p)));
        let actor = f
            .actor_contains
            .as_ref()
            .map(|a| format!("%{}%", escape_like(a)));
        Ok(read!(self.db(), |ex| {
            sqlx::query_as(
                "SELECT id, municipality_id, at, actor, action, target, ip, details FROM audit_log \
                 WHERE municipality_id = $1 AND ($2 IS NULL OR action LIKE $2 ESCAPE '\\') \
                 AND ($3 IS NULL OR actor LIKE $3 ESCAPE '\\') AND ($4 IS NULL OR at >= $4) AND ($5 IS NULL OR at < $5) \
                 AND ($6 IS NULL OR id < $6) ORDER BY id DESC LIMIT $7",
            )
            .bind(municipality_id)
            .bind(prefix.as_deref())
            .bind(actor.as_deref())
            .bind(f.from)
            .bind(f.to)
            .bind(before_id)
            .bind(f.limit.unwrap_or(50))
            .fetch_all(ex)
            .await?
        }))
    }
}

/// `%` and `_` typed into a filter are meant literally.
fn escape_like(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            o.push('\\');
        }
        o.push(c);
    }
    o
}
