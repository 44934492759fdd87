//! The news as Atom 1.0 (RFC 4287, written with a small escaping writer) and JSON Feed 1.1, both with ETag, Last-Modified and 304.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use rathaus_domain::documents::html::escape;
use rathaus_hub::publishing::post_url;
use rathaus_hub::Tenant;
use rathaus_store::{NewsItem, PostImage};
use serde::Serialize;

use super::pages::text_html;
use super::{conditional, internal_error, tenant, timestamp, title_of, unknown_town};
use crate::AppState;

/// Entries in each feed.
const FEED_ENTRIES: i64 = 50;

struct Entry {
    item: NewsItem,
    images: Vec<PostImage>,
}

async fn entries(state: &AppState, t: &Tenant) -> Result<Vec<Entry>, Response> {
    let (items, _) = state
        .store
        .news_page(t.row.id, None, FEED_ENTRIES, 0)
        .await
        .map_err(|e| internal_error(&e))?;
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let images = state
            .store
            .post_images(item.post.id)
            .await
            .map_err(|e| internal_error(&e))?;
        out.push(Entry { item, images });
    }
    Ok(out)
}

/// Newest change among the entries (publication, or later edits of the post).
fn last_modified(entries: &[Entry]) -> i64 {
    entries
        .iter()
        .map(|e| e.item.published_at.max(e.item.post.updated_at))
        .max()
        .unwrap_or(0)
}

fn rfc3339(ms: i64) -> String {
    timestamp(ms).to_string()
}

/// The post's HTML with its images (absolute URLs, alt text kept).
fn content_html(base: &str, slug: &str, e: &Entry) -> String {
    let mut html = text_html(&e.item.post.text);
    for img in &e.images {
        html.push_str(&format!(
            "<p><img src=\"{base}/{}/bilder/{}\" alt=\"{}\" width=\"{}\" height=\"{}\"></p>\n",
            escape(slug),
            img.id,
            escape(&img.alt),
            img.width,
            img.height
        ));
    }
    html
}

/// `GET /{slug}/feed.atom`
pub async fn atom(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Response {
    let (cache, store) = (state.public_cache.clone(), state.store.clone());
    let key = format!("/{slug}/feed.atom");
    cache
        .get_or_render(&store, key, &headers, || {
            render_atom(state, slug, HeaderMap::new())
        })
        .await
}

async fn render_atom(state: AppState, slug: String, headers: HeaderMap) -> Response {
    let registry = state.registry.current();
    let Some(t) = tenant(&registry, &slug) else {
        return unknown_town();
    };
    let entries = match entries(&state, t).await {
        Ok(e) => e,
        Err(r) => return r,
    };
    let base = &registry.public_url;
    let slug = &t.row.slug;
    let updated = last_modified(&entries);
    let home = format!("{base}/{slug}/");
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    x.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"de\">\n");
    x.push_str(&format!(
        "<id>{}</id>\n<title>Neuigkeiten aus {}</title>\n<updated>{}</updated>\n\
         <link rel=\"self\" type=\"application/atom+xml\" href=\"{}feed.atom\"/>\n\
         <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n<author><name>{}</name></author>\n",
        escape(&home),
        escape(&t.settings.name),
        rfc3339(updated),
        escape(&home),
        escape(&home),
        escape(&t.settings.name)
    ));
    for e in &entries {
        let p = &e.item.post;
        let url = post_url(base, slug, p.id);
        x.push_str(&format!(
            "<entry xml:lang=\"{}\">\n<id>{}</id>\n<title>{}</title>\n<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n\
             <published>{}</published>\n<updated>{}</updated>\n<content type=\"html\">{}</content>\n</entry>\n",
            escape(if p.language.trim().is_empty() { "de" } else { p.language.trim() }),
            escape(&url),
            escape(&title_of(&p.text)),
            escape(&url),
            rfc3339(e.item.published_at),
            rfc3339(e.item.published_at.max(p.updated_at)),
            escape(&content_html(base, slug, e))
        ));
    }
    x.push_str("</feed>\n");
    conditional(&headers, "application/atom+xml; charset=utf-8", x, updated)
}

#[derive(Serialize)]
struct JsonFeed {
    version: &'static str,
    title: String,
    home_page_url: String,
    feed_url: String,
    language: &'static str,
    authors: Vec<Author>,
    items: Vec<JsonItem>,
}

#[derive(Serialize)]
struct Author {
    name: String,
}

#[derive(Serialize)]
struct JsonItem {
    id: String,
    url: String,
    title: String,
    content_html: String,
    content_text: String,
    date_published: String,
    date_modified: String,
    language: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attachments: Vec<Attachment>,
}

#[derive(Serialize)]
struct Attachment {
    url: String,
    mime_type: String,
    /// The alt text (JSON Feed has no own field for it; `title` is the closest).
    title: String,
    size_in_bytes: i64,
}

/// `GET /{slug}/feed.json`
pub async fn json(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Response {
    let (cache, store) = (state.public_cache.clone(), state.store.clone());
    let key = format!("/{slug}/feed.json");
    cache
        .get_or_render(&store, key, &headers, || {
            render_json(state, slug, HeaderMap::new())
        })
        .await
}

async fn render_json(state: AppState, slug: String, headers: HeaderMap) -> Response {
    let registry = state.registry.current();
    let Some(t) = tenant(&registry, &slug) else {
        return unknown_town();
    };
    let entries = match entries(&state, t).await {
        Ok(e) => e,
        Err(r) => return r,
    };
    let base = &registry.public_url;
    let slug = &t.row.slug;
    let image_url = |img: &PostImage| format!("{base}/{slug}/bilder/{}", img.id);
    let feed = JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: format!("Neuigkeiten aus {}", t.settings.name),
        home_page_url: format!("{base}/{slug}/"),
        feed_url: format!("{base}/{slug}/feed.json"),
        language: "de",
        authors: vec![Author {
            name: t.settings.name.clone(),
        }],
        items: entries
            .iter()
            .map(|e| {
                let p = &e.item.post;
                JsonItem {
                    id: post_url(base, slug, p.id),
                    url: post_url(base, slug, p.id),
                    title: title_of(&p.text),
                    content_html: content_html(base, slug, e),
                    content_text: p.text.clone(),
                    date_published: rfc3339(e.item.published_at),
                    date_modified: rfc3339(e.item.published_at.max(p.updated_at)),
                    language: if p.language.trim().is_empty() {
                        "de".into()
                    } else {
                        p.language.trim().to_string()
                    },
                    image: e.images.first().map(image_url),
                    attachments: e
                        .images
                        .iter()
                        .map(|img| Attachment {
                            url: image_url(img),
                            mime_type: img.mime.clone(),
                            title: img.alt.clone(),
                            size_in_bytes: img.bytes_len,
                        })
                        .collect(),
                }
            })
            .collect(),
    };
    let body = serde_json::to_string_pretty(&feed).unwrap_or_default();
    conditional(
        &headers,
        "application/feed+json; charset=utf-8",
        body,
        last_modified(&entries),
    )
}
