//! COSE public keys (RFC 9052/9053) of passkeys: ES256 (P-256, alg -7), the algorithm every
//! authenticator supports; the signature over a WebAuthn assertion is DER-encoded ECDSA.

use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{DerSignature, VerifyingKey};

use super::cbor::{self, Value};
use super::ceremony::WebAuthnError;

/// COSE algorithm number of ES256.
pub const ES256: i64 = -7;

const KTY: i64 = 1;
const ALG: i64 = 3;
const CRV: i64 = -1;
const X: i64 = -2;
const Y: i64 = -3;
const KTY_EC2: i64 = 2;
const CRV_P256: i64 = 1;

/// A passkey's public key, ready to check signatures.
#[derive(Debug, Clone)]
pub enum PublicKey {
    Es256(VerifyingKey),
}

/// Reads a COSE_Key; anything but an EC2 P-256 key for ES256 is refused by name.
pub fn parse(cose: &[u8]) -> Result<PublicKey, WebAuthnError> {
    let key = cbor::decode(cose).map_err(WebAuthnError::Cbor)?;
    let int = |label| key.get_int(label).and_then(Value::as_int);
    let alg = int(ALG).ok_or(WebAuthnError::PublicKey("no algorithm"))?;
    if alg != ES256 {
        return Err(WebAuthnError::UnsupportedAlgorithm(alg));
    }
    if int(KTY) != Some(KTY_EC2) || int(CRV) != Some(CRV_P256) {
        return Err(WebAuthnError::PublicKey("ES256 needs an EC2 key on P-256"));
    }
    let coordinate = |label| {
        key.get_int(label)
            .and_then(Value::as_bytes)
            .filter(|b| b.len() == 32)
            .ok_or(WebAuthnError::PublicKey("coordinates must be 32 bytes"))
    };
    let mut sec1 = Vec::with_capacity(65);
    sec1.push(0x04);
    sec1.extend_from_slice(coordinate(X)?);
    sec1.extend_from_slice(coordinate(Y)?);
    VerifyingKey::from_sec1_bytes(&sec1)
        .map(PublicKey::Es256)
        .map_err(|_| WebAuthnError::PublicKey("not a point on P-256"))
}

impl PublicKey {
    /// Whether `signature` signs `message` under this key.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match self {
            PublicKey::Es256(key) => {
                DerSignature::try_from(signature).is_ok_and(|sig| key.verify(message, &sig).is_ok())
            }
        }
    }
}
