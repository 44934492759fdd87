//! The behaviour every backend must show: consent gate storage, concerns, queue, tenancy, sessions.

use rathaus_domain::{
    ChannelKind, ConcernStatus, ConsentState, DeliveryStatus, Direction, InboundMessage,
    MessageContent, PlatformUser, StatusUpdate,
};
use rathaus_store::{ConcernFilter, InboundItem, JobKind, ReplyRefused, Role, Store};

use crate::backends;

const HOUR: i64 = 60 * 60 * 1000;
const T0: i64 = 1_790_000_000_000;

struct Town {
    m: i64,
    ch: i64,
}

async fn town(store: &Store, slug: &str, phone_number_id: &str) -> Town {
    let m = store
        .ensure_municipality(slug, slug, "Europe/Berlin", T0)
        .await
        .unwrap();
    let ch = store
        .ensure_channel(m.id, ChannelKind::WhatsApp, "whatsapp", phone_number_id, T0)
        .await
        .unwrap();
    Town { m: m.id, ch: ch.id }
}

fn user(id: &str) -> PlatformUser {
    PlatformUser {
        id: id.into(),
        phone: Some(id.into()),
        display_name: Some("Erika Mustermann".into()),
    }
}

fn text(id: &str, from: &str, at: i64, body: &str) -> InboundMessage {
    InboundMessage {
        platform_message_id: id.into(),
        sender: user(from),
        sent_at_ms: at,
        content: MessageContent::Text { body: body.into() },
    }
}

#[tokio::test]
async fn consent_creates_the_citizen_and_messages_land_in_one_concern() {
    for t in backends::all().await {
        let s = &t.store;
        let town = town(s, "musterstadt", "1065").await;
        assert!(
            s.find_citizen(town.m, town.ch, "4915100")
                .await
                .unwrap()
                .is_none(),
            "{}",
            t.name
        );
        let v = s
            .ensure_privacy_notice(town.m, "https://x/ds", Some("Fassung 1"), T0)
            .await
            .unwrap();
        let c = s
            .record_consent(town.m, town.ch, &user("4915100"), &v, "wamid.1", T0)
            .await
            .unwrap();
        assert_eq!(c.consent, ConsentState::Given);
        assert!(
            c.pseudonym.starts_with("Bürger·") && c.pseudonym.len() == "Bürger·".len() + 4,
            "{}",
            c.pseudonym
        );
        let again = s
            .find_citizen(town.m, town.ch, "4915100")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(again.id, c.id);
        assert_eq!(again.pseudonym, c.pseudonym);
        assert_eq!(s.citizen_platform_id(&again).await.unwrap(), "4915100");

        let f1 = s
            .file_inbound_message(
                &c,
                &text("wamid.2", "4915100", T0 + 1, "Laterne kaputt"),
                T0 + 1,
            )
            .await
            .unwrap()
            .unwrap();
        let f2 = s
            .file_inbound_message(
                &c,
                &text("wamid.3", "4915100", T0 + 2, "Lindenstraße 12"),
                T0 + 2,
            )
            .await
            .unwrap()
            .unwrap();
        assert!(f1.new_concern && !f2.new_concern);
        assert_eq!(f1.concern_id, f2.concern_id);
        let dup = s
            .file_inbound_message(
                &c,
                &text("wamid.3", "4915100", T0 + 2, "Lindenstraße 12"),
                T0 + 3,
            )
            .await
            .unwrap();
        assert!(dup.is_none(), "{}: redelivery must not file twice", t.name);

        let d = s
            .concern_detail(town.m, f1.concern_id)
            .await
            .unwrap()
            .unwrap();
        let texts: Vec<_> = d.messages.iter().map(|m| m.text.clone().unwrap()).collect();
        assert_eq!(texts, vec!["Laterne kaputt", "Lindenstraße 12"]);
        assert!(d.messages.iter().all(|m| m.direction == Direction::Inbound));
        let history = s.consent_history(&c).await.unwrap();
        assert_eq!(history.len(), 1);
        assert_eq!(history[0].notice_version, v);
        assert_eq!(history[0].platform_message_id.as_deref(), Some("wamid.1"));

        // A resolved concern is closed for good; the next message opens a new one.
        s.set_concern_status(town.m, f1.concern_id, ConcernStatus::Resolved, T0 + 4)
            .await
            .unwrap();
        let f3 = s
            .file_inbound_message(
                &c,
                &text("wamid.4", "4915100", T0 + 5, "Noch etwas"),
                T0 + 5,
            )
            .await
            .unwrap()
            .unwrap();
        assert!(f3.new_concern);
        assert_ne!(f3.concern_id, f1.concern_id);
    }
}

#[tokio::test]
async fn replies_respect_the_window_and_statuses_only_advance() {
    for t in backends::all().await {
        let s = &t.store;
        let town = town(s, "musterstadt", "1065").await;
        let staff = s
            .upsert_staff(town.m, "a@musterstadt.de", "Anna", None, Role::Agent, T0)
            .await
            .unwrap();
        let c = s
            .record_consent(town.m, town.ch, &user("49151"), "v1", "w0", T0)
            .await
            .unwrap();
        let f = s
            .file_inbound_message(&c, &text("w1", "49151", T0, "Hallo"), T0)
            .await
            .unwrap()
            .unwrap();

        let refused = s
            .queue_reply(town.m, f.concern_id, staff, "Spät", T0 + 25 * HOUR)
            .await
            .unwrap();
        assert_eq!(refused, Err(ReplyRefused::WindowClosed), "{}", t.name);
        assert_eq!(
            s.queue_reply(town.m, f.concern_id, staff, "  ", T0)
                .await
                .unwrap(),
            Err(ReplyRefused::EmptyText)
        );

        let msg = s
            .queue_reply(town.m, f.concern_id, staff, "Wir kümmern uns.", T0 + HOUR)
            .await
            .unwrap()
            .unwrap();
        let jobs = s.claim_jobs("w", T0 + HOUR, 60_000, 10).await.unwrap();
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].kind, JobKind::SendReply);
        let out = s.outbound_to_send(town.m, msg).await.unwrap();
        assert_eq!(
            (out.recipient.as_str(), out.text.as_str()),
            ("49151", "Wir kümmern uns.")
        );

        s.mark_sent(town.m, town.ch, msg, "wamid.out")
            .await
            .unwrap();
        for (st, expect) in [
            (DeliveryStatus::Read, DeliveryStatus::Read),
            (DeliveryStatus::Delivered, DeliveryStatus::Read),
        ] {
            let u = StatusUpdate {
                platform_message_id: "wamid.out".into(),
                status: st,
                at_ms: T0,
                error: None,
            };
            s.apply_status(town.m, town.ch, &u).await.unwrap();
            let d = s
                .concern_detail(town.m, f.concern_id)
                .await
                .unwrap()
                .unwrap();
            let m = d.messages.iter().find(|m| m.id == msg).unwrap();
            assert_eq!(m.delivery_status, Some(expect), "{}", t.name);
            assert_eq!(m.author_name.as_deref(), Some("Anna"));
        }

        s.withdraw_consent(&c, "v1", "w9", T0 + 2 * HOUR)
            .await
            .unwrap();
        let r = s
            .queue_reply(town.m, f.concern_id, staff, "Noch da?", T0 + 2 * HOUR)
            .await
            .unwrap();
        assert_eq!(r, Err(ReplyRefused::ConsentWithdrawn));
        let after = s
            .find_citizen(town.m, town.ch, "49151")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(after.consent, ConsentState::NotGiven);
    }
}

#[tokio::test]
async fn one_municipality_never_sees_another() {
    for t in backends::all().await {
        let s = &t.store;
        let a = town(s, "a-stadt", "111").await;
        let b = town(s, "b-dorf", "222").await;
        let ca = s
            .record_consent(a.m, a.ch, &user("4917"), "v", "x", T0)
            .await
            .unwrap();
        let fa = s
            .file_inbound_message(&ca, &text("m1", "4917", T0, "Nur für A"), T0)
            .await
            .unwrap()
            .unwrap();
        assert!(
            s.concern_detail(b.m, fa.concern_id)
                .await
                .unwrap()
                .is_none(),
            "{}",
            t.name
        );
        assert!(s
            .list_concerns(b.m, &ConcernFilter::default())
            .await
            .unwrap()
            .is_empty());
        assert_eq!(
            s.list_concerns(a.m, &ConcernFilter::default())
                .await
                .unwrap()
                .len(),
            1
        );
        // The same person writing to B is a different citizen there.
        assert!(s.find_citizen(b.m, b.ch, "4917").await.unwrap().is_none());
        let staff_b = s
            .upsert_staff(b.m, "b@b-dorf.de", "B", None, Role::Admin, T0)
            .await
            .unwrap();
        assert!(s
            .assign_concern(a.m, fa.concern_id, Some(staff_b))
            .await
            .is_err());
        assert!(s
            .set_concern_status(b.m, fa.concern_id, ConcernStatus::Resolved, T0)
            .await
            .is_err());
        // A channel id belongs to one municipality only.
        assert!(s
            .ensure_channel(b.m, ChannelKind::WhatsApp, "wa", "111", T0)
            .await
            .is_err());
    }
}

#[tokio::test]
async fn queue_dedupes_leases_and_retries() {
    for t in backends::all().await {
        let s = &t.store;
        let town = town(s, "musterstadt", "1065").await;
        let item = |k: &str, p: &[u8]| InboundItem {
            dedupe_key: k.into(),
            order_key: None,
            payload: p.to_vec(),
        };
        let events = vec![item("e1", b"one"), item("e2", b"two")];
        assert_eq!(s.enqueue_inbound(town.m, &events, T0).await.unwrap(), 2);
        assert_eq!(
            s.enqueue_inbound(town.m, &events[..1], T0).await.unwrap(),
            0,
            "{}: redelivery",
            t.name
        );

        let first = s.claim_jobs("w1", T0, 1000, 10).await.unwrap();
        assert_eq!(first.len(), 2);
        let mut payloads: Vec<_> = first.iter().map(|j| j.payload.clone()).collect();
        payloads.sort();
        assert_eq!(payloads, vec![b"one".to_vec(), b"two".to_vec()]);
        assert!(
            s.claim_jobs("w2", T0 + 500, 1000, 10)
                .await
                .unwrap()
                .is_empty(),
            "leased jobs are not handed out twice"
        );

        // w1 crashed: after the lease the jobs come back, with the attempt counted.
        let again = s.claim_jobs("w2", T0 + 1001, 1000, 10).await.unwrap();
        assert_eq!(again.len(), 2);
        assert!(again.iter().all(|j| j.attempts == 2));
        s.complete_job(again[0].id).await.unwrap();
        s.retry_job(again[1].id, T0 + 5000, "platform 500")
            .await
            .unwrap();
        assert!(s
            .claim_jobs("w2", T0 + 4000, 1000, 10)
            .await
            .unwrap()
            .is_empty());
        let later = s.claim_jobs("w2", T0 + 5000, 1000, 10).await.unwrap();
        assert_eq!(later.len(), 1);
        s.bury_job(later[0].id, "gave up").await.unwrap();
        assert_eq!(s.job_count("dead").await.unwrap(), 1);
        assert!(s
            .claim_jobs("w2", T0 + 999_999, 1000, 10)
            .await
            .unwrap()
            .is_empty());
    }
}

#[tokio::test]
async fn concurrent_workers_never_claim_the_same_job() {
    for t in backends::all().await {
        let s = t.store.clone();
        let town = town(&s, "musterstadt", "1065").await;
        let events: Vec<_> = (0..120)
            .map(|i| InboundItem {
                dedupe_key: format!("e{i}"),
                order_key: None,
                payload: format!("{i}").into_bytes(),
            })
            .collect();
        s.enqueue_inbound(town.m, &events, T0).await.unwrap();
        let mut handles = Vec::new();
        for w in 0..6 {
            let s = s.clone();
            handles.push(tokio::spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let jobs = s.claim_jobs(&format!("w{w}"), T0, 60_000, 7).await.unwrap();
                    if jobs.is_empty() {
                        return mine;
                    }
                    for j in jobs {
                        mine.push(j.id);
                        s.complete_job(j.id).await.unwrap();
                    }
                }
            }));
        }
        let mut all = Vec::new();
        for h in handles {
            all.extend(h.await.unwrap());
        }
        let n = all.len();
        all.sort();
        all.dedup();
        assert_eq!(
            (n, all.len()),
            (120, 120),
            "{}: every job exactly once",
            t.name
        );
    }
}

#[tokio::test]
async fn sessions_tokens_and_setup_links() {
    for t in backends::all().await {
        let s = &t.store;
        let town = town(s, "musterstadt", "1065").await;
        let id = s
            .upsert_staff(
                town.m,
                " Anna@Musterstadt.de ",
                "Anna",
                Some("hash"),
                Role::Admin,
                T0,
            )
            .await
            .unwrap();
        assert_eq!(
            s.staff_credentials("anna@musterstadt.de").await.unwrap(),
            Some((id, Some("hash".into())))
        );
        s.create_session("tok", id, town.m, T0, T0 + 12 * HOUR)
            .await
            .unwrap();
        let sess = s.session("tok", T0 + 1000, HOUR).await.unwrap().unwrap();
        assert_eq!((sess.staff_id, sess.role), (id, Role::Admin));
        assert!(
            s.session("tok", T0 + 3 * HOUR, HOUR)
                .await
                .unwrap()
                .is_none(),
            "{}: idle timeout",
            t.name
        );
        assert!(s.session("other", T0, HOUR).await.unwrap().is_none());
        s.delete_session("tok").await.unwrap();
        assert!(s.session("tok", T0 + 2000, HOUR).await.unwrap().is_none());

        let api = s.create_api_token(id, town.m, "cli", T0).await.unwrap();
        assert!(api.starts_with("rh_"));
        assert_eq!(s.api_token(&api, T0).await.unwrap().unwrap().staff_id, id);
        assert!(s.api_token("rh_wrong", T0).await.unwrap().is_none());

        let link = s.create_setup_link(town.m, T0, HOUR).await.unwrap();
        assert!(s.setup_link_valid(&link, T0).await.unwrap());
        assert_eq!(
            s.consume_setup_link(&link, T0 + 1).await.unwrap(),
            Some(town.m)
        );
        assert_eq!(
            s.consume_setup_link(&link, T0 + 2).await.unwrap(),
            None,
            "one use only"
        );
        let expired = s.create_setup_link(town.m, T0, HOUR).await.unwrap();
        assert_eq!(
            s.consume_setup_link(&expired, T0 + 2 * HOUR).await.unwrap(),
            None
        );
    }
}

#[tokio::test]
async fn retention_purge_deletes_only_what_is_due() {
    use rathaus_domain::retention::{RetentionRules, DAY_MS};
    for t in backends::all().await {
        let s = &t.store;
        let town = town(s, "musterstadt", "1065").await;
        let now = T0 + 400 * DAY_MS;
        let old = s
            .record_consent(town.m, town.ch, &user("491"), "v", "w1", T0)
            .await
            .unwrap();
        let f_old = s
            .file_inbound_message(&old, &text("m1", "491", T0, "alt"), T0)
            .await
            .unwrap()
            .unwrap();
        s.set_concern_status(
            town.m,
            f_old.concern_id,
            ConcernStatus::Resolved,
            now - 100 * DAY_MS,
        )
        .await
        .unwrap();
        let recent = s
            .file_inbound_message(&old, &text("m2", "491", now, "neu"), now - 10 * DAY_MS)
            .await
            .unwrap()
            .unwrap();
        s.set_concern_status(
            town.m,
            recent.concern_id,
            ConcernStatus::Resolved,
            now - 10 * DAY_MS,
        )
        .await
        .unwrap();
        let open = s
            .record_consent(town.m, town.ch, &user("492"), "v", "w2", T0)
            .await
            .unwrap();
        let f_open = s
            .file_inbound_message(&open, &text("m3", "492", T0, "offen"), T0)
            .await
            .unwrap()
            .unwrap();
        s.bump_counter(
            &format!("municipality:{}:channel:{}", town.m, town.ch),
            "unconsented_messages",
            "2026-01-01",
        )
        .await
        .unwrap();
        s.bump_counter(
            &format!("municipality:{}:channel:{}", town.m, town.ch),
            "unconsented_messages",
            "2027-12-31",
        )
        .await
        .unwrap();

        let day = |ms: i64| {
            if ms < T0 + 390 * DAY_MS {
                "2026-06-01".to_string()
            } else {
                "2027-12-01".to_string()
            }
        };
        let r = s
            .purge_municipality(town.m, &RetentionRules::default(), day, now)
            .await
            .unwrap();
        assert_eq!(
            (r.concerns, r.messages, r.counters),
            (1, 1, 1),
            "{}: {r:?}",
            t.name
        );
        assert!(s
            .concern_detail(town.m, f_old.concern_id)
            .await
            .unwrap()
            .is_none());
        assert!(
            s.concern_detail(town.m, recent.concern_id)
                .await
                .unwrap()
                .is_some(),
            "resolved 10 days ago: kept"
        );
        assert!(
            s.concern_detail(town.m, f_open.concern_id)
                .await
                .unwrap()
                .is_some(),
            "open concerns are never purged"
        );
        assert_eq!(
            s.counter_total(
                &format!("municipality:{}:channel:{}", town.m, town.ch),
                "unconsented_messages"
            )
            .await
            .unwrap(),
            1
        );

        // A citizen who withdrew four years ago and has nothing left disappears with their consent records.
        let gone = s
            .record_consent(town.m, town.ch, &user("493"), "v", "w3", T0)
            .await
            .unwrap();
        s.withdraw_consent(&gone, "v", "w4", T0).await.unwrap();
        let later = T0 + 4 * 366 * DAY_MS;
        let r = s
            .purge_municipality(
                town.m,
                &RetentionRules::default(),
                |_| "2026-01-01".into(),
                later,
            )
            .await
            .unwrap();
        assert_eq!((r.citizens, r.consents), (1, 2), "{}: {r:?}", t.name);
        assert!(s
            .find_citizen(town.m, town.ch, "493")
            .await
            .unwrap()
            .is_none());
        assert!(
            s.find_citizen(town.m, town.ch, "492")
                .await
                .unwrap()
                .is_some(),
            "consenting citizens stay"
        );
    }
}

#[tokio::test]
async fn only_one_instance_holds_a_lease() {
    for t in backends::all().await {
        let s = &t.store;
        assert!(s.try_lease("retention-purge", "a", T0, 1000).await.unwrap());
        assert!(
            !s.try_lease("retention-purge", "b", T0 + 10, 1000)
                .await
                .unwrap(),
            "{}",
            t.name
        );
        assert!(
            s.try_lease("retention-purge", "a", T0 + 20, 1000)
                .await
                .unwrap(),
            "the holder renews"
        );
        assert!(
            s.try_lease("retention-purge", "b", T0 + 2000, 1000)
                .await
                .unwrap(),
            "an expired lease is taken over"
        );
        assert!(!s
            .try_lease("retention-purge", "a", T0 + 2001, 1000)
            .await
            .unwrap());
    }
}

/// A tiny deterministic generator, so populations differ per round but failures reproduce.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

#[tokio::test]
async fn erasing_one_citizen_leaves_every_other_intact_and_readable() {
    for t in backends::all().await {
        let s = &t.store;
        let town = town(s, "musterstadt", "1065").await;
        let mut rng = Lcg(0x5eed ^ t.name.len() as u64);
        let mut next_msg = 0;
        for round in 0..4 {
            let population = 2 + rng.next(5) as usize;
            let mut people = Vec::new();
            for p in 0..population {
                let id = format!("49{round}{p}{}", rng.next(1_000_000));
                let c = s
                    .record_consent(
                        town.m,
                        town.ch,
                        &user(&id),
                        "v",
                        &format!("c{round}{p}"),
                        T0,
                    )
                    .await
                    .unwrap();
                let mut texts = Vec::new();
                for _ in 0..1 + rng.next(4) {
                    next_msg += 1;
                    let body = format!("Nachricht {next_msg} von {id}");
                    s.file_inbound_message(&c, &text(&format!("m{next_msg}"), &id, T0, &body), T0)
                        .await
                        .unwrap();
                    texts.push(body);
                }
                people.push((id, c, texts));
            }
            let victim = rng.next(population as u64) as usize;
            let (vid, vc, _) = &people[victim];
            let summary = s
                .erase_citizen(vc, "test", T0, |_, _, _| false)
                .await
                .unwrap();
            assert!(
                summary.messages >= 1 && summary.concerns == 1,
                "{}: {summary:?}",
                t.name
            );
            assert!(s
                .find_citizen(town.m, town.ch, vid)
                .await
                .unwrap()
                .is_none());
            for (i, (id, _, texts)) in people.iter().enumerate() {
                if i == victim {
                    continue;
                }
                let c = s
                    .find_citizen(town.m, town.ch, id)
                    .await
                    .unwrap()
                    .expect("others stay");
                assert_eq!(&s.citizen_platform_id(&c).await.unwrap(), id);
                let concerns = s
                    .list_concerns(town.m, &ConcernFilter::default())
                    .await
                    .unwrap();
                let mine = concerns
                    .iter()
                    .find(|x| x.citizen_id == c.id)
                    .expect("their concern stays");
                let d = s.concern_detail(town.m, mine.id).await.unwrap().unwrap();
                let got: Vec<String> = d.messages.iter().filter_map(|m| m.text.clone()).collect();
                assert_eq!(&got, texts, "{}: round {round}", t.name);
            }
            // Clean the round so the next population starts fresh.
            for (i, (_, c, _)) in people.iter().enumerate() {
                if i != victim {
                    s.erase_citizen(c, "test", T0, |_, _, _| false)
                        .await
                        .unwrap();
                }
            }
        }
    }
}

#[tokio::test]
async fn events_with_one_order_key_run_one_after_another() {
    for t in backends::all().await {
        let s = &t.store;
        let town = town(s, "musterstadt", "1065").await;
        let item = |k: &str, order: &str| InboundItem {
            dedupe_key: k.into(),
            order_key: Some(order.into()),
            payload: k.as_bytes().to_vec(),
        };
        s.enqueue_inbound(
            town.m,
            &[
                item("a1", "anna"),
                item("b1", "bernd"),
                item("a2", "anna"),
                item("a3", "anna"),
            ],
            T0,
        )
        .await
        .unwrap();
        // Two workers at once: each citizen's first event only.
        let w1 = s.claim_jobs("w1", T0, 60_000, 10).await.unwrap();
        let w2 = s.claim_jobs("w2", T0, 60_000, 10).await.unwrap();
        let mut first: Vec<_> = w1
            .iter()
            .chain(&w2)
            .map(|j| String::from_utf8(j.payload.clone()).unwrap())
            .collect();
        first.sort();
        assert_eq!(first, vec!["a1", "b1"], "{}", t.name);
        // Anna's next event becomes available only when the previous one is done.
        let a1 = w1
            .iter()
            .chain(&w2)
            .find(|j| j.payload == b"a1")
            .unwrap()
            .id;
        assert!(s.claim_jobs("w2", T0, 60_000, 10).await.unwrap().is_empty());
        s.complete_job(a1).await.unwrap();
        let next = s.claim_jobs("w2", T0, 60_000, 10).await.unwrap();
        assert_eq!(
            next.iter().map(|j| j.payload.clone()).collect::<Vec<_>>(),
            vec![b"a2".to_vec()],
            "{}",
            t.name
        );
        // A retried event keeps its place: later events of the same citizen wait for it.
        s.retry_job(next[0].id, T0 + 5_000, "platform down")
            .await
            .unwrap();
        assert!(
            s.claim_jobs("w2", T0 + 1_000, 60_000, 10)
                .await
                .unwrap()
                .is_empty(),
            "{}: a3 waits for a2",
            t.name
        );
    }
}
