//! Images of posts: the re-encoded bytes, alt text and size, attached to a post when it is composed.

use crate::db::{read, write_tx};
use crate::posts::WEBSITE_CHANNEL;
use crate::{Result, Store};

/// An image as the composer and the pages need it (without the bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostImage {
    pub id: i64,
    pub post_id: Option<i64>,
    pub position: i64,
    pub alt: String,
    pub mime: String,
    pub width: i64,
    pub height: i64,
    pub bytes_len: i64,
}

/// A re-encoded upload.
#[derive(Debug, Clone)]
pub struct NewPostImage<'a> {
    pub municipality_id: i64,
    pub uploaded_by: i64,
    pub mime: &'a str,
    pub width: u32,
    pub height: u32,
    pub bytes: &'a [u8],
    pub alt: &'a str,
}

const IMAGE_COLUMNS: &str = "id, post_id, position, alt, mime, width, height, bytes_len";

type ImageRow = (i64, Option<i64>, i64, String, String, i64, i64, i64);

fn image_from_row(r: ImageRow) -> PostImage {
    PostImage {
        id: r.0,
        post_id: r.1,
        position: r.2,
        alt: r.3,
        mime: r.4,
        width: r.5,
        height: r.6,
        bytes_len: r.7,
    }
}

impl Store {
    /// Stores an upload, not yet attached to a post.
    pub async fn insert_post_image(&self, img: &NewPostImage<'_>, now: i64) -> Result<i64> {
        Ok(write_tx!(self, |tx| {
            sqlx::query_scalar(
                "INSERT INTO post_images (municipality_id, uploaded_by, alt, mime, width, height, bytes, bytes_len, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(img.municipality_id)
            .bind(img.uploaded_by)
            .bind(img.alt.trim())
            .bind(img.mime)
            .bind(i64::from(img.width))
            .bind(i64::from(img.height))
            .bind(img.bytes)
            .bind(i64::try_from(img.bytes.len()).unwrap_or(i64::MAX))
            .bind(now)
            .fetch_one(&mut *tx)
            .await?
        }))
    }

    /// Sets the alt text of an image that is not attached yet or belongs to a draft. False when there
    /// is no such image or its post has moved past draft (changing it then would change approved content).
    pub async fn set_post_image_alt(
        &self,
        municipality_id: i64,
        id: i64,
        alt: &str,
    ) -> Result<bool> {
        let n = write_tx!(self, |tx| {
            sqlx::query(
                "UPDATE post_images SET alt = $1 WHERE id = $2 AND municipality_id = $3 AND (post_id IS NULL \
                 OR post_id IN (SELECT id FROM posts WHERE status = 'draft'))",
            )
            .bind(alt.trim())
            .bind(id)
            .bind(municipality_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
        });
        Ok(n == 1)
    }

    /// The municipality's images with these ids (any order; missing ids are left out).
    pub async fn post_images_by_id(
        &self,
        municipality_id: i64,
        ids: &[i64],
    ) -> Result<Vec<PostImage>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let row: Option<ImageRow> = read!(self.db(), |ex| {
                sqlx::query_as(&format!(
                    "SELECT {IMAGE_COLUMNS} FROM post_images WHERE id = $1 AND municipality_id = $2"
                ))
                .bind(id)
                .bind(municipality_id)
                .fetch_optional(ex)
                .await?
            });
            out.extend(row.map(image_from_row));
        }
        Ok(out)
    }

    /// A post's images in their order.
    pub async fn post_images(&self, post_id: i64) -> Result<Vec<PostImage>> {
        let rows: Vec<ImageRow> = read!(self.db(), |ex| {
            sqlx::query_as(&format!(
                "SELECT {IMAGE_COLUMNS} FROM post_images WHERE post_id = $1 ORDER BY position, id"
            ))
            .bind(post_id)
            .fetch_all(ex)
            .await?
        });
        Ok(rows.into_iter().map(image_from_row).collect())
    }

    /// The bytes and type of an image, but only once its post is on the town's news page.
    pub async fn public_post_image(
        &self,
        municipality_id: i64,
        id: i64,
    ) -> Result<Option<(String, Vec<u8>)>> {
        Ok(read!(self.db(), |ex| {
            sqlx::query_as(
                "SELECT i.mime, i.bytes FROM post_images i \
                 JOIN post_publications w ON w.post_id = i.post_id AND w.channel = $3 AND w.status = 'published' \
                 WHERE i.id = $1 AND i.municipality_id = $2",
            )
            .bind(id)
            .bind(municipality_id)
            .bind(WEBSITE_CHANNEL)
            .fetch_optional(ex)
            .await?
        }))
    }
}
