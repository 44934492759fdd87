//! The consent gate at work: turns one queued inbound event into consent records, concerns and answers.

use rathaus_domain::consent::decide;
use rathaus_domain::texts::fill;
use rathaus_domain::{ConsentDecision, ConsentState, InboundEvent, InboundMessage, MediaRef};
use rathaus_store::{ErasureTarget, JobKind, PromiseRecord, Store, StoreError};
use serde::{Deserialize, Serialize};

use crate::consultation::{self, ConsultationAnswer};
use crate::registry::{Registry, Tenant};

/// Payload of an inbound job: the event and the channel it came in on.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InboundJob {
    pub channel_id: i64,
    pub event: InboundEvent,
}

impl InboundJob {
    /// Messages of one sender on one channel are processed in arrival order (an opt-in before what follows).
    pub fn order_key(&self) -> Option<String> {
        match &self.event {
            InboundEvent::Message(m) => Some(format!("{}:{}", self.channel_id, m.sender.id)),
            InboundEvent::Status(_) => None,
        }
    }
}

/// Payload of a notify job: a consent-gate answer to a platform id, with nothing else stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NotifyJob {
    pub channel_id: i64,
    pub recipient: String,
    pub text: String,
}

/// Payload of a media download job.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FetchMediaJob {
    pub channel_id: i64,
    pub citizen_id: i64,
    pub media_id: i64,
    pub media: MediaRef,
}

#[derive(Debug, thiserror::Error)]
pub enum GateError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("payload: {0}")]
    Payload(String),
    #[error("municipality {0} or channel {1} is no longer configured")]
    Unconfigured(i64, i64),
}

/// Scope of the aggregate counters of one channel.
pub fn counter_scope(municipality_id: i64, channel_id: i64) -> String {
    format!("municipality:{municipality_id}:channel:{channel_id}")
}

/// Counter of messages answered without storing them (no consent).
pub const UNCONSENTED_MESSAGES: &str = "unconsented_messages";

/// The calendar day in the municipality's time zone, for daily counters.
pub fn local_day(timezone: &str, now_ms: i64) -> String {
    let tz = jiff::tz::TimeZone::get(timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    match jiff::Timestamp::from_millisecond(now_ms) {
        Ok(ts) => ts.to_zoned(tz).date().to_string(),
        Err(_) => "1970-01-01".into(),
    }
}

/// What processing an inbound event did, for logs and tests (never personal data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateOutcome {
    Explained,
    ConsentRecorded,
    ConsentConfirmedAgain,
    ConsentWithdrawn,
    NothingToWithdraw,
    Filed {
        concern_id: i64,
        new_concern: bool,
        consultation: ConsultationAnswer,
    },
    Duplicate,
    StatusApplied,
    Erased,
    NothingToErase,
    ExportLinkSent,
}

/// Whether a queued job's payload concerns the citizen being erased (so it is deleted with them).
pub fn job_mentions(kind: JobKind, payload: &[u8], t: &ErasureTarget) -> bool {
    match kind {
        JobKind::Inbound => serde_json::from_slice::<InboundJob>(payload).is_ok_and(|j| {
            j.channel_id == t.channel_id
                && matches!(&j.event, InboundEvent::Message(m) if m.sender.id == t.platform_id)
        }),
        JobKind::Notify => serde_json::from_slice::<NotifyJob>(payload)
            .is_ok_and(|j| j.channel_id == t.channel_id && j.recipient == t.platform_id),
        JobKind::FetchMedia => serde_json::from_slice::<FetchMediaJob>(payload)
            .is_ok_and(|j| j.citizen_id == t.citizen_id),
        JobKind::SendReply => std::str::from_utf8(payload)
            .ok()
            .and_then(|s| s.trim().parse::<i64>().ok())
            .is_some_and(|id| t.message_ids.contains(&id)),
        // A post to publish is public information, never a citizen's.
        JobKind::Publish => false,
    }
}

pub async fn process_inbound(
    store: &Store,
    registry: &Registry,
    municipality_id: i64,
    payload: &[u8],
    now: i64,
) -> Result<GateOutcome, GateError> {
    let job: InboundJob =
        serde_json::from_slice(payload).map_err(|e| GateError::Payload(e.to_string()))?;
    let tenant = registry
        .tenant(municipality_id)
        .ok_or(GateError::Unconfigured(municipality_id, job.channel_id))?;
    match job.event {
        InboundEvent::Status(s) => {
            store
                .apply_status(municipality_id, job.channel_id, &s)
                .await?;
            Ok(GateOutcome::StatusApplied)
        }
        InboundEvent::Message(m) => {
            process_message(store, tenant, &registry.public_url, job.channel_id, &m, now).await
        }
    }
}

async fn process_message(
    store: &Store,
    tenant: &Tenant,
    public_url: &str,
    channel_id: i64,
    m: &InboundMessage,
    now: i64,
) -> Result<GateOutcome, GateError> {
    let mid = tenant.row.id;
    let settings = &tenant.settings;
    let citizen = store.find_citizen(mid, channel_id, &m.sender.id).await?;
    let state = citizen
        .as_ref()
        .map(|c| c.consent)
        .unwrap_or(ConsentState::NotGiven);
    let intent = settings.keywords.classify(m.content.command_text());
    let values = settings.text_values();
    let notify = |text: &str| NotifyJob {
        channel_id,
        recipient: m.sender.id.clone(),
        text: fill(text, &values),
    };
    let outcome = match decide(state, intent) {
        ConsentDecision::Export => match &citizen {
            Some(c) => {
                let request = store.open_request(c, "access", "keyword", now).await?;
                let token = store.create_export_link(c, Some(request), now).await?;
                let link = format!("{}/auskunft/{token}", public_url);
                enqueue_notify(
                    store,
                    mid,
                    &notify(&settings.texts.access_ready.replace("{link}", &link)),
                    now,
                )
                .await?;
                store.complete_request(mid, request, now).await?;
                GateOutcome::ExportLinkSent
            }
            None => {
                enqueue_notify(store, mid, &notify(&settings.texts.nothing_to_erase), now).await?;
                GateOutcome::NothingToErase
            }
        },
        ConsentDecision::Erase => match &citizen {
            Some(c) => {
                store.erase_citizen(c, "citizen", now, job_mentions).await?;
                // Queued after the erasure: the address lives on only in this one transient job.
                enqueue_notify(store, mid, &notify(&settings.texts.erasure_confirmed), now).await?;
                GateOutcome::Erased
            }
            None => {
                enqueue_notify(store, mid, &notify(&settings.texts.nothing_to_erase), now).await?;
                GateOutcome::NothingToErase
            }
        },
        ConsentDecision::ExplainOptIn => {
            store
                .bump_counter(
                    &counter_scope(mid, channel_id),
                    UNCONSENTED_MESSAGES,
                    &local_day(&settings.timezone, now),
                )
                .await?;
            enqueue_notify(store, mid, &notify(&settings.texts.explain_opt_in), now).await?;
            GateOutcome::Explained
        }
        ConsentDecision::NothingToWithdraw => {
            store
                .bump_counter(
                    &counter_scope(mid, channel_id),
                    UNCONSENTED_MESSAGES,
                    &local_day(&settings.timezone, now),
                )
                .await?;
            enqueue_notify(
                store,
                mid,
                &notify(&settings.texts.nothing_to_withdraw),
                now,
            )
            .await?;
            GateOutcome::NothingToWithdraw
        }
        ConsentDecision::RecordConsent => {
            store
                .record_consent(
                    mid,
                    channel_id,
                    &m.sender,
                    &tenant.notice_version,
                    &m.platform_message_id,
                    now,
                )
                .await?;
            enqueue_notify(store, mid, &notify(&settings.texts.opt_in_confirmed), now).await?;
            GateOutcome::ConsentRecorded
        }
        ConsentDecision::ConfirmAgain => {
            enqueue_notify(store, mid, &notify(&settings.texts.opt_in_confirmed), now).await?;
            GateOutcome::ConsentConfirmedAgain
        }
        ConsentDecision::Withdraw => {
            if let Some(c) = &citizen {
                store
                    .withdraw_consent(c, &tenant.notice_version, &m.platform_message_id, now)
                    .await?;
            }
            enqueue_notify(store, mid, &notify(&settings.texts.opt_out_confirmed), now).await?;
            GateOutcome::ConsentWithdrawn
        }
        ConsentDecision::FileInConcern => {
            let Some(c) = &citizen else {
                return Err(GateError::Payload("consented citizen vanished".into()));
            };
            let promise = promise_record(tenant, channel_id, now)?;
            match store
                .file_inbound_message_promised(c, m, Some(&promise), now)
                .await?
            {
                None => GateOutcome::Duplicate,
                Some(filed) => {
                    if let (Some(media_id), Some(media)) = (filed.media_id, m.content.media()) {
                        let job = FetchMediaJob {
                            channel_id,
                            citizen_id: c.id,
                            media_id,
                            media: media.clone(),
                        };
                        let payload = serde_json::to_vec(&job)
                            .map_err(|e| GateError::Payload(e.to_string()))?;
                        store
                            .enqueue_job(mid, JobKind::FetchMedia, &payload, now, now)
                            .await?;
                    }
                    let consultation =
                        consultation::answer(store, tenant, channel_id, &m.sender.id, &filed, now)
                            .await?;
                    GateOutcome::Filed {
                        concern_id: filed.concern_id,
                        new_concern: filed.new_concern,
                        consultation,
                    }
                }
            }
        }
    };
    Ok(outcome)
}

/// The response-time promise for a citizen message on `channel_id` at `now`, from the tenant's schedule.
pub fn promise_record(
    tenant: &Tenant,
    channel_id: i64,
    now: i64,
) -> Result<PromiseRecord, GateError> {
    let at =
        jiff::Timestamp::from_millisecond(now).map_err(|e| GateError::Payload(e.to_string()))?;
    let schedule = &tenant.schedule;
    let promise = schedule.promise(channel_id, at);
    let slot = schedule
        .current_slot(channel_id, at)
        .map(|(_, slot)| slot.start.timestamp());
    Ok(PromiseRecord::new(
        &promise,
        promise.near_due_from(&schedule.office),
        slot,
    ))
}

pub(crate) async fn enqueue_notify(
    store: &Store,
    municipality_id: i64,
    job: &NotifyJob,
    now: i64,
) -> Result<(), GateError> {
    let payload = serde_json::to_vec(job).map_err(|e| GateError::Payload(e.to_string()))?;
    store
        .enqueue_job(municipality_id, JobKind::Notify, &payload, now, now)
        .await?;
    Ok(())
}
