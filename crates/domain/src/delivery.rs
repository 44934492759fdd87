//! Outbound delivery: statuses, the customer-service window, and retry timing.

use serde::{Deserialize, Serialize};

/// WhatsApp allows free-form replies only within 24 hours of the citizen's last message.
pub const CUSTOMER_SERVICE_WINDOW_MS: i64 = 24 * 60 * 60 * 1000;

/// Whether a free-form reply may be sent now, given when the citizen last wrote.
pub fn within_customer_service_window(last_inbound_ms: Option<i64>, now_ms: i64) -> bool {
    match last_inbound_ms {
        Some(last) => now_ms >= last && now_ms - last < CUSTOMER_SERVICE_WINDOW_MS,
        None => false,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Queued,
    Sent,
    Delivered,
    Read,
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Queued => "queued",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Read => "read",
            DeliveryStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            DeliveryStatus::Queued,
            DeliveryStatus::Sent,
            DeliveryStatus::Delivered,
            DeliveryStatus::Read,
            DeliveryStatus::Failed,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    fn rank(self) -> u8 {
        match self {
            DeliveryStatus::Queued => 0,
            DeliveryStatus::Sent => 1,
            DeliveryStatus::Delivered => 2,
            DeliveryStatus::Read => 3,
            DeliveryStatus::Failed => 4,
        }
    }

    /// Platforms deliver status reports out of order; a late "sent" must not undo "read".
    pub fn advance(self, reported: DeliveryStatus) -> DeliveryStatus {
        if reported.rank() > self.rank() {
            reported
        } else {
            self
        }
    }
}

/// What the platform answered when it accepted a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMessage {
    pub platform_message_id: String,
}

/// Why a send did not go through, and whether trying again can help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    #[error("vorübergehend nicht zustellbar / temporarily undeliverable: {reason}")]
    Retryable {
        reason: String,
        /// Platform-requested wait (Telegram `retry_after`, HTTP Retry-After).
        retry_after_ms: Option<u64>,
    },
    #[error("nicht zustellbar / undeliverable: {reason}")]
    Permanent { reason: String },
}

/// Exponential backoff with jitter for retried jobs.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub base_ms: u64,
    pub cap_ms: u64,
    pub max_attempts: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base_ms: 2_000,
            cap_ms: 10 * 60 * 1000,
            max_attempts: 8,
        }
    }
}

impl Backoff {
    /// Delay before attempt number `attempt + 1` (attempt counts from 1). `jitter` in [0, 1) comes
    /// from the caller so this stays deterministic; the delay lies in [½·d, d] for d = base·2^(attempt−1).
    pub fn delay_ms(&self, attempt: u32, jitter: f64, platform_hint_ms: Option<u64>) -> u64 {
        let exp = attempt.saturating_sub(1).min(30);
        let full = self.base_ms.saturating_mul(1u64 << exp).min(self.cap_ms);
        let jitter = jitter.clamp(0.0, 1.0);
        let jittered = (full as f64 * (0.5 + 0.5 * jitter)) as u64;
        match platform_hint_ms {
            Some(hint) => jittered.max(hint),
            None => jittered,
        }
    }

    pub fn gives_up_after(&self, attempt: u32) -> bool {
        attempt >= self.max_attempts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn window_is_24_hours_since_last_citizen_message() {
        let t = 1_000_000_000_000;
        assert!(within_customer_service_window(Some(t), t));
        assert!(within_customer_service_window(
            Some(t),
            t + CUSTOMER_SERVICE_WINDOW_MS - 1
        ));
        assert!(!within_customer_service_window(
            Some(t),
            t + CUSTOMER_SERVICE_WINDOW_MS
        ));
        assert!(!within_customer_service_window(None, t));
    }

    #[test]
    fn late_reports_do_not_downgrade() {
        let s = DeliveryStatus::Sent.advance(DeliveryStatus::Read);
        assert_eq!(s, DeliveryStatus::Read);
        assert_eq!(s.advance(DeliveryStatus::Delivered), DeliveryStatus::Read);
        assert_eq!(s.advance(DeliveryStatus::Failed), DeliveryStatus::Failed);
    }

    #[test]
    fn platform_hint_is_honoured() {
        let b = Backoff::default();
        assert!(b.delay_ms(1, 0.0, Some(30_000)) >= 30_000);
    }

    proptest! {
        #[test]
        fn backoff_grows_and_stays_capped(attempt in 1u32..40, jitter in 0.0f64..1.0) {
            let b = Backoff::default();
            let d = b.delay_ms(attempt, jitter, None);
            prop_assert!(d <= b.cap_ms);
            prop_assert!(d >= b.base_ms / 2);
            let next_full = b.delay_ms(attempt + 1, 1.0, None);
            prop_assert!(next_full >= b.delay_ms(attempt, 1.0, None));
        }
    }
}
