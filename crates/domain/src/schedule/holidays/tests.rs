//! Holiday calendar tests: a hand-written table for 2024–2030 and properties for any year.
#![allow(clippy::unwrap_used, clippy::panic)]

use super::*;
use jiff::civil::date;
use proptest::prelude::*;

/// Movable feasts as published for 2024–2030:
/// (year, Karfreitag, Ostersonntag, Ostermontag, Christi Himmelfahrt, Pfingstsonntag,
///  Pfingstmontag, Fronleichnam, Buß- und Bettag) as (month, day).
type Md = (i8, i8);
const MOVABLE: [(i16, [Md; 8]); 7] = [
    (
        2024,
        [
            (3, 29),
            (3, 31),
            (4, 1),
            (5, 9),
            (5, 19),
            (5, 20),
            (5, 30),
            (11, 20),
        ],
    ),
    (
        2025,
        [
            (4, 18),
            (4, 20),
            (4, 21),
            (5, 29),
            (6, 8),
            (6, 9),
            (6, 19),
            (11, 19),
        ],
    ),
    (
        2026,
        [
            (4, 3),
            (4, 5),
            (4, 6),
            (5, 14),
            (5, 24),
            (5, 25),
            (6, 4),
            (11, 18),
        ],
    ),
    (
        2027,
        [
            (3, 26),
            (3, 28),
            (3, 29),
            (5, 6),
            (5, 16),
            (5, 17),
            (5, 27),
            (11, 17),
        ],
    ),
    (
        2028,
        [
            (4, 14),
            (4, 16),
            (4, 17),
            (5, 25),
            (6, 4),
            (6, 5),
            (6, 15),
            (11, 22),
        ],
    ),
    (
        2029,
        [
            (3, 30),
            (4, 1),
            (4, 2),
            (5, 10),
            (5, 20),
            (5, 21),
            (5, 31),
            (11, 21),
        ],
    ),
    (
        2030,
        [
            (4, 19),
            (4, 21),
            (4, 22),
            (5, 30),
            (6, 9),
            (6, 10),
            (6, 20),
            (11, 20),
        ],
    ),
];

const COMMON: [&str; 9] = [
    "Neujahr",
    "Karfreitag",
    "Ostermontag",
    "Tag der Arbeit",
    "Christi Himmelfahrt",
    "Pfingstmontag",
    "Tag der Deutschen Einheit",
    "1. Weihnachtstag",
    "2. Weihnachtstag",
];

/// The Länder's own lists (beyond the nine common days) for 2024–2030, without regional options.
fn extra_names(state: State, year: i16) -> Vec<&'static str> {
    use State::*;
    let mut v: Vec<&'static str> = match state {
        BW => vec!["Heilige Drei Könige", "Fronleichnam", "Allerheiligen"],
        BY => vec!["Heilige Drei Könige", "Fronleichnam", "Allerheiligen"],
        BE => vec!["Internationaler Frauentag"],
        BB => vec!["Ostersonntag", "Pfingstsonntag", "Reformationstag"],
        HB | HH | NI | SH => vec!["Reformationstag"],
        HE => vec!["Fronleichnam"],
        MV => vec!["Internationaler Frauentag", "Reformationstag"],
        NW | RP => vec!["Fronleichnam", "Allerheiligen"],
        SL => vec!["Fronleichnam", "Mariä Himmelfahrt", "Allerheiligen"],
        SN => vec!["Reformationstag", "Buß- und Bettag"],
        ST => vec!["Heilige Drei Könige", "Reformationstag"],
        TH => vec!["Weltkindertag", "Reformationstag"],
    };
    if state == BE && year == 2025 {
        v.push("Tag der Befreiung");
    }
    v
}

fn expected_date(year: i16, name: &str) -> Date {
    let movable = MOVABLE.iter().find(|(y, _)| *y == year).unwrap().1;
    let md = |i: usize| date(year, movable[i].0, movable[i].1);
    match name {
        "Neujahr" => date(year, 1, 1),
        "Heilige Drei Könige" => date(year, 1, 6),
        "Internationaler Frauentag" => date(year, 3, 8),
        "Karfreitag" => md(0),
        "Ostersonntag" => md(1),
        "Ostermontag" => md(2),
        "Tag der Arbeit" => date(year, 5, 1),
        "Tag der Befreiung" => date(year, 5, 8),
        "Christi Himmelfahrt" => md(3),
        "Pfingstsonntag" => md(4),
        "Pfingstmontag" => md(5),
        "Fronleichnam" => md(6),
        "Augsburger Friedensfest" => date(year, 8, 8),
        "Mariä Himmelfahrt" => date(year, 8, 15),
        "Weltkindertag" => date(year, 9, 20),
        "Tag der Deutschen Einheit" => date(year, 10, 3),
        "Reformationstag" => date(year, 10, 31),
        "Allerheiligen" => date(year, 11, 1),
        "Buß- und Bettag" => md(7),
        "1. Weihnachtstag" => date(year, 12, 25),
        "2. Weihnachtstag" => date(year, 12, 26),
        other => panic!("no expectation for {other}"),
    }
}

fn expected(state: State, year: i16, regional_extra: &[&'static str]) -> Vec<(Date, &'static str)> {
    let mut v: Vec<(Date, &'static str)> = COMMON
        .iter()
        .chain(extra_names(state, year).iter())
        .chain(regional_extra.iter())
        .map(|n| (expected_date(year, n), *n))
        .collect();
    v.sort();
    v
}

#[test]
fn every_state_matches_the_table_2024_to_2030() {
    for year in 2024..=2030 {
        for state in State::ALL {
            assert_eq!(
                holidays(state, year),
                expected(state, year, &[]),
                "{state} {year}"
            );
        }
    }
}

#[test]
fn regional_options_2024_to_2030() {
    let all = RegionalHolidays {
        mariae_himmelfahrt: true,
        fronleichnam: true,
        augsburger_friedensfest: true,
    };
    for year in 2024..=2030 {
        let by = holidays_with(State::BY, year, all);
        let want = expected(
            State::BY,
            year,
            &["Augsburger Friedensfest", "Mariä Himmelfahrt"],
        );
        assert_eq!(by, want, "BY {year}");
        for state in [State::SN, State::TH] {
            let got = holidays_with(state, year, all);
            assert_eq!(
                got,
                expected(state, year, &["Fronleichnam"]),
                "{state} {year}"
            );
        }
        // Options of other Länder change nothing.
        for state in [State::BE, State::NW, State::SL, State::ST] {
            assert_eq!(holidays_with(state, year, all), holidays(state, year));
        }
    }
}

#[test]
fn holiday_counts_2026() {
    let counts: Vec<(State, usize)> = State::ALL
        .into_iter()
        .map(|s| (s, holidays(s, 2026).len()))
        .collect();
    use State::*;
    let want = [
        (BW, 12),
        (BY, 12),
        (BE, 10),
        (BB, 12),
        (HB, 10),
        (HH, 10),
        (HE, 10),
        (MV, 11),
        (NI, 10),
        (NW, 11),
        (RP, 11),
        (SL, 12),
        (SN, 11),
        (ST, 11),
        (SH, 10),
        (TH, 11),
    ];
    assert_eq!(counts, want);
}

#[test]
fn known_easter_dates() {
    assert_eq!(easter_sunday(2024), Some(date(2024, 3, 31)));
    assert_eq!(easter_sunday(2025), Some(date(2025, 4, 20)));
    assert_eq!(easter_sunday(2026), Some(date(2026, 4, 5)));
    assert_eq!(easter_sunday(2027), Some(date(2027, 3, 28)));
    // Extremes of the range.
    assert_eq!(easter_sunday(2285), Some(date(2285, 3, 22)));
    assert_eq!(easter_sunday(1943), Some(date(1943, 4, 25)));
    assert_eq!(easter_sunday(2038), Some(date(2038, 4, 25)));
}

#[test]
fn buss_und_bettag_2026_in_saxony_only() {
    assert_eq!(buss_und_bettag(2026), Some(date(2026, 11, 18)));
    assert_eq!(
        is_holiday(State::SN, date(2026, 11, 18)),
        Some("Buß- und Bettag")
    );
    assert_eq!(is_holiday(State::ST, date(2026, 11, 18)), None);
}

#[test]
fn two_holidays_on_one_day_are_both_listed() {
    // 2008: Christi Himmelfahrt fell on 1 May.
    let list = holidays(State::BE, 2008);
    let on_may_1: Vec<_> = list
        .iter()
        .filter(|(d, _)| *d == date(2008, 5, 1))
        .collect();
    assert_eq!(on_may_1.len(), 2);
    assert_eq!(
        is_holiday(State::BE, date(2008, 5, 1)),
        Some("Christi Himmelfahrt")
    );
}

#[test]
fn reformationstag_history() {
    for state in State::ALL {
        assert_eq!(
            is_holiday(state, date(2017, 10, 31)),
            Some("Reformationstag"),
            "{state}"
        );
    }
    assert_eq!(is_holiday(State::NI, date(2016, 10, 31)), None);
    assert_eq!(
        is_holiday(State::NI, date(2018, 10, 31)),
        Some("Reformationstag")
    );
    assert_eq!(
        is_holiday(State::SN, date(2016, 10, 31)),
        Some("Reformationstag")
    );
    assert_eq!(is_holiday(State::BE, date(2018, 10, 31)), None);
    assert_eq!(is_holiday(State::BW, date(2018, 10, 31)), None);
}

#[test]
fn dated_introductions() {
    assert_eq!(is_holiday(State::BE, date(2018, 3, 8)), None);
    assert_eq!(
        is_holiday(State::BE, date(2019, 3, 8)),
        Some("Internationaler Frauentag")
    );
    assert_eq!(is_holiday(State::MV, date(2022, 3, 8)), None);
    assert_eq!(
        is_holiday(State::MV, date(2023, 3, 8)),
        Some("Internationaler Frauentag")
    );
    assert_eq!(is_holiday(State::TH, date(2018, 9, 20)), None);
    assert_eq!(
        is_holiday(State::TH, date(2019, 9, 20)),
        Some("Weltkindertag")
    );
    assert_eq!(
        is_holiday(State::BE, date(2020, 5, 8)),
        Some("Tag der Befreiung")
    );
    assert_eq!(is_holiday(State::BE, date(2026, 5, 8)), None);
}

#[test]
fn state_codes() {
    assert_eq!(State::parse("ST"), Some(State::ST));
    assert_eq!(State::parse(" de-by "), Some(State::BY));
    assert_eq!(State::parse("XX"), None);
    for s in State::ALL {
        assert_eq!(State::parse(s.code()), Some(s));
        assert!(!s.name().is_empty());
    }
}

proptest! {
    #[test]
    fn easter_is_a_sunday_between_22_march_and_25_april(year in 1583i16..=9999) {
        let e = easter_sunday(year).unwrap();
        prop_assert_eq!(e.weekday(), Weekday::Sunday);
        prop_assert!(e >= date(year, 3, 22) && e <= date(year, 4, 25), "{}", e);
    }

    #[test]
    fn every_state_has_at_least_nine_holidays(year in 1583i16..=9998, i in 0usize..16) {
        let state = State::ALL[i];
        let list = holidays(state, year);
        prop_assert!(list.len() >= 9, "{} {}: {:?}", state, year, list);
        prop_assert!(list.windows(2).all(|w| w[0] < w[1]), "sorted, no duplicates");
        for (d, _) in list {
            prop_assert!(is_holiday(state, d).is_some());
        }
    }

    #[test]
    fn buss_und_bettag_is_a_wednesday_16_to_22_november(year in 1583i16..=9999) {
        let d = buss_und_bettag(year).unwrap();
        prop_assert_eq!(d.weekday(), Weekday::Wednesday);
        prop_assert!(d >= date(year, 11, 16) && d <= date(year, 11, 22), "{}", d);
    }
}
