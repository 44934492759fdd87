//! Consultation hours end to end: signed webhooks through the gate, answers on the fake platform, and the response-time report.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan, Zoned};
use rathaus::config::Config;
use rathaus::simulate::{whatsapp_message, whatsapp_text};
use rathaus_domain::schedule::german::format_date;
use rathaus_domain::schedule::rrule::weekday_code;
use rathaus_domain::schedule::{ConsultationHourSettings, OfficeHoursConfig};
use rathaus_domain::{ChannelKind, PlatformUser};
use rathaus_hub::reports::{parse_period, response_times, response_times_at};
use rathaus_store::{now_ms, ConcernFilter, ConcernSummary, Role};
use serde_json::{json, Value};

use crate::harness::{databases, Instance, PHONE_NUMBER_ID};

fn berlin() -> TimeZone {
    TimeZone::get("Europe/Berlin").unwrap()
}

fn berlin_now() -> Zoned {
    Timestamp::from_millisecond(now_ms())
        .unwrap()
        .to_zoned(berlin())
}

/// The date three days from now: its weekday is not today's, tomorrow's or the day after's.
fn in_three_days() -> Date {
    berlin_now().date().checked_add(3.days()).unwrap()
}

/// A consultation hour on WhatsApp on the weekday three days from now, 10:00–11:00, plus `extra` slots.
fn sprechstunde(extra: Vec<String>) -> ConsultationHourSettings {
    ConsultationHourSettings {
        name: "WhatsApp-Sprechstunde mit dem Bürgermeister".into(),
        channels: vec!["whatsapp".into()],
        rule: format!(
            "FREQ=WEEKLY;BYDAY={}",
            weekday_code(in_three_days().weekday())
        ),
        start: "10:00".into(),
        end: "11:00".into(),
        host: Some("buergermeister@musterstadt.de".into()),
        extra,
        ..Default::default()
    }
}

/// A one-off slot from an hour ago to an hour from now (it may run past midnight).
fn slot_around_now() -> String {
    let now = berlin_now();
    let from = now.checked_sub(1.hour()).unwrap();
    let to = now.checked_add(1.hour()).unwrap();
    format!(
        "{} {}-{}",
        from.date(),
        from.strftime("%H:%M"),
        to.strftime("%H:%M")
    )
}

fn with_hours(hours: Vec<ConsultationHourSettings>) -> impl FnOnce(&mut Config) {
    move |c: &mut Config| c.municipality[0].consultation_hours = hours
}

fn wa(phone: &str, id: &str, text: &str) -> Value {
    whatsapp_message(
        PHONE_NUMBER_ID,
        phone,
        "Erika Mustermann",
        whatsapp_text(phone, id, now_ms() / 1000, text),
    )
}

/// What the fake platform received for `phone`, in order.
fn texts_to(inst: &Instance, phone: &str) -> Vec<String> {
    inst.platform
        .sent_texts()
        .into_iter()
        .filter(|t| t.recipient == phone)
        .map(|t| t.text)
        .collect()
}

async fn say(inst: &Instance, phone: &str, id: &str, text: &str) {
    assert_eq!(inst.post_wa(&wa(phone, id, text)).await, 200);
    inst.drain().await;
}

async fn municipality(inst: &Instance) -> i64 {
    let s = &inst.r().store;
    s.municipality_by_slug("musterstadt")
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn concerns(inst: &Instance) -> Vec<ConcernSummary> {
    let m = municipality(inst).await;
    inst.r()
        .store
        .list_concerns(m, &ConcernFilter::default())
        .await
        .unwrap()
}

#[tokio::test]
async fn outside_a_slot_one_answer_per_concern_names_the_next_slot() {
    for db in databases().await {
        let inst = Instance::start_with(&db, false, with_hours(vec![sprechstunde(vec![])])).await;
        let phone = "4917611110001";
        say(&inst, phone, "wamid.o1", "Anmeldung").await;
        assert_eq!(
            texts_to(&inst, phone).len(),
            1,
            "{db:?}: the opt-in confirmation"
        );

        say(
            &inst,
            phone,
            "wamid.o2",
            "Wann kann ich den Bürgermeister sprechen?",
        )
        .await;
        let sent = texts_to(&inst, phone);
        assert_eq!(sent.len(), 2, "{db:?}: {sent:?}");
        let expected = format!(
            "Die nächste Sprechstunde ist am {}, 10:00–11:00 Uhr.",
            format_date(in_three_days())
        );
        assert!(
            sent[1].contains(&expected),
            "{db:?}: {} lacks {expected}",
            sent[1]
        );

        // A second message in the same concern gets no second answer; both wait in the inbox.
        say(&inst, phone, "wamid.o3", "Es geht um den Spielplatz.").await;
        assert_eq!(
            texts_to(&inst, phone).len(),
            2,
            "{db:?}: exactly one answer"
        );
        let list = concerns(&inst).await;
        assert_eq!(list.len(), 1);
        let due = list[0].due_at.expect("a promise is recorded");
        assert!(due > list[0].created_at && list[0].first_response_at.is_none());
        let detail = inst
            .r()
            .store
            .concern_detail(municipality(&inst).await, list[0].id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            detail.messages.len(),
            2,
            "the automatic answer is not in the thread"
        );

        // Telegram is not a consultation-hour channel: no automatic answer there.
        let tg = |update: i64, text: &str| {
            rathaus::simulate::telegram_text(update, 4242, update, "Lena", now_ms() / 1000, text)
        };
        assert_eq!(inst.post_tg(&tg(1, "Start")).await, 200);
        assert_eq!(inst.post_tg(&tg(2, "Frage zum Müll")).await, 200);
        inst.drain().await;
        let to_lena = texts_to(&inst, "4242");
        assert_eq!(
            to_lena.len(),
            1,
            "{db:?}: only the opt-in confirmation: {to_lena:?}"
        );
    }
}

async fn api_token(inst: &Instance) -> String {
    let s = &inst.r().store;
    let m = municipality(inst).await;
    let id = s
        .upsert_staff(
            m,
            "bm@musterstadt.de",
            "Bürgermeister",
            None,
            Role::Agent,
            now_ms(),
        )
        .await
        .unwrap();
    s.create_api_token(id, m, "test", now_ms()).await.unwrap()
}

async fn reply(inst: &Instance, token: &str, concern_id: i64, text: &str) {
    let res = inst
        .http
        .post(format!(
            "{}/api/v1/concerns/{concern_id}/replies",
            inst.url()
        ))
        .bearer_auth(token)
        .json(&json!({ "text": text }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 202);
}

fn ahead_in(text: &str) -> Option<i64> {
    let rest = text.split("Anliegen vor Ihnen: ").nth(1)?;
    rest.split('.').next()?.parse().ok()
}

#[tokio::test]
async fn inside_a_slot_the_greeting_says_how_many_are_ahead() {
    for db in databases().await {
        let inst = Instance::start_with(
            &db,
            false,
            with_hours(vec![sprechstunde(vec![slot_around_now()])]),
        )
        .await;
        let phones = ["4917622220001", "4917622220002", "4917622220003"];
        for (i, phone) in phones.iter().enumerate() {
            say(&inst, phone, &format!("wamid.in-a{i}"), "Start").await;
            say(
                &inst,
                phone,
                &format!("wamid.in-b{i}"),
                "Guten Tag, eine Frage.",
            )
            .await;
            let sent = texts_to(&inst, phone);
            assert_eq!(sent.len(), 2, "{db:?}: {sent:?}");
            assert!(sent[1].contains("Warteschlange"), "{}", sent[1]);
            assert_eq!(ahead_in(&sent[1]), Some(i as i64), "{db:?}: {}", sent[1]);
        }
        // Once per concern and slot: writing again brings no second greeting.
        say(&inst, phones[0], "wamid.in-c0", "Noch ein Detail.").await;
        assert_eq!(texts_to(&inst, phones[0]).len(), 2, "{db:?}");

        // Inside a slot the promise is 15 minutes of wall-clock time.
        let list = concerns(&inst).await;
        assert_eq!(list.len(), 3);
        for c in &list {
            assert_eq!(c.due_at, Some(c.created_at + 15 * 60 * 1000), "{db:?}");
        }

        // The host answers the first; the next newcomer has the other two ahead.
        let first = list.iter().min_by_key(|c| c.created_at).unwrap().id;
        let token = api_token(&inst).await;
        reply(&inst, &token, first, "Guten Tag, was kann ich für Sie tun?").await;
        inst.drain().await;
        let late = "4917622220004";
        say(&inst, late, "wamid.in-a4", "Start").await;
        say(&inst, late, "wamid.in-b4", "Ich habe auch eine Frage.").await;
        assert_eq!(ahead_in(&texts_to(&inst, late)[1]), Some(2), "{db:?}");

        // The host's view of the slot: the waiting queue in order, one handled.
        let r = inst.r();
        let tenant = r.registry.tenant_by_slug("musterstadt").unwrap();
        let live = rathaus_hub::consultation::live_slots(&r.store, tenant, now_ms())
            .await
            .unwrap();
        assert_eq!(live.len(), 1, "{db:?}");
        assert_eq!((live[0].queue.len(), live[0].handled), (3, 1), "{db:?}");
        assert_eq!(
            live[0].host.as_deref(),
            Some("buergermeister@musterstadt.de")
        );

        // The report counts the four concerns in today's slot; one answered, on time.
        let today = berlin_now().date();
        let report = response_times(&r.store, tenant, today, today)
            .await
            .unwrap();
        assert_eq!(
            (report.totals.concerns, report.totals.answered),
            (4, 1),
            "{db:?}"
        );
        assert_eq!(report.by_slot.len(), 1);
        assert_eq!(report.by_slot[0].stats.concerns, 4);
        assert_eq!(
            report.by_slot[0].consultation.as_deref(),
            Some("WhatsApp-Sprechstunde mit dem Bürgermeister")
        );
        assert_eq!(report.totals.share_target_met, Some(1.0));
    }
}

/// Mon–Fri 08:00–16:00, no holidays.
fn office_hours(c: &mut Config) {
    let day = vec!["08:00-16:00".to_string()];
    c.municipality[0].office_hours = Some(OfficeHoursConfig {
        mon: day.clone(),
        tue: day.clone(),
        wed: day.clone(),
        thu: day.clone(),
        fri: day,
        ..Default::default()
    });
}

fn berlin_ms(y: i16, mo: i8, d: i8, h: i8, mi: i8) -> i64 {
    jiff::civil::date(y, mo, d)
        .at(h, mi, 0, 0)
        .to_zoned(berlin())
        .unwrap()
        .timestamp()
        .as_millisecond()
}

#[tokio::test]
async fn report_on_a_fixed_data_set_with_exact_median_and_p90() {
    for db in databases().await {
        let inst = Instance::start_with(&db, false, office_hours).await;
        let r = inst.r();
        let (s, tenant) = (&r.store, r.registry.tenant_by_slug("musterstadt").unwrap());
        let channel = |kind| {
            tenant
                .channels
                .iter()
                .find(|c| c.row.kind == kind)
                .unwrap()
                .row
                .id
        };
        let staff = s
            .upsert_staff(
                tenant.row.id,
                "sb@musterstadt.de",
                "Sven",
                None,
                Role::Agent,
                0,
            )
            .await
            .unwrap();
        // December 2025: the 1st is a Monday. (channel, message, first reply)
        let cases = [
            // 30 min inside office hours.
            (
                ChannelKind::WhatsApp,
                berlin_ms(2025, 12, 1, 10, 0),
                berlin_ms(2025, 12, 1, 10, 30),
            ),
            // 10 min.
            (
                ChannelKind::WhatsApp,
                berlin_ms(2025, 12, 2, 14, 10),
                berlin_ms(2025, 12, 2, 14, 20),
            ),
            // Friday 15:30 → Monday 09:00: 65 h 30 wall clock, 1 h 30 office time.
            (
                ChannelKind::Telegram,
                berlin_ms(2025, 12, 5, 15, 30),
                berlin_ms(2025, 12, 8, 9, 0),
            ),
            // Monday 09:00 → Tuesday 12:00: 27 h wall clock, 11 h office time.
            (
                ChannelKind::Telegram,
                berlin_ms(2025, 12, 8, 9, 0),
                berlin_ms(2025, 12, 9, 12, 0),
            ),
        ];
        for (i, (kind, at, answer)) in cases.into_iter().enumerate() {
            let ch = channel(kind);
            let user = PlatformUser {
                id: format!("49170000000{i}"),
                phone: None,
                display_name: None,
            };
            let c = s
                .record_consent(
                    tenant.row.id,
                    ch,
                    &user,
                    &tenant.notice_version,
                    "optin",
                    at,
                )
                .await
                .unwrap();
            let msg = rathaus_domain::InboundMessage {
                platform_message_id: format!("fixed-{i}"),
                sender: user,
                sent_at_ms: at,
                content: rathaus_domain::MessageContent::Text {
                    body: "Frage".into(),
                },
            };
            let promise = rathaus_hub::gate::promise_record(tenant, ch, at).unwrap();
            let filed = s
                .file_inbound_message_promised(&c, &msg, Some(&promise), at)
                .await
                .unwrap()
                .unwrap();
            s.queue_reply(tenant.row.id, filed.concern_id, staff, "Antwort", answer)
                .await
                .unwrap()
                .unwrap();
        }
        let (from, to) = parse_period("2025-12-01", "2025-12-31").unwrap();
        let now = berlin_ms(2026, 1, 15, 12, 0);
        let report = response_times_at(s, tenant, from, to, now).await.unwrap();
        let t = &report.totals;
        assert_eq!((t.concerns, t.answered), (4, 4), "{db:?}");
        assert_eq!(
            (t.first_response_median_s, t.first_response_p90_s),
            (Some(1800), Some(235_800)),
            "{db:?}"
        );
        assert_eq!(
            (
                t.first_response_office_median_s,
                t.first_response_office_p90_s
            ),
            (Some(1800), Some(39_600))
        );
        assert_eq!(t.share_within_1h_office, Some(0.5));
        assert_eq!(t.share_within_1_office_day, Some(0.75));
        // Targets (1 h office time in office hours): the two Telegram ones missed.
        assert_eq!(t.share_target_met, Some(0.5));
        let channels: Vec<(&str, u64)> = report
            .by_channel
            .iter()
            .map(|c| (c.channel.as_str(), c.stats.concerns))
            .collect();
        assert_eq!(channels, vec![("buergerbot", 2), ("whatsapp", 2)]);
        assert_eq!(report.by_month.len(), 1);
        assert_eq!(report.by_month[0].month, "2025-12");

        let csv = report.to_csv();
        let mut lines = csv.lines();
        assert!(lines
            .next()
            .unwrap()
            .starts_with("split,group,concerns,answered,"));
        assert_eq!(
            lines.next().unwrap(),
            "total,all,4,4,1800,235800,1800,39600,0.5000,0.7500,0.5000"
        );
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["concerns"], 4);
        assert_eq!(json["first_response_p90_s"], 235_800);

        // A period outside the data is empty; a reversed one is the caller's mistake.
        let (f, t) = parse_period("2025-11-01", "2025-11-30").unwrap();
        let empty = response_times_at(s, tenant, f, t, now).await.unwrap();
        assert_eq!(
            (empty.totals.concerns, empty.totals.first_response_median_s),
            (0, None)
        );
        let e = parse_period("2025-12-31", "2025-12-01").unwrap_err();
        assert!(e.is_client_error(), "{e}");
    }
}
