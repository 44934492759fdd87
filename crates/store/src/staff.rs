//! Staff accounts, memberships with a role per municipality, login sessions, API tokens and setup links.

use rathaus_crypto::{sha256_hex, Key};

use crate::db::{read, write_tx};
use crate::{Result, Store, StoreError};

/// What a staff member may do in one municipality (one role per municipality).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Settings, channels, users.
    Admin,
    /// Publishing and comment moderation.
    Editor,
    /// Answers concerns.
    Agent,
    /// Holds consultation hours.
    Host,
    /// Data-protection officer: privacy center, audit log, reveals; does not answer.
    Dpo,
    /// Reports only.
    Viewer,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::Editor,
        Role::Agent,
        Role::Host,
        Role::Dpo,
        Role::Viewer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::Agent => "agent",
            Role::Host => "host",
            Role::Dpo => "dpo",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether this role may answer citizens, write notes, assign and change status.
    pub fn can_answer(self) -> bool {
        matches!(self, Role::Admin | Role::Agent | Role::Host)
    }

    /// Whether this role may read concern threads.
    pub fn can_read_concerns(self) -> bool {
        matches!(self, Role::Admin | Role::Agent | Role::Host | Role::Dpo)
    }

    /// Whether this role handles data-protection matters (erasure, access requests, audit log).
    pub fn is_privacy_officer(self) -> bool {
        matches!(self, Role::Dpo)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffMember {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
}

/// Who is behind a session cookie or API token, in which municipality.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    pub staff_id: i64,
    pub email: String,
    pub display_name: String,
    pub language: String,
    pub municipality_id: i64,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiTokenInfo {
    pub id: i64,
    pub label: String,
    pub created_at: i64,
}

/// Tokens are random and long, so a plain SHA-256 is enough to store them safely.
pub(crate) fn token_hash(token: &str) -> Vec<u8> {
    hex::decode(sha256_hex(token.as_bytes())).unwrap_or_default()
}

#[derive(sqlx::FromRow)]
struct SessionRaw {
    staff_id: i64,
    email: String,
    display_name: String,
    language: String,
    municipality_id: i64,
    role: String,
}

impl SessionRaw {
    fn into_info(self) -> Result<SessionInfo> {
        Ok(SessionInfo {
            role: Role::parse(&self.role)
                .ok_or_else(|| StoreError::Invalid(format!("unknown role {}", self.role)))?,
            staff_id: self.staff_id,
            email: self.email,
            display_name: self.display_name,
            language: self.language,
            municipality_id: self.municipality_id,
        })
    }
}

impl Store {
    /// Creates a staff account or updates its password and name; adds the membership with the role.
    pub async fn upsert_staff(
        &self,
        municipality_id: i64,
        email: &str,
        display_name: &str,
        password_hash: Option<&str>,
        role: Role,
        now: i64,
    ) -> Result<i64> {
        let email = email.trim().to_lowercase();
        if !email.contains('@') || email.len() > 254 {
            return Err(StoreError::Invalid(format!(
                "'{email}' ist keine E-Mail-Adresse / is not an e-mail address"
            )));
        }
        let id = write_tx!(self, |tx| {
            let existing: Option<i64> = sqlx::query_scalar("SELECT id FROM staff WHERE email = $1")
                .bind(&email)
                .fetch_optional(&mut *tx)
                .await?;
            let id = match existing {
                Some(id) => {
                    sqlx::query("UPDATE staff SET display_name = $1, password_hash = COALESCE($2, password_hash) WHERE id = $3")
                        .bind(display_name)
                        .bind(password_hash)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    id
                }
                None => {
                    sqlx::query_scalar(
                        "INSERT INTO staff (email, display_name, password_hash, language, created_at) VALUES ($1, $2, $3, 'de', $4) RETURNING id",
                    )
                    .bind(&email)
                    .bind(display_name)
                    .bind(password_hash)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?
                }
            };
            // A changed role ends the member's sessions there: no session id outlives a privilege change.
            let old_role: Option<String> = sqlx::query_scalar(
                "SELECT role FROM memberships WHERE staff_id = $1 AND municipality_id = $2",
            )
            .bind(id)
            .bind(municipality_id)
            .fetch_optional(&mut *tx)
            .await?;
            if old_role.is_some_and(|r| r != role.as_str()) {
                sqlx::query("DELETE FROM sessions WHERE staff_id = $1 AND municipality_id = $2")
                    .bind(id)
                    .bind(municipality_id)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query(
                "INSERT INTO memberships (staff_id, municipality_id, role) VALUES ($1, $2, $3) \
                 ON CONFLICT (staff_id, municipality_id) DO UPDATE SET role = excluded.role",
            )
            .bind(id)
            .bind(municipality_id)
            .bind(role.as_str())
            .execute(&mut *tx)
            .await?;
            id
        });
        Ok(id)
    }

    /// Password hash and memberships for a login attempt.
    pub async fn staff_credentials(&self, email: &str) -> Result<Option<(i64, Option<String>)>> {
        let email = email.trim().to_lowercase();
        Ok(read!(self.db(), |ex| {
            sqlx::query_as("SELECT id, password_hash FROM staff WHERE email = $1")
                .bind(&email)
                .fetch_optional(ex)
                .await?
        }))
    }

    /// Municipalities a staff member belongs to, first joined first.
    pub async fn staff_municipalities(&self, staff_id: i64) -> Result<Vec<(i64, Role)>> {
        let rows: Vec<(i64, String)> = read!(self.db(), |ex| {
            sqlx::query_as("SELECT municipality_id, role FROM memberships WHERE staff_id = $1 ORDER BY municipality_id")
                .bind(staff_id)
                .fetch_all(ex)
                .await?
        });
        Ok(rows
            .into_iter()
            .filter_map(|(m, r)| Role::parse(&r).map(|r| (m, r)))
            .collect())
    }

    pub async fn staff_of_municipality(&self, municipality_id: i64) -> Result<Vec<StaffMember>> {
        let rows: Vec<(i64, String, String, String)> = read!(self.db(), |ex| {
            sqlx::query_as(
                "SELECT s.id, s.email, s.display_name, m.role FROM staff s JOIN memberships m ON m.staff_id = s.id \
                 WHERE m.municipality_id = $1 ORDER BY s.display_name",
            )
            .bind(municipality_id)
            .fetch_all(ex)
            .await?
        });
        Ok(rows
            .into_iter()
            .filter_map(|(id, email, display_name, role)| {
                Role::parse(&role).map(|role| StaffMember {
                    id,
                    email,
                    display_name,
                    role,
                })
            })
            .collect())
    }

    pub async fn staff_count(&self) -> Result<i64> {
        Ok(read!(self.db(), |ex| {
            sqlx::query_scalar("SELECT COUNT(*) FROM staff")
                .fetch_one(ex)
                .await?
        }))
    }

    pub async fn set_staff_language(&self, staff_id: i64, language: &str) -> Result<()> {
        write_tx!(self, |tx| {
            sqlx::query("UPDATE staff SET language = $1 WHERE id = $2")
                .bind(language)
                .bind(staff_id)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// Starts a session; only the hash of the cookie value is stored.
    pub async fn create_session(
        &self,
        token: &str,
        staff_id: i64,
        municipality_id: i64,
        now: i64,
        expires_at: i64,
    ) -> Result<()> {
        write_tx!(self, |tx| {
            sqlx::query("INSERT INTO sessions (id_hash, staff_id, municipality_id, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $4, $5)")
                .bind(token_hash(token))
                .bind(staff_id)
                .bind(municipality_id)
                .bind(now)
                .bind(expires_at)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// The session behind a cookie if it has been used within `idle_ms` and has not expired; touches it.
    pub async fn session(
        &self,
        token: &str,
        now: i64,
        idle_ms: i64,
    ) -> Result<Option<SessionInfo>> {
        let hash = token_hash(token);
        let raw: Option<SessionRaw> = read!(self.db(), |ex| {
            sqlx::query_as(
                "SELECT s.staff_id, st.email, st.display_name, st.language, s.municipality_id, m.role FROM sessions s \
                 JOIN staff st ON st.id = s.staff_id JOIN memberships m ON m.staff_id = s.staff_id AND m.municipality_id = s.municipality_id \
                 WHERE s.id_hash = $1 AND s.mfa_pending = 0 AND s.expires_at > $2 AND s.last_seen_at > $3",
            )
            .bind(&hash)
            .bind(now)
            .bind(now - idle_ms)
            .fetch_optional(ex)
            .await?
        });
        let Some(raw) = raw else { return Ok(None) };
        write_tx!(self, |tx| {
            sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
                .bind(now)
                .bind(&hash)
                .execute(&mut *tx)
                .await?;
        });
        raw.into_info().map(Some)
    }

    pub async fn delete_session(&self, token: &str) -> Result<()> {
        write_tx!(self, |tx| {
            sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                .bind(token_hash(token))
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// Issues a bearer token for `/api/v1` acting as this staff member in this municipality.
    pub async fn create_api_token(
        &self,
        staff_id: i64,
        municipality_id: i64,
        label: &str,
        now: i64,
    ) -> Result<String> {
        let token = format!("rh_{}", rathaus_crypto::random_token(32));
        write_tx!(self, |tx| {
            sqlx::query("INSERT INTO api_tokens (token_hash, staff_id, municipality_id, label, created_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(token_hash(&token))
                .bind(staff_id)
                .bind(municipality_id)
                .bind(label)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        });
        Ok(token)
    }

    pub async fn api_token(&self, token: &str, now: i64) -> Result<Option<SessionInfo>> {
        let hash = token_hash(token);
        let raw: Option<SessionRaw> = read!(self.db(), |ex| {
            sqlx::query_as(
                "SELECT t.staff_id, st.email, st.display_name, st.language, t.municipality_id, m.role FROM api_tokens t \
                 JOIN staff st ON st.id = t.staff_id JOIN memberships m ON m.staff_id = t.staff_id AND m.municipality_id = t.municipality_id \
                 WHERE t.token_hash = $1",
            )
            .bind(&hash)
            .fetch_optional(ex)
            .await?
        });
        let Some(raw) = raw else { return Ok(None) };
        write_tx!(self, |tx| {
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE token_hash = $2")
                .bind(now)
                .bind(&hash)
                .execute(&mut *tx)
                .await?;
        });
        raw.into_info().map(Some)
    }

    /// A one-time link to create the first admin of a municipality; returns the secret part of the link.
    pub async fn create_setup_link(
        &self,
        municipality_id: i64,
        now: i64,
        valid_ms: i64,
    ) -> Result<String> {
        let token = rathaus_crypto::random_token(24);
        write_tx!(self, |tx| {
            sqlx::query("INSERT INTO setup_links (token_hash, municipality_id, expires_at) VALUES ($1, $2, $3)")
                .bind(token_hash(&token))
                .bind(municipality_id)
                .bind(now + valid_ms)
                .execute(&mut *tx)
                .await?;
        });
        Ok(token)
    }

    /// Uses up a setup link; returns its municipality if it was valid and unused.
    pub async fn consume_setup_link(&self, token: &str, now: i64) -> Result<Option<i64>> {
        let hash = token_hash(token);
        let m = write_tx!(self, |tx| {
            sqlx::query_scalar("UPDATE setup_links SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING municipality_id")
                .bind(now)
                .bind(&hash)
                .fetch_optional(&mut *tx)
                .await?
        });
        Ok(m)
    }

    /// Whether a setup link is still usable (for showing the form before it is submitted).
    pub async fn setup_link_valid(&self, token: &str, now: i64) -> Result<bool> {
        let n: i64 = read!(self.db(), |ex| {
            sqlx::query_scalar("SELECT COUNT(*) FROM setup_links WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2")
                .bind(token_hash(token))
                .bind(now)
                .fetch_one(ex)
                .await?
        });
        Ok(n > 0)
    }

    /// The master key's purpose-bound sub-key for sealing configuration secrets.
    pub fn secrets_key(&self) -> Key {
        self.keys().master().derive("config-secrets")
    }
}
