//! Authenticity checks for WhatsApp webhooks: the payload signature and the subscription handshake.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::http::secret_eq;

/// Checks `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body, keyed with the app secret>`.
///
/// Missing, malformed or wrong signatures are rejected, and so is everything when no app secret is
/// configured. The comparison is constant-time.
pub fn verify_signature(app_secret: &[u8], raw_body: &[u8], header: Option<&str>) -> bool {
    if app_secret.is_empty() {
        return false;
    }
    let Some(hex_sig) = header.and_then(|h| h.trim().strip_prefix("sha256=")) else {
        return false;
    };
    let Ok(signature) = hex::decode(hex_sig) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(app_secret) else {
        return false;
    };
    mac.update(raw_body);
    mac.verify_slice(&signature).is_ok()
}

/// Answers Meta's subscription handshake (`GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`).
///
/// Returns the challenge to echo when the mode is `subscribe` and the token matches (constant-time);
/// `None` means answer 403. The challenge is echoed into a response body, so only a short run of
/// ASCII letters, digits, `-`, `_` and `.` is accepted (Meta sends a number).
pub fn verify_subscription(
    mode: Option<&str>,
    token: Option<&str>,
    challenge: Option<&str>,
    expected_verify_token: &str,
) -> Option<String> {
    if mode? != "subscribe" {
        return None;
    }
    if !secret_eq(expected_verify_token.as_bytes(), token?.as_bytes()) {
        return None;
    }
    let challenge = challenge?;
    let plausible = !challenge.is_empty()
        && challenge.len() <= 256
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    plausible.then(|| challenge.to_owned())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"app-secret-of-the-town";
    const BODY: &[u8] = br#"{"object":"whatsapp_business_account","entry":[]}"#;

    fn sign(secret: &[u8], body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret).unwrap();
        mac.update(body);
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    }

    #[test]
    fn right_signature_is_accepted() {
        let header = sign(SECRET, BODY);
        assert!(verify_signature(SECRET, BODY, Some(&header)));
        // Hex digits may come in upper case.
        let upper = format!("sha256={}", header["sha256=".len()..].to_uppercase());
        assert!(verify_signature(SECRET, BODY, Some(&upper)));
    }

    #[test]
    fn signature_over_other_body_is_rejected() {
        let header = sign(SECRET, BODY);
        let tampered = br#"{"object":"whatsapp_business_account","entry":[{}]}"#;
        assert!(!verify_signature(SECRET, tampered, Some(&header)));
    }

    #[test]
    fn signature_made_with_other_secret_is_rejected() {
        let header = sign(b"someone-elses-secret", BODY);
        assert!(!verify_signature(SECRET, BODY, Some(&header)));
    }

    #[test]
    fn missing_or_malformed_headers_are_rejected() {
        let good = sign(SECRET, BODY);
        let hex_part = &good["sha256=".len()..];
        for header in [
            None,
            Some(""),
            Some("sha256="),
            Some(hex_part),                                // prefix missing
            Some(&*format!("sha1={hex_part}")),            // wrong algorithm
            Some(&*format!("sha256={}", &hex_part[..62])), // truncated
            Some(&*format!("sha256={hex_part}00")),        // too long
            Some("sha256=zz"),                             // not hex
            Some(&*format!("sha256= {hex_part}")),         // garbage inside
        ] {
            assert!(!verify_signature(SECRET, BODY, header), "{header:?}");
        }
    }

    #[test]
    fn empty_app_secret_rejects_everything() {
        let header = sign(b"", BODY);
        assert!(!verify_signature(b"", BODY, Some(&header)));
    }

    #[test]
    fn subscription_handshake() {
        let ok = verify_subscription(Some("subscribe"), Some("tok"), Some("1158201444"), "tok");
        assert_eq!(ok.as_deref(), Some("1158201444"));
        assert_eq!(
            verify_subscription(Some("subscribe"), Some("nope"), Some("1"), "tok"),
            None
        );
        assert_eq!(
            verify_subscription(Some("unsubscribe"), Some("tok"), Some("1"), "tok"),
            None
        );
        assert_eq!(
            verify_subscription(None, Some("tok"), Some("1"), "tok"),
            None
        );
        assert_eq!(
            verify_subscription(Some("subscribe"), None, Some("1"), "tok"),
            None
        );
        assert_eq!(
            verify_subscription(Some("subscribe"), Some("tok"), None, "tok"),
            None
        );
        // Nothing configured: nobody gets in, not even with an empty token.
        assert_eq!(
            verify_subscription(Some("subscribe"), Some(""), Some("1"), ""),
            None
        );
        // The challenge is echoed into a page: markup is refused.
        assert_eq!(
            verify_subscription(Some("subscribe"), Some("tok"), Some("<script>"), "tok"),
            None
        );
    }
}
