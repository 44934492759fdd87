//! The staff second factor: TOTP secrets sealed under a master-derived key, replay guard, hashed recovery codes.

use rathaus_crypto::{context, Key};

use crate::db::{read, write_tx};
use crate::{Result, Store, StoreError};

/// A member's TOTP enrolment.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpEnrolment {
    /// The shared secret (raw bytes, usually 20).
    pub secret: Vec<u8>,
    /// Whether a first code confirmed it; unconfirmed secrets are not asked for at login.
    pub confirmed: bool,
    /// The last accepted 30-second step; a code for it or an earlier step is a replay.
    pub last_step: Option<i64>,
    pub created_at: i64,
}

impl std::fmt::Debug for TotpEnrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpEnrolment")
            .field("secret", &"…")
            .field("confirmed", &self.confirmed)
            .field("last_step", &self.last_step)
            .finish()
    }
}

/// A recovery code as typed: only letters and digits count, case does not.
pub fn normalize_recovery_code(code: &str) -> String {
    code.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

impl Store {
    fn totp_key(&self) -> Key {
        self.keys().master().derive("staff-totp")
    }

    fn recovery_hash(&self, staff_id: i64, code: &str) -> Vec<u8> {
        let key = self.keys().master().derive("recovery-codes");
        let normalized = normalize_recovery_code(code);
        key.keyed_hash(format!("{staff_id}:{normalized}").as_bytes())
            .to_vec()
    }

    /// The member's TOTP enrolment, confirmed or not.
    pub async fn totp(&self, staff_id: i64) -> Result<Option<TotpEnrolment>> {
        let row: Option<(Vec<u8>, Option<i64>, Option<i64>, i64)> = read!(self.db(), |ex| {
            sqlx::query_as(
                "SELECT secret_enc, confirmed_at, last_step, created_at FROM staff_totp WHERE staff_id = $1",
            )
            .bind(staff_id)
            .fetch_optional(ex)
            .await?
        });
        let Some((sealed, confirmed_at, last_step, created_at)) = row else {
            return Ok(None);
        };
        let secret = self
            .totp_key()
            .open(&sealed, &context("staff_totp", "secret_enc", staff_id))?;
        Ok(Some(TotpEnrolment {
            secret,
            confirmed: confirmed_at.is_some(),
            last_step,
            created_at,
        }))
    }

    /// Whether the member has a confirmed second factor.
    pub async fn totp_enabled(&self, staff_id: i64) -> Result<bool> {
        let n: i64 = read!(self.db(), |ex| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM staff_totp WHERE staff_id = $1 AND confirmed_at IS NOT NULL",
            )
            .bind(staff_id)
            .fetch_one(ex)
            .await?
        });
        Ok(n > 0)
    }

    /// Stores a new, unconfirmed secret (replacing an unconfirmed one); refused while one is confirmed.
    pub async fn begin_totp(&self, staff_id: i64, secret: &[u8], now: i64) -> Result<()> {
        let sealed = self
            .totp_key()
            .seal(secret, &context("staff_totp", "secret_enc", staff_id));
        let changed = write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO staff_totp (staff_id, secret_enc, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (staff_id) DO UPDATE SET secret_enc = excluded.secret_enc, \
                 created_at = excluded.created_at, last_step = NULL \
                 WHERE staff_totp.confirmed_at IS NULL",
            )
            .bind(staff_id)
            .bind(&sealed)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected()
        });
        if changed == 0 {
            return Err(StoreError::Invalid(
                "second factor already set up; disable it first".into(),
            ));
        }
        Ok(())
    }

    /// Confirms the unconfirmed secret with the step of the first valid code; false if there is none.
    pub async fn confirm_totp(&self, staff_id: i64, step: i64, now: i64) -> Result<bool> {
        let n = write_tx!(self, |tx| {
            sqlx::query(
                "UPDATE staff_totp SET confirmed_at = $1, last_step = $2 WHERE staff_id = $3 AND confirmed_at IS NULL",
            )
            .bind(now)
            .bind(step)
            .bind(staff_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
        });
        Ok(n == 1)
    }

    /// Accepts a code's step once: true only if it is later than every step accepted before.
    pub async fn use_totp_step(&self, staff_id: i64, step: i64) -> Result<bool> {
        let n = write_tx!(self, |tx| {
            sqlx::query(
                "UPDATE staff_totp SET last_step = $1 WHERE staff_id = $2 AND confirmed_at IS NOT NULL \
                 AND (last_step IS NULL OR last_step < $1)",
            )
            .bind(step)
            .bind(staff_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
        });
        Ok(n == 1)
    }

    /// Removes the second factor and its recovery codes.
    pub async fn disable_totp(&self, staff_id: i64) -> Result<()> {
        write_tx!(self, |tx| {
            sqlx::query("DELETE FROM staff_recovery_codes WHERE staff_id = $1")
                .bind(staff_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM staff_totp WHERE staff_id = $1")
                .bind(staff_id)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// Replaces all recovery codes; only keyed hashes are stored, the codes are shown once by the caller.
    pub async fn replace_recovery_codes(&self, staff_id: i64, codes: &[String]) -> Result<()> {
        let hashes: Vec<Vec<u8>> = codes
            .iter()
            .map(|c| self.recovery_hash(staff_id, c))
            .collect();
        write_tx!(self, |tx| {
            sqlx::query("DELETE FROM staff_recovery_codes WHERE staff_id = $1")
                .bind(staff_id)
                .execute(&mut *tx)
                .await?;
            for h in &hashes {
                sqlx::query(
                    "INSERT INTO staff_recovery_codes (staff_id, code_hash) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                )
                .bind(staff_id)
                .bind(h)
                .execute(&mut *tx)
                .await?;
            }
        });
        Ok(())
    }

    /// Uses up a recovery code; true if it was valid and unused.
    pub async fn use_recovery_code(&self, staff_id: i64, code: &str, now: i64) -> Result<bool> {
        if normalize_recovery_code(code).is_empty() {
            return Ok(false);
        }
        let hash = self.recovery_hash(staff_id, code);
        let n = write_tx!(self, |tx| {
            sqlx::query(
                "UPDATE staff_recovery_codes SET used_at = $1 WHERE staff_id = $2 AND code_hash = $3 AND used_at IS NULL",
            )
            .bind(now)
            .bind(staff_id)
            .bind(&hash)
            .execute(&mut *tx)
            .await?
            .rows_affected()
        });
        Ok(n == 1)
    }

    /// Unused recovery codes left.
    pub async fn recovery_codes_left(&self, staff_id: i64) -> Result<i64> {
        Ok(read!(self.db(), |ex| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM staff_recovery_codes WHERE staff_id = $1 AND used_at IS NULL",
            )
            .bind(staff_id)
            .fetch_one(ex)
            .await?
        }))
    }
}
