//! ID tokens signed here with keys generated for the test, each breaking one rule.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::sync::OnceLock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::traits::PublicKeyParts;
use serde_json::{json, Value};

use super::*;

const ISSUER: &str = "https://login.musterstadt.de/realms/rathaus";
const CLIENT: &str = "rathaus";
const NONCE: &str = "n-0S6_WzA2Mj";
const NOW: i64 = 1_790_000_000;

struct Keys {
    rsa: rsa::RsaPrivateKey,
    other_rsa: rsa::RsaPrivateKey,
    ec: p256::ecdsa::SigningKey,
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut rng = rand::rngs::OsRng;
        Keys {
            rsa: rsa::RsaPrivateKey::new(&mut rng, 2048).unwrap(),
            other_rsa: rsa::RsaPrivateKey::new(&mut rng, 2048).unwrap(),
            ec: p256::ecdsa::SigningKey::random(&mut rng),
        }
    })
}

/// The provider's published keys: the RSA key as "rsa-1", the P-256 key as "ec-1".
fn jwks() -> CoreJsonWebKeySet {
    let k = keys();
    let public = k.rsa.to_public_key();
    let point = k.ec.verifying_key().to_encoded_point(false);
    serde_json::from_value(json!({"keys": [
        {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": "rsa-1",
         "n": B64.encode(public.n().to_bytes_be()), "e": B64.encode(public.e().to_bytes_be())},
        {"kty": "EC", "use": "sig", "alg": "ES256", "kid": "ec-1", "crv": "P-256",
         "x": B64.encode(point.x().unwrap()), "y": B64.encode(point.y().unwrap())},
    ]}))
    .unwrap()
}

fn claims() -> Value {
    json!({
        "iss": ISSUER, "aud": CLIENT, "sub": "f:1234", "nonce": NONCE,
        "iat": NOW - 5, "exp": NOW + 300,
        "email": "sachbearbeitung@musterstadt.de", "email_verified": true,
    })
}

fn encode(header: &Value, claims: &Value) -> String {
    format!(
        "{}.{}",
        B64.encode(header.to_string()),
        B64.encode(claims.to_string())
    )
}

fn rs256_with(key: &rsa::RsaPrivateKey, kid: &str, claims: &Value) -> String {
    let input = encode(&json!({"alg": "RS256", "typ": "JWT", "kid": kid}), claims);
    let signer = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(key.clone());
    let sig = signer.sign(input.as_bytes()).to_bytes();
    format!("{input}.{}", B64.encode(sig))
}

fn rs256(claims: &Value) -> String {
    rs256_with(&keys().rsa, "rsa-1", claims)
}

fn es256(claims: &Value) -> String {
    let input = encode(
        &json!({"alg": "ES256", "typ": "JWT", "kid": "ec-1"}),
        claims,
    );
    let sig: p256::ecdsa::Signature = keys().ec.sign(input.as_bytes());
    format!("{input}.{}", B64.encode(sig.to_bytes()))
}

fn check(raw: &str) -> Result<VerifiedIdToken, TokenRejected> {
    let expected = Expected {
        issuer: ISSUER,
        client_id: CLIENT,
        nonce: NONCE,
    };
    verify(raw, &expected, &jwks(), NOW)
}

fn with(changes: Value) -> Value {
    let mut c = claims();
    for (k, v) in changes.as_object().unwrap() {
        if v.is_null() {
            c.as_object_mut().unwrap().remove(k);
        } else {
            c[k] = v.clone();
        }
    }
    c
}

#[test]
fn a_correct_token_is_accepted_with_rs256_and_es256() {
    let expected = VerifiedIdToken {
        subject: "f:1234".into(),
        email: Some("sachbearbeitung@musterstadt.de".into()),
        email_verified: Some(true),
    };
    assert_eq!(check(&rs256(&claims())), Ok(expected.clone()));
    assert_eq!(check(&es256(&claims())), Ok(expected));
    // azp naming us is fine.
    assert!(check(&rs256(&with(json!({"azp": CLIENT})))).is_ok());
}

#[test]
fn wrong_nonce_or_none_is_refused() {
    let e = check(&rs256(&with(json!({"nonce": "someone-elses"})))).unwrap_err();
    assert!(matches!(e, TokenRejected::Nonce(_)), "{e:?}");
    let e = check(&rs256(&with(json!({"nonce": null})))).unwrap_err();
    assert!(matches!(e, TokenRejected::Nonce(_)), "{e:?}");
}

#[test]
fn wrong_audience_issuer_or_authorized_party_is_refused() {
    let e = check(&rs256(&with(json!({"aud": "another-app"})))).unwrap_err();
    assert!(matches!(e, TokenRejected::Audience(_)), "{e:?}");
    // Meant for us and another app at once: the other app is not trusted.
    let e = check(&rs256(&with(json!({"aud": [CLIENT, "another-app"]})))).unwrap_err();
    assert!(matches!(e, TokenRejected::Audience(_)), "{e:?}");
    let e = check(&rs256(&with(
        json!({"iss": "https://evil.example/realms/rathaus"}),
    )))
    .unwrap_err();
    assert!(matches!(e, TokenRejected::Issuer(_)), "{e:?}");
    let e = check(&rs256(&with(json!({"azp": "another-app"})))).unwrap_err();
    assert_eq!(e, TokenRejected::AuthorizedParty);
}

#[test]
fn expired_or_oddly_timed_tokens_are_refused() {
    let e = check(&rs256(&with(json!({"exp": NOW - 1})))).unwrap_err();
    assert!(matches!(e, TokenRejected::Time(_)), "{e:?}");
    let e = check(&rs256(&with(json!({"exp": NOW})))).unwrap_err();
    assert!(matches!(e, TokenRejected::Time(_)), "{e:?}");
    let e = check(&rs256(&with(
        json!({"iat": NOW + CLOCK_SKEW_S + 5, "exp": NOW + 900}),
    )))
    .unwrap_err();
    assert!(matches!(e, TokenRejected::Time(_)), "{e:?}");
    let e = check(&rs256(&with(json!({"iat": NOW - MAX_AGE_S - 1})))).unwrap_err();
    assert!(matches!(e, TokenRejected::Time(_)), "{e:?}");
    // A little clock skew is tolerated.
    assert!(check(&rs256(&with(json!({"iat": NOW + 30})))).is_ok());
}

#[test]
fn bad_signatures_are_refused() {
    // Signed by a key the provider does not have, under the provider's key id.
    let e = check(&rs256_with(&keys().other_rsa, "rsa-1", &claims())).unwrap_err();
    assert!(matches!(e, TokenRejected::Signature(_)), "{e:?}");
    // Claims changed after signing.
    let good = rs256(&claims());
    let mut parts: Vec<&str> = good.split('.').collect();
    let forged = B64.encode(with(json!({"sub": "admin"})).to_string());
    parts[1] = &forged;
    let e = check(&parts.join(".")).unwrap_err();
    assert!(matches!(e, TokenRejected::Signature(_)), "{e:?}");
    // A key id the provider never published (the caller refetches the key set once on this).
    let e = check(&rs256_with(&keys().rsa, "rsa-2", &claims())).unwrap_err();
    assert_eq!(e, TokenRejected::UnknownKey);
}

#[test]
fn unsigned_and_hmac_tokens_are_refused() {
    let none = format!(
        "{}.",
        encode(&json!({"alg": "none", "typ": "JWT"}), &claims())
    );
    let e = check(&none).unwrap_err();
    assert!(
        matches!(e, TokenRejected::Algorithm(_) | TokenRejected::Malformed(_)),
        "{e:?}"
    );
    // HS256 keyed with something public (e.g. the client id) must not pass either.
    let input = encode(&json!({"alg": "HS256", "typ": "JWT"}), &claims());
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(CLIENT.as_bytes()).unwrap();
    mac.update(input.as_bytes());
    let hs = format!("{input}.{}", B64.encode(mac.finalize().into_bytes()));
    let e = check(&hs).unwrap_err();
    assert!(matches!(e, TokenRejected::Algorithm(_)), "{e:?}");
    // Garbage.
    assert!(matches!(
        check("not.a.jwt").unwrap_err(),
        TokenRejected::Malformed(_)
    ));
}
