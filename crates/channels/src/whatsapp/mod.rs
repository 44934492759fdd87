//! WhatsApp Cloud API adapter: webhook verification and parsing, sending text, downloading media.
//!
//! Reference: Meta's OpenAPI description of the WhatsApp Business Messaging API (v23.0) plus the
//! later business-scoped user id (BSUID) additions (`user_id`, `from_user_id`, `recipient`).

mod client;
mod verify;
mod webhook;

pub use client::{WhatsAppClient, DEFAULT_API_BASE, DEFAULT_API_VERSION};
pub use verify::{verify_signature, verify_subscription};
pub use webhook::{parse_webhook, RoutedEvent};

/// One platform error in plain words: `"<title>: <details> (code <n>)"`, parts left out when absent.
pub(crate) fn describe_error(
    code: Option<i64>,
    title: Option<&str>,
    details: Option<&str>,
) -> String {
    let mut text = title.unwrap_or("unknown error").to_owned();
    if let Some(details) = details.filter(|d| *d != text) {
        text.push_str(": ");
        text.push_str(details);
    }
    if let Some(code) = code {
        text.push_str(&format!(" (code {code})"));
    }
    text
}
