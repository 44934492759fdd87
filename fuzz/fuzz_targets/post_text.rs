//! Fuzzes the checks run on a post's text from the publishing API: links, hashtags, mentions, facets,
//! accessibility findings and per-network length measures never panic on any text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rathaus_domain::publishing::text::{find_fediverse_mentions, find_hashtags, find_links};
use rathaus_domain::publishing::{
    check_accessibility, detect_facets, measures, ImageRef, MastodonLimits, PublishKind,
};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for r in find_links(text).into_iter().chain(find_hashtags(text)) {
        // Ranges must fall on character boundaries of the text they came from.
        assert!(text.get(r).is_some());
    }
    for (a, b) in find_fediverse_mentions(text) {
        assert!(text.get(a).is_some() && text.get(b).is_some());
    }
    let _ = detect_facets(text);
    let image = ImageRef {
        id: "1".into(),
        alt: text.chars().take(200).collect(),
        bytes_len: text.len() as u64,
        width: 10,
        height: 10,
    };
    let _ = check_accessibility(text, &[image], &[]);
    let limits = MastodonLimits::default();
    for kind in PublishKind::ALL {
        let _ = measures(kind, text, Some(&limits), true);
    }
});
