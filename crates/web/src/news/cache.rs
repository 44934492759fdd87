//! Rendered public pages kept in memory, so the news page and feeds are served at the rate of static files.
//!
//! An answer is reused while the store's write generation is unchanged (nothing was written in this
//! process since it was rendered) and it is younger than [`MAX_AGE`] (writes of other processes,
//! e.g. a separate worker publishing a post, and the passing of time, are seen within that time).
//! Only complete `200 OK` answers are kept; conditional requests (ETag / Last-Modified) are answered
//! from the kept headers.
//!
//! A municipality's news host ([`super::host`]) never gets another host's answer: HTML pages are kept
//! as rendered for `/{slug}/…` and changed for the host only after they leave this cache, and the
//! feeds, whose links are built for the host, have the host in their key.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use rathaus_store::Store;

/// How long a kept answer may be served at most.
pub const MAX_AGE: Duration = Duration::from_secs(2);
/// Kept answers at most (searches make many keys); when full, the cache starts over.
const MAX_ENTRIES: usize = 512;
/// Larger answers are not kept.
const MAX_BODY: usize = 4 * 1024 * 1024;

struct Entry {
    generation: u64,
    at: Instant,
    headers: HeaderMap,
    body: Bytes,
}

/// The kept answers of this process.
#[derive(Default)]
pub struct PublicCache {
    entries: Mutex<HashMap<String, Entry>>,
}

impl PublicCache {
    /// The kept answer for `key` if still current, else `render()`'s (kept when it is a `200 OK`).
    /// `render` must not look at conditional request headers; this answers them with `304` itself.
    pub async fn get_or_render<F, Fut>(
        &self,
        store: &Store,
        key: String,
        request: &HeaderMap,
        render: F,
    ) -> Response
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Response>,
    {
        let generation = store.write_generation();
        if let Some((headers, body)) = self.current(&key, generation) {
            return answer(request, headers, body);
        }
        let res = render().await;
        if res.status() != StatusCode::OK {
            return res;
        }
        let (parts, body) = res.into_parts();
        let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        };
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(
                key,
                Entry {
                    generation,
                    at: Instant::now(),
                    headers: parts.headers.clone(),
                    body: body.clone(),
                },
            );
        }
        answer(request, parts.headers, body)
    }

    fn current(&self, key: &str, generation: u64) -> Option<(HeaderMap, Bytes)> {
        let entries = self.entries.lock().ok()?;
        let e = entries.get(key)?;
        (e.generation == generation && e.at.elapsed() < MAX_AGE)
            .then(|| (e.headers.clone(), e.body.clone()))
    }
}

/// The kept answer, or `304 Not Modified` when the client has it already (If-None-Match wins over
/// If-Modified-Since, as RFC 9110 says).
fn answer(request: &HeaderMap, headers: HeaderMap, body: Bytes) -> Response {
    let etag = headers.get(header::ETAG).and_then(|v| v.to_str().ok());
    let modified = headers
        .get(header::LAST_MODIFIED)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| jiff::fmt::rfc2822::parse(v).ok())
        .map(|z| z.timestamp().as_second());
    let not_modified = match request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        Some(tags) => etag.is_some_and(|etag| {
            tags.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == etag || t == "*")
        }),
        None => request
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| jiff::fmt::rfc2822::parse(v).ok())
            .zip(modified)
            .is_some_and(|(since, modified)| since.timestamp().as_second() >= modified),
    };
    let mut res = if not_modified {
        let mut r = StatusCode::NOT_MODIFIED.into_response();
        for name in [header::ETAG, header::LAST_MODIFIED, header::CACHE_CONTROL] {
            if let Some(v) = headers.get(&name) {
                r.headers_mut().insert(name, v.clone());
            }
        }
        return r;
    } else {
        body.into_response()
    };
    *res.headers_mut() = headers;
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn page(body: &'static str) -> Response {
        let mut r = body.into_response();
        r.headers_mut()
            .insert(header::ETAG, HeaderValue::from_static("\"abc\""));
        r
    }

    async fn text(res: Response) -> (StatusCode, String) {
        let status = res.status();
        let body = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap_or_default();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn kept_until_the_store_is_written_and_conditional_requests_get_304() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| unreachable!("{e}"));
        let url = format!("sqlite://{}", dir.path().join("c.db").display());
        let store = Store::open(&url, rathaus_crypto::Key::generate())
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        let cache = PublicCache::default();
        let none = HeaderMap::new();
        let first = cache
            .get_or_render(&store, "k".into(), &none, || async { page("eins") })
            .await;
        assert_eq!(text(first).await, (StatusCode::OK, "eins".into()));
        // Kept: the renderer is not asked again.
        let kept = cache
            .get_or_render(&store, "k".into(), &none, || async { page("zwei") })
            .await;
        assert_eq!(kept.headers()[header::ETAG], "\"abc\"");
        assert_eq!(text(kept).await, (StatusCode::OK, "eins".into()));
        let mut conditional = HeaderMap::new();
        conditional.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"abc\""));
        let not_modified = cache
            .get_or_render(&store, "k".into(), &conditional, || async { page("zwei") })
            .await;
        assert_eq!(not_modified.status(), StatusCode::NOT_MODIFIED);
        // A write through the store makes the next request render anew; errors are never kept.
        store
            .ensure_municipality("cache-test", "Cache", "Europe/Berlin", 0)
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        let fresh = cache
            .get_or_render(&store, "k".into(), &none, || async { page("zwei") })
            .await;
        assert_eq!(text(fresh).await, (StatusCode::OK, "zwei".into()));
        let failed = cache
            .get_or_render(&store, "e".into(), &none, || async {
                StatusCode::SERVICE_UNAVAILABLE.into_response()
            })
            .await;
        assert_eq!(failed.status(), StatusCode::SERVICE_UNAVAILABLE);
        let after = cache
            .get_or_render(&store, "e".into(), &none, || async { page("drei") })
            .await;
        assert_eq!(text(after).await, (StatusCode::OK, "drei".into()));
    }
}
