//! Authenticator data (WebAuthn §6.1): RP id hash, flags, signature counter and, at registration, the
//! attested credential (id and COSE public key).

use super::cbor;
use super::ceremony::WebAuthnError;

/// User present.
pub const FLAG_UP: u8 = 0x01;
/// User verified (PIN, biometrics).
pub const FLAG_UV: u8 = 0x04;
/// Attested credential data included.
pub const FLAG_AT: u8 = 0x40;
/// Extension data included.
pub const FLAG_ED: u8 = 0x80;

/// Credential ids longer than this are refused (WebAuthn §5.8.3 caps them at 1023 bytes).
pub const MAX_CREDENTIAL_ID: usize = 1023;

/// Parsed authenticator data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatorData {
    pub rp_id_hash: [u8; 32],
    pub flags: u8,
    pub sign_count: u32,
    pub attested: Option<AttestedCredential>,
}

/// The new credential in a registration's authenticator data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttestedCredential {
    pub aaguid: [u8; 16],
    pub credential_id: Vec<u8>,
    /// The COSE_Key exactly as the authenticator encoded it (stored as is).
    pub public_key: Vec<u8>,
}

impl AuthenticatorData {
    pub fn user_present(&self) -> bool {
        self.flags & FLAG_UP != 0
    }

    pub fn user_verified(&self) -> bool {
        self.flags & FLAG_UV != 0
    }
}

fn bad(what: &'static str) -> WebAuthnError {
    WebAuthnError::AuthenticatorData(what)
}

/// Parses authenticator data; every byte must be accounted for.
pub fn parse(bytes: &[u8]) -> Result<AuthenticatorData, WebAuthnError> {
    if bytes.len() < 37 {
        return Err(bad("shorter than 37 bytes"));
    }
    let (head, mut rest) = bytes.split_at(37);
    let mut rp_id_hash = [0u8; 32];
    rp_id_hash.copy_from_slice(&head[..32]);
    let flags = head[32];
    let sign_count = u32::from_be_bytes([head[33], head[34], head[35], head[36]]);
    let attested = if flags & FLAG_AT != 0 {
        if rest.len() < 18 {
            return Err(bad("attested credential data cut short"));
        }
        let mut aaguid = [0u8; 16];
        aaguid.copy_from_slice(&rest[..16]);
        let id_len = usize::from(u16::from_be_bytes([rest[16], rest[17]]));
        rest = &rest[18..];
        if id_len == 0 || id_len > MAX_CREDENTIAL_ID || id_len > rest.len() {
            return Err(bad("credential id length out of range"));
        }
        let (credential_id, after_id) = rest.split_at(id_len);
        let (key, used) = cbor::decode_prefix(after_id).map_err(WebAuthnError::Cbor)?;
        if !matches!(key, cbor::Value::Map(_)) {
            return Err(bad("credential public key is not a map"));
        }
        let (public_key, after_key) = after_id.split_at(used);
        rest = after_key;
        Some(AttestedCredential {
            aaguid,
            credential_id: credential_id.to_vec(),
            public_key: public_key.to_vec(),
        })
    } else {
        None
    };
    if flags & FLAG_ED != 0 {
        match cbor::decode(rest).map_err(WebAuthnError::Cbor)? {
            cbor::Value::Map(_) => {}
            _ => return Err(bad("extensions are not a map")),
        }
    } else if !rest.is_empty() {
        return Err(bad("bytes after the authenticator data"));
    }
    Ok(AuthenticatorData {
        rp_id_hash,
        flags,
        sign_count,
        attested,
    })
}
