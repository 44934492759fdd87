//! The news as Atom 1.0 (RFC 4287, written with a small escaping writer) and JSON Feed 1.1, both with ETag, Last-Modified and 304.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::Extension;
use rathaus_domain::documents::html::escape;
use rathaus_hub::publishing::post_url;
use rathaus_hub::Tenant;
use rathaus_store::{NewsItem, PostImage};
use serde::Serialize;

use super::host::NewsHost;
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

/// Where a feed's links point: `{public_url}/{slug}` or, on the town's news host, `https://{news_host}`.
fn site_base(public_url: &str, slug: &str, site: Option<&NewsHost>) -> String {
    match site {
        Some(h) => h.base(),
        None => format!("{public_url}/{slug}"),
    }
}

/// The post's HTML with its images (absolute URLs under `site`, alt text kept).
fn content_html(site: &str, e: &Entry) -> String {
    let mut html = text_html(&e.item.post.text);
    for img in &e.images {
        html.push_str(&format!(
            "<p><img src=\"{site}/bilder/{}\" alt=\"{}\" width=\"{}\" height=\"{}\"></p>\n",
            img.id,
            escape(&img.alt),
            img.width,
            img.height
        ));
    }
    html
}

/// A feed from the public page cache, rendered by `render` when stale. On a news host the links point
/// there, so the host is part of the cache key.
async fn cached<Fut>(
    state: AppState,
    slug: String,
    site: Option<Extension<NewsHost>>,
    headers: &HeaderMap,
    file: &str,
    render: fn(AppState, String, Option<NewsHost>, HeaderMap) -> Fut,
) -> Response
where
    Fut: std::future::Future<Output = Response>,
{
    let (cache, store) = (state.public_cache.clone(), state.store.clone());
    let site = site.map(|Extension(s)| s);
    let key = format!(
        "{}/{slug}/{file}",
        site.as_ref().map(|s| s.host.as_str()).unwrap_or("")
    );
    cache
        .get_or_render(&store, key, headers, || {
            render(state, slug, site, HeaderMap::new())
        })
        .await
}

/// `GET /{slug}/feed.atom`
/// Through [`cached`].
pub async fn atom(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    site: Option<Extension<NewsHost>>,
    headers: HeaderMap,
) -> Response {
    cached(state, slug, site, &headers, "feed.atom", render_atom).await
}

async fn render_atom(
    state: AppState,
    slug: String,
    site: Option<NewsHost>,
    headers: HeaderMap,
) -> Response {
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
    // Ids stay the same on every host; links go to the host the feed was fetched from.
    let feed_id = format!("{base}/{slug}/");
    let site = site_base(base, slug, site.as_ref());
    let home = format!("{site}/");
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    x.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"de\">\n");
    x.push_str(&format!(
        "<id>{}</id>\n<title>Neuigkeiten aus {}</title>\n<updated>{}</updated>\n\
         <link rel=\"self\" type=\"application/atom+xml\" href=\"{}feed.atom\"/>\n\
         <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n<author><name>{}</name></author>\n",
        escape(&feed_id),
        escape(&t.settings.name),
        rfc3339(updated),
        escape(&home),
        escape(&home),
        escape(&t.settings.name)
    ));
    for e in &entries {
        let p = &e.item.post;
        let id = post_url(base, slug, p.id);
        let url = format!("{site}/beitrag/{}", p.id);
        x.push_str(&format!(
            "<entry xml:lang=\"{}\">\n<id>{}</id>\n<title>{}</title>\n<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n\
             <published>{}</published>\n<updated>{}</updated>\n<content type=\"html\">{}</content>\n</entry>\n",
            escape(if p.language.trim().is_empty() { "de" } else { p.language.trim() }),
            escape(&id),
            escape(&title_of(&p.text)),
            escape(&url),
            rfc3339(e.item.published_at),
            rfc3339(e.item.published_at.max(p.updated_at)),
            escape(&content_html(&site, e))
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
/// Through [`cached`].
pub async fn json(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    site: Option<Extension<NewsHost>>,
    headers: HeaderMap,
) -> Response {
    cached(state, slug, site, &headers, "feed.json", render_json).await
}

async fn render_json(
    state: AppState,
    slug: String,
    site: Option<NewsHost>,
    headers: HeaderMap,
) -> Response {
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
    let site = site_base(base, slug, site.as_ref());
    let image_url = |img: &PostImage| format!("{site}/bilder/{}", img.id);
    let feed = JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: format!("Neuigkeiten aus {}", t.settings.name),
        home_page_url: format!("{site}/"),
        feed_url: format!("{site}/feed.json"),
        language: "de",
        authors: vec![Author {
            name: t.settings.name.clone(),
        }],
        items: entries
            .iter()
            .map(|e| {
                let p = &e.item.post;
                JsonItem {
                    // The same id on every host; the link to the host the feed came from.
                    id: post_url(base, slug, p.id),
                    url: format!("{site}/beitrag/{}", p.id),
                    title: title_of(&p.text),
                    content_html: content_html(&site, e),
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
