//! Staff sign-in with the municipality's own OpenID Connect provider (authorization code flow with PKCE):
//! discovery, the authorization request, the code exchange and who the provider says signed in.

pub mod id_token;

use std::time::{Duration, Instant};

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJsonWebKeySet, CoreProviderMetadata,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use tokio::sync::Mutex;

pub use id_token::TokenRejected;

/// `[municipality.oidc]`: the provider staff of this municipality sign in with.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SsoConfig {
    /// The provider's issuer, e.g. "https://login.musterstadt.de/realms/rathaus" (Keycloak realm URL).
    pub issuer: String,
    pub client_id: String,
    /// Or `client_secret_file` (the configuration loader reads the file into `client_secret`).
    #[serde(default)]
    pub client_secret: String,
    /// Only seen by the loader's first pass over the file, before the file is read.
    #[serde(default)]
    pub client_secret_file: Option<String>,
    /// The provider's name on the button: "Mit {button_label} anmelden".
    #[serde(default = "default_button_label")]
    pub button_label: String,
    /// How a provider account finds its Rathaus account; only "email" (the verified address).
    #[serde(default, rename = "match")]
    pub match_by: MatchBy,
    /// Accept the e-mail address even when the provider does not mark it `email_verified` (only for a
    /// provider whose addresses are all issued by the town itself).
    #[serde(default)]
    pub trust_email: bool,
    /// Whether a sign-in at this provider counts as the second factor. Default false: members with a
    /// TOTP app are still asked for its code after the provider sent them back.
    #[serde(default)]
    pub satisfies_mfa: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchBy {
    #[default]
    Email,
}

fn default_button_label() -> String {
    "Single Sign-On".into()
}

/// The client secret is kept out of `Debug` so it never reaches a log line.
impl std::fmt::Debug for SsoConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SsoConfig")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("button_label", &self.button_label)
            .field("match", &self.match_by)
            .field("trust_email", &self.trust_email)
            .field("satisfies_mfa", &self.satisfies_mfa)
            .finish_non_exhaustive()
    }
}

impl SsoConfig {
    /// Refuses an issuer that is not an https URL (plain http only on loopback, for tests and trials).
    pub fn check(&self) -> Result<(), String> {
        let url = openidconnect::url::Url::parse(&self.issuer)
            .map_err(|e| format!("oidc.issuer '{}': {e}", self.issuer))?;
        let loopback = matches!(
            url.host(),
            Some(openidconnect::url::Host::Domain("localhost"))
        ) || match url.host() {
            Some(openidconnect::url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(openidconnect::url::Host::Ipv6(ip)) => ip.is_loopback(),
            _ => false,
        };
        if url.scheme() != "https" && !(url.scheme() == "http" && loopback) {
            return Err(format!(
                "oidc.issuer '{}' must be an https:// URL (http:// only on loopback)",
                self.issuer
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(format!(
                "oidc.issuer '{}' must not have a query or fragment",
                self.issuer
            ));
        }
        if self.client_id.trim().is_empty() {
            return Err("oidc.client_id is empty".into());
        }
        if self.client_secret.is_empty() {
            return Err("oidc.client_secret (or client_secret_file) is empty".into());
        }
        Ok(())
    }
}

/// What must survive the trip to the provider and back, kept by the browser in an encrypted cookie.
#[derive(Clone, Serialize, Deserialize)]
pub struct PendingSso {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

impl std::fmt::Debug for PendingSso {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PendingSso { .. }")
    }
}

/// Who the provider says signed in (after every check on the ID token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoIdentity {
    pub subject: String,
    /// Lower-cased.
    pub email: Option<String>,
    pub email_verified: bool,
}

/// Why a sign-in through the provider did not work.
#[derive(Debug, thiserror::Error)]
pub enum SsoError {
    #[error("state parameter does not match this browser's sign-in")]
    StateMismatch,
    #[error("provider unreachable or its discovery document is invalid: {0}")]
    Discovery(String),
    #[error("code exchange at the token endpoint failed: {0}")]
    TokenEndpoint(String),
    #[error("the token response has no ID token")]
    NoIdToken,
    #[error(transparent)]
    IdToken(#[from] TokenRejected),
    #[error("userinfo request failed: {0}")]
    UserInfo(String),
    #[error("configuration: {0}")]
    Config(String),
}

impl SsoError {
    /// A short stable name for the audit log.
    pub fn code(&self) -> &'static str {
        match self {
            SsoError::StateMismatch => "state",
            SsoError::Discovery(_) => "discovery",
            SsoError::TokenEndpoint(_) => "token_endpoint",
            SsoError::NoIdToken => "no_id_token",
            SsoError::IdToken(e) => e.code(),
            SsoError::UserInfo(_) => "userinfo",
            SsoError::Config(_) => "config",
        }
    }
}

/// Whether the `state` the provider sent back is the one this browser started with (constant time).
pub fn state_matches(expected: &str, returned: &str) -> bool {
    !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(returned.as_bytes()))
}

/// The discovery document is fetched again after this long.
const DISCOVERY_TTL: Duration = Duration::from_secs(60 * 60);
/// An unknown key id refetches the key set at most this often (a signing-key rotation at the provider).
/// ID tokens come from the provider's own token endpoint, so this only guards against a provider that
/// keeps naming keys it does not publish.
const JWKS_REFETCH_MIN: Duration = Duration::from_secs(5);

struct Discovered {
    metadata: CoreProviderMetadata,
    fetched_at: Instant,
    jwks_fetched_at: Instant,
}

/// One municipality's provider, with its discovery document and signing keys cached.
pub struct RelyingParty {
    config: SsoConfig,
    issuer: IssuerUrl,
    /// Follows no redirects: every provider URL comes from the discovery document.
    http: reqwest::Client,
    cache: Mutex<Option<Discovered>>,
}

impl std::fmt::Debug for RelyingParty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelyingParty")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl RelyingParty {
    pub fn new(config: SsoConfig) -> Result<RelyingParty, SsoError> {
        config.check().map_err(SsoError::Config)?;
        let issuer = IssuerUrl::new(config.issuer.clone())
            .map_err(|e| SsoError::Config(format!("oidc.issuer: {e}")))?;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| SsoError::Config(format!("HTTP client: {e}")))?;
        Ok(RelyingParty {
            config,
            issuer,
            http,
            cache: Mutex::new(None),
        })
    }

    pub fn config(&self) -> &SsoConfig {
        &self.config
    }

    /// Whether `iss` from the authorization response (RFC 9207) names this provider: a browser sent
    /// back by another provider (mix-up attack) is refused before its code is redeemed.
    pub fn is_issuer(&self, iss: &str) -> bool {
        iss == self.issuer.as_str() || iss == self.config.issuer
    }

    /// The provider's metadata (with its key set), from the cache while fresh.
    async fn metadata(&self) -> Result<CoreProviderMetadata, SsoError> {
        let mut cache = self.cache.lock().await;
        if let Some(d) = cache.as_ref() {
            if d.fetched_at.elapsed() < DISCOVERY_TTL {
                return Ok(d.metadata.clone());
            }
        }
        let metadata = CoreProviderMetadata::discover_async(self.issuer.clone(), &self.http)
            .await
            .map_err(|e| SsoError::Discovery(error_chain(&e)))?;
        let now = Instant::now();
        *cache = Some(Discovered {
            metadata: metadata.clone(),
            fetched_at: now,
            jwks_fetched_at: now,
        });
        Ok(metadata)
    }

    /// Fetches the key set again (the provider rotated its signing key), unless that happened just now.
    async fn refetch_keys(&self) -> Result<Option<CoreJsonWebKeySet>, SsoError> {
        let mut cache = self.cache.lock().await;
        let Some(d) = cache.as_mut() else {
            return Ok(None);
        };
        if d.jwks_fetched_at.elapsed() < JWKS_REFETCH_MIN {
            return Ok(None);
        }
        let keys = CoreJsonWebKeySet::fetch_async(d.metadata.jwks_uri(), &self.http)
            .await
            .map_err(|e| SsoError::Discovery(error_chain(&e)))?;
        d.metadata = d.metadata.clone().set_jwks(keys.clone());
        d.jwks_fetched_at = Instant::now();
        Ok(Some(keys))
    }

    fn client(
        &self,
        metadata: CoreProviderMetadata,
        redirect_uri: &str,
    ) -> Result<
        CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        SsoError,
    > {
        let redirect = RedirectUrl::new(redirect_uri.to_string())
            .map_err(|e| SsoError::Config(format!("redirect URI: {e}")))?;
        Ok(CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.config.client_id.clone()),
            Some(ClientSecret::new(self.config.client_secret.clone())),
        )
        .set_redirect_uri(redirect))
    }

    /// The provider's authorization URL for a new sign-in (PKCE S256, fresh state and nonce), and what the
    /// browser must bring back.
    pub async fn begin(&self, redirect_uri: &str) -> Result<(String, PendingSso), SsoError> {
        let client = self.client(self.metadata().await?, redirect_uri)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge)
            .url();
        Ok((
            url.to_string(),
            PendingSso {
                state: state.secret().clone(),
                nonce: nonce.secret().clone(),
                pkce_verifier: verifier.secret().clone(),
            },
        ))
    }

    /// Completes a sign-in: checks `state`, redeems `code` with the PKCE verifier, verifies the ID token
    /// and reads the e-mail address (from the ID token, else from the userinfo endpoint).
    pub async fn finish(
        &self,
        redirect_uri: &str,
        pending: &PendingSso,
        returned_state: &str,
        code: &str,
        now_ms: i64,
    ) -> Result<SsoIdentity, SsoError> {
        if !state_matches(&pending.state, returned_state) {
            return Err(SsoError::StateMismatch);
        }
        let metadata = self.metadata().await?;
        let mut keys = metadata.jwks().clone();
        let client = self.client(metadata, redirect_uri)?;
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| SsoError::TokenEndpoint(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| SsoError::TokenEndpoint(error_chain(&e)))?;
        let raw = tokens.id_token().ok_or(SsoError::NoIdToken)?.to_string();
        let expected = id_token::Expected {
            issuer: self.issuer.as_str(),
            client_id: &self.config.client_id,
            nonce: &pending.nonce,
        };
        let now_s = now_ms.div_euclid(1000);
        let verified = match id_token::verify(&raw, &expected, &keys, now_s) {
            Err(TokenRejected::UnknownKey) => match self.refetch_keys().await? {
                Some(fresh) => {
                    keys = fresh;
                    id_token::verify(&raw, &expected, &keys, now_s)?
                }
                None => return Err(TokenRejected::UnknownKey.into()),
            },
            other => other?,
        };
        let (email, email_verified) = match verified.email {
            Some(email) => (Some(email), verified.email_verified.unwrap_or(false)),
            None => {
                // Providers that keep claims out of the ID token (e.g. node oidc-provider) give them here;
                // the library checks that `sub` is the same person.
                let subject = openidconnect::SubjectIdentifier::new(verified.subject.clone());
                let request = client
                    .user_info(tokens.access_token().clone(), Some(subject))
                    .map_err(|e| SsoError::UserInfo(e.to_string()))?;
                let info: openidconnect::core::CoreUserInfoClaims = request
                    .request_async(&self.http)
                    .await
                    .map_err(|e| SsoError::UserInfo(error_chain(&e)))?;
                (
                    info.email().map(|e| e.as_str().to_string()),
                    info.email_verified().unwrap_or(false),
                )
            }
        };
        Ok(SsoIdentity {
            subject: verified.subject,
            email: email.map(|e| e.trim().to_lowercase()),
            email_verified,
        })
    }
}

/// An error with its causes, for logs and the audit details (provider responses carry no secrets of ours).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn config(issuer: &str) -> SsoConfig {
        SsoConfig {
            issuer: issuer.into(),
            client_id: "rathaus".into(),
            client_secret: "geheim-1234".into(),
            client_secret_file: None,
            button_label: "Stadt-Login".into(),
            match_by: MatchBy::Email,
            trust_email: false,
            satisfies_mfa: false,
        }
    }

    #[test]
    fn state_must_match_exactly() {
        assert!(state_matches("abc123", "abc123"));
        assert!(!state_matches("abc123", "abc124"));
        assert!(!state_matches("abc123", "abc12"));
        assert!(!state_matches("abc123", ""));
        assert!(!state_matches("", ""));
    }

    #[tokio::test]
    async fn a_state_mismatch_is_refused_before_the_provider_is_asked() {
        // Nothing listens on port 9: reaching the network would fail differently.
        let rp = RelyingParty::new(config("http://127.0.0.1:9")).unwrap();
        let pending = PendingSso {
            state: "expected-state".into(),
            nonce: "n".into(),
            pkce_verifier: "v".repeat(43),
        };
        let e = rp
            .finish("http://127.0.0.1/cb", &pending, "forged-state", "code", 0)
            .await
            .unwrap_err();
        assert!(matches!(e, SsoError::StateMismatch), "{e:?}");
    }

    #[test]
    fn issuer_must_be_https_except_on_loopback() {
        assert!(config("https://login.musterstadt.de/realms/x")
            .check()
            .is_ok());
        assert!(config("http://127.0.0.1:9090").check().is_ok());
        assert!(config("http://localhost:8080/realms/x").check().is_ok());
        let e = config("http://login.musterstadt.de").check().unwrap_err();
        assert!(e.contains("https://"), "{e}");
        assert!(config("login.musterstadt.de").check().is_err());
        let mut c = config("https://login.musterstadt.de");
        c.client_secret.clear();
        assert!(c.check().unwrap_err().contains("client_secret"));
    }

    #[test]
    fn the_client_secret_stays_out_of_debug_output() {
        let c = config("https://login.musterstadt.de");
        let shown = format!("{c:?}");
        assert!(!shown.contains("geheim-1234"), "{shown}");
        assert!(shown.contains("rathaus"));
        let rp = RelyingParty::new(c).unwrap();
        assert!(!format!("{rp:?}").contains("geheim-1234"));
    }
}
