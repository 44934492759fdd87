//! The public iCal feed of upcoming consultation hours (`/{slug}/sprechstunden.ics`, RFC 5545): no login, no cookies, nothing personal.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use jiff::civil::{Date, DateTime, Weekday};
use jiff::tz::{Offset, TimeZone};
use jiff::{Timestamp, ToSpan};
use rathaus_hub::Tenant;
use sha2::{Digest, Sha256};

use crate::AppState;

/// How far ahead the feed lists slots.
pub const HORIZON_DAYS: i64 = 183;

pub fn router() -> Router<AppState> {
    Router::new().route("/{slug}/sprechstunden.ics", get(feed))
}

async fn feed(State(state): State<AppState>, Path(slug): Path<String>) -> Response {
    let registry = state.registry.current();
    let Some(tenant) = registry.tenant_by_slug(&slug) else {
        return (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "Unbekannte Gemeinde. / Unknown municipality.",
        )
            .into_response();
    };
    let body = calendar(tenant, Timestamp::now());
    (
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "inline; filename=\"sprechstunden.ics\"",
            ),
            (header::CACHE_CONTROL, "public, max-age=900"),
            // The town's own website may show the feed.
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        body,
    )
        .into_response()
}

/// Escapes a TEXT value (RFC 5545 §3.3.11): backslash, semicolon, comma and line breaks.
pub fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// One content line, folded at 75 octets (RFC 5545 §3.1) without splitting a UTF-8 character, with CRLF.
pub fn fold_line(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

fn utc_stamp(t: Timestamp) -> String {
    t.strftime("%Y%m%dT%H%M%SZ").to_string()
}

fn local_stamp(dt: DateTime) -> String {
    dt.strftime("%Y%m%dT%H%M%S").to_string()
}

fn offset_text(o: Offset) -> String {
    let s = o.seconds();
    let sign = if s < 0 { '-' } else { '+' };
    let s = s.unsigned_abs();
    format!("{sign}{:02}{:02}", s / 3600, (s % 3600) / 60)
}

/// The last Sunday of a month, if `d` is one (the EU rule's day).
fn is_last_sunday(d: Date) -> bool {
    d.weekday() == Weekday::Sunday && i16::from(d.day()) + 7 > i16::from(d.days_in_month())
}

/// The zone's VTIMEZONE, from its real transitions this year: for zones switching on the last
/// Sunday of a month (Europe/Berlin: March and October) a yearly RRULE, otherwise the dates themselves.
pub fn vtimezone(tz: &TimeZone, name: &str, year: i16, lines: &mut Vec<String>) {
    lines.push("BEGIN:VTIMEZONE".into());
    lines.push(format!("TZID:{name}"));
    let start = Date::new(year, 1, 1)
        .ok()
        .and_then(|d| d.to_zoned(TimeZone::UTC).ok())
        .map(|z| z.timestamp())
        .unwrap_or(Timestamp::UNIX_EPOCH);
    let transitions: Vec<_> = tz.following(start).take(2).collect();
    if transitions.is_empty() {
        let o = offset_text(tz.to_offset(start));
        lines.extend([
            "BEGIN:STANDARD".into(),
            "DTSTART:19700101T000000".into(),
            format!("TZOFFSETFROM:{o}"),
            format!("TZOFFSETTO:{o}"),
            "END:STANDARD".into(),
        ]);
    }
    for t in transitions {
        let at = t.timestamp();
        let before = tz.to_offset(at.checked_sub(1.second()).unwrap_or(at));
        // The onset in local time as it read before the switch (02:00 in March, 03:00 in October).
        let onset = before.to_datetime(at);
        let kind = if t.dst().is_dst() {
            "DAYLIGHT"
        } else {
            "STANDARD"
        };
        lines.push(format!("BEGIN:{kind}"));
        let rule_1970 = Date::new(1970, onset.month(), 1)
            .ok()
            .and_then(|d| d.nth_weekday_of_month(-1, Weekday::Sunday).ok());
        match rule_1970 {
            Some(first) if is_last_sunday(onset.date()) => {
                lines.push(format!(
                    "DTSTART:{}",
                    local_stamp(first.to_datetime(onset.time()))
                ));
                lines.push(format!(
                    "RRULE:FREQ=YEARLY;BYMONTH={};BYDAY=-1SU",
                    onset.month()
                ));
            }
            _ => lines.push(format!("DTSTART:{}", local_stamp(onset))),
        }
        lines.push(format!("TZOFFSETFROM:{}", offset_text(before)));
        lines.push(format!("TZOFFSETTO:{}", offset_text(t.offset())));
        if !t.abbreviation().is_empty() {
            lines.push(format!("TZNAME:{}", escape_text(t.abbreviation())));
        }
        lines.push(format!("END:{kind}"));
    }
    lines.push("END:VTIMEZONE".into());
}

/// A UID that stays the same for the same slot of the same consultation hour across fetches.
fn uid(slug: &str, name: &str, start: Timestamp) -> String {
    let digest = Sha256::digest(format!("{slug}\n{name}").as_bytes());
    let short = hex::encode(&digest[..6]);
    format!("{}-{short}@{slug}.rathaus", utc_stamp(start))
}

/// The whole feed: one VEVENT per slot from `now` for [`HORIZON_DAYS`] (cancelled slots are absent).
pub fn calendar(tenant: &Tenant, now: Timestamp) -> String {
    let tz = tenant.schedule.office.timezone.clone();
    let tz_name = tz.iana_name().unwrap_or("UTC").to_string();
    let slug = &tenant.row.slug;
    let mut lines: Vec<String> = vec![
        "BEGIN:VCALENDAR".into(),
        "VERSION:2.0".into(),
        "PRODID:-//Rathaus//Sprechstunden//DE".into(),
        "CALSCALE:GREGORIAN".into(),
        "METHOD:PUBLISH".into(),
        format!(
            "X-WR-CALNAME:{}",
            escape_text(&format!("Sprechstunden {}", tenant.settings.name))
        ),
        format!("X-WR-TIMEZONE:{tz_name}"),
    ];
    vtimezone(&tz, &tz_name, now.to_zoned(tz.clone()).year(), &mut lines);
    let until = now
        .to_zoned(tz.clone())
        .checked_add(HORIZON_DAYS.days())
        .map(|z| z.timestamp())
        .unwrap_or(now);
    let stamp = utc_stamp(now);
    for c in &tenant.schedule.consultation {
        let channels: Vec<String> = c
            .channel_ids
            .iter()
            .filter_map(|id| tenant.channel(*id))
            .map(|ch| ch.row.kind.label().to_string())
            .collect();
        let description = format!(
            "{} – {}: {}. Schreiben Sie uns während der Sprechstunde; Nachrichten außerhalb werden in der nächsten beantwortet.",
            c.hour.name,
            tenant.settings.name,
            channels.join(", ")
        );
        for slot in c.hour.slots_between(now, until) {
            let start = slot.start.with_time_zone(tz.clone());
            let end = slot.end.with_time_zone(tz.clone());
            lines.extend([
                "BEGIN:VEVENT".into(),
                format!("UID:{}", uid(slug, &c.hour.name, slot.start.timestamp())),
                format!("DTSTAMP:{stamp}"),
                format!("DTSTART;TZID={tz_name}:{}", local_stamp(start.datetime())),
                format!("DTEND;TZID={tz_name}:{}", local_stamp(end.datetime())),
                format!("SUMMARY:{}", escape_text(&c.hour.name)),
                format!("DESCRIPTION:{}", escape_text(&description)),
                "TRANSP:OPAQUE".into(),
                "END:VEVENT".into(),
            ]);
        }
    }
    lines.push("END:VCALENDAR".into());
    let mut out = String::new();
    for l in &lines {
        fold_line(&mut out, l);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape_text("a,b;c\\d\ne\r\nf"), "a\\,b\\;c\\\\d\\ne\\nf");
    }

    #[test]
    fn lines_fold_at_75_octets_without_splitting_characters() {
        let mut out = String::new();
        let line = format!("SUMMARY:{}", "ä".repeat(60));
        fold_line(&mut out, &line);
        for l in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= 75, "{} octets: {l}", l.len());
        }
        let unfolded = out.trim_end_matches("\r\n").replace("\r\n ", "");
        assert_eq!(unfolded, line);
    }

    #[test]
    fn berlin_switches_on_the_last_sundays_of_march_and_october() {
        let tz = TimeZone::get("Europe/Berlin").unwrap_or(TimeZone::UTC);
        let mut lines = Vec::new();
        vtimezone(&tz, "Europe/Berlin", 2026, &mut lines);
        let text = lines.join("\n");
        assert!(text.contains(
            "BEGIN:DAYLIGHT\nDTSTART:19700329T020000\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0200\nTZNAME:CEST\nEND:DAYLIGHT"
        ), "{text}");
        assert!(text.contains(
            "BEGIN:STANDARD\nDTSTART:19701025T030000\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\nTZOFFSETFROM:+0200\nTZOFFSETTO:+0100\nTZNAME:CET\nEND:STANDARD"
        ), "{text}");
    }
}
