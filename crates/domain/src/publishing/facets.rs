//! Bluesky rich-text facets: links, mentions and hashtags located by UTF-8 byte offsets, as `app.bsky.richtext.facet` wants them.
//!
//! Bluesky does not find links in the text itself: without a facet a URL is plain text. The
//! offsets are bytes of the UTF-8 text (not characters, not UTF-16 units), so every umlaut before
//! a link moves it by two, an emoji by four or more. A mention facet needs the account's DID;
//! resolving the handle is IO, so the adapter does it and drops the facet when the handle does not
//! resolve.

use serde::Serialize;

use super::text::{find_hashtags, find_links, grapheme_count};

/// What a facet marks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FacetFeature {
    /// `app.bsky.richtext.facet#link`
    Link { uri: String },
    /// `app.bsky.richtext.facet#mention` once the handle is resolved to a DID.
    Mention { handle: String },
    /// `app.bsky.richtext.facet#tag`, without the `#`.
    Tag { tag: String },
}

/// One facet: `text.as_bytes()[byte_start..byte_end]` is the marked text (the URL, `@handle`, `#tag`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Facet {
    pub byte_start: usize,
    pub byte_end: usize,
    pub feature: FacetFeature,
}

/// Bluesky's limits for a tag: 64 graphemes and 640 bytes.
const MAX_TAG_GRAPHEMES: usize = 64;
const MAX_TAG_BYTES: usize = 640;

/// All facets of a post text, in order and never overlapping.
pub fn detect_facets(text: &str) -> Vec<Facet> {
    let mut facets: Vec<Facet> = find_links(text)
        .into_iter()
        .map(|r| Facet {
            byte_start: r.start,
            byte_end: r.end,
            feature: FacetFeature::Link {
                uri: text[r].to_string(),
            },
        })
        .collect();
    for (start, end) in find_handles(text) {
        facets.push(Facet {
            byte_start: start,
            byte_end: end,
            feature: FacetFeature::Mention {
                handle: text[start + 1..end].to_string(),
            },
        });
    }
    for r in find_hashtags(text) {
        let tag = &text[r.start + 1..r.end];
        if grapheme_count(tag) <= MAX_TAG_GRAPHEMES && tag.len() <= MAX_TAG_BYTES {
            facets.push(Facet {
                byte_start: r.start,
                byte_end: r.end,
                feature: FacetFeature::Tag {
                    tag: tag.to_string(),
                },
            });
        }
    }
    // Links come first, so a "#" or "@" inside a link never becomes a facet of its own.
    let mut kept: Vec<Facet> = Vec::with_capacity(facets.len());
    for facet in facets {
        if !kept
            .iter()
            .any(|k| facet.byte_start < k.byte_end && k.byte_start < facet.byte_end)
        {
            kept.push(facet);
        }
    }
    kept.sort_by_key(|f| f.byte_start);
    kept
}

/// `@handle.domain` at the start of a word: (start of `@`, end of the handle).
fn find_handles(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut handles = Vec::new();
    for (at, _) in text.match_indices('@') {
        let after_space = text[..at]
            .chars()
            .next_back()
            .is_none_or(|c| c.is_whitespace() || c == '(');
        if !after_space {
            continue;
        }
        let mut end = at + 1;
        while end < bytes.len()
            && (bytes[end].is_ascii_alphanumeric() || matches!(bytes[end], b'.' | b'-'))
        {
            end += 1;
        }
        while end > at + 1 && matches!(bytes[end - 1], b'.' | b'-') {
            end -= 1;
        }
        // "@stadt.de@mastodon" or "@stadt.dex…" with letters following are not Bluesky handles.
        let next_continues = text[end..]
            .chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || c == '@' || c == '_');
        if !next_continues && is_valid_handle(&text[at + 1..end]) {
            handles.push((at, end));
        }
    }
    handles
}

/// atproto handle syntax: at least two labels of letters, digits and inner `-`, each 1–63
/// characters, at most 253 in all, the last label starting with a letter.
fn is_valid_handle(handle: &str) -> bool {
    let labels: Vec<&str> = handle.split('.').collect();
    handle.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && labels
            .last()
            .and_then(|tld| tld.bytes().next())
            .is_some_and(|b| b.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;
    use proptest::prelude::*;

    /// What a facet's byte range must slice out of the text.
    fn marked(facet: &Facet) -> String {
        match &facet.feature {
            FacetFeature::Link { uri } => uri.clone(),
            FacetFeature::Mention { handle } => format!("@{handle}"),
            FacetFeature::Tag { tag } => format!("#{tag}"),
        }
    }

    fn slice<'a>(text: &'a str, facet: &Facet) -> &'a [u8] {
        &text.as_bytes()[facet.byte_start..facet.byte_end]
    }

    #[test]
    fn link_after_umlauts_and_emoji_has_byte_offsets() {
        let text = "Öffnungszeiten für Bürger 🏛️: https://musterstadt.de/x";
        let facets = detect_facets(text);
        assert_eq!(facets.len(), 1);
        let f = &facets[0];
        // The URL is the 31st character but starts at byte 38: Ö, ü and ü take 2 bytes each and
        // 🏛️ takes 7 (U+1F3DB in 4, the emoji selector U+FE0F in 3).
        assert_eq!(text.chars().position(|c| c == 'h'), Some(30));
        assert_eq!((f.byte_start, f.byte_end), (38, 62));
        assert_eq!(slice(text, f), b"https://musterstadt.de/x");
        assert_eq!(
            f.feature,
            FacetFeature::Link {
                uri: "https://musterstadt.de/x".into()
            }
        );
    }

    #[test]
    fn mentions_tags_and_links_together() {
        let text = "Grüße an @musterstadt.bsky.social! #Stadtfest ab 18 Uhr, Infos: https://musterstadt.de/fest#programm.";
        let facets = detect_facets(text);
        let got: Vec<(&str, &str)> = facets
            .iter()
            .map(|f| {
                let kind = match f.feature {
                    FacetFeature::Link { .. } => "link",
                    FacetFeature::Mention { .. } => "mention",
                    FacetFeature::Tag { .. } => "tag",
                };
                (kind, std::str::from_utf8(slice(text, f)).unwrap())
            })
            .collect();
        assert_eq!(
            got,
            [
                ("mention", "@musterstadt.bsky.social"),
                ("tag", "#Stadtfest"),
                ("link", "https://musterstadt.de/fest#programm"),
            ]
        );
        assert_eq!(
            facets[1].feature,
            FacetFeature::Tag {
                tag: "Stadtfest".into()
            }
        );
    }

    #[test]
    fn not_handles() {
        for text in [
            "Mail an info@musterstadt.de",
            "@stadt ohne Punkt",
            "@stadt.1 Zahl als Endung",
            "@-stadt.de",
            "@stadt_ulm@bawü.social ist Mastodon",
            "@stadt.de@mastodon",
        ] {
            assert!(
                detect_facets(text)
                    .iter()
                    .all(|f| !matches!(f.feature, FacetFeature::Mention { .. })),
                "{text}"
            );
        }
        let text = "(@kreis.de.)";
        let f = &detect_facets(text)[0];
        assert_eq!(slice(text, f), b"@kreis.de");
    }

    #[test]
    fn overlong_tags_are_plain_text() {
        let text = format!("#{} #kurz", "a".repeat(65));
        let facets = detect_facets(&text);
        assert_eq!(facets.len(), 1);
        assert_eq!(slice(&text, &facets[0]), b"#kurz");
    }

    #[test]
    fn facet_serialises_with_its_type() {
        let f = &detect_facets("#Rathaus")[0];
        let json = serde_json::to_value(f).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"byte_start": 0, "byte_end": 8, "feature": {"type": "tag", "tag": "Rathaus"}})
        );
    }

    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-zA-ZäöüÄÖÜß]{1,12}",
            Just("🏛️".to_string()),
            Just("👨‍👩‍👧".to_string()),
            Just("„Zitat“".to_string()),
            "https://[a-zäöü]{1,10}\\.de(/[a-z0-9äöü_-]{0,10}){0,2}",
            "#[A-Za-zÄÖÜäöüß][A-Za-z0-9äöüß_]{0,15}",
            "@[a-z]{1,8}\\.(bsky\\.social|de)",
            "[.,:!?()]",
        ]
    }

    proptest! {
        #[test]
        fn every_facet_slices_exactly_what_it_marks(
            pieces in prop::collection::vec((piece(), prop_oneof![Just(" "), Just("\n"), Just(": ")]), 0..20)
        ) {
            let text: String = pieces.iter().map(|(p, sep)| format!("{p}{sep}")).collect();
            let facets = detect_facets(&text);
            let mut last_end = 0;
            for f in &facets {
                prop_assert!(f.byte_start >= last_end, "sorted and not overlapping");
                prop_assert!(f.byte_start < f.byte_end && f.byte_end <= text.len());
                prop_assert!(text.is_char_boundary(f.byte_start) && text.is_char_boundary(f.byte_end));
                let expected = marked(f);
                prop_assert_eq!(slice(&text, f), expected.as_bytes());
                last_end = f.byte_end;
            }
            // Every link piece written with a separator after it is found whole.
            for (p, _) in &pieces {
                if p.starts_with("https://") {
                    prop_assert!(facets.iter().any(|f| marked(f) == *p), "{} not found in {:?}", p, text);
                }
            }
        }

        #[test]
        fn arbitrary_text_gives_valid_ranges(text in "\\PC{0,120}") {
            for f in detect_facets(&text) {
                let expected = marked(&f);
                prop_assert_eq!(slice(&text, &f), expected.as_bytes());
            }
        }
    }
}
