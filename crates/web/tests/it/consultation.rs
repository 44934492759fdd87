//! Response-time promises in the inbox, the host's live view of a consultation hour and the public iCal feed.

use rathaus_domain::schedule::response_time::{Clock, Situation};
use rathaus_domain::schedule::{ConsultationHourSettings, State};
use rathaus_domain::{InboundMessage, MessageContent};
use rathaus_hub::TenantConfig;
use rathaus_store::{now_ms, CitizenRef, PromiseRecord, Role};

use crate::harness::{header, start, start_with, App, HOUR_MS};

pub const MIN_MS: i64 = 60_000;

/// Files a citizen text at `at` (server time of filing) with a promise due at `due`, near due from `near`.
pub async fn file_promised(
    app: &App,
    citizen: &CitizenRef,
    msg_id: &str,
    at: i64,
    near: i64,
    due: i64,
) -> i64 {
    let sender = rathaus_domain::PlatformUser {
        id: msg_id.into(),
        phone: None,
        display_name: None,
    };
    let promise = PromiseRecord {
        situation: Situation::OfficeHours,
        clock: Clock::WallClock,
        due_at: due,
        near_due_at: near,
        slot_start: None,
    };
    app.store
        .file_inbound_message_promised(
            citizen,
            &InboundMessage {
                platform_message_id: msg_id.into(),
                sender,
                sent_at_ms: at,
                content: MessageContent::Text {
                    body: "Wann wird die Straße gekehrt?".into(),
                },
            },
            Some(&promise),
            at,
        )
        .await
        .unwrap()
        .unwrap()
        .concern_id
}

/// The text of the inbox list item of `pseudonym` (from its `<li` to the next `</li>`).
fn item<'a>(page: &'a str, pseudonym: &str) -> &'a str {
    let at = page
        .find(pseudonym)
        .unwrap_or_else(|| panic!("{pseudonym} not listed"));
    let start = page[..at].rfind("<li").unwrap();
    let end = at + page[at..].find("</li>").unwrap();
    &page[start..end]
}

#[tokio::test]
async fn the_inbox_shows_time_left_marks_breaches_and_filters_overdue_ones() {
    let app = start().await;
    app.staff(app.a, "sb@musterstadt.de", Role::Agent).await;
    let now = now_ms();
    let late = app.citizen(app.a, "4917000000101").await;
    let soon = app.citizen(app.a, "4917000000102").await;
    let fine = app.citizen(app.a, "4917000000103").await;
    // Written three hours ago, due an hour later: two hours overdue.
    file_promised(
        &app,
        &late.0,
        "late",
        now - 3 * HOUR_MS,
        now - 3 * HOUR_MS + 30 * MIN_MS,
        now - 2 * HOUR_MS - 30_000,
    )
    .await;
    // Due in 35 minutes and already near due.
    file_promised(
        &app,
        &soon.0,
        "soon",
        now - 10 * MIN_MS,
        now - MIN_MS,
        now + 35 * MIN_MS - 30_000,
    )
    .await;
    // Three hours to go: on track, no marker.
    file_promised(
        &app,
        &fine.0,
        "fine",
        now - 5 * MIN_MS,
        now + 2 * HOUR_MS,
        now + 3 * HOUR_MS,
    )
    .await;
    let cookie = app.login("sb@musterstadt.de").await;

    let (status, page) = app.get_page(&cookie, "/inbox").await;
    assert_eq!(status, 200);
    let l = item(&page, &late.0.pseudonym);
    assert!(l.contains("due-breached"), "{l}");
    assert!(l.contains(">Überfällig<"), "a word, not only colour: {l}");
    assert!(l.contains("überfällig seit 2 Std."), "{l}");
    let s = item(&page, &soon.0.pseudonym);
    assert!(
        s.contains(">Bald fällig<") && s.contains("noch 35 Min."),
        "{s}"
    );
    let f = item(&page, &fine.0.pseudonym);
    assert!(
        f.contains("noch 3 Std.") && !f.contains("due-marker"),
        "{f}"
    );
    // At a glance: one past, one near its target.
    assert!(page.contains("<strong>1</strong> überfällig"), "{page}");
    assert!(page.contains("<strong>1</strong> bald fällig"));
    // Newest activity first stays the order.
    let pos = |p: &str| page.find(p).unwrap();
    assert!(pos(&fine.0.pseudonym) < pos(&soon.0.pseudonym));
    assert!(pos(&soon.0.pseudonym) < pos(&late.0.pseudonym));

    let (status, overdue) = app.get_page(&cookie, "/inbox?due=overdue").await;
    assert_eq!(status, 200);
    assert!(overdue.contains(&late.0.pseudonym));
    assert!(!overdue.contains(&soon.0.pseudonym) && !overdue.contains(&fine.0.pseudonym));
    assert!(overdue.contains("aria-current=\"page\">Überfällig"));

    // Answered concerns have no promise line any more.
    let late_id = app
        .store
        .list_concerns(app.a, &Default::default())
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.pseudonym == late.0.pseudonym)
        .unwrap()
        .id;
    app.post_form(
        &cookie,
        &format!("/concerns/{late_id}/reply"),
        &[("text", "Am Montag.")],
    )
    .await;
    let (_, page) = app.get_page(&cookie, "/inbox?status=open").await;
    assert!(!item(&page, &late.0.pseudonym).contains("due-line"));
    assert!(page.contains("<strong>0</strong> überfällig"));

    // English on request.
    app.post_form(&cookie, "/language", &[("lang", "en"), ("back", "/inbox")])
        .await;
    let (_, page) = app.get_page(&cookie, "/inbox").await;
    assert!(
        item(&page, &soon.0.pseudonym).contains("35 min left"),
        "{page}"
    );
    assert!(item(&page, &soon.0.pseudonym).contains(">Due soon<"));
}

fn hhmm(ms: i64) -> String {
    let tz = jiff::tz::TimeZone::get("Europe/Berlin").unwrap();
    jiff::Timestamp::from_millisecond(ms)
        .unwrap()
        .to_zoned(tz)
        .strftime("%H:%M")
        .to_string()
}

fn hour(
    name: &str,
    channels: &[&str],
    rule: &str,
    start: &str,
    end: &str,
) -> ConsultationHourSettings {
    ConsultationHourSettings {
        name: name.into(),
        channels: channels.iter().map(|c| c.to_string()).collect(),
        rule: rule.into(),
        start: start.into(),
        end: end.into(),
        host: Some("bm@musterstadt.de".into()),
        ..Default::default()
    }
}

/// Musterstadt holds a daily consultation hour running now; Beispieldorf one on Tuesday, 1 January 2030.
pub async fn consultation_app() -> App {
    let now = now_ms();
    let (start, end) = (hhmm(now - HOUR_MS), hhmm(now + 2 * HOUR_MS));
    start_with("http://127.0.0.1", move |configs: &mut [TenantConfig]| {
        configs[0].settings.consultation_hours = vec![hour(
            "WhatsApp-Sprechstunde",
            &["whatsapp"],
            "FREQ=DAILY",
            &start,
            &end,
        )];
        let mut later = hour(
            "Telegram-Sprechstunde",
            &["telegram"],
            "FREQ=WEEKLY;BYDAY=TU",
            "14:00",
            "18:00",
        );
        later.start_date = Some("2030-01-01".into());
        configs[1].settings.consultation_hours = vec![later];
    })
    .await
}

#[tokio::test]
async fn the_host_sees_the_queue_in_order_and_next_opens_the_oldest() {
    let app = consultation_app().await;
    app.staff(app.a, "bm@musterstadt.de", Role::Host).await;
    app.staff(app.b, "bm@beispieldorf.de", Role::Host).await;
    let now = now_ms();
    let mut queue = Vec::new();
    for (i, age) in [30, 20, 10].into_iter().enumerate() {
        let c = app.citizen(app.a, &format!("491700000020{i}")).await;
        let at = now - age * MIN_MS;
        let id = file_promised(
            &app,
            &c.0,
            &format!("q{i}"),
            at,
            at + 10 * MIN_MS,
            at + 15 * MIN_MS,
        )
        .await;
        queue.push((id, c.0.pseudonym));
    }
    let cookie = app.login("bm@musterstadt.de").await;
    let (status, page) = app.get_page(&cookie, "/sprechstunde").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("WhatsApp-Sprechstunde"));
    let pos: Vec<usize> = queue
        .iter()
        .map(|(_, p)| page.find(p.as_str()).unwrap())
        .collect();
    assert!(
        pos[0] < pos[1] && pos[1] < pos[2],
        "order of arrival: {pos:?}"
    );
    assert!(page.contains("wartet seit 30 Min."), "{page}");
    assert!(page.contains("class=\"live-waiting\">3<"));
    assert!(page.contains("class=\"live-handled\">0<"));
    assert!(page.contains("Nächstes Anliegen"));
    // Refreshes by itself: in place with the same-origin script, or by a reload the host turns on.
    assert!(page.contains("<script src=\"/static/live.js\" defer></script>"));
    assert!(!page.contains("http-equiv=\"refresh\""));
    let (_, auto) = app.get_page(&cookie, "/sprechstunde?auto=1").await;
    assert!(auto.contains("<meta http-equiv=\"refresh\" content=\"30\">"));
    let js = app
        .http
        .get(app.url("/static/live.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        header(js.headers(), "content-type"),
        "text/javascript; charset=utf-8"
    );

    let next = |cookie: String| {
        let app = &app;
        async move {
            let res = app
                .http
                .get(app.url("/sprechstunde/next?slot=0"))
                .header("cookie", cookie)
                .send()
                .await
                .unwrap();
            (
                res.status().as_u16(),
                header(res.headers(), "location").to_string(),
            )
        }
    };
    assert_eq!(
        next(cookie.clone()).await,
        (303, format!("/concerns/{}", queue[0].0))
    );
    // Answered, the oldest leaves the queue and counts as handled in this slot.
    let res = app
        .post_form(
            &cookie,
            &format!("/concerns/{}/reply", queue[0].0),
            &[("text", "Guten Tag!")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let (_, page) = app.get_page(&cookie, "/sprechstunde").await;
    assert!(page.contains("class=\"live-handled\">1<"), "{page}");
    assert!(page.contains("class=\"live-waiting\">2<"));
    assert!(!page.contains(queue[0].1.as_str()));
    assert_eq!(
        next(cookie.clone()).await,
        (303, format!("/concerns/{}", queue[1].0))
    );

    // Outside a slot: when the next one is, in German.
    let other = app.login("bm@beispieldorf.de").await;
    let (status, page) = app.get_page(&other, "/sprechstunde").await;
    assert_eq!(status, 200);
    assert!(page.contains("Gerade läuft keine Sprechstunde."), "{page}");
    assert!(
        page.contains("Die nächste Sprechstunde ist am Dienstag, 1. Januar 2030, 14:00–18:00 Uhr.")
    );
    assert_eq!(
        next(other).await,
        (303, "/sprechstunde?msg=queue_empty".to_string())
    );
}

#[tokio::test]
async fn the_ical_feed_lists_upcoming_slots_without_holidays() {
    let tz = jiff::tz::TimeZone::get("Europe/Berlin").unwrap();
    let today = jiff::Timestamp::now().to_zoned(tz).date();
    // The first public holiday in Saxony-Anhalt after tomorrow (there is always one within six months).
    let holiday = [today.year(), today.year() + 1]
        .into_iter()
        .flat_map(|y| rathaus_domain::schedule::holidays(State::parse("ST").unwrap(), y))
        .map(|(d, _)| d)
        .find(|d| *d > today.tomorrow().unwrap())
        .unwrap();
    let exception = today.checked_add(jiff::Span::new().days(3)).unwrap();
    let exc = exception.to_string();
    let app = start_with("http://127.0.0.1", move |configs: &mut [TenantConfig]| {
        let s = &mut configs[0].settings;
        s.office_hours.state = Some("ST".into());
        let mut h = hour(
            "Sprechstunde, mit dem Bürgermeister; live \\ Fragen",
            &["whatsapp"],
            "FREQ=DAILY",
            "10:00",
            "11:30",
        );
        h.exceptions = vec![exc];
        s.consultation_hours = vec![h];
    })
    .await;
    let res = app
        .http
        .get(app.url("/musterstadt/sprechstunden.ics"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(
        header(res.headers(), "content-type"),
        "text/calendar; charset=utf-8"
    );
    assert!(res.headers().get("set-cookie").is_none(), "no cookies");
    let body = res.text().await.unwrap();
    // CRLF everywhere, every physical line at most 75 octets, continuation lines start with a space.
    assert!(body.ends_with("END:VCALENDAR\r\n"));
    assert!(!body.replace("\r\n", "").contains('\n'), "bare LF");
    for line in body.split("\r\n").filter(|l| !l.is_empty()) {
        assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
    }
    let unfolded = body.replace("\r\n ", "");
    let lines: Vec<&str> = unfolded.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines[0], "BEGIN:VCALENDAR");
    assert!(lines.contains(&"VERSION:2.0"));
    assert!(lines.iter().any(|l| l.starts_with("PRODID:")));
    // Begin and end pair up, properly nested.
    let mut stack = Vec::new();
    for l in &lines {
        if let Some(c) = l.strip_prefix("BEGIN:") {
            stack.push(c);
        } else if let Some(c) = l.strip_prefix("END:") {
            assert_eq!(stack.pop(), Some(c), "END:{c} out of place");
        }
    }
    assert!(stack.is_empty());
    let joined = lines.join("\n");
    assert!(joined.contains("BEGIN:VTIMEZONE\nTZID:Europe/Berlin\n"));
    assert!(joined.contains("BEGIN:DAYLIGHT\nDTSTART:19700329T020000\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0200"), "{joined}");
    assert!(joined.contains("BEGIN:STANDARD\nDTSTART:19701025T030000\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\nTZOFFSETFROM:+0200\nTZOFFSETTO:+0100"));
    let events: Vec<&str> = joined.split("BEGIN:VEVENT\n").skip(1).collect();
    assert!(
        events.len() > 150,
        "about six months of daily slots: {}",
        events.len()
    );
    let day = |d: jiff::civil::Date| {
        format!("DTSTART;TZID=Europe/Berlin:{}T100000", d.strftime("%Y%m%d"))
    };
    for e in &events {
        assert!(e.starts_with("UID:") && e.contains("\nDTSTAMP:"), "{e}");
        assert!(
            e.contains("SUMMARY:Sprechstunde\\, mit dem Bürgermeister\\; live \\\\ Fragen\n"),
            "{e}"
        );
        assert!(e.contains("\nDTEND;TZID=Europe/Berlin:") && e.contains("T113000\n"));
    }
    assert!(
        !joined.contains(&day(holiday)),
        "the holiday {holiday} is cancelled"
    );
    assert!(
        !joined.contains(&day(exception)),
        "the exception {exception} is cancelled"
    );
    assert!(
        joined.contains(&day(holiday.yesterday().unwrap()))
            || holiday.yesterday().unwrap() == exception
    );
    assert!(
        joined.contains(&day(exception.tomorrow().unwrap()))
            || exception.tomorrow().unwrap() == holiday
    );
    // UIDs are unique and stay the same on the next fetch.
    let uids = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| l.starts_with("UID:"))
            .map(str::to_string)
            .collect()
    };
    let first = uids(&joined);
    let mut unique = first.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), first.len());
    let again = app
        .http
        .get(app.url("/musterstadt/sprechstunden.ics"))
        .send()
        .await
        .unwrap();
    let again = again
        .text()
        .await
        .unwrap()
        .replace("\r\n ", "")
        .replace("\r\n", "\n");
    assert_eq!(uids(&again)[..3], first[..3]);
    // Unknown towns: 404; a town without consultation hours: a valid, empty calendar.
    let res = app
        .http
        .get(app.url("/nirgendwo/sprechstunden.ics"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 404);
    let empty = app
        .http
        .get(app.url("/beispieldorf/sprechstunden.ics"))
        .send()
        .await
        .unwrap();
    let empty = empty.text().await.unwrap();
    assert!(empty.contains("BEGIN:VTIMEZONE") && !empty.contains("BEGIN:VEVENT"));
}
