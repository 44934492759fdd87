//! `GET /medien/{token}`: an image staged for Instagram (in the database, as a worker process stages it) is served without a cookie while publishing and is gone once withdrawn or expired.

use std::time::Duration;

use rathaus_channels::staging::MediaStage;
use rathaus_hub::media_stage::StoreMediaStage;
use rathaus_hub::{Worker, WorkerOptions};
use rathaus_store::now_ms;

use crate::harness::start;

const JPEG: &[u8] = b"\xFF\xD8\xFF\xE0jpeg-bytes\xFF\xD9";

#[tokio::test]
async fn a_staged_image_is_served_without_cookies_until_it_is_withdrawn_or_expired() {
    let app = start().await;
    // What the Instagram adapter of a worker does: stage through the store, not this process's memory.
    let stage = StoreMediaStage::new(app.store.clone());
    let token = stage
        .stage(JPEG.to_vec(), "image/jpeg", Duration::from_secs(60))
        .await
        .unwrap();
    let res = app
        .http
        .get(app.url(&format!("/medien/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert_eq!(res.headers()["x-robots-tag"], "noindex");
    assert!(res.headers().get("set-cookie").is_none());
    assert_eq!(res.bytes().await.unwrap().as_ref(), JPEG);

    stage.withdraw(&token).await;
    let res = app
        .http
        .get(app.url(&format!("/medien/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert!(res.headers().get("set-cookie").is_none());

    // Expired (a crash left it staged): not served any more, whatever the row says.
    let expired = "A".repeat(43);
    app.store
        .stage_media(
            &expired,
            JPEG,
            "image/jpeg",
            now_ms() - 1,
            now_ms() - 60_000,
        )
        .await
        .unwrap();
    let res = app
        .http
        .get(app.url(&format!("/medien/{expired}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    // The worker's housekeeping deletes what expired.
    let worker = Worker::new(
        app.store.clone(),
        app.registry.clone(),
        WorkerOptions::default(),
    );
    assert!(worker.housekeeping(now_ms()).await.unwrap());
    assert_eq!(
        app.store
            .purge_expired_staged_media(now_ms())
            .await
            .unwrap(),
        0,
        "already purged"
    );

    for guess in ["geraten", "%2e%2e%2fetc", &"x".repeat(500)] {
        let res = app
            .http
            .get(app.url(&format!("/medien/{guess}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "{guess}");
        assert!(res.headers().get("set-cookie").is_none());
    }
}
