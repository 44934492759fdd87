//! The prepared WhatsApp webhooks: signed bodies from simulated senders and platform addresses.

use rand::Rng;
use rathaus::simulate::{whatsapp_message, whatsapp_signature, whatsapp_text};

use anyhow::{anyhow, Context};

use crate::{APP_SECRET, PHONE_NUMBER_ID, SEAL_OVERHEAD};

/// One prepared webhook: the body and its `X-Hub-Signature-256`.
pub(crate) struct Signed {
    pub(crate) body: Vec<u8>,
    pub(crate) signature: String,
    /// `X-Forwarded-For`, as a reverse proxy on the same host sets it (None: sent from 127.0.0.1 itself).
    pub(crate) forwarded_for: Option<String>,
}

/// The `k`-th simulated platform address (10.77.0.0/16).
pub(crate) fn platform_address(k: usize) -> String {
    format!("10.77.{}.{}", (k >> 8) & 0xff, k & 0xff)
}

/// `n` webhooks, each a text message with its own message id from its own sender.
/// `n` webhooks; with `addresses > 0` they come round-robin from that many platform addresses.
pub(crate) fn prepare(run_id: u32, phase: u32, n: usize, ts: i64, addresses: usize) -> Vec<Signed> {
    let mut rng = rand::thread_rng();
    (0..n)
        .map(|i| {
            let wa_id = format!("49{}{:03}{:07}", 151 + phase, run_id % 1000, i);
            let id = format!("wamid.HBgNbench{run_id:08x}{phase}{i:08}AA==");
            let house = rng.gen_range(1..200);
            let text = format!(
                "Guten Tag, die Straßenlaterne vor der Hausnummer {house} ist seit drei Tagen defekt. Vielen Dank!"
            );
            let value = whatsapp_message(
                PHONE_NUMBER_ID,
                &wa_id,
                &format!("Bürger {i}"),
                whatsapp_text(&wa_id, &id, ts, &text),
            );
            let body = serde_json::to_vec(&value).unwrap_or_default();
            let signature = whatsapp_signature(APP_SECRET, &body);
            let forwarded_for = (addresses > 0).then(|| platform_address(i % addresses));
            Signed {
                body,
                signature,
                forwarded_for,
            }
        })
        .collect()
}

/// Size of the sealed job payload the server stores for this body.
pub(crate) fn stored_payload_len(body: &[u8]) -> anyhow::Result<usize> {
    let routed =
        rathaus_channels::whatsapp::parse_webhook(body).map_err(|e| anyhow!("webhook: {e}"))?;
    let first = routed
        .into_iter()
        .next()
        .context("the prepared webhook carries no event")?;
    let job = rathaus_hub::gate::InboundJob {
        channel_id: 1,
        event: first.event,
    };
    Ok(serde_json::to_vec(&job)?.len() + SEAL_OVERHEAD)
}

pub(crate) fn mean(values: impl Iterator<Item = usize>) -> usize {
    let (sum, n) = values.fold((0usize, 0usize), |(s, n), v| (s + v, n + 1));
    if n == 0 {
        0
    } else {
        sum.div_ceil(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepared_webhooks_parse_and_are_distinct() {
        let v = prepare(7, 1, 3, 1_700_000_000, 2);
        assert_eq!(v[0].forwarded_for.as_deref(), Some("10.77.0.0"));
        assert_eq!(v[2].forwarded_for, v[0].forwarded_for);
        assert_eq!(platform_address(257), "10.77.1.1");
        assert_eq!(v.len(), 3);
        assert_ne!(v[0].body, v[1].body);
        for e in &v {
            assert!(stored_payload_len(&e.body).is_ok());
            assert_eq!(e.signature, whatsapp_signature(APP_SECRET, &e.body));
        }
    }
}
