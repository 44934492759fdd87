//! Publishing to Meta's networks through the Graph API: a Facebook page and an Instagram professional account.

pub mod facebook;
pub mod graph;
pub mod instagram;

use serde_json::Value;

pub use facebook::FacebookPageClient;
pub use instagram::InstagramClient;

/// How many of the newest posts a lookup after a timeout searches.
const LOOKUP_LIMIT: u32 = 25;
/// Clock skew allowed between us and Meta when comparing a post's time with the first attempt.
const CLOCK_SKEW_MS: i64 = 5 * 60 * 1000;

/// Graph times look like `2026-11-27T10:15:00+0000`.
fn parse_graph_time(value: &str) -> Option<i64> {
    let v = value.trim();
    let normalised = match v.len().checked_sub(5).map(|i| v.split_at(i)) {
        Some((head, tail))
            if (tail.starts_with('+') || tail.starts_with('-'))
                && tail[1..].bytes().all(|b| b.is_ascii_digit()) =>
        {
            format!("{head}{}:{}", &tail[..3], &tail[3..])
        }
        _ => v.to_string(),
    };
    normalised
        .parse::<jiff::Timestamp>()
        .ok()
        .map(|t| t.as_millisecond())
}

/// Whether a listed post is ours: the same text, created no earlier than the first attempt.
fn matches_recent(text: &Value, created: &Value, ours: &str, first_attempt_at: i64) -> bool {
    text.as_str().is_some_and(|t| t.trim() == ours.trim())
        && created
            .as_str()
            .and_then(parse_graph_time)
            .is_some_and(|t| t >= first_attempt_at - CLOCK_SKEW_MS)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;
    use serde_json::json;

    #[test]
    fn graph_times_parse_with_a_colonless_offset() {
        let t = parse_graph_time("2026-11-27T10:15:00+0000").unwrap();
        assert_eq!(
            t,
            "2026-11-27T10:15:00Z"
                .parse::<jiff::Timestamp>()
                .unwrap()
                .as_millisecond()
        );
        assert_eq!(parse_graph_time("2026-11-27T11:15:00+0100"), Some(t));
        assert_eq!(parse_graph_time("nonsense"), None);
    }

    #[test]
    fn only_the_same_text_since_the_first_attempt_matches() {
        let first = parse_graph_time("2026-11-27T10:15:00+0000").unwrap();
        let text = json!("Hallo Stadt");
        assert!(matches_recent(
            &text,
            &json!("2026-11-27T10:16:00+0000"),
            "Hallo Stadt",
            first
        ));
        assert!(
            matches_recent(
                &text,
                &json!("2026-11-27T10:12:00+0000"),
                "Hallo Stadt",
                first
            ),
            "clock skew"
        );
        assert!(
            !matches_recent(
                &text,
                &json!("2026-11-26T10:16:00+0000"),
                "Hallo Stadt",
                first
            ),
            "an old post with the same text"
        );
        assert!(!matches_recent(
            &text,
            &json!("2026-11-27T10:16:00+0000"),
            "Hallo Dorf",
            first
        ));
    }
}
