//! Schedule settings tests: channel matching, errors that name the key, lenient values, queues.
#![allow(clippy::unwrap_used, clippy::panic)]

use super::*;
use jiff::civil::date;

fn berlin() -> TimeZone {
    TimeZone::get("Europe/Berlin").unwrap()
}

fn channels() -> Vec<ChannelRef<'static>> {
    vec![
        ChannelRef {
            id: 1,
            kind: ChannelKind::WhatsApp,
            name: "whatsapp",
        },
        ChannelRef {
            id: 2,
            kind: ChannelKind::Telegram,
            name: "buergerbot",
        },
        ChannelRef {
            id: 3,
            kind: ChannelKind::Telegram,
            name: "bauamt-bot",
        },
    ]
}

fn tuesday(channels: &[&str]) -> ConsultationHourSettings {
    ConsultationHourSettings {
        name: "Sprechstunde".into(),
        channels: channels.iter().map(|c| c.to_string()).collect(),
        rule: "FREQ=WEEKLY;BYDAY=TU".into(),
        start: "14:00".into(),
        end: "18:00".into(),
        ..Default::default()
    }
}

fn build(hours: &[ConsultationHourSettings]) -> Result<MunicipalitySchedule, ScheduleError> {
    MunicipalitySchedule::build(
        &OfficeHoursConfig::default(),
        hours,
        &ResponseTargetsConfig::default(),
        berlin(),
        &channels(),
    )
}

fn at(y: i16, mo: i8, d: i8, h: i8, mi: i8) -> Timestamp {
    date(y, mo, d)
        .at(h, mi, 0, 0)
        .to_zoned(berlin())
        .unwrap()
        .timestamp()
}

#[test]
fn channels_match_kinds_and_names() {
    let s = build(&[tuesday(&["telegram"]), tuesday(&["WhatsApp", "bauamt-bot"])]).unwrap();
    assert_eq!(s.consultation[0].channel_ids, vec![2, 3]);
    assert_eq!(s.consultation[1].channel_ids, vec![1, 3]);
    assert_eq!(s.consultation_for(3).count(), 2);
    assert_eq!(s.consultation_for(1).count(), 1);
}

#[test]
fn mistakes_name_the_key() {
    let e = build(&[tuesday(&["signal"])]).unwrap_err().to_string();
    assert!(
        e.starts_with("consultation_hours[0] \"Sprechstunde\": channels: 'signal'"),
        "{e}"
    );
    assert!(e.contains("buergerbot"), "{e}");
    let mut h = tuesday(&["whatsapp"]);
    h.rule = "FREQ=MONTHLY".into();
    let e = build(&[h]).unwrap_err().to_string();
    assert!(e.contains("rule: FREQ=MONTHLY is not supported"), "{e}");
    let mut h = tuesday(&["whatsapp"]);
    h.rule = "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU".into();
    let e = build(&[h]).unwrap_err().to_string();
    assert!(e.contains("start_date: required"), "{e}");
    let mut h = tuesday(&["whatsapp"]);
    h.end = "18".into();
    assert!(build(&[h]).unwrap_err().to_string().contains("end: '18'"));
    let e = MunicipalitySchedule::build(
        &OfficeHoursConfig {
            mon: vec!["8-12".into()],
            ..Default::default()
        },
        &[],
        &ResponseTargetsConfig::default(),
        berlin(),
        &channels(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.starts_with("office_hours.mon: '8-12'"), "{e}");
    let e = MunicipalitySchedule::build(
        &OfficeHoursConfig::default(),
        &[],
        &ResponseTargetsConfig {
            consultation_minutes: 0,
            ..Default::default()
        },
        berlin(),
        &channels(),
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        e,
        "response_targets.consultation_minutes: must be at least 1"
    );
}

#[test]
fn toml_with_text_values_from_the_environment() {
    let h: ConsultationHourSettings = toml::from_str(
        r#"name = "x"
channels = ["whatsapp"]
rule = "FREQ=WEEKLY;BYDAY=TU"
start = "14:00"
end = "18:00"
run_on_holidays = "true"
texts = { outside = "Bitte warten: {next_slot}" }"#,
    )
    .unwrap();
    assert!(h.run_on_holidays);
    assert_eq!(
        h.texts.outside.as_deref(),
        Some("Bitte warten: {next_slot}")
    );
    let t: ResponseTargetsConfig =
        toml::from_str("consultation_minutes = \"20\"\notherwise_office_days = 2").unwrap();
    assert_eq!(
        (
            t.consultation_minutes,
            t.office_hours_minutes,
            t.otherwise_office_days
        ),
        (20, 60, 2)
    );
    assert!(toml::from_str::<ResponseTargetsConfig>("consultation_minutes = \"bald\"").is_err());
    assert!(toml::from_str::<ConsultationHourSettings>("hosts = []").is_err());
}

#[test]
fn slots_promises_and_queues_per_channel() {
    let s = build(&[tuesday(&["whatsapp"])]).unwrap();
    // Tuesday 1 December 2026, 15:00: inside on WhatsApp, not on Telegram.
    let inside = at(2026, 12, 1, 15, 0);
    let (c, slot) = s.current_slot(1, inside).unwrap();
    assert!(s.current_slot(2, inside).is_none());
    assert_eq!(
        super::super::german::format_slot(&slot),
        "Dienstag, 1. Dezember 2026, 14:00–18:00 Uhr"
    );
    assert_eq!(
        c.queue_since(&slot),
        Some(at(2026, 11, 24, 18, 0)),
        "the queue starts when the previous slot ended"
    );
    let p = s.promise(1, inside);
    assert_eq!(p.due, at(2026, 12, 1, 15, 15));
    // Without office hours, the other targets run on the wall clock.
    assert_eq!(s.promise(2, inside).due, at(2026, 12, 2, 15, 0));
    let (_, next) = s.next_slot(1, at(2026, 12, 1, 18, 0)).unwrap();
    assert_eq!(next.start.timestamp(), at(2026, 12, 8, 14, 0));
    assert!(s.next_slot(2, inside).is_none());
}
