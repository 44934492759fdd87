//! Publishing to Bluesky through the account's PDS: session reuse, image blobs with alt text, posts with byte-offset facets, finding a post that already landed, and deletion.
//!
//! A post's record key is derived from its idempotency key and first attempt time
//! ([`record::record_key`]), so however often a job is retried after a timeout, the post exists at
//! most once: every attempt first asks the PDS for that record and creates it only when it is
//! not there.

pub mod record;
mod session;

use std::collections::HashMap;

use rathaus_domain::publishing::{detect_facets, fits, FacetFeature, PublishKind};
use serde_json::{json, Value};

use self::record::{created_at_string, facets_json, post_record, record_key, POST_COLLECTION};
use self::session::{CallError, Login, Payload, Session};
use crate::image_fit;
use crate::publish::{
    BlueskyConfig, BoxFuture, Capabilities, Lookup, OutgoingPost, PublishError, Publisher,
    RemotePost,
};

pub const DEFAULT_PDS: &str = "https://bsky.social";
/// Where a post is shown on the web.
const WEB_BASE: &str = "https://bsky.app";
/// Largest blob the Bluesky app accepts for an image.
pub const MAX_IMAGE_BYTES: usize = 1_000_000;
/// How many of the newest records [`BlueskyClient::find_existing`] looks through.
const LOOKUP_RECORDS: &str = "50";

/// One Bluesky account (`[[municipality.bluesky]]`). Clones share the login.
#[derive(Clone)]
pub struct BlueskyClient {
    login: Login,
}

impl std::fmt::Debug for BlueskyClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlueskyClient")
            .field("pds", &self.login.pds)
            .field("identifier", &self.login.identifier)
            .field("app_password", &"[redacted]")
            .finish()
    }
}

/// The post's `createdAt`: the first attempt's time, so it is the same in every retry.
fn created_at(post: &OutgoingPost) -> jiff::Timestamp {
    jiff::Timestamp::from_millisecond(post.first_attempt_at).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

fn rkey_of(post: &OutgoingPost) -> String {
    record_key(created_at(post).as_microsecond(), &post.idempotency_key)
}

impl BlueskyClient {
    /// `pds`: the account's PDS (`https://bsky.social` for accounts hosted by Bluesky);
    /// `identifier`: the handle or DID; `app_password`: an app password, never the main one.
    pub fn new(
        http: reqwest::Client,
        pds: impl Into<String>,
        identifier: impl Into<String>,
        app_password: impl Into<String>,
    ) -> Self {
        BlueskyClient {
            login: Login::new(http, pds.into(), identifier.into(), app_password.into()),
        }
    }

    pub fn from_config(config: &BlueskyConfig, http: reqwest::Client) -> Self {
        Self::new(
            http,
            config.pds.clone(),
            config.handle.clone(),
            config.app_password.clone(),
        )
    }

    /// How many times this client has logged in (`createSession`); posts reuse the session.
    pub fn sessions_created(&self) -> u32 {
        self.login.sessions_created()
    }

    /// Makes the stored access token invalid, as if it had expired (tests of the refresh path).
    #[cfg(feature = "testing")]
    pub async fn spoil_access_token_for_tests(&self) {
        self.login.spoil_access_token().await;
    }

    /// What the PDS would refuse, found before sending: the text limits (300 graphemes, 3,000
    /// bytes), more than four images, an image without alt text.
    pub fn check(post: &OutgoingPost) -> Result<(), PublishError> {
        if let Err(exceeded) = fits(
            PublishKind::Bluesky,
            &post.text,
            None,
            !post.images.is_empty(),
        ) {
            let de: Vec<String> = exceeded.iter().map(|m| m.describe_de()).collect();
            let en: Vec<String> = exceeded.iter().map(|m| m.describe_en()).collect();
            return Err(PublishError::permanent(
                format!("Bluesky: Der Text ist zu lang ({})", de.join(", ")),
                format!("Bluesky: the text is too long ({})", en.join(", ")),
            ));
        }
        let max = PublishKind::Bluesky.max_images();
        if post.images.len() > max {
            return Err(PublishError::permanent(
                format!(
                    "Bluesky: {} Bilder, höchstens {max} pro Beitrag",
                    post.images.len()
                ),
                format!(
                    "Bluesky: {} images, at most {max} per post",
                    post.images.len()
                ),
            ));
        }
        if let Some(i) = post.images.iter().position(|i| i.alt.trim().is_empty()) {
            return Err(PublishError::permanent(
                format!("Bluesky: Bild {} hat keinen Alternativtext", i + 1),
                format!("Bluesky: image {} has no alt text", i + 1),
            ));
        }
        Ok(())
    }

    fn remote(session: &Session, uri: &str) -> RemotePost {
        let rkey = uri.rsplit('/').next().unwrap_or_default();
        let profile = if session.handle.is_empty() {
            &session.did
        } else {
            &session.handle
        };
        RemotePost {
            id: uri.to_string(),
            url: Some(format!("{WEB_BASE}/profile/{profile}/post/{rkey}")),
        }
    }

    async fn get_post(
        &self,
        session: &Session,
        rkey: &str,
    ) -> Result<Option<RemotePost>, PublishError> {
        let query = [
            ("repo", session.did.as_str()),
            ("collection", POST_COLLECTION),
            ("rkey", rkey),
        ];
        match self.login.query("com.atproto.repo.getRecord", &query).await {
            Ok(v) => match v["uri"].as_str() {
                Some(uri) if !uri.is_empty() => Ok(Some(Self::remote(session, uri))),
                _ => Err(PublishError::retryable(
                    "Bluesky getRecord: answer without uri",
                )),
            },
            Err(CallError::Xrpc { error, status, .. })
                if error == "RecordNotFound" || status == 404 =>
            {
                Ok(None)
            }
            Err(e) => Err(e.into_publish("getRecord")),
        }
    }

    /// Whether an earlier attempt created the post: the newest records (`listRecords`) are
    /// searched for its record key, or for its text with its `createdAt`.
    pub async fn find_existing(&self, post: &OutgoingPost) -> Result<Lookup, PublishError> {
        let session = self.login.session().await?;
        let rkey = rkey_of(post);
        let created = created_at_string(created_at(post));
        let v = self
            .login
            .query(
                "com.atproto.repo.listRecords",
                &[
                    ("repo", session.did.as_str()),
                    ("collection", POST_COLLECTION),
                    ("limit", LOOKUP_RECORDS),
                ],
            )
            .await
            .map_err(|e| e.into_publish("listRecords"))?;
        let found = v["records"].as_array().and_then(|records| {
            records.iter().find_map(|r| {
                let uri = r["uri"].as_str()?;
                let same_key = uri.rsplit('/').next() == Some(rkey.as_str());
                let same_post = r["value"]["text"].as_str() == Some(post.text.as_str())
                    && r["value"]["createdAt"].as_str() == Some(created.as_str());
                (same_key || same_post).then(|| Self::remote(&session, uri))
            })
        });
        Ok(found.map_or(Lookup::NotFound, Lookup::Found))
    }

    /// The DIDs of the handles mentioned in `text`; handles that do not resolve are left out.
    async fn resolve_mentions(&self, text: &str) -> HashMap<String, String> {
        let mut dids = HashMap::new();
        for facet in detect_facets(text) {
            if let FacetFeature::Mention { handle } = facet.feature {
                if dids.contains_key(&handle) {
                    continue;
                }
                if let Ok(v) = self
                    .login
                    .query("com.atproto.identity.resolveHandle", &[("handle", &handle)])
                    .await
                {
                    if let Some(did) = v["did"].as_str() {
                        dids.insert(handle, did.to_string());
                    }
                }
            }
        }
        dids
    }

    /// Publishes the post once: when an earlier attempt already created it, that post is returned.
    pub async fn publish(&self, post: &OutgoingPost) -> Result<RemotePost, PublishError> {
        Self::check(post)?;
        let session = self.login.session().await?;
        let rkey = rkey_of(post);
        if let Some(existing) = self.get_post(&session, &rkey).await? {
            return Ok(existing);
        }
        let mut images = Vec::with_capacity(post.images.len());
        for image in &post.images {
            let image = image_fit::fit(image, MAX_IMAGE_BYTES)?;
            let (v, _) = self
                .login
                .call(
                    "com.atproto.repo.uploadBlob",
                    Payload::Bytes {
                        body: &image.bytes,
                        mime: &image.mime,
                    },
                )
                .await
                .map_err(|e| e.into_publish("uploadBlob"))?;
            let blob = v.get("blob").cloned().ok_or_else(|| {
                PublishError::retryable("Bluesky uploadBlob: answer without blob")
            })?;
            images.push((blob, image.alt.clone()));
        }
        let dids = self.resolve_mentions(&post.text).await;
        let facets = facets_json(&post.text, &|h| dids.get(h).cloned());
        let record = post_record(
            &post.text,
            &post.language,
            &created_at_string(created_at(post)),
            facets,
            &images,
        );
        let body = json!({
            "repo": session.did,
            "collection": POST_COLLECTION,
            "rkey": rkey,
            "validate": true,
            "record": record,
        });
        match self
            .login
            .call("com.atproto.repo.createRecord", Payload::Json(&body))
            .await
        {
            Ok((v, s)) => match v["uri"].as_str() {
                Some(uri) if !uri.is_empty() => Ok(Self::remote(&s, uri)),
                _ => Err(PublishError::UnknownOutcome {
                    reason: "Bluesky createRecord: answer without uri".into(),
                }),
            },
            // Another attempt won the race for this record key: that is our post.
            Err(CallError::Xrpc {
                status: 400, send, ..
            }) => match self.get_post(&session, &rkey).await? {
                Some(existing) => Ok(existing),
                None => Err(send),
            },
            Err(e) => Err(e.into_publish("createRecord")),
        }
    }

    /// Deletes a post by its `at://` URI. A post that is already gone counts as deleted.
    pub async fn delete(&self, uri: &str) -> Result<(), PublishError> {
        let session = self.login.session().await?;
        let rkey = uri
            .strip_prefix("at://")
            .and_then(|rest| rest.strip_prefix(session.did.as_str()))
            .and_then(|rest| rest.strip_prefix(&format!("/{POST_COLLECTION}/")))
            .filter(|r| !r.is_empty() && !r.contains('/'))
            .ok_or_else(|| {
                PublishError::permanent(
                    format!("Bluesky: „{uri}“ ist kein Beitrag dieses Kontos"),
                    format!("Bluesky: '{uri}' is not a post of this account"),
                )
            })?;
        let body = json!({"repo": session.did, "collection": POST_COLLECTION, "rkey": rkey});
        self.login
            .call("com.atproto.repo.deleteRecord", Payload::Json(&body))
            .await
            .map(|_| ())
            .map_err(|e| e.into_publish("deleteRecord"))
    }

    /// A record as stored on the PDS (`getRecord` by `at://` URI), to check what was written.
    pub async fn read_record(&self, uri: &str) -> Result<Option<Value>, PublishError> {
        let parts: Vec<&str> = uri
            .strip_prefix("at://")
            .unwrap_or(uri)
            .splitn(3, '/')
            .collect();
        let [repo, collection, rkey] = parts.as_slice() else {
            return Err(PublishError::permanent(
                "Bluesky: keine Datensatz-URI",
                "Bluesky: not a record URI",
            ));
        };
        let query = [
            ("repo", *repo),
            ("collection", *collection),
            ("rkey", *rkey),
        ];
        match self.login.query("com.atproto.repo.getRecord", &query).await {
            Ok(v) => Ok(Some(v["value"].clone())),
            Err(CallError::Xrpc { error, status, .. })
                if error == "RecordNotFound" || status == 404 =>
            {
                Ok(None)
            }
            Err(e) => Err(e.into_publish("getRecord")),
        }
    }
}

impl Publisher for BlueskyClient {
    fn kind(&self) -> PublishKind {
        PublishKind::Bluesky
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            // The record key is fixed per post: repeating the call finds the post instead of
            // making a second one, however late.
            idempotency_window_ms: Some(10 * 365 * 24 * 60 * 60 * 1000),
            lookup: true,
            edit: false,
            delete: true,
        }
    }

    fn publish<'a>(
        &'a self,
        post: &'a OutgoingPost,
    ) -> BoxFuture<'a, Result<RemotePost, PublishError>> {
        Box::pin(BlueskyClient::publish(self, post))
    }

    fn find_existing<'a>(
        &'a self,
        post: &'a OutgoingPost,
    ) -> BoxFuture<'a, Result<Lookup, PublishError>> {
        Box::pin(BlueskyClient::find_existing(self, post))
    }

    fn delete<'a>(&'a self, remote: &'a RemotePost) -> BoxFuture<'a, Result<(), PublishError>> {
        Box::pin(BlueskyClient::delete(self, &remote.id))
    }
}
