//! A citizen's WhatsApp and Telegram messages through the gate, into the inbox, answered by staff.

use rathaus::simulate::{self, whatsapp_message, whatsapp_text};
use rathaus_store::{now_ms, ConcernFilter, Role};
use serde_json::{json, Value};

use crate::harness::{databases, Db, Instance, PHONE_NUMBER_ID};

const PHONE: &str = "4917612345678";
const NAME: &str = "Friederike Quellenbach";
const SECRET_TEXT: &str = "Mein Nachbar Xaver Zwiebelfisch parkt seit Wochen auf dem Gehweg";

fn wa(id: &str, text: &str) -> Value {
    whatsapp_message(
        PHONE_NUMBER_ID,
        PHONE,
        NAME,
        whatsapp_text(PHONE, id, now_ms() / 1000, text),
    )
}

async fn api_token(inst: &Instance, email: &str, role: Role) -> String {
    let s = &inst.r().store;
    let m = s
        .municipality_by_slug("musterstadt")
        .await
        .unwrap()
        .unwrap();
    let id = s
        .upsert_staff(m.id, email, "Sachbearbeitung", None, role, now_ms())
        .await
        .unwrap();
    s.create_api_token(id, m.id, "test", now_ms())
        .await
        .unwrap()
}

async fn concerns(inst: &Instance) -> Vec<rathaus_store::ConcernSummary> {
    let s = &inst.r().store;
    let m = s
        .municipality_by_slug("musterstadt")
        .await
        .unwrap()
        .unwrap();
    s.list_concerns(m.id, &ConcernFilter::default())
        .await
        .unwrap()
}

#[tokio::test]
async fn whatsapp_citizen_opts_in_writes_and_gets_an_answer() {
    for db in databases().await {
        let inst = Instance::start(&db, false).await;

        // Before opt-in: an explanation, nothing stored but a counter.
        assert_eq!(
            inst.post_wa(&wa("wamid.a1", "Hallo, wer ist da?")).await,
            200,
            "{db:?}"
        );
        inst.drain().await;
        let sent = inst.platform.sent_texts();
        assert_eq!(sent.len(), 1);
        assert!(
            sent[0].text.contains("Anmeldung")
                && sent[0]
                    .text
                    .contains("https://musterstadt.de/datenschutz-messenger")
        );
        assert!(concerns(&inst).await.is_empty());

        // Opt-in with the keyword in another spelling.
        assert_eq!(inst.post_wa(&wa("wamid.a2", "  anmeldung! ")).await, 200);
        inst.drain().await;
        assert!(
            inst.platform.sent_texts()[1].text.contains("Stopp"),
            "confirmation says how to withdraw"
        );

        // The concern, delivered twice by the platform, is filed once.
        let msg = wa("wamid.a3", SECRET_TEXT);
        assert_eq!(inst.post_wa(&msg).await, 200);
        assert_eq!(inst.post_wa(&msg).await, 200);
        inst.drain().await;
        let list = concerns(&inst).await;
        assert_eq!(list.len(), 1);
        assert!(list[0].pseudonym.starts_with("Bürger·"));

        // Staff answers through the API; the fake platform receives a spec-shaped request.
        let token = api_token(&inst, "sb@musterstadt.de", Role::Agent).await;
        let base = inst.url();
        let detail: Value = inst
            .http
            .get(format!("{base}/api/v1/concerns/{}", list[0].id))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let texts: Vec<&str> = detail["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|m| m["text"].as_str())
            .collect();
        assert_eq!(
            texts,
            vec![SECRET_TEXT],
            "one message after the redelivery: {detail}"
        );
        assert!(
            !detail.to_string().contains(PHONE),
            "the API never shows the phone number"
        );

        let res = inst
            .http
            .post(format!("{base}/api/v1/concerns/{}/replies", list[0].id))
            .bearer_auth(&token)
            .json(&json!({"text": "Danke, das Ordnungsamt schaut es sich an."}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 202);
        inst.drain().await;
        let reply = inst
            .platform
            .requests()
            .into_iter()
            .rev()
            .find(|r| r.path.ends_with(&format!("/{PHONE_NUMBER_ID}/messages")))
            .unwrap();
        assert_eq!(reply.bearer(), Some("demo-access-token"));
        assert!(reply.header("user-agent").unwrap().starts_with("rathaus/"));
        let body = reply.json.clone().unwrap();
        assert_eq!(body["messaging_product"], "whatsapp");
        assert_eq!(body["type"], "text");
        assert_eq!(
            body["text"]["body"],
            "Danke, das Ordnungsamt schaut es sich an."
        );

        // The platform reports "read": the thread shows it.
        let wamid = inst
            .platform
            .sent_texts()
            .last()
            .unwrap()
            .platform_message_id
            .clone();
        let status = json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp", "metadata": {"display_phone_number": "1", "phone_number_id": PHONE_NUMBER_ID},
            "statuses": [{"id": wamid, "status": "read", "timestamp": (now_ms() / 1000).to_string(), "recipient_id": PHONE}]}}]}]});
        assert_eq!(inst.post_wa(&status).await, 200);
        inst.drain().await;
        let detail: Value = inst
            .http
            .get(format!("{base}/api/v1/concerns/{}", list[0].id))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let out = detail["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["direction"] == "outbound")
            .unwrap();
        assert_eq!(out["delivery_status"], "read", "{detail}");

        // Withdrawal: confirmed, and later messages are treated as before opt-in.
        assert_eq!(inst.post_wa(&wa("wamid.a4", "STOPP")).await, 200);
        inst.drain().await;
        assert!(inst
            .platform
            .sent_texts()
            .last()
            .unwrap()
            .text
            .contains("widerrufen"));
        assert_eq!(inst.post_wa(&wa("wamid.a5", "Noch eine Frage")).await, 200);
        inst.drain().await;
        assert!(inst
            .platform
            .sent_texts()
            .last()
            .unwrap()
            .text
            .contains("Einwilligung"));
        let detail: Value = inst
            .http
            .get(format!("{base}/api/v1/concerns/{}", list[0].id))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(
            !detail.to_string().contains("Noch eine Frage"),
            "nothing stored after withdrawal"
        );

        // No plaintext personal data at rest.
        let needles = [PHONE, NAME, "Zwiebelfisch", "Ordnungsamt"];
        let leaks = scan_at_rest(&inst, &db, &needles).await;
        assert!(
            leaks.is_empty(),
            "{db:?}: plaintext found at rest: {leaks:?}"
        );
        inst.running.unwrap().stop().await;
    }
}

/// Looks for each needle in the database files (SQLite) or a pg_dump (PostgreSQL) and the data folder.
async fn scan_at_rest(inst: &Instance, db: &Db, needles: &[&str]) -> Vec<String> {
    let mut blobs: Vec<(String, Vec<u8>)> = Vec::new();
    for entry in walk(&inst.data_dir()) {
        blobs.push((
            entry.display().to_string(),
            std::fs::read(&entry).unwrap_or_default(),
        ));
    }
    if let Db::Postgres(url) = db {
        let out = std::process::Command::new("pg_dump")
            .arg("--no-owner")
            .arg(url)
            .output()
            .expect("pg_dump is needed for the PostgreSQL scan");
        assert!(
            out.status.success(),
            "pg_dump failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.stdout.len() > 1000, "pg_dump produced a dump");
        blobs.push(("pg_dump".into(), out.stdout));
    }
    assert!(!blobs.is_empty());
    let mut leaks = Vec::new();
    for (name, bytes) in &blobs {
        for n in needles {
            if bytes.windows(n.len()).any(|w| w == n.as_bytes()) {
                leaks.push(format!("{n} in {name}"));
            }
        }
    }
    leaks
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[tokio::test]
async fn webhooks_refuse_what_is_not_authentic_or_well_formed() {
    let inst = Instance::start(&Db::Sqlite, false).await;
    let base = inst.url();
    let body = serde_json::to_vec(&wa("wamid.x", "Hallo")).unwrap();
    let post = |sig: Option<String>, body: Vec<u8>| {
        let mut req = inst
            .http
            .post(format!("{base}/webhooks/whatsapp"))
            .header("content-type", "application/json")
            .body(body);
        if let Some(s) = sig {
            req = req.header("x-hub-signature-256", s);
        }
        req.send()
    };
    assert_eq!(
        post(None, body.clone()).await.unwrap().status().as_u16(),
        401
    );
    assert_eq!(
        post(
            Some(simulate::whatsapp_signature("wrong-secret", &body)),
            body.clone()
        )
        .await
        .unwrap()
        .status()
        .as_u16(),
        401
    );
    // A signature Meta really made, but over another body: an attacker who replays a captured
    // signature with their own message is refused.
    let signed_for_the_original = simulate::whatsapp_signature(crate::harness::APP_SECRET, &body);
    let forged = serde_json::to_vec(&wa("wamid.x", "Bitte überweisen Sie 100 €")).unwrap();
    assert_ne!(forged, body);
    assert_eq!(
        post(Some(signed_for_the_original), forged)
            .await
            .unwrap()
            .status()
            .as_u16(),
        401
    );
    let broken = b"{\"entry\": [".to_vec();
    assert_eq!(
        post(
            Some(simulate::whatsapp_signature(
                crate::harness::APP_SECRET,
                &broken
            )),
            broken
        )
        .await
        .unwrap()
        .status()
        .as_u16(),
        400
    );
    let huge = vec![b' '; 1024 * 1024 + 10];
    assert_eq!(
        post(
            Some(simulate::whatsapp_signature(
                crate::harness::APP_SECRET,
                &huge
            )),
            huge
        )
        .await
        .unwrap()
        .status()
        .as_u16(),
        413
    );
    let unknown = whatsapp_message(
        "999999",
        PHONE,
        NAME,
        whatsapp_text(PHONE, "wamid.u", 1, "Hallo"),
    );
    assert_eq!(
        inst.post_wa(&unknown).await,
        200,
        "unknown numbers are acknowledged so Meta stops retrying"
    );
    assert_eq!(
        inst.r().store.job_count("ready").await.unwrap(),
        0,
        "nothing stored for refused or unknown events"
    );
    assert_eq!(
        inst.r()
            .store
            .counter_total("webhooks", "whatsapp_unrouted_events")
            .await
            .unwrap(),
        1
    );

    // Subscription handshake.
    let ok = inst.http.get(format!("{base}/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=demo-verify-token&hub.challenge=1158201444")).send().await.unwrap();
    assert_eq!(ok.status().as_u16(), 200);
    assert_eq!(ok.text().await.unwrap(), "1158201444");
    let bad = inst
        .http
        .get(format!(
            "{base}/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 403);

    // Telegram: the secret header decides.
    let upd = simulate::telegram_text(1, 5005, 1, "Lena", 1, "Start");
    let res = inst
        .http
        .post(format!("{base}/webhooks/telegram/buergerbot"))
        .header("x-telegram-bot-api-secret-token", "wrong")
        .json(&upd)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
    let res = inst
        .http
        .post(format!("{base}/webhooks/telegram/buergerbot"))
        .json(&upd)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
    let res = inst
        .http
        .post(format!("{base}/webhooks/telegram/unbekannt"))
        .json(&upd)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 404);
    assert_eq!(inst.r().store.job_count("ready").await.unwrap(), 0);
}

#[tokio::test]
async fn telegram_citizen_is_answered_through_send_message() {
    let inst = Instance::start(&Db::Sqlite, false).await;
    let lena = |update_id: i64, message_id: i64, text: &str| {
        simulate::telegram_text(update_id, 5005, message_id, "Lena", now_ms() / 1000, text)
    };
    assert_eq!(inst.post_tg(&lena(100, 1, "Start")).await, 200);
    let question = lena(101, 2, "Wann ist der Wertstoffhof offen?");
    assert_eq!(inst.post_tg(&question).await, 200);
    // Redelivered update id: dropped.
    assert_eq!(inst.post_tg(&question).await, 200);
    inst.drain().await;
    let list = concerns(&inst).await;
    assert_eq!(
        list.len(),
        1,
        "sent: {:?}",
        inst.platform
            .sent_texts()
            .iter()
            .map(|t| t.text.clone())
            .collect::<Vec<_>>()
    );
    let token = api_token(&inst, "tg@musterstadt.de", Role::Agent).await;
    let res = inst
        .http
        .post(format!(
            "{}/api/v1/concerns/{}/replies",
            inst.url(),
            list[0].id
        ))
        .bearer_auth(&token)
        .json(&json!({"text": "Samstags 9–13 Uhr."}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 202);
    inst.drain().await;
    let req = inst
        .platform
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.path.ends_with("/sendMessage"))
        .unwrap();
    assert!(req.path.contains("/bot123456:demo-bot-token/"));
    let body = req.json.unwrap();
    assert_eq!(body["chat_id"].to_string().trim_matches('"'), "5005");
    assert_eq!(body["text"], "Samstags 9–13 Uhr.");
}

#[tokio::test]
async fn an_accepted_webhook_survives_a_crash_before_processing() {
    for db in databases().await {
        let mut inst = Instance::start(&db, false).await;
        assert_eq!(inst.post_wa(&wa("wamid.c1", "Start")).await, 200);
        // The process dies before any worker ran: the 200 was only given after the event was stored.
        inst.restart(true).await;
        inst.eventually("opt-in confirmation after restart", || {
            inst.platform
                .sent_texts()
                .iter()
                .any(|t| t.text.contains("Einwilligung ist gespeichert"))
        })
        .await;
        inst.running.take().unwrap().stop().await;
    }
}

#[tokio::test]
async fn a_photo_is_fetched_through_the_platform_stored_encrypted_and_downloadable() {
    let inst = Instance::start(&Db::Sqlite, false).await;
    let photo: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 251) as u8).collect();
    inst.platform.add_media("media-4711", &photo, "image/jpeg");
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&photo));
    assert_eq!(inst.post_wa(&wa("wamid.p1", "Start")).await, 200);
    let img = whatsapp_message(
        PHONE_NUMBER_ID,
        PHONE,
        NAME,
        simulate::whatsapp_image(
            PHONE,
            "wamid.p2",
            now_ms() / 1000,
            "media-4711",
            &sha,
            "Schlagloch Ecke Gartenweg",
        ),
    );
    assert_eq!(inst.post_wa(&img).await, 200);
    inst.drain().await;
    // The download went through the Graph API with the token.
    let lookups: Vec<_> = inst
        .platform
        .requests()
        .into_iter()
        .filter(|r| r.path.contains("media-4711"))
        .collect();
    assert!(
        !lookups.is_empty()
            && lookups
                .iter()
                .all(|r| r.bearer() == Some("demo-access-token"))
    );

    let token = api_token(&inst, "foto@musterstadt.de", Role::Agent).await;
    let list = concerns(&inst).await;
    let base = inst.url();
    let detail: Value = inst
        .http
        .get(format!("{base}/api/v1/concerns/{}", list[0].id))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let msg = detail["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["kind"] == "image")
        .expect("image message")
        .clone();
    assert_eq!(msg["text"], "Schlagloch Ecke Gartenweg");
    let media_id = msg["media"]["id"].as_i64().expect("media id");
    let res = inst
        .http
        .get(format!(
            "{base}/api/v1/concerns/{}/media/{media_id}",
            list[0].id
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    assert_eq!(res.bytes().await.unwrap().to_vec(), photo);
    // Encrypted at rest: the photo's bytes are nowhere in the data folder.
    inst.r().store.checkpoint().await.unwrap();
    let leaks = scan_at_rest(&inst, &Db::Sqlite, &[]).await;
    assert!(leaks.is_empty());
    for entry in walk(&inst.data_dir()) {
        let bytes = std::fs::read(&entry).unwrap();
        assert!(
            !bytes.windows(64).any(|w| w == &photo[1000..1064]),
            "photo bytes in {}",
            entry.display()
        );
    }
}
