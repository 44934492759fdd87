//! TOTP (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits), base32 secrets, otpauth URIs, QR codes, recovery codes.

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha1::Sha1;
use subtle::ConstantTimeEq;

pub const STEP_SECONDS: i64 = 30;
pub const DIGITS: u32 = 6;
/// 160 bits, as RFC 4226 recommends for HMAC-SHA1.
pub const SECRET_BYTES: usize = 20;
/// How many recovery codes a member gets at a time.
pub const RECOVERY_CODES: usize = 10;

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// HOTP (RFC 4226): the `digits`-digit code for `counter`, zero-padded.
pub fn hotp(secret: &[u8], counter: u64, digits: u32) -> String {
    let Ok(mut mac) = <Hmac<Sha1> as Mac>::new_from_slice(secret) else {
        // HMAC takes keys of any length; this branch cannot be reached.
        return String::new();
    };
    mac.update(&counter.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = usize::from(h[19] & 0x0f);
    let binary = (u32::from(h[offset]) & 0x7f) << 24
        | u32::from(h[offset + 1]) << 16
        | u32::from(h[offset + 2]) << 8
        | u32::from(h[offset + 3]);
    let modulus = 10u64.pow(digits);
    format!(
        "{:0width$}",
        u64::from(binary) % modulus,
        width = digits as usize
    )
}

/// The 30-second step that contains `unix_ms`.
pub fn step_at(unix_ms: i64) -> i64 {
    unix_ms.div_euclid(1000).div_euclid(STEP_SECONDS)
}

/// The code for a step.
pub fn code_for_step(secret: &[u8], step: i64) -> String {
    hotp(secret, u64::try_from(step).unwrap_or(0), DIGITS)
}

/// A typed code without spaces, if it looks like a TOTP code (six digits).
pub fn totp_shaped(input: &str) -> Option<String> {
    let digits: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    (digits.len() == DIGITS as usize && digits.bytes().all(|b| b.is_ascii_digit()))
        .then_some(digits)
}

/// The step whose code `code` is at `now_ms`, allowing one step either side for clock drift.
/// Compared in constant time; the caller must still refuse a step that was already used.
pub fn matching_step(secret: &[u8], code: &str, now_ms: i64) -> Option<i64> {
    let code = totp_shaped(code)?;
    let now = step_at(now_ms);
    let mut found = None;
    for step in [now - 1, now, now + 1] {
        let expected = code_for_step(secret, step);
        if bool::from(expected.as_bytes().ct_eq(code.as_bytes())) && found.is_none() {
            found = Some(step);
        }
    }
    found
}

/// RFC 4648 base32 without padding, as authenticator apps expect the secret.
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(BASE32[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// The base32 secret in groups of four, easier to type by hand.
pub fn grouped(secret_base32: &str) -> String {
    secret_base32
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

fn percent_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The `otpauth://totp/…` URI that authenticator apps read from the QR code.
pub fn otpauth_uri(secret: &[u8], issuer: &str, account: &str) -> String {
    let issuer = percent_encode(issuer);
    format!(
        "otpauth://totp/{issuer}:{}?secret={}&issuer={issuer}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        percent_encode(account),
        base32(secret),
    )
}

/// The QR code of `data` as an SVG document (drawn with paths; no script, no style).
pub fn qr_svg(data: &str) -> Option<String> {
    let code = qrcode::QrCode::with_error_correction_level(data, qrcode::EcLevel::M).ok()?;
    Some(
        code.render::<qrcode::render::svg::Color>()
            .min_dimensions(200, 200)
            .dark_color(qrcode::render::svg::Color("#000000"))
            .light_color(qrcode::render::svg::Color("#ffffff"))
            .build(),
    )
}

/// A fresh random secret.
pub fn new_secret() -> Vec<u8> {
    let mut s = vec![0u8; SECRET_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut s);
    s
}

/// Ten fresh recovery codes, each 80 random bits as `xxxx-xxxx-xxxx-xxxx` (lower-case base32).
pub fn new_recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut b = [0u8; 10];
            rand::rngs::OsRng.fill_bytes(&mut b);
            let s = base32(&b).to_lowercase();
            grouped(&s).replace(' ', "-")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc_4226_hotp_vectors() {
        let expected = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(hotp(RFC_SECRET, counter as u64, 6), *code, "{counter}");
        }
    }

    #[test]
    fn rfc_6238_sha1_vectors() {
        // Appendix B of RFC 6238 (SHA-1 rows), eight digits.
        for (unix_s, code) in [
            (59_i64, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            let step = step_at(unix_s * 1000) as u64;
            assert_eq!(hotp(RFC_SECRET, step, 8), code, "T = {unix_s}");
        }
    }

    #[test]
    fn a_code_matches_its_step_and_one_either_side_only() {
        let now_ms = 1_234_567_890_000;
        let now = step_at(now_ms);
        for (step, ok) in [
            (now - 2, false),
            (now - 1, true),
            (now, true),
            (now + 1, true),
            (now + 2, false),
        ] {
            let code = code_for_step(RFC_SECRET, step);
            assert_eq!(
                matching_step(RFC_SECRET, &code, now_ms),
                ok.then_some(step),
                "{step}"
            );
        }
        let code = code_for_step(RFC_SECRET, now);
        assert_eq!(
            matching_step(
                RFC_SECRET,
                &format!("{} {}", &code[..3], &code[3..]),
                now_ms
            ),
            Some(now),
            "spaces are ignored"
        );
        assert_eq!(matching_step(RFC_SECRET, "12345", now_ms), None);
        assert_eq!(matching_step(RFC_SECRET, "abcdef", now_ms), None);
        assert_eq!(matching_step(b"another secret", &code, now_ms), None);
    }

    #[test]
    fn base32_and_the_otpauth_uri() {
        assert_eq!(base32(RFC_SECRET), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(base32(b"fooba"), "MZXW6YTB");
        assert_eq!(grouped("ABCDEFGHIJ"), "ABCD EFGH IJ");
        assert_eq!(
            otpauth_uri(RFC_SECRET, "Rathaus Musterstadt", "anna@musterstadt.de"),
            "otpauth://totp/Rathaus%20Musterstadt:anna%40musterstadt.de?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
             &issuer=Rathaus%20Musterstadt&algorithm=SHA1&digits=6&period=30"
        );
    }

    #[test]
    fn qr_codes_are_plain_svg_and_secrets_and_codes_are_random() {
        let svg = qr_svg("otpauth://totp/x?secret=GEZDGNBV").unwrap_or_default();
        assert!(svg.contains("<svg") && svg.contains("<path"), "{svg}");
        assert!(!svg.contains("<script") && !svg.contains("style="));
        assert_eq!(new_secret().len(), SECRET_BYTES);
        assert_ne!(new_secret(), new_secret());
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        assert!(codes
            .iter()
            .all(|c| c.len() == 19 && c.matches('-').count() == 3));
        assert_ne!(codes[0], codes[1]);
    }
}
