//! Images handed to a platform by URL (Instagram fetches them itself): staged under an unguessable token for as long as publishing takes, then gone.
//!
//! Where they are kept is a [`MediaStage`]: in a deployment the hub's, in the database, so the web
//! server that Instagram reaches serves what a separate worker process staged; in this crate's
//! tests [`StagedMedia`], this process's memory. The web server serves them at
//! `{public_url}/medien/{token}` ([`url`]) without cookies; the Instagram adapter stages the images
//! before creating its containers and withdraws them right after `media_publish` (or when it gives
//! up). Whatever is left expires after [`DEFAULT_TTL`], so a crash never leaves an image reachable
//! for long.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use rand::RngCore as _;

use crate::publish::BoxFuture;

/// How long a staged image stays reachable at most.
pub const DEFAULT_TTL: Duration = Duration::from_secs(60 * 60);
/// The path prefix the web server serves staged images under.
pub const PATH_PREFIX: &str = "/medien/";

/// Keeps images reachable under a token while a platform fetches them.
pub trait MediaStage: Send + Sync {
    /// Stages an image for `ttl` under a new [`new_token`]; returns the token, or why it could not.
    fn stage<'a>(
        &'a self,
        bytes: Vec<u8>,
        mime: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<String, String>>;

    /// Makes the image unreachable at once (a failure is logged; the image still expires).
    fn withdraw<'a>(&'a self, token: &'a str) -> BoxFuture<'a, ()>;
}

/// A new token: 256 random bits, URL-safe base64 (43 characters).
pub fn new_token() -> String {
    let mut raw = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut raw);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

/// Whether `token` could be one [`new_token`] made (checked before looking it up).
pub fn plausible_token(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// One staged image.
#[derive(Clone)]
pub struct StagedImage {
    pub bytes: Arc<Vec<u8>>,
    pub mime: String,
    expires: Instant,
}

/// Images staged in this process's memory (tests of this crate, with [`crate::fake_networks`]).
#[derive(Default)]
pub struct StagedMedia {
    images: Mutex<HashMap<String, StagedImage>>,
}

impl std::fmt::Debug for StagedMedia {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StagedMedia").finish_non_exhaustive()
    }
}

/// The public URL of a staged image on the server at `public_url`.
pub fn url(public_url: &str, token: &str) -> String {
    format!("{}{PATH_PREFIX}{token}", public_url.trim_end_matches('/'))
}

impl StagedMedia {
    /// Stages an image for `ttl`; returns its token (256 random bits, URL-safe).
    pub fn stage(&self, bytes: Vec<u8>, mime: &str, ttl: Duration) -> String {
        let token = new_token();
        let now = Instant::now();
        let mut images = self.images.lock().unwrap_or_else(|e| e.into_inner());
        images.retain(|_, i| i.expires > now);
        images.insert(
            token.clone(),
            StagedImage {
                bytes: Arc::new(bytes),
                mime: mime.to_string(),
                expires: now + ttl,
            },
        );
        token
    }

    /// The image for `token`, unless it was withdrawn or has expired.
    pub fn get(&self, token: &str) -> Option<StagedImage> {
        let images = self.images.lock().unwrap_or_else(|e| e.into_inner());
        images
            .get(token)
            .filter(|i| i.expires > Instant::now())
            .cloned()
    }

    /// Makes the image unreachable at once.
    pub fn withdraw(&self, token: &str) {
        self.images
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(token);
    }
}

impl MediaStage for StagedMedia {
    fn stage<'a>(
        &'a self,
        bytes: Vec<u8>,
        mime: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<String, String>> {
        Box::pin(async move { Ok(StagedMedia::stage(self, bytes, mime, ttl)) })
    }

    fn withdraw<'a>(&'a self, token: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(async move { StagedMedia::withdraw(self, token) })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    #[test]
    fn staged_images_are_reachable_until_withdrawn_or_expired() {
        let store = StagedMedia::default();
        let a = store.stage(b"png".to_vec(), "image/png", DEFAULT_TTL);
        let b = store.stage(b"jpg".to_vec(), "image/jpeg", Duration::from_millis(0));
        assert_ne!(a, b);
        assert_eq!(a.len(), 43, "256 bits, base64url");
        assert!(
            plausible_token(&a)
                && !plausible_token("geraten")
                && !plausible_token(&format!("{}/", &a[1..]))
        );
        assert_eq!(
            url("https://rathaus.example/", &a),
            format!("https://rathaus.example/medien/{a}")
        );
        assert_eq!(store.get(&a).unwrap().bytes.as_slice(), b"png");
        assert!(store.get(&b).is_none(), "expired");
        assert!(store.get("guess").is_none());
        store.withdraw(&a);
        assert!(store.get(&a).is_none());
    }
}
