//! Renewing an X OAuth 2.0 user token with its refresh token (`POST /2/oauth2/token`), once across all workers, keeping the rotated pair where every worker finds it.
//!
//! X's user tokens expire after about two hours; with the scope `offline.access` a refresh token
//! comes along, and X replaces it on every renewal (the old one stops working). Two workers renewing
//! with the same refresh token would lock each other out, so a renewal runs under the keeper's lock,
//! and a worker that finds a newer pair kept by another uses that instead of renewing again.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use crate::http::{read_limited, redact, ReadError, API_RESPONSE_LIMIT};
use crate::publish::{BoxFuture, PublishError};
use crate::USER_AGENT;

/// A user token counts as expired this long before X's stated expiry (clock skew, slow calls).
const EXPIRY_MARGIN_MS: i64 = 60_000;
/// How long a worker waits for another one's renewal before trying again later.
const WAIT_FOR_OTHER_RENEWAL: Duration = Duration::from_secs(10);
const WAIT_STEP: Duration = Duration::from_millis(200);

/// An access token with its refresh token. Never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct XTokens {
    pub access_token: String,
    pub refresh_token: String,
    /// Unix milliseconds when the access token expires, when X said so.
    pub expires_at: Option<i64>,
}

impl std::fmt::Debug for XTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XTokens")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// Where an X channel's renewed tokens are kept, shared by every worker and surviving restarts
/// (the hub seals them in the database). Errors are plain descriptions, never containing a token.
pub trait XTokenKeeper: Send + Sync {
    /// The newest kept pair, if any (`None`: the configured tokens are the newest).
    fn load(&self) -> BoxFuture<'_, Result<Option<XTokens>, String>>;
    /// Keeps a renewed pair.
    fn keep<'a>(&'a self, tokens: &'a XTokens) -> BoxFuture<'a, Result<(), String>>;
    /// Takes the right to renew for a short while; `false` while another worker holds it.
    fn lock(&self) -> BoxFuture<'_, Result<bool, String>>;
    /// Gives the right to renew back.
    fn unlock(&self) -> BoxFuture<'_, ()>;
}

/// What renewing needs: the app's client id (and secret, for a confidential client).
#[derive(Clone)]
pub(crate) struct Renewal {
    pub client_id: String,
    pub client_secret: Option<String>,
    pub keeper: Option<Arc<dyn XTokenKeeper>>,
}

/// The tokens an [`crate::x::XClient`] uses now, and how to renew them.
pub(crate) struct TokenState {
    current: Mutex<Current>,
    renewal: Option<Renewal>,
    /// One renewal at a time within this process (the keeper's lock covers the others).
    gate: tokio::sync::Mutex<()>,
}

struct Current {
    access_token: String,
    refresh_token: Option<String>,
    expires_at: Option<i64>,
    /// Whether the keeper's pair was looked at yet (it wins over the configured one).
    loaded: bool,
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// The channel's error when X does not renew: a person must connect the account again.
pub(crate) fn reauthorise(detail: &str) -> PublishError {
    let detail = if detail.is_empty() {
        String::new()
    } else {
        format!(" ({detail})")
    };
    PublishError::permanent(
        format!("X: Die Verbindung zum X-Konto muss neu autorisiert werden – der Zugang ist abgelaufen und ließ sich nicht erneuern{detail}. Bitte neue Zugangsdaten (access_token, refresh_token) eintragen."),
        format!("X: the connection to the X account must be authorised again — access expired and could not be renewed{detail}. Please enter new credentials (access_token, refresh_token)."),
    )
}

impl TokenState {
    pub(crate) fn new(
        access_token: String,
        refresh_token: Option<String>,
        renewal: Option<Renewal>,
    ) -> TokenState {
        TokenState {
            current: Mutex::new(Current {
                access_token,
                refresh_token,
                expires_at: None,
                loaded: false,
            }),
            renewal,
            gate: tokio::sync::Mutex::new(()),
        }
    }

    fn current(&self) -> std::sync::MutexGuard<'_, Current> {
        self.current.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The access token to send now.
    pub(crate) fn access_token(&self) -> String {
        self.current().access_token.clone()
    }

    /// Whether this client can renew its token at all.
    pub(crate) fn renewable(&self) -> bool {
        self.renewal.is_some() && self.current().refresh_token.is_some()
    }

    fn adopt(&self, t: &XTokens) {
        let mut c = self.current();
        c.access_token = t.access_token.clone();
        c.refresh_token = Some(t.refresh_token.clone());
        c.expires_at = t.expires_at;
        c.loaded = true;
    }

    /// Before a call: takes over a newer kept pair (first call only), and renews a token whose
    /// known expiry has passed. Returns the access token to use.
    pub(crate) async fn before_call(
        &self,
        http: &reqwest::Client,
        token_url: &str,
    ) -> Result<String, PublishError> {
        let Some(renewal) = &self.renewal else {
            return Ok(self.access_token());
        };
        if !self.current().loaded {
            if let Some(keeper) = &renewal.keeper {
                match keeper.load().await {
                    Ok(Some(t)) => self.adopt(&t),
                    Ok(None) => self.current().loaded = true,
                    Err(e) => {
                        return Err(PublishError::retryable(format!(
                            "X: kept tokens unreadable: {e}"
                        )))
                    }
                }
            } else {
                self.current().loaded = true;
            }
        }
        let (token, expired) = {
            let c = self.current();
            let expired = c
                .expires_at
                .is_some_and(|at| now_ms() >= at - EXPIRY_MARGIN_MS);
            (c.access_token.clone(), expired)
        };
        if expired && self.renewable() {
            self.renew(http, token_url, &token).await?;
            return Ok(self.access_token());
        }
        Ok(token)
    }

    /// Renews after `used` was refused or expired, unless another task or worker already did
    /// (then their pair is taken over). Only one worker renews at a time.
    pub(crate) async fn renew(
        &self,
        http: &reqwest::Client,
        token_url: &str,
        used: &str,
    ) -> Result<(), PublishError> {
        let Some(renewal) = &self.renewal else {
            return Err(reauthorise(""));
        };
        let _one_at_a_time = self.gate.lock().await;
        if self.access_token() != used {
            return Ok(());
        }
        let Some(keeper) = &renewal.keeper else {
            let refresh = self.current().refresh_token.clone().unwrap_or_default();
            let t = request(http, token_url, renewal, &refresh).await?;
            self.adopt(&t);
            return Ok(());
        };
        let unreadable =
            |e: String| PublishError::retryable(format!("X: kept tokens unreadable: {e}"));
        let started = std::time::Instant::now();
        loop {
            if let Some(t) = keeper.load().await.map_err(unreadable)? {
                if t.access_token != used {
                    self.adopt(&t);
                    return Ok(());
                }
            }
            if keeper.lock().await.map_err(unreadable)? {
                break;
            }
            if started.elapsed() >= WAIT_FOR_OTHER_RENEWAL {
                return Err(PublishError::retryable(
                    "X: another worker is renewing the access token",
                ));
            }
            tokio::time::sleep(WAIT_STEP).await;
        }
        let result = self
            .renew_locked(http, token_url, renewal, keeper, used)
            .await;
        keeper.unlock().await;
        result
    }

    async fn renew_locked(
        &self,
        http: &reqwest::Client,
        token_url: &str,
        renewal: &Renewal,
        keeper: &Arc<dyn XTokenKeeper>,
        used: &str,
    ) -> Result<(), PublishError> {
        // Another worker may have finished just before we got the lock.
        let kept = keeper
            .load()
            .await
            .map_err(|e| PublishError::retryable(format!("X: kept tokens unreadable: {e}")))?;
        if let Some(t) = &kept {
            if t.access_token != used {
                self.adopt(t);
                return Ok(());
            }
        }
        let refresh = match kept {
            Some(t) => t.refresh_token,
            None => self.current().refresh_token.clone().unwrap_or_default(),
        };
        let t = request(http, token_url, renewal, &refresh).await?;
        // The old refresh token is spent now: use the new pair here even if keeping it fails.
        self.adopt(&t);
        if let Err(e) = keeper.keep(&t).await {
            tracing::error!(error = %e, "x: renewed tokens could not be kept; other workers must renew again");
        }
        Ok(())
    }
}

/// `POST /2/oauth2/token` with `grant_type=refresh_token`: a confidential client authenticates with
/// HTTP Basic (client id and secret), a public one names its `client_id` in the body.
async fn request(
    http: &reqwest::Client,
    token_url: &str,
    renewal: &Renewal,
    refresh_token: &str,
) -> Result<XTokens, PublishError> {
    if refresh_token.is_empty() {
        return Err(reauthorise("kein refresh_token / no refresh_token"));
    }
    let mut form = vec![
        ("refresh_token", refresh_token),
        ("grant_type", "refresh_token"),
    ];
    let mut req = http
        .post(token_url)
        .header(reqwest::header::USER_AGENT, USER_AGENT);
    match &renewal.client_secret {
        Some(secret) => req = req.basic_auth(&renewal.client_id, Some(secret)),
        None => form.push(("client_id", renewal.client_id.as_str())),
    }
    let hide = |s: &str| redact(&redact(s, refresh_token), &renewal.client_id);
    let resp = req.form(&form).send().await.map_err(|e| {
        PublishError::retryable(format!(
            "X: token renewal unreachable: {}",
            hide(&e.without_url().to_string())
        ))
    })?;
    let status = resp.status();
    let bytes = match read_limited(resp, API_RESPONSE_LIMIT).await {
        Ok(b) => b,
        Err(ReadError::Network(e)) => {
            return Err(PublishError::retryable(format!(
                "X: token renewal interrupted: {}",
                hide(&e.without_url().to_string())
            )))
        }
        Err(ReadError::TooLarge) => {
            return Err(PublishError::retryable("X: oversized token answer"))
        }
    };
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    if status.is_server_error() || status.as_u16() == 429 {
        return Err(PublishError::retryable(format!(
            "X: token renewal failed (HTTP {})",
            status.as_u16()
        )));
    }
    if !status.is_success() {
        let detail = body["error_description"]
            .as_str()
            .or(body["error"].as_str())
            .unwrap_or_default();
        tracing::warn!(
            status = status.as_u16(),
            "x token renewal refused; re-authorisation needed"
        );
        return Err(reauthorise(&hide(detail)));
    }
    let access = body["access_token"].as_str().unwrap_or_default();
    let refresh = body["refresh_token"].as_str().unwrap_or(refresh_token);
    if access.is_empty() {
        return Err(reauthorise(
            "Antwort ohne access_token / answer without access_token",
        ));
    }
    let expires_at = body["expires_in"]
        .as_i64()
        .map(|s| now_ms().saturating_add(s.saturating_mul(1000)));
    tracing::info!("x access token renewed");
    Ok(XTokens {
        access_token: access.to_string(),
        refresh_token: refresh.to_string(),
        expires_at,
    })
}
