//! Fuzzes the Telegram update parser: any body must give an update, nothing, or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rathaus_channels::telegram::parse_update_at;
use rathaus_channels::InboundEvent;

fuzz_target!(|body: &[u8]| {
    if let Ok(Some(update)) = parse_update_at(body, 1_700_000_000_000) {
        if let InboundEvent::Message(m) = update.event {
            // The citizen is always identified by a chat id.
            assert!(m.sender.id.parse::<i64>().is_ok());
        }
    }
});
