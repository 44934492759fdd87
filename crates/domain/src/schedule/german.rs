//! German wording of dates and slots for citizens ("Dienstag, 1. Dezember 2026, 14:00–18:00 Uhr").

use jiff::civil::{Date, Time, Weekday};

use super::consultation::Slot;

/// "Montag" … "Sonntag".
pub fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Monday => "Montag",
        Weekday::Tuesday => "Dienstag",
        Weekday::Wednesday => "Mittwoch",
        Weekday::Thursday => "Donnerstag",
        Weekday::Friday => "Freitag",
        Weekday::Saturday => "Samstag",
        Weekday::Sunday => "Sonntag",
    }
}

/// "Januar" … "Dezember"; an empty string for a month outside 1–12.
pub fn month_name(month: i8) -> &'static str {
    const MONTHS: [&str; 12] = [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ];
    usize::try_from(month - 1)
        .ok()
        .and_then(|i| MONTHS.get(i))
        .copied()
        .unwrap_or("")
}

/// "Dienstag, 1. Dezember 2026" (no leading zero on the day).
pub fn format_date(date: Date) -> String {
    format!(
        "{}, {}. {} {}",
        weekday_name(date.weekday()),
        date.day(),
        month_name(date.month()),
        date.year()
    )
}

/// "14:00".
pub fn format_time(time: Time) -> String {
    format!("{:02}:{:02}", time.hour(), time.minute())
}

/// "Dienstag, 1. Dezember 2026, 14:00–18:00 Uhr" in the slot's own time zone; a slot that ends
/// on a later day names both days: "Donnerstag, 31. Dezember 2026, 23:00 Uhr – Freitag, 1. Januar 2027, 01:00 Uhr".
pub fn format_slot(slot: &Slot) -> String {
    let (start, end) = (slot.start.datetime(), slot.end.datetime());
    if start.date() == end.date() {
        format!(
            "{}, {}–{} Uhr",
            format_date(start.date()),
            format_time(start.time()),
            format_time(end.time())
        )
    } else {
        format!(
            "{}, {} Uhr – {}, {} Uhr",
            format_date(start.date()),
            format_time(start.time()),
            format_date(end.date()),
            format_time(end.time())
        )
    }
}

/// "Die nächste Sprechstunde ist am Dienstag, 1. Dezember 2026, 14:00–18:00 Uhr."
pub fn next_slot_sentence(slot: &Slot) -> String {
    format!("Die nächste Sprechstunde ist am {}.", format_slot(slot))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use jiff::civil::date;
    use jiff::tz::TimeZone;

    fn slot(start: &str, end: &str) -> Slot {
        let tz = TimeZone::get("Europe/Berlin").unwrap();
        let z = |s: &str| {
            s.parse::<jiff::civil::DateTime>()
                .unwrap()
                .to_zoned(tz.clone())
                .unwrap()
        };
        Slot {
            start: z(start),
            end: z(end),
        }
    }

    #[test]
    fn the_sentence_citizens_get() {
        let s = slot("2026-12-01T14:00", "2026-12-01T18:00");
        assert_eq!(
            format_slot(&s),
            "Dienstag, 1. Dezember 2026, 14:00–18:00 Uhr"
        );
        assert_eq!(
            next_slot_sentence(&s),
            "Die nächste Sprechstunde ist am Dienstag, 1. Dezember 2026, 14:00–18:00 Uhr."
        );
    }

    #[test]
    fn umlauts_leading_zeros_and_midnight() {
        assert_eq!(format_date(date(2027, 3, 4)), "Donnerstag, 4. März 2027");
        assert_eq!(
            format_slot(&slot("2026-11-07T09:05", "2026-11-07T10:00")),
            "Samstag, 7. November 2026, 09:05–10:00 Uhr"
        );
        assert_eq!(
            format_slot(&slot("2026-12-31T23:00", "2027-01-01T01:00")),
            "Donnerstag, 31. Dezember 2026, 23:00 Uhr – Freitag, 1. Januar 2027, 01:00 Uhr"
        );
        let all: Vec<&str> = (1..=12).map(month_name).collect();
        assert_eq!(all.len(), 12);
        assert!(all.iter().all(|m| !m.is_empty()));
        assert_eq!(month_name(13), "");
    }
}
