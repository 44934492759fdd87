//! Publishing to a Facebook page: `POST /{page-id}/feed` with the message, images first uploaded unpublished to `/{page-id}/photos` and attached; finding a post after a timeout; deletion.

use rathaus_domain::publishing::{fits, PublishKind};
use serde_json::{json, Value};

use super::graph::{Effect, Graph};
use super::{matches_recent, LOOKUP_LIMIT};
use crate::image_fit;
use crate::publish::multipart::Form;
use crate::publish::{
    BoxFuture, Capabilities, FacebookPageConfig, Lookup, OutgoingPost, PublishError, Publisher,
    RemotePost,
};

/// Largest photo Facebook takes for a page post.
pub const MAX_IMAGE_BYTES: usize = 4_000_000;
/// Graph's "duplicate status message" code.
const DUPLICATE_POST: i64 = 506;

/// One Facebook page (`[[municipality.facebook_page]]`).
#[derive(Clone)]
pub struct FacebookPageClient {
    graph: Graph,
    page_id: String,
}

impl std::fmt::Debug for FacebookPageClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FacebookPageClient")
            .field("api_base", &self.graph.api_base)
            .field("page_id", &self.page_id)
            .field("access_token", &"[redacted]")
            .finish()
    }
}

impl FacebookPageClient {
    pub fn new(config: &FacebookPageConfig, http: reqwest::Client) -> Self {
        FacebookPageClient {
            graph: Graph {
                http,
                api_base: config.api_base.clone(),
                api_version: config.api_version.clone(),
                token: config.access_token.clone(),
                platform: "Facebook",
            },
            page_id: config.page_id.clone(),
        }
    }

    fn remote(id: &str, permalink: Option<&str>) -> RemotePost {
        RemotePost {
            id: id.to_string(),
            url: Some(
                permalink
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("https://www.facebook.com/{id}")),
            ),
        }
    }

    /// What Facebook would refuse, found before sending.
    pub fn check(post: &OutgoingPost) -> Result<(), PublishError> {
        if let Err(exceeded) = fits(
            PublishKind::FacebookPage,
            &post.text,
            None,
            !post.images.is_empty(),
        ) {
            let m = exceeded[0];
            return Err(PublishError::permanent(
                format!("Facebook: Der Text ist zu lang ({})", m.describe_de()),
                format!("Facebook: the text is too long ({})", m.describe_en()),
            ));
        }
        let max = PublishKind::FacebookPage.max_images();
        if post.images.len() > max {
            return Err(PublishError::permanent(
                format!("Facebook: {} Bilder, höchstens {max}", post.images.len()),
                format!("Facebook: {} images, at most {max}", post.images.len()),
            ));
        }
        Ok(())
    }

    /// Uploads one image unpublished; returns its photo id for `attached_media`.
    async fn upload_photo(
        &self,
        image: &crate::publish::PostImage,
    ) -> Result<String, PublishError> {
        let image = image_fit::fit(image, MAX_IMAGE_BYTES)?;
        let file_name = if image.mime == "image/png" {
            "image.png"
        } else {
            "image.jpg"
        };
        let form = Form::new()
            .text("published", "false")
            .text("alt_text_custom", &image.alt)
            .file("source", file_name, &image.mime, &image.bytes);
        let v = self
            .graph
            .post_form(&format!("{}/photos", self.page_id), form, Effect::Safe)
            .await
            .map_err(|f| f.error)?;
        v["id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| PublishError::retryable("Facebook photos: answer without id"))
    }

    pub async fn publish(&self, post: &OutgoingPost) -> Result<RemotePost, PublishError> {
        Self::check(post)?;
        let mut media = Vec::with_capacity(post.images.len());
        for image in &post.images {
            media.push(json!({"media_fbid": self.upload_photo(image).await?}));
        }
        let mut body = json!({"message": post.text});
        if !media.is_empty() {
            body["attached_media"] = Value::Array(media);
        }
        match self
            .graph
            .post_json(&format!("{}/feed", self.page_id), &body, Effect::Creates)
            .await
        {
            Ok(v) => match v["id"].as_str() {
                Some(id) => Ok(Self::remote(id, None)),
                None => Err(PublishError::UnknownOutcome {
                    reason: "Facebook feed: answer without id".into(),
                }),
            },
            // "Duplicate status message": an earlier attempt got through.
            Err(f) if f.graph.as_ref().is_some_and(|g| g.code == DUPLICATE_POST) => {
                match self.find_existing(post).await? {
                    Lookup::Found(remote) => Ok(remote),
                    Lookup::NotFound => Err(f.error),
                }
            }
            Err(f) => Err(f.error),
        }
    }

    /// Looks through the page's newest posts for this text, created since the first attempt.
    pub async fn find_existing(&self, post: &OutgoingPost) -> Result<Lookup, PublishError> {
        let limit = LOOKUP_LIMIT.to_string();
        let v = self
            .graph
            .get(
                &format!("{}/published_posts", self.page_id),
                &[
                    ("fields", "id,message,created_time,permalink_url"),
                    ("limit", &limit),
                ],
            )
            .await
            .map_err(|f| f.error)?;
        let found = v["data"].as_array().and_then(|posts| {
            posts.iter().find(|p| {
                matches_recent(
                    &p["message"],
                    &p["created_time"],
                    &post.text,
                    post.first_attempt_at,
                )
            })
        });
        Ok(
            match found.and_then(|p| p["id"].as_str().map(|id| (id, p))) {
                Some((id, p)) => Lookup::Found(Self::remote(id, p["permalink_url"].as_str())),
                None => Lookup::NotFound,
            },
        )
    }

    /// Deletes a page post; one that is already gone counts as deleted.
    pub async fn delete(&self, remote: &RemotePost) -> Result<(), PublishError> {
        match self.graph.delete(&remote.id).await {
            Ok(_) => Ok(()),
            // code 100, subcode 33: the object does not exist (any more).
            Err(f)
                if f.graph
                    .as_ref()
                    .is_some_and(|g| g.code == 100 && g.error_subcode == Some(33)) =>
            {
                Ok(())
            }
            Err(f) => Err(f.error),
        }
    }
}

impl Publisher for FacebookPageClient {
    fn kind(&self) -> PublishKind {
        PublishKind::FacebookPage
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            idempotency_window_ms: None,
            lookup: true,
            edit: false,
            delete: true,
        }
    }

    fn publish<'a>(
        &'a self,
        post: &'a OutgoingPost,
    ) -> BoxFuture<'a, Result<RemotePost, PublishError>> {
        Box::pin(FacebookPageClient::publish(self, post))
    }

    fn find_existing<'a>(
        &'a self,
        post: &'a OutgoingPost,
    ) -> BoxFuture<'a, Result<Lookup, PublishError>> {
        Box::pin(FacebookPageClient::find_existing(self, post))
    }

    fn delete<'a>(&'a self, remote: &'a RemotePost) -> BoxFuture<'a, Result<(), PublishError>> {
        Box::pin(FacebookPageClient::delete(self, remote))
    }
}
