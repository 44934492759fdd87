//! Fuzzes the webhook authenticity checks: no panic, and a fuzzed header passes only if it carries
//! the true HMAC of the body.
#![no_main]

use hmac::{Hmac, Mac};
use libfuzzer_sys::fuzz_target;
use rathaus_channels::{telegram, whatsapp};
use sha2::Sha256;

const SECRET: &[u8] = b"fuzzing-app-secret";

fuzz_target!(|data: &[u8]| {
    // First byte: length of the header part; the rest is the body.
    let Some((&len, rest)) = data.split_first() else {
        return;
    };
    let split = usize::from(len).min(rest.len());
    let (header_bytes, body) = rest.split_at(split);
    let header = String::from_utf8_lossy(header_bytes);

    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET).expect("any key length works");
    mac.update(body);
    let truth = mac.finalize().into_bytes();

    if whatsapp::verify_signature(SECRET, body, Some(&header)) {
        let hex_part = header
            .trim()
            .strip_prefix("sha256=")
            .expect("accepted without prefix");
        let claimed = hex::decode(hex_part).expect("accepted non-hex signature");
        assert_eq!(
            claimed.as_slice(),
            truth.as_slice(),
            "accepted a wrong signature"
        );
    }
    let correct = format!("sha256={}", hex::encode(truth));
    assert!(whatsapp::verify_signature(SECRET, body, Some(&correct)));
    assert!(!whatsapp::verify_signature(b"", body, Some(&correct)));

    let _ = telegram::verify_secret("fuzz-secret", Some(&header));
    let _ = whatsapp::verify_subscription(Some("subscribe"), Some(&header), Some(&header), "tok");
});
