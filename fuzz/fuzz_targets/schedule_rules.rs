//! Fuzzes the schedule parsers from configuration and query strings: RRULE subset, consultation hours
//! (times, dates, exceptions, extra slots) and report ranges give a value or an error, never a panic or a hang.
//!
//! Input layout: fields separated by `|`: rule | start | end | start_date | exception | extra | from | to.
#![no_main]

use jiff::civil::date;
use jiff::tz::TimeZone;
use libfuzzer_sys::fuzz_target;
use rathaus_domain::schedule::report::parse_range;
use rathaus_domain::schedule::{
    ConsultationHour, ConsultationHourConfig, RegionalHolidays, Rule, State,
};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut f = text.split('|');
    let mut next = || f.next().unwrap_or("").to_string();
    let (rule, start, end, start_date, exception, extra, from, to) = (
        next(),
        next(),
        next(),
        next(),
        next(),
        next(),
        next(),
        next(),
    );
    let tz = TimeZone::get("Europe/Berlin").unwrap_or(TimeZone::UTC);
    let day0 = date(2026, 3, 1);
    if let Ok(r) = Rule::parse(&rule) {
        // Iterating a parsed rule must make progress: take a bounded number of dates.
        let mut last = None;
        for d in r.dates(day0, jiff::civil::time(10, 0, 0, 0), &tz).take(50) {
            assert!(last.is_none_or(|l| d > l), "rule dates go backwards");
            last = Some(d);
        }
        let _ = r
            .dates_from(
                day0,
                jiff::civil::time(2, 30, 0, 0),
                &tz,
                date(2030, 10, 27),
            )
            .take(20)
            .count();
    }
    let config = ConsultationHourConfig {
        name: "Sprechstunde".into(),
        rule,
        start,
        end,
        start_date: (!start_date.is_empty()).then_some(start_date),
        exceptions: vec![exception],
        extra: vec![extra],
        run_on_holidays: false,
    };
    if let Ok(hour) = ConsultationHour::from_config(
        &config,
        tz,
        Some(State::BY),
        RegionalHolidays::default(),
        day0,
    ) {
        let from_ts =
            jiff::Timestamp::from_second(1_772_000_000).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        let to_ts =
            jiff::Timestamp::from_second(1_780_000_000).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        let _ = hour.slots_between(from_ts, to_ts);
        let _ = hour.next_slot(from_ts);
    }
    let _ = parse_range(&from, &to);
});
