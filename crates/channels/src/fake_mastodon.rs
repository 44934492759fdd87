//! A fake Mastodon instance and a fake Telegram Bot API channel on 127.0.0.1 for publishing tests (feature `testing`), answering with the documented shapes.
//!
//! Mastodon: `POST /api/v2/media` (multipart `file`, `description`; 200 or 202 while processing),
//! `GET /api/v1/media/:id` (206 while processing, then 200), `POST /api/v1/statuses` (JSON; the same
//! `Idempotency-Key` answers the status it already made; 422 past `max_characters`),
//! `PUT /api/v1/statuses/:id` (with `media_attributes`), `DELETE /api/v1/statuses/:id`,
//! `GET /api/v2/instance`; every answer carries `X-RateLimit-*` headers; errors as `{"error": …}`.
//! Telegram: `sendMessage`, `sendPhoto`, `sendMediaGroup` (multipart with `attach://`),
//! `editMessageText`, `editMessageCaption`, `deleteMessage` under `/bot<token>/`; errors as
//! `{"ok": false, "error_code", "description"}`.
//!
//! Every request is recorded (multipart parsed, file bytes reduced to their length) for assertions
//! and snapshots; the next answers can be replaced by failures, or withheld after the work is done
//! (the platform accepted, the answer never arrives).

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, Method, Response, StatusCode, Uri};
use serde_json::{json, Value};

/// The access token the fake Mastodon accepts.
pub const MASTODON_TOKEN: &str = "mastodon-fake-access-token";
/// The bot token the fake Telegram accepts.
pub const TELEGRAM_CHANNEL_TOKEN: &str = "4242:fake-channel-bot-token";
/// The channel the fake Telegram bot may post to.
pub const TELEGRAM_CHANNEL: &str = "@musterstadt_news";

/// One request as a fake received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub authorization: Option<String>,
    pub idempotency_key: Option<String>,
    /// JSON as sent; multipart as `{"parts": [...]}` (files as name, file name, type and length).
    pub body: Value,
}

struct Failure {
    path_contains: String,
    status: u16,
    headers: Vec<(String, String)>,
    body: Value,
}

#[derive(Default)]
struct State {
    requests: Vec<Recorded>,
    failures: VecDeque<Failure>,
    /// Answers withheld after the work is done, by path suffix.
    withhold: Vec<String>,
    next_id: u64,
    // Mastodon
    statuses: Vec<Value>,
    media: BTreeMap<String, Value>,
    keys: BTreeMap<String, String>,
    processing_polls: u32,
    max_characters: u64,
    rate_remaining: i64,
    // Telegram
    messages: Vec<Value>,
}

/// The running fakes (both platforms on one port); stops when dropped.
pub struct FakeMastodonTelegram {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeMastodonTelegram {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

fn response(status: u16, body: &Value, extra: &[(String, String)]) -> Response<Body> {
    let mut resp = Response::new(Body::from(body.to_string()));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    for (k, v) in extra {
        if let (Ok(k), Ok(v)) = (
            header::HeaderName::from_bytes(k.as_bytes()),
            header::HeaderValue::from_str(v),
        ) {
            resp.headers_mut().insert(k, v);
        }
    }
    resp
}

/// Parses `multipart/form-data` into `{"parts": [{name, filename?, content_type?, value | bytes}]}`.
pub(crate) fn parse_multipart(content_type: &str, body: &[u8]) -> Option<Value> {
    let boundary = content_type
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))?
        .trim_matches('"');
    let delimiter = format!("--{boundary}");
    let d = delimiter.as_bytes();
    let mut parts = Vec::new();
    let mut rest = body;
    // Skip to the first delimiter.
    let start = find(rest, d)?;
    rest = &rest[start + d.len()..];
    loop {
        if rest.starts_with(b"--") {
            break;
        }
        rest = rest.strip_prefix(b"\r\n")?;
        let head_end = find(rest, b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&rest[..head_end]).into_owned();
        rest = &rest[head_end + 4..];
        let end = find(rest, format!("\r\n{delimiter}").as_bytes())?;
        let data = &rest[..end];
        rest = &rest[end + 2 + d.len()..];
        let mut part = serde_json::Map::new();
        for line in head.split("\r\n") {
            let lower = line.to_ascii_lowercase();
            if lower.starts_with("content-disposition:") {
                for attr in line.split(';').skip(1) {
                    let attr = attr.trim();
                    if let Some(v) = attr.strip_prefix("name=") {
                        part.insert("name".into(), json!(v.trim_matches('"')));
                    } else if let Some(v) = attr.strip_prefix("filename=") {
                        part.insert("filename".into(), json!(v.trim_matches('"')));
                    }
                }
            } else if let Some(v) = lower.strip_prefix("content-type:") {
                part.insert("content_type".into(), json!(v.trim()));
            }
        }
        if part.contains_key("filename") {
            part.insert("bytes".into(), json!(data.len()));
        } else {
            part.insert(
                "value".into(),
                json!(String::from_utf8_lossy(data).into_owned()),
            );
        }
        parts.push(Value::Object(part));
    }
    Some(json!({ "parts": parts }))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A multipart text field.
fn field<'a>(body: &'a Value, name: &str) -> Option<&'a str> {
    body.get("parts")?
        .as_array()?
        .iter()
        .find(|p| p.get("name").and_then(Value::as_str) == Some(name))?
        .get("value")?
        .as_str()
}

/// A multipart file part.
fn file<'a>(body: &'a Value, name: &str) -> Option<&'a Value> {
    body.get("parts")?
        .as_array()?
        .iter()
        .find(|p| p.get("name").and_then(Value::as_str) == Some(name) && p.get("bytes").is_some())
}

impl FakeMastodonTelegram {
    pub async fn start() -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State {
            max_characters: 500,
            rate_remaining: 299,
            next_id: 110_000,
            ..State::default()
        }));
        let shared = state.clone();
        let app = axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let state = shared.clone();
                async move { handle(state, method, uri, headers, body).await }
            },
        );
        let server = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "fake Mastodon/Telegram stopped");
            }
        });
        Ok(FakeMastodonTelegram {
            addr,
            state,
            server,
        })
    }

    /// `http://127.0.0.1:<port>`: the Mastodon `instance` and the Telegram `api_base`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.state).requests.clone()
    }

    /// Every request, in order, as `{method, path, idempotency_key, body}` — tokens and the random
    /// parts (idempotency key, multipart boundary) left out — for insta snapshots.
    pub fn snapshot(&self) -> Value {
        Value::Array(
            self.requests()
                .iter()
                .map(|r| {
                    json!({
                        "method": r.method,
                        "path": r.path.replace(TELEGRAM_CHANNEL_TOKEN, "<token>"),
                        "idempotency_key": r.idempotency_key.as_ref().map(|_| "<key>"),
                        "body": r.body,
                    })
                })
                .collect(),
        )
    }

    pub fn clear_requests(&self) {
        lock(&self.state).requests.clear();
    }

    /// Answers the next `n` requests whose path contains `path_contains` with `status`, `body`
    /// and `headers` (nothing is done for them).
    pub fn fail_next(
        &self,
        path_contains: &str,
        n: usize,
        status: u16,
        body: Value,
        headers: &[(&str, &str)],
    ) {
        let mut s = lock(&self.state);
        for _ in 0..n {
            s.failures.push_back(Failure {
                path_contains: path_contains.into(),
                status,
                headers: headers
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                body: body.clone(),
            });
        }
    }

    /// The next request whose path ends with `path_suffix` is carried out, but its answer never
    /// comes (the client times out): "accepted, then the line went dead".
    pub fn withhold_next_answer(&self, path_suffix: &str) {
        lock(&self.state).withhold.push(path_suffix.into());
    }

    /// Uploads answer 202 and then 206 this many times before they are processed.
    pub fn set_processing_polls(&self, n: u32) {
        lock(&self.state).processing_polls = n;
    }

    pub fn set_max_characters(&self, n: u64) {
        lock(&self.state).max_characters = n;
    }

    /// Every status ever made (deleted ones with `"deleted": true`).
    pub fn statuses(&self) -> Vec<Value> {
        lock(&self.state).statuses.clone()
    }

    /// Uploaded media by id.
    pub fn media(&self) -> BTreeMap<String, Value> {
        lock(&self.state).media.clone()
    }

    /// Every Telegram message ever posted (deleted ones with `"deleted": true`).
    pub fn messages(&self) -> Vec<Value> {
        lock(&self.state).messages.clone()
    }
}

async fn handle(
    state: Arc<Mutex<State>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let parsed = if content_type.starts_with("multipart/form-data") {
        parse_multipart(&content_type, &body)
            .unwrap_or(json!({ "unparseable_multipart": body.len() }))
    } else if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&body)
            .unwrap_or_else(|_| json!({ "raw": String::from_utf8_lossy(&body) }))
    };
    let header_str = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let rec = Recorded {
        method: method.to_string(),
        path: uri.path().to_string(),
        authorization: header_str("authorization"),
        idempotency_key: header_str("idempotency-key"),
        body: parsed,
    };
    let (resp, withhold) = {
        let mut s = lock(&state);
        s.requests.push(rec.clone());
        if let Some(i) = s
            .failures
            .iter()
            .position(|f| rec.path.contains(&f.path_contains))
        {
            if let Some(f) = s.failures.remove(i) {
                return response(f.status, &f.body, &f.headers);
            }
        }
        let withhold = s
            .withhold
            .iter()
            .position(|suffix| rec.path.ends_with(suffix.as_str()));
        if let Some(i) = withhold {
            s.withhold.remove(i);
        }
        let resp = if rec.path.starts_with("/bot") {
            telegram(&mut s, &rec)
        } else {
            mastodon(&mut s, &rec)
        };
        (resp, withhold.is_some())
    };
    if withhold {
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
    resp
}

fn mastodon_error(status: u16, message: &str, s: &State) -> Response<Body> {
    response(status, &json!({ "error": message }), &rate_headers(s))
}

fn rate_headers(s: &State) -> Vec<(String, String)> {
    vec![
        ("x-ratelimit-limit".into(), "300".into()),
        ("x-ratelimit-remaining".into(), s.rate_remaining.to_string()),
        (
            "x-ratelimit-reset".into(),
            "2026-11-27T12:05:00.000Z".into(),
        ),
    ]
}

fn attachment(m: &Value, processed: bool) -> Value {
    json!({
        "id": m["id"],
        "type": "image",
        "url": if processed { json!(format!("https://files.fake.social/{}.png", m["id"].as_str().unwrap_or(""))) } else { Value::Null },
        "preview_url": null,
        "remote_url": null,
        "meta": {},
        "description": m["description"],
        "blurhash": null,
    })
}

fn status_json(st: &Value, s: &State) -> Value {
    let media: Vec<Value> = st["media_ids"]
        .as_array()
        .map(|ids| {
            ids.iter()
                .filter_map(|id| id.as_str().and_then(|id| s.media.get(id)))
                .map(|m| attachment(m, true))
                .collect()
        })
        .unwrap_or_default();
    json!({
        "id": st["id"],
        "created_at": "2026-11-27T12:00:00.000Z",
        "visibility": st["visibility"],
        "language": st["language"],
        "uri": format!("https://fake.social/users/musterstadt/statuses/{}", st["id"].as_str().unwrap_or("")),
        "url": format!("https://fake.social/@musterstadt/{}", st["id"].as_str().unwrap_or("")),
        "content": format!("<p>{}</p>", st["text"].as_str().unwrap_or("")),
        "media_attachments": media,
        "edited_at": st.get("edited_at").cloned().unwrap_or(Value::Null),
    })
}

fn mastodon(s: &mut State, r: &Recorded) -> Response<Body> {
    let segments: Vec<&str> = r.path.split('/').filter(|x| !x.is_empty()).collect();
    if segments.as_slice() == ["api", "v2", "instance"] && r.method == "GET" {
        return response(
            200,
            &json!({
                "domain": "fake.social",
                "title": "Fake Social",
                "configuration": { "statuses": {
                    "max_characters": s.max_characters,
                    "max_media_attachments": 4,
                    "characters_reserved_per_url": 23,
                }},
            }),
            &rate_headers(s),
        );
    }
    if r.authorization.as_deref() != Some(&format!("Bearer {MASTODON_TOKEN}")) {
        return mastodon_error(401, "The access token is invalid", s);
    }
    s.rate_remaining = (s.rate_remaining - 1).max(0);
    match (r.method.as_str(), segments.as_slice()) {
        ("POST", ["api", "v2", "media"]) => {
            let Some(f) = file(&r.body, "file") else {
                return mastodon_error(422, "Validation failed: File can't be blank", s);
            };
            s.next_id += 1;
            let id = s.next_id.to_string();
            let m = json!({
                "id": id,
                "description": field(&r.body, "description"),
                "content_type": f["content_type"],
                "bytes": f["bytes"],
                "polls_left": s.processing_polls,
            });
            let processed = s.processing_polls == 0;
            let answer = attachment(&m, processed);
            s.media.insert(id, m);
            response(if processed { 200 } else { 202 }, &answer, &rate_headers(s))
        }
        ("GET", ["api", "v1", "media", id]) => {
            let headers = rate_headers(s);
            let Some(m) = s.media.get_mut(*id) else {
                return mastodon_error(404, "Record not found", s);
            };
            let left = m["polls_left"].as_u64().unwrap_or(0);
            if left > 0 {
                m["polls_left"] = json!(left - 1);
                return response(206, &attachment(m, false), &headers);
            }
            response(200, &attachment(m, true), &headers)
        }
        ("POST", ["api", "v1", "statuses"]) => {
            if let Some(existing) = r
                .idempotency_key
                .as_ref()
                .and_then(|k| s.keys.get(k))
                .cloned()
            {
                let st = s
                    .statuses
                    .iter()
                    .find(|st| st["id"] == json!(existing))
                    .cloned()
                    .unwrap_or(Value::Null);
                return response(200, &status_json(&st, s), &rate_headers(s));
            }
            let text = r.body["status"].as_str().unwrap_or("").to_string();
            let media_ids: Vec<String> = r.body["media_ids"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            if text.is_empty() && media_ids.is_empty() {
                return mastodon_error(422, "Validation failed: Text can't be blank", s);
            }
            if text.chars().count() as u64 > s.max_characters {
                return mastodon_error(
                    422,
                    &format!(
                        "Validation failed: Text character limit of {} exceeded",
                        s.max_characters
                    ),
                    s,
                );
            }
            if media_ids.iter().any(|m| !s.media.contains_key(m)) {
                return mastodon_error(422, "Validation failed: media not found", s);
            }
            s.next_id += 1;
            let id = s.next_id.to_string();
            let st = json!({
                "id": id,
                "text": text,
                "language": r.body["language"],
                "visibility": r.body["visibility"],
                "media_ids": media_ids,
                "deleted": false,
            });
            if let Some(k) = &r.idempotency_key {
                s.keys.insert(k.clone(), id.clone());
            }
            s.statuses.push(st.clone());
            response(200, &status_json(&st, s), &rate_headers(s))
        }
        ("PUT", ["api", "v1", "statuses", id]) => {
            let Some(i) = s
                .statuses
                .iter()
                .position(|st| st["id"] == json!(id) && st["deleted"] == json!(false))
            else {
                return mastodon_error(404, "Record not found", s);
            };
            if let Some(text) = r.body["status"].as_str() {
                s.statuses[i]["text"] = json!(text);
            }
            s.statuses[i]["edited_at"] = json!("2026-11-27T12:30:00.000Z");
            for a in r.body["media_attributes"].as_array().into_iter().flatten() {
                if let (Some(mid), Some(d)) = (a["id"].as_str(), a.get("description")) {
                    if let Some(m) = s.media.get_mut(mid) {
                        m["description"] = d.clone();
                    }
                }
            }
            let st = s.statuses[i].clone();
            response(200, &status_json(&st, s), &rate_headers(s))
        }
        ("DELETE", ["api", "v1", "statuses", id]) => {
            let Some(i) = s
                .statuses
                .iter()
                .position(|st| st["id"] == json!(id) && st["deleted"] == json!(false))
            else {
                return mastodon_error(404, "Record not found", s);
            };
            s.statuses[i]["deleted"] = json!(true);
            let st = s.statuses[i].clone();
            response(200, &status_json(&st, s), &rate_headers(s))
        }
        _ => mastodon_error(404, "Not Found", s),
    }
}

fn telegram_error(status: u16, description: &str) -> Response<Body> {
    response(
        status,
        &json!({ "ok": false, "error_code": status, "description": description }),
        &[],
    )
}

fn tg_param(r: &Recorded, name: &str) -> Option<Value> {
    if r.body.get("parts").is_some() {
        return field(&r.body, name).map(|v| json!(v));
    }
    r.body.get(name).cloned()
}

fn telegram(s: &mut State, r: &Recorded) -> Response<Body> {
    let segments: Vec<&str> = r.path.split('/').filter(|x| !x.is_empty()).collect();
    let [bot, method] = segments.as_slice() else {
        return telegram_error(404, "Not Found");
    };
    if bot.strip_prefix("bot") != Some(TELEGRAM_CHANNEL_TOKEN) {
        return telegram_error(401, "Unauthorized");
    }
    let chat = tg_param(r, "chat_id");
    if chat != Some(json!(TELEGRAM_CHANNEL)) {
        return telegram_error(400, "Bad Request: chat not found");
    }
    let message = |id: u64, extra: Value| {
        let mut m = json!({
            "message_id": id,
            "date": 1_795_780_800,
            "chat": { "id": -1_001_234_567_890_i64, "type": "channel", "username": "musterstadt_news" },
        });
        if let (Some(m), Some(extra)) = (m.as_object_mut(), extra.as_object()) {
            m.extend(extra.clone());
        }
        m
    };
    match *method {
        "sendMessage" => {
            let text = tg_param(r, "text").and_then(|t| t.as_str().map(str::to_string));
            let Some(text) = text.filter(|t| !t.is_empty()) else {
                return telegram_error(400, "Bad Request: message text is empty");
            };
            if text.encode_utf16().count() > 4096 {
                return telegram_error(400, "Bad Request: message is too long");
            }
            s.next_id += 1;
            let m = message(s.next_id, json!({ "text": text }));
            s.messages.push(
                json!({ "message_id": s.next_id, "text": text, "photos": 0, "deleted": false }),
            );
            response(200, &json!({ "ok": true, "result": m }), &[])
        }
        "sendPhoto" => {
            if file(&r.body, "photo").is_none() {
                return telegram_error(400, "Bad Request: there is no photo in the request");
            }
            let caption = field(&r.body, "caption").unwrap_or("").to_string();
            s.next_id += 1;
            let m = message(
                s.next_id,
                json!({ "photo": [{ "file_id": "p1", "file_unique_id": "u1", "width": 640, "height": 480 }], "caption": caption }),
            );
            s.messages.push(json!({ "message_id": s.next_id, "caption": caption, "photos": 1, "deleted": false }));
            response(200, &json!({ "ok": true, "result": m }), &[])
        }
        "sendMediaGroup" => {
            let media: Vec<Value> = field(&r.body, "media")
                .and_then(|m| serde_json::from_str(m).ok())
                .unwrap_or_default();
            if !(2..=10).contains(&media.len()) {
                return telegram_error(400, "Bad Request: wrong number of media in the album");
            }
            let mut result = Vec::new();
            for (i, item) in media.iter().enumerate() {
                let attach = item["media"]
                    .as_str()
                    .and_then(|m| m.strip_prefix("attach://"));
                if attach.and_then(|a| file(&r.body, a)).is_none() {
                    return telegram_error(400, "Bad Request: failed to get HTTP URL content");
                }
                s.next_id += 1;
                let caption = item["caption"].as_str().unwrap_or("").to_string();
                result.push(message(
                    s.next_id,
                    json!({ "media_group_id": "g1", "caption": caption }),
                ));
                s.messages.push(json!({
                    "message_id": s.next_id, "caption": caption, "photos": 1, "album_position": i, "deleted": false
                }));
            }
            response(200, &json!({ "ok": true, "result": result }), &[])
        }
        "editMessageText" | "editMessageCaption" => {
            let id = tg_param(r, "message_id").and_then(|v| v.as_u64());
            let key = if *method == "editMessageText" {
                "text"
            } else {
                "caption"
            };
            let new = tg_param(r, key).and_then(|t| t.as_str().map(str::to_string));
            let Some(m) = s.messages.iter_mut().find(|m| {
                Some(m["message_id"].as_u64().unwrap_or(0)) == id && m["deleted"] == json!(false)
            }) else {
                return telegram_error(400, "Bad Request: message to edit not found");
            };
            if m.get(key).and_then(Value::as_str) == new.as_deref() {
                return telegram_error(400, "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message");
            }
            m[key] = json!(new);
            m["edited"] = json!(true);
            let answer = message(id.unwrap_or(0), json!({ key: new }));
            response(200, &json!({ "ok": true, "result": answer }), &[])
        }
        "deleteMessage" => {
            let id = tg_param(r, "message_id").and_then(|v| v.as_u64());
            match s.messages.iter_mut().find(|m| {
                Some(m["message_id"].as_u64().unwrap_or(0)) == id && m["deleted"] == json!(false)
            }) {
                Some(m) => {
                    m["deleted"] = json!(true);
                    response(200, &json!({ "ok": true, "result": true }), &[])
                }
                None => telegram_error(400, "Bad Request: message to delete not found"),
            }
        }
        _ => telegram_error(404, "Not Found"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn multipart_parts_are_read_back() {
        let (ct, body) = crate::publish::multipart::Form::new()
            .text("description", "Rathaus im Schnee")
            .file("file", "image-1.png", "image/png", b"1234")
            .finish();
        let v = parse_multipart(&ct, &body).unwrap();
        assert_eq!(field(&v, "description"), Some("Rathaus im Schnee"));
        assert_eq!(file(&v, "file").unwrap()["bytes"], json!(4));
        assert_eq!(
            file(&v, "file").unwrap()["content_type"],
            json!("image/png")
        );
    }
}
