//! Rate limits for publishing: our own budget for a platform's documented limits, and the limits the platform announces in its headers.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use reqwest::header::HeaderMap;

use super::PublishError;

/// Upper bound for a platform-requested wait, so a bogus header cannot park a post for weeks.
const MAX_WAIT_MS: u64 = 24 * 60 * 60 * 1000;

/// At most `max` calls per sliding `window` (e.g. Mastodon's 30 media uploads per 30 minutes).
#[derive(Debug)]
pub struct RateBudget {
    max: usize,
    window: Duration,
    used: Mutex<VecDeque<Instant>>,
}

impl RateBudget {
    pub fn new(max: usize, window: Duration) -> Self {
        RateBudget {
            max: max.max(1),
            window,
            used: Mutex::new(VecDeque::new()),
        }
    }

    /// Takes `n` calls from the budget, or says how long to wait until they are available
    /// (nothing is taken then).
    pub fn take(&self, n: usize) -> Result<(), u64> {
        self.take_at(n, Instant::now())
    }

    fn take_at(&self, n: usize, now: Instant) -> Result<(), u64> {
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        while used
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            used.pop_front();
        }
        let n = n.min(self.max);
        if used.len() + n <= self.max {
            used.extend(std::iter::repeat_n(now, n));
            return Ok(());
        }
        // The oldest calls that must leave the window before `n` fit again.
        let must_expire = used.len() + n - self.max;
        let wait = used.get(must_expire - 1).map_or(self.window, |t| {
            self.window.saturating_sub(now.duration_since(*t))
        });
        Err(u64::try_from(wait.as_millis())
            .unwrap_or(MAX_WAIT_MS)
            .clamp(1, MAX_WAIT_MS))
    }

    /// Takes from the budget or returns the matching [`PublishError::RateLimited`].
    pub fn take_or_limit(&self, n: usize, what: &str) -> Result<(), PublishError> {
        self.take(n).map_err(|wait| PublishError::RateLimited {
            reason: format!("{what}: own budget used up"),
            retry_after_ms: wait,
        })
    }
}

/// What the platform announced in `X-RateLimit-Remaining` / `X-RateLimit-Reset`: when the
/// remaining count reaches 0, no call is made before the reset.
#[derive(Debug, Default)]
pub struct AnnouncedLimit {
    blocked_until_ms: Mutex<Option<i64>>,
}

impl AnnouncedLimit {
    /// Reads the headers of any answer (`now_ms`: unix ms).
    pub fn observe(&self, headers: &HeaderMap, now_ms: i64) {
        let remaining =
            header_str(headers, "x-ratelimit-remaining").and_then(|v| v.trim().parse::<i64>().ok());
        if remaining != Some(0) {
            return;
        }
        let until = header_str(headers, "x-ratelimit-reset")
            .and_then(|v| parse_reset(v, now_ms))
            .unwrap_or(now_ms + 60_000);
        *self
            .blocked_until_ms
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(until);
    }

    /// `Err(wait_ms)` while the announced limit is exhausted.
    pub fn check(&self, now_ms: i64) -> Result<(), u64> {
        let mut guard = self
            .blocked_until_ms
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        match *guard {
            Some(until) if until > now_ms => Err(u64::try_from(until - now_ms)
                .unwrap_or(MAX_WAIT_MS)
                .min(MAX_WAIT_MS)),
            Some(_) => {
                *guard = None;
                Ok(())
            }
            None => Ok(()),
        }
    }

    pub fn check_or_limit(&self, now_ms: i64, what: &str) -> Result<(), PublishError> {
        self.check(now_ms)
            .map_err(|wait| PublishError::RateLimited {
                reason: format!("{what}: platform rate limit reached"),
                retry_after_ms: wait,
            })
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name)?.to_str().ok()
}

/// `X-RateLimit-Reset` is an ISO 8601 time on Mastodon and unix seconds elsewhere.
fn parse_reset(value: &str, now_ms: i64) -> Option<i64> {
    let value = value.trim();
    let at = if let Ok(secs) = value.parse::<i64>() {
        secs.checked_mul(1000)?
    } else {
        value.parse::<jiff::Timestamp>().ok()?.as_millisecond()
    };
    let cap = now_ms.saturating_add(i64::try_from(MAX_WAIT_MS).unwrap_or(i64::MAX));
    Some(at.min(cap))
}

/// How long a 429 (or 503) answer asks us to wait: `Retry-After` in seconds or as an HTTP date,
/// else the announced reset, else one minute.
pub fn retry_after_ms(headers: &HeaderMap, now_ms: i64) -> u64 {
    if let Some(v) = header_str(headers, "retry-after") {
        let v = v.trim();
        if let Ok(secs) = v.parse::<u64>() {
            return secs.saturating_mul(1000).min(MAX_WAIT_MS);
        }
        if let Ok(at) = jiff::fmt::rfc2822::parse(v) {
            let wait = at.timestamp().as_millisecond() - now_ms;
            return u64::try_from(wait.max(0)).unwrap_or(0).min(MAX_WAIT_MS);
        }
    }
    header_str(headers, "x-ratelimit-reset")
        .and_then(|v| parse_reset(v, now_ms))
        .map_or(60_000, |at| {
            u64::try_from((at - now_ms).max(0))
                .unwrap_or(0)
                .min(MAX_WAIT_MS)
        })
}

/// Unix ms now.
pub fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn budget_refuses_past_the_limit_and_says_how_long_to_wait() {
        let b = RateBudget::new(3, Duration::from_secs(60));
        let t0 = Instant::now();
        assert!(b.take_at(2, t0).is_ok());
        assert!(b.take_at(1, t0 + Duration::from_secs(10)).is_ok());
        let wait = b.take_at(1, t0 + Duration::from_secs(20)).unwrap_err();
        assert_eq!(wait, 40_000, "the first call leaves the window at 60 s");
        assert!(b.take_at(2, t0 + Duration::from_secs(60)).is_ok());
    }

    #[test]
    fn announced_limit_blocks_until_reset() {
        let l = AnnouncedLimit::default();
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
        h.insert(
            "x-ratelimit-reset",
            HeaderValue::from_static("2026-11-27T12:05:00.000Z"),
        );
        let now: jiff::Timestamp = "2026-11-27T12:00:00Z".parse().unwrap();
        let now = now.as_millisecond();
        l.observe(&h, now);
        assert_eq!(l.check(now), Err(300_000));
        assert!(l.check(now + 300_000).is_ok());
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-remaining", HeaderValue::from_static("12"));
        l.observe(&h, now);
        assert!(l.check(now).is_ok());
    }

    #[test]
    fn retry_after_in_seconds_date_or_reset() {
        let now: jiff::Timestamp = "2026-11-27T12:00:00Z".parse().unwrap();
        let now = now.as_millisecond();
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("7"));
        assert_eq!(retry_after_ms(&h, now), 7_000);
        let mut h = HeaderMap::new();
        h.insert(
            "retry-after",
            HeaderValue::from_static("Fri, 27 Nov 2026 12:00:30 GMT"),
        );
        assert_eq!(retry_after_ms(&h, now), 30_000);
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-reset", HeaderValue::from_static("1795780810"));
        assert_eq!(
            retry_after_ms(&h, 1_795_780_800_000),
            10_000,
            "unix seconds"
        );
        assert_eq!(retry_after_ms(&HeaderMap::new(), now), 60_000);
    }
}
