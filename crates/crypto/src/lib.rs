//! The crypto envelope for personal data: AES-256-GCM under a key hierarchy, keyed lookup hashes.
//!
//! Master key → per-municipality key → per-citizen key. Every ciphertext is bound to where it lives
//! (table, column, row) through the associated data, so a blob copied to another row does not decrypt.
#![deny(clippy::unwrap_used, clippy::panic)]

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Format tag in front of every ciphertext, so the scheme can change without guessing.
const VERSION: u8 = 1;
const NONCE_LEN: usize = 12;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error(
        "ciphertext does not decrypt with this key and context (wrong key, wrong row, or tampered)"
    )]
    Decrypt,
    #[error("ciphertext has an unknown format")]
    Format,
    #[error("master key must be 32 bytes, given as 64 hex digits or base64; got {0}")]
    KeyEncoding(String),
}

/// A 256-bit secret key, wiped from memory when dropped.
#[derive(Clone, Zeroize, ZeroizeOnDrop, PartialEq, Eq)]
pub struct Key([u8; 32]);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(…)")
    }
}

impl Key {
    pub fn generate() -> Key {
        let mut k = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut k);
        Key(k)
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Key {
        Key(bytes)
    }

    /// Reads a key written as 64 hex digits or as standard base64 (surrounding whitespace ignored).
    pub fn decode(text: &str) -> Result<Key, CryptoError> {
        let t = text.trim();
        let bytes = if t.len() == 64 && t.chars().all(|c| c.is_ascii_hexdigit()) {
            hex::decode(t).map_err(|_| CryptoError::KeyEncoding("invalid hex".into()))?
        } else {
            base64::engine::general_purpose::STANDARD
                .decode(t)
                .map_err(|_| CryptoError::KeyEncoding("neither hex nor base64".into()))?
        };
        let arr: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| CryptoError::KeyEncoding(format!("{} bytes", bytes.len())))?;
        Ok(Key(arr))
    }

    /// Base64 text form, as written to the master key file.
    pub fn encode(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.0)
    }

    /// A short public name for this key (16 hex digits of a keyed hash under a sub-key): stored beside
    /// data to say which master key it needs, printed so an admin can tell key files apart. Says nothing
    /// about the key itself.
    pub fn id(&self) -> String {
        let tag = self.derive("key-id").keyed_hash(b"rathaus key id");
        hex::encode(&tag[..8])
    }

    /// A sub-key for one purpose (HKDF-SHA256), so one stored key never serves two jobs.
    pub fn derive(&self, purpose: &str) -> Key {
        let hk = hkdf::Hkdf::<Sha256>::new(Some(b"rathaus-v1"), &self.0);
        let mut out = [0u8; 32];
        // 32 bytes is far below HKDF's limit of 255 blocks, so expand cannot fail.
        let _ = hk.expand(purpose.as_bytes(), &mut out);
        Key(out)
    }

    /// HMAC-SHA256 of `data`: lets us find a citizen by platform id without storing the id.
    pub fn keyed_hash(&self, data: &[u8]) -> [u8; 32] {
        let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(&self.0) else {
            unreachable!("HMAC accepts keys of any length")
        };
        mac.update(data);
        mac.finalize().into_bytes().into()
    }

    /// AES-256-GCM with a fresh random nonce; `context` is authenticated but not stored.
    pub fn seal(&self, plaintext: &[u8], context: &[u8]) -> Vec<u8> {
        let cipher = Aes256Gcm::new((&self.0).into());
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ct = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: context,
                },
            )
            // AES-GCM encryption only fails for inputs beyond 64 GiB, which we never build.
            .unwrap_or_default();
        let mut out = Vec::with_capacity(1 + NONCE_LEN + ct.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    pub fn open(&self, blob: &[u8], context: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if blob.len() < 1 + NONCE_LEN + 16 {
            return Err(CryptoError::Format);
        }
        if blob[0] != VERSION {
            return Err(CryptoError::Format);
        }
        let cipher = Aes256Gcm::new((&self.0).into());
        cipher
            .decrypt(
                Nonce::from_slice(&blob[1..1 + NONCE_LEN]),
                Payload {
                    msg: &blob[1 + NONCE_LEN..],
                    aad: context,
                },
            )
            .map_err(|_| CryptoError::Decrypt)
    }

    pub fn seal_str(&self, plaintext: &str, context: &[u8]) -> Vec<u8> {
        self.seal(plaintext.as_bytes(), context)
    }

    pub fn open_string(&self, blob: &[u8], context: &[u8]) -> Result<String, CryptoError> {
        String::from_utf8(self.open(blob, context)?).map_err(|_| CryptoError::Format)
    }

    /// Encrypts another key under this one (key wrapping).
    pub fn wrap(&self, key: &Key, context: &[u8]) -> Vec<u8> {
        self.seal(&key.0, context)
    }

    pub fn unwrap_key(&self, wrapped: &[u8], context: &[u8]) -> Result<Key, CryptoError> {
        let mut bytes = self.open(wrapped, context)?;
        let arr: Result<[u8; 32], _> = bytes.as_slice().try_into();
        bytes.zeroize();
        arr.map(Key).map_err(|_| CryptoError::Format)
    }
}

/// Associated data that binds a ciphertext to its table, column and row.
pub fn context(table: &str, column: &str, row: impl std::fmt::Display) -> Vec<u8> {
    format!("rathaus:{table}:{column}:{row}").into_bytes()
}

/// SHA-256 of some bytes as lower-case hex (for content checks and token hashes, not secrets).
pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(Sha256::digest(data))
}

/// A random token of `bytes` bytes in URL-safe base64 (session ids, API tokens, setup links).
pub fn random_token(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_data_opens_only_in_its_own_context() {
        let k = Key::generate();
        let ctx = context("messages", "body", 7);
        let blob = k.seal(b"Hallo Rathaus", &ctx);
        assert_eq!(k.open(&blob, &ctx).expect("opens"), b"Hallo Rathaus");
        assert_eq!(
            k.open(&blob, &context("messages", "body", 8)),
            Err(CryptoError::Decrypt)
        );
        assert_eq!(Key::generate().open(&blob, &ctx), Err(CryptoError::Decrypt));
        assert!(!blob.windows(6).any(|w| w == b"Rathaus"));
    }

    #[test]
    fn tampering_is_detected() {
        let k = Key::generate();
        let mut blob = k.seal(b"abc", b"x");
        let last = blob.len() - 1;
        blob[last] ^= 1;
        assert_eq!(k.open(&blob, b"x"), Err(CryptoError::Decrypt));
        assert_eq!(k.open(&blob[..5], b"x"), Err(CryptoError::Format));
    }

    #[test]
    fn same_plaintext_gives_different_ciphertexts() {
        let k = Key::generate();
        assert_ne!(k.seal(b"same", b"c"), k.seal(b"same", b"c"));
    }

    #[test]
    fn wrapped_keys_unwrap_and_destroyed_wrapper_loses_them() {
        let master = Key::generate();
        let citizen = Key::generate();
        let w = master.wrap(&citizen, b"citizen:1");
        assert_eq!(
            master.unwrap_key(&w, b"citizen:1").expect("unwrap"),
            citizen
        );
        assert!(master.unwrap_key(&w, b"citizen:2").is_err());
    }

    #[test]
    fn key_text_forms_round_trip_and_bad_ones_are_named() {
        let k = Key::generate();
        assert_eq!(Key::decode(&k.encode()).expect("b64"), k);
        assert_eq!(Key::decode(&hex::encode(k.0)).expect("hex"), k);
        assert!(matches!(
            Key::decode("c2hvcnQ="),
            Err(CryptoError::KeyEncoding(m)) if m.contains("5 bytes")
        ));
    }

    #[test]
    fn derived_keys_and_hashes_are_stable_and_distinct() {
        let k = Key::from_bytes([7; 32]);
        assert_eq!(k.derive("lookup"), k.derive("lookup"));
        assert_ne!(k.derive("lookup"), k.derive("events"));
        assert_eq!(k.keyed_hash(b"491701"), k.keyed_hash(b"491701"));
        assert_ne!(k.keyed_hash(b"491701"), k.keyed_hash(b"491702"));
        assert_ne!(
            k.keyed_hash(b"491701"),
            Key::from_bytes([8; 32]).keyed_hash(b"491701")
        );
    }

    #[test]
    fn key_ids_are_stable_short_and_differ_between_keys() {
        let k = Key::from_bytes([7; 32]);
        assert_eq!(k.id(), k.id());
        assert_eq!(k.id().len(), 16);
        assert_ne!(k.id(), Key::from_bytes([8; 32]).id());
        assert!(!k.id().contains(&hex::encode(&k.0[..8])));
    }

    #[test]
    fn debug_never_shows_key_material() {
        assert_eq!(format!("{:?}", Key::from_bytes([1; 32])), "Key(…)");
    }
}
