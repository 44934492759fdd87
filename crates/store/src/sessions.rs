//! Login sessions beyond the basics: the second-factor step, session details, the member's list and ending them.

use crate::db::{read, write_tx};
use crate::staff::token_hash;
use crate::{Result, Store};

/// The first step of a sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstFactor {
    Password,
    /// Single sign-on with the municipality's identity provider.
    Sso,
    /// A passkey on its own (discoverable credential, user verification required).
    Passkey,
}

/// What satisfied the second factor of a sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecondFactor {
    Totp,
    RecoveryCode,
    /// The identity provider is configured as checking a second factor itself (`satisfies_mfa`).
    Provider,
    Passkey,
}

/// How a session was opened, as recorded on it (`sign_in` column), e.g. `password+totp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignIn {
    pub first: FirstFactor,
    pub second: Option<SecondFactor>,
}

impl SignIn {
    pub const fn new(first: FirstFactor) -> SignIn {
        SignIn {
            first,
            second: None,
        }
    }

    pub const fn with(self, second: SecondFactor) -> SignIn {
        SignIn {
            first: self.first,
            second: Some(second),
        }
    }

    /// Whether the session proved a second factor: a code, a vouching provider, or a passkey (which
    /// is possession plus user verification on its own).
    pub fn second_factor_satisfied(&self) -> bool {
        self.second.is_some() || self.first == FirstFactor::Passkey
    }

    /// The stored form, e.g. `sso+mfa`.
    pub fn as_str(&self) -> &'static str {
        use FirstFactor as F;
        use SecondFactor as S;
        match (self.first, self.second) {
            (F::Password, None) => "password",
            (F::Password, Some(S::Totp)) => "password+totp",
            (F::Password, Some(S::RecoveryCode)) => "password+recovery",
            (F::Password, Some(S::Provider)) => "password+mfa",
            (F::Password, Some(S::Passkey)) => "password+passkey",
            (F::Sso, None) => "sso",
            (F::Sso, Some(S::Totp)) => "sso+totp",
            (F::Sso, Some(S::RecoveryCode)) => "sso+recovery",
            (F::Sso, Some(S::Provider)) => "sso+mfa",
            (F::Sso, Some(S::Passkey)) => "sso+passkey",
            (F::Passkey, None) => "passkey",
            (F::Passkey, Some(S::Totp)) => "passkey+totp",
            (F::Passkey, Some(S::RecoveryCode)) => "passkey+recovery",
            (F::Passkey, Some(S::Provider)) => "passkey+mfa",
            (F::Passkey, Some(S::Passkey)) => "passkey+passkey",
        }
    }

    /// Reads the stored form back; `None` for anything unknown.
    pub fn parse(s: &str) -> Option<SignIn> {
        let (first, second) = match s.split_once('+') {
            Some((f, s)) => (f, Some(s)),
            None => (s, None),
        };
        let first = match first {
            "password" => FirstFactor::Password,
            "sso" => FirstFactor::Sso,
            "passkey" => FirstFactor::Passkey,
            _ => return None,
        };
        let second = match second {
            None => None,
            Some("totp") => Some(SecondFactor::Totp),
            Some("recovery") => Some(SecondFactor::RecoveryCode),
            Some("mfa") => Some(SecondFactor::Provider),
            Some("passkey") => Some(SecondFactor::Passkey),
            Some(_) => return None,
        };
        Some(SignIn { first, second })
    }
}

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
    /// How it was opened (for a pending session: the first factor only).
    pub sign_in: SignIn,
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
    /// The first factor already given (password or single sign-on).
    pub first: FirstFactor,
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
    /// `None` for a session from before sign-in methods were recorded.
    pub sign_in: Option<SignIn>,
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
                 mfa_pending, client_ip, user_agent, sign_in) VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8, $9)",
            )
            .bind(token_hash(s.token))
            .bind(s.staff_id)
            .bind(s.municipality_id)
            .bind(s.now)
            .bind(s.expires_at)
            .bind(i64::from(s.mfa_pending))
            .bind(s.client_ip)
            .bind(s.user_agent)
            .bind(s.sign_in.as_str())
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }

    /// The login behind a cookie that still waits for its second factor.
    pub async fn pending_login(&self, token: &str, now: i64) -> Result<Option<PendingLogin>> {
        let row: Option<(i64, i64, String, Option<String>)> = read!(self.db(), |ex| {
            sqlx::query_as(
                "SELECT s.staff_id, s.municipality_id, st.email, s.sign_in FROM sessions s JOIN staff st ON st.id = s.staff_id \
                 WHERE s.id_hash = $1 AND s.mfa_pending = 1 AND s.expires_at > $2",
            )
            .bind(token_hash(token))
            .bind(now)
            .fetch_optional(ex)
            .await?
        });
        Ok(
            row.map(|(staff_id, municipality_id, email, sign_in)| PendingLogin {
                staff_id,
                municipality_id,
                email,
                first: sign_in
                    .as_deref()
                    .and_then(SignIn::parse)
                    .map_or(FirstFactor::Password, |s| s.first),
            }),
        )
    }

    /// How the (signed-in) session behind a cookie was opened: `None` if there is no such session,
    /// `Some(None)` for a session from before the method was recorded.
    pub async fn session_sign_in(&self, token: &str) -> Result<Option<Option<SignIn>>> {
        let row: Option<(Option<String>,)> = read!(self.db(), |ex| {
            sqlx::query_as("SELECT sign_in FROM sessions WHERE id_hash = $1 AND mfa_pending = 0")
                .bind(token_hash(token))
                .fetch_optional(ex)
                .await?
        });
        Ok(row.map(|(s,)| s.as_deref().and_then(SignIn::parse)))
    }

    /// The member's live sessions (not expired, used within `idle_ms`), most recently used first.
    pub async fn staff_sessions(
        &self,
        staff_id: i64,
        now: i64,
        idle_ms: i64,
    ) -> Result<Vec<SessionSummary>> {
        type Row = (
            Vec<u8>,
            i64,
            i64,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let rows: Vec<Row> = read!(self.db(), |ex| {
            sqlx::query_as(
                    "SELECT id_hash, created_at, last_seen_at, client_ip, user_agent, sign_in FROM sessions \
                     WHERE staff_id = $1 AND mfa_pending = 0 AND expires_at > $2 AND last_seen_at > $3 \
                     ORDER BY last_seen_at DESC",
                )
                .bind(staff_id)
                .bind(now)
                .bind(now - idle_ms)
                .fetch_all(ex)
                .await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(hash, created_at, last_seen_at, client_ip, user_agent, sign_in)| SessionSummary {
                    reference: hex::encode(hash),
                    created_at,
                    last_seen_at,
                    client_ip,
                    user_agent,
                    sign_in: sign_in.as_deref().and_then(SignIn::parse),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sign_in_method_reads_back_and_only_second_factors_or_passkeys_satisfy() {
        let firsts = [
            FirstFactor::Password,
            FirstFactor::Sso,
            FirstFactor::Passkey,
        ];
        let seconds = [
            None,
            Some(SecondFactor::Totp),
            Some(SecondFactor::RecoveryCode),
            Some(SecondFactor::Provider),
            Some(SecondFactor::Passkey),
        ];
        for first in firsts {
            for second in seconds {
                let s = SignIn { first, second };
                assert_eq!(SignIn::parse(s.as_str()), Some(s), "{}", s.as_str());
                assert_eq!(
                    s.second_factor_satisfied(),
                    second.is_some() || first == FirstFactor::Passkey
                );
            }
        }
        for first_only in ["password", "sso"] {
            let s = SignIn::parse(first_only);
            assert!(
                s.is_some_and(|s| !s.second_factor_satisfied()),
                "{first_only}"
            );
        }
        for bad in ["", "password+", "sso+sms", "magic", "password+totp+totp"] {
            assert_eq!(SignIn::parse(bad), None, "{bad}");
        }
    }
}
