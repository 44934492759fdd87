//! The two ceremonies (WebAuthn §7.1 registration, §7.2 authentication) as the relying party checks
//! them: client data (type, challenge, origin), RP id hash, user presence and verification, the
//! signature and the signature counter.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use sha2::{Digest, Sha256};
use std::fmt;

use super::authdata::{self, AuthenticatorData};
use super::cbor::{self, CborError, Value};
use super::cose;

/// Why a registration or sign-in with a passkey was refused; [`WebAuthnError::code`] goes to the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebAuthnError {
    Encoding(&'static str),
    ClientData(&'static str),
    WrongType,
    WrongOrigin(String),
    /// The challenge is unknown, already used, expired, or bound to another sign-in.
    WrongChallenge,
    WrongRpId,
    UserNotPresent,
    UserNotVerified,
    Cbor(CborError),
    AuthenticatorData(&'static str),
    AttestationObject(&'static str),
    PublicKey(&'static str),
    UnsupportedAlgorithm(i64),
    UnknownCredential,
    WrongUser,
    BadSignature,
    /// The authenticator's counter did not grow: a cloned authenticator, or a replayed assertion.
    CounterRegression {
        stored: u32,
        received: u32,
    },
}

impl WebAuthnError {
    /// A stable code for logs and the audit trail.
    pub fn code(&self) -> &'static str {
        match self {
            WebAuthnError::Encoding(_) => "encoding",
            WebAuthnError::ClientData(_) => "client_data",
            WebAuthnError::WrongType => "wrong_type",
            WebAuthnError::WrongOrigin(_) => "wrong_origin",
            WebAuthnError::WrongChallenge => "wrong_challenge",
            WebAuthnError::WrongRpId => "wrong_rp_id",
            WebAuthnError::UserNotPresent => "user_not_present",
            WebAuthnError::UserNotVerified => "user_not_verified",
            WebAuthnError::Cbor(_) => "cbor",
            WebAuthnError::AuthenticatorData(_) => "authenticator_data",
            WebAuthnError::AttestationObject(_) => "attestation_object",
            WebAuthnError::PublicKey(_) => "public_key",
            WebAuthnError::UnsupportedAlgorithm(_) => "unsupported_algorithm",
            WebAuthnError::UnknownCredential => "unknown_credential",
            WebAuthnError::WrongUser => "wrong_user",
            WebAuthnError::BadSignature => "bad_signature",
            WebAuthnError::CounterRegression { .. } => "counter_regression",
        }
    }
}

impl fmt::Display for WebAuthnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WebAuthnError::Encoding(what) => write!(f, "{what} is not base64url"),
            WebAuthnError::ClientData(what) => write!(f, "client data: {what}"),
            WebAuthnError::WrongType => write!(f, "client data of the wrong ceremony type"),
            WebAuthnError::WrongOrigin(o) => write!(f, "origin {o} is not this server"),
            WebAuthnError::WrongChallenge => {
                write!(
                    f,
                    "challenge unknown, already used, expired or not this sign-in's"
                )
            }
            WebAuthnError::WrongRpId => write!(f, "authenticator data for another relying party"),
            WebAuthnError::UserNotPresent => write!(f, "user presence flag not set"),
            WebAuthnError::UserNotVerified => write!(f, "user verification flag not set"),
            WebAuthnError::Cbor(e) => write!(f, "CBOR: {e}"),
            WebAuthnError::AuthenticatorData(what) => write!(f, "authenticator data: {what}"),
            WebAuthnError::AttestationObject(what) => write!(f, "attestation object: {what}"),
            WebAuthnError::PublicKey(what) => write!(f, "public key: {what}"),
            WebAuthnError::UnsupportedAlgorithm(alg) => {
                write!(
                    f,
                    "COSE algorithm {alg} not supported (ES256, EdDSA, RS256 are)"
                )
            }
            WebAuthnError::UnknownCredential => write!(f, "no passkey with this credential id"),
            WebAuthnError::WrongUser => write!(f, "user handle does not belong to the passkey"),
            WebAuthnError::BadSignature => write!(f, "signature does not verify"),
            WebAuthnError::CounterRegression { stored, received } => {
                write!(
                    f,
                    "signature counter {received} not above the stored {stored}"
                )
            }
        }
    }
}

impl std::error::Error for WebAuthnError {}

/// The relying party: its id (the host of the public URL) and the one origin it accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelyingParty {
    pub id: String,
    pub origin: String,
}

impl RelyingParty {
    /// From the server's public URL (`https://rathaus.example.de/` → id `rathaus.example.de`, origin
    /// `https://rathaus.example.de`); `None` if it has no host.
    pub fn from_public_url(public_url: &str) -> Option<RelyingParty> {
        let (scheme, rest) = public_url.split_once("://")?;
        let authority = rest.split('/').next()?.to_ascii_lowercase();
        let host = match authority.rsplit_once(':') {
            Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !h.ends_with(']') => h,
            _ => authority.as_str(),
        };
        if host.is_empty() || authority.contains('@') {
            return None;
        }
        Some(RelyingParty {
            id: host.to_string(),
            origin: format!("{}://{authority}", scheme.to_ascii_lowercase()),
        })
    }

    fn rp_id_hash(&self) -> [u8; 32] {
        Sha256::digest(self.id.as_bytes()).into()
    }
}

/// Decodes a base64url field from the browser (padding tolerated).
pub fn b64(field: &'static str, value: &str) -> Result<Vec<u8>, WebAuthnError> {
    B64.decode(value.trim().trim_end_matches('='))
        .map_err(|_| WebAuthnError::Encoding(field))
}

/// Encodes bytes for the browser.
pub fn to_b64(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

/// `clientDataJSON` checked for ceremony type and origin; the challenge still has to be matched to
/// one the server issued (and used up).
#[derive(Debug, Clone)]
pub struct ClientData {
    pub challenge: Vec<u8>,
    /// SHA-256 of the raw JSON, which the authenticator signs.
    pub hash: [u8; 32],
}

#[derive(serde::Deserialize)]
struct ClientDataJson {
    #[serde(rename = "type")]
    kind: String,
    challenge: String,
    origin: String,
    #[serde(default, rename = "crossOrigin")]
    cross_origin: Option<bool>,
}

impl ClientData {
    /// `kind` is `webauthn.create` or `webauthn.get`.
    pub fn parse(rp: &RelyingParty, kind: &str, json: &[u8]) -> Result<ClientData, WebAuthnError> {
        if json.len() > 4096 {
            return Err(WebAuthnError::ClientData("longer than 4 KiB"));
        }
        let c: ClientDataJson = serde_json::from_slice(json)
            .map_err(|_| WebAuthnError::ClientData("not the expected JSON"))?;
        if c.kind != kind {
            return Err(WebAuthnError::WrongType);
        }
        if c.origin != rp.origin {
            return Err(WebAuthnError::WrongOrigin(
                c.origin.chars().take(100).collect(),
            ));
        }
        if c.cross_origin == Some(true) {
            return Err(WebAuthnError::WrongOrigin("(cross-origin frame)".into()));
        }
        let challenge = b64("challenge", &c.challenge)?;
        Ok(ClientData {
            challenge,
            hash: Sha256::digest(json).into(),
        })
    }
}

fn checked_flags(rp: &RelyingParty, data: &AuthenticatorData) -> Result<(), WebAuthnError> {
    if data.rp_id_hash != rp.rp_id_hash() {
        return Err(WebAuthnError::WrongRpId);
    }
    if !data.user_present() {
        return Err(WebAuthnError::UserNotPresent);
    }
    // Passkeys here stand in for a second factor, so the authenticator must verify the person.
    if !data.user_verified() {
        return Err(WebAuthnError::UserNotVerified);
    }
    Ok(())
}

/// A credential accepted at registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCredential {
    pub credential_id: Vec<u8>,
    /// COSE_Key bytes.
    pub public_key: Vec<u8>,
    pub sign_count: u32,
}

/// Checks a registration's attestation object (after its client data was parsed and its challenge
/// used up). The attestation statement is not verified: Rathaus asks for `none` and trusts the
/// account holder's choice of authenticator.
pub fn verify_registration(
    rp: &RelyingParty,
    attestation_object: &[u8],
) -> Result<NewCredential, WebAuthnError> {
    let object = cbor::decode(attestation_object).map_err(WebAuthnError::Cbor)?;
    object
        .get_text("fmt")
        .and_then(Value::as_text)
        .ok_or(WebAuthnError::AttestationObject("no fmt"))?;
    if !matches!(object.get_text("attStmt"), Some(Value::Map(_))) {
        return Err(WebAuthnError::AttestationObject("no attStmt map"));
    }
    let auth_data = object
        .get_text("authData")
        .and_then(Value::as_bytes)
        .ok_or(WebAuthnError::AttestationObject("no authData"))?;
    let data = authdata::parse(auth_data)?;
    checked_flags(rp, &data)?;
    let attested = data
        .attested
        .ok_or(WebAuthnError::AuthenticatorData("no attested credential"))?;
    // Refuses keys we could not check signatures with later.
    cose::parse(&attested.public_key)?;
    Ok(NewCredential {
        credential_id: attested.credential_id,
        public_key: attested.public_key,
        sign_count: data.sign_count,
    })
}

/// Checks a sign-in assertion against the stored key and counter (after its client data was parsed
/// and its challenge used up); returns the new counter to store.
pub fn verify_assertion(
    rp: &RelyingParty,
    client_data: &ClientData,
    authenticator_data: &[u8],
    signature: &[u8],
    stored_public_key: &[u8],
    stored_count: u32,
) -> Result<u32, WebAuthnError> {
    let data = authdata::parse(authenticator_data)?;
    checked_flags(rp, &data)?;
    let key = cose::parse(stored_public_key)?;
    let mut signed = Vec::with_capacity(authenticator_data.len() + 32);
    signed.extend_from_slice(authenticator_data);
    signed.extend_from_slice(&client_data.hash);
    if !key.verify(&signed, signature) {
        return Err(WebAuthnError::BadSignature);
    }
    // §7.2 step 21: a counter that does not grow (unless both are 0, as with synced passkeys).
    if (data.sign_count != 0 || stored_count != 0) && data.sign_count <= stored_count {
        return Err(WebAuthnError::CounterRegression {
            stored: stored_count,
            received: data.sign_count,
        });
    }
    Ok(data.sign_count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_relying_party_is_the_host_of_the_public_url() {
        let rp = |u| RelyingParty::from_public_url(u).map(|r| (r.id, r.origin));
        assert_eq!(
            rp("https://Rathaus.Musterstadt.de/"),
            Some((
                "rathaus.musterstadt.de".into(),
                "https://rathaus.musterstadt.de".into()
            ))
        );
        assert_eq!(
            rp("http://localhost:8080"),
            Some(("localhost".into(), "http://localhost:8080".into()))
        );
        assert_eq!(rp("https://user@host.example"), None);
        assert_eq!(rp("no-scheme"), None);
    }

    #[test]
    fn client_data_must_name_the_ceremony_and_this_origin() {
        let rp = RelyingParty {
            id: "localhost".into(),
            origin: "http://localhost:8080".into(),
        };
        let json = |kind: &str, origin: &str, cross: bool| {
            format!(
                r#"{{"type":"{kind}","challenge":"AAEC","origin":"{origin}","crossOrigin":{cross}}}"#
            )
        };
        let ok = ClientData::parse(
            &rp,
            "webauthn.get",
            json("webauthn.get", "http://localhost:8080", false).as_bytes(),
        );
        assert_eq!(ok.map(|c| c.challenge), Ok(vec![0, 1, 2]));
        let err = |j: String, kind| {
            ClientData::parse(&rp, kind, j.as_bytes())
                .err()
                .map(|e| e.code())
        };
        assert_eq!(
            err(
                json("webauthn.create", "http://localhost:8080", false),
                "webauthn.get"
            ),
            Some("wrong_type")
        );
        assert_eq!(
            err(
                json("webauthn.get", "http://localhost:8081", false),
                "webauthn.get"
            ),
            Some("wrong_origin")
        );
        assert_eq!(
            err(
                json("webauthn.get", "http://localhost:8080", true),
                "webauthn.get"
            ),
            Some("wrong_origin")
        );
        assert_eq!(err("{}".into(), "webauthn.get"), Some("client_data"));
    }
}
