//! Consultation hours at the gate: one answer per concern outside a slot naming the next one, one greeting per slot inside it with the queue position.

use jiff::Timestamp;
use rathaus_domain::schedule::german::format_slot;
use rathaus_domain::texts::fill_consultation;
use rathaus_store::{FiledMessage, Store};

use crate::gate::{enqueue_notify, GateError, NotifyJob};
use crate::registry::Tenant;

/// What a consultation hour answered to a filed message (never personal data; for logs and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsultationAnswer {
    /// Not a consultation-hour channel, or the answer was already given.
    Nothing,
    /// Outside a slot: the one answer of this concern, naming the next slot.
    NextSlotNamed,
    /// Inside a slot: the greeting of this slot, with how many concerns are ahead.
    Greeted { ahead: i64 },
}

/// Sends the consultation-hour answer a filed message calls for, through the notify queue.
pub(crate) async fn answer(
    store: &Store,
    tenant: &Tenant,
    channel_id: i64,
    recipient: &str,
    filed: &FiledMessage,
    now: i64,
) -> Result<ConsultationAnswer, GateError> {
    let schedule = &tenant.schedule;
    if schedule.consultation_for(channel_id).next().is_none() {
        return Ok(ConsultationAnswer::Nothing);
    }
    let mid = tenant.row.id;
    let at = Timestamp::from_millisecond(now).map_err(|e| GateError::Payload(e.to_string()))?;
    let settings = &tenant.settings;
    let values = settings.text_values();
    let notify = |text: String| NotifyJob {
        channel_id,
        recipient: recipient.to_string(),
        text,
    };
    if let Some((hour, slot)) = schedule.current_slot(channel_id, at) {
        let slot_start = slot.start.timestamp().as_millisecond();
        if !store
            .claim_consultation_greeting(mid, filed.concern_id, slot_start)
            .await?
        {
            return Ok(ConsultationAnswer::Nothing);
        }
        let ahead = store
            .consultation_queue_ahead(
                mid,
                &hour.channel_ids,
                filed.concern_id,
                filed.waiting_since.unwrap_or(now),
                hour.queue_since(&slot).map(|t| t.as_millisecond()),
            )
            .await?;
        let template = hour
            .texts
            .inside
            .as_deref()
            .unwrap_or(&settings.texts.consultation_inside);
        let text = fill_consultation(
            template,
            &values,
            &hour.hour.name,
            &format_slot(&slot),
            u64::try_from(ahead).unwrap_or(0),
        );
        enqueue_notify(store, mid, &notify(text), now).await?;
        return Ok(ConsultationAnswer::Greeted { ahead });
    }
    // No upcoming slot (the rule has ended): nothing to name, the message simply waits in the inbox.
    let Some((hour, slot)) = schedule.next_slot(channel_id, at) else {
        return Ok(ConsultationAnswer::Nothing);
    };
    if !store
        .claim_consultation_notice(mid, filed.concern_id, now)
        .await?
    {
        return Ok(ConsultationAnswer::Nothing);
    }
    let template = hour
        .texts
        .outside
        .as_deref()
        .unwrap_or(&settings.texts.consultation_outside);
    let text = fill_consultation(template, &values, &hour.hour.name, &format_slot(&slot), 0);
    enqueue_notify(store, mid, &notify(text), now).await?;
    Ok(ConsultationAnswer::NextSlotNamed)
}

/// A consultation slot running now, as the host's live view needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveSlot {
    /// The consultation hour's name.
    pub name: String,
    /// The host's e-mail, if configured.
    pub host: Option<String>,
    /// "Dienstag, 1. Dezember 2026, 14:00–18:00 Uhr".
    pub label: String,
    pub start_ms: i64,
    pub end_ms: i64,
    pub channel_ids: Vec<i64>,
    /// Open, unanswered concerns in order of arrival (those written since the previous slot ended).
    pub queue: Vec<rathaus_store::QueueEntry>,
    /// Concerns that got their first staff reply during this slot.
    pub handled: i64,
}

/// The consultation slots of a municipality running at `now`, each with its queue.
pub async fn live_slots(
    store: &Store,
    tenant: &Tenant,
    now: i64,
) -> Result<Vec<LiveSlot>, rathaus_store::StoreError> {
    let Ok(at) = Timestamp::from_millisecond(now) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for c in &tenant.schedule.consultation {
        let Some(slot) = c.hour.current_slot(at) else {
            continue;
        };
        let (start_ms, end_ms) = (
            slot.start.timestamp().as_millisecond(),
            slot.end.timestamp().as_millisecond(),
        );
        let since = c.queue_since(&slot).map(|t| t.as_millisecond());
        out.push(LiveSlot {
            name: c.hour.name.clone(),
            host: c.host.clone(),
            label: format_slot(&slot),
            start_ms,
            end_ms,
            channel_ids: c.channel_ids.clone(),
            queue: store
                .consultation_queue(tenant.row.id, &c.channel_ids, since)
                .await?,
            handled: store
                .first_responses_between(tenant.row.id, &c.channel_ids, start_ms, end_ms)
                .await?,
        });
    }
    Ok(out)
}
