//! A fake Meta Graph API (Facebook page, Instagram content publishing) and X API v2 on 127.0.0.1 for publishing tests (feature `testing`), answering with the documented shapes.
//!
//! Graph: `POST /{v}/{page}/photos` (multipart, `published=false`), `POST /{v}/{page}/feed`
//! (`message`, `attached_media`; a repeated message answers error 506), `GET /{v}/{page}/published_posts`,
//! `POST /{v}/{ig}/media` (fetches `image_url` itself, as Instagram does), `GET /{v}/{container}?fields=status_code`,
//! `POST /{v}/{ig}/media_publish`, `GET /{v}/{media}?fields=permalink`, `GET /{v}/{ig}/media`,
//! `DELETE /{v}/{id}`; errors as the Graph error object. X: `POST /2/media/upload` (multipart),
//! `POST /2/media/metadata`, `POST /2/tweets` (201; links come back shortened to t.co; a repeated text
//! answers 403 "duplicate content"), `GET /2/users/me`, `GET /2/users/{id}/tweets`, `DELETE /2/tweets/{id}`,
//! `POST /2/oauth2/token` (`grant_type=refresh_token`; rotates both tokens, the old ones stop working);
//! errors as problem objects (the token endpoint's as OAuth `error`/`error_description`). Every request is recorded (multipart bodies parsed) for assertions
//! and snapshots; the next answers can be replaced by failures, or withheld after the work is done.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, Method, Response, StatusCode, Uri};
use serde_json::{json, Map, Value};

use crate::staging::StagedMedia;

/// The Graph token the fake accepts.
pub const GRAPH_TOKEN: &str = "EAAfake-page-token";
/// The X token the fake accepts.
pub const X_TOKEN: &str = "x-fake-oauth2-user-token";
/// The refresh token the fake's X issued with [`X_TOKEN`].
pub const X_REFRESH_TOKEN: &str = "x-fake-refresh-token";
/// The OAuth 2.0 client id of the app the fake's X knows.
pub const X_CLIENT_ID: &str = "x-fake-client-id";
/// That app's client secret, when it is a confidential client.
pub const X_CLIENT_SECRET: &str = "x-fake-client-secret";
pub const PAGE_ID: &str = "104";
pub const IG_USER_ID: &str = "17841400000000001";
pub const X_USER_ID: &str = "2244994945";

/// One request as the fake received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: BTreeMap<String, String>,
    pub authorization: Option<String>,
    /// JSON as sent; multipart as `{"parts": [...]}` (files as name, file name, type and length).
    pub body: Value,
}

/// A canned failure for the next matching request.
struct Failure {
    method: String,
    path_suffix: String,
    status: u16,
    body: Value,
    headers: Vec<(String, String)>,
}

#[derive(Default)]
struct FakeState {
    requests: Vec<Recorded>,
    failures: VecDeque<Failure>,
    /// (method, path suffix): do the work, then never answer.
    hang: Vec<(String, String)>,
    next_id: u64,
    /// Facebook page posts, oldest first: id, message, created_time, photos.
    page_posts: Vec<Value>,
    /// Instagram containers by id: status polls left, caption, children, fetched image info.
    containers: BTreeMap<String, Value>,
    in_progress_polls: u32,
    ig_media: Vec<Value>,
    x_media: BTreeMap<String, Value>,
    tweets: Vec<Value>,
    /// X's current user token and refresh token (`None`: [`X_TOKEN`], [`X_REFRESH_TOKEN`]).
    x_access: Option<String>,
    x_refresh: Option<String>,
    /// Renewals done so far (new tokens are numbered by it).
    x_renewals: u32,
    /// The app is a confidential client: the token endpoint wants HTTP Basic with the secret.
    x_confidential: bool,
    /// Image URLs Instagram fetched, and what came back (status, content type, length).
    fetched: Vec<Value>,
}

/// The running fake.
#[derive(Clone)]
pub struct FakeNetworks {
    addr: SocketAddr,
    state: Arc<Mutex<FakeState>>,
}

fn now_graph() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%S+0000")
        .to_string()
}

fn json_response(status: u16, body: &Value, extra: &[(String, String)]) -> Response<Body> {
    let mut b = Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header(header::CONTENT_TYPE, "application/json");
    for (k, v) in extra {
        b = b.header(k.as_str(), v.as_str());
    }
    b.body(Body::from(body.to_string()))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

fn graph_error(code: i64, subcode: Option<i64>, message: &str) -> Value {
    let mut e = json!({"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbCdEfGh123"});
    if let Some(s) = subcode {
        e["error_subcode"] = json!(s);
    }
    json!({ "error": e })
}

fn problem(status: u16, title: &str, detail: &str) -> Value {
    json!({"title": title, "detail": detail, "type": "about:blank", "status": status})
}

/// Parses a `multipart/form-data` body into its parts.
fn parse_multipart(content_type: &str, body: &[u8]) -> Value {
    let Some(boundary) = content_type
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))
    else {
        return json!({"error": "no boundary"});
    };
    let delimiter = format!("--{boundary}");
    let mut parts = Vec::new();
    let text = body;
    let mut pos = 0;
    let find = |hay: &[u8], needle: &[u8], from: usize| {
        hay.get(from..)?
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|i| i + from)
    };
    while let Some(start) = find(text, delimiter.as_bytes(), pos) {
        let after = start + delimiter.len();
        if text.get(after..after + 2) == Some(b"--") {
            break;
        }
        let header_start = after + 2;
        let Some(header_end) = find(text, b"\r\n\r\n", header_start) else {
            break;
        };
        let content_start = header_end + 4;
        let Some(next) = find(text, format!("\r\n{delimiter}").as_bytes(), content_start) else {
            break;
        };
        let headers = String::from_utf8_lossy(&text[header_start..header_end]).to_string();
        let content = &text[content_start..next];
        let attr = |name: &str| {
            headers
                .split(';')
                .find_map(|p| p.trim().strip_prefix(&format!("{name}=\"")))
                .and_then(|v| v.split('"').next())
                .map(str::to_string)
        };
        let part_type = headers
            .lines()
            .find_map(|l| l.strip_prefix("Content-Type: "))
            .map(str::to_string);
        let mut part = json!({"name": attr("name")});
        match attr("filename") {
            Some(file_name) => {
                part["filename"] = json!(file_name);
                part["content_type"] = json!(part_type);
                part["length"] = json!(content.len());
                part["png_or_jpeg"] =
                    json!(content.starts_with(b"\x89PNG") || content.starts_with(&[0xFF, 0xD8]));
            }
            None => part["value"] = json!(String::from_utf8_lossy(content)),
        }
        parts.push(part);
        pos = next + 2;
    }
    json!({ "parts": parts })
}

fn part_value<'a>(body: &'a Value, name: &str) -> Option<&'a Value> {
    body["parts"].as_array()?.iter().find(|p| p["name"] == name)
}

impl FakeNetworks {
    pub async fn start() -> std::io::Result<Self> {
        let state = Arc::new(Mutex::new(FakeState::default()));
        let fake = FakeNetworks {
            addr: "127.0.0.1:0".parse().map_err(std::io::Error::other)?,
            state: state.clone(),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let fake = FakeNetworks { addr, ..fake };
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(fake.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(fake)
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn lock(&self) -> MutexGuard<'_, FakeState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every request so far, in order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.clone()
    }

    /// Requests as a snapshot: method, path, query and body, with what changes from run to run
    /// (the staged image URL with its port and token, times) replaced by placeholders.
    pub fn snapshot(&self) -> Value {
        let redact = |s: &str| -> String {
            match s.find("/medien/") {
                Some(_) => "[public_url]/medien/[token]".to_string(),
                None => s.to_string(),
            }
        };
        Value::Array(
            self.requests()
                .into_iter()
                .map(|r| {
                    let mut body = r.body.clone();
                    if let Some(url) = body.get("image_url").and_then(Value::as_str) {
                        body["image_url"] = json!(redact(url));
                    }
                    let query: Map<String, Value> = r
                        .query
                        .iter()
                        .map(|(k, v)| {
                            let v = if k == "start_time" {
                                "[time]".to_string()
                            } else {
                                v.clone()
                            };
                            (k.clone(), json!(v))
                        })
                        .collect();
                    json!({"method": r.method, "path": r.path, "query": query, "body": body})
                })
                .collect(),
        )
    }

    /// The next request whose method matches and whose path ends with `path_suffix` fails.
    pub fn fail_next(
        &self,
        method: &str,
        path_suffix: &str,
        status: u16,
        body: Value,
        headers: &[(&str, &str)],
    ) {
        self.lock().failures.push_back(Failure {
            method: method.to_string(),
            path_suffix: path_suffix.to_string(),
            status,
            body,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        });
    }

    /// The next matching request is carried out, but its answer never comes (a lost answer).
    pub fn withhold_next_answer(&self, method: &str, path_suffix: &str) {
        self.lock()
            .hang
            .push((method.to_string(), path_suffix.to_string()));
    }

    /// Instagram containers answer `IN_PROGRESS` this many times before `FINISHED`.
    pub fn set_in_progress_polls(&self, n: u32) {
        self.lock().in_progress_polls = n;
    }

    pub fn page_posts(&self) -> Vec<Value> {
        self.lock().page_posts.clone()
    }

    pub fn instagram_media(&self) -> Vec<Value> {
        self.lock().ig_media.clone()
    }

    pub fn tweets(&self) -> Vec<Value> {
        self.lock().tweets.clone()
    }

    pub fn x_media(&self) -> BTreeMap<String, Value> {
        self.lock().x_media.clone()
    }

    /// Forgets the requests so far (the next snapshot starts here).
    pub fn clear_requests(&self) {
        self.lock().requests.clear();
    }

    /// The user token X accepts now and the refresh token that renews it.
    pub fn x_tokens(&self) -> (String, String) {
        let s = self.lock();
        (
            s.x_access.clone().unwrap_or_else(|| X_TOKEN.into()),
            s.x_refresh
                .clone()
                .unwrap_or_else(|| X_REFRESH_TOKEN.into()),
        )
    }

    /// The user token's two hours are over: X refuses it from now on (the refresh token still works).
    pub fn expire_x_access_token(&self) {
        let mut s = self.lock();
        let n = s.x_renewals;
        s.x_access = Some(format!("x-fake-expired-{n}"));
    }

    /// The account withdrew the app's access: the refresh token stops working too.
    pub fn revoke_x_refresh_token(&self) {
        let mut s = self.lock();
        let n = s.x_renewals;
        s.x_access = Some(format!("x-fake-revoked-{n}"));
        s.x_refresh = Some(format!("x-fake-revoked-refresh-{n}"));
    }

    /// The app is a confidential client ([`X_CLIENT_SECRET`] by HTTP Basic) or a public one.
    pub fn set_x_confidential_client(&self, confidential: bool) {
        self.lock().x_confidential = confidential;
    }

    /// How many times tokens were renewed.
    pub fn x_renewals(&self) -> u32 {
        self.lock().x_renewals
    }

    /// What Instagram's fetches of `image_url` got: `{"status", "content_type", "length"}`.
    pub fn fetched_images(&self) -> Vec<Value> {
        self.lock().fetched.clone()
    }

    fn id(&self, prefix: &str) -> String {
        let mut s = self.lock();
        s.next_id += 1;
        format!("{prefix}{}", 1000 + s.next_id)
    }
}

async fn handle(
    State(fake): State<FakeNetworks>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    let path = uri.path().to_string();
    let query: BTreeMap<String, String> = uri
        .query()
        .map(|q| {
            q.split('&')
                .map(|kv| {
                    let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                    (pct_decode(k), pct_decode(v))
                })
                .collect()
        })
        .unwrap_or_default();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let parsed = if body.is_empty() {
        Value::Null
    } else if content_type.starts_with("multipart/form-data") {
        parse_multipart(&content_type, &body)
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        Value::Object(
            String::from_utf8_lossy(&body)
                .split('&')
                .map(|kv| {
                    let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                    (pct_decode(k), json!(pct_decode(v)))
                })
                .collect(),
        )
    } else {
        serde_json::from_slice(&body)
            .unwrap_or_else(|_| json!({"unparsed": String::from_utf8_lossy(&body)}))
    };
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let method_name = method.as_str().to_string();
    {
        let mut s = fake.lock();
        s.requests.push(Recorded {
            method: method_name.clone(),
            path: path.clone(),
            query: query.clone(),
            authorization: authorization.clone(),
            body: parsed.clone(),
        });
        if let Some(i) = s
            .failures
            .iter()
            .position(|f| f.method == method_name && path.ends_with(&f.path_suffix))
        {
            if let Some(f) = s.failures.remove(i) {
                return json_response(f.status, &f.body, &f.headers);
            }
        }
    }
    let is_x = path.starts_with("/2/");
    let token = authorization
        .as_deref()
        .and_then(|a| a.strip_prefix("Bearer "));
    let (status, answer, extra) = if is_x && path == "/2/oauth2/token" && method_name == "POST" {
        x_token_answer(&fake, authorization.as_deref(), &parsed)
    } else if is_x {
        let accepted = fake.x_tokens().0;
        if token != Some(accepted.as_str()) {
            (401, problem(401, "Unauthorized", "Unauthorized"), vec![])
        } else {
            x_answer(&fake, &method_name, &path, &query, &parsed)
        }
    } else if token != Some(GRAPH_TOKEN) {
        (
            400,
            graph_error(
                190,
                None,
                "Invalid OAuth access token - Cannot parse access token",
            ),
            vec![],
        )
    } else {
        graph_answer(&fake, &method_name, &path, &query, &parsed).await
    };
    let hang = {
        let mut s = fake.lock();
        match s
            .hang
            .iter()
            .position(|(m, p)| *m == method_name && path.ends_with(p.as_str()))
        {
            Some(i) => {
                s.hang.remove(i);
                true
            }
            None => false,
        }
    };
    if hang {
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
    json_response(status, &answer, &extra)
}

fn pct_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).to_string()
}

type Answer = (u16, Value, Vec<(String, String)>);

async fn graph_answer(
    fake: &FakeNetworks,
    method: &str,
    path: &str,
    query: &BTreeMap<String, String>,
    body: &Value,
) -> Answer {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let ok = |v: Value| (200, v, vec![]);
    let bad = |msg: &str| (400, graph_error(100, None, msg), vec![]);
    let Some((version, rest)) = segments.split_first() else {
        return bad("Unknown path components");
    };
    if !version.starts_with('v') {
        return bad("Unknown path components");
    }
    match (method, rest) {
        ("POST", [page, "photos"]) if *page == PAGE_ID => {
            if part_value(body, "published").and_then(|p| p["value"].as_str()) != Some("false") {
                return bad("(#100) published must be false for attached_media");
            }
            match part_value(body, "source") {
                Some(p) if p["png_or_jpeg"] == true => ok(json!({"id": fake.id("ph")})),
                _ => bad("(#324) Requires upload file"),
            }
        }
        ("POST", [page, "feed"]) if *page == PAGE_ID => {
            let Some(message) = body["message"].as_str() else {
                return bad("(#100) message or attached_media required");
            };
            let duplicate = fake
                .lock()
                .page_posts
                .last()
                .is_some_and(|p| p["message"] == message);
            if duplicate {
                return (
                    400,
                    graph_error(506, None, "Duplicate status message"),
                    vec![],
                );
            }
            let id = format!("{PAGE_ID}_{}", fake.id(""));
            fake.lock().page_posts.push(json!({
                "id": id,
                "message": message,
                "created_time": now_graph(),
                "permalink_url": format!("https://www.facebook.com/{id}"),
                "attached_media": body["attached_media"].clone(),
            }));
            ok(json!({"id": id}))
        }
        ("GET", [page, "published_posts"]) if *page == PAGE_ID => {
            let posts: Vec<Value> = fake.lock().page_posts.iter().rev().cloned().collect();
            ok(json!({"data": posts, "paging": {}}))
        }
        ("POST", [user, "media"]) if *user == IG_USER_ID => {
            let id = fake.id("c");
            let mut container =
                json!({"polls_left": fake.lock().in_progress_polls, "body": body.clone()});
            if body["media_type"] == "CAROUSEL" {
                let children = body["children"].as_str().unwrap_or_default();
                let known = {
                    let s = fake.lock();
                    children.split(',').all(|c| {
                        s.containers
                            .get(c)
                            .is_some_and(|c| c["body"]["is_carousel_item"] == true)
                    })
                };
                if !known || children.split(',').count() < 2 {
                    return bad("(#100) children must be 2 to 10 carousel item containers");
                }
            } else {
                let Some(url) = body["image_url"].as_str() else {
                    return bad("(#100) The parameter image_url is required");
                };
                // Instagram cURLs the image while creating the container.
                let fetched = fetch(url).await;
                let good = fetched["status"] == 200 && fetched["content_type"] == "image/jpeg";
                if !good {
                    container["error"] = json!("2207052: media could not be fetched from this URI");
                }
                fake.lock().fetched.push(fetched);
            }
            fake.lock().containers.insert(id.clone(), container);
            ok(json!({"id": id}))
        }
        ("POST", [user, "media_publish"]) if *user == IG_USER_ID => {
            let creation = body["creation_id"].as_str().unwrap_or_default().to_string();
            let container = fake.lock().containers.get(&creation).cloned();
            match container {
                Some(c)
                    if c["polls_left"] == 0
                        && c.get("error").is_none()
                        && c.get("published").is_none() =>
                {
                    let id = fake.id("1790");
                    let shortcode = format!("FAKE{id}");
                    let mut s = fake.lock();
                    if let Some(c) = s.containers.get_mut(&creation) {
                        c["published"] = json!(true);
                    }
                    s.ig_media.push(json!({
                        "id": id,
                        "caption": c["body"]["caption"],
                        "timestamp": now_graph(),
                        "permalink": format!("https://www.instagram.com/p/{shortcode}/"),
                        "children": c["body"]["children"],
                        "alt_text": c["body"]["alt_text"],
                    }));
                    ok(json!({"id": id}))
                }
                Some(_) => (
                    400,
                    graph_error(9007, Some(2_207_027), "Media ID is not available"),
                    vec![],
                ),
                None => bad("(#100) creation_id does not exist"),
            }
        }
        ("GET", [user, "media"]) if *user == IG_USER_ID => {
            let media: Vec<Value> = fake.lock().ig_media.iter().rev().cloned().collect();
            ok(json!({"data": media, "paging": {}}))
        }
        ("GET", [id])
            if query
                .get("fields")
                .is_some_and(|f| f.contains("status_code")) =>
        {
            let mut s = fake.lock();
            let Some(c) = s.containers.get_mut(*id) else {
                return bad("(#100) Unsupported get request");
            };
            if let Some(err) = c.get("error").cloned() {
                return ok(json!({"id": id, "status_code": "ERROR", "status": err}));
            }
            let left = c["polls_left"].as_u64().unwrap_or(0);
            if left > 0 {
                c["polls_left"] = json!(left - 1);
                return ok(json!({"id": id, "status_code": "IN_PROGRESS"}));
            }
            ok(json!({"id": id, "status_code": "FINISHED"}))
        }
        ("GET", [id]) if query.get("fields").is_some_and(|f| f.contains("permalink")) => {
            let s = fake.lock();
            match s.ig_media.iter().find(|m| m["id"] == *id) {
                Some(m) => ok(json!({"id": id, "permalink": m["permalink"]})),
                None => bad("(#100) Unsupported get request"),
            }
        }
        ("DELETE", [id]) => {
            let mut s = fake.lock();
            let before = s.page_posts.len();
            s.page_posts.retain(|p| p["id"] != *id);
            if s.page_posts.len() < before {
                ok(json!({"success": true}))
            } else {
                (
                    400,
                    graph_error(
                        100,
                        Some(33),
                        "Unsupported delete request. Object does not exist",
                    ),
                    vec![],
                )
            }
        }
        _ => bad("Unknown path components"),
    }
}

async fn fetch(url: &str) -> Value {
    match reqwest::get(url).await {
        Ok(resp) => {
            let status = resp.status().as_u16();
            let content_type = resp
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string();
            let set_cookie = resp.headers().get(header::SET_COOKIE).is_some();
            let bytes = resp.bytes().await.map(|b| b.len()).unwrap_or(0);
            json!({"status": status, "content_type": content_type, "length": bytes, "set_cookie": set_cookie})
        }
        Err(_) => json!({"status": 0}),
    }
}

/// X shortens every link to t.co in the stored text.
fn shorten_links(text: &str) -> String {
    let mut out = String::new();
    let mut pos = 0;
    for (i, link) in rathaus_domain::publishing::text::find_links(text)
        .into_iter()
        .enumerate()
    {
        out.push_str(&text[pos..link.start]);
        out.push_str(&format!("https://t.co/fAkE{i:04}"));
        pos = link.end;
    }
    out.push_str(&text[pos..]);
    out
}

/// `POST /2/oauth2/token` with `grant_type=refresh_token`: the current refresh token (and the app:
/// `client_id` in the body for a public client, HTTP Basic for a confidential one) gets a new user
/// token and a new refresh token; both old ones stop working.
fn x_token_answer(fake: &FakeNetworks, authorization: Option<&str>, body: &Value) -> Answer {
    use base64::Engine as _;
    let oauth_error = |status: u16, error: &str, description: &str| {
        (
            status,
            json!({"error": error, "error_description": description}),
            vec![],
        )
    };
    let mut s = fake.lock();
    let client_ok = if s.x_confidential {
        let expected = base64::engine::general_purpose::STANDARD
            .encode(format!("{X_CLIENT_ID}:{X_CLIENT_SECRET}"));
        authorization == Some(format!("Basic {expected}").as_str())
    } else {
        body["client_id"] == X_CLIENT_ID && authorization.is_none()
    };
    if !client_ok {
        return oauth_error(
            401,
            "unauthorized_client",
            "Missing valid authorization header",
        );
    }
    if body["grant_type"] != "refresh_token" {
        return oauth_error(
            400,
            "invalid_request",
            "Missing required parameter [grant_type].",
        );
    }
    let current = s
        .x_refresh
        .clone()
        .unwrap_or_else(|| X_REFRESH_TOKEN.into());
    if body["refresh_token"].as_str() != Some(current.as_str()) {
        return oauth_error(
            400,
            "invalid_request",
            "Value passed for the token was invalid.",
        );
    }
    s.x_renewals += 1;
    let n = s.x_renewals;
    let access = format!("x-fake-oauth2-user-token-{n}");
    let refresh = format!("x-fake-refresh-token-{n}");
    s.x_access = Some(access.clone());
    s.x_refresh = Some(refresh.clone());
    (
        200,
        json!({
            "token_type": "bearer",
            "expires_in": 7200,
            "access_token": access,
            "scope": "tweet.write users.read tweet.read media.write offline.access",
            "refresh_token": refresh,
        }),
        vec![],
    )
}

fn x_answer(
    fake: &FakeNetworks,
    method: &str,
    path: &str,
    query: &BTreeMap<String, String>,
    body: &Value,
) -> Answer {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let invalid = |detail: &str| (400, problem(400, "Invalid Request", detail), vec![]);
    match (method, segments.as_slice()) {
        ("POST", ["2", "media", "upload"]) => {
            let category = part_value(body, "media_category").and_then(|p| p["value"].as_str());
            match (part_value(body, "media"), category) {
                (Some(m), Some("tweet_image")) if m["png_or_jpeg"] == true => {
                    let id = fake.id("1880");
                    let media = json!({
                        "id": id,
                        "media_key": format!("3_{id}"),
                        "size": m["length"],
                        "expires_after_secs": 86400,
                        "image": {"image_type": m["content_type"]},
                    });
                    fake.lock().x_media.insert(id.clone(), media.clone());
                    (200, json!({"data": media}), vec![])
                }
                _ => invalid("media and media_category=tweet_image are required"),
            }
        }
        ("POST", ["2", "media", "metadata"]) => {
            let id = body["id"].as_str().unwrap_or_default().to_string();
            let alt = body["metadata"]["alt_text"]["text"].clone();
            let mut s = fake.lock();
            match s.x_media.get_mut(&id) {
                Some(m) if alt.as_str().is_some_and(|a| a.chars().count() <= 1000) => {
                    m["alt_text"] = alt.clone();
                    (
                        200,
                        json!({"data": {"id": id, "associated_metadata": {"alt_text": {"text": alt}}}}),
                        vec![],
                    )
                }
                _ => invalid("unknown media id or alt text over 1000 characters"),
            }
        }
        ("POST", ["2", "tweets"]) => {
            let Some(text) = body["text"].as_str() else {
                return invalid("text or media is required");
            };
            let media_ids: Vec<String> = body["media"]["media_ids"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            let mut s = fake.lock();
            if media_ids.iter().any(|id| !s.x_media.contains_key(id)) {
                return invalid("Your media IDs are invalid.");
            }
            let stored = shorten_links(text);
            if s.tweets.iter().any(|t| t["text"] == stored.as_str()) {
                return (
                    403,
                    problem(
                        403,
                        "Forbidden",
                        "You are not allowed to create a Tweet with duplicate content.",
                    ),
                    vec![],
                );
            }
            s.next_id += 1;
            let id = format!("18{:017}", s.next_id);
            s.tweets.push(json!({
                "id": id,
                "text": stored,
                "created_at": jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%S.000Z").to_string(),
                "media_ids": media_ids,
            }));
            (201, json!({"data": {"id": id, "text": stored}}), vec![])
        }
        ("GET", ["2", "users", "me"]) => (
            200,
            json!({"data": {"id": X_USER_ID, "name": "Stadt Musterstadt", "username": "musterstadt"}}),
            vec![],
        ),
        ("GET", ["2", "users", user, "tweets"]) if *user == X_USER_ID => {
            let since = query
                .get("start_time")
                .and_then(|t| t.parse::<jiff::Timestamp>().ok());
            let tweets: Vec<Value> = fake
                .lock()
                .tweets
                .iter()
                .rev()
                .filter(|t| {
                    let at = t["created_at"].as_str().and_then(|c| c.parse::<jiff::Timestamp>().ok());
                    match (since, at) {
                        (Some(s), Some(a)) => a >= s,
                        _ => true,
                    }
                })
                .map(|t| json!({"id": t["id"], "text": t["text"], "created_at": t["created_at"], "edit_history_tweet_ids": [t["id"]]}))
                .collect();
            let count = tweets.len();
            (
                200,
                json!({"data": tweets, "meta": {"result_count": count}}),
                vec![],
            )
        }
        ("DELETE", ["2", "tweets", id]) => {
            let mut s = fake.lock();
            let before = s.tweets.len();
            s.tweets.retain(|t| t["id"] != *id);
            if s.tweets.len() < before {
                (200, json!({"data": {"deleted": true}}), vec![])
            } else {
                (
                    404,
                    problem(404, "Not Found Error", "Could not find tweet with id."),
                    vec![],
                )
            }
        }
        _ => (
            404,
            problem(404, "Not Found Error", "unknown endpoint"),
            vec![],
        ),
    }
}

/// Serves a [`StagedMedia`] store at `/medien/{token}` the way the web server does, for tests of
/// the channels crate alone. Returns the server's base URL (the public URL to give the adapter).
pub async fn serve_staged(store: Arc<StagedMedia>) -> std::io::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let app = axum::Router::new()
        .route(
            "/medien/{token}",
            axum::routing::get(
                |State(store): State<Arc<StagedMedia>>, Path(token): Path<String>| async move {
                    match store.get(&token) {
                        Some(image) => Response::builder()
                            .header(header::CONTENT_TYPE, image.mime.as_str())
                            .body(Body::from(image.bytes.as_ref().clone()))
                            .unwrap_or_else(|_| Response::new(Body::empty())),
                        None => Response::builder()
                            .status(StatusCode::NOT_FOUND)
                            .body(Body::empty())
                            .unwrap_or_else(|_| Response::new(Body::empty())),
                    }
                },
            ),
        )
        .with_state(store);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(base)
}
