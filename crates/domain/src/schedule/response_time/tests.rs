//! Response-time tests: the Friday example, each situation, statuses and fallbacks.
#![allow(clippy::unwrap_used, clippy::panic)]

use super::*;
use crate::schedule::consultation::ConsultationHourConfig;
use crate::schedule::holidays::{RegionalHolidays, State};
use crate::schedule::office_hours::OfficeHoursConfig;
use jiff::civil::date;
use jiff::tz::TimeZone;
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

fn local(ts: Timestamp) -> String {
    ts.to_zoned(berlin())
        .strftime("%a %Y-%m-%d %H:%M")
        .to_string()
}

/// Mon–Thu 08:00–12:00 and 13:00–16:00, Fri 08:00–12:00, Saxony-Anhalt.
fn office() -> OfficeHours {
    let weekday = vec!["08:00-12:00".to_string(), "13:00-16:00".to_string()];
    let config = OfficeHoursConfig {
        state: Some("ST".into()),
        mon: weekday.clone(),
        tue: weekday.clone(),
        wed: weekday.clone(),
        thu: weekday,
        fri: vec!["08:00-12:00".into()],
        ..Default::default()
    };
    OfficeHours::from_config(&config, berlin()).unwrap()
}

/// Tuesdays 14:00–18:00 from 3 November 2026.
fn mayor() -> Vec<ConsultationHour> {
    let config = ConsultationHourConfig {
        name: "Sprechstunde".into(),
        rule: "FREQ=WEEKLY;BYDAY=TU".into(),
        start: "14:00".into(),
        end: "18:00".into(),
        ..Default::default()
    };
    vec![ConsultationHour::from_config(
        &config,
        berlin(),
        Some(State::ST),
        RegionalHolidays::default(),
        date(2026, 11, 3),
    )
    .unwrap()]
}

#[test]
fn friday_17_30_with_a_one_hour_target_is_due_monday_9() {
    let targets = Targets {
        otherwise: Target::OfficeTime(SignedDuration::from_hours(1)),
        ..Targets::default()
    };
    let p = promise(at(2026, 11, 27, 17, 30), &office(), &[], &targets);
    assert_eq!(local(p.due), "Mon 2026-11-30 09:00");
    assert_eq!(
        (p.situation, p.clock),
        (Situation::Otherwise, Clock::OfficeTime)
    );
    assert_eq!(
        due_at(at(2026, 11, 27, 17, 30), &office(), &[], &targets),
        p.due
    );
}

#[test]
fn default_targets_per_situation() {
    let t = Targets::default();
    // Outside office hours: one office day, i.e. Monday's closing.
    assert_eq!(
        local(due_at(at(2026, 11, 27, 17, 30), &office(), &mayor(), &t)),
        "Mon 2026-11-30 16:00"
    );
    // During office hours: one hour of office time, skipping the lunch break.
    let p = promise(at(2026, 11, 30, 11, 30), &office(), &mayor(), &t);
    assert_eq!(
        (local(p.due), p.situation),
        ("Mon 2026-11-30 13:30".to_string(), Situation::OfficeHours)
    );
    // Inside the consultation slot (also office hours): 15 minutes of wall-clock time.
    let p = promise(at(2026, 12, 1, 15, 50), &office(), &mayor(), &t);
    assert_eq!(
        (local(p.due), p.situation, p.clock),
        (
            "Tue 2026-12-01 16:05".to_string(),
            Situation::Consultation,
            Clock::WallClock
        )
    );
    // Inside the slot after the office has closed: still 15 minutes.
    assert_eq!(
        local(due_at(at(2026, 12, 1, 17, 55), &office(), &mayor(), &t)),
        "Tue 2026-12-01 18:10"
    );
}

#[test]
fn status_in_office_time() {
    let o = office();
    let p = promise(at(2026, 11, 30, 10, 0), &o, &[], &Targets::default());
    assert_eq!(local(p.due), "Mon 2026-11-30 11:00");
    assert_eq!(
        p.status(at(2026, 11, 30, 10, 30), &o),
        ResponseStatus::OnTrack
    );
    assert_eq!(
        p.status(at(2026, 11, 30, 10, 46), &o),
        ResponseStatus::NearDue,
        "less than 15 minutes"
    );
    assert_eq!(
        p.status(at(2026, 11, 30, 11, 0), &o),
        ResponseStatus::NearDue
    );
    assert_eq!(
        p.status(at(2026, 11, 30, 11, 1), &o),
        ResponseStatus::Breached
    );
    assert_eq!(
        remaining(p.due, at(2026, 11, 30, 11, 1)),
        SignedDuration::from_mins(-1)
    );
    assert_eq!(
        p.time_left(at(2026, 11, 30, 11, 1), &o),
        SignedDuration::from_mins(-1)
    );

    // One office day from Monday 10:00 is due Tuesday 10:00: 7 hours of office time.
    let p = promise(
        at(2026, 11, 30, 10, 0),
        &o,
        &[],
        &Targets {
            in_office_hours: Target::OfficeDays(1),
            ..Targets::default()
        },
    );
    assert_eq!(local(p.due), "Tue 2026-12-01 10:00");
    assert_eq!(p.total(&o), SignedDuration::from_hours(7));
    assert_eq!(
        p.status(at(2026, 11, 30, 15, 0), &o),
        ResponseStatus::OnTrack,
        "3 of 7 hours left"
    );
    assert_eq!(
        p.status(at(2026, 12, 1, 8, 30), &o),
        ResponseStatus::NearDue,
        "1.5 of 7 hours left"
    );
}

#[test]
fn an_office_time_promise_does_not_run_down_over_the_weekend() {
    let o = office();
    let targets = Targets {
        otherwise: Target::OfficeTime(SignedDuration::from_hours(1)),
        ..Targets::default()
    };
    let p = promise(at(2026, 11, 27, 17, 30), &o, &[], &targets);
    assert_eq!(
        p.status(at(2026, 11, 29, 23, 0), &o),
        ResponseStatus::OnTrack
    );
    assert_eq!(
        p.time_left(at(2026, 11, 29, 23, 0), &o),
        SignedDuration::from_hours(1)
    );
    assert_eq!(
        p.status(at(2026, 11, 30, 8, 50), &o),
        ResponseStatus::NearDue
    );
}

#[test]
fn a_quarter_of_a_long_wall_clock_target() {
    let total = SignedDuration::from_hours(8);
    assert_eq!(
        ResponseStatus::from_time_left(total, SignedDuration::from_hours(3), false),
        ResponseStatus::OnTrack
    );
    assert_eq!(
        ResponseStatus::from_time_left(total, SignedDuration::from_hours(2), false),
        ResponseStatus::OnTrack
    );
    assert_eq!(
        ResponseStatus::from_time_left(total, SignedDuration::from_mins(119), false),
        ResponseStatus::NearDue
    );
    assert_eq!(
        ResponseStatus::from_time_left(total, SignedDuration::ZERO, true),
        ResponseStatus::Breached
    );
}

#[test]
fn without_office_hours_targets_fall_back_to_wall_clock() {
    let none = OfficeHours::new(berlin());
    let p = promise(at(2026, 11, 27, 17, 30), &none, &[], &Targets::default());
    assert_eq!(
        (local(p.due), p.clock),
        ("Sat 2026-11-28 17:30".to_string(), Clock::WallClock)
    );
}

#[test]
fn across_the_march_switch() {
    // Friday 27 March 2026, 11:30 + 1 h office time: 30 min on Friday, 30 min on Monday (CEST).
    let p = promise(at(2026, 3, 27, 11, 30), &office(), &[], &Targets::default());
    assert_eq!(
        p.due.to_zoned(berlin()).to_string(),
        "2026-03-30T08:30:00+02:00[Europe/Berlin]"
    );
    assert_eq!(p.total(&office()), SignedDuration::from_hours(1));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    #[test]
    fn due_is_never_before_received_and_status_ends_breached(secs in 0i64..2 * 365 * 86_400) {
        let o = office();
        let received = at(2026, 1, 1, 0, 0).checked_add(SignedDuration::from_secs(secs)).unwrap();
        let p = promise(received, &o, &mayor(), &Targets::default());
        prop_assert!(p.due > received);
        prop_assert_ne!(p.status(received, &o), ResponseStatus::Breached);
        let after = p.due.checked_add(SignedDuration::from_secs(1)).unwrap();
        prop_assert_eq!(p.status(after, &o), ResponseStatus::Breached);
        if p.clock == Clock::OfficeTime {
            prop_assert!(o.is_open(p.due.checked_sub(SignedDuration::from_nanos(1)).unwrap()));
        }
    }
}

#[test]
fn near_due_from_in_office_time_skips_the_weekend() {
    // Friday 17:30, 1 h office time → due Monday 09:00; 15 minutes left from Monday 08:45.
    let o = office();
    let targets = Targets {
        otherwise: Target::OfficeTime(SignedDuration::from_hours(1)),
        ..Targets::default()
    };
    let p = promise(at(2026, 11, 27, 17, 30), &o, &[], &targets);
    assert_eq!(local(p.due), "Mon 2026-11-30 09:00");
    // The default (1 office day) is due at Monday's closing; the last quarter (1 h 45) is near due.
    let day = promise(at(2026, 11, 27, 17, 30), &o, &[], &Targets::default());
    assert_eq!(local(day.due), "Mon 2026-11-30 16:00");
    assert_eq!(local(day.near_due_from(&o)), "Mon 2026-11-30 14:15");
    let from = p.near_due_from(&o);
    assert_eq!(
        from,
        at(2026, 11, 30, 8, 45)
            .checked_add(SignedDuration::from_nanos(1))
            .unwrap()
    );
    assert_eq!(
        p.status(at(2026, 11, 30, 8, 45), &o),
        ResponseStatus::OnTrack
    );
    assert_eq!(p.status(from, &o), ResponseStatus::NearDue);
}

#[test]
fn near_due_from_a_wall_clock_target() {
    // 15 minutes inside a slot: near due at once (less than 15 minutes left after the first instant).
    let o = office();
    let p = promise(at(2026, 11, 3, 14, 10), &o, &mayor(), &Targets::default());
    assert_eq!(p.situation, Situation::Consultation);
    let from = p.near_due_from(&o);
    assert_eq!(
        from,
        p.received
            .checked_add(SignedDuration::from_nanos(1))
            .unwrap()
    );
    // 8 hours wall clock: the last quarter (2 hours) is near due.
    let eight = Targets {
        in_consultation: Target::WallClock(SignedDuration::from_hours(8)),
        ..Targets::default()
    };
    let p = promise(at(2026, 11, 3, 14, 10), &o, &mayor(), &eight);
    assert_eq!(local(p.near_due_from(&o)), "Tue 2026-11-03 20:10");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    #[test]
    fn near_due_from_agrees_with_status(secs in 0i64..2 * 365 * 86_400, probe in 0u32..1000) {
        let o = office();
        let received = at(2026, 1, 1, 0, 0).checked_add(SignedDuration::from_secs(secs)).unwrap();
        let p = promise(received, &o, &mayor(), &Targets::default());
        let from = p.near_due_from(&o);
        prop_assert!(received <= from && from <= p.due);
        let near = |t: Timestamp| p.status(t, &o) != ResponseStatus::OnTrack;
        prop_assert!(near(from), "near at {}", local(from));
        if from > received {
            prop_assert!(!near(from.checked_sub(SignedDuration::from_nanos(1)).unwrap()));
        }
        // Any instant between received and due: near exactly when at or after `from`.
        let span = p.due.duration_since(received);
        let t = received.checked_add(span * i32::try_from(probe).unwrap() / 1000).unwrap();
        prop_assert_eq!(near(t), t >= from, "at {}", local(t));
    }
}
