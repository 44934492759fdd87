//! Fuzzes the uploaded-image re-encoder: any bytes under either declared type give a clean image or a
//! coded error, never a panic; a clean image keeps within the size caps.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rathaus_hub::images::{reencode, MAX_DIMENSION};

fuzz_target!(|data: &[u8]| {
    let (declared, bytes) = match data.split_first() {
        Some((b, rest)) if b & 1 == 0 => ("image/png", rest),
        Some((_, rest)) => ("image/jpeg", rest),
        None => return,
    };
    match reencode(declared, bytes) {
        Ok(clean) => {
            assert!(clean.width <= MAX_DIMENSION && clean.height <= MAX_DIMENSION);
            assert_eq!(clean.mime, declared);
        }
        Err(e) => assert!(!e.code().is_empty()),
    }
});
