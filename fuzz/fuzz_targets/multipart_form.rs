//! Fuzzes the composer's `multipart/form-data` reader (staff uploads): the first line of the input is the
//! request's `Content-Type` value, the rest the body. No panic; every part read lies within the body and
//! holds no delimiter; no more than `MAX_PARTS` parts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rathaus_web::ui::posts::multipart::{boundary, parse, MAX_PARTS};

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let Ok(content_type) = std::str::from_utf8(&data[..split]) else {
        return;
    };
    let body = data.get(split + 1..).unwrap_or(&[]);
    // The boundary as the route reads it; a line that is no Content-Type is taken as the bare boundary
    // so that inputs without the header prefix still reach the body parser.
    let boundary = match boundary(content_type.trim_end_matches('\r')) {
        Ok(b) => {
            assert!(!b.is_empty() && b.len() <= 70);
            b
        }
        Err(_) => content_type.trim_end_matches('\r').to_string(),
    };
    let Ok(parts) = parse(body, &boundary) else {
        return;
    };
    assert!(parts.len() <= MAX_PARTS);
    let delimiter = format!("\r\n--{boundary}");
    let mut total = 0;
    for part in &parts {
        total += part.data.len();
        assert!(
            !part
                .data
                .windows(delimiter.len())
                .any(|w| w == delimiter.as_bytes()),
            "a part's data holds the delimiter"
        );
        let _ = part.text();
    }
    assert!(total <= body.len());
});
