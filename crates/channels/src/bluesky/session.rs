//! One Bluesky login kept for as long as it lasts: `createSession` once, `refreshSession` when the access token expires, XRPC calls with the current token.
//!
//! `createSession` is limited to 30 per 5 minutes (and 300 a day) per account, so a client never
//! logs in per post: the tokens live in the client, shared by its clones, and a new login happens
//! only when even the refresh token is refused.
//!
//! The registry of adapters is rebuilt on every settings change, which makes new clients; a new
//! client for the same PDS, handle and app password takes over the session of the one before
//! ([`shared_session`]), so a rebuild costs no login. A changed app password (or handle, or PDS)
//! is another login. The session is kept in process memory only: a restart logs in once more,
//! which is far inside the limit, whereas sealed tokens in the database would have to be kept
//! consistent between processes refreshing them concurrently (a refresh token is single-use).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock, Weak};

use sha2::{Digest, Sha256};

use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::Mutex;

use crate::http::{read_limited, redact, ReadError};
use crate::publish::{rate, transport_error, PublishError};
use crate::USER_AGENT;

/// Cap for XRPC answers (records, lists, sessions); blobs are sent, never read.
const XRPC_RESPONSE_LIMIT: usize = 4 << 20;

#[derive(Clone, Deserialize)]
pub(crate) struct Session {
    #[serde(rename = "accessJwt")]
    pub access_jwt: String,
    #[serde(rename = "refreshJwt")]
    pub refresh_jwt: String,
    pub did: String,
    pub handle: String,
}

/// Body of an XRPC error: `{"error": "ExpiredToken", "message": "…"}`.
#[derive(Deserialize, Default)]
struct XrpcError {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

/// A failed XRPC call, before it is turned into a [`PublishError`].
#[derive(Debug)]
pub(crate) enum CallError {
    /// The access token is expired or not accepted: refresh and call again.
    Token,
    /// The server answered with an XRPC error name (e.g. `RecordNotFound`).
    Xrpc {
        status: u16,
        error: String,
        send: PublishError,
    },
    Other(PublishError),
}

impl CallError {
    pub(crate) fn into_publish(self, what: &str) -> PublishError {
        match self {
            CallError::Token => {
                PublishError::retryable(format!("Bluesky {what}: the login token was refused"))
            }
            CallError::Xrpc { send, .. } | CallError::Other(send) => send,
        }
    }
}

/// What to send: JSON, raw bytes (a blob) or nothing (a query).
pub(crate) enum Payload<'a> {
    Json(&'a Value),
    Bytes {
        body: &'a [u8],
        mime: &'a str,
    },
    Query(&'a [(&'a str, &'a str)]),
    /// A procedure without input (`refreshSession`): the PDS refuses a body there.
    Empty,
}

/// The tokens of one login and how often it was made; shared by every client of the same account
/// and app password in this process.
#[derive(Default)]
struct SharedSession {
    session: Mutex<Option<Session>>,
    created: AtomicU32,
}

/// The session state for this PDS, identifier and app password: the one a living client already
/// has, or a new one. Keyed by a SHA-256 of the three, so no password is kept as a map key; an
/// entry lives as long as some client holds it.
fn shared_session(pds: &str, identifier: &str, app_password: &str) -> Arc<SharedSession> {
    static SESSIONS: OnceLock<std::sync::Mutex<HashMap<[u8; 32], Weak<SharedSession>>>> =
        OnceLock::new();
    let mut h = Sha256::new();
    for part in [
        "rathaus bluesky session",
        pds.trim_end_matches('/'),
        identifier,
        app_password,
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    let key: [u8; 32] = h.finalize().into();
    let mut map = SESSIONS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(shared) = map.get(&key).and_then(Weak::upgrade) {
        return shared;
    }
    map.retain(|_, w| w.strong_count() > 0);
    let shared = Arc::new(SharedSession::default());
    map.insert(key, Arc::downgrade(&shared));
    shared
}

/// The login and the current tokens; clones share them, and so do new clients for the same login.
#[derive(Clone)]
pub(crate) struct Login {
    pub http: reqwest::Client,
    pub pds: String,
    pub identifier: String,
    pub app_password: String,
    shared: Arc<SharedSession>,
}

impl Login {
    pub fn new(
        http: reqwest::Client,
        pds: String,
        identifier: String,
        app_password: String,
    ) -> Self {
        let shared = shared_session(&pds, &identifier, &app_password);
        Login {
            http,
            pds,
            identifier,
            app_password,
            shared,
        }
    }

    /// How many times this login (this client and every other one for the same account and app
    /// password in this process) was made with `createSession`.
    pub fn sessions_created(&self) -> u32 {
        self.shared.created.load(Ordering::Relaxed)
    }

    fn url(&self, method: &str) -> String {
        format!("{}/xrpc/{method}", self.pds.trim_end_matches('/'))
    }

    /// The tokens must never reach a message: they and the app password are redacted.
    fn scrub(&self, text: &str, session: Option<&Session>) -> String {
        let mut text = redact(text, &self.app_password);
        if let Some(s) = session {
            text = redact(&redact(&text, &s.access_jwt), &s.refresh_jwt);
        }
        text
    }

    /// One XRPC request with an optional bearer token; the answer's JSON on success.
    async fn raw_call(
        &self,
        method: &str,
        payload: &Payload<'_>,
        token: Option<&str>,
    ) -> Result<Value, CallError> {
        let url = self.url(method);
        let req = match payload {
            Payload::Json(body) => self.http.post(url).json(body),
            Payload::Bytes { body, mime } => self
                .http
                .post(url)
                .header(reqwest::header::CONTENT_TYPE, *mime)
                .body(body.to_vec()),
            Payload::Query(q) => self.http.get(url).query(q),
            Payload::Empty => self.http.post(url),
        };
        let req = req.header(reqwest::header::USER_AGENT, USER_AGENT);
        let req = match token {
            Some(t) => req.bearer_auth(t),
            None => req,
        };
        let resp = req
            .send()
            .await
            .map_err(|e| CallError::Other(transport_error("Bluesky", e, &self.app_password)))?;
        let status = resp.status();
        let retry_after = rate_limit_reset_ms(resp.headers())
            .unwrap_or_else(|| rate::retry_after_ms(resp.headers(), now_ms()));
        let bytes = match read_limited(resp, XRPC_RESPONSE_LIMIT).await {
            Ok(b) => b,
            Err(ReadError::Network(e)) => {
                return Err(CallError::Other(transport_error(
                    "Bluesky",
                    e,
                    &self.app_password,
                )))
            }
            Err(ReadError::TooLarge) => {
                return Err(CallError::Other(PublishError::retryable(format!(
                    "Bluesky {method}: oversized answer"
                ))))
            }
        };
        if status.is_success() {
            return serde_json::from_slice(&bytes).map_err(|_| {
                CallError::Other(PublishError::retryable(format!(
                    "Bluesky {method}: unreadable answer"
                )))
            });
        }
        let err: XrpcError = serde_json::from_slice(&bytes).unwrap_or_default();
        let name = err.error.unwrap_or_default();
        if token.is_some() && matches!(name.as_str(), "ExpiredToken" | "InvalidToken") {
            return Err(CallError::Token);
        }
        let message = err.message.unwrap_or_default();
        let reason = self.scrub(
            &format!(
                "Bluesky {method} failed (HTTP {}{}{}){}{}",
                status.as_u16(),
                if name.is_empty() { "" } else { ", " },
                name,
                if message.is_empty() { "" } else { ": " },
                message
            ),
            None,
        );
        tracing::warn!(status = status.as_u16(), method, error = %name, "bluesky xrpc call failed");
        let send = if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            PublishError::RateLimited {
                reason,
                retry_after_ms: retry_after,
            }
        } else if status.is_server_error() {
            PublishError::Retryable {
                reason,
                retry_after_ms: None,
            }
        } else {
            PublishError::Permanent {
                message: format!("Bluesky hat abgelehnt / Bluesky refused: {reason}"),
            }
        };
        Err(CallError::Xrpc {
            status: status.as_u16(),
            error: name,
            send,
        })
    }

    async fn create_session(&self) -> Result<Session, PublishError> {
        let body = json!({"identifier": self.identifier, "password": self.app_password});
        self.shared.created.fetch_add(1, Ordering::Relaxed);
        let value = match self
            .raw_call(
                "com.atproto.server.createSession",
                &Payload::Json(&body),
                None,
            )
            .await
        {
            Ok(v) => v,
            Err(CallError::Xrpc { status: 401, .. }) => {
                return Err(PublishError::permanent(
                    format!(
                        "Bluesky: Anmeldung als „{}“ abgelehnt – Handle und App-Passwort prüfen",
                        self.identifier
                    ),
                    format!(
                        "Bluesky: login as '{}' refused — check the handle and the app password",
                        self.identifier
                    ),
                ))
            }
            Err(e) => return Err(e.into_publish("login")),
        };
        serde_json::from_value(value)
            .map_err(|_| PublishError::retryable("Bluesky createSession: unreadable answer"))
    }

    async fn refresh(&self, old: &Session) -> Result<Session, PublishError> {
        match self
            .raw_call(
                "com.atproto.server.refreshSession",
                &Payload::Empty,
                Some(&old.refresh_jwt),
            )
            .await
        {
            Ok(v) => serde_json::from_value(v)
                .map_err(|_| PublishError::retryable("Bluesky refreshSession: unreadable answer")),
            // The refresh token is spent or expired too: log in again.
            Err(CallError::Token)
            | Err(CallError::Xrpc {
                status: 400..=401, ..
            }) => self.create_session().await,
            Err(e) => Err(e.into_publish("refreshSession")),
        }
    }

    /// The current session, logging in if there is none yet.
    pub async fn session(&self) -> Result<Session, PublishError> {
        let mut guard = self.shared.session.lock().await;
        if let Some(s) = guard.as_ref() {
            return Ok(s.clone());
        }
        let s = self.create_session().await?;
        *guard = Some(s.clone());
        Ok(s)
    }

    /// Replaces `stale` by a refreshed session (unless another task already did).
    async fn renew(&self, stale: &Session) -> Result<Session, PublishError> {
        let mut guard = self.shared.session.lock().await;
        if let Some(current) = guard.as_ref() {
            if current.access_jwt != stale.access_jwt {
                return Ok(current.clone());
            }
        }
        let fresh = self.refresh(stale).await?;
        *guard = Some(fresh.clone());
        Ok(fresh)
    }

    /// An authenticated call; an expired access token is refreshed once and the call repeated.
    pub async fn call(
        &self,
        method: &str,
        payload: Payload<'_>,
    ) -> Result<(Value, Session), CallError> {
        let session = self.session().await.map_err(CallError::Other)?;
        match self
            .raw_call(method, &payload, Some(&session.access_jwt))
            .await
        {
            Err(CallError::Token) => {
                let fresh = self.renew(&session).await.map_err(CallError::Other)?;
                let value = self
                    .raw_call(method, &payload, Some(&fresh.access_jwt))
                    .await?;
                Ok((value, fresh))
            }
            Ok(v) => Ok((v, session)),
            Err(e) => Err(e),
        }
    }

    /// A query without login (reads of public repo data).
    pub async fn query(&self, method: &str, query: &[(&str, &str)]) -> Result<Value, CallError> {
        self.raw_call(method, &Payload::Query(query), None).await
    }

    #[cfg(feature = "testing")]
    pub async fn spoil_access_token(&self) {
        if let Some(s) = self.shared.session.lock().await.as_mut() {
            s.access_jwt = "expired.access.token".into();
        }
    }
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// atproto's `ratelimit-reset` header: the epoch second the window resets, as a wait in ms.
fn rate_limit_reset_ms(headers: &reqwest::header::HeaderMap) -> Option<u64> {
    let reset: u64 = headers
        .get("ratelimit-reset")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    Some(reset.saturating_sub(now).clamp(1, 24 * 60 * 60) * 1000)
}
