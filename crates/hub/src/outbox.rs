//! Outgoing work: replies from staff, consent-gate answers and media downloads, with retries that honour the platform.

use rathaus_domain::{Backoff, SendError};
use rathaus_store::{ClaimedJob, Store};

use crate::gate::{FetchMediaJob, NotifyJob};
use crate::registry::Registry;

/// Largest media file we download and keep (WhatsApp documents can be 100 MB; we do not hold that much).
pub const MAX_MEDIA_BYTES: usize = 25 * 1024 * 1024;

/// What to do with a job after one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Done,
    RetryIn { delay_ms: u64, reason: String },
    GiveUp { reason: String },
}

/// Turns a send error into the next step, given how often this job has run.
pub fn verdict_for(err: &SendError, attempts: i64, backoff: &Backoff, jitter: f64) -> Verdict {
    match err {
        SendError::Permanent { reason } => Verdict::GiveUp {
            reason: reason.clone(),
        },
        SendError::Retryable {
            reason,
            retry_after_ms,
        } => {
            let attempt = u32::try_from(attempts.max(1)).unwrap_or(u32::MAX);
            if backoff.gives_up_after(attempt) {
                Verdict::GiveUp {
                    reason: format!(
                        "{reason} (nach {attempt} Versuchen / after {attempt} attempts)"
                    ),
                }
            } else {
                Verdict::RetryIn {
                    delay_ms: backoff.delay_ms(attempt, jitter, *retry_after_ms),
                    reason: reason.clone(),
                }
            }
        }
    }
}

pub(crate) async fn send_reply(
    store: &Store,
    registry: &Registry,
    job: &ClaimedJob,
    backoff: &Backoff,
    jitter: f64,
) -> Result<Verdict, String> {
    let message_id: i64 = std::str::from_utf8(&job.payload)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .ok_or("send job payload is not a message id")?;
    let out = store
        .outbound_to_send(job.municipality_id, message_id)
        .await
        .map_err(|e| e.to_string())?;
    let Some(channel) = registry
        .tenant(job.municipality_id)
        .and_then(|t| t.channel(out.channel_id))
    else {
        let reason =
            "Kanal ist nicht mehr konfiguriert / channel is no longer configured".to_string();
        store
            .mark_delivery_problem(job.municipality_id, message_id, true, &reason)
            .await
            .map_err(|e| e.to_string())?;
        return Ok(Verdict::GiveUp { reason });
    };
    match channel.client.send_text(&out.recipient, &out.text).await {
        Ok(sent) => {
            store
                .mark_sent(
                    job.municipality_id,
                    out.channel_id,
                    message_id,
                    &sent.platform_message_id,
                )
                .await
                .map_err(|e| e.to_string())?;
            Ok(Verdict::Done)
        }
        Err(e) => {
            let v = verdict_for(&e, job.attempts, backoff, jitter);
            let (failed, reason) = match &v {
                Verdict::GiveUp { reason } => (true, reason.clone()),
                Verdict::RetryIn { reason, .. } => (false, reason.clone()),
                Verdict::Done => (false, String::new()),
            };
            store
                .mark_delivery_problem(job.municipality_id, message_id, failed, &reason)
                .await
                .map_err(|e| e.to_string())?;
            Ok(v)
        }
    }
}

pub(crate) async fn notify(
    registry: &Registry,
    job: &ClaimedJob,
    backoff: &Backoff,
    jitter: f64,
) -> Result<Verdict, String> {
    let n: NotifyJob = serde_json::from_slice(&job.payload).map_err(|e| e.to_string())?;
    let Some(channel) = registry
        .tenant(job.municipality_id)
        .and_then(|t| t.channel(n.channel_id))
    else {
        return Ok(Verdict::GiveUp {
            reason: "channel is no longer configured".into(),
        });
    };
    match channel.client.send_text(&n.recipient, &n.text).await {
        Ok(_) => Ok(Verdict::Done),
        Err(e) => Ok(verdict_for(&e, job.attempts, backoff, jitter)),
    }
}

pub(crate) async fn fetch_media(
    store: &Store,
    registry: &Registry,
    job: &ClaimedJob,
    backoff: &Backoff,
    jitter: f64,
) -> Result<Verdict, String> {
    let f: FetchMediaJob = serde_json::from_slice(&job.payload).map_err(|e| e.to_string())?;
    let Some(channel) = registry
        .tenant(job.municipality_id)
        .and_then(|t| t.channel(f.channel_id))
    else {
        return Ok(Verdict::GiveUp {
            reason: "channel is no longer configured".into(),
        });
    };
    let citizen = store
        .citizen(job.municipality_id, f.citizen_id)
        .await
        .map_err(|e| e.to_string())?;
    match channel.client.fetch_media(&f.media, MAX_MEDIA_BYTES).await {
        Ok(media) => {
            store
                .save_media(&citizen, f.media_id, &media.mime_type, &media.bytes)
                .await
                .map_err(|e| e.to_string())?;
            Ok(Verdict::Done)
        }
        Err(e) => {
            let v = verdict_for(&e, job.attempts, backoff, jitter);
            if let Verdict::GiveUp { reason } = &v {
                store
                    .media_failed(job.municipality_id, f.media_id, reason)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            Ok(v)
        }
    }
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn permanent_errors_give_up_at_once_and_retryable_ones_back_off() {
        let b = Backoff::default();
        let perm = SendError::Permanent {
            reason: "bad".into(),
        };
        assert_eq!(
            verdict_for(&perm, 1, &b, 0.5),
            Verdict::GiveUp {
                reason: "bad".into()
            }
        );
        let retry = SendError::Retryable {
            reason: "429".into(),
            retry_after_ms: Some(60_000),
        };
        match verdict_for(&retry, 1, &b, 0.0) {
            Verdict::RetryIn { delay_ms, .. } => assert!(delay_ms >= 60_000),
            other => panic!("expected retry, got {other:?}"),
        }
        assert!(matches!(
            verdict_for(&retry, i64::from(b.max_attempts), &b, 0.0),
            Verdict::GiveUp { .. }
        ));
    }
}
