//! Finding a citizen by channel and platform id (e.g. the phone number from a letter), by keyed hash only.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use rathaus_domain::ChannelKind;
use serde::Deserialize;

use super::{ops, require_dpo, SubNavLink};
use crate::ui::audit;
use crate::ui::auth::StaffSession;
use crate::ui::i18n::Tr;
use crate::ui::view::{self, Chrome};
use crate::AppState;

pub struct ChannelChoice {
    pub id: i64,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "privacy_find.html")]
struct FindPage {
    tr: Tr,
    chrome: Option<Chrome>,
    flash: Option<String>,
    error: Option<String>,
    subnav: Vec<SubNavLink>,
    channels: Vec<ChannelChoice>,
}

#[derive(Deserialize)]
pub struct FindForm {
    #[serde(default)]
    channel: String,
    #[serde(default)]
    platform_id: String,
}

async fn page(
    state: &AppState,
    session: &StaffSession,
    tr: Tr,
    selected: Option<i64>,
    status: StatusCode,
    error: Option<&'static str>,
) -> Response {
    let mid = session.info.municipality_id;
    let channels = match state.store.channels(mid).await {
        Ok(c) => c,
        Err(e) => return view::internal_error(tr, &e),
    };
    let page = FindPage {
        tr,
        chrome: Some(session.chrome(state, "/privacy/find").await),
        flash: None,
        error: error.map(|k| tr.t(k).to_string()),
        subnav: super::subnav(tr, "/privacy/find"),
        channels: channels
            .into_iter()
            .map(|c| ChannelChoice {
                selected: Some(c.id) == selected,
                id: c.id,
                label: format!("{} · {}", c.kind.label(), c.name),
            })
            .collect(),
    };
    view::render(status, &page)
}

pub async fn form(State(state): State<AppState>, session: StaffSession) -> Response {
    let tr = match require_dpo(&state, &session, "/privacy/find").await {
        Ok(tr) => tr,
        Err(r) => return r,
    };
    page(&state, &session, tr, None, StatusCode::OK, None).await
}

/// The ways a phone number may be written on paper, as WhatsApp ids: digits with the country code, no `+`.
/// A leading single `0` is taken as a German number.
pub fn whatsapp_candidates(input: &str) -> Vec<String> {
    let trimmed = input.trim().to_string();
    let digits: String = trimmed.chars().filter(|c| c.is_ascii_digit()).collect();
    let normalized = if let Some(rest) = digits.strip_prefix("00") {
        rest.to_string()
    } else if let Some(rest) = digits.strip_prefix('0') {
        format!("49{rest}")
    } else {
        digits
    };
    let mut out = vec![trimmed];
    if !normalized.is_empty() && !out.contains(&normalized) {
        out.push(normalized);
    }
    out
}

pub async fn lookup(
    State(state): State<AppState>,
    session: StaffSession,
    Form(f): Form<FindForm>,
) -> Response {
    let tr = match require_dpo(&state, &session, "/privacy/find").await {
        Ok(tr) => tr,
        Err(r) => return r,
    };
    let mid = session.info.municipality_id;
    let channels = match state.store.channels(mid).await {
        Ok(c) => c,
        Err(e) => return view::internal_error(tr, &e),
    };
    let channel = f
        .channel
        .trim()
        .parse::<i64>()
        .ok()
        .and_then(|id| channels.into_iter().find(|c| c.id == id));
    let Some(channel) = channel else {
        return page(
            &state,
            &session,
            tr,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("privacy.find_channel_missing"),
        )
        .await;
    };
    if f.platform_id.trim().is_empty() {
        return page(
            &state,
            &session,
            tr,
            Some(channel.id),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("privacy.find_id_missing"),
        )
        .await;
    }
    let candidates = match channel.kind {
        ChannelKind::WhatsApp => whatsapp_candidates(&f.platform_id),
        _ => vec![f.platform_id.trim().to_string()],
    };
    let mut found = None;
    for c in &candidates {
        match state.store.find_citizen(mid, channel.id, c).await {
            Ok(Some(citizen)) => {
                found = Some(citizen);
                break;
            }
            Ok(None) => {}
            Err(e) => return view::internal_error(tr, &e),
        }
    }
    // The searched value is never recorded: only the channel and whether someone was found.
    let (target, outcome) = match &found {
        Some(c) => (format!("citizen:{}", c.id), "found"),
        None => (format!("channel:{}", channel.id), "not_found"),
    };
    if let Err(e) = audit::record(
        &state.store,
        &session.actor(),
        ops::CITIZEN_LOOKUP,
        target,
        Some(format!("channel:{} {outcome}", channel.id)),
    )
    .await
    {
        return view::internal_error(tr, &e);
    }
    match found {
        Some(c) => Redirect::to(&format!("/privacy/citizens/{}", c.id)).into_response(),
        None => {
            page(
                &state,
                &session,
                tr,
                Some(channel.id),
                StatusCode::NOT_FOUND,
                Some("privacy.find_not_found"),
            )
            .await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::whatsapp_candidates;

    #[test]
    fn phone_numbers_as_written_on_paper() {
        assert_eq!(
            whatsapp_candidates(" +49 151 1234-5678 "),
            ["+49 151 1234-5678", "4915112345678"]
        );
        assert_eq!(
            whatsapp_candidates("0151 12345678"),
            ["0151 12345678", "4915112345678"]
        );
        assert_eq!(
            whatsapp_candidates("0043 660 1234567"),
            ["0043 660 1234567", "436601234567"]
        );
        assert_eq!(whatsapp_candidates("4915112345678"), ["4915112345678"]);
    }
}
