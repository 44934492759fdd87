//! Login sessions beyond the basics: the second-factor step, session details, the member's list and ending them.

use crate::db::{read, write_tx};
use crate::staff::token_hash;
use crate::{Result, Store};

/// A session about to start.
#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    pub token: &'a str,
    pub staff_id: i64,
    pub municipality_id: i64,
    pub now: i64,
    pub expires_at: i64,
    /// Password accepted, second factor still to come: such a session opens nothing but the code form.
    pub mfa_pending: bool,
    /// Already truncated to /24 or /48.
    pub client_ip: Option<&'a str>,
    /// A short summary such as "Firefox, Windows" (never the whole header).
    pub user_agent: Option<&'a str>,
}

/// A session waiting for the second factor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingLogin {
    pub staff_id: i64,
    pub municipality_id: i64,
    pub email: String,
}

/// One entry of a member's session list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSummary {
    /// Names the session in forms without revealing its cookie (hex of the stored hash).
    pub reference: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
}

/// The reference of the session behind a cookie value (see [`SessionSummary::reference`]).
pub fn session_reference(token: &str) -> String {
    hex::encode(token_hash(token))
}

impl Store {
    /// Starts a session (only the hash of the cookie value is stored) and drops expired ones.
    pub async fn start_session(&self, s: &NewSession<'_>) -> Result<()> {
        write_tx!(self, |tx| {
            sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
                .bind(s.now)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO sessions (id_hash, staff_id, municipality_id, created_at, last_seen_at, expires_at, \
                 mfa_pending, client_ip, user_agent) VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8)",
            )
            .bind(token_hash(s.token))
            .bind(s.staff_id)
            .bind(s.municipality_id)
            .bind(s.now)
            .bind(s.expires_at)
            .bind(i64::from(s.mfa_pending))
            .bind(s.client_ip)
            .bind(s.user_agent)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }

    /// The login behind a cookie that still waits for its second factor.
    pub async fn pending_login(&self, token: &str, now: i64) -> Result<Option<PendingLogin>> {
        let row: Option<(i64, i64, String)> = read!(self.db(), |ex| {
            sqlx::query_as(
                "SELECT s.staff_id, s.municipality_id, st.email FROM sessions s JOIN staff st ON st.id = s.staff_id \
                 WHERE s.id_hash = $1 AND s.mfa_pending = 1 AND s.expires_at > $2",
            )
            .bind(token_hash(token))
            .bind(now)
            .fetch_optional(ex)
            .await?
        });
        Ok(row.map(|(staff_id, municipality_id, email)| PendingLogin {
            staff_id,
            municipality_id,
            email,
        }))
    }

    /// The member's live sessions (not expired, used within `idle_ms`), most recently used first.
    pub async fn staff_sessions(
        &self,
        staff_id: i64,
        now: i64,
        idle_ms: i64,
    ) -> Result<Vec<SessionSummary>> {
        let rows: Vec<(Vec<u8>, i64, i64, Option<String>, Option<String>)> = read!(
            self.db(),
            |ex| {
                sqlx::query_as(
                    "SELECT id_hash, created_at, last_seen_at, client_ip, user_agent FROM sessions \
                     WHERE staff_id = $1 AND mfa_pending = 0 AND expires_at > $2 AND last_seen_at > $3 \
                     ORDER BY last_seen_at DESC",
                )
                .bind(staff_id)
                .bind(now)
                .bind(now - idle_ms)
                .fetch_all(ex)
                .await?
            }
        );
        Ok(rows
            .into_iter()
            .map(
                |(hash, created_at, last_seen_at, client_ip, user_agent)| SessionSummary {
                    reference: hex::encode(hash),
                    created_at,
                    last_seen_at,
                    client_ip,
                    user_agent,
                },
            )
            .collect())
    }

    /// Ends one of the member's sessions by its reference; false if there was none.
    pub async fn end_session(&self, staff_id: i64, reference: &str) -> Result<bool> {
        let Ok(hash) = hex::decode(reference) else {
            return Ok(false);
        };
        let n = write_tx!(self, |tx| {
            sqlx::query("DELETE FROM sessions WHERE staff_id = $1 AND id_hash = $2")
                .bind(staff_id)
                .bind(&hash)
                .execute(&mut *tx)
                .await?
                .rows_affected()
        });
        Ok(n == 1)
    }

    /// Ends every session of the member, everywhere ("log out everywhere"); returns how many.
    pub async fn end_all_sessions(&self, staff_id: i64) -> Result<u64> {
        Ok(write_tx!(self, |tx| {
            sqlx::query("DELETE FROM sessions WHERE staff_id = $1")
                .bind(staff_id)
                .execute(&mut *tx)
                .await?
                .rows_affected()
        }))
    }
}
