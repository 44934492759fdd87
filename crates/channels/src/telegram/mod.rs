//! Telegram Bot API adapter: webhook secret check, update parsing, sending text, downloading files.

mod client;
mod update;

pub use client::{TelegramClient, DEFAULT_API_BASE};
pub use update::{parse_update, parse_update_at, TelegramUpdate};

/// Checks `X-Telegram-Bot-Api-Secret-Token` against the secret given to `setWebhook`
/// (constant-time). A missing header, or no configured secret, is a rejection.
pub fn verify_secret(expected: &str, header: Option<&str>) -> bool {
    match header {
        Some(given) => crate::http::secret_eq(expected.as_bytes(), given.as_bytes()),
        None => false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn secret_header_must_match_exactly() {
        assert!(verify_secret("Rathaus_Secret-1", Some("Rathaus_Secret-1")));
        assert!(!verify_secret("Rathaus_Secret-1", Some("Rathaus_Secret-2")));
        assert!(!verify_secret("Rathaus_Secret-1", Some("Rathaus_Secret-")));
        assert!(!verify_secret("Rathaus_Secret-1", Some("rathaus_secret-1")));
        assert!(!verify_secret("Rathaus_Secret-1", Some("")));
        assert!(!verify_secret("Rathaus_Secret-1", None));
        assert!(!verify_secret("", Some("")));
        assert!(!verify_secret("", None));
    }
}
