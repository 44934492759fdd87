//! Passkey sign-ins under the login throttle: refusals count per address (and per account once the
//! account is known) exactly like wrong passwords and codes, and a lock refuses before any signature work.

use std::net::IpAddr;

use crate::security::client::throttle_key;
use crate::security::throttle::{self, Lock, IP_WINDOW_MS};
use crate::ui::login::{audit_lockout, Attempt};
use crate::AppState;
use rathaus_store::truncate_ip;

/// One passkey sign-in attempt from a client address.
pub(super) struct PasskeyAttempt {
    addr: Option<IpAddr>,
}

impl PasskeyAttempt {
    pub(super) fn new(addr: Option<IpAddr>) -> PasskeyAttempt {
        PasskeyAttempt { addr }
    }

    /// The attempt as the account `staff_id`'s (counted under its e-mail address, where its wrong
    /// passwords count); `None` if there is no such member.
    async fn of_account(
        &self,
        state: &AppState,
        staff_id: i64,
    ) -> rathaus_store::Result<Option<Attempt>> {
        Ok(state
            .store
            .login_email_of(staff_id)
            .await?
            .map(|email| Attempt::new(&email, self.addr)))
    }

    /// The lock on the address alone, before the credential (and so the account) is known.
    pub(super) async fn address_lock(
        &self,
        state: &AppState,
        now: i64,
    ) -> rathaus_store::Result<Option<Lock>> {
        let ip_key = self.addr.map(throttle_key);
        let f = state
            .store
            .address_login_failures(ip_key.as_deref(), now, IP_WINDOW_MS)
            .await?;
        Ok(throttle::lock(&f, now))
    }

    /// The lock on the account `staff_id` or on the address, whichever is in force.
    pub(super) async fn account_lock(
        &self,
        state: &AppState,
        staff_id: i64,
        now: i64,
    ) -> rathaus_store::Result<Option<Lock>> {
        match self.of_account(state, staff_id).await? {
            Some(attempt) => attempt.lock(state, now).await,
            None => self.address_lock(state, now).await,
        }
    }

    /// Counts a refused passkey (already audited as a failed login): for the account if it is
    /// known, else for the address only; a lockout it starts is audited.
    pub(super) async fn failed(&self, state: &AppState, staff_id: Option<i64>, now: i64) {
        if let Some(id) = staff_id {
            match self.of_account(state, id).await {
                Ok(Some(attempt)) => return attempt.count_failure(state, Some(id), now).await,
                Ok(None) => {}
                Err(e) => tracing::error!(error = %e, "member for a failed passkey not read"),
            }
        }
        let ip_key = self.addr.map(throttle_key);
        if let Err(e) = state
            .store
            .record_address_login_failure(ip_key.as_deref(), now)
            .await
        {
            tracing::error!(error = %e, "could not record a failed login");
            return;
        }
        if let Ok(Some(lock)) = self.address_lock(state, now).await {
            audit_lockout(state, lock, None, self.addr.map(truncate_ip), now).await;
        }
    }

    /// After a passkey sign-in: the account starts again with a clean slate, as after a password.
    pub(super) async fn succeeded(&self, state: &AppState, staff_id: i64) {
        let cleared = match state.store.login_email_of(staff_id).await {
            Ok(Some(email)) => state.store.clear_login_failures(&email).await,
            Ok(None) => Ok(()),
            Err(e) => Err(e),
        };
        if let Err(e) = cleared {
            tracing::error!(error = %e, "could not reset the failed-login counter");
        }
    }
}
