//! Limits against hostile or broken clients: header and URI size caps, and per-address rate limits (token buckets).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::header::{self, HeaderValue};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::client::{client_addr_of, throttle_key};
use crate::api::errors::ApiError;

/// All request headers together (names and values) may not be larger than this.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;
/// Nor may the request target (path and query).
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// Buckets kept before idle ones are dropped.
const MAX_BUCKETS: usize = 10_000;

/// Refuses oversized request targets (414) and header sections (431) before anything else looks at them.
pub async fn header_limits(req: Request, next: Next) -> Response {
    if req.uri().to_string().len() > MAX_URI_BYTES {
        return (StatusCode::URI_TOO_LONG, "URI too long").into_response();
    }
    let header_bytes: usize = req
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum();
    if header_bytes > MAX_HEADER_BYTES {
        return (
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "request headers too large",
        )
            .into_response();
    }
    next.run(req).await
}

/// Sustained rate and burst of one token bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub per_second: f64,
    pub burst: f64,
}

/// Token buckets per client address, in this process's memory: with several instances each counts on
/// its own (the limit multiplies by the number of instances), which the reverse proxy can cap further.
pub struct RateLimiter {
    rate: Rate,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    pub fn new(rate: Rate) -> RateLimiter {
        RateLimiter {
            rate,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `key`; when none is left, says how long until the next one.
    pub fn check(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let Ok(mut buckets) = self.buckets.lock() else {
            // A poisoned lock means a panic elsewhere; do not turn it into an outage.
            return Ok(());
        };
        let Rate { per_second, burst } = self.rate;
        if buckets.len() >= MAX_BUCKETS && !buckets.contains_key(key) {
            // Buckets that have refilled completely hold no information: drop them.
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * per_second < burst
            });
        }
        let (tokens, at) = buckets.entry(key.to_string()).or_insert((burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * per_second).min(burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - *tokens) / per_second))
        }
    }
}

/// One limiter for the JSON API and one for the platform webhooks.
pub struct RateLimits {
    pub api: RateLimiter,
    pub webhooks: RateLimiter,
}

/// 429 with `Retry-After` once an address has used up its bucket (a JSON error on the API).
pub async fn rate_limit(
    State(limits): State<Arc<RateLimits>>,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path();
    let (limiter, is_api) = if path.starts_with("/api/") {
        (&limits.api, true)
    } else if path.starts_with("/webhooks/") {
        (&limits.webhooks, false)
    } else {
        return next.run(req).await;
    };
    let key = client_addr_of(req.extensions(), req.headers())
        .map(throttle_key)
        .unwrap_or_else(|| "unknown".into());
    let Err(wait) = limiter.check(&key, Instant::now()) else {
        return next.run(req).await;
    };
    tracing::warn!(path, "rate limit reached; request refused");
    let mut res = if is_api {
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "Zu viele Anfragen; bitte später erneut versuchen. / Too many requests; please retry later.",
        )
        .into_response()
    } else {
        (StatusCode::TOO_MANY_REQUESTS, "too many requests").into_response()
    };
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    if let Ok(v) = HeaderValue::from_str(&secs.max(1).to_string()) {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_refills_at_its_rate_per_key() {
        let l = RateLimiter::new(Rate {
            per_second: 2.0,
            burst: 3.0,
        });
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(l.check("a", t0).is_ok());
        }
        let wait = l.check("a", t0).err();
        assert_eq!(wait, Some(Duration::from_millis(500)));
        assert!(
            l.check("b", t0).is_ok(),
            "other addresses have their own bucket"
        );
        assert!(l.check("a", t0 + Duration::from_millis(500)).is_ok());
        assert!(l.check("a", t0 + Duration::from_millis(500)).is_err());
        // Refills to the burst, never beyond.
        let later = t0 + Duration::from_secs(60);
        for _ in 0..3 {
            assert!(l.check("a", later).is_ok());
        }
        assert!(l.check("a", later).is_err());
    }
}
