//! Report tests: a small fixed data set with exact medians, p90 and shares; CSV; JSON keys.
#![allow(clippy::unwrap_used, clippy::panic)]

use super::*;
use crate::schedule::consultation::ConsultationHourConfig;
use crate::schedule::holidays::RegionalHolidays;
use crate::schedule::office_hours::OfficeHoursConfig;
use jiff::civil::date;

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

/// Monday to Friday, 08:00–16:00, no holidays.
fn office() -> OfficeHours {
    let day = vec!["08:00-16:00".to_string()];
    let config = OfficeHoursConfig {
        mon: day.clone(),
        tue: day.clone(),
        wed: day.clone(),
        thu: day.clone(),
        fri: day,
        ..Default::default()
    };
    OfficeHours::from_config(&config, berlin()).unwrap()
}

fn tuesdays() -> Vec<ConsultationHour> {
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
        None,
        RegionalHolidays::default(),
        date(2026, 1, 6),
    )
    .unwrap()]
}

fn sample(
    channel: &str,
    started: Timestamp,
    due: Timestamp,
    first_response: Option<Timestamp>,
) -> ResponseSample {
    ResponseSample {
        channel: channel.into(),
        team: None,
        started,
        due,
        first_response,
        slot_start: None,
    }
}

/// Six measurements (December 2026: the 1st is a Tuesday), "now" Wednesday 2 December 09:30.
fn data() -> Vec<ResponseSample> {
    let mut in_slot = sample(
        "whatsapp",
        at(2026, 12, 1, 14, 10),
        at(2026, 12, 1, 14, 25),
        Some(at(2026, 12, 1, 14, 20)),
    );
    in_slot.slot_start = Some(at(2026, 12, 1, 14, 0));
    vec![
        // 30 min, all inside office hours: every limit met.
        sample(
            "whatsapp",
            at(2026, 12, 1, 10, 0),
            at(2026, 12, 1, 11, 0),
            Some(at(2026, 12, 1, 10, 30)),
        ),
        // 10 min inside the consultation slot.
        in_slot,
        // Friday 15:30 → Monday 09:00: 65 h 30 wall clock, 1 h 30 office time; within one office day.
        sample(
            "buergerbot",
            at(2026, 12, 4, 15, 30),
            at(2026, 12, 7, 8, 30),
            Some(at(2026, 12, 7, 9, 0)),
        ),
        // Monday 09:00 → Tuesday 12:00: 27 h wall clock, 11 h office time; misses everything.
        sample(
            "buergerbot",
            at(2026, 12, 7, 9, 0),
            at(2026, 12, 7, 10, 0),
            Some(at(2026, 12, 8, 12, 0)),
        ),
        // Unanswered, still within every limit at "now": left out of the shares.
        sample(
            "whatsapp",
            at(2026, 12, 2, 9, 0),
            at(2026, 12, 2, 10, 0),
            None,
        ),
        // Unanswered since Monday 30 November: every limit missed.
        sample(
            "whatsapp",
            at(2026, 11, 30, 9, 0),
            at(2026, 11, 30, 10, 0),
            None,
        ),
    ]
}

fn report() -> ResponseTimeReport {
    response_time_report(
        &data(),
        &office(),
        &tuesdays(),
        date(2026, 11, 1),
        date(2026, 12, 31),
        at(2026, 12, 2, 9, 30),
    )
}

#[test]
fn nearest_rank_percentiles() {
    let ten: Vec<i64> = (1..=10).collect();
    assert_eq!(nearest_rank(&ten, 50), Some(5));
    assert_eq!(nearest_rank(&ten, 90), Some(9));
    let hundred: Vec<i64> = (1..=100).collect();
    assert_eq!(nearest_rank(&hundred, 90), Some(90));
    assert_eq!(nearest_rank(&[7], 90), Some(7));
    assert_eq!(nearest_rank(&[], 50), None);
}

#[test]
fn totals_on_the_fixed_data_set() {
    let r = report();
    let t = &r.totals;
    assert_eq!((t.concerns, t.answered), (6, 4));
    // Wall clock, sorted: 600, 1800, 97 200, 235 800 → median is rank 2, p90 rank 4.
    assert_eq!(t.first_response_median_s, Some(1800));
    assert_eq!(t.first_response_p90_s, Some(235_800));
    // Office time, sorted: 600, 1800, 5400, 39 600.
    assert_eq!(t.first_response_office_median_s, Some(1800));
    assert_eq!(t.first_response_office_p90_s, Some(39_600));
    // Five decided (the one still within its limits is left out).
    assert_eq!(t.share_within_1h_office, Some(0.4));
    assert_eq!(t.share_within_1_office_day, Some(0.6));
    assert_eq!(t.share_target_met, Some(0.4));
    assert!(r.office_hours_configured);
    assert_eq!(
        (r.from.as_str(), r.to.as_str()),
        ("2026-11-01", "2026-12-31")
    );
}

#[test]
fn splits_by_channel_month_and_slot() {
    let r = report();
    let names: Vec<&str> = r.by_channel.iter().map(|c| c.channel.as_str()).collect();
    assert_eq!(names, vec!["buergerbot", "whatsapp"]);
    let tg = &r.by_channel[0].stats;
    assert_eq!((tg.concerns, tg.answered), (2, 2));
    assert_eq!(
        (tg.first_response_median_s, tg.first_response_p90_s),
        (Some(97_200), Some(235_800))
    );
    let wa = &r.by_channel[1].stats;
    assert_eq!((wa.concerns, wa.answered), (4, 2));
    assert_eq!(
        (wa.first_response_median_s, wa.first_response_p90_s),
        (Some(600), Some(1800))
    );
    let months: Vec<(&str, u64)> = r
        .by_month
        .iter()
        .map(|m| (m.month.as_str(), m.stats.concerns))
        .collect();
    assert_eq!(months, vec![("2026-11", 1), ("2026-12", 5)]);
    assert_eq!(r.by_slot.len(), 1);
    assert_eq!(r.by_slot[0].slot_start, "2026-12-01T14:00");
    assert_eq!(r.by_slot[0].consultation.as_deref(), Some("Sprechstunde"));
    assert_eq!(r.by_slot[0].stats.concerns, 1);
    assert_eq!(r.by_slot[0].stats.share_target_met, Some(1.0));
}

#[test]
fn csv_has_a_header_and_the_totals() {
    let csv = report().to_csv();
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(lines[0], CSV_HEADER);
    assert_eq!(
        lines[1],
        "total,all,6,4,1800,235800,1800,39600,0.4000,0.6000,0.4000"
    );
    assert!(lines.contains(&"channel,buergerbot,2,2,97200,235800,5400,39600,0.0000,0.5000,0.0000"));
    assert!(lines.contains(&"month,2026-11,1,0,,,,,0.0000,0.0000,0.0000"));
    assert!(lines
        .iter()
        .any(|l| l.starts_with("slot,2026-12-01T14:00 Sprechstunde,1,1,600,")));
    assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
    assert_eq!(csv_field("a,\"b\""), "\"a,\"\"b\"\"\"");
}

#[test]
fn json_keys_the_api_promises() {
    let v = serde_json::to_value(report()).unwrap();
    for key in [
        "concerns",
        "first_response_median_s",
        "first_response_p90_s",
        "first_response_office_median_s",
        "share_within_1h_office",
        "share_within_1_office_day",
        "share_target_met",
        "by_channel",
        "by_month",
    ] {
        assert!(v.get(key).is_some(), "missing {key}: {v}");
    }
    assert_eq!(v["by_channel"][0]["channel"], "buergerbot");
    assert_eq!(v["by_month"][1]["concerns"], 5);
    let text = v.to_string();
    assert!(!text.contains("concern_id") && !text.contains("citizen"));
}

#[test]
fn without_office_hours_office_figures_are_empty() {
    let r = response_time_report(
        &data(),
        &OfficeHours::new(berlin()),
        &[],
        date(2026, 11, 1),
        date(2026, 12, 31),
        at(2026, 12, 2, 9, 30),
    );
    assert!(!r.office_hours_configured);
    assert_eq!(r.totals.first_response_office_median_s, None);
    assert_eq!(r.totals.share_within_1h_office, None);
    assert_eq!(r.totals.share_within_1_office_day, None);
    assert_eq!(r.totals.share_target_met, Some(0.4));
    assert_eq!(r.totals.first_response_median_s, Some(1800));
    assert_eq!(r.by_slot[0].consultation, None);
}

#[test]
fn ranges_are_local_days_inclusive() {
    assert_eq!(
        parse_range("2026-03-01", "2026-03-31").unwrap(),
        (date(2026, 3, 1), date(2026, 3, 31))
    );
    assert!(parse_range("2026-03-31", "2026-03-01").is_err());
    let e = parse_range("März", "2026-03-31").unwrap_err().to_string();
    assert!(e.starts_with("from: 'März'"), "{e}");
    // March 2026 has 31 days, one of them 23 hours long.
    let (a, b) = range_instants(date(2026, 3, 1), date(2026, 3, 31), &berlin()).unwrap();
    assert_eq!(b.duration_since(a), SignedDuration::from_hours(31 * 24 - 1));
    assert_eq!(a, at(2026, 3, 1, 0, 0));
}
