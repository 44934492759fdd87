//! Platform webhooks: authenticate first, parse second, store durably third, answer 200 last.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use rathaus_channels::{telegram, whatsapp};
use rathaus_hub::gate::InboundJob;
use rathaus_hub::{ChannelSecrets, ConfiguredChannel, Tenant};
use rathaus_store::{now_ms, InboundItem};
use serde::Deserialize;

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/webhooks/whatsapp",
            get(whatsapp_verify).post(whatsapp_receive),
        )
        .route("/webhooks/telegram/{channel}", post(telegram_receive))
}

/// Counter scope for events that belong to no configured channel.
pub const UNROUTED_SCOPE: &str = "webhooks";

#[derive(Deserialize)]
struct Subscription {
    #[serde(rename = "hub.mode")]
    mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    challenge: Option<String>,
}

/// Meta's subscription handshake: echo the challenge if the verify token matches one of our numbers.
async fn whatsapp_verify(State(state): State<AppState>, Query(q): Query<Subscription>) -> Response {
    let registry = state.registry.current();
    for (_, ch) in registry.whatsapp_channels() {
        if let ChannelSecrets::WhatsApp { verify_token, .. } = &ch.secrets {
            if let Some(answer) = whatsapp::verify_subscription(
                q.mode.as_deref(),
                q.verify_token.as_deref(),
                q.challenge.as_deref(),
                verify_token,
            ) {
                tracing::info!(channel = %ch.row.name, "WhatsApp webhook subscription verified");
                return (StatusCode::OK, answer).into_response();
            }
        }
    }
    tracing::warn!("WhatsApp webhook verification refused: verify token does not match");
    (StatusCode::FORBIDDEN, "verify token does not match").into_response()
}

fn plain(status: StatusCode, msg: &'static str) -> Response {
    (status, msg).into_response()
}

async fn whatsapp_receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let signature = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok());
    // Which of our app secrets signed this body; only their numbers' events are accepted.
    let registry = state.registry.current();
    let signed_by: Vec<i64> = registry
        .whatsapp_channels()
        .filter(|(_, ch)| match &ch.secrets {
            ChannelSecrets::WhatsApp { app_secret, .. } => {
                whatsapp::verify_signature(app_secret.as_bytes(), &body, signature)
            }
            ChannelSecrets::Telegram { .. } => false,
        })
        .map(|(_, ch)| ch.row.id)
        .collect();
    if signed_by.is_empty() {
        tracing::warn!(
            has_signature = signature.is_some(),
            "WhatsApp webhook rejected: signature missing or wrong"
        );
        return plain(
            StatusCode::UNAUTHORIZED,
            "invalid or missing X-Hub-Signature-256",
        );
    }
    let routed = match whatsapp::parse_webhook(&body) {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, "WhatsApp webhook rejected: malformed body");
            return plain(StatusCode::BAD_REQUEST, "malformed webhook body");
        }
    };
    let mut per_channel: HashMap<i64, (&Tenant, &ConfiguredChannel, Vec<InboundJob>)> =
        HashMap::new();
    let mut unrouted = 0usize;
    for r in routed {
        match registry.whatsapp(&r.phone_number_id) {
            Some((tenant, ch)) if signed_by.contains(&ch.row.id) => {
                per_channel
                    .entry(ch.row.id)
                    .or_insert_with(|| (tenant, ch, Vec::new()))
                    .2
                    .push(InboundJob {
                        channel_id: ch.row.id,
                        event: r.event,
                    });
            }
            Some((_, ch)) => {
                tracing::warn!(channel = %ch.row.name, "WhatsApp event ignored: signed with another app's secret");
                unrouted += 1;
            }
            None => {
                tracing::warn!(phone_number_id = %r.phone_number_id, "WhatsApp event for an unknown phone_number_id ignored");
                unrouted += 1;
            }
        }
    }
    if unrouted > 0 {
        let day = rathaus_hub::gate::local_day("UTC", now_ms());
        for _ in 0..unrouted {
            if let Err(e) = state
                .store
                .bump_counter(UNROUTED_SCOPE, "whatsapp_unrouted_events", &day)
                .await
            {
                tracing::error!(error = %e, "could not count unrouted events");
            }
        }
    }
    for (_, (tenant, _, jobs)) in per_channel {
        if let Err(resp) = enqueue(&state, tenant, jobs, |j| {
            format!("{}:{}", j.channel_id, j.event.dedupe_key())
        })
        .await
        {
            return resp;
        }
    }
    if let Some(w) = &state.worker {
        w.wake();
    }
    StatusCode::OK.into_response()
}

/// Stores events durably (all or nothing) before the platform hears 200; a failure asks it to retry.
async fn enqueue(
    state: &AppState,
    tenant: &Tenant,
    jobs: Vec<InboundJob>,
    dedupe: impl Fn(&InboundJob) -> String,
) -> Result<usize, Response> {
    let mut events = Vec::with_capacity(jobs.len());
    for j in &jobs {
        let payload = serde_json::to_vec(j)
            .map_err(|_| plain(StatusCode::INTERNAL_SERVER_ERROR, "could not encode event"))?;
        events.push(InboundItem {
            dedupe_key: dedupe(j),
            order_key: j.order_key(),
            payload,
        });
    }
    state.store.enqueue_inbound(tenant.row.id, &events, now_ms()).await.map_err(|e| {
        tracing::error!(error = %e, "webhook events could not be stored; the platform will redeliver");
        plain(StatusCode::SERVICE_UNAVAILABLE, "temporarily unable to store the event")
    })
}

async fn telegram_receive(
    State(state): State<AppState>,
    Path(channel): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let registry = state.registry.current();
    let Some((tenant, ch)) = registry.telegram(&channel) else {
        tracing::warn!("Telegram webhook for an unknown channel name");
        return plain(StatusCode::NOT_FOUND, "unknown channel");
    };
    let ChannelSecrets::Telegram { webhook_secret } = &ch.secrets else {
        return plain(StatusCode::NOT_FOUND, "unknown channel");
    };
    let given = headers
        .get("x-telegram-bot-api-secret-token")
        .and_then(|v| v.to_str().ok());
    if !telegram::verify_secret(webhook_secret, given) {
        tracing::warn!(channel = %ch.row.name, has_secret = given.is_some(), "Telegram webhook rejected: secret token missing or wrong");
        return plain(
            StatusCode::UNAUTHORIZED,
            "invalid or missing X-Telegram-Bot-Api-Secret-Token",
        );
    }
    let update = match telegram::parse_update(&body) {
        Ok(u) => u,
        Err(e) => {
            tracing::warn!(channel = %ch.row.name, error = %e, "Telegram webhook rejected: malformed body");
            return plain(StatusCode::BAD_REQUEST, "malformed update");
        }
    };
    let Some(update) = update else {
        return StatusCode::OK.into_response();
    };
    let update_id = update.update_id;
    let job = InboundJob {
        channel_id: ch.row.id,
        event: update.event,
    };
    if let Err(resp) = enqueue(&state, tenant, vec![job], |j| {
        format!("{}:update:{update_id}", j.channel_id)
    })
    .await
    {
        return resp;
    }
    if let Some(w) = &state.worker {
        w.wake();
    }
    StatusCode::OK.into_response()
}
