//! COSE public keys (RFC 9052/9053, RFC 8812) of passkeys: ES256 (P-256, alg -7), which every
//! authenticator supports, plus RS256 (alg -257, e.g. Windows Hello) and EdDSA (Ed25519, alg -8).

use p256::ecdsa::signature::Verifier;
use sha2::Sha256;

use super::cbor::{self, Value};
use super::ceremony::WebAuthnError;

/// COSE algorithm numbers accepted, in order of preference (as offered to the browser).
pub const ES256: i64 = -7;
pub const EDDSA: i64 = -8;
pub const RS256: i64 = -257;
pub const ACCEPTED: [i64; 3] = [ES256, EDDSA, RS256];

const KTY: i64 = 1;
const ALG: i64 = 3;
const KTY_OKP: i64 = 1;
const KTY_EC2: i64 = 2;
const KTY_RSA: i64 = 3;
const CRV_P256: i64 = 1;
const CRV_ED25519: i64 = 6;
/// RSA keys shorter than this are refused.
const RSA_MIN_BYTES: usize = 256;

/// A passkey's public key, ready to check signatures.
#[derive(Debug, Clone)]
pub enum PublicKey {
    Es256(p256::ecdsa::VerifyingKey),
    EdDsa(ed25519_dalek::VerifyingKey),
    Rs256(rsa::pkcs1v15::VerifyingKey<Sha256>),
}

/// Reads a COSE_Key; anything but the three accepted kinds is refused by name.
pub fn parse(cose: &[u8]) -> Result<PublicKey, WebAuthnError> {
    let key = cbor::decode(cose).map_err(WebAuthnError::Cbor)?;
    let int = |label| key.get_int(label).and_then(Value::as_int);
    let bytes = |label, what| {
        key.get_int(label)
            .and_then(Value::as_bytes)
            .ok_or(WebAuthnError::PublicKey(what))
    };
    let alg = int(ALG).ok_or(WebAuthnError::PublicKey("no algorithm"))?;
    match alg {
        ES256 => {
            if int(KTY) != Some(KTY_EC2) || int(-1) != Some(CRV_P256) {
                return Err(WebAuthnError::PublicKey("ES256 needs an EC2 key on P-256"));
            }
            let (x, y) = (bytes(-2, "no x")?, bytes(-3, "no y")?);
            if x.len() != 32 || y.len() != 32 {
                return Err(WebAuthnError::PublicKey("coordinates must be 32 bytes"));
            }
            let mut sec1 = Vec::with_capacity(65);
            sec1.push(0x04);
            sec1.extend_from_slice(x);
            sec1.extend_from_slice(y);
            p256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1)
                .map(PublicKey::Es256)
                .map_err(|_| WebAuthnError::PublicKey("not a point on P-256"))
        }
        EDDSA => {
            if int(KTY) != Some(KTY_OKP) || int(-1) != Some(CRV_ED25519) {
                return Err(WebAuthnError::PublicKey(
                    "EdDSA needs an OKP key on Ed25519",
                ));
            }
            let x: [u8; 32] = bytes(-2, "no x")?
                .try_into()
                .map_err(|_| WebAuthnError::PublicKey("Ed25519 keys are 32 bytes"))?;
            ed25519_dalek::VerifyingKey::from_bytes(&x)
                .map(PublicKey::EdDsa)
                .map_err(|_| WebAuthnError::PublicKey("not an Ed25519 point"))
        }
        RS256 => {
            if int(KTY) != Some(KTY_RSA) {
                return Err(WebAuthnError::PublicKey("RS256 needs an RSA key"));
            }
            let (n, e) = (bytes(-1, "no modulus")?, bytes(-2, "no exponent")?);
            let n = rsa::BigUint::from_bytes_be(n);
            if n.bits() < RSA_MIN_BYTES * 8 {
                return Err(WebAuthnError::PublicKey("RSA keys need at least 2048 bits"));
            }
            rsa::RsaPublicKey::new(n, rsa::BigUint::from_bytes_be(e))
                .map(|k| PublicKey::Rs256(rsa::pkcs1v15::VerifyingKey::new(k)))
                .map_err(|_| WebAuthnError::PublicKey("not a usable RSA key"))
        }
        other => Err(WebAuthnError::UnsupportedAlgorithm(other)),
    }
}

impl PublicKey {
    /// Whether `signature` signs `message` under this key (ES256: DER-encoded; EdDSA: 64 bytes;
    /// RS256: PKCS#1 v1.5 with SHA-256).
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match self {
            PublicKey::Es256(key) => p256::ecdsa::DerSignature::try_from(signature)
                .is_ok_and(|sig| key.verify(message, &sig).is_ok()),
            PublicKey::EdDsa(key) => ed25519_dalek::Signature::from_slice(signature)
                .is_ok_and(|sig| key.verify_strict(message, &sig).is_ok()),
            PublicKey::Rs256(key) => rsa::pkcs1v15::Signature::try_from(signature)
                .is_ok_and(|sig| key.verify(message, &sig).is_ok()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use rsa::pkcs1::DecodeRsaPrivateKey;
    use rsa::signature::{SignatureEncoding, Signer};
    use rsa::traits::PublicKeyParts;

    /// A throwaway 2048-bit RSA key made for this test (generating one in a debug build is slow).
    const RSA_TEST_KEY: &str = "MIIEpAIBAAKCAQEApYusaAFfz9/BZkQlBmh4dT3+tbgiat90Jpxi0VrFRrcecCOkaD5avJNb4eZyn8KMgKGFnNVvx4CNdTNYbmvhUJUev4GvS1Uww2ydGnhzopQUliNNBlAzgYaANnG2xP0ZuOODekNmwsW1uOQ0dX1pm5Pb/OdSCL1LpAi3NCmDDfF+UAV+FpxYqaMC2TGHOxWeryiXiFZyS0XMK89v/5KtjXRysNSx9glyOXE/oP3DC6jGOnzeD6iZT6dBi8lAY77EztA4bPTQfe148qiqJibylzH+2Z9QYY4Po/5Sg2WjU4tedKCfOEPFDpcLUG1dmWnxflewGAvrN5Y5wVFvmtSHhwIDAQABAoIBAATYXa/1D6xL//iNetXN+pALXYhNGpCCeCnyvHkksV/XJDdSaRFx3X3/cy+qN9AX43iWuR1UqVq8H6wLi1aDN6siPvrOlwQsGM1F2vATIaJ9DSsQTfgEzSwNDqhnJLBtsINOZ4UebgiYAVJi8vP6KhowqWj6Dl+I+bvpdWRM6SLon4e3gxwX599WbOREdRMsY87v8nCfUQxHFU5jE8QCANgSJxpM/i8za08VYni+ZKKRh0p1nXqxNUDPiIZjIKPmt4/8yaZNE8ZKQO0TRYCUfvGbsijzfua8korz5KwXSIKzbaBrYPqu3uZVPEE5yl44m/y1OcgZJC+Y6h959bxUIsECgYEA2RKJcbX1iQw4P4sx8Os1hkAe7jzquooVvEYs6yoQ1BLxhLO3jg+JILkSzG/ycmYPaiat9JZPJXDflqxOLLIkQCliO/s0E6/5flAQ0scygLiiP4/KAXUQltp8U/DaCPrOAbBqryIdtNVt8g0mQGJO8eG6hu2R4qVeIraYUiDL+BkCgYEAwzuejKlZ8NmvUIXfcrMwoSd2hpbi+JU3ZVSpGbkVb1tKWEWG6618PxZuZnyO0IlNBQ+hSynftLsVt2S9uYf6SqowBMmLt0QFBkqfnKGiHfy+3StA/PtmxcLGxOIGKpPvLjMC0le5zOdtcTvHrzRb8MXX6H/3M6S4smBXiwm+8J8CgYEAoJsXeDuBrGGPKGyria3tTyQX/nqxzUynYkKlr2TTSKWvblit4XzbH4vvPbVCM6QRmZ9+q22ep3wI4ekgee9f5Nz5opls4Xgc53kDyX+6fQSeftq7QjLEEGkc/dpA583xJ8zIUkWypv4Wt7VE7PQPpuU1ZelWO9PQf2yL7I/5edkCgYA0toE9m3AkXrI+PJczYfxsVrpi5pSL58YYPv6VamrGMVDmeodOVP4qDoVqeJEa7ydziV/Uao7zPlxDsxii4nsK896ZPE3UArKUm0tzQBUEobxq/QXECKEcHlYKzLg7gMvgnndRkcwh7g6XtztYK/vzC4gbR4nYUM5poyef69a5IwKBgQDIhBzQPukMuB4zBC2mAxd+fVF2uv3sTG1i0eUjcMzFhTQJt51wesXEOtCH1OEQX4TPto/qhVGIL1r7NeLq1mwtPw7EOhAm+Xzb0kd/w/5oWpkvGBSDKsuy45Xe1sNuhszil0szii1Zmq+WPWnWxK0hy2k+P0oaNTpEa867w9LDrw==";

    fn cose_map(entries: &[(i64, CoseValue)]) -> Vec<u8> {
        let mut out = vec![0xa0 | entries.len() as u8];
        for (k, v) in entries {
            put_int(*k, &mut out);
            match v {
                CoseValue::Int(i) => put_int(*i, &mut out),
                CoseValue::Bytes(b) => {
                    put_head(2, b.len() as u64, &mut out);
                    out.extend_from_slice(b);
                }
            }
        }
        out
    }

    enum CoseValue {
        Int(i64),
        Bytes(Vec<u8>),
    }

    fn put_head(major: u8, n: u64, out: &mut Vec<u8>) {
        let m = major << 5;
        if n < 24 {
            out.push(m | n as u8);
        } else if n < 256 {
            out.extend_from_slice(&[m | 24, n as u8]);
        } else {
            out.push(m | 25);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
    }

    fn put_int(i: i64, out: &mut Vec<u8>) {
        if i >= 0 {
            put_head(0, i as u64, out);
        } else {
            put_head(1, (-1 - i) as u64, out);
        }
    }

    fn check(cose: &[u8], message: &[u8], signature: &[u8]) {
        let key = parse(cose);
        assert!(key.is_ok(), "{key:?}");
        if let Ok(key) = key {
            assert!(key.verify(message, signature));
            assert!(!key.verify(b"another message", signature));
            assert!(!key.verify(message, &signature[1..]));
        }
    }

    #[test]
    fn es256_eddsa_and_rs256_keys_check_their_signatures() {
        use CoseValue::{Bytes, Int};
        let message = b"authenticator data and client data hash";

        let p256_key = p256::ecdsa::SigningKey::from_bytes(&[7u8; 32].into()).ok();
        let p256_key = p256_key
            .as_ref()
            .map(|k| (k, k.verifying_key().to_encoded_point(false)));
        if let Some((signing, point)) = p256_key {
            let (Some(x), Some(y)) = (point.x(), point.y()) else {
                return;
            };
            let cose = cose_map(&[
                (1, Int(2)),
                (3, Int(ES256)),
                (-1, Int(1)),
                (-2, Bytes(x.to_vec())),
                (-3, Bytes(y.to_vec())),
            ]);
            let sig: p256::ecdsa::DerSignature = signing.sign(message);
            check(&cose, message, sig.as_bytes());
        }

        let ed = ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]);
        let cose = cose_map(&[
            (1, Int(1)),
            (3, Int(EDDSA)),
            (-1, Int(6)),
            (-2, Bytes(ed.verifying_key().to_bytes().to_vec())),
        ]);
        check(&cose, message, &ed.sign(message).to_bytes());

        let der = base64::engine::general_purpose::STANDARD.decode(RSA_TEST_KEY);
        let private = der.map(|d| rsa::RsaPrivateKey::from_pkcs1_der(&d));
        assert!(matches!(private, Ok(Ok(_))));
        if let Ok(Ok(private)) = private {
            let cose = cose_map(&[
                (1, Int(3)),
                (3, Int(RS256)),
                (-1, Bytes(private.n().to_bytes_be())),
                (-2, Bytes(private.e().to_bytes_be())),
            ]);
            let signing = rsa::pkcs1v15::SigningKey::<Sha256>::new(private);
            check(&cose, message, &signing.sign(message).to_vec());
        }

        // Wrong pairings and other algorithms are refused by name.
        let code = |cose: &[u8]| parse(cose).err().map(|e| e.code());
        assert_eq!(
            code(&cose_map(&[(1, Int(2)), (3, Int(-36))])),
            Some("unsupported_algorithm")
        );
        assert_eq!(
            code(&cose_map(&[(1, Int(1)), (3, Int(ES256)), (-1, Int(6))])),
            Some("public_key")
        );
        assert_eq!(
            code(&cose_map(&[
                (1, Int(3)),
                (3, Int(RS256)),
                (-1, Bytes(vec![0xff; 128])),
                (-2, Bytes(vec![1, 0, 1]))
            ])),
            Some("public_key")
        );
    }
}
