//! How an open concern stands against its response-time promise, in words: "noch 35 Min.", "überfällig seit 2 Std.".

use rathaus_domain::schedule::ResponseStatus;
use rathaus_store::ConcernSummary;

use super::i18n::Lang;
use super::view;

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 60 * MINUTE_MS;
const DAY_MS: i64 = 24 * HOUR_MS;

/// The promise line of one concern in the inbox.
pub struct DueView {
    /// "noch 35 Min." / "überfällig seit 2 Std.".
    pub text: String,
    /// A word that says the state without colour: "Bald fällig", "Überfällig"; none while on track.
    pub marker: Option<&'static str>,
    /// CSS class of the row: `due-ok`, `due-near`, `due-breached`.
    pub class: &'static str,
    /// The due time in local words and as RFC 3339 for `<time>`.
    pub due_local: String,
    pub due_iso: String,
}

/// The promise line, or `None` once answered or resolved, or when no promise was recorded.
pub fn due_view(c: &ConcernSummary, now: i64, timezone: &str, lang: Lang) -> Option<DueView> {
    if c.status == rathaus_domain::ConcernStatus::Resolved {
        return None;
    }
    let status = c.response_status(now)?;
    let due = c.due_at?;
    let (text, marker, class) = match status {
        ResponseStatus::Breached => (
            overdue_words(now - due, lang),
            Some(l(lang, "Überfällig", "Overdue")),
            "due-breached",
        ),
        ResponseStatus::NearDue => (
            left_words(due - now, lang),
            Some(l(lang, "Bald fällig", "Due soon")),
            "due-near",
        ),
        ResponseStatus::OnTrack => (left_words(due - now, lang), None, "due-ok"),
    };
    Some(DueView {
        text,
        marker,
        class,
        due_local: view::local_time(due, timezone, lang),
        due_iso: view::rfc3339(due),
    })
}

fn l(lang: Lang, de: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::De => de,
        Lang::En => en,
    }
}

/// "noch 35 Min." — time left, rounded up to the minute so "noch 0 Min." never shows.
pub fn left_words(ms: i64, lang: Lang) -> String {
    let d = duration_words((ms.max(0) + MINUTE_MS - 1) / MINUTE_MS * MINUTE_MS, lang);
    match lang {
        Lang::De => format!("noch {d}"),
        Lang::En => format!("{d} left"),
    }
}

/// "überfällig seit 2 Std." — time past the due time, rounded down, at least one minute.
pub fn overdue_words(ms: i64, lang: Lang) -> String {
    let d = duration_words(ms.max(MINUTE_MS), lang);
    match lang {
        Lang::De => format!("überfällig seit {d}"),
        Lang::En => format!("overdue by {d}"),
    }
}

/// "35 Min.", "2 Std. 5 Min.", "3 Tg. 4 Std." (English "35 min", "2 h 5 min", "3 d 4 h"); two units at most.
pub fn duration_words(ms: i64, lang: Lang) -> String {
    let (min, h, d) = match lang {
        Lang::De => ("Min.", "Std.", "Tg."),
        Lang::En => ("min", "h", "d"),
    };
    let ms = ms.max(0);
    let days = ms / DAY_MS;
    let hours = (ms % DAY_MS) / HOUR_MS;
    let minutes = (ms % HOUR_MS) / MINUTE_MS;
    match (days, hours, minutes) {
        (0, 0, m) => format!("{m} {min}"),
        (0, hh, 0) => format!("{hh} {h}"),
        (0, hh, m) => format!("{hh} {h} {m} {min}"),
        (dd, 0, _) => format!("{dd} {d}"),
        (dd, hh, _) => format!("{dd} {d} {hh} {h}"),
    }
}

/// The minutes (rounded down) a queue entry has waited, as words: "seit 12 Min.".
pub fn waiting_words(ms: i64, lang: Lang) -> String {
    let d = duration_words(ms.max(0), lang);
    match lang {
        Lang::De => format!("wartet seit {d}"),
        Lang::En => format!("waiting for {d}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_people_write_them() {
        assert_eq!(duration_words(35 * MINUTE_MS, Lang::De), "35 Min.");
        assert_eq!(duration_words(2 * HOUR_MS, Lang::De), "2 Std.");
        assert_eq!(
            duration_words(2 * HOUR_MS + 5 * MINUTE_MS + 59_999, Lang::De),
            "2 Std. 5 Min."
        );
        assert_eq!(
            duration_words(3 * DAY_MS + 4 * HOUR_MS + 7 * MINUTE_MS, Lang::De),
            "3 Tg. 4 Std."
        );
        assert_eq!(duration_words(DAY_MS + MINUTE_MS, Lang::En), "1 d");
        assert_eq!(duration_words(-5, Lang::En), "0 min");
    }

    #[test]
    fn left_rounds_up_and_overdue_rounds_down() {
        assert_eq!(left_words(34 * MINUTE_MS + 1, Lang::De), "noch 35 Min.");
        assert_eq!(left_words(1, Lang::De), "noch 1 Min.");
        assert_eq!(left_words(35 * MINUTE_MS, Lang::En), "35 min left");
        assert_eq!(
            overdue_words(2 * HOUR_MS + 30_000, Lang::De),
            "überfällig seit 2 Std."
        );
        assert_eq!(overdue_words(10, Lang::De), "überfällig seit 1 Min.");
        assert_eq!(
            overdue_words(90 * MINUTE_MS, Lang::En),
            "overdue by 1 h 30 min"
        );
        assert_eq!(
            waiting_words(12 * MINUTE_MS, Lang::De),
            "wartet seit 12 Min."
        );
    }
}
