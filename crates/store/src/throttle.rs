//! Failed staff logins per account and per client address (as keyed hashes), shared by every instance.

use crate::db::{read, write_tx};
use crate::{Result, Store};

/// Failures older than this are deleted; no lockout looks further back.
pub const LOGIN_FAILURE_RETENTION_MS: i64 = 24 * 60 * 60 * 1000;

/// Recent failed logins for one account and one client address.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoginFailures {
    /// Failures of the account within the account window, and when the latest happened.
    pub account_count: i64,
    pub account_last_at: Option<i64>,
    /// Failures from the address within the address window, and when the earliest of them happened.
    pub ip_count: i64,
    pub ip_first_at: Option<i64>,
}

impl Store {
    /// Keyed hash of an e-mail address or client address: counts without storing either in clear.
    fn login_key(&self, kind: &str, value: &str) -> Vec<u8> {
        let key = self.keys().master().derive("login-throttle");
        key.keyed_hash(format!("{kind}:{value}").as_bytes())
            .to_vec()
    }

    fn account_key(&self, email: &str) -> Vec<u8> {
        self.login_key("account", &email.trim().to_lowercase())
    }

    /// Failures of `email` since `now - account_window_ms` and from `ip` since `now - ip_window_ms`.
    /// Works the same whether an account with that e-mail exists or not.
    pub async fn login_failures(
        &self,
        email: &str,
        ip: Option<&str>,
        now: i64,
        account_window_ms: i64,
        ip_window_ms: i64,
    ) -> Result<LoginFailures> {
        let account = self.account_key(email);
        let (account_count, account_last_at): (i64, Option<i64>) = read!(self.db(), |ex| {
            sqlx::query_as(
                "SELECT COUNT(*), MAX(at) FROM login_failures WHERE account_key = $1 AND at > $2",
            )
            .bind(&account)
            .bind(now - account_window_ms)
            .fetch_one(ex)
            .await?
        });
        let (ip_count, ip_first_at) = match ip {
            None => (0, None),
            Some(ip) => {
                let ip_key = self.login_key("ip", ip);
                read!(self.db(), |ex| {
                    sqlx::query_as(
                        "SELECT COUNT(*), MIN(at) FROM login_failures WHERE ip_key = $1 AND at > $2",
                    )
                    .bind(&ip_key)
                    .bind(now - ip_window_ms)
                    .fetch_one(ex)
                    .await?
                })
            }
        };
        Ok(LoginFailures {
            account_count,
            account_last_at,
            ip_count,
            ip_first_at,
        })
    }

    /// Records one failed login (wrong password or wrong second factor) and forgets failures older than a day.
    pub async fn record_login_failure(&self, email: &str, ip: Option<&str>, at: i64) -> Result<()> {
        self.insert_login_failure(self.account_key(email), ip, at)
            .await
    }

    /// Failures from `ip` since `now - ip_window_ms`, for a sign-in that names no account yet (a
    /// passkey sign-in before its credential is looked up). The account fields stay zero.
    pub async fn address_login_failures(
        &self,
        ip: Option<&str>,
        now: i64,
        ip_window_ms: i64,
    ) -> Result<LoginFailures> {
        let Some(ip) = ip else {
            return Ok(LoginFailures::default());
        };
        let ip_key = self.login_key("ip", ip);
        let (ip_count, ip_first_at) = read!(self.db(), |ex| {
            sqlx::query_as(
                "SELECT COUNT(*), MIN(at) FROM login_failures WHERE ip_key = $1 AND at > $2",
            )
            .bind(&ip_key)
            .bind(now - ip_window_ms)
            .fetch_one(ex)
            .await?
        });
        Ok(LoginFailures {
            ip_count,
            ip_first_at,
            ..LoginFailures::default()
        })
    }

    /// Records a failed sign-in that names no account (a passkey nobody registered): it counts for
    /// the address only, under an account key no e-mail address hashes to.
    pub async fn record_address_login_failure(&self, ip: Option<&str>, at: i64) -> Result<()> {
        self.insert_login_failure(self.login_key("no-account", ""), ip, at)
            .await
    }

    async fn insert_login_failure(
        &self,
        account: Vec<u8>,
        ip: Option<&str>,
        at: i64,
    ) -> Result<()> {
        let ip_key = ip.map(|ip| self.login_key("ip", ip));
        write_tx!(self, |tx| {
            sqlx::query("DELETE FROM login_failures WHERE at < $1")
                .bind(at - LOGIN_FAILURE_RETENTION_MS)
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO login_failures (account_key, ip_key, at) VALUES ($1, $2, $3)")
                .bind(&account)
                .bind(&ip_key)
                .bind(at)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// The e-mail address a member's failed logins are counted under (`None` for no such member),
    /// so that a passkey refused for a known account counts where its wrong passwords count.
    pub async fn login_email_of(&self, staff_id: i64) -> Result<Option<String>> {
        let email: Option<String> = read!(self.db(), |ex| {
            sqlx::query_scalar("SELECT email FROM staff WHERE id = $1")
                .bind(staff_id)
                .fetch_optional(ex)
                .await?
        });
        Ok(email)
    }

    /// After a successful login: the account starts again with a clean slate (its address does not).
    pub async fn clear_login_failures(&self, email: &str) -> Result<()> {
        let account = self.account_key(email);
        write_tx!(self, |tx| {
            sqlx::query("DELETE FROM login_failures WHERE account_key = $1")
                .bind(&account)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }
}
