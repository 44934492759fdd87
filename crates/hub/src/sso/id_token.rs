//! Checks an ID token from the token endpoint: signature (RS256, ES256) against the provider's keys and
//! the claims iss, aud, azp, exp, iat and nonce.

use openidconnect::core::{
    CoreIdToken, CoreIdTokenVerifier, CoreJsonWebKeySet, CoreJwsSigningAlgorithm,
};
use openidconnect::{
    ClaimsVerificationError, ClientId, IssuerUrl, Nonce, SignatureVerificationError,
};

/// Signature algorithms accepted for ID tokens. HMAC (keyed with the client secret) and `none` are not.
pub const ALLOWED_ALGS: [CoreJwsSigningAlgorithm; 2] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
];

/// How far the provider's clock may run ahead of ours for `iat`.
pub const CLOCK_SKEW_S: i64 = 60;
/// An ID token issued longer ago than this is not accepted, whatever its `exp` says: we fetched it a
/// moment ago from the token endpoint.
pub const MAX_AGE_S: i64 = 10 * 60;

/// What the ID token must say.
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    /// The nonce sent with the authorization request.
    pub nonce: &'a str,
}

/// The identity in a valid ID token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedIdToken {
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
}

/// Why an ID token was refused (the text names the check, never the token).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenRejected {
    #[error("ID token is not a well-formed signed JWT: {0}")]
    Malformed(String),
    #[error("ID token signed with a key the provider does not publish (unknown kid)")]
    UnknownKey,
    #[error("ID token signature algorithm not accepted: {0}")]
    Algorithm(String),
    #[error("ID token signature invalid: {0}")]
    Signature(String),
    #[error("ID token issuer wrong: {0}")]
    Issuer(String),
    #[error("ID token audience wrong: {0}")]
    Audience(String),
    #[error("ID token authorized party (azp) is another client")]
    AuthorizedParty,
    #[error("ID token expired or issued at an impossible time: {0}")]
    Time(String),
    #[error("ID token nonce does not match this sign-in: {0}")]
    Nonce(String),
}

impl TokenRejected {
    /// A short stable name for the audit log.
    pub fn code(&self) -> &'static str {
        match self {
            TokenRejected::Malformed(_) => "malformed",
            TokenRejected::UnknownKey => "unknown_key",
            TokenRejected::Algorithm(_) => "algorithm",
            TokenRejected::Signature(_) => "signature",
            TokenRejected::Issuer(_) => "issuer",
            TokenRejected::Audience(_) => "audience",
            TokenRejected::AuthorizedParty => "azp",
            TokenRejected::Time(_) => "time",
            TokenRejected::Nonce(_) => "nonce",
        }
    }
}

fn at(seconds: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(seconds, 0).unwrap_or_default()
}

/// Verifies `raw` (compact JWS) against `keys` at `now_s` (unix seconds).
pub fn verify(
    raw: &str,
    expected: &Expected<'_>,
    keys: &CoreJsonWebKeySet,
    now_s: i64,
) -> Result<VerifiedIdToken, TokenRejected> {
    let token: CoreIdToken = raw
        .trim()
        .parse()
        .map_err(|e: serde_json::Error| TokenRejected::Malformed(e.to_string()))?;
    let issuer = IssuerUrl::new(expected.issuer.to_string())
        .map_err(|e| TokenRejected::Issuer(e.to_string()))?;
    // A public-client verifier: no client secret, so HMAC-signed tokens cannot pass.
    let verifier = CoreIdTokenVerifier::new_public_client(
        ClientId::new(expected.client_id.to_string()),
        issuer,
        keys.clone(),
    )
    .set_allowed_algs(ALLOWED_ALGS)
    .set_time_fn(move || at(now_s))
    .set_issue_time_verifier_fn(move |iat| {
        let iat = iat.timestamp();
        if iat > now_s + CLOCK_SKEW_S {
            Err(format!("issued in the future ({iat})"))
        } else if iat < now_s - MAX_AGE_S {
            Err(format!("issued too long ago ({iat})"))
        } else {
            Ok(())
        }
    });
    let nonce = Nonce::new(expected.nonce.to_string());
    let claims = token.claims(&verifier, &nonce).map_err(rejected)?;
    // OpenID Connect Core 3.1.3.7, steps 4 and 5: with several audiences azp must be present, and when
    // present it must be us (the library leaves both to the client).
    match claims.authorized_party() {
        Some(azp) if azp.as_str() != expected.client_id => {
            return Err(TokenRejected::AuthorizedParty)
        }
        None if claims.audiences().len() > 1 => return Err(TokenRejected::AuthorizedParty),
        _ => {}
    }
    Ok(VerifiedIdToken {
        subject: claims.subject().as_str().to_string(),
        email: claims.email().map(|e| e.as_str().to_string()),
        email_verified: claims.email_verified(),
    })
}

fn rejected(e: ClaimsVerificationError) -> TokenRejected {
    match e {
        ClaimsVerificationError::SignatureVerification(s) => match s {
            SignatureVerificationError::NoMatchingKey => TokenRejected::UnknownKey,
            SignatureVerificationError::DisallowedAlg(m) => TokenRejected::Algorithm(m),
            SignatureVerificationError::NoSignature => {
                TokenRejected::Algorithm("unsigned token (alg none)".into())
            }
            SignatureVerificationError::UnsupportedAlg(m) => TokenRejected::Algorithm(m),
            other => TokenRejected::Signature(other.to_string()),
        },
        ClaimsVerificationError::InvalidIssuer(m) => TokenRejected::Issuer(m),
        ClaimsVerificationError::InvalidAudience(m) => TokenRejected::Audience(m),
        ClaimsVerificationError::Expired(m) => TokenRejected::Time(m),
        ClaimsVerificationError::InvalidNonce(m) => TokenRejected::Nonce(m),
        ClaimsVerificationError::Unsupported(m) => TokenRejected::Malformed(m),
        other => TokenRejected::Malformed(other.to_string()),
    }
}

#[cfg(test)]
#[path = "id_token_tests.rs"]
mod tests;
