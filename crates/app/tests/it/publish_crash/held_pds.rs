//! A proxy in front of the reference PDS that passes every call through but can keep the PDS's answer to the next `createRecord` from its caller (the record is written; the caller never learns it).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Response, Uri};
use serde_json::Value;

const CREATE_RECORD: &str = "/xrpc/com.atproto.repo.createRecord";

#[derive(Default)]
struct Seen {
    /// Every call's path (without the query), in order.
    paths: Vec<String>,
    /// The PDS's answers to `createRecord` calls whose callers never got them.
    withheld: Vec<Value>,
}

/// The proxy's address and what passed through it.
#[derive(Clone)]
pub struct HeldPds {
    pub url: String,
    hold_next: Arc<AtomicBool>,
    seen: Arc<Mutex<Seen>>,
}

impl HeldPds {
    /// Starts the proxy on a free loopback port, forwarding to `pds`.
    pub async fn start(pds: &str) -> HeldPds {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let held = HeldPds {
            url: format!("http://{}", listener.local_addr().unwrap()),
            hold_next: Arc::new(AtomicBool::new(false)),
            seen: Arc::new(Mutex::new(Seen::default())),
        };
        let (pds, state, http) = (pds.to_string(), held.clone(), reqwest::Client::new());
        let app = axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let (pds, state, http) = (pds.clone(), state.clone(), http.clone());
                async move { state.forward(&http, &pds, method, uri, headers, body).await }
            },
        );
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        held
    }

    /// The next `createRecord` reaches the PDS, but its answer never comes back.
    pub fn withhold_next_create_record(&self) {
        self.hold_next.store(true, Ordering::SeqCst);
    }

    /// The PDS's answers (`uri`, `cid`, …) that were kept from the caller.
    pub fn withheld_answers(&self) -> Vec<Value> {
        self.seen.lock().unwrap().withheld.clone()
    }

    /// How many calls went to this XRPC method (e.g. `com.atproto.repo.createRecord`).
    pub fn calls(&self, method: &str) -> usize {
        let path = format!("/xrpc/{method}");
        self.seen
            .lock()
            .unwrap()
            .paths
            .iter()
            .filter(|p| **p == path)
            .count()
    }

    async fn forward(
        &self,
        http: &reqwest::Client,
        pds: &str,
        method: Method,
        uri: Uri,
        headers: HeaderMap,
        body: Bytes,
    ) -> Response<Body> {
        let hold = uri.path() == CREATE_RECORD && self.hold_next.swap(false, Ordering::SeqCst);
        self.seen.lock().unwrap().paths.push(uri.path().to_string());
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        let mut req = http.request(method, format!("{pds}{path}")).body(body);
        for name in ["content-type", "authorization"] {
            if let Some(v) = headers.get(name) {
                req = req.header(name, v);
            }
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let content_type = res.headers().get("content-type").cloned();
        let bytes = res.bytes().await.unwrap();
        if hold {
            // A refusal is kept as well (`uri` missing): the test then fails on it.
            let answer = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            self.seen.lock().unwrap().withheld.push(answer);
            // The record is written; its writer waits for an answer that never comes.
            std::future::pending::<()>().await;
        }
        let mut out = Response::builder().status(status);
        if let Some(ct) = content_type {
            out = out.header("content-type", ct);
        }
        out.body(Body::from(bytes)).unwrap()
    }
}
