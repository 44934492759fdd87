//! Erasure by keyword and crypto-shredding, and a restore of an older backup that must not resurrect anyone.

use rathaus::simulate::{whatsapp_message, whatsapp_text};
use rathaus_store::{now_ms, ConcernFilter};
use serde_json::Value;

use crate::harness::{Db, Instance, PHONE_NUMBER_ID};

const ANNA: &str = "4917011111111";
const BERND: &str = "4917022222222";

fn wa(from: &str, id: &str, text: &str) -> Value {
    whatsapp_message(
        PHONE_NUMBER_ID,
        from,
        "Name",
        whatsapp_text(from, id, now_ms() / 1000, text),
    )
}

async fn municipality(inst: &Instance) -> i64 {
    inst.r()
        .store
        .municipality_by_slug("musterstadt")
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn channel(inst: &Instance) -> i64 {
    inst.r()
        .registry
        .whatsapp(PHONE_NUMBER_ID)
        .unwrap()
        .1
        .row
        .id
}

#[tokio::test]
async fn erased_citizens_stay_erased_after_restoring_an_older_backup() {
    let mut inst = Instance::start(&Db::Sqlite, false).await;
    for (from, n) in [(ANNA, "a"), (BERND, "b")] {
        assert_eq!(
            inst.post_wa(&wa(from, &format!("{n}1"), "Start")).await,
            200
        );
        assert_eq!(
            inst.post_wa(&wa(from, &format!("{n}2"), &format!("Anliegen von {n}")))
                .await,
            200
        );
    }
    inst.drain().await;
    let (m, ch) = (municipality(&inst).await, channel(&inst).await);
    assert_eq!(
        inst.r()
            .store
            .list_concerns(m, &ConcernFilter::default())
            .await
            .unwrap()
            .len(),
        2
    );

    // Backup while both are there.
    let master = rathaus::server::master_key(&inst.config).unwrap();
    let backup_file = inst._dir.path().join("sicherung.rbak");
    rathaus::backup::backup(
        &inst.r().store,
        &master,
        &inst.config.database_url(),
        &backup_file,
    )
    .await
    .unwrap();
    let bytes = std::fs::read(&backup_file).unwrap();
    assert!(
        !bytes.windows(16).any(|w| w == b"SQLite format 3\0"),
        "the backup is encrypted as a whole"
    );
    assert!(
        !String::from_utf8_lossy(&bytes).contains(&master.encode()),
        "the master key is never in a backup"
    );

    // Anna asks for erasure by keyword: confirmed, then everything about her is gone.
    assert_eq!(inst.post_wa(&wa(ANNA, "a3", "Löschen")).await, 200);
    inst.drain().await;
    let last = inst.platform.sent_texts().into_iter().last().unwrap();
    assert_eq!(last.recipient, ANNA);
    assert!(last.text.contains("gelöscht"), "{}", last.text);
    let s = &inst.r().store;
    assert!(s.find_citizen(m, ch, ANNA).await.unwrap().is_none());
    assert_eq!(
        s.list_concerns(m, &ConcernFilter::default())
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(s.erasures_since(0).await.unwrap().len(), 1);
    assert_eq!(s.job_count("ready").await.unwrap(), 0);

    // Disaster: restore the backup taken before the erasure.
    inst.running.take().unwrap().stop().await;
    let report = rathaus::backup::restore(&master, &inst.config.database_url(), &backup_file)
        .await
        .unwrap();
    assert_eq!(
        (report.erasures_replayed, report.citizens_erased_again),
        (1, 1)
    );
    inst.restart(false).await;
    let s = &inst.r().store;
    assert!(
        s.find_citizen(m, ch, ANNA).await.unwrap().is_none(),
        "Anna must not come back"
    );
    let bernd = s
        .find_citizen(m, ch, BERND)
        .await
        .unwrap()
        .expect("Bernd is restored");
    let list = s.list_concerns(m, &ConcernFilter::default()).await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].citizen_id, bernd.id);
    assert_eq!(
        s.erasures_since(0).await.unwrap().len(),
        1,
        "the erasure record survives the restore"
    );
    inst.running.take().unwrap().stop().await;
}

#[tokio::test]
async fn erasure_keyword_from_a_stranger_stores_nothing() {
    let inst = Instance::start(&Db::Sqlite, false).await;
    assert_eq!(inst.post_wa(&wa(ANNA, "x1", "löschen!")).await, 200);
    inst.drain().await;
    let last = inst.platform.sent_texts().into_iter().last().unwrap();
    assert!(last.text.contains("nichts gespeichert"), "{}", last.text);
    assert!(inst.r().store.erasures_since(0).await.unwrap().is_empty());
}

#[tokio::test]
async fn access_request_by_keyword_gives_a_one_time_zip() {
    let inst = Instance::start(&Db::Sqlite, false).await;
    assert_eq!(inst.post_wa(&wa(ANNA, "e1", "Start")).await, 200);
    assert_eq!(
        inst.post_wa(&wa(ANNA, "e2", "Bitte die Hecke am Friedhof schneiden"))
            .await,
        200
    );
    assert_eq!(inst.post_wa(&wa(ANNA, "e3", "Auskunft")).await, 200);
    inst.drain().await;
    let text = inst.platform.sent_texts().into_iter().last().unwrap().text;
    let link = text
        .split_whitespace()
        .find(|w| w.contains("/auskunft/"))
        .expect("link in the answer")
        .to_string();
    assert!(link.starts_with(&inst.url()), "{link}");

    // Opening the page (as a link preview would) does not use the link up.
    let page = inst.http.get(&link).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    assert!(page.text().await.unwrap().contains("<form method=\"post\""));
    let res = inst.http.post(&link).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["content-type"], "application/zip");
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let zip = res.bytes().await.unwrap();
    let path = inst._dir.path().join("auskunft.zip");
    std::fs::write(&path, &zip).unwrap();
    // Check it with an independent ZIP reader.
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys,zipfile,json; z=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; \
                print(json.dumps({n: z.read(n).decode('utf-8','replace') for n in z.namelist()}))",
        ])
        .arg(&path)
        .output()
        .expect("python3 reads the archive");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let files: Value = serde_json::from_slice(&out.stdout).unwrap();
    let json: Value = serde_json::from_str(files["auskunft.json"].as_str().unwrap()).unwrap();
    assert_eq!(json["platform_id"], ANNA);
    assert_eq!(json["consents"][0]["action"], "given");
    assert_eq!(
        json["concerns"][0]["messages"][0]["text"],
        "Bitte die Hecke am Friedhof schneiden"
    );
    let html = files["auskunft.html"].as_str().unwrap();
    assert!(
        html.contains("<html lang=\"de\">")
            && html.contains("Hecke am Friedhof")
            && html.contains(ANNA)
    );

    // One time only.
    assert_eq!(
        inst.http
            .post(&link)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        410
    );
    let m = municipality(&inst).await;
    let s = &inst.r().store;
    let requests = s.data_requests(m).await.unwrap();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].kind, "access");
    assert!(requests[0].completed_at.is_some());
    let audit = s
        .audit_entries(m, &rathaus_store::AuditFilter::default())
        .await
        .unwrap();
    assert!(
        audit.iter().any(|e| e.action == "export.downloaded"),
        "{audit:?}"
    );
}
