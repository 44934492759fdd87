//! A fake WhatsApp Graph API and Telegram Bot API on 127.0.0.1 for integration tests (feature `testing`).
//!
//! Point a channel's `api_base` at [`FakePlatform::base_url`]. It answers like the documented APIs
//! (send endpoints, media lookup and download, `getFile` and file download), records every
//! request for assertions, can be told to fail the next N requests, and serves registered media.
//!
//! ```
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use rathaus_channels::testing::FakePlatform;
//!
//! let fake = FakePlatform::start().await?;
//! let client = fake.whatsapp_client("1065", "token");
//! client.send_text("4915112345678", "Hallo").await?;
//! assert_eq!(fake.sent_texts()[0].text, "Hallo");
//! # Ok(())
//! # }
//! # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
//! ```

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, Method, Response, StatusCode, Uri};
use rathaus_domain::ChannelKind;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::{TelegramClient, WhatsAppClient};

/// One request as the fake received it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    /// Path without the query, e.g. `/v23.0/1065/messages` or `/bot123:ABC/sendMessage`.
    pub path: String,
    pub query: Option<String>,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The body, if it was JSON.
    pub json: Option<Value>,
}

impl RecordedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The token of an `Authorization: Bearer …` header.
    pub fn bearer(&self) -> Option<&str> {
        self.header("authorization")?.strip_prefix("Bearer ")
    }
}

/// A text the fake accepted for delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentText {
    pub platform: ChannelKind,
    /// WhatsApp: `to` or `recipient`; Telegram: `chat_id` as text.
    pub recipient: String,
    pub text: String,
    /// The id the fake answered with.
    pub platform_message_id: String,
}

/// A canned failure answer.
#[derive(Debug, Clone)]
pub struct FakeFailure {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl FakeFailure {
    pub fn json(status: u16, body: Value) -> Self {
        FakeFailure {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string(),
        }
    }

    /// A Graph API error object as Meta sends it.
    pub fn graph(status: u16, code: i64, message: &str, details: &str) -> Self {
        Self::json(
            status,
            json!({ "error": {
                "message": message,
                "type": "OAuthException",
                "code": code,
                "error_data": { "messaging_product": "whatsapp", "details": details },
                "fbtrace_id": "AbCdEfGh"
            }}),
        )
    }

    /// A Bot API error, with `parameters.retry_after` when given.
    pub fn telegram(status: u16, description: &str, retry_after_secs: Option<u64>) -> Self {
        let mut body = json!({ "ok": false, "error_code": status, "description": description });
        if let Some(secs) = retry_after_secs {
            body["parameters"] = json!({ "retry_after": secs });
        }
        Self::json(status, body)
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .push((name.to_ascii_lowercase(), value.to_owned()));
        self
    }
}

struct FakeMedia {
    bytes: Vec<u8>,
    mime_type: String,
    sha256: String,
}

#[derive(Default)]
struct State {
    base_url: String,
    requests: Vec<RecordedRequest>,
    failures: VecDeque<FakeFailure>,
    media: HashMap<String, FakeMedia>,
    sent: Vec<SentText>,
    next_id: u64,
}

/// The running fake; stops when dropped.
pub struct FakePlatform {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakePlatform {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // A panicking test must not hide the recordings from the next assertion.
    state.lock().unwrap_or_else(|e| e.into_inner())
}

impl FakePlatform {
    /// Binds 127.0.0.1 on a free port and serves until dropped.
    pub async fn start() -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State {
            base_url: format!("http://{addr}"),
            ..State::default()
        }));
        let shared = state.clone();
        let app = axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let state = shared.clone();
                async move { handle(&state, method, uri, headers, body) }
            },
        );
        let server = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "fake platform stopped");
            }
        });
        Ok(FakePlatform {
            addr,
            state,
            server,
        })
    }

    /// `http://127.0.0.1:<port>`: the `api_base` for both platforms.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A client for this fake with API version `v23.0`.
    pub fn whatsapp_client(&self, phone_number_id: &str, access_token: &str) -> WhatsAppClient {
        WhatsAppClient::new(
            reqwest::Client::new(),
            self.base_url(),
            "v23.0",
            phone_number_id,
            access_token,
        )
    }

    pub fn telegram_client(&self, bot_token: &str) -> TelegramClient {
        TelegramClient::new(reqwest::Client::new(), self.base_url(), bot_token)
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.state).requests.clone()
    }

    pub fn clear_requests(&self) {
        lock(&self.state).requests.clear();
    }

    /// Texts accepted by the send endpoints, oldest first (failed attempts are not included).
    pub fn sent_texts(&self) -> Vec<SentText> {
        lock(&self.state).sent.clone()
    }

    /// Answers the next `n` requests, whatever they are, with `failure`.
    pub fn fail_next(&self, n: usize, failure: FakeFailure) {
        let mut state = lock(&self.state);
        for _ in 0..n {
            state.failures.push_back(failure.clone());
        }
    }

    /// Serves `bytes` as WhatsApp media id / Telegram file id `media_id`, announcing its true SHA-256.
    pub fn add_media(&self, media_id: &str, bytes: &[u8], mime_type: &str) {
        lock(&self.state).media.insert(
            media_id.to_owned(),
            FakeMedia {
                bytes: bytes.to_vec(),
                mime_type: mime_type.to_owned(),
                sha256: hex::encode(Sha256::digest(bytes)),
            },
        );
    }

    /// Makes the media lookup announce `sha256` instead of the true hash (to test the check).
    pub fn set_media_sha256(&self, media_id: &str, sha256: &str) {
        if let Some(m) = lock(&self.state).media.get_mut(media_id) {
            m.sha256 = sha256.to_owned();
        }
    }
}

fn respond(status: u16, content_type: &str, body: impl Into<Body>) -> Response<Body> {
    let mut resp = Response::new(body.into());
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = header::HeaderValue::from_str(content_type) {
        resp.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    resp
}

fn json_response(status: u16, body: Value) -> Response<Body> {
    respond(status, "application/json", body.to_string())
}

fn graph_error(status: u16, code: i64, message: &str) -> Response<Body> {
    json_response(
        status,
        json!({ "error": { "message": message, "type": "OAuthException", "code": code, "fbtrace_id": "fake" } }),
    )
}

fn telegram_error(status: u16, description: &str) -> Response<Body> {
    json_response(
        status,
        json!({ "ok": false, "error_code": status, "description": description }),
    )
}

fn handle(
    state: &Mutex<State>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    let request = RecordedRequest {
        method: method.to_string(),
        path: uri.path().to_owned(),
        query: uri.query().map(str::to_owned),
        headers: headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: body.to_vec(),
        json: serde_json::from_slice(&body).ok(),
    };
    let mut state = lock(state);
    state.requests.push(request.clone());
    if let Some(f) = state.failures.pop_front() {
        let mut resp = Response::new(Body::from(f.body));
        *resp.status_mut() =
            StatusCode::from_u16(f.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        for (k, v) in f.headers {
            if let (Ok(k), Ok(v)) = (
                header::HeaderName::from_bytes(k.as_bytes()),
                header::HeaderValue::from_str(&v),
            ) {
                resp.headers_mut().insert(k, v);
            }
        }
        return resp;
    }
    let segments: Vec<&str> = request.path.split('/').filter(|s| !s.is_empty()).collect();
    match segments.as_slice() {
        ["file", bot, path @ ..] if bot.starts_with("bot") => telegram_download(&state, path),
        [bot, method] if bot.starts_with("bot") => telegram_method(&mut state, method, &request),
        ["whatsapp_business", "attachments"] => whatsapp_download(&state, &request),
        [_version, _phone, "messages"] if request.method == "POST" => {
            whatsapp_send(&mut state, &request)
        }
        [_version, media_id] if request.method == "GET" => {
            whatsapp_media_lookup(&state, media_id, &request)
        }
        _ => graph_error(404, 100, "Unknown path components"),
    }
}

fn whatsapp_send(state: &mut State, request: &RecordedRequest) -> Response<Body> {
    if request.bearer().is_none_or(str::is_empty) {
        return graph_error(401, 190, "Invalid OAuth access token.");
    }
    let Some(body) = &request.json else {
        return graph_error(400, 100, "Invalid parameter");
    };
    let to = body.get("to").and_then(Value::as_str);
    let recipient = body.get("recipient").and_then(Value::as_str);
    let text = body
        .get("text")
        .and_then(|t| t.get("body"))
        .and_then(Value::as_str);
    let valid = body.get("messaging_product").and_then(Value::as_str) == Some("whatsapp")
        && body
            .get("recipient_type")
            .is_none_or(|r| r.as_str() == Some("individual"))
        && (to.is_some() || recipient.is_some())
        && (body.get("type").and_then(Value::as_str) != Some("text")
            || text.is_some_and(|t| !t.is_empty()));
    if !valid {
        return graph_error(400, 100, "Invalid parameter");
    }
    state.next_id += 1;
    let id = format!("wamid.FAKE{:08}", state.next_id);
    // `to` takes precedence over `recipient`, as on the real API.
    let (contact, addressed) = match (to, recipient) {
        (Some(to), _) => (json!({ "input": to, "wa_id": to }), to),
        (None, Some(r)) => (json!({ "input": r, "user_id": r }), r),
        (None, None) => return graph_error(400, 100, "Invalid parameter"),
    };
    if let Some(text) = text {
        state.sent.push(SentText {
            platform: ChannelKind::WhatsApp,
            recipient: addressed.to_owned(),
            text: text.to_owned(),
            platform_message_id: id.clone(),
        });
    }
    json_response(
        200,
        json!({
            "messaging_product": "whatsapp",
            "contacts": [contact],
            "messages": [{ "id": id }],
        }),
    )
}

fn whatsapp_media_lookup(
    state: &State,
    media_id: &str,
    request: &RecordedRequest,
) -> Response<Body> {
    if request.bearer().is_none_or(str::is_empty) {
        return graph_error(401, 190, "Invalid OAuth access token.");
    }
    let Some(media) = state.media.get(media_id) else {
        return graph_error(400, 100, "Unsupported get request.");
    };
    json_response(
        200,
        json!({
            "messaging_product": "whatsapp",
            "url": format!("{}/whatsapp_business/attachments/?mid={media_id}", state.base_url),
            "mime_type": media.mime_type,
            "sha256": media.sha256,
            "file_size": media.bytes.len().to_string(),
            "id": media_id,
        }),
    )
}

fn whatsapp_download(state: &State, request: &RecordedRequest) -> Response<Body> {
    if request.bearer().is_none_or(str::is_empty) {
        return respond(401, "text/plain", "unauthorized");
    }
    let mid = request
        .query
        .as_deref()
        .unwrap_or("")
        .split('&')
        .find_map(|kv| kv.strip_prefix("mid="));
    match mid.and_then(|m| state.media.get(m)) {
        Some(media) => respond(200, &media.mime_type, media.bytes.clone()),
        None => respond(404, "text/plain", "not found"),
    }
}

fn telegram_method(state: &mut State, method: &str, request: &RecordedRequest) -> Response<Body> {
    // Parameters may come as JSON or in the query string.
    let param = |name: &str| -> Option<Value> {
        request
            .json
            .as_ref()
            .and_then(|j| j.get(name).cloned())
            .or_else(|| {
                request.query.as_deref().and_then(|q| {
                    q.split('&')
                        .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
                        .map(|v| Value::String(v.to_owned()))
                })
            })
    };
    match method {
        "sendMessage" => {
            let chat_id = param("chat_id");
            let text = param("text").and_then(|t| t.as_str().map(str::to_owned));
            let (Some(chat_id), Some(text)) = (chat_id, text) else {
                return telegram_error(400, "Bad Request: message text is empty");
            };
            if text.is_empty() {
                return telegram_error(400, "Bad Request: message text is empty");
            }
            let recipient = chat_id_text(&chat_id);
            state.next_id += 1;
            let message_id = state.next_id;
            state.sent.push(SentText {
                platform: ChannelKind::Telegram,
                platform_message_id: format!("{recipient}:{message_id}"),
                recipient,
                text: text.clone(),
            });
            json_response(
                200,
                json!({ "ok": true, "result": {
                    "message_id": message_id,
                    "date": 1_700_000_000,
                    "chat": { "id": chat_id, "type": "private" },
                    "text": text,
                }}),
            )
        }
        "getFile" => {
            let file_id = param("file_id").and_then(|f| f.as_str().map(str::to_owned));
            match file_id
                .as_deref()
                .and_then(|id| state.media.get(id).map(|m| (id, m)))
            {
                Some((id, media)) => json_response(
                    200,
                    json!({ "ok": true, "result": {
                        "file_id": id,
                        "file_unique_id": format!("u{id}"),
                        "file_size": media.bytes.len(),
                        "file_path": format!("files/{id}"),
                    }}),
                ),
                None => telegram_error(400, "Bad Request: invalid file_id"),
            }
        }
        _ => telegram_error(404, "Not Found"),
    }
}

fn chat_id_text(chat_id: &Value) -> String {
    match chat_id {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn telegram_download(state: &State, path: &[&str]) -> Response<Body> {
    match path {
        ["files", id] => match state.media.get(*id) {
            Some(media) => respond(200, "application/octet-stream", media.bytes.clone()),
            None => respond(404, "text/plain", "Not Found"),
        },
        _ => respond(404, "text/plain", "Not Found"),
    }
}
