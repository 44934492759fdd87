//! Response-time tracking on both backends: promises, first replies, reopening, near/past-due counts, report samples, consultation queues.

use rathaus_domain::retention::{RetentionRules, DAY_MS};
use rathaus_domain::schedule::response_time::{Clock, Situation};
use rathaus_domain::schedule::ResponseStatus;
use rathaus_domain::{ChannelKind, ConcernStatus, InboundMessage, MessageContent, PlatformUser};
use rathaus_store::{CitizenRef, PromiseRecord, ResponseAlerts, Role, Store};

use crate::backends::{self, municipality};

const MIN: i64 = 60 * 1000;
const T0: i64 = 1_790_000_000_000;

struct Town {
    m: i64,
    wa: i64,
    tg: i64,
    staff: i64,
}

async fn town(s: &Store) -> Town {
    let m = municipality(s, "musterstadt", "Musterstadt").await;
    let wa = s
        .ensure_channel(m, ChannelKind::WhatsApp, "whatsapp", "1065", T0)
        .await
        .unwrap()
        .id;
    let tg = s
        .ensure_channel(m, ChannelKind::Telegram, "buergerbot", "buergerbot", T0)
        .await
        .unwrap()
        .id;
    let staff = s
        .upsert_staff(m, "a@musterstadt.de", "Anna", None, Role::Agent, T0)
        .await
        .unwrap();
    Town { m, wa, tg, staff }
}

async fn citizen(s: &Store, t: &Town, channel: i64, id: &str) -> CitizenRef {
    let user = PlatformUser {
        id: id.into(),
        phone: Some(id.into()),
        display_name: None,
    };
    s.record_consent(t.m, channel, &user, "v1", &format!("optin-{id}"), T0)
        .await
        .unwrap()
}

fn text(id: &str, from: &str, at: i64) -> InboundMessage {
    InboundMessage {
        platform_message_id: id.into(),
        sender: PlatformUser {
            id: from.into(),
            phone: None,
            display_name: None,
        },
        sent_at_ms: at,
        content: MessageContent::Text {
            body: "Laterne kaputt".into(),
        },
    }
}

/// A promise due `due_min` minutes after `at`, near due from `near_min`.
fn promise(at: i64, near_min: i64, due_min: i64, slot: Option<i64>) -> PromiseRecord {
    PromiseRecord {
        situation: if slot.is_some() {
            Situation::Consultation
        } else {
            Situation::OfficeHours
        },
        clock: Clock::WallClock,
        due_at: at + due_min * MIN,
        near_due_at: at + near_min * MIN,
        slot_start: slot,
    }
}

async fn file(
    s: &Store,
    c: &CitizenRef,
    msg_id: &str,
    at: i64,
    p: Option<PromiseRecord>,
) -> rathaus_store::FiledMessage {
    s.file_inbound_message_promised(c, &text(msg_id, "x", at), p.as_ref(), at)
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn the_promise_is_kept_from_the_first_message_until_the_first_staff_reply() {
    for b in backends::all().await {
        let s = &b.store;
        let t = town(s).await;
        let c = citizen(s, &t, t.wa, "4915100").await;
        let f1 = file(s, &c, "m1", T0, Some(promise(T0, 45, 60, None))).await;
        assert_eq!(f1.waiting_since, Some(T0), "{}", b.name);
        // A second message neither moves the due time nor the waiting position.
        let f2 = file(s, &c, "m2", T0 + MIN, Some(promise(T0 + MIN, 1, 2, None))).await;
        assert_eq!(f2.waiting_since, Some(T0));
        let sum = s
            .concern_summary(t.m, f1.concern_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (sum.due_at, sum.near_due_at, sum.first_response_at),
            (Some(T0 + 60 * MIN), Some(T0 + 45 * MIN), None),
            "{}",
            b.name
        );
        assert_eq!(
            sum.response_status(T0 + 44 * MIN),
            Some(ResponseStatus::OnTrack)
        );
        assert_eq!(
            sum.response_status(T0 + 45 * MIN),
            Some(ResponseStatus::NearDue)
        );
        assert_eq!(
            sum.response_status(T0 + 60 * MIN),
            Some(ResponseStatus::NearDue)
        );
        assert_eq!(
            sum.response_status(T0 + 61 * MIN),
            Some(ResponseStatus::Breached)
        );

        // The first staff reply ends the measurement; later replies do not move it.
        s.queue_reply(
            t.m,
            f1.concern_id,
            t.staff,
            "Wir kümmern uns.",
            T0 + 30 * MIN,
        )
        .await
        .unwrap()
        .unwrap();
        s.queue_reply(t.m, f1.concern_id, t.staff, "Erledigt.", T0 + 90 * MIN)
            .await
            .unwrap()
            .unwrap();
        let sum = s
            .concern_summary(t.m, f1.concern_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(sum.first_response_at, Some(T0 + 30 * MIN), "{}", b.name);
        assert_eq!(sum.response_status(T0 + 2 * 60 * MIN), None);
        // The citizen writing again does not start a new measurement in the same concern.
        let f3 = file(
            s,
            &c,
            "m3",
            T0 + 100 * MIN,
            Some(promise(T0 + 100 * MIN, 1, 2, None)),
        )
        .await;
        assert_eq!(f3.waiting_since, None);
        let listed = s.list_concerns(t.m, &Default::default()).await.unwrap();
        assert_eq!(listed[0].due_at, Some(T0 + 60 * MIN));
        assert_eq!(listed[0].first_response_at, Some(T0 + 30 * MIN));

        // Filing without a promise (the old call) records none.
        let d = citizen(s, &t, t.wa, "4915199").await;
        let plain = s
            .file_inbound_message(&d, &text("p1", "4915199", T0), T0)
            .await
            .unwrap()
            .unwrap();
        let sum = s
            .concern_summary(t.m, plain.concern_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((sum.due_at, sum.response_status(T0)), (None, None));
    }
}

#[tokio::test]
async fn a_reopened_concern_starts_a_new_measurement_and_the_old_one_stays_in_reports() {
    for b in backends::all().await {
        let s = &b.store;
        let t = town(s).await;
        let c = citizen(s, &t, t.wa, "4915100").await;
        let f = file(s, &c, "m1", T0, Some(promise(T0, 45, 60, None))).await;
        s.queue_reply(t.m, f.concern_id, t.staff, "Antwort", T0 + 10 * MIN)
            .await
            .unwrap()
            .unwrap();
        s.set_concern_status(t.m, f.concern_id, ConcernStatus::Resolved, T0 + 20 * MIN)
            .await
            .unwrap();
        s.set_concern_status(t.m, f.concern_id, ConcernStatus::Open, T0 + 30 * MIN)
            .await
            .unwrap();
        let again = file(
            s,
            &c,
            "m2",
            T0 + 40 * MIN,
            Some(promise(T0 + 40 * MIN, 50, 100, None)),
        )
        .await;
        assert_eq!(again.concern_id, f.concern_id, "{}", b.name);
        assert_eq!(again.waiting_since, Some(T0 + 40 * MIN));
        let sum = s.concern_summary(t.m, f.concern_id).await.unwrap().unwrap();
        assert_eq!(
            (sum.due_at, sum.first_response_at),
            (Some(T0 + 140 * MIN), None)
        );
        let samples = s.response_samples(t.m, T0, T0 + DAY_MS).await.unwrap();
        assert_eq!(samples.len(), 2, "{}", b.name);
        let answered: Vec<_> = samples
            .iter()
            .map(|x| x.first_response.map(|r| r.as_millisecond()))
            .collect();
        assert!(answered.contains(&Some(T0 + 10 * MIN)) && answered.contains(&None));
    }
}

#[tokio::test]
async fn near_and_past_due_counts_for_the_inbox() {
    for b in backends::all().await {
        let s = &b.store;
        let t = town(s).await;
        let now = T0 + 100 * MIN;
        // Past due, near due, on track, answered late, resolved unanswered, and one without a promise.
        let cases = [
            ("1", promise(T0, 30, 60, None), false, false),
            ("2", promise(T0, 90, 120, None), false, false),
            ("3", promise(T0, 150, 200, None), false, false),
            ("4", promise(T0, 30, 60, None), true, false),
            ("5", promise(T0, 30, 60, None), false, true),
        ];
        for (id, p, answer, resolve) in cases {
            let c = citizen(s, &t, t.wa, id).await;
            let f = file(s, &c, &format!("m{id}"), T0, Some(p)).await;
            if answer {
                s.queue_reply(t.m, f.concern_id, t.staff, "ok", now)
                    .await
                    .unwrap()
                    .unwrap();
            }
            if resolve {
                s.set_concern_status(t.m, f.concern_id, ConcernStatus::Resolved, now)
                    .await
                    .unwrap();
            }
        }
        let c = citizen(s, &t, t.wa, "6").await;
        s.file_inbound_message(&c, &text("m6", "6", T0), T0)
            .await
            .unwrap();
        assert_eq!(
            s.response_alerts(t.m, now, None).await.unwrap(),
            ResponseAlerts {
                near_due: 1,
                past_due: 1
            },
            "{}",
            b.name
        );
        assert_eq!(
            s.response_alerts(t.m, T0, None).await.unwrap(),
            ResponseAlerts::default()
        );
        assert_eq!(
            s.response_alerts(t.m, T0 + 1000 * MIN, None).await.unwrap(),
            ResponseAlerts {
                near_due: 0,
                past_due: 3
            }
        );
    }
}

#[tokio::test]
async fn report_samples_are_times_only_and_survive_the_retention_purge_but_not_an_erasure() {
    for b in backends::all().await {
        let s = &b.store;
        let t = town(s).await;
        let a = citizen(s, &t, t.wa, "491").await;
        let z = citizen(s, &t, t.tg, "777").await;
        let fa = file(
            s,
            &a,
            "a1",
            T0,
            Some(promise(T0, 10, 15, Some(T0 - 5 * MIN))),
        )
        .await;
        file(
            s,
            &z,
            "z1",
            T0 + DAY_MS,
            Some(promise(T0 + DAY_MS, 45, 60, None)),
        )
        .await;
        s.queue_reply(t.m, fa.concern_id, t.staff, "Hallo", T0 + 5 * MIN)
            .await
            .unwrap()
            .unwrap();
        let mut all = s.response_samples(t.m, T0, T0 + 2 * DAY_MS).await.unwrap();
        all.sort_by_key(|x| x.started);
        assert_eq!(all.len(), 2, "{}", b.name);
        assert_eq!(all[0].channel, "whatsapp");
        assert_eq!(
            all[0].slot_start.map(|x| x.as_millisecond()),
            Some(T0 - 5 * MIN)
        );
        assert_eq!(all[0].due.as_millisecond(), T0 + 15 * MIN);
        assert_eq!(
            all[0].first_response.map(|x| x.as_millisecond()),
            Some(T0 + 5 * MIN)
        );
        assert_eq!(
            (all[1].channel.as_str(), all[1].first_response),
            ("buergerbot", None)
        );
        // [from, to): the second starts exactly at `to` of a one-day range.
        assert_eq!(
            s.response_samples(t.m, T0, T0 + DAY_MS)
                .await
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            s.response_samples(t.m + 1000, T0, T0 + 2 * DAY_MS)
                .await
                .unwrap()
                .len(),
            0
        );

        // The retention purge deletes the resolved concern but keeps its anonymous timing.
        s.set_concern_status(t.m, fa.concern_id, ConcernStatus::Resolved, T0 + 10 * MIN)
            .await
            .unwrap();
        let later = T0 + 200 * DAY_MS;
        let r = s
            .purge_municipality(
                t.m,
                &RetentionRules::default(),
                |_| "2026-01-01".into(),
                later,
            )
            .await
            .unwrap();
        assert_eq!(r.concerns, 1, "{}: {r:?}", b.name);
        assert_eq!(
            s.response_samples(t.m, T0, T0 + 2 * DAY_MS)
                .await
                .unwrap()
                .len(),
            2
        );

        // An erasure removes the citizen's timing rows too.
        s.erase_citizen(&z, "citizen", later, |_, _, _| false)
            .await
            .unwrap();
        let left = s.response_samples(t.m, T0, T0 + 2 * DAY_MS).await.unwrap();
        assert_eq!(left.len(), 1, "{}", b.name);
        assert_eq!(left[0].channel, "whatsapp");
    }
}

#[tokio::test]
async fn consultation_answers_once_per_concern_and_greetings_once_per_slot() {
    for b in backends::all().await {
        let s = &b.store;
        let t = town(s).await;
        let c = citizen(s, &t, t.wa, "491").await;
        let f = file(s, &c, "m1", T0, Some(promise(T0, 45, 60, None))).await;
        assert!(s
            .claim_consultation_notice(t.m, f.concern_id, T0)
            .await
            .unwrap());
        assert!(!s
            .claim_consultation_notice(t.m, f.concern_id, T0 + 1)
            .await
            .unwrap());
        assert!(
            !s.claim_consultation_notice(t.m + 1000, f.concern_id, T0)
                .await
                .unwrap(),
            "{}: another town's concern",
            b.name
        );
        let slot = T0 + DAY_MS;
        assert!(s
            .claim_consultation_greeting(t.m, f.concern_id, slot)
            .await
            .unwrap());
        assert!(!s
            .claim_consultation_greeting(t.m, f.concern_id, slot)
            .await
            .unwrap());
        assert!(s
            .claim_consultation_greeting(t.m, f.concern_id, slot + 7 * DAY_MS)
            .await
            .unwrap());
    }
}

#[tokio::test]
async fn the_queue_of_a_slot_in_order_of_arrival() {
    for b in backends::all().await {
        let s = &b.store;
        let t = town(s).await;
        let slot = T0;
        let since = Some(T0 - 6 * DAY_MS);
        // Before the previous slot ended: not in this queue.
        let old = citizen(s, &t, t.wa, "490").await;
        file(
            s,
            &old,
            "o",
            T0 - 7 * DAY_MS,
            Some(promise(T0 - 7 * DAY_MS, 1, 2, None)),
        )
        .await;
        let mut filed = Vec::new();
        for (i, (ch, id)) in [(t.wa, "491"), (t.tg, "777"), (t.wa, "492")]
            .into_iter()
            .enumerate()
        {
            let c = citizen(s, &t, ch, id).await;
            let at = slot + i as i64 * MIN;
            filed.push(
                file(
                    s,
                    &c,
                    &format!("m{id}"),
                    at,
                    Some(promise(at, 10, 15, Some(slot))),
                )
                .await,
            );
        }
        let both = &[t.wa, t.tg][..];
        assert_eq!(
            (
                queue_ahead(s, t.m, both, &filed[0], since).await,
                queue_ahead(s, t.m, both, &filed[1], since).await,
                queue_ahead(s, t.m, both, &filed[2], since).await
            ),
            (0, 1, 2),
            "{}",
            b.name
        );
        assert_eq!(
            queue_ahead(s, t.m, &[t.wa], &filed[2], since).await,
            1,
            "only the hour's channels count"
        );
        let queue = s.consultation_queue(t.m, both, since).await.unwrap();
        let order: Vec<i64> = queue.iter().map(|q| q.concern_id).collect();
        assert_eq!(
            order,
            filed.iter().map(|f| f.concern_id).collect::<Vec<_>>()
        );
        assert!(queue.iter().all(|q| q.pseudonym.starts_with("Bürger·")));
        assert_eq!(
            s.consultation_queue(t.m, both, None).await.unwrap().len(),
            4
        );

        // The first is answered: it leaves the queue and counts as handled in the slot.
        s.queue_reply(
            t.m,
            filed[0].concern_id,
            t.staff,
            "Guten Tag",
            slot + 5 * MIN,
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(queue_ahead(s, t.m, both, &filed[2], since).await, 1);
        assert_eq!(
            s.consultation_queue(t.m, both, since).await.unwrap().len(),
            2
        );
        assert_eq!(
            s.first_responses_between(t.m, both, slot, slot + 4 * 60 * MIN)
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            s.first_responses_between(t.m, &[], slot, slot + 1)
                .await
                .unwrap(),
            0
        );
    }
}

async fn queue_ahead(
    s: &Store,
    m: i64,
    channels: &[i64],
    f: &rathaus_store::FiledMessage,
    since: Option<i64>,
) -> i64 {
    s.consultation_queue_ahead(m, channels, f.concern_id, f.waiting_since.unwrap(), since)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_agent_of_a_team_counts_only_the_due_concerns_it_may_open() {
    for b in backends::all().await {
        let s = &b.store;
        let t = town(s).await;
        let now = T0 + 100 * MIN;
        let bau = s.create_team(t.m, "Bauamt", T0).await.unwrap().unwrap();
        let buero = s.create_team(t.m, "Bürgerbüro", T0).await.unwrap().unwrap();
        s.set_team_members(t.m, buero, &[t.staff])
            .await
            .unwrap()
            .unwrap();
        // Past due: one of the Bauamt, one of the agent's Bürgerbüro, one of no team.
        for (id, team) in [("1", Some(bau)), ("2", Some(buero)), ("3", None)] {
            let c = citizen(s, &t, t.wa, id).await;
            let f = file(
                s,
                &c,
                &format!("m{id}"),
                T0,
                Some(promise(T0, 30, 60, None)),
            )
            .await;
            s.set_concern_team(t.m, f.concern_id, team)
                .await
                .unwrap()
                .unwrap();
        }
        let everyone = s.response_alerts(t.m, now, None).await.unwrap();
        assert_eq!(everyone.past_due, 3, "{}", b.name);
        let agent = s.response_alerts(t.m, now, Some(t.staff)).await.unwrap();
        assert_eq!(
            agent,
            ResponseAlerts {
                near_due: 0,
                past_due: 2
            },
            "{}: the Bauamt's concern is not the agent's",
            b.name
        );
    }
}
