//! Fuzzes the configuration loader: TOML text plus `RATHAUS_*` overrides give a config or an error, never a panic.
//!
//! Input layout: TOML text, then optionally a line `%%env%%` followed by `NAME=value` lines.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rathaus::config::Config;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // `*_file` keys read secrets from disk; reading files is not parsing, and /dev/zero would only
    // measure the machine's memory.
    if text.contains("_file") || text.contains("_FILE") {
        return;
    }
    let (toml, env_text) = match text.split_once("%%env%%") {
        Some((t, e)) => (t, e),
        None => (text, ""),
    };
    let env: Vec<(String, String)> = env_text
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (format!("RATHAUS_{k}"), v.to_string()))
        .collect();
    if let Ok(config) = Config::parse_with_env(Some((toml, "fuzz.toml")), &env) {
        // A configuration that loads must also give its derived values without failing hard.
        let _ = config.database_url();
        let _ = config.public_url();
        let _ = config.tenants();
    }
});
