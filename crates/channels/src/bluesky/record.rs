//! The `app.bsky.feed.post` record a post becomes: text, language, facets by UTF-8 byte offsets, images with alt text, and its deterministic record key.

use rathaus_domain::publishing::{detect_facets, FacetFeature};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// The collection every post record lives in.
pub const POST_COLLECTION: &str = "app.bsky.feed.post";

/// Alphabet of atproto's base32-sortable encoding (record keys of type `tid`).
const BASE32_SORTABLE: &[u8; 32] = b"234567abcdefghijklmnopqrstuvwxyz";

/// The record key of a post: a TID whose timestamp is the post's `createdAt` (microseconds) and
/// whose 10-bit clock id comes from `key` (the job's idempotency key).
///
/// The same post always gets the same key, so a retried `createRecord` can never create a second
/// record, and "did the first attempt land?" is one `getRecord` away.
pub fn record_key(created_at_micros: i64, key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    let clock_id = (u64::from(digest[0]) << 2 | u64::from(digest[1] >> 6)) & 0x3ff;
    let micros = u64::try_from(created_at_micros).unwrap_or(0) & ((1 << 53) - 1);
    let value = (micros << 10) | clock_id;
    (0..13)
        .map(|i| {
            let shift = 60 - 5 * i;
            char::from(BASE32_SORTABLE[((value >> shift) & 31) as usize])
        })
        .collect()
}

/// `createdAt` as the lexicon wants it: RFC 3339 in UTC with milliseconds.
pub fn created_at_string(created_at: jiff::Timestamp) -> String {
    created_at.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// The facets of `text` as `app.bsky.richtext.facet` objects. Mentions need the account's DID:
/// `resolve` gives it for a handle, and a mention whose handle does not resolve stays plain text.
pub fn facets_json(text: &str, resolve: &dyn Fn(&str) -> Option<String>) -> Vec<Value> {
    detect_facets(text)
        .into_iter()
        .filter_map(|f| {
            let feature = match &f.feature {
                FacetFeature::Link { uri } => {
                    json!({"$type": "app.bsky.richtext.facet#link", "uri": uri})
                }
                FacetFeature::Tag { tag } => {
                    json!({"$type": "app.bsky.richtext.facet#tag", "tag": tag})
                }
                FacetFeature::Mention { handle } => {
                    json!({"$type": "app.bsky.richtext.facet#mention", "did": resolve(handle)?})
                }
            };
            Some(json!({
                "index": {"byteStart": f.byte_start, "byteEnd": f.byte_end},
                "features": [feature],
            }))
        })
        .collect()
}

/// The whole record. `images` are `(blob, alt)` pairs as `uploadBlob` returned the blob.
pub fn post_record(
    text: &str,
    language: &str,
    created_at: &str,
    facets: Vec<Value>,
    images: &[(Value, String)],
) -> Value {
    let mut record = json!({
        "$type": POST_COLLECTION,
        "text": text,
        "createdAt": created_at,
    });
    let language = language.trim();
    if !language.is_empty() {
        record["langs"] = json!([language]);
    }
    if !facets.is_empty() {
        record["facets"] = Value::Array(facets);
    }
    if !images.is_empty() {
        record["embed"] = json!({
            "$type": "app.bsky.embed.images",
            "images": images
                .iter()
                .map(|(blob, alt)| json!({"image": blob, "alt": alt}))
                .collect::<Vec<_>>(),
        });
    }
    record
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    #[test]
    fn record_key_is_a_valid_tid_and_stable() {
        let micros = 1_795_000_000_000_000; // late 2026
        let a = record_key(micros, "post-17/bluesky");
        assert_eq!(a.len(), 13);
        assert!("234567abcdefghij".contains(&a[..1]), "{a}");
        assert!(a.bytes().all(|b| BASE32_SORTABLE.contains(&b)), "{a}");
        assert_eq!(a, record_key(micros, "post-17/bluesky"));
        assert_ne!(a, record_key(micros, "post-18/bluesky"));
        // Later posts sort after earlier ones, as TIDs must.
        assert!(record_key(micros + 1_000_000, "x") > record_key(micros, "x"));
    }

    #[test]
    fn created_at_has_milliseconds_and_z() {
        let t: jiff::Timestamp = "2026-11-27T10:15:00.123456Z".parse().unwrap();
        assert_eq!(created_at_string(t), "2026-11-27T10:15:00.123Z");
    }

    #[test]
    fn record_has_byte_facets_langs_and_alt() {
        let text = "Grüße an @rathaus.test — Infos: https://musterstadt.de/ö #Stadtfest";
        let facets = facets_json(text, &|h| {
            (h == "rathaus.test").then(|| "did:plc:abc".into())
        });
        let blob =
            json!({"$type": "blob", "ref": {"$link": "bafk"}, "mimeType": "image/png", "size": 3});
        let r = post_record(
            text,
            "de",
            "2026-01-01T00:00:00.000Z",
            facets,
            &[(blob, "Rathaus".into())],
        );
        assert_eq!(r["langs"], json!(["de"]));
        assert_eq!(r["embed"]["images"][0]["alt"], "Rathaus");
        let facets = r["facets"].as_array().unwrap();
        assert_eq!(facets.len(), 3);
        let slice = |f: &Value| {
            let s = f["index"]["byteStart"].as_u64().unwrap() as usize;
            let e = f["index"]["byteEnd"].as_u64().unwrap() as usize;
            // Byte offsets: slicing a str by them panics unless they fall on character boundaries.
            text[s..e].to_string()
        };
        assert_eq!(slice(&facets[0]), "@rathaus.test");
        assert_eq!(facets[0]["features"][0]["did"], "did:plc:abc");
        assert_eq!(slice(&facets[1]), "https://musterstadt.de/ö");
        assert_eq!(slice(&facets[2]), "#Stadtfest");
        assert_eq!(facets[2]["features"][0]["tag"], "Stadtfest");
    }

    #[test]
    fn unresolved_mention_stays_plain_text() {
        let facets = facets_json("Hallo @unbekannt.test", &|_| None);
        assert!(facets.is_empty());
    }
}
