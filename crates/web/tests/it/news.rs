//! The town's public news pages: list, search, pages, post page, feeds with conditional GET, channel directory, legal pages — no cookies, nothing from other hosts, axe-clean.

use std::collections::BTreeMap;

use rathaus_store::{now_ms, NewPost, Role, WEBSITE_CHANNEL};
use serde_json::Value;

use crate::browser::{assert_clean, audit, e2e_dir};
use crate::harness::App;
use crate::publishing::{jpeg_with_exif, publish, send, start_publishing, upload};

/// Two posts through the API (one with an image) and returns (image post, text post, image id).
async fn two_posts(app: &App) -> (i64, i64, i64) {
    let author = app
        .api_token(app.a, "redaktion@musterstadt.de", Role::Editor)
        .await;
    let reviewer = app
        .api_token(app.a, "pressestelle@musterstadt.de", Role::Editor)
        .await;
    let (_, img) = upload(
        app,
        &author,
        jpeg_with_exif(),
        "image/jpeg",
        "Festzelt%20auf%20dem%20Marktplatz",
    )
    .await;
    let image = img["id"].as_i64().unwrap();
    let first = publish(app, &author, &reviewer, "Stadtfest am Samstag\n\nAb 14 Uhr auf dem Marktplatz. Infos: https://musterstadt.example/fest", &[image]).await;
    let second = publish(
        app,
        &author,
        &reviewer,
        "Straßensperrung in der Lindenstraße <wegen> Bauarbeiten",
        &[],
    )
    .await;
    (first, second, image)
}

async fn get(app: &App, path: &str) -> reqwest::Response {
    app.http.get(app.url(path)).send().await.unwrap()
}

#[tokio::test]
async fn news_list_post_page_search_and_pagination() {
    let app = start_publishing().await;
    let (first, second, image) = two_posts(&app).await;
    let res = get(&app, "/musterstadt/").await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    let a = html.find("Straßensperrung").unwrap();
    let b = html.find("Stadtfest am Samstag").unwrap();
    assert!(a < b, "newest first");
    assert!(html.contains("&lt;wegen&gt;"), "text is escaped");
    assert!(html.contains(&format!("href=\"/musterstadt/beitrag/{first}\"")));
    assert!(
        html.contains("<a href=\"https://musterstadt.example/fest\">"),
        "links are plain links"
    );
    assert!(html.contains("alt=\"Festzelt auf dem Marktplatz\""));
    assert!(!html.contains("Beispieldorf"), "only this town's posts");

    let post = get(&app, &format!("/musterstadt/beitrag/{first}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(post.contains("<h1>Stadtfest am Samstag</h1>"));
    assert!(post.contains(&format!("<img src=\"/musterstadt/bilder/{image}\" alt=\"Festzelt auf dem Marktplatz\" width=\"16\" height=\"8\">")));
    assert_eq!(get(&app, "/musterstadt/beitrag/999999").await.status(), 404);
    assert_eq!(
        get(&app, &format!("/beispieldorf/beitrag/{first}"))
            .await
            .status(),
        404
    );
    assert_eq!(get(&app, "/nirgendwo/").await.status(), 404);

    let found = get(&app, "/musterstadt/?q=LINDENStra%C3%9Fe")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        found.contains("1 Beitrag gefunden")
            && found.contains(&format!("/beitrag/{second}\""))
            && !found.contains(&format!("/beitrag/{first}\"")),
        "{found}"
    );
    assert!(get(&app, "/musterstadt/?q=Kirmes")
        .await
        .text()
        .await
        .unwrap()
        .contains("Keine Beiträge gefunden"));

    // Eleven more posts: two pages of ten.
    let staff = app
        .staff(app.a, "redaktion@musterstadt.de", Role::Editor)
        .await;
    let variants = BTreeMap::new();
    let channels = vec![(WEBSITE_CHANNEL.to_string(), WEBSITE_CHANNEL.to_string())];
    for i in 0..11 {
        let text = format!("Meldung Nummer {i}");
        let new = NewPost {
            municipality_id: app.a,
            author_id: staff,
            text: &text,
            language: "de",
            variants: &variants,
            channels: &channels,
            images: &[],
            publish_at: None,
        };
        let id = app.store.create_post(&new, now_ms()).await.unwrap();
        app.store
            .set_publication(
                id,
                WEBSITE_CHANNEL,
                "published",
                None,
                None,
                now_ms() + 1000 + i,
            )
            .await
            .unwrap();
    }
    let page1 = get(&app, "/musterstadt/").await.text().await.unwrap();
    assert!(page1.contains("Seite 1 von 2") && page1.contains("href=\"/musterstadt/?seite=2\""));
    assert!(page1.contains("Meldung Nummer 10") && !page1.contains("Stadtfest"));
    let page2 = get(&app, "/musterstadt/?seite=2")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page2.contains("Seite 2 von 2")
            && page2.contains("Stadtfest")
            && page2.contains("rel=\"prev\"")
    );
}

fn entries(xml: &str) -> Vec<&str> {
    xml.split("<entry")
        .skip(1)
        .map(|e| e.split("</entry>").next().unwrap())
        .collect()
}

#[tokio::test]
async fn feeds_are_valid_and_answer_conditional_gets() {
    let app = start_publishing().await;
    let (first, second, image) = two_posts(&app).await;

    let res = get(&app, "/musterstadt/feed.atom").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/atom+xml"));
    let etag = res.headers()["etag"].to_str().unwrap().to_string();
    let modified = res.headers()["last-modified"].to_str().unwrap().to_string();
    assert!(modified.ends_with(" GMT"), "{modified}");
    let xml = res.text().await.unwrap();
    assert!(xml.starts_with(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\""
    ));
    let head = xml.split("<entry").next().unwrap();
    let base = app.registry.public_url.clone();
    for el in [
        &*format!("<id>{base}/musterstadt/</id>"),
        "<title>Neuigkeiten aus Musterstadt</title>",
        "<updated>",
        "<author><name>Musterstadt</name></author>",
        "rel=\"self\"",
    ] {
        assert!(head.contains(el), "feed lacks {el}: {head}");
    }
    let es = entries(&xml);
    assert_eq!(es.len(), 2);
    assert!(
        es[0].contains(&format!("<id>{base}/musterstadt/beitrag/{second}</id>")),
        "newest first"
    );
    for e in &es {
        for el in [
            "<id>",
            "<title>",
            "<updated>",
            "<published>",
            "<link rel=\"alternate\"",
            "<content type=\"html\">",
        ] {
            assert!(e.contains(el), "entry lacks {el}: {e}");
        }
        assert!(!e.contains("<wegen>"), "content is escaped");
    }
    assert!(
        es[1].contains(&format!("bilder/{image}")) && es[1].contains("Festzelt auf dem Marktplatz")
    );

    // Conditional GET: by tag, by date; a stale tag gets the feed again.
    let r = app
        .http
        .get(app.url("/musterstadt/feed.atom"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    assert!(r.text().await.unwrap().is_empty());
    let r = app
        .http
        .get(app.url("/musterstadt/feed.atom"))
        .header("if-modified-since", &modified)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    let r = app
        .http
        .get(app.url("/musterstadt/feed.atom"))
        .header("if-none-match", "\"alt\"")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let res = get(&app, "/musterstadt/feed.json").await;
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/feed+json"));
    let etag = res.headers()["etag"].to_str().unwrap().to_string();
    let feed: Value = serde_json::from_str(&res.text().await.unwrap()).unwrap();
    assert_eq!(feed["version"], "https://jsonfeed.org/version/1.1");
    assert_eq!(feed["title"], "Neuigkeiten aus Musterstadt");
    assert_eq!(feed["feed_url"], format!("{base}/musterstadt/feed.json"));
    let items = feed["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(
        items[1]["id"],
        format!("{base}/musterstadt/beitrag/{first}")
    );
    assert!(items
        .iter()
        .all(|i| i["content_html"].is_string() && i["date_published"].is_string()));
    assert_eq!(
        items[1]["attachments"][0]["title"],
        "Festzelt auf dem Marktplatz"
    );
    assert_eq!(items[1]["attachments"][0]["mime_type"], "image/jpeg");
    let r = app
        .http
        .get(app.url("/musterstadt/feed.json"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);

    // A new post changes the feed: the old tag no longer matches.
    let author = app
        .api_token(app.a, "redaktion@musterstadt.de", Role::Editor)
        .await;
    let reviewer = app
        .api_token(app.a, "pressestelle@musterstadt.de", Role::Editor)
        .await;
    publish(&app, &author, &reviewer, "Noch eine Meldung", &[]).await;
    let r = app
        .http
        .get(app.url("/musterstadt/feed.json"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

/// Every public page type, and what each must never do.
async fn public_paths(app: &App) -> Vec<String> {
    let (first, _, image) = two_posts(app).await;
    [
        "/musterstadt/".to_string(),
        "/musterstadt/?q=stadtfest".to_string(),
        format!("/musterstadt/beitrag/{first}"),
        format!("/musterstadt/bilder/{image}"),
        "/musterstadt/feed.atom".to_string(),
        "/musterstadt/feed.json".to_string(),
        "/musterstadt/kanaele".to_string(),
        "/beispieldorf/kanaele".to_string(),
        "/musterstadt/impressum".to_string(),
        "/musterstadt/datenschutz".to_string(),
        "/musterstadt/datenschutz/whatsapp".to_string(),
        "/musterstadt/nutzungskonzept/whatsapp".to_string(),
        "/musterstadt/barrierefreiheit".to_string(),
        "/musterstadt/netiquette".to_string(),
        "/beispieldorf/netiquette".to_string(),
        "/musterstadt/beitrag/424242".to_string(),
    ]
    .to_vec()
}

#[tokio::test]
async fn public_pages_set_no_cookie_and_load_nothing_from_elsewhere() {
    let app = start_publishing().await;
    for path in public_paths(&app).await {
        let res = get(&app, &path).await;
        assert!(
            res.status() == 200 || path.ends_with("424242"),
            "{path}: {}",
            res.status()
        );
        assert!(
            res.headers().get("set-cookie").is_none(),
            "{path} sets a cookie"
        );
        let csp = res.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            csp.contains("default-src 'self'") && csp.contains("script-src 'self'"),
            "{path}: {csp}"
        );
        let ct = res.headers()["content-type"].to_str().unwrap().to_string();
        if ct.starts_with("text/html") {
            let html = res.text().await.unwrap();
            assert!(!html.contains("<script"), "{path} has a script");
            for attr in ["src=\"http", "src=\"//", "href=\"//", "@import", "url(http"] {
                assert!(
                    !html.contains(attr),
                    "{path} loads from another host ({attr})"
                );
            }
            for stylesheet in html.split("rel=\"stylesheet\" href=\"").skip(1) {
                assert!(stylesheet.starts_with("/static/"), "{path}: {stylesheet}");
            }
        }
    }
}

#[tokio::test]
async fn channel_directory_shows_how_to_sign_up() {
    let app = start_publishing().await;
    let html = get(&app, "/musterstadt/kanaele")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("href=\"https://wa.me/49301234567?text=Anmeldung\""),
        "{html}"
    );
    assert!(html.contains("<img class=\"qr\" src=\"data:image/svg+xml;base64,"));
    assert!(html.contains("Abmelden können Sie sich jederzeit mit „Stopp“"));
    // Social profiles as plain links (no embed), and the netiquette linked from the directory.
    assert!(
        html.contains("<a href=\"https://social.musterstadt.example/@rathaus\" rel=\"noopener noreferrer\">Mastodon („mastodon“)</a>"),
        "{html}"
    );
    assert!(html.contains("href=\"/musterstadt/netiquette\""));
    assert!(!html.contains("<iframe"));
    assert!(
        html.contains("dienstags 14:00–16:00 Uhr")
            && html.contains("/musterstadt/sprechstunden.ics")
    );
    assert!(
        html.contains("/musterstadt/nutzungskonzept/whatsapp")
            && html.contains("/musterstadt/barrierefreiheit")
    );
    let tg = get(&app, "/beispieldorf/kanaele")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        tg.contains("href=\"https://t.me/beispieldorf_bot\""),
        "{tg}"
    );
    assert!(!tg.contains("Sprechstunden"));
    // The legal pages are the staff documents, public and read-only.
    let imprint = get(&app, "/musterstadt/impressum")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        imprint.contains("<h1>Impressum</h1>") && imprint.contains("href=\"/musterstadt/kanaele\"")
    );
    assert_eq!(
        get(&app, "/musterstadt/nutzungskonzept/nichtda")
            .await
            .status(),
        404
    );
    // The netiquette: the default in German and English, linked from every page's footer.
    let rules = get(&app, "/musterstadt/netiquette")
        .await
        .text()
        .await
        .unwrap();
    assert!(rules.contains("<h1>Netiquette</h1>") && rules.contains("Bleiben Sie freundlich"));
    assert!(rules.contains("lang=\"en\"") && rules.contains("Stay friendly"));
    assert!(rules.contains("Redaktion von Musterstadt"));
    let news = get(&app, "/musterstadt/").await.text().await.unwrap();
    assert!(news.contains("<li><a href=\"/musterstadt/netiquette\">Netiquette</a></li>"));
    let a11y = get(&app, "/musterstadt/barrierefreiheit")
        .await
        .text()
        .await
        .unwrap();
    assert!(a11y.contains("Barrieren melden") && a11y.contains("bitte ergänzen: Kontakt"));
    assert_eq!(
        send(&app, "kein-token", "GET", "/api/v1/posts/1", None)
            .await
            .0,
        401
    );
}

#[tokio::test]
async fn public_pages_pass_axe_and_fit_a_phone() {
    let Some(dir) = e2e_dir() else { return };
    let app = start_publishing().await;
    let paths: Vec<String> = public_paths(&app)
        .await
        .into_iter()
        .filter(|p| !p.contains("/bilder/") && !p.contains("/feed."))
        .collect();
    let mut args = vec![app.base.clone(), String::new(), String::new()];
    args.extend(paths);
    assert_clean(&audit(&dir, &args).await);
}
