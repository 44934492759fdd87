//! Consultation-hour tests: the issue's examples, exceptions, holidays, DST, and slot-search properties.
#![allow(clippy::unwrap_used, clippy::panic)]

use super::*;
use jiff::civil::date;
use proptest::prelude::*;

fn berlin() -> TimeZone {
    TimeZone::get("Europe/Berlin").unwrap()
}

fn at(y: i16, mo: i8, d: i8, h: i8, mi: i8) -> Timestamp {
    date(y, mo, d)
        .at(h, mi, 0, 0)
        .to_zoned(berlin())
        .unwrap()
        .timestamp()
}

fn show(slot: &Slot) -> String {
    format!(
        "{} – {}",
        slot.start.strftime("%Y-%m-%d %H:%M %:z"),
        slot.end.strftime("%Y-%m-%d %H:%M %:z")
    )
}

fn hour(rule: &str, start_date: Date, start: &str, end: &str) -> ConsultationHour {
    let config = ConsultationHourConfig {
        name: "Sprechstunde".into(),
        rule: rule.into(),
        start: start.into(),
        end: end.into(),
        start_date: Some(start_date.to_string()),
        ..Default::default()
    };
    ConsultationHour::from_config(
        &config,
        berlin(),
        Some(State::ST),
        RegionalHolidays::default(),
        start_date,
    )
    .unwrap()
}

fn muldestausee() -> ConsultationHour {
    hour("FREQ=WEEKLY;BYDAY=TU", date(2026, 11, 3), "14:00", "18:00")
}

#[test]
fn next_slot_after_friday_is_tuesday() {
    let h = muldestausee();
    let next = h.next_slot(at(2026, 11, 27, 10, 0)).unwrap();
    assert_eq!(
        show(&next),
        "2026-12-01 14:00 +01:00 – 2026-12-01 18:00 +01:00"
    );
    // Before the start date there is nothing earlier than the first Tuesday.
    let first = h.next_slot(at(2026, 1, 1, 0, 0)).unwrap();
    assert_eq!(
        show(&first),
        "2026-11-03 14:00 +01:00 – 2026-11-03 18:00 +01:00"
    );
    // During a slot, the next one is a week later.
    let next = h.next_slot(at(2026, 12, 1, 15, 0)).unwrap();
    assert_eq!(next.start.date(), date(2026, 12, 8));
}

#[test]
fn current_slot() {
    let h = muldestausee();
    assert_eq!(
        show(&h.current_slot(at(2026, 12, 1, 14, 0)).unwrap()),
        "2026-12-01 14:00 +01:00 – 2026-12-01 18:00 +01:00"
    );
    assert!(h.current_slot(at(2026, 12, 1, 17, 59)).is_some());
    assert!(h.current_slot(at(2026, 12, 1, 18, 0)).is_none());
    assert!(h.current_slot(at(2026, 12, 1, 13, 59)).is_none());
    assert!(
        h.current_slot(at(2026, 10, 27, 15, 0)).is_none(),
        "before the start date"
    );
}

#[test]
fn parses_the_issue_toml() {
    #[derive(serde::Deserialize)]
    struct M {
        consultation_hours: Vec<ConsultationHourConfig>,
    }
    #[derive(serde::Deserialize)]
    struct F {
        municipality: M,
    }
    let f: F = toml::from_str(
        r#"
        [[municipality.consultation_hours]]
        name = "WhatsApp-Sprechstunde mit dem Bürgermeister"
        channels = ["whatsapp"]
        rule = "FREQ=WEEKLY;BYDAY=TU"
        start = "14:00"
        end = "18:00"
        host = "buergermeister@musterstadt.de"
        exceptions = ["2026-12-29"]
        extra = ["2026-12-30 10:00-12:00"]
        "#,
    )
    .unwrap();
    let config = &f.municipality.consultation_hours[0];
    let h = ConsultationHour::from_config(
        config,
        berlin(),
        Some(State::ST),
        RegionalHolidays::default(),
        date(2026, 11, 3),
    )
    .unwrap();
    assert_eq!(h.name, "WhatsApp-Sprechstunde mit dem Bürgermeister");
    let slots: Vec<String> = h
        .slots_between(at(2026, 12, 21, 0, 0), at(2027, 1, 6, 0, 0))
        .iter()
        .map(show)
        .collect();
    assert_eq!(
        slots,
        [
            "2026-12-22 14:00 +01:00 – 2026-12-22 18:00 +01:00",
            "2026-12-30 10:00 +01:00 – 2026-12-30 12:00 +01:00",
            "2027-01-05 14:00 +01:00 – 2027-01-05 18:00 +01:00",
        ]
    );
}

#[test]
fn config_errors() {
    let base = ConsultationHourConfig {
        name: "x".into(),
        rule: "FREQ=WEEKLY;BYDAY=TU".into(),
        start: "14:00".into(),
        end: "18:00".into(),
        ..Default::default()
    };
    let err = |c: ConsultationHourConfig| {
        ConsultationHour::from_config(
            &c,
            berlin(),
            None,
            RegionalHolidays::default(),
            date(2026, 1, 1),
        )
        .unwrap_err()
        .to_string()
    };
    assert_eq!(
        err(ConsultationHourConfig {
            rule: "FREQ=WEEKLY;BYMONTHDAY=3".into(),
            ..base.clone()
        }),
        "rule: BYMONTHDAY is not supported"
    );
    assert_eq!(
        err(ConsultationHourConfig {
            start: "2pm".into(),
            ..base.clone()
        }),
        "start: '2pm' is not a time like \"14:00\""
    );
    assert_eq!(
        err(ConsultationHourConfig {
            exceptions: vec!["29.12.".into()],
            ..base.clone()
        }),
        "exceptions: '29.12.' is not a date like \"2026-12-24\""
    );
    assert_eq!(
        err(ConsultationHourConfig {
            extra: vec!["2026-12-30".into()],
            ..base.clone()
        }),
        "extra: '2026-12-30' is not a slot like \"2026-12-08 10:00-12:00\""
    );
    assert_eq!(
        err(ConsultationHourConfig {
            end: "14:00".into(),
            ..base
        }),
        "'14:00-14:00': start and end are the same"
    );
}

#[test]
fn every_fourteen_days_for_one_hour() {
    // Baden-Baden style: one hour every other Thursday.
    let h = hour(
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH",
        date(2026, 1, 8),
        "17:00",
        "18:00",
    );
    let slots = h.slots_between(at(2026, 1, 1, 0, 0), at(2026, 3, 1, 0, 0));
    let dates: Vec<Date> = slots.iter().map(|s| s.start.date()).collect();
    assert_eq!(
        dates,
        [
            date(2026, 1, 8),
            date(2026, 1, 22),
            date(2026, 2, 5),
            date(2026, 2, 19)
        ]
    );
    assert!(slots
        .iter()
        .all(|s| s.end.timestamp().duration_since(s.start.timestamp())
            == SignedDuration::from_hours(1)));
    assert_eq!(
        h.next_slot(at(2026, 1, 9, 0, 0)).unwrap().start.date(),
        date(2026, 1, 22)
    );
}

#[test]
fn every_two_weeks_across_the_year_end_with_one_exception() {
    let mut h = hour(
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU",
        date(2026, 1, 6),
        "14:00",
        "18:00",
    );
    let dates = |h: &ConsultationHour| -> Vec<Date> {
        h.slots_between(at(2026, 12, 1, 0, 0), at(2027, 2, 1, 0, 0))
            .iter()
            .map(|s| s.start.date())
            .collect()
    };
    assert_eq!(
        dates(&h),
        [
            date(2026, 12, 8),
            date(2026, 12, 22),
            date(2027, 1, 5),
            date(2027, 1, 19)
        ]
    );
    h.exceptions.push(date(2026, 12, 22));
    assert_eq!(
        dates(&h),
        [date(2026, 12, 8), date(2027, 1, 5), date(2027, 1, 19)]
    );
    assert_eq!(
        h.cancelled_dates(date(2026, 12, 1), date(2027, 2, 1)),
        [date(2026, 12, 22)]
    );
}

#[test]
fn count_and_until_end_the_series() {
    let h = hour(
        "FREQ=WEEKLY;BYDAY=TU;COUNT=3",
        date(2026, 11, 3),
        "14:00",
        "18:00",
    );
    assert_eq!(
        h.slots_between(at(2026, 1, 1, 0, 0), at(2028, 1, 1, 0, 0))
            .len(),
        3
    );
    assert!(h.next_slot(at(2026, 11, 18, 0, 0)).is_none());
    let h = hour(
        "FREQ=WEEKLY;BYDAY=TU;UNTIL=20261124",
        date(2026, 11, 3),
        "14:00",
        "18:00",
    );
    let last = h
        .slots_between(at(2026, 1, 1, 0, 0), at(2028, 1, 1, 0, 0))
        .pop()
        .unwrap();
    assert_eq!(last.start.date(), date(2026, 11, 24));
}

#[test]
fn holidays_cancel_unless_marked_to_run() {
    // 1. Weihnachtstag 2029 and Neujahr 2030 fall on Tuesdays.
    let mut h = muldestausee();
    let range = (at(2029, 12, 17, 0, 0), at(2030, 1, 10, 0, 0));
    let dates = |h: &ConsultationHour| -> Vec<Date> {
        h.slots_between(range.0, range.1)
            .iter()
            .map(|s| s.start.date())
            .collect()
    };
    assert_eq!(dates(&h), [date(2029, 12, 18), date(2030, 1, 8)]);
    assert_eq!(
        h.cancelled_dates(date(2029, 12, 17), date(2030, 1, 10)),
        [date(2029, 12, 25), date(2030, 1, 1)]
    );
    assert_eq!(
        h.next_slot(at(2029, 12, 19, 0, 0)).unwrap().start.date(),
        date(2030, 1, 8)
    );
    h.run_on_holidays = true;
    assert_eq!(
        dates(&h),
        [
            date(2029, 12, 18),
            date(2029, 12, 25),
            date(2030, 1, 1),
            date(2030, 1, 8)
        ]
    );
    // Without a Land, there are no holidays.
    let mut h = muldestausee();
    h.state = None;
    assert_eq!(dates(&h).len(), 4);
    // Buß- und Bettag cancels a Wednesday slot in Saxony only.
    let mut h = hour("FREQ=WEEKLY;BYDAY=WE", date(2026, 1, 7), "10:00", "12:00");
    assert!(h.current_slot(at(2026, 11, 18, 11, 0)).is_some());
    h.state = Some(State::SN);
    assert!(h.current_slot(at(2026, 11, 18, 11, 0)).is_none());
}

#[test]
fn extra_slots_are_kept_on_holidays_and_may_cross_midnight() {
    let mut h = muldestausee();
    h.extra_slots.push(ExtraSlot {
        date: date(2026, 12, 25),
        start: time(10, 0),
        end: time(11, 0),
    });
    h.extra_slots.push(ExtraSlot {
        date: date(2026, 12, 31),
        start: time(23, 0),
        end: time(1, 0),
    });
    let slots: Vec<String> = h
        .slots_between(at(2026, 12, 23, 0, 0), at(2027, 1, 2, 0, 0))
        .iter()
        .map(show)
        .collect();
    assert_eq!(
        slots,
        [
            "2026-12-25 10:00 +01:00 – 2026-12-25 11:00 +01:00",
            "2026-12-29 14:00 +01:00 – 2026-12-29 18:00 +01:00",
            "2026-12-31 23:00 +01:00 – 2027-01-01 01:00 +01:00",
        ]
    );
    // A slot that started yesterday is still current after midnight.
    assert!(h.current_slot(at(2027, 1, 1, 0, 30)).is_some());
}

fn time(h: i8, m: i8) -> Time {
    jiff::civil::time(h, m, 0, 0)
}

#[test]
fn slots_keep_local_time_across_the_dst_switch() {
    let h = muldestausee();
    let h = ConsultationHour {
        start_date: date(2026, 3, 1),
        ..h
    };
    let slots = h.slots_between(at(2026, 3, 23, 0, 0), at(2026, 4, 2, 0, 0));
    let shown: Vec<String> = slots.iter().map(show).collect();
    assert_eq!(
        shown,
        [
            "2026-03-24 14:00 +01:00 – 2026-03-24 18:00 +01:00",
            "2026-03-31 14:00 +02:00 – 2026-03-31 18:00 +02:00"
        ]
    );
    assert_eq!(
        slots[0].start.timestamp().to_string(),
        "2026-03-24T13:00:00Z"
    );
    assert_eq!(
        slots[1].start.timestamp().to_string(),
        "2026-03-31T12:00:00Z"
    );
    // A Sunday-night slot 01:30–03:30 lasts one hour in March and three in October.
    let night = hour("FREQ=WEEKLY;BYDAY=SU", date(2026, 1, 4), "01:30", "03:30");
    let length = |d: Date| {
        let s = night
            .slots_between(
                at(d.year(), d.month(), d.day(), 0, 0),
                at(d.year(), d.month(), d.day(), 23, 0),
            )
            .remove(0);
        s.end.timestamp().duration_since(s.start.timestamp())
    };
    assert_eq!(length(date(2026, 3, 29)), SignedDuration::from_hours(1));
    assert_eq!(length(date(2026, 10, 25)), SignedDuration::from_hours(3));
    assert_eq!(length(date(2026, 11, 1)), SignedDuration::from_hours(2));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    #[test]
    fn slot_search_is_consistent(
        start in 0i64..800, interval in 1u32..4, mask in 1u8..128,
        from_h in 0i64..24 * 800, span_h in 1i64..24 * 60,
    ) {
        let start_date = date(2025, 1, 1).checked_add(start.days()).unwrap();
        let days: Vec<&str> = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"].iter().enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0).map(|(_, d)| *d).collect();
        let h = hour(&format!("FREQ=WEEKLY;INTERVAL={interval};BYDAY={}", days.join(",")), start_date, "09:00", "11:30");
        let from = at(2025, 1, 1, 0, 0).checked_add(SignedDuration::from_hours(from_h)).unwrap();
        let to = from.checked_add(SignedDuration::from_hours(span_h)).unwrap();
        let slots = h.slots_between(from, to);
        prop_assert!(slots.windows(2).all(|w| w[0].end.timestamp() <= w[1].start.timestamp()));
        for s in &slots {
            prop_assert!(s.end.timestamp() > from && s.start.timestamp() < to);
            prop_assert!(days.contains(&super::super::rrule::weekday_code(s.start.date().weekday())));
        }
        let next = h.next_slot(from).unwrap();
        prop_assert!(next.start.timestamp() > from);
        let before_next = h.slots_between(from, next.start.timestamp());
        prop_assert!(before_next.iter().all(|s| s.start.timestamp() <= from));
        match h.current_slot(from) {
            Some(s) => prop_assert!(s.contains(from)),
            None => prop_assert!(before_next.is_empty()),
        }
    }
}
