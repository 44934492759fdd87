//! A municipality's own news host: its news pages and feeds at the root of that host with links there, nothing else on it, other hosts unchanged.

use rathaus_store::Role;
use reqwest::header::{HOST, IF_NONE_MATCH};
use serde_json::Value;

use crate::browser::{assert_clean, audit, e2e_dir};
use crate::harness::{start_with, App};
use crate::publishing::publish;

const MUSTER: &str = "aktuelles.musterstadt.example";
const DORF: &str = "news.beispieldorf.example";

async fn start() -> App {
    start_with("http://127.0.0.1", |c| {
        c[0].settings.news_host = Some(MUSTER.into());
        c[1].settings.news_host = Some(DORF.into());
    })
    .await
}

/// Published posts: (Musterstadt's older, Musterstadt's newer, Beispieldorf's).
async fn posts(app: &App) -> (i64, i64, i64) {
    let token = |m, who: &'static str| app.api_token(m, who, Role::Editor);
    let (a1, a2) = (
        token(app.a, "redaktion@musterstadt.de").await,
        token(app.a, "pressestelle@musterstadt.de").await,
    );
    let first = publish(app, &a1, &a2, "Stadtfest am Samstag", &[]).await;
    let second = publish(app, &a1, &a2, "Straßensperrung in der Lindenstraße", &[]).await;
    let (b1, b2) = (
        token(app.b, "redaktion@beispieldorf.de").await,
        token(app.b, "amt@beispieldorf.de").await,
    );
    let dorf = publish(app, &b1, &b2, "Dorffest an der Kirche", &[]).await;
    (first, second, dorf)
}

/// GET `path` with `host` as the `Host` header (None: the server's own address).
async fn get_on(app: &App, host: Option<&str>, path: &str) -> reqwest::Response {
    let mut req = app.http.get(app.url(path));
    if let Some(h) = host {
        req = req.header(HOST, h);
    }
    req.send().await.unwrap()
}

async fn page(app: &App, host: Option<&str>, path: &str) -> String {
    let res = get_on(app, host, path).await;
    assert_eq!(res.status(), 200, "{host:?} {path}");
    assert!(
        res.headers().get("set-cookie").is_none(),
        "{path} sets a cookie"
    );
    assert!(res.headers().contains_key("content-security-policy"));
    res.text().await.unwrap()
}

#[tokio::test]
async fn the_towns_host_serves_its_news_at_the_root_with_links_there() {
    let app = start().await;
    let (first, second, dorf) = posts(&app).await;
    // Host names compare case-insensitively and without port.
    let host = Some("Aktuelles.Musterstadt.EXAMPLE:8443");
    let html = page(&app, host, "/").await;
    assert!(html.find("Straßensperrung").unwrap() < html.find("Stadtfest").unwrap());
    assert!(!html.contains("Dorffest"), "another town's post");
    assert!(
        html.contains(&format!("href=\"/beitrag/{first}\"")),
        "{html}"
    );
    assert!(html.contains("action=\"/\"") && html.contains("href=\"/kanaele\""));
    assert!(
        !html.contains("/musterstadt/"),
        "no slug links on the host: {html}"
    );
    assert!(html.contains(&format!(
        "<link rel=\"canonical\" href=\"https://{MUSTER}/\">"
    )));

    let found = page(&app, host, "/?q=stadtfest").await;
    assert!(found.contains("1 Beitrag gefunden") && !found.contains("Lindenstraße"));
    let post = page(&app, host, &format!("/beitrag/{second}")).await;
    assert!(post.contains("<h1>Straßensperrung in der Lindenstraße</h1>"));
    assert!(post.contains(&format!(
        "<link rel=\"canonical\" href=\"https://{MUSTER}/beitrag/{second}\">"
    )));
    assert_eq!(
        get_on(&app, host, &format!("/beitrag/{dorf}"))
            .await
            .status(),
        404,
        "Beispieldorf's post is not on Musterstadt's host"
    );
    for path in [
        "/kanaele",
        "/impressum",
        "/datenschutz",
        "/datenschutz/whatsapp",
        "/nutzungskonzept/whatsapp",
        "/barrierefreiheit",
        "/netiquette",
    ] {
        let html = page(&app, host, path).await;
        for sheet in html.split("rel=\"stylesheet\" href=\"").skip(1) {
            let sheet = &sheet[..sheet.find('"').unwrap()];
            let res = get_on(&app, host, sheet).await;
            assert_eq!(res.status(), 200, "{path} uses {sheet}, served on the host");
        }
        assert!(
            html.contains("Musterstadt") && !html.contains("href=\"/musterstadt/"),
            "{path}"
        );
    }
    let css = get_on(&app, host, "/static/news.css").await;
    assert_eq!(css.status(), 200);
    assert_eq!(get_on(&app, host, "/static/app.css").await.status(), 404);
    // The channel directory links the consultation-hour calendar; it is there too.
    let ics = get_on(&app, host, "/sprechstunden.ics").await;
    assert_eq!(ics.status(), 200);
    assert!(ics.text().await.unwrap().starts_with("BEGIN:VCALENDAR"));

    // Every link and image on the host's pages leads to something on the host.
    let mut pages = vec![html.clone(), post.clone()];
    for path in [
        "/kanaele",
        "/impressum",
        "/datenschutz",
        "/barrierefreiheit",
    ] {
        pages.push(page(&app, host, path).await);
    }
    let mut targets = std::collections::BTreeSet::new();
    for p in &pages {
        for attr in ["href=\"/", "src=\"/", "action=\"/"] {
            for rest in p.split(attr).skip(1) {
                let target = &rest[..rest.find('"').unwrap()];
                targets.insert(format!("/{}", target.replace("&amp;", "&")));
            }
        }
    }
    assert!(targets.len() > 8, "{targets:?}");
    for target in &targets {
        let res = get_on(&app, host, target).await;
        assert_eq!(res.status(), 200, "{target} linked on the host");
    }

    // Beispieldorf's host shows Beispieldorf.
    let html = page(&app, Some(DORF), "/").await;
    assert!(html.contains("Dorffest") && !html.contains("Stadtfest"));
    assert!(html.contains(&format!("href=\"/beitrag/{dorf}\"")));
}

#[tokio::test]
async fn feeds_on_the_host_link_there_keep_their_ids_and_answer_304() {
    let app = start().await;
    let (first, second, _) = posts(&app).await;
    let base = app.registry.public_url.clone();
    // The feed on the usual address first: the cache must not hand it to the host.
    let usual = get_on(&app, None, "/musterstadt/feed.atom").await;
    let usual_etag = usual.headers()["etag"].clone();
    let usual = usual.text().await.unwrap();
    assert!(usual.contains(&format!("href=\"{base}/musterstadt/beitrag/{second}\"")));

    let res = get_on(&app, Some(MUSTER), "/feed.atom").await;
    assert_eq!(res.status(), 200);
    let etag = res.headers()["etag"].clone();
    assert_ne!(etag, usual_etag, "another representation, another tag");
    let xml = res.text().await.unwrap();
    assert!(
        xml.contains(&format!("<id>{base}/musterstadt/</id>")),
        "feed id stays: {xml}"
    );
    assert!(
        xml.contains(&format!("href=\"https://{MUSTER}/feed.atom\"")),
        "{xml}"
    );
    for id in [first, second] {
        assert!(
            xml.contains(&format!("<id>{base}/musterstadt/beitrag/{id}</id>")),
            "{xml}"
        );
        assert!(
            xml.contains(&format!("href=\"https://{MUSTER}/beitrag/{id}\"")),
            "{xml}"
        );
    }
    assert!(!xml.contains("Dorffest") && !xml.contains("href=\"http://127.0.0.1"));
    let again = app
        .http
        .get(app.url("/feed.atom"))
        .header(HOST, MUSTER)
        .header(IF_NONE_MATCH, etag.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"], etag);
    // The usual address still gets its own feed, and the host's tag does not match it.
    let usual_again = app
        .http
        .get(app.url("/musterstadt/feed.atom"))
        .header(IF_NONE_MATCH, etag)
        .send()
        .await
        .unwrap();
    assert_eq!(usual_again.status(), 200);
    assert_eq!(usual_again.text().await.unwrap(), usual);

    let json: Value = get_on(&app, Some(MUSTER), "/feed.json")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(json["home_page_url"], format!("https://{MUSTER}/"));
    assert_eq!(json["feed_url"], format!("https://{MUSTER}/feed.json"));
    assert_eq!(
        json["items"][0]["id"],
        format!("{base}/musterstadt/beitrag/{second}")
    );
    assert_eq!(
        json["items"][0]["url"],
        format!("https://{MUSTER}/beitrag/{second}")
    );
    let json: Value = get_on(&app, None, "/musterstadt/feed.json")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        json["items"][0]["url"],
        format!("{base}/musterstadt/beitrag/{second}")
    );
}

#[tokio::test]
async fn the_cache_never_serves_one_hosts_page_to_another() {
    let app = start().await;
    let (first, ..) = posts(&app).await;
    let path = format!("beitrag/{first}");
    for _ in 0..2 {
        let usual = page(&app, None, &format!("/musterstadt/{path}")).await;
        assert!(usual.contains("href=\"/musterstadt/\"") && !usual.contains("canonical"));
        let hosted = page(&app, Some(MUSTER), &format!("/{path}")).await;
        assert!(hosted.contains("href=\"/\"") && !hosted.contains("href=\"/musterstadt/"));
        let list = page(&app, None, "/musterstadt/").await;
        assert!(list.contains("action=\"/musterstadt/\""));
        let list = page(&app, Some(MUSTER), "/").await;
        assert!(list.contains("action=\"/\""));
    }
}

#[tokio::test]
async fn the_news_host_serves_no_login_api_or_webhooks() {
    let app = start().await;
    let token = app
        .api_token(app.a, "redaktion@musterstadt.de", Role::Editor)
        .await;
    for path in [
        "/login",
        "/api/v1/concerns",
        "/api/v1/openapi.json",
        "/posts",
        "/account/mfa",
        "/musterstadt/",
        "/beispieldorf/",
        "/auskunft/abc",
        "/beitrag/",
    ] {
        let res = app
            .http
            .get(app.url(path))
            .header(HOST, MUSTER)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "{path} on the news host");
        assert!(res.headers().get("set-cookie").is_none(), "{path}");
        assert!(
            res.headers().contains_key("content-security-policy"),
            "{path}"
        );
        let html = res.text().await.unwrap();
        assert!(
            html.contains("<a href=\"/\">Zu den Neuigkeiten</a>") && !html.contains("canonical"),
            "the town's 404 page, with its news link on the host: {html}"
        );
        assert!(
            !html.contains("Anmelden") && !html.contains("password"),
            "{path}: {html}"
        );
    }
    for (path, body) in [("/login", "email=a"), ("/webhooks/telegram/telegram", "{}")] {
        let res = app
            .http
            .post(app.url(path))
            .header(HOST, MUSTER)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "POST {path} on the news host");
    }
    // Any other host name behaves as before.
    for host in [None, Some("rathaus.musterstadt.example")] {
        assert_eq!(get_on(&app, host, "/login").await.status(), 200, "{host:?}");
        let api = app
            .http
            .get(app.url("/api/v1/openapi.json"))
            .bearer_auth(&token);
        let api = match host {
            Some(h) => api.header(HOST, h),
            None => api,
        };
        assert_eq!(api.send().await.unwrap().status(), 200, "{host:?}");
        assert_eq!(get_on(&app, host, "/musterstadt/").await.status(), 200);
    }
}

#[tokio::test]
async fn host_pages_pass_axe_and_fit_a_phone() {
    let Some(dir) = e2e_dir() else { return };
    // Chromium resolves every `*.localhost` name to this machine, so the browser sends this Host.
    let app = start_with("http://127.0.0.1", |c| {
        c[0].settings.news_host = Some("musterstadt.localhost".into());
    })
    .await;
    let (first, ..) = posts(&app).await;
    let base = app.base.replace("127.0.0.1", "musterstadt.localhost");
    let mut args = vec![base, String::new(), String::new()];
    let paths = [
        "/".to_string(),
        "/?q=stadtfest".to_string(),
        format!("/beitrag/{first}"),
        "/kanaele".to_string(),
        "/impressum".to_string(),
        "/barrierefreiheit".to_string(),
        "/login".to_string(),
    ];
    args.extend(paths.iter().cloned());
    let seen = audit(&dir, &args).await;
    for p in &paths {
        let want = if p == "/login" { 404 } else { 200 };
        assert_eq!(seen["pages"][p]["desktop"]["status"], want, "{p}: {seen}");
    }
    assert_clean(&seen);
}
