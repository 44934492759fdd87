//! Shared pieces of every page: the header chrome, rendering, error pages, time and label formatting.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use rathaus_domain::{ConcernStatus, DeliveryStatus, MessageKind};
use rathaus_store::{ReplyRefused, SessionInfo};

use super::i18n::{Lang, Tr};
use crate::AppState;

/// What the page header shows for a signed-in staff member.
pub struct Chrome {
    pub municipality: String,
    pub user: String,
    /// Path the language switch returns to.
    pub back: String,
    /// The other language offered by the switch.
    pub other_lang: &'static str,
    pub other_lang_label: &'static str,
    /// Whether the inbox is offered (the matrix's `READ_CONCERNS` roles).
    pub inbox: bool,
    /// Whether the privacy center is offered (data-protection officers only).
    pub privacy: bool,
    /// Whether the consultation-hour live view is offered (the matrix's `LIVE` roles).
    pub live: bool,
    /// Whether the reports are offered (the matrix's `REPORTS` roles).
    pub reports: bool,
    /// Whether posts (composer and approval) are offered (the matrix's `PUBLISH` roles).
    pub posts: bool,
    /// Whether the administration is offered (the matrix's `ADMIN` roles).
    pub admin: bool,
    /// The member's municipalities for the header's switch; empty for a member of only one.
    pub switch: Vec<super::municipality_switch::Choice>,
}

/// A municipality's display name and time zone, from the registry or (unconfigured) the store.
pub async fn municipality(state: &AppState, municipality_id: i64) -> (String, String) {
    if let Some(t) = state.registry.tenant(municipality_id) {
        return (t.row.name.clone(), t.row.timezone.clone());
    }
    match state.store.municipalities().await {
        Ok(all) => all
            .into_iter()
            .find(|m| m.id == municipality_id)
            .map(|m| (m.name, m.timezone))
            .unwrap_or_else(|| (String::new(), "Europe/Berlin".into())),
        Err(_) => (String::new(), "Europe/Berlin".into()),
    }
}

impl Chrome {
    pub fn new(session: &SessionInfo, municipality: String, tr: Tr, back: &str) -> Chrome {
        let (other_lang, other_lang_label) = match tr.lang {
            Lang::De => ("en", "English"),
            Lang::En => ("de", "Deutsch"),
        };
        Chrome {
            municipality,
            user: session.display_name.clone(),
            back: back.to_string(),
            other_lang,
            other_lang_label,
            inbox: crate::security::access::READ_CONCERNS.contains(&session.role),
            privacy: session.role.is_privacy_officer(),
            live: crate::security::access::LIVE.contains(&session.role),
            reports: crate::security::access::REPORTS.contains(&session.role),
            admin: crate::security::access::ADMIN.contains(&session.role),
            posts: crate::security::access::PUBLISH.contains(&session.role),
            switch: Vec::new(),
        }
    }

    /// With the municipality switch for a member of several municipalities.
    pub async fn with_switch(mut self, state: &AppState, session: &SessionInfo, tr: Tr) -> Chrome {
        self.switch = super::municipality_switch::choices(state, session, tr).await;
        self
    }
}

/// `?lang=de|en` on pages shown before sign-in (setup and invitation links, the second-factor step).
#[derive(serde::Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
}

impl LangQuery {
    /// The translator for the asked language (German unless English is asked for).
    pub fn tr(&self) -> Tr {
        Tr::new(Lang::from_code(self.lang.as_deref().unwrap_or("de")))
    }
}

pub fn render<T: Template>(status: StatusCode, page: &T) -> Response {
    match page.render() {
        Ok(body) => (status, Html(body)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage {
    pub tr: Tr,
    pub chrome: Option<Chrome>,
    pub flash: Option<String>,
    pub error: Option<String>,
    pub title: &'static str,
    pub text: &'static str,
}

/// A plain page with a heading and one sentence, e.g. for 403/404/500.
pub fn message_page(
    status: StatusCode,
    tr: Tr,
    chrome: Option<Chrome>,
    title_key: &'static str,
    text_key: &'static str,
) -> Response {
    render(
        status,
        &MessagePage {
            tr,
            chrome,
            flash: None,
            error: None,
            title: tr.t(title_key),
            text: tr.t(text_key),
        },
    )
}

pub fn not_found(tr: Tr, chrome: Option<Chrome>) -> Response {
    message_page(
        StatusCode::NOT_FOUND,
        tr,
        chrome,
        "error.not_found_title",
        "error.not_found",
    )
}

pub fn forbidden(tr: Tr, chrome: Option<Chrome>) -> Response {
    message_page(
        StatusCode::FORBIDDEN,
        tr,
        chrome,
        "error.forbidden_title",
        "error.forbidden",
    )
}

pub fn internal_error(tr: Tr, e: &dyn std::fmt::Display) -> Response {
    tracing::error!(error = %e, "staff UI request failed");
    message_page(
        StatusCode::INTERNAL_SERVER_ERROR,
        tr,
        None,
        "error.internal_title",
        "error.internal",
    )
}

/// Local date and time in the municipality's zone, e.g. "27.11.2026, 14:05".
pub fn local_time(ms: i64, timezone: &str, lang: Lang) -> String {
    let tz = jiff::tz::TimeZone::get(timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    let Ok(ts) = jiff::Timestamp::from_millisecond(ms) else {
        return String::new();
    };
    let pattern = match lang {
        Lang::De => "%d.%m.%Y, %H:%M",
        Lang::En => "%d %b %Y, %H:%M",
    };
    ts.to_zoned(tz).strftime(pattern).to_string()
}

/// Local date in the municipality's zone, e.g. "27.11.2026".
pub fn local_date(ms: i64, timezone: &str, lang: Lang) -> String {
    let tz = jiff::tz::TimeZone::get(timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    let Ok(ts) = jiff::Timestamp::from_millisecond(ms) else {
        return String::new();
    };
    let pattern = match lang {
        Lang::De => "%d.%m.%Y",
        Lang::En => "%d %b %Y",
    };
    ts.to_zoned(tz).strftime(pattern).to_string()
}

/// Start of a local day `YYYY-MM-DD` in the municipality's zone, in unix milliseconds; `days_after` shifts it.
pub fn local_day_start(day: &str, timezone: &str, days_after: i64) -> Option<i64> {
    let tz = jiff::tz::TimeZone::get(timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    let date: jiff::civil::Date = day.trim().parse().ok()?;
    let date = date.checked_add(jiff::Span::new().days(days_after)).ok()?;
    let zoned = date.to_zoned(tz).ok()?;
    Some(zoned.timestamp().as_millisecond())
}

/// RFC 3339 in UTC, for `<time datetime>` and the API.
pub fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.round(jiff::Unit::Second).unwrap_or(t).to_string())
        .unwrap_or_default()
}

pub fn status_key(s: ConcernStatus) -> &'static str {
    match s {
        ConcernStatus::Open => "status.open",
        ConcernStatus::Pending => "status.pending",
        ConcernStatus::Resolved => "status.resolved",
    }
}

pub fn delivery_key(s: DeliveryStatus) -> &'static str {
    match s {
        DeliveryStatus::Queued => "delivery.queued",
        DeliveryStatus::Sent => "delivery.sent",
        DeliveryStatus::Delivered => "delivery.delivered",
        DeliveryStatus::Read => "delivery.read",
        DeliveryStatus::Failed => "delivery.failed",
    }
}

/// Label of a message kind; plain text and notes need none.
pub fn kind_key(k: MessageKind) -> Option<&'static str> {
    Some(match k {
        MessageKind::Text | MessageKind::Note => return None,
        MessageKind::Voice => "kind.voice",
        MessageKind::Audio => "kind.audio",
        MessageKind::Image => "kind.image",
        MessageKind::Video => "kind.video",
        MessageKind::Document => "kind.document",
        MessageKind::Sticker => "kind.sticker",
        MessageKind::Location => "kind.location",
        MessageKind::InteractiveReply => "kind.interactive_reply",
        MessageKind::Unsupported => "kind.unsupported",
    })
}

pub fn refused_key(r: ReplyRefused) -> &'static str {
    match r {
        ReplyRefused::WindowClosed => "refused.window_closed",
        ReplyRefused::ConsentWithdrawn => "refused.consent_withdrawn",
        ReplyRefused::EmptyText => "refused.empty_text",
        ReplyRefused::TooLong => "refused.too_long",
    }
}

/// Text of a `?msg=` flash code; unknown codes show nothing, so the query cannot inject text.
pub fn flash(tr: Tr, code: Option<&str>) -> Option<String> {
    let key = match code? {
        "sent" => "flash.sent",
        "noted" => "flash.noted",
        "assigned" => "flash.assigned",
        "status" => "flash.status",
        "team_moved" => "concern.flash_team_moved",
        "language" => "flash.language",
        "logged_out" => "flash.logged_out",
        "setup_done" => "flash.setup_done",
        "mfa_disabled" => "flash.mfa_disabled",
        "mfa_session_confirmed" => "flash.mfa_session_confirmed",
        "session_ended" => "flash.session_ended",
        "signed_out_everywhere" => "flash.signed_out_everywhere",
        _ => return None,
    };
    Some(tr.t(key).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_time_follows_the_municipality_zone_across_dst() {
        // 2026-11-27 13:05 UTC is 14:05 in Berlin (CET); 2026-07-01 12:00 UTC is 14:00 (CEST).
        assert_eq!(
            local_time(1_795_784_700_000, "Europe/Berlin", Lang::De),
            "27.11.2026, 14:05"
        );
        assert_eq!(
            local_time(1_782_907_200_000, "Europe/Berlin", Lang::De),
            "01.07.2026, 14:00"
        );
        assert_eq!(
            local_time(1_795_784_700_000, "Europe/Berlin", Lang::En),
            "27 Nov 2026, 14:05"
        );
        assert_eq!(rfc3339(1_795_784_700_123), "2026-11-27T13:05:00Z");
        assert_eq!(
            local_date(1_795_784_700_000, "Europe/Berlin", Lang::De),
            "27.11.2026"
        );
        // Midnight in Berlin (CET, UTC+1) is 23:00 UTC the day before; `days_after` gives the next midnight.
        assert_eq!(
            local_day_start("2026-11-27", "Europe/Berlin", 0),
            Some(1_795_734_000_000)
        );
        assert_eq!(
            local_day_start("2026-11-27", "Europe/Berlin", 1),
            Some(1_795_734_000_000 + 24 * 3_600_000)
        );
        assert_eq!(local_day_start("27.11.2026", "Europe/Berlin", 0), None);
    }
}
