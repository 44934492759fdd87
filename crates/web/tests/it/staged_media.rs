//! `GET /medien/{token}`: an image staged for Instagram is served without a cookie while publishing and is gone afterwards.

use std::time::Duration;

use rathaus_channels::staging;

use crate::harness::start;

#[tokio::test]
async fn a_staged_image_is_served_without_cookies_until_it_is_withdrawn() {
    let app = start().await;
    let store = staging::shared();
    let token = store.stage(
        b"\xFF\xD8\xFFjpeg".to_vec(),
        "image/jpeg",
        Duration::from_secs(60),
    );
    let res = app
        .http
        .get(app.url(&format!("/medien/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert!(res.headers().get("set-cookie").is_none());
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"\xFF\xD8\xFFjpeg");

    store.withdraw(&token);
    let res = app
        .http
        .get(app.url(&format!("/medien/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = app
        .http
        .get(app.url("/medien/geraten"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert!(res.headers().get("set-cookie").is_none());
}
