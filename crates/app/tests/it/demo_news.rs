//! `rathaus demo` has published posts on Musterstadt's public news page, one with a drawn image and its alt text.

use rathaus::demo::{seed, DEMO_EDITOR};
use rathaus::demo_posts::ROADWORKS_ALT;

use crate::harness::{Db, Instance};

#[tokio::test]
async fn the_demo_town_page_shows_published_posts_with_alt_text() {
    let inst = Instance::start(&Db::Sqlite, true).await;
    seed(inst.r(), &inst.platform).await.unwrap();
    let base = inst.url();
    let news = inst
        .http
        .get(format!("{base}/musterstadt/"))
        .send()
        .await
        .unwrap();
    assert_eq!(news.status(), 200);
    let html = news.text().await.unwrap();
    for title in [
        "Vollsperrung der Lindenstraße ab Montag",
        "WhatsApp-Sprechstunde mit dem Bürgermeister",
        "Wahlhelferinnen und Wahlhelfer gesucht",
    ] {
        assert!(html.contains(title), "{title} missing: {html}");
    }
    // Newest first: the road works were published last.
    assert!(html.find("Vollsperrung").unwrap() < html.find("Wahlhelferinnen").unwrap());

    let store = &inst.r().store;
    let m = store
        .municipality_by_slug("musterstadt")
        .await
        .unwrap()
        .unwrap();
    let (items, total) = store.news_page(m.id, None, 10, 0).await.unwrap();
    assert_eq!(total, 3);
    let roadworks = items
        .iter()
        .find(|i| i.post.text.starts_with("Vollsperrung"))
        .unwrap();
    let (author, _) = store.staff_credentials(DEMO_EDITOR).await.unwrap().unwrap();
    assert_eq!(
        roadworks.post.author_id, author,
        "written by the editorial office"
    );
    assert_ne!(
        roadworks.post.approved_by,
        Some(author),
        "approved by someone else"
    );
    let images = store.post_images(roadworks.post.id).await.unwrap();
    assert_eq!(images.len(), 1);
    assert_eq!(images[0].alt, ROADWORKS_ALT);

    let page = inst
        .http
        .get(format!("{base}/musterstadt/beitrag/{}", roadworks.post.id))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("alt=\"{ROADWORKS_ALT}\"")), "{page}");
    let img = inst
        .http
        .get(format!("{base}/musterstadt/bilder/{}", images[0].id))
        .send()
        .await
        .unwrap();
    assert_eq!(img.status(), 200);
    assert_eq!(img.headers()["content-type"], "image/png");
    let feed = inst
        .http
        .get(format!("{base}/musterstadt/feed.json"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let feed: serde_json::Value = serde_json::from_str(&feed).unwrap();
    assert_eq!(feed["items"].as_array().unwrap().len(), 3);
}
