//! End to end in headless Chromium: an editor composes with an image and is blocked until it has alt text, a second editor approves, the post reaches the (fake) Mastodon with the alt text and is on the town's page, and both feeds carry it and validate.

use std::io::Cursor;

use image::{DynamicImage, RgbImage};
use rathaus_channels::fake_mastodon::{FakeMastodonTelegram, MASTODON_TOKEN};
use rathaus_channels::publish::{MastodonConfig, NetworkConfig};
use rathaus_domain::publishing::{ChannelTarget, PublishKind};
use rathaus_hub::{Worker, WorkerOptions};
use rathaus_store::Role;
use serde_json::Value;

use crate::browser::e2e_dir;
use crate::harness::{start_with, App, PASSWORD};

const ALT: &str = "Absperrgitter und ein Bagger vor dem Rathaus";
const TEXT: &str = "Bauarbeiten am Rathausplatz\n\nAb Montag wird der Rathausplatz neu gepflastert. Der Eingang ist über die Kirchgasse erreichbar.";

fn png() -> Vec<u8> {
    let img = RgbImage::from_fn(64, 40, |x, y| {
        image::Rgb([(x * 4) as u8, (y * 6) as u8, 120])
    });
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

/// Musterstadt with its Mastodon account on the local fake Mastodon.
async fn start(fake: &FakeMastodonTelegram) -> App {
    let base = fake.base_url();
    start_with("http://127.0.0.1", move |c| {
        c[0].settings
            .publishing
            .channels
            .push(ChannelTarget::new("mastodon", PublishKind::Mastodon));
        c[0].networks = vec![NetworkConfig::Mastodon(MastodonConfig {
            name: Some("mastodon".into()),
            instance: base,
            access_token: MASTODON_TOKEN.into(),
            timeout_secs: Some(5),
        })];
    })
    .await
}

async fn run(dir: &std::path::Path, args: &[String]) -> Value {
    crate::browser::run_script(dir, include_bytes!("compose_post.mjs"), args).await
}

#[tokio::test]
async fn an_editor_composes_a_second_approves_and_the_town_page_and_feeds_show_it() {
    let Some(dir) = e2e_dir() else { return };
    let fake = FakeMastodonTelegram::start().await.unwrap();
    let app = start(&fake).await;
    app.staff(app.a, "anna@musterstadt.de", Role::Editor).await;
    app.staff(app.a, "bernd@musterstadt.de", Role::Editor).await;
    let tmp = tempfile::tempdir().unwrap();
    let image = tmp.path().join("rathausplatz.png");
    std::fs::write(&image, png()).unwrap();

    let seen = run(
        &dir,
        &[
            app.base.clone(),
            "musterstadt".into(),
            "anna@musterstadt.de".into(),
            "bernd@musterstadt.de".into(),
            PASSWORD.into(),
            image.to_string_lossy().into_owned(),
            ALT.into(),
            TEXT.into(),
        ],
    )
    .await;

    // Blocked until the image has alt text, with the reason at the image and in the summary.
    assert_eq!(seen["blockedStatus"], 422, "{seen}");
    assert!(seen["blockedUrl"]
        .as_str()
        .unwrap()
        .ends_with("/beitraege/neu"));
    assert_eq!(seen["altFieldInvalid"], "true");
    assert!(
        seen["altNote"]
            .as_str()
            .unwrap()
            .contains("Bild 1 hat keinen Alternativtext"),
        "{seen}"
    );
    assert!(seen["summary"]
        .as_str()
        .unwrap()
        .contains("kann so nicht eingereicht werden"));
    // Submitted; the author's own approval refused with the four-eyes reason.
    assert!(seen["submittedUrl"]
        .as_str()
        .unwrap()
        .ends_with("?msg=submitted"));
    assert!(seen["submittedText"]
        .as_str()
        .unwrap()
        .contains("Zur Freigabe eingereicht"));
    assert!(
        seen["ownApproval"]
            .as_str()
            .unwrap()
            .contains("Vier-Augen-Prinzip"),
        "{seen}"
    );
    // Approved by the second editor and published on the news page at once.
    let approved = seen["approvedText"].as_str().unwrap();
    assert!(approved.contains("bernd") && approved.contains("anna"));
    let results = seen["results"].as_array().unwrap();
    let website = results
        .iter()
        .find(|r| r["cells"][0].as_str().unwrap().starts_with("Website"))
        .unwrap();
    assert_eq!(website["state"], "published", "{seen}");
    assert_eq!(website["cells"][1], "veröffentlicht");
    let post_path = seen["websiteLink"].as_str().unwrap().to_string();
    assert!(post_path.contains("/musterstadt/beitrag/"), "{post_path}");
    let id = post_path.rsplit('/').next().unwrap().to_string();
    // The publishing job takes the post to the (fake) Mastodon, with the image's alt text.
    let post: i64 = id.parse().unwrap();
    let worker = Worker::new(
        app.store.clone(),
        app.registry.clone(),
        WorkerOptions::default(),
    );
    let mut mastodon = None;
    for _ in 0..100 {
        worker.drain().await.unwrap();
        let publications = app.store.publications(post).await.unwrap();
        mastodon = publications
            .into_iter()
            .find(|p| p.channel == "mastodon" && p.status == "published");
        if mastodon.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let mastodon = mastodon.expect("the post reached Mastodon");
    let statuses = fake.statuses();
    assert_eq!(statuses.len(), 1, "posted once");
    assert_eq!(statuses[0]["text"], TEXT);
    let alts: Vec<Value> = fake
        .media()
        .values()
        .map(|m| m["description"].clone())
        .collect();
    assert_eq!(alts, vec![Value::from(ALT)]);
    // The post page links the Mastodon post.
    let bernd = app.login("bernd@musterstadt.de").await;
    let (_, html) = app.get_page(&bernd, &format!("/beitraege/{post}")).await;
    let url = mastodon.url.unwrap();
    assert!(html.contains(&format!("<a href=\"{url}\">")), "{html}");

    // The public side: listed, the post page with the image and its alt text, no cookies, nothing foreign.
    assert!(seen["newsText"]
        .as_str()
        .unwrap()
        .contains("Bauarbeiten am Rathausplatz"));
    assert!(seen["publicPostUrl"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/musterstadt/beitrag/{id}")));
    let images = seen["publicImages"].as_array().unwrap();
    assert_eq!(images.len(), 1, "{seen}");
    assert_eq!(images[0]["alt"], ALT);
    assert_eq!(images[0]["loaded"], true, "the image is served");
    assert_eq!(seen["cookies"], 0, "public pages set no cookies");
    assert_eq!(
        seen["foreignRequests"].as_array().unwrap().len(),
        0,
        "{seen}"
    );

    // Atom: well-formed, RFC 4287 required elements, the post as an entry.
    assert!(seen["atomType"]
        .as_str()
        .unwrap()
        .starts_with("application/atom+xml"));
    let atom = &seen["atomCheck"];
    assert_eq!(atom["wellFormed"], true, "{}", seen["atom"]);
    assert_eq!(
        (atom["root"].as_str(), atom["namespace"].as_str()),
        (Some("feed"), Some("http://www.w3.org/2005/Atom"))
    );
    for key in ["id", "title", "updated"] {
        assert!(!atom[key].as_str().unwrap().is_empty(), "feed {key}");
    }
    assert!(atom["updated"]
        .as_str()
        .unwrap()
        .parse::<jiff::Timestamp>()
        .is_ok());
    assert_eq!(atom["self"].as_array().unwrap().len(), 1);
    let entries = atom["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    let e = &entries[0];
    assert!(
        atom["feedAuthor"] == true || e["hasAuthor"] == true,
        "an author"
    );
    assert!(e["id"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/musterstadt/beitrag/{id}")));
    assert_eq!(e["title"], "Bauarbeiten am Rathausplatz");
    assert!(e["updated"]
        .as_str()
        .unwrap()
        .parse::<jiff::Timestamp>()
        .is_ok());
    assert_eq!(e["alternate"].as_array().unwrap().len(), 1);
    assert_eq!(e["contentType"], "html");
    let content = e["content"].as_str().unwrap();
    assert!(
        content.contains("Kirchgasse") && content.contains(ALT),
        "{content}"
    );

    // JSON Feed 1.1: version, title, items; each item an id and content; the image with its alt text.
    assert!(seen["jsonType"]
        .as_str()
        .unwrap()
        .starts_with("application/feed+json"));
    let feed: Value = serde_json::from_str(seen["json"].as_str().unwrap()).unwrap();
    assert_eq!(feed["version"], "https://jsonfeed.org/version/1.1");
    assert!(feed["title"].as_str().is_some_and(|t| !t.is_empty()));
    let items = feed["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    let item = &items[0];
    assert!(item["id"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/musterstadt/beitrag/{id}")));
    assert!(item["content_html"].is_string() || item["content_text"].is_string());
    assert!(item["date_published"]
        .as_str()
        .unwrap()
        .parse::<jiff::Timestamp>()
        .is_ok());
    assert!(item["content_html"].as_str().unwrap().contains(ALT));

    // axe-core: composer with findings and post pages, desktop and phone.
    for (page, views) in seen["audits"].as_object().unwrap() {
        for (view, r) in views.as_object().unwrap() {
            assert!(
                r["violations"].as_array().unwrap().is_empty(),
                "WCAG violations on {page} ({view}): {}",
                r["violations"]
            );
            assert_eq!(
                r["overflow"], false,
                "{page} ({view}) overflows sideways: {}",
                r["wide"]
            );
        }
    }
    assert_eq!(
        seen["audits"].as_object().unwrap().len(),
        6,
        "every page audited"
    );
    let errors: Vec<&str> = seen["consoleErrors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e.as_str())
        .filter(|e| !e.contains("status of 403") && !e.contains("status of 422"))
        .collect();
    assert!(errors.is_empty(), "console errors (e.g. CSP): {errors:?}");
}
