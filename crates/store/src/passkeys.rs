//! Staff passkeys (WebAuthn credentials) and the single-use challenges of their ceremonies.

use rathaus_crypto::sha256_hex;

use crate::db::{read, write_tx};
use crate::staff::token_hash;
use crate::{Result, Store};

/// What a challenge was issued for; a challenge works only for its own purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengePurpose {
    /// Adding a passkey to the signed-in member's account.
    Register,
    /// The second step after the password (or single sign-on).
    SecondFactor,
    /// Signing in with a passkey alone.
    SignIn,
}

impl ChallengePurpose {
    fn as_str(self) -> &'static str {
        match self {
            ChallengePurpose::Register => "register",
            ChallengePurpose::SecondFactor => "second_factor",
            ChallengePurpose::SignIn => "sign_in",
        }
    }
}

/// A passkey as the member's account page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeySummary {
    pub id: i64,
    pub name: String,
    pub credential_id: Vec<u8>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// A passkey as a sign-in checks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPasskey {
    pub id: i64,
    pub staff_id: i64,
    pub user_handle: Vec<u8>,
    /// COSE_Key bytes.
    pub public_key: Vec<u8>,
    pub sign_count: u32,
}

/// A passkey to add.
#[derive(Debug, Clone)]
pub struct NewPasskey<'a> {
    pub staff_id: i64,
    pub credential_id: &'a [u8],
    pub user_handle: &'a [u8],
    pub public_key: &'a [u8],
    pub sign_count: u32,
    pub name: &'a str,
}

fn challenge_hash(challenge: &[u8]) -> Vec<u8> {
    hex::decode(sha256_hex(challenge)).unwrap_or_default()
}

impl Store {
    /// Keeps the hash of a challenge handed out, bound to the cookie `binding` (the session, or the
    /// sign-in in progress) and the purpose; drops expired ones. False (nothing kept) while `limit`
    /// challenges of this purpose are outstanding: anyone may ask for a sign-in challenge, so their
    /// number is capped.
    #[allow(clippy::too_many_arguments)]
    pub async fn issue_passkey_challenge(
        &self,
        challenge: &[u8],
        purpose: ChallengePurpose,
        binding: &str,
        staff_id: Option<i64>,
        now: i64,
        expires_at: i64,
        limit: i64,
    ) -> Result<bool> {
        let n = write_tx!(self, |tx| {
            sqlx::query("DELETE FROM passkey_challenges WHERE expires_at <= $1")
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO passkey_challenges (challenge_hash, purpose, binding_hash, staff_id, expires_at) \
                 SELECT $1, $2, $3, $4, $5 WHERE (SELECT COUNT(*) FROM passkey_challenges WHERE purpose = $2) < $6",
            )
            .bind(challenge_hash(challenge))
            .bind(purpose.as_str())
            .bind(token_hash(binding))
            .bind(staff_id)
            .bind(expires_at)
            .bind(limit)
            .execute(&mut *tx)
            .await?
            .rows_affected()
        });
        Ok(n == 1)
    }

    /// Uses up a challenge: `Some(staff_id it was issued for)` if it was issued for this purpose and
    /// binding and has not expired; it never works a second time.
    pub async fn take_passkey_challenge(
        &self,
        challenge: &[u8],
        purpose: ChallengePurpose,
        binding: &str,
        now: i64,
    ) -> Result<Option<Option<i64>>> {
        let row: Option<(Option<i64>,)> = write_tx!(self, |tx| {
            sqlx::query_as(
                "DELETE FROM passkey_challenges WHERE challenge_hash = $1 AND purpose = $2 \
                 AND binding_hash = $3 AND expires_at > $4 RETURNING staff_id",
            )
            .bind(challenge_hash(challenge))
            .bind(purpose.as_str())
            .bind(token_hash(binding))
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?
        });
        Ok(row.map(|(staff_id,)| staff_id))
    }

    /// The member's user handle if they have a passkey already (all their passkeys share it).
    pub async fn passkey_user_handle(&self, staff_id: i64) -> Result<Option<Vec<u8>>> {
        let row: Option<(Vec<u8>,)> = read!(self.db(), |ex| {
            sqlx::query_as("SELECT user_handle FROM staff_passkeys WHERE staff_id = $1 LIMIT 1")
                .bind(staff_id)
                .fetch_optional(ex)
                .await?
        });
        Ok(row.map(|(h,)| h))
    }

    /// Adds a passkey; `None` if its credential id is registered already (to anyone).
    pub async fn add_passkey(&self, p: &NewPasskey<'_>, now: i64) -> Result<Option<i64>> {
        let row: Option<(i64,)> = write_tx!(self, |tx| {
            sqlx::query_as(
                "INSERT INTO staff_passkeys (staff_id, credential_id, user_handle, public_key, sign_count, \
                 name, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (credential_id) DO NOTHING RETURNING id",
            )
            .bind(p.staff_id)
            .bind(p.credential_id)
            .bind(p.user_handle)
            .bind(p.public_key)
            .bind(i64::from(p.sign_count))
            .bind(p.name)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?
        });
        Ok(row.map(|(id,)| id))
    }

    /// The member's passkeys, oldest first.
    pub async fn staff_passkeys(&self, staff_id: i64) -> Result<Vec<PasskeySummary>> {
        type Row = (i64, String, Vec<u8>, i64, Option<i64>);
        let rows: Vec<Row> = read!(self.db(), |ex| {
            sqlx::query_as(
                "SELECT id, name, credential_id, created_at, last_used_at FROM staff_passkeys \
                 WHERE staff_id = $1 ORDER BY id",
            )
            .bind(staff_id)
            .fetch_all(ex)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(id, name, credential_id, created_at, last_used_at)| PasskeySummary {
                    id,
                    name,
                    credential_id,
                    created_at,
                    last_used_at,
                },
            )
            .collect())
    }

    /// The passkey with this credential id, whoever it belongs to.
    pub async fn passkey_by_credential(
        &self,
        credential_id: &[u8],
    ) -> Result<Option<StoredPasskey>> {
        let row: Option<(i64, i64, Vec<u8>, Vec<u8>, i64)> = read!(self.db(), |ex| {
            sqlx::query_as(
                "SELECT id, staff_id, user_handle, public_key, sign_count FROM staff_passkeys \
                 WHERE credential_id = $1",
            )
            .bind(credential_id)
            .fetch_optional(ex)
            .await?
        });
        Ok(row.map(
            |(id, staff_id, user_handle, public_key, sign_count)| StoredPasskey {
                id,
                staff_id,
                user_handle,
                public_key,
                sign_count: u32::try_from(sign_count).unwrap_or(u32::MAX),
            },
        ))
    }

    /// Records a sign-in with the passkey: the new counter and the time, only if the counter is still
    /// `expected` (so two sign-ins with one assertion cannot both pass). False if it changed meanwhile.
    pub async fn passkey_used(
        &self,
        id: i64,
        expected: u32,
        new_count: u32,
        now: i64,
    ) -> Result<bool> {
        let n = write_tx!(self, |tx| {
            sqlx::query(
                "UPDATE staff_passkeys SET sign_count = $1, last_used_at = $2 WHERE id = $3 AND sign_count = $4",
            )
            .bind(i64::from(new_count))
            .bind(now)
            .bind(id)
            .bind(i64::from(expected))
            .execute(&mut *tx)
            .await?
            .rows_affected()
        });
        Ok(n == 1)
    }

    /// Removes one of the member's passkeys; false if there was none with that id.
    pub async fn remove_passkey(&self, staff_id: i64, id: i64) -> Result<bool> {
        let n = write_tx!(self, |tx| {
            sqlx::query("DELETE FROM staff_passkeys WHERE staff_id = $1 AND id = $2")
                .bind(staff_id)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected()
        });
        Ok(n == 1)
    }
}
