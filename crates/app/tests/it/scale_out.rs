//! Two `rathaus serve` instances on one PostgreSQL database share the queue: every event handled exactly once.

use rathaus::server::{self, Roles};
use rathaus::simulate::{self, whatsapp_message, whatsapp_text};
use rathaus_hub::WorkerOptions;
use rathaus_store::{now_ms, ConcernFilter};

use crate::harness::{databases, Db, Instance, APP_SECRET, PHONE_NUMBER_ID};

#[tokio::test]
async fn two_instances_process_every_webhook_once() {
    let Some(Db::Postgres(url)) = databases()
        .await
        .into_iter()
        .find(|d| matches!(d, Db::Postgres(_)))
    else {
        return; // databases() already failed in CI if PostgreSQL is missing
    };
    let a = Instance::start(&Db::Postgres(url), true).await;
    let options = WorkerOptions {
        idle_poll: std::time::Duration::from_millis(20),
        ..WorkerOptions::default()
    };
    let b = server::start(
        &a.config,
        Roles {
            web: true,
            worker: true,
        },
        options,
    )
    .await
    .unwrap();
    let bases = [a.url(), b.url()];
    let citizens = 30;
    for i in 0..citizens {
        let phone = format!("49160000{i:04}");
        let base = &bases[i % 2];
        let start = whatsapp_message(
            PHONE_NUMBER_ID,
            &phone,
            "N",
            whatsapp_text(&phone, &format!("s{i}"), now_ms() / 1000, "Start"),
        );
        assert_eq!(
            simulate::post_whatsapp(&a.http, base, APP_SECRET, &start)
                .await
                .unwrap(),
            200
        );
        let msg = whatsapp_message(
            PHONE_NUMBER_ID,
            &phone,
            "N",
            whatsapp_text(
                &phone,
                &format!("m{i}"),
                now_ms() / 1000,
                &format!("Anliegen {i}"),
            ),
        );
        // Sent to both instances, as a platform retry might land on either.
        for base in &bases {
            assert_eq!(
                simulate::post_whatsapp(&a.http, base, APP_SECRET, &msg)
                    .await
                    .unwrap(),
                200
            );
        }
    }
    let store = &a.r().store;
    let m = store
        .municipality_by_slug("musterstadt")
        .await
        .unwrap()
        .unwrap()
        .id;
    for _ in 0..400 {
        let done = store
            .list_concerns(m, &ConcernFilter::default())
            .await
            .unwrap()
            .len()
            == citizens
            && store.job_count("ready").await.unwrap() == 0
            && store.job_count("running").await.unwrap() == 0;
        if done {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let concerns = store
        .list_concerns(m, &ConcernFilter::default())
        .await
        .unwrap();
    assert_eq!(concerns.len(), citizens);
    for c in &concerns {
        let d = store.concern_detail(m, c.id).await.unwrap().unwrap();
        assert_eq!(
            d.messages.len(),
            1,
            "concern {} has each message once",
            c.id
        );
    }
    let confirmations = a
        .platform
        .sent_texts()
        .iter()
        .filter(|t| t.text.contains("Einwilligung ist gespeichert"))
        .count();
    assert_eq!(
        confirmations, citizens,
        "each citizen confirmed exactly once"
    );
    b.stop().await;
    a.running.unwrap().stop().await;
}
