//! RRULE subset tests: parsing, errors, expansion with INTERVAL, COUNT and UNTIL.
#![allow(clippy::unwrap_used, clippy::panic)]

use super::*;
use jiff::civil::{date, time};
use proptest::prelude::*;

fn berlin() -> TimeZone {
    TimeZone::get("Europe/Berlin").unwrap()
}

fn expand(rule: &str, start: Date, take: usize) -> Vec<Date> {
    Rule::parse(rule)
        .unwrap()
        .dates(start, time(14, 0, 0, 0), &berlin())
        .take(take)
        .collect()
}

#[test]
fn parses_the_supported_subset() {
    let r = Rule::parse("RRULE:freq=weekly;interval=2;byday=TU,MO;count=5").unwrap();
    assert_eq!(r.freq, Frequency::Weekly);
    assert_eq!(r.interval, 2);
    assert_eq!(r.by_day, vec![Weekday::Monday, Weekday::Tuesday]);
    assert_eq!(r.count, Some(5));
    assert_eq!(r.to_string(), "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TU;COUNT=5");
    let r: Rule = "FREQ=DAILY;UNTIL=20261231T170000Z;WKST=MO".parse().unwrap();
    assert_eq!(
        r.until,
        Some(Until::Utc("2026-12-31T17:00:00Z".parse().unwrap()))
    );
    assert_eq!(r.to_string(), "FREQ=DAILY;UNTIL=20261231T170000Z");
    let r = Rule::parse("FREQ=WEEKLY;UNTIL=20261231").unwrap();
    assert_eq!(r.until, Some(Until::Date(date(2026, 12, 31))));
    let r = Rule::parse("FREQ=WEEKLY;UNTIL=20261231T140000").unwrap();
    assert_eq!(
        r.until,
        Some(Until::Local(date(2026, 12, 31).at(14, 0, 0, 0)))
    );
}

#[test]
fn clear_errors_for_what_is_not_supported() {
    let err = |s: &str| Rule::parse(s).unwrap_err().to_string();
    assert_eq!(
        err("FREQ=MONTHLY;BYMONTHDAY=1"),
        "FREQ=MONTHLY is not supported (only WEEKLY and DAILY)"
    );
    assert_eq!(
        err("FREQ=WEEKLY;BYMONTHDAY=1"),
        "BYMONTHDAY is not supported"
    );
    assert_eq!(err("FREQ=WEEKLY;BYSETPOS=1"), "BYSETPOS is not supported");
    assert_eq!(
        err("FREQ=WEEKLY;BYDAY=1TU"),
        "BYDAY with a position (1TU) is not supported"
    );
    assert_eq!(
        err("FREQ=WEEKLY;BYDAY=DI"),
        "BYDAY=DI is not valid: expected MO, TU, WE, TH, FR, SA or SU"
    );
    assert_eq!(
        err("FREQ=WEEKLY;WKST=SU"),
        "WKST=SU (weeks start on Monday) is not supported"
    );
    assert_eq!(
        err("FREQ=WEEKLY;INTERVAL=0"),
        "INTERVAL=0 is not valid: must be at least 1"
    );
    assert_eq!(
        err("FREQ=WEEKLY;COUNT=3;UNTIL=20270101"),
        "COUNT and UNTIL cannot both be given"
    );
    assert_eq!(err("FREQ=WEEKLY;FREQ=DAILY"), "FREQ is given twice");
    assert_eq!(err("BYDAY=TU"), "FREQ is missing");
    assert_eq!(err("FREQ"), "'FREQ' is not of the form KEY=VALUE");
    assert_eq!(err("  "), "the rule is empty");
    assert!(err("FREQ=WEEKLY;UNTIL=2026-12-31").starts_with("UNTIL=2026-12-31 is not valid"));
}

#[test]
fn weekly_on_tuesday() {
    let got = expand("FREQ=WEEKLY;BYDAY=TU", date(2026, 11, 3), 5);
    let want = [
        date(2026, 11, 3),
        date(2026, 11, 10),
        date(2026, 11, 17),
        date(2026, 11, 24),
        date(2026, 12, 1),
    ];
    assert_eq!(got, want);
    // Without BYDAY the start date's weekday is used.
    assert_eq!(
        expand("FREQ=WEEKLY", date(2026, 11, 3), 2),
        [date(2026, 11, 3), date(2026, 11, 10)]
    );
}

#[test]
fn every_two_weeks_across_the_year_end() {
    let got = expand("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", date(2026, 1, 6), 27);
    assert_eq!(got[0], date(2026, 1, 6));
    assert_eq!(got[1], date(2026, 1, 20));
    assert_eq!(got[25], date(2026, 12, 22));
    assert_eq!(got[26], date(2027, 1, 5));
    assert!(got
        .windows(2)
        .all(|w| w[1] == w[0].checked_add(jiff::ToSpan::days(14)).unwrap()));
}

#[test]
fn start_date_not_matching_byday_is_skipped() {
    // Starts on a Wednesday: first Tuesday of the same week is before the start, so the next
    // occurrence is in the next interval week (two weeks later for INTERVAL=2).
    let got = expand("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,FR", date(2026, 1, 7), 3);
    assert_eq!(
        got,
        [date(2026, 1, 9), date(2026, 1, 20), date(2026, 1, 23)]
    );
}

#[test]
fn count_and_until() {
    let got = expand("FREQ=WEEKLY;BYDAY=TU,TH;COUNT=3", date(2026, 11, 3), 10);
    assert_eq!(
        got,
        [date(2026, 11, 3), date(2026, 11, 5), date(2026, 11, 10)]
    );
    let got = expand("FREQ=WEEKLY;BYDAY=TU;UNTIL=20261117", date(2026, 11, 3), 10);
    assert_eq!(
        got,
        [date(2026, 11, 3), date(2026, 11, 10), date(2026, 11, 17)]
    );
    // 14:00 in Berlin is 13:00Z: an UNTIL of 12:59Z on the 17th excludes that day.
    let got = expand(
        "FREQ=WEEKLY;BYDAY=TU;UNTIL=20261117T125900Z",
        date(2026, 11, 3),
        10,
    );
    assert_eq!(got, [date(2026, 11, 3), date(2026, 11, 10)]);
    let got = expand(
        "FREQ=WEEKLY;BYDAY=TU;UNTIL=20261117T140000",
        date(2026, 11, 3),
        10,
    );
    assert_eq!(got.len(), 3);
}

#[test]
fn daily_with_interval_and_byday() {
    let got = expand("FREQ=DAILY;INTERVAL=3", date(2026, 1, 30), 3);
    assert_eq!(got, [date(2026, 1, 30), date(2026, 2, 2), date(2026, 2, 5)]);
    let got = expand("FREQ=DAILY;BYDAY=MO,FR", date(2026, 1, 1), 3);
    assert_eq!(got, [date(2026, 1, 2), date(2026, 1, 5), date(2026, 1, 9)]);
    // Never matches: ends instead of looping forever.
    assert!(expand("FREQ=DAILY;INTERVAL=7;BYDAY=TU", date(2026, 1, 5), 3).is_empty());
}

#[test]
fn dates_from_skips_ahead_without_count() {
    let r = Rule::parse("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU").unwrap();
    let got: Vec<Date> = r
        .dates_from(
            date(2026, 1, 6),
            time(14, 0, 0, 0),
            &berlin(),
            date(2030, 1, 1),
        )
        .take(1)
        .collect();
    // 2030-01-01 is a Tuesday exactly 208 weeks after 2026-01-06.
    assert_eq!(got, [date(2030, 1, 1)]);
    let got: Vec<Date> = r
        .dates_from(
            date(2026, 1, 6),
            time(14, 0, 0, 0),
            &berlin(),
            date(2030, 1, 2),
        )
        .take(1)
        .collect();
    assert_eq!(got, [date(2030, 1, 15)]);
}

#[test]
fn day_numbers() {
    assert_eq!(day_number(date(1970, 1, 1)), 0);
    assert_eq!(day_number(date(2000, 3, 1)), 11_017);
    assert_eq!(day_number(date(1969, 12, 31)), -1);
}

proptest! {
    #[test]
    fn weekly_interval_dates_are_interval_weeks_apart(start in 0i64..3000, interval in 1u32..6, mask in 1u8..128) {
        let start = date(2024, 1, 1).checked_add(jiff::ToSpan::days(start)).unwrap();
        let days: Vec<&str> = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"].iter().enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0).map(|(_, d)| *d).collect();
        let rule = format!("FREQ=WEEKLY;INTERVAL={interval};BYDAY={}", days.join(","));
        let got = expand(&rule, start, 30);
        prop_assert_eq!(got.len(), 30);
        prop_assert!(got[0] >= start);
        prop_assert!(got.windows(2).all(|w| w[0] < w[1]));
        for d in &got {
            let weeks = (monday_number(*d) - monday_number(start)) / 7;
            prop_assert_eq!(weeks % i64::from(interval), 0);
            prop_assert!(days.contains(&weekday_code(d.weekday())));
        }
        // Round trip through Display.
        let parsed = Rule::parse(&rule).unwrap();
        prop_assert_eq!(Rule::parse(&parsed.to_string()).unwrap(), parsed);
    }

    #[test]
    fn day_number_agrees_with_jiff(offset in -100_000i64..100_000) {
        let d = date(1970, 1, 1).checked_add(jiff::ToSpan::days(offset)).unwrap();
        prop_assert_eq!(day_number(d), offset);
    }
}
