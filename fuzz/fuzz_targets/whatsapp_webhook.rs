//! Fuzzes the WhatsApp webhook parser: any body must give events or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rathaus_channels::whatsapp::parse_webhook;

fuzz_target!(|body: &[u8]| {
    if let Ok(events) = parse_webhook(body) {
        for routed in events {
            // Every event is routed to a business number.
            assert!(!routed.phone_number_id.is_empty());
        }
    }
});
