//! Calls to Meta's Graph API for publishing, and its error object turned into what the hub does next.
//!
//! The token goes in the `Authorization` header, never into a URL, a body snapshot or a message.
//! Graph errors look like `{"error": {"message", "type", "code", "error_subcode",
//! "is_transient", "error_user_msg", "fbtrace_id"}}`; the codes decide:
//! - 4, 17, 32, 613 and 80001–80014 (request limits), 341 (application limit) → rate limited, for
//!   as long as `X-Business-Use-Case-Usage` says (`estimated_time_to_regain_access`, minutes),
//!   else [`DEFAULT_LIMIT_WAIT_MS`];
//! - 1, 2 or `is_transient` → try again later;
//! - 190 and 102 (token expired or invalid), 10 and 200–299 (permission missing) → permanent, with
//!   what to do in plain words;
//! - anything else → permanent with Meta's message.

use reqwest::header::HeaderMap;
use serde::Deserialize;
use serde_json::Value;

use crate::http::{read_limited, redact, ReadError, API_RESPONSE_LIMIT};
use crate::publish::{multipart::Form, transport_error, PublishError};
use crate::USER_AGENT;

/// Wait after a rate limit when Meta does not say how long.
pub const DEFAULT_LIMIT_WAIT_MS: u64 = 15 * 60 * 1000;

/// A Graph error, as far as the adapters need it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct GraphError {
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub code: i64,
    #[serde(default)]
    pub error_subcode: Option<i64>,
    #[serde(default)]
    pub is_transient: Option<bool>,
    #[serde(default)]
    pub error_user_msg: Option<String>,
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    error: GraphError,
}

/// A failed call: the Graph error if there was one, and what it means for the hub.
#[derive(Debug)]
pub struct Failure {
    pub graph: Option<GraphError>,
    pub status: u16,
    pub error: PublishError,
}

/// One Graph API account: base URL, version and token.
#[derive(Clone)]
pub struct Graph {
    pub http: reqwest::Client,
    pub api_base: String,
    pub api_version: String,
    pub token: String,
    /// "Facebook" or "Instagram", for messages.
    pub platform: &'static str,
}

/// How a request's failure without an answer is read: a call that creates something may have
/// done so before the connection broke.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Creates,
    Safe,
}

impl Graph {
    pub fn url(&self, path: &str) -> String {
        format!(
            "{}/{}/{}",
            self.api_base.trim_end_matches('/'),
            self.api_version.trim_matches('/'),
            path.trim_start_matches('/')
        )
    }

    pub async fn post_json(
        &self,
        path: &str,
        body: &Value,
        effect: Effect,
    ) -> Result<Value, Failure> {
        self.send(self.http.post(self.url(path)).json(body), effect)
            .await
    }

    pub async fn post_form(
        &self,
        path: &str,
        form: Form,
        effect: Effect,
    ) -> Result<Value, Failure> {
        let (content_type, body) = form.finish();
        let req = self
            .http
            .post(self.url(path))
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body);
        self.send(req, effect).await
    }

    pub async fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<Value, Failure> {
        self.send(self.http.get(self.url(path)).query(query), Effect::Safe)
            .await
    }

    pub async fn delete(&self, path: &str) -> Result<Value, Failure> {
        self.send(self.http.delete(self.url(path)), Effect::Safe)
            .await
    }

    async fn send(&self, req: reqwest::RequestBuilder, effect: Effect) -> Result<Value, Failure> {
        let failure = |error| Failure {
            graph: None,
            status: 0,
            error,
        };
        let resp = req
            .header(reqwest::header::USER_AGENT, USER_AGENT)
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| failure(self.transport(e, effect)))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = match read_limited(resp, API_RESPONSE_LIMIT).await {
            Ok(b) => b,
            Err(ReadError::Network(e)) => return Err(failure(self.transport(e, effect))),
            Err(ReadError::TooLarge) => {
                return Err(failure(PublishError::retryable(format!(
                    "{}: oversized answer",
                    self.platform
                ))))
            }
        };
        if status.is_success() {
            if let Ok(v) = serde_json::from_slice::<Value>(&bytes) {
                if v.get("error").is_none() {
                    return Ok(v);
                }
            }
        }
        let graph = serde_json::from_slice::<ErrorEnvelope>(&bytes)
            .ok()
            .map(|e| e.error);
        let error = match &graph {
            Some(g) => self.classify(g, &headers),
            None if status.is_server_error() && effect == Effect::Creates => {
                PublishError::UnknownOutcome {
                    reason: format!(
                        "{}: HTTP {} without an answer",
                        self.platform,
                        status.as_u16()
                    ),
                }
            }
            None if status.is_server_error() || status.as_u16() == 429 => {
                PublishError::retryable(format!("{}: HTTP {}", self.platform, status.as_u16()))
            }
            None => PublishError::permanent(
                format!(
                    "{}: unerwartete Antwort (HTTP {})",
                    self.platform,
                    status.as_u16()
                ),
                format!(
                    "{}: unexpected answer (HTTP {})",
                    self.platform,
                    status.as_u16()
                ),
            ),
        };
        tracing::warn!(
            platform = self.platform,
            status = status.as_u16(),
            code = graph.as_ref().map(|g| g.code),
            subcode = graph.as_ref().and_then(|g| g.error_subcode),
            "graph api call failed"
        );
        Err(Failure {
            graph,
            status: status.as_u16(),
            error,
        })
    }

    fn transport(&self, err: reqwest::Error, effect: Effect) -> PublishError {
        match (transport_error(self.platform, err, &self.token), effect) {
            (PublishError::UnknownOutcome { reason }, Effect::Safe) => {
                PublishError::retryable(reason)
            }
            (e, _) => e,
        }
    }

    /// What a Graph error means for the hub (see the module doc).
    pub fn classify(&self, g: &GraphError, headers: &HeaderMap) -> PublishError {
        let p = self.platform;
        let meta_says = redact(
            g.error_user_msg
                .as_deref()
                .filter(|m| !m.is_empty())
                .unwrap_or(&g.message),
            &self.token,
        );
        let code = g.code;
        if matches!(code, 4 | 17 | 32 | 341 | 613 | 80001..=80014) {
            return PublishError::RateLimited {
                reason: format!("{p}: request limit reached (code {code}): {meta_says}"),
                retry_after_ms: regain_access_ms(headers).unwrap_or(DEFAULT_LIMIT_WAIT_MS),
            };
        }
        if matches!(code, 1 | 2) || g.is_transient == Some(true) {
            return PublishError::retryable(format!(
                "{p}: temporary error (code {code}): {meta_says}"
            ));
        }
        if matches!(code, 190 | 102) {
            return PublishError::permanent(
                format!("{p}: Der Zugangsschlüssel ist abgelaufen oder ungültig – bitte einen neuen Token eintragen (Code {code})"),
                format!("{p}: the access token has expired or is invalid — enter a new token (code {code})"),
            );
        }
        if code == 10 || (200..=299).contains(&code) {
            return PublishError::permanent(
                format!("{p}: Dem Token fehlt eine Berechtigung (Code {code}): {meta_says}"),
                format!("{p}: the token lacks a permission (code {code}): {meta_says}"),
            );
        }
        let sub = g
            .error_subcode
            .map(|s| format!(", subcode {s}"))
            .unwrap_or_default();
        PublishError::permanent(
            format!("{p} hat abgelehnt (Code {code}{sub}): {meta_says}"),
            format!("{p} refused (code {code}{sub}): {meta_says}"),
        )
    }
}

/// The longest `estimated_time_to_regain_access` (minutes) in `X-Business-Use-Case-Usage`.
fn regain_access_ms(headers: &HeaderMap) -> Option<u64> {
    let raw = headers.get("x-business-use-case-usage")?.to_str().ok()?;
    let usage: Value = serde_json::from_str(raw).ok()?;
    let minutes = usage
        .as_object()?
        .values()
        .filter_map(Value::as_array)
        .flatten()
        .filter_map(|u| u["estimated_time_to_regain_access"].as_u64())
        .max()?;
    (minutes > 0).then(|| minutes.min(24 * 60) * 60 * 1000)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    fn graph() -> Graph {
        Graph {
            http: reqwest::Client::new(),
            api_base: "http://x/".into(),
            api_version: "v23.0".into(),
            token: "EAAB-secret".into(),
            platform: "Facebook",
        }
    }

    fn err(code: i64, msg: &str) -> GraphError {
        GraphError {
            message: msg.into(),
            code,
            ..GraphError::default()
        }
    }

    #[test]
    fn url_joins_base_version_and_path() {
        assert_eq!(graph().url("/123/feed"), "http://x/v23.0/123/feed");
    }

    #[test]
    fn rate_limit_codes_wait_as_long_as_meta_says() {
        let mut headers = HeaderMap::new();
        for code in [4, 17, 32, 613, 80001] {
            let e = graph().classify(&err(code, "limit"), &headers);
            assert_eq!(
                e,
                PublishError::RateLimited {
                    reason: format!("Facebook: request limit reached (code {code}): limit"),
                    retry_after_ms: DEFAULT_LIMIT_WAIT_MS
                }
            );
        }
        headers.insert(
            "x-business-use-case-usage",
            r#"{"123":[{"type":"pages","call_count":100,"estimated_time_to_regain_access":7}]}"#
                .parse()
                .unwrap(),
        );
        let PublishError::RateLimited { retry_after_ms, .. } =
            graph().classify(&err(32, "limit"), &headers)
        else {
            panic!()
        };
        assert_eq!(retry_after_ms, 7 * 60 * 1000);
    }

    #[test]
    fn token_and_permission_errors_say_what_to_do_and_never_the_token() {
        let e = graph().classify(
            &err(190, "Error validating access token EAAB-secret"),
            &HeaderMap::new(),
        );
        let text = e.to_string();
        assert!(text.contains("enter a new token"), "{text}");
        assert!(!text.contains("EAAB-secret"));
        let e = graph().classify(
            &err(200, "Requires pages_manage_posts permission"),
            &HeaderMap::new(),
        );
        assert!(e.to_string().contains("lacks a permission"), "{e}");
        assert!(e.to_string().contains("pages_manage_posts"), "{e}");
        let e = graph().classify(
            &err(2, "Service temporarily unavailable"),
            &HeaderMap::new(),
        );
        assert!(matches!(e, PublishError::Retryable { .. }), "{e:?}");
        let e = graph().classify(&err(100, "Invalid parameter"), &HeaderMap::new());
        assert!(matches!(e, PublishError::Permanent { .. }), "{e:?}");
    }
}
