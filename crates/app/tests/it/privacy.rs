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
    let report = rathaus::backup::restore(&master, None, &inst.config.database_url(), &backup_file)
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

/// Every stored ciphertext of one citizen, read straight from the SQLite file.
async fn ciphertexts_of(db_url: &str, citizen_id: i64) -> Vec<Vec<u8>> {
    let pool = sqlx::SqlitePool::connect(&format!("{db_url}?mode=ro"))
        .await
        .unwrap();
    let mut blobs: Vec<Vec<u8>> = Vec::new();
    for sql in [
        "SELECT wrapped_key FROM citizens WHERE id = $1",
        "SELECT platform_id_enc FROM citizens WHERE id = $1",
        "SELECT phone_enc FROM citizens WHERE id = $1 AND phone_enc IS NOT NULL",
        "SELECT display_name_enc FROM citizens WHERE id = $1 AND display_name_enc IS NOT NULL",
        "SELECT platform_message_id_enc FROM consents WHERE citizen_id = $1",
        "SELECT m.body_enc FROM messages m JOIN concerns c ON c.id = m.concern_id WHERE c.citizen_id = $1 AND m.body_enc IS NOT NULL",
    ] {
        let rows: Vec<Vec<u8>> = sqlx::query_scalar(sql).bind(citizen_id).fetch_all(&pool).await.unwrap();
        blobs.extend(rows);
    }
    pool.close().await;
    blobs
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn after_erasure_no_plaintext_and_no_ciphertext_remains_anywhere() {
    let inst = Instance::start(&Db::Sqlite, false).await;
    let secret = "Quittenbaum-Streit mit Familie Wunderlich";
    for (from, n, text) in [(ANNA, "p", secret), (BERND, "q", "Laterne kaputt")] {
        assert_eq!(
            inst.post_wa(&wa(from, &format!("{n}1"), "Start")).await,
            200
        );
        assert_eq!(inst.post_wa(&wa(from, &format!("{n}2"), text)).await, 200);
    }
    inst.drain().await;
    let (m, ch) = (municipality(&inst).await, channel(&inst).await);
    let s = &inst.r().store;
    let anna = s.find_citizen(m, ch, ANNA).await.unwrap().unwrap();
    let url = inst.config.database_url();
    let blobs = ciphertexts_of(&url, anna.id).await;
    assert!(
        blobs.len() >= 6,
        "found Anna's ciphertexts: {}",
        blobs.len()
    );

    assert_eq!(inst.post_wa(&wa(ANNA, "p3", "  löschen. ")).await, 200);
    inst.drain().await;
    s.checkpoint().await.unwrap();

    // A backup taken after the erasure, decrypted, is scanned too.
    let master = rathaus::server::master_key(&inst.config).unwrap();
    let backup_file = inst._dir.path().join("nachher.rbak");
    rathaus::backup::backup(s, &master, &url, &backup_file)
        .await
        .unwrap();
    let mut restored_plain = Vec::new();
    rathaus::backup::read_encrypted(
        &rathaus::backup::backup_key(&master),
        std::fs::File::open(&backup_file).unwrap(),
        &mut restored_plain,
    )
    .unwrap();

    let mut places: Vec<(String, Vec<u8>)> = vec![("backup (decrypted)".into(), restored_plain)];
    for entry in std::fs::read_dir(inst.data_dir()).unwrap().flatten() {
        places.push((
            entry.path().display().to_string(),
            std::fs::read(entry.path()).unwrap_or_default(),
        ));
    }
    for (name, bytes) in &places {
        for plain in [secret.as_bytes(), ANNA.as_bytes()] {
            assert!(
                !contains(bytes, plain),
                "plaintext {:?} in {name}",
                String::from_utf8_lossy(plain)
            );
        }
        for (i, blob) in blobs.iter().enumerate() {
            assert!(
                !contains(bytes, blob),
                "ciphertext #{i} of the erased citizen in {name}"
            );
        }
    }
    // Bernd is untouched and still readable.
    let bernd = s.find_citizen(m, ch, BERND).await.unwrap().unwrap();
    let list = s.list_concerns(m, &ConcernFilter::default()).await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].citizen_id, bernd.id);
    let d = s.concern_detail(m, list[0].id).await.unwrap().unwrap();
    assert_eq!(d.messages[0].text.as_deref(), Some("Laterne kaputt"));
}

#[tokio::test]
async fn erasure_words_inside_a_longer_message_are_ordinary_text() {
    let inst = Instance::start(&Db::Sqlite, false).await;
    assert_eq!(inst.post_wa(&wa(ANNA, "n1", "Start")).await, 200);
    assert_eq!(
        inst.post_wa(&wa(
            ANNA,
            "n2",
            "Bitte nicht löschen, ich brauche die Auskunft noch"
        ))
        .await,
        200
    );
    inst.drain().await;
    let (m, ch) = (municipality(&inst).await, channel(&inst).await);
    assert!(inst
        .r()
        .store
        .find_citizen(m, ch, ANNA)
        .await
        .unwrap()
        .is_some());
    assert!(inst.r().store.erasures_since(0).await.unwrap().is_empty());
    assert_eq!(
        inst.r()
            .store
            .list_concerns(m, &ConcernFilter::default())
            .await
            .unwrap()
            .len(),
        1
    );
}
