//! Simulated platform traffic for the demo and the benchmark: webhook bodies as Meta and Telegram send them, signed.

use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

/// `X-Hub-Signature-256` value for a body, as Meta computes it with the app secret.
pub fn whatsapp_signature(app_secret: &str, body: &[u8]) -> String {
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(app_secret.as_bytes()) else {
        unreachable!("HMAC accepts keys of any length")
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// One WhatsApp webhook POST carrying `message` from `wa_id` to `phone_number_id`.
pub fn whatsapp_message(phone_number_id: &str, wa_id: &str, name: &str, message: Value) -> Value {
    json!({
        "object": "whatsapp_business_account",
        "entry": [{
            "id": "102290129340398",
            "changes": [{
                "field": "messages",
                "value": {
                    "messaging_product": "whatsapp",
                    "metadata": {"display_phone_number": "15550783881", "phone_number_id": phone_number_id},
                    "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
                    "messages": [message]
                }
            }]
        }]
    })
}

pub fn whatsapp_text(wa_id: &str, id: &str, ts_secs: i64, text: &str) -> Value {
    json!({"from": wa_id, "id": id, "timestamp": ts_secs.to_string(), "type": "text", "text": {"body": text}})
}

pub fn whatsapp_location(
    wa_id: &str,
    id: &str,
    ts_secs: i64,
    lat: f64,
    lon: f64,
    name: &str,
) -> Value {
    json!({"from": wa_id, "id": id, "timestamp": ts_secs.to_string(), "type": "location",
           "location": {"latitude": lat, "longitude": lon, "name": name}})
}

pub fn whatsapp_image(
    wa_id: &str,
    id: &str,
    ts_secs: i64,
    media_id: &str,
    sha256: &str,
    caption: &str,
) -> Value {
    json!({"from": wa_id, "id": id, "timestamp": ts_secs.to_string(), "type": "image",
           "image": {"id": media_id, "mime_type": "image/png", "sha256": sha256, "caption": caption}})
}

/// A Telegram update with a text message from a private chat.
pub fn telegram_text(
    update_id: i64,
    chat_id: i64,
    message_id: i64,
    first_name: &str,
    date_secs: i64,
    text: &str,
) -> Value {
    json!({
        "update_id": update_id,
        "message": {
            "message_id": message_id,
            "from": {"id": chat_id, "is_bot": false, "first_name": first_name},
            "chat": {"id": chat_id, "type": "private", "first_name": first_name},
            "date": date_secs,
            "text": text
        }
    })
}

/// Posts a signed WhatsApp webhook to a running instance and returns the HTTP status.
pub async fn post_whatsapp(
    http: &reqwest::Client,
    base: &str,
    app_secret: &str,
    body: &Value,
) -> reqwest::Result<u16> {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let sig = whatsapp_signature(app_secret, &bytes);
    let res = http
        .post(format!("{base}/webhooks/whatsapp"))
        .header("content-type", "application/json")
        .header("x-hub-signature-256", sig)
        .body(bytes)
        .send()
        .await?;
    Ok(res.status().as_u16())
}

pub async fn post_telegram(
    http: &reqwest::Client,
    base: &str,
    channel: &str,
    secret: &str,
    body: &Value,
) -> reqwest::Result<u16> {
    let res = http
        .post(format!("{base}/webhooks/telegram/{channel}"))
        .header("x-telegram-bot-api-secret-token", secret)
        .json(body)
        .send()
        .await?;
    Ok(res.status().as_u16())
}
