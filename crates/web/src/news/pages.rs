//! The news list with search and pages (`/{slug}/?q=…&seite=2`), one page per post, and the posts' images.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use rathaus_domain::documents::html::escape;
use rathaus_domain::publishing::text::find_links;
use rathaus_hub::Tenant;
use rathaus_store::{NewsItem, PostImage};
use serde::Deserialize;

use super::{
    html_response, internal_error, not_found, shell, tenant, time_element, title_of, unknown_town,
    PAGE_SIZE,
};
use crate::AppState;

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    seite: Option<String>,
}

/// Text as paragraphs (blank lines) with line breaks, links made clickable; everything escaped.
pub(super) fn text_html(text: &str) -> String {
    let mut out = String::new();
    for para in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        out.push_str("<p>");
        let mut last = 0;
        for r in find_links(para) {
            out.push_str(&escape(&para[last..r.start]).replace('\n', "<br>\n"));
            let url = &para[r.clone()];
            out.push_str(&format!("<a href=\"{0}\">{0}</a>", escape(url)));
            last = r.end;
        }
        out.push_str(&escape(&para[last..]).replace('\n', "<br>\n"));
        out.push_str("</p>\n");
    }
    out
}

fn lang_attr(lang: &str) -> String {
    let lang = lang.trim();
    if lang.is_empty() || lang.eq_ignore_ascii_case("de") {
        String::new()
    } else {
        format!(" lang=\"{}\"", escape(lang))
    }
}

fn image_html(tenant: &Tenant, img: &PostImage) -> String {
    format!(
        "<img src=\"/{}/bilder/{}\" alt=\"{}\" width=\"{}\" height=\"{}\">",
        escape(&tenant.row.slug),
        img.id,
        escape(&img.alt),
        img.width,
        img.height
    )
}

fn page_href(slug: &str, q: &str, page: i64) -> String {
    let mut href = format!("/{}/", escape(slug));
    let mut params = Vec::new();
    if !q.is_empty() {
        params.push(format!("q={}", escape(&form_encode(q))));
    }
    if page > 1 {
        params.push(format!("seite={page}"));
    }
    if !params.is_empty() {
        href.push('?');
        href.push_str(&params.join("&amp;"));
    }
    href
}

/// `application/x-www-form-urlencoded` for a query value.
pub(super) fn form_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `GET /{slug}/`: published posts, newest first (kept rendered in the [`super::cache`]).
pub async fn list(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    path: Path<String>,
    query: Query<ListQuery>,
) -> Response {
    let (cache, store) = (state.public_cache.clone(), state.store.clone());
    cache
        .get_or_render(&store, uri.to_string(), &headers, || {
            render_list(state, path, query)
        })
        .await
}

async fn render_list(
    state: AppState,
    Path(slug): Path<String>,
    Query(q): Query<ListQuery>,
) -> Response {
    let registry = state.registry.current();
    let Some(t) = tenant(&registry, &slug) else {
        return unknown_town();
    };
    let query = q.q.as_deref().unwrap_or("").trim().to_string();
    let page = q
        .seite
        .as_deref()
        .and_then(|s| s.parse::<i64>().ok())
        .filter(|p| (1..=100_000).contains(p))
        .unwrap_or(1);
    let search = (!query.is_empty()).then_some(query.as_str());
    let (items, total) = match state
        .store
        .news_page(t.row.id, search, PAGE_SIZE, (page - 1) * PAGE_SIZE)
        .await
    {
        Ok(r) => r,
        Err(e) => return internal_error(&e),
    };
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let s = &t.row.slug;
    let mut m = format!(
        "<h1>Neuigkeiten aus {}</h1>\n\
         <form class=\"search\" role=\"search\" method=\"get\" action=\"/{}/\">\
         <label for=\"q\">Beiträge durchsuchen</label> \
         <input id=\"q\" name=\"q\" type=\"search\" value=\"{}\"> \
         <button type=\"submit\">Suchen</button></form>\n",
        escape(&t.settings.name),
        escape(s),
        escape(&query)
    );
    if search.is_some() {
        m.push_str(&format!(
            "<p role=\"status\">{} zu „{}“. <a href=\"/{}/\">Alle Beiträge</a></p>\n",
            match total {
                0 => "Keine Beiträge gefunden".to_string(),
                1 => "1 Beitrag gefunden".to_string(),
                n => format!("{n} Beiträge gefunden"),
            },
            escape(&query),
            escape(s)
        ));
    } else if total == 0 {
        m.push_str("<p>Noch keine Beiträge.</p>\n");
    }
    for item in &items {
        m.push_str(&teaser(&state, t, item).await);
    }
    if pages > 1 {
        m.push_str("<nav class=\"pages\" aria-label=\"Seiten\"><ul>");
        if page > 1 {
            m.push_str(&format!(
                "<li><a href=\"{}\" rel=\"prev\">Neuere Beiträge</a></li>",
                page_href(s, &query, page - 1)
            ));
        }
        m.push_str(&format!(
            "<li aria-current=\"page\">Seite {page} von {pages}</li>"
        ));
        if page < pages {
            m.push_str(&format!(
                "<li><a href=\"{}\" rel=\"next\">Ältere Beiträge</a></li>",
                page_href(s, &query, page + 1)
            ));
        }
        m.push_str("</ul></nav>\n");
    }
    let title = if page > 1 {
        format!("Neuigkeiten – Seite {page}")
    } else {
        "Neuigkeiten".to_string()
    };
    html_response(StatusCode::OK, shell(Some(t), &title, &m))
}

/// One post in the list: title as link, time, text, first image.
async fn teaser(state: &AppState, t: &Tenant, item: &NewsItem) -> String {
    let p = &item.post;
    let images = state.store.post_images(p.id).await.unwrap_or_default();
    let mut h = format!(
        "<article class=\"teaser\"{}>\n<h2><a href=\"/{}/beitrag/{}\">{}</a></h2>\n<p class=\"meta\">{}</p>\n",
        lang_attr(&p.language),
        escape(&t.row.slug),
        p.id,
        escape(&title_of(&p.text)),
        time_element(t, item.published_at)
    );
    if let Some(img) = images.first() {
        h.push_str(&format!("<p class=\"image\">{}</p>\n", image_html(t, img)));
    }
    h.push_str(&text_html(&p.text));
    h.push_str("</article>\n");
    h
}

/// `GET /{slug}/beitrag/{id}`: the post with all its images (kept rendered in the [`super::cache`]).
pub async fn post(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    path: Path<(String, String)>,
) -> Response {
    let (cache, store) = (state.public_cache.clone(), state.store.clone());
    cache
        .get_or_render(&store, uri.path().to_string(), &headers, || {
            render_post(state, path)
        })
        .await
}

async fn render_post(state: AppState, Path((slug, id)): Path<(String, String)>) -> Response {
    let registry = state.registry.current();
    let Some(t) = tenant(&registry, &slug) else {
        return unknown_town();
    };
    let Ok(id) = id.parse::<i64>() else {
        return not_found(t);
    };
    let item = match state.store.news_item(t.row.id, id).await {
        Ok(Some(i)) => i,
        Ok(None) => return not_found(t),
        Err(e) => return internal_error(&e),
    };
    let images = match state.store.post_images(id).await {
        Ok(i) => i,
        Err(e) => return internal_error(&e),
    };
    let p = &item.post;
    let title = title_of(&p.text);
    let mut m = format!(
        "<article class=\"post\"{}>\n<h1>{}</h1>\n<p class=\"meta\">Veröffentlicht am {}</p>\n{}",
        lang_attr(&p.language),
        escape(&title),
        time_element(t, item.published_at),
        text_html(&p.text)
    );
    for img in &images {
        m.push_str(&format!("<figure>{}</figure>\n", image_html(t, img)));
    }
    m.push_str(&format!(
        "</article>\n<p><a href=\"/{}/\">Alle Neuigkeiten</a></p>\n",
        escape(&t.row.slug)
    ));
    html_response(StatusCode::OK, shell(Some(t), &title, &m))
}

/// `GET /{slug}/bilder/{id}`: an image of a published post. Its bytes never change, so it may be
/// cached for a year.
pub async fn image(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
) -> Response {
    let registry = state.registry.current();
    let Some(t) = tenant(&registry, &slug) else {
        return unknown_town();
    };
    let Ok(id) = id.parse::<i64>() else {
        return not_found(t);
    };
    match state.store.public_post_image(t.row.id, id).await {
        Ok(Some((mime, bytes))) => {
            let mut res = bytes.into_response();
            let h = res.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&mime) {
                h.insert(header::CONTENT_TYPE, v);
            }
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            );
            res
        }
        Ok(None) => (
            StatusCode::NOT_FOUND,
            "Bild nicht gefunden. / Image not found.",
        )
            .into_response(),
        Err(e) => internal_error(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_split_into_paragraphs_and_links_are_clickable() {
        let html = text_html(
            "Fest <b>heute</b>!\nAb 14 Uhr\n\nInfos: https://musterstadt.de/fest?a=1&b=2 danke",
        );
        assert_eq!(
            html,
            "<p>Fest &lt;b&gt;heute&lt;/b&gt;!<br>\nAb 14 Uhr</p>\n\
             <p>Infos: <a href=\"https://musterstadt.de/fest?a=1&amp;b=2\">https://musterstadt.de/fest?a=1&amp;b=2</a> danke</p>\n"
        );
        assert_eq!(form_encode("Straße & Weg"), "Stra%C3%9Fe+%26+Weg");
        assert_eq!(page_href("m", "a b", 2), "/m/?q=a+b&amp;seite=2");
        assert_eq!(page_href("m", "", 1), "/m/");
    }
}
