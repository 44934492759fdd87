//! Login throttling policy: lockout with exponential backoff per account, a cap per client address.

use rathaus_store::LoginFailures;

/// Failures an account may have before the first lockout.
pub const ACCOUNT_FREE_FAILURES: i64 = 5;
/// The first lockout; each further failure doubles it, up to [`ACCOUNT_MAX_LOCK_MS`].
pub const ACCOUNT_FIRST_LOCK_MS: i64 = 60 * 1000;
pub const ACCOUNT_MAX_LOCK_MS: i64 = 60 * 60 * 1000;
/// How far back an account's failures count (a success clears them earlier).
pub const ACCOUNT_WINDOW_MS: i64 = 24 * 60 * 60 * 1000;
/// Failures from one client address allowed within [`IP_WINDOW_MS`].
pub const IP_MAX_FAILURES: i64 = 20;
pub const IP_WINDOW_MS: i64 = 10 * 60 * 1000;

/// Why sign-in is refused for now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    Account { until: i64 },
    Address { until: i64 },
}

impl Lock {
    pub fn until(self) -> i64 {
        match self {
            Lock::Account { until } | Lock::Address { until } => until,
        }
    }

    /// For the audit log.
    pub fn scope(self) -> &'static str {
        match self {
            Lock::Account { .. } => "account",
            Lock::Address { .. } => "address",
        }
    }
}

/// Until when an account with `count` recent failures, the latest at `last_at`, is locked.
pub fn account_locked_until(count: i64, last_at: Option<i64>) -> Option<i64> {
    let last_at = last_at?;
    if count < ACCOUNT_FREE_FAILURES {
        return None;
    }
    let doublings = (count - ACCOUNT_FREE_FAILURES).min(16) as u32;
    let lock = ACCOUNT_FIRST_LOCK_MS
        .saturating_mul(1 << doublings)
        .min(ACCOUNT_MAX_LOCK_MS);
    Some(last_at + lock)
}

/// Until when an address with `count` failures in the window, the earliest at `first_at`, is refused.
pub fn address_locked_until(count: i64, first_at: Option<i64>) -> Option<i64> {
    (count >= IP_MAX_FAILURES)
        .then_some(first_at)
        .flatten()
        .map(|t| t + IP_WINDOW_MS)
}

/// The lock in force at `now`, if any (the longer one when both apply).
pub fn lock(f: &LoginFailures, now: i64) -> Option<Lock> {
    let account = account_locked_until(f.account_count, f.account_last_at)
        .filter(|u| *u > now)
        .map(|until| Lock::Account { until });
    let address = address_locked_until(f.ip_count, f.ip_first_at)
        .filter(|u| *u > now)
        .map(|until| Lock::Address { until });
    match (account, address) {
        (Some(a), Some(b)) => Some(if b.until() > a.until() { b } else { a }),
        (a, b) => a.or(b),
    }
}

/// Whole minutes until `until`, at least one (for the message).
pub fn minutes_left(until: i64, now: i64) -> i64 {
    ((until - now).max(0) + 59_999) / 60_000
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    #[test]
    fn five_failures_lock_a_minute_then_each_doubles_up_to_an_hour() {
        assert_eq!(account_locked_until(4, Some(0)), None);
        assert_eq!(account_locked_until(5, Some(0)), Some(MIN));
        assert_eq!(account_locked_until(6, Some(0)), Some(2 * MIN));
        assert_eq!(account_locked_until(7, Some(0)), Some(4 * MIN));
        assert_eq!(account_locked_until(11, Some(0)), Some(60 * MIN));
        assert_eq!(account_locked_until(1000, Some(0)), Some(60 * MIN));
        assert_eq!(account_locked_until(5, None), None);
    }

    #[test]
    fn twenty_failures_from_one_address_in_ten_minutes_refuse_it() {
        assert_eq!(address_locked_until(19, Some(0)), None);
        assert_eq!(address_locked_until(20, Some(5)), Some(5 + 10 * MIN));
    }

    #[test]
    fn the_longer_lock_wins_and_expired_locks_do_not_count() {
        let f = LoginFailures {
            account_count: 5,
            account_last_at: Some(0),
            ip_count: 20,
            ip_first_at: Some(0),
        };
        assert_eq!(lock(&f, 0), Some(Lock::Address { until: 10 * MIN }));
        assert_eq!(lock(&f, 10 * MIN), None);
        let f = LoginFailures {
            account_count: 9,
            ..f
        };
        assert_eq!(lock(&f, 0), Some(Lock::Account { until: 16 * MIN }));
        assert_eq!(lock(&f, 12 * MIN).map(Lock::scope), Some("account"));
        assert_eq!(minutes_left(16 * MIN, 12 * MIN - 1), 5);
        assert_eq!(minutes_left(0, 5), 0);
    }
}
