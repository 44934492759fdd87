//! Office-hours tests: parsing, holidays and closed days, DST switches, and round-trip properties.
#![allow(clippy::unwrap_used, clippy::panic)]

use super::*;
use jiff::civil::{date, time};
use jiff::Zoned;
use proptest::prelude::*;

fn berlin() -> TimeZone {
    TimeZone::get("Europe/Berlin").unwrap()
}

/// Local Berlin time as an instant (unambiguous inputs only).
fn at(y: i16, mo: i8, d: i8, h: i8, mi: i8) -> Timestamp {
    date(y, mo, d)
        .at(h, mi, 0, 0)
        .to_zoned(berlin())
        .unwrap()
        .timestamp()
}

fn local(ts: Timestamp) -> String {
    ts.to_zoned(berlin())
        .strftime("%Y-%m-%d %H:%M %:z")
        .to_string()
}

fn config(toml_text: &str) -> Result<OfficeHours, OfficeHoursError> {
    #[derive(serde::Deserialize)]
    struct Municipality {
        office_hours: OfficeHoursConfig,
    }
    #[derive(serde::Deserialize)]
    struct File {
        municipality: Municipality,
    }
    let file: File = toml::from_str(toml_text).unwrap();
    OfficeHours::from_config(&file.municipality.office_hours, berlin())
}

/// Mon–Thu 08:00–12:00 and 13:00–16:00 (Tue until 18:00), Fri 08:00–12:00, Saxony-Anhalt.
fn town_hall() -> OfficeHours {
    config(
        r#"
        [municipality.office_hours]
        state = "ST"
        mon = ["08:00-12:00", "13:00-16:00"]
        tue = ["08:00-12:00", "13:00-18:00"]
        wed = ["08:00-12:00", "13:00-16:00"]
        thu = ["08:00-12:00", "13:00-16:00"]
        fri = ["08:00-12:00"]
        closed = ["2026-12-24", "2026-12-31"]
        "#,
    )
    .unwrap()
}

#[test]
fn parses_the_issue_example() {
    let h = town_hall();
    assert_eq!(h.state, Some(State::ST));
    assert_eq!(
        h.day(Weekday::Monday),
        &[
            (time(8, 0, 0, 0), time(12, 0, 0, 0)),
            (time(13, 0, 0, 0), time(16, 0, 0, 0))
        ]
    );
    assert!(h.day(Weekday::Sunday).is_empty());
    assert_eq!(h.closed, vec![date(2026, 12, 24), date(2026, 12, 31)]);
}

#[test]
fn parse_errors_say_what_is_wrong() {
    let err = |body: &str| {
        config(&format!("[municipality.office_hours]\n{body}"))
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        err(r#"tue = ["13:00-12:00"]"#),
        "tue: '13:00-12:00' ends before it starts"
    );
    assert_eq!(
        err(r#"mon = ["08:00-12:00", "11:00-13:00"]"#),
        "mon: '11:00-13:00' overlaps '08:00-12:00'"
    );
    assert_eq!(
        err(r#"wed = ["8-12"]"#),
        "wed: '8-12' is not an interval like \"08:00-12:00\""
    );
    assert_eq!(
        err(r#"wed = ["08:00-24:00"]"#),
        "wed: '08:00-24:00' is not an interval like \"08:00-12:00\""
    );
    assert_eq!(
        err(r#"thu = ["09:00-09:00"]"#),
        "thu: '09:00-09:00' is empty (start and end are the same)"
    );
    assert_eq!(
        err(r#"closed = ["24.12.2026"]"#),
        "closed: '24.12.2026' is not a date like \"2026-12-24\""
    );
    assert!(err(r#"state = "DE""#).starts_with("state: 'DE' is not a German state code"));
    assert!(err(r#"regional = ["karneval"]"#).starts_with("regional: 'karneval' is unknown"));
}

#[test]
fn touching_intervals_are_joined_and_order_does_not_matter() {
    let h =
        config("[municipality.office_hours]\nmon = [\"12:00-16:00\", \"08:00-12:00\"]").unwrap();
    assert_eq!(
        h.day(Weekday::Monday),
        &[(time(8, 0, 0, 0), time(16, 0, 0, 0))]
    );
}

#[test]
fn regional_holidays_from_config() {
    let h = config("[municipality.office_hours]\nstate = \"BY\"\nregional = [\"mariae_himmelfahrt\"]\nsat = [\"09:00-12:00\"]").unwrap();
    // 15 August 2026 is a Saturday.
    assert!(h.is_closed_day(date(2026, 8, 15)));
    assert!(!h.is_open(at(2026, 8, 15, 10, 0)));
    assert!(h.is_open(at(2026, 8, 22, 10, 0)));
}

#[test]
fn is_open_and_next_open() {
    let h = town_hall();
    assert!(h.is_open(at(2026, 11, 30, 8, 0)));
    assert!(
        !h.is_open(at(2026, 11, 30, 12, 0)),
        "intervals end exclusively"
    );
    assert!(!h.is_open(at(2026, 11, 30, 12, 30)));
    assert_eq!(
        local(h.next_open(at(2026, 11, 30, 12, 30)).unwrap()),
        "2026-11-30 13:00 +01:00"
    );
    assert_eq!(
        local(h.next_open(at(2026, 11, 30, 9, 15)).unwrap()),
        "2026-11-30 09:15 +01:00"
    );
    assert_eq!(
        local(h.next_open(at(2026, 11, 27, 17, 30)).unwrap()),
        "2026-11-30 08:00 +01:00"
    );
    assert_eq!(
        OfficeHours::new(berlin()).next_open(at(2026, 1, 1, 0, 0)),
        None
    );
}

#[test]
fn friday_evening_with_one_hour_is_due_monday_nine() {
    let h = town_hall();
    let due = h
        .add_office_duration(at(2026, 11, 27, 17, 30), SignedDuration::from_hours(1))
        .unwrap();
    assert_eq!(local(due), "2026-11-30 09:00 +01:00");
}

#[test]
fn one_hour_over_a_lunch_break() {
    let h = town_hall();
    let due = h
        .add_office_duration(at(2026, 11, 30, 11, 30), SignedDuration::from_hours(1))
        .unwrap();
    assert_eq!(local(due), "2026-11-30 13:30 +01:00");
    assert_eq!(
        h.office_time_between(at(2026, 11, 30, 11, 30), due),
        SignedDuration::from_hours(1)
    );
}

#[test]
fn a_message_on_a_holiday_starts_counting_at_the_next_opening() {
    let h = town_hall();
    // Karfreitag 3 April and Ostermontag 6 April 2026.
    let due = h
        .add_office_duration(at(2026, 4, 3, 10, 0), SignedDuration::from_hours(1))
        .unwrap();
    assert_eq!(local(due), "2026-04-07 09:00 +02:00");
    // Heilige Drei Könige is a holiday in ST.
    assert!(!h.is_open(at(2026, 1, 6, 10, 0)));
}

#[test]
fn closed_days_and_christmas_are_skipped() {
    let h = town_hall();
    // Wed 23 Dec 15:30: 30 min left that day; 24th closed, 25th/26th holidays, weekend.
    let due = h
        .add_office_duration(at(2026, 12, 23, 15, 30), SignedDuration::from_hours(1))
        .unwrap();
    assert_eq!(local(due), "2026-12-28 08:30 +01:00");
}

#[test]
fn one_hour_over_the_weekend_of_the_march_switch() {
    let h = town_hall();
    // Clocks go forward on Sunday 29 March 2026.
    let due = h
        .add_office_duration(at(2026, 3, 27, 11, 30), SignedDuration::from_hours(1))
        .unwrap();
    assert_eq!(local(due), "2026-03-30 08:30 +02:00");
    assert_eq!(
        h.office_time_between(at(2026, 3, 27, 11, 0), at(2026, 3, 30, 9, 0)),
        SignedDuration::from_hours(2)
    );
    // And back on Sunday 25 October 2026.
    let due = h
        .add_office_duration(at(2026, 10, 23, 11, 30), SignedDuration::from_hours(1))
        .unwrap();
    assert_eq!(local(due), "2026-10-26 08:30 +01:00");
}

#[test]
fn intervals_on_the_switch_days_have_their_real_length() {
    let h = config("[municipality.office_hours]\nsun = [\"01:00-04:00\"]").unwrap();
    let march = h.periods_on(date(2026, 3, 29));
    assert_eq!(march.len(), 1);
    assert_eq!(
        march[0].1.duration_since(march[0].0),
        SignedDuration::from_hours(2)
    );
    let october = h.periods_on(date(2026, 10, 25));
    assert_eq!(
        october[0].1.duration_since(october[0].0),
        SignedDuration::from_hours(4)
    );
    let normal = h.periods_on(date(2026, 11, 1));
    assert_eq!(
        normal[0].1.duration_since(normal[0].0),
        SignedDuration::from_hours(3)
    );

    let start = at(2026, 3, 29, 1, 30);
    let due = h
        .add_office_duration(start, SignedDuration::from_hours(1))
        .unwrap();
    assert_eq!(local(due), "2026-03-29 03:30 +02:00");
    // 01:30 on 25 October + 2h of office time = 02:30 for the second time (CET).
    let due = h
        .add_office_duration(at(2026, 10, 25, 1, 30), SignedDuration::from_hours(2))
        .unwrap();
    assert_eq!(local(due), "2026-10-25 02:30 +01:00");
}

#[test]
fn an_interval_inside_the_skipped_hour_is_empty() {
    let h =
        config("[municipality.office_hours]\nsun = [\"02:15-02:45\", \"02:50-03:30\"]").unwrap();
    let march = h.periods_on(date(2026, 3, 29));
    assert_eq!(march.len(), 1);
    assert_eq!(
        march[0].1.duration_since(march[0].0),
        SignedDuration::from_mins(30)
    );
    assert_eq!(
        Zoned::new(march[0].0, berlin())
            .strftime("%H:%M")
            .to_string(),
        "03:00"
    );
}

#[test]
fn office_days() {
    let h = town_hall();
    // Outside office hours: due at the closing of the next open day.
    let due = h.add_office_days(at(2026, 11, 27, 17, 30), 1).unwrap();
    assert_eq!(local(due), "2026-11-30 16:00 +01:00");
    // Mid-day: same office-time position the next open day.
    let due = h.add_office_days(at(2026, 11, 30, 10, 0), 1).unwrap();
    assert_eq!(local(due), "2026-12-01 10:00 +01:00");
    let due = h.add_office_days(at(2026, 11, 30, 14, 0), 1).unwrap();
    assert_eq!(local(due), "2026-12-01 14:00 +01:00");
    // Thursday 15:00 (6 h into the day) + 1 day = Friday, which closes at 12:00.
    let due = h.add_office_days(at(2026, 12, 3, 15, 0), 1).unwrap();
    assert_eq!(local(due), "2026-12-04 12:00 +01:00");
    // Over Christmas: Wed 23 Dec 10:00 + 2 days = Tue 29 Dec 10:00.
    let due = h.add_office_days(at(2026, 12, 23, 10, 0), 2).unwrap();
    assert_eq!(local(due), "2026-12-29 10:00 +01:00");
    assert_eq!(
        h.add_office_days(at(2026, 12, 23, 10, 0), 0),
        Some(at(2026, 12, 23, 10, 0))
    );
    assert_eq!(
        OfficeHours::new(berlin()).add_office_days(at(2026, 1, 1, 0, 0), 1),
        None
    );
}

#[test]
fn empty_calendar_has_no_due_time() {
    let h = OfficeHours::new(berlin());
    assert_eq!(
        h.add_office_duration(at(2026, 1, 1, 0, 0), SignedDuration::from_hours(1)),
        None
    );
    assert_eq!(
        h.add_office_duration(at(2026, 1, 1, 0, 0), SignedDuration::ZERO),
        Some(at(2026, 1, 1, 0, 0))
    );
    assert_eq!(
        h.office_time_between(at(2026, 1, 1, 0, 0), at(2027, 1, 1, 0, 0)),
        SignedDuration::ZERO
    );
}

/// Random weekly calendars: each day gets up to two intervals on 15-minute marks.
fn arb_office_hours() -> impl Strategy<Value = OfficeHours> {
    let day = proptest::collection::btree_set(0u32..=96, 0..=4);
    (
        proptest::array::uniform7(day),
        proptest::option::of(0usize..16),
        proptest::collection::vec(0i64..730, 0..20),
    )
        .prop_map(|(days, state, closed)| {
            let mut h = OfficeHours::new(berlin());
            h.state = state.map(|i| State::ALL[i]);
            for (i, marks) in days.into_iter().enumerate() {
                let marks: Vec<u32> = marks.into_iter().collect();
                for pair in marks.chunks_exact(2) {
                    let t = |m: u32| {
                        let minutes = (m * 15).min(23 * 60 + 59);
                        time((minutes / 60) as i8, (minutes % 60) as i8, 0, 0)
                    };
                    h.weekly[i].push((t(pair[0]), t(pair[1])));
                }
            }
            h.closed = closed
                .into_iter()
                .map(|d| date(2026, 1, 1).checked_add(d.days()).unwrap())
                .collect();
            h
        })
}

/// Instants in 2026–2027, weighted towards the DST switches.
fn arb_instant() -> impl Strategy<Value = Timestamp> {
    let anywhere = (0i64..2 * 365 * 86_400).prop_map(|s| {
        at(2026, 1, 1, 0, 0)
            .checked_add(SignedDuration::from_secs(s))
            .unwrap()
    });
    let near_switch = (0usize..4, -3 * 86_400i64..3 * 86_400).prop_map(|(i, s)| {
        let switches = [
            at(2026, 3, 29, 1, 0),
            at(2026, 10, 25, 1, 0),
            at(2027, 3, 28, 1, 0),
            at(2027, 10, 31, 1, 0),
        ];
        switches[i]
            .checked_add(SignedDuration::from_secs(s))
            .unwrap()
    });
    prop_oneof![anywhere, near_switch]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn adding_then_measuring_round_trips(h in arb_office_hours(), a in arb_instant(), secs in 0i64..60 * 3600) {
        let d = SignedDuration::from_secs(secs);
        match h.add_office_duration(a, d) {
            Some(due) => {
                prop_assert!(due >= a);
                prop_assert_eq!(h.office_time_between(a, due), d);
            }
            None => prop_assert!(!h.has_any_interval() && secs > 0),
        }
    }

    #[test]
    fn due_time_never_falls_in_closed_time(h in arb_office_hours(), a in arb_instant(), secs in 1i64..60 * 3600) {
        if let Some(due) = h.add_office_duration(a, SignedDuration::from_secs(secs)) {
            let just_before = due.checked_sub(SignedDuration::from_nanos(1)).unwrap();
            prop_assert!(h.is_open(just_before), "{} ends office time", local(due));
            let day = due.to_zoned(berlin()).date();
            prop_assert!(!h.is_closed_day(day));
        }
        if let Some(due) = h.add_office_days(a, 1) {
            let just_before = due.checked_sub(SignedDuration::from_nanos(1)).unwrap();
            prop_assert!(h.is_open(just_before) && due > a);
        }
    }

    #[test]
    fn next_open_is_open(h in arb_office_hours(), a in arb_instant()) {
        if let Some(n) = h.next_open(a) {
            prop_assert!(n >= a && h.is_open(n));
            prop_assert_eq!(h.office_time_between(a, n), SignedDuration::ZERO);
            prop_assert_eq!(n == a, h.is_open(a));
        }
    }

    #[test]
    fn office_time_is_additive(h in arb_office_hours(), a in arb_instant(), x in 0i64..200_000, y in 0i64..200_000) {
        let b = a.checked_add(SignedDuration::from_secs(x)).unwrap();
        let c = b.checked_add(SignedDuration::from_secs(y)).unwrap();
        let whole = h.office_time_between(a, c);
        prop_assert_eq!(whole, h.office_time_between(a, b) + h.office_time_between(b, c));
        prop_assert!(whole <= c.duration_since(a));
    }
}
