//! Publishing to an Instagram professional account: a media container per image (`POST /{ig-user-id}/media` with `image_url`, `caption`, `alt_text`), a carousel container for several, then `media_publish`.
//!
//! Instagram fetches each image itself, so the images are staged at an unguessable public URL of
//! this server ([`crate::staging`], a [`MediaStage`] every process of the deployment can serve from)
//! and withdrawn as soon as the post is published or given up.

use std::sync::Arc;
use std::time::Duration;

use rathaus_domain::publishing::{fits, PublishKind};
use serde_json::{json, Value};

use super::graph::{Effect, Graph};
use super::{matches_recent, LOOKUP_LIMIT};
use crate::image_fit;
use crate::publish::{
    BoxFuture, Capabilities, InstagramConfig, Lookup, OutgoingPost, PublishError, Publisher,
    RemotePost,
};
use crate::staging::{self, MediaStage, DEFAULT_TTL};

/// Largest image Instagram takes (JPEG only).
pub const MAX_IMAGE_BYTES: usize = 8 * 1024 * 1024;

/// One Instagram professional account (`[[municipality.instagram]]`).
#[derive(Clone)]
pub struct InstagramClient {
    graph: Graph,
    user_id: String,
    staging: Arc<dyn MediaStage>,
    /// This server's public address, where Instagram fetches the staged images.
    public_url: String,
    poll_interval: Duration,
    max_polls: u32,
}

impl std::fmt::Debug for InstagramClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InstagramClient")
            .field("api_base", &self.graph.api_base)
            .field("user_id", &self.user_id)
            .field("access_token", &"[redacted]")
            .finish()
    }
}

impl InstagramClient {
    pub fn new(
        config: &InstagramConfig,
        http: reqwest::Client,
        staging: Arc<dyn MediaStage>,
        public_url: &str,
    ) -> Self {
        InstagramClient {
            graph: Graph {
                http,
                api_base: config.api_base.clone(),
                api_version: config.api_version.clone(),
                token: config.access_token.clone(),
                platform: "Instagram",
            },
            user_id: config.user_id.clone(),
            staging,
            public_url: public_url.trim_end_matches('/').to_string(),
            poll_interval: Duration::from_secs(2),
            max_polls: 30,
        }
    }

    /// How often and how long to wait for a container to be ready (tests wait less).
    pub fn with_polling(mut self, interval: Duration, max_polls: u32) -> Self {
        self.poll_interval = interval;
        self.max_polls = max_polls.max(1);
        self
    }

    /// What Instagram would refuse, found before sending: no image, more than ten, the caption limits.
    pub fn check(post: &OutgoingPost) -> Result<(), PublishError> {
        if post.images.is_empty() {
            return Err(PublishError::permanent(
                "Instagram: Ein Beitrag braucht mindestens ein Bild",
                "Instagram: a post needs at least one image",
            ));
        }
        let max = PublishKind::Instagram.max_images();
        if post.images.len() > max {
            return Err(PublishError::permanent(
                format!("Instagram: {} Bilder, höchstens {max}", post.images.len()),
                format!("Instagram: {} images, at most {max}", post.images.len()),
            ));
        }
        if let Err(exceeded) = fits(PublishKind::Instagram, &post.text, None, true) {
            let de: Vec<String> = exceeded.iter().map(|m| m.describe_de()).collect();
            let en: Vec<String> = exceeded.iter().map(|m| m.describe_en()).collect();
            return Err(PublishError::permanent(
                format!(
                    "Instagram: Die Bildunterschrift ist zu lang ({})",
                    de.join(", ")
                ),
                format!("Instagram: the caption is too long ({})", en.join(", ")),
            ));
        }
        Ok(())
    }

    async fn create_container(&self, body: &Value) -> Result<String, PublishError> {
        let v = self
            .graph
            .post_json(&format!("{}/media", self.user_id), body, Effect::Safe)
            .await
            .map_err(|f| f.error)?;
        v["id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| PublishError::retryable("Instagram media: answer without id"))
    }

    /// Waits until the container is `FINISHED`; `ERROR`/`EXPIRED` end the attempt.
    async fn wait_until_ready(&self, container: &str) -> Result<(), PublishError> {
        for attempt in 0..self.max_polls {
            if attempt > 0 {
                tokio::time::sleep(self.poll_interval).await;
            }
            let v = self
                .graph
                .get(container, &[("fields", "status_code,status")])
                .await
                .map_err(|f| f.error)?;
            match v["status_code"].as_str().unwrap_or_default() {
                "FINISHED" => return Ok(()),
                "IN_PROGRESS" => continue,
                "ERROR" | "EXPIRED" => {
                    let status = v["status"].as_str().unwrap_or_default();
                    return Err(PublishError::permanent(
                        format!("Instagram konnte das Bild nicht verarbeiten: {status}"),
                        format!("Instagram could not process the image: {status}"),
                    ));
                }
                other => {
                    return Err(PublishError::retryable(format!(
                        "Instagram container: unexpected status '{other}'"
                    )))
                }
            }
        }
        Err(PublishError::retryable(
            "Instagram is still processing the images; trying again later",
        ))
    }

    pub async fn publish(&self, post: &OutgoingPost) -> Result<RemotePost, PublishError> {
        Self::check(post)?;
        if !(self.public_url.starts_with("https://") || self.public_url.starts_with("http://")) {
            return Err(PublishError::permanent(
                "Instagram holt die Bilder bei Rathaus ab: public_url muss gesetzt sein",
                "Instagram fetches the images from Rathaus: public_url must be set",
            ));
        }
        let mut tokens = Vec::with_capacity(post.images.len());
        let published = self.stage_and_publish(post, &mut tokens).await;
        // Published or given up: the images are no longer reachable (a crash leaves them to expire).
        for token in &tokens {
            self.staging.withdraw(token).await;
        }
        let published = published?;
        let media_id = published["id"]
            .as_str()
            .ok_or_else(|| PublishError::UnknownOutcome {
                reason: "Instagram media_publish: answer without id".into(),
            })?;
        let permalink = self
            .graph
            .get(media_id, &[("fields", "permalink")])
            .await
            .ok()
            .and_then(|v| v["permalink"].as_str().map(str::to_string));
        Ok(RemotePost {
            id: media_id.to_string(),
            url: permalink,
        })
    }

    /// Stages the images (their tokens go to `tokens` at once, so they are withdrawn whatever
    /// happens), creates the containers and publishes them; returns `media_publish`'s answer.
    async fn stage_and_publish(
        &self,
        post: &OutgoingPost,
        tokens: &mut Vec<String>,
    ) -> Result<Value, PublishError> {
        let mut urls = Vec::with_capacity(post.images.len());
        for image in &post.images {
            let jpeg = image_fit::fit_jpeg(image, MAX_IMAGE_BYTES)?;
            let token = self
                .staging
                .stage(jpeg.bytes.clone(), "image/jpeg", DEFAULT_TTL)
                .await
                .map_err(|e| {
                    PublishError::retryable(format!(
                        "Instagram: could not stage the image for fetching: {e}"
                    ))
                })?;
            let url = staging::url(&self.public_url, &token);
            tokens.push(token);
            urls.push((url, image.alt.clone()));
        }
        let container = if let [(url, alt)] = urls.as_slice() {
            self.create_container(&json!({"image_url": url, "caption": post.text, "alt_text": alt}))
                .await?
        } else {
            let mut children = Vec::with_capacity(urls.len());
            for (url, alt) in &urls {
                children.push(
                    self.create_container(
                        &json!({"image_url": url, "is_carousel_item": true, "alt_text": alt}),
                    )
                    .await?,
                );
            }
            for child in &children {
                self.wait_until_ready(child).await?;
            }
            self.create_container(&json!({
                "media_type": "CAROUSEL",
                "children": children.join(","),
                "caption": post.text,
            }))
            .await?
        };
        self.wait_until_ready(&container).await?;
        self.graph
            .post_json(
                &format!("{}/media_publish", self.user_id),
                &json!({"creation_id": container}),
                Effect::Creates,
            )
            .await
            .map_err(|f| f.error)
    }

    /// Looks through the account's newest media for this caption, posted since the first attempt.
    pub async fn find_existing(&self, post: &OutgoingPost) -> Result<Lookup, PublishError> {
        let limit = LOOKUP_LIMIT.to_string();
        let v = self
            .graph
            .get(
                &format!("{}/media", self.user_id),
                &[
                    ("fields", "id,caption,timestamp,permalink"),
                    ("limit", &limit),
                ],
            )
            .await
            .map_err(|f| f.error)?;
        let found = v["data"].as_array().and_then(|media| {
            media.iter().find(|m| {
                matches_recent(
                    &m["caption"],
                    &m["timestamp"],
                    &post.text,
                    post.first_attempt_at,
                )
            })
        });
        Ok(
            match found.and_then(|m| m["id"].as_str().map(|id| (id, m))) {
                Some((id, m)) => Lookup::Found(RemotePost {
                    id: id.to_string(),
                    url: m["permalink"].as_str().map(str::to_string),
                }),
                None => Lookup::NotFound,
            },
        )
    }
}

impl Publisher for InstagramClient {
    fn kind(&self) -> PublishKind {
        PublishKind::Instagram
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            idempotency_window_ms: None,
            lookup: true,
            edit: false,
            delete: false,
        }
    }

    fn publish<'a>(
        &'a self,
        post: &'a OutgoingPost,
    ) -> BoxFuture<'a, Result<RemotePost, PublishError>> {
        Box::pin(InstagramClient::publish(self, post))
    }

    fn find_existing<'a>(
        &'a self,
        post: &'a OutgoingPost,
    ) -> BoxFuture<'a, Result<Lookup, PublishError>> {
        Box::pin(InstagramClient::find_existing(self, post))
    }

    fn delete<'a>(&'a self, remote: &'a RemotePost) -> BoxFuture<'a, Result<(), PublishError>> {
        let _ = remote;
        Box::pin(async {
            Err(PublishError::Unsupported {
                message: "Instagram erlaubt das Löschen über die Schnittstelle nicht – bitte in der Instagram-App löschen / Instagram does not allow deleting through its API — delete the post in the Instagram app".into(),
            })
        })
    }
}
