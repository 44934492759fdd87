//! Shared text scanning for the publishing rules: web links, hashtags, mentions and emoji, located by UTF-8 byte range.
//!
//! The platforms each have their own grammar; these scanners are the common, conservative core
//! (what all of them would agree is a link, a tag or a mention). Ranges are byte ranges into the
//! original text and always fall on `char` boundaries.

use std::ops::Range;

use unicode_segmentation::UnicodeSegmentation;

/// Characters that end a link when they are its last ones: sentence punctuation and quotes
/// (German „…“ and »…« included), so "Siehe https://musterstadt.de." links without the dot.
const TRAILING_PUNCTUATION: &[char] = &[
    '.', ',', ';', ':', '!', '?', '\'', '"', '…', '„', '“', '”', '‚', '‘', '’', '»', '«',
];

/// Where a link, tag or mention may start: at the beginning, after white space or an opening bracket or quote.
fn starts_token(text: &str, at: usize) -> bool {
    match text[..at].chars().next_back() {
        None => true,
        Some(c) => {
            c.is_whitespace() || matches!(c, '(' | '[' | '{' | '"' | '„' | '“' | '»' | '«' | '\'')
        }
    }
}

/// `http://` and `https://` links, in order, without trailing punctuation or an unbalanced closing bracket.
pub fn find_links(text: &str) -> Vec<Range<usize>> {
    let mut links = Vec::new();
    let mut from = 0;
    while let Some(found) = find_scheme(text, from) {
        let (start, host_start) = found;
        let end = text[host_start..]
            .find(|c: char| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"'))
            .map_or(text.len(), |i| host_start + i);
        let end = trim_link_end(text, start, end);
        let host_end = text[host_start..end]
            .find(['/', '?', '#'])
            .map_or(end, |i| host_start + i);
        let host = &text[host_start..host_end];
        if starts_token(text, start) && host.chars().any(char::is_alphanumeric) {
            links.push(start..end);
            from = end.max(host_start);
        } else {
            from = host_start;
        }
    }
    links
}

/// The next "http://" or "https://" (any case) at or after `from`: (start, start of the host).
fn find_scheme(text: &str, from: usize) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut i = from;
    while i + 7 <= bytes.len() {
        let rest = &bytes[i..];
        let scheme_len = if rest.len() >= 8 && rest[..8].eq_ignore_ascii_case(b"https://") {
            8
        } else if rest[..7].eq_ignore_ascii_case(b"http://") {
            7
        } else {
            0
        };
        // The pattern is ASCII, so a match starts on a char boundary.
        if scheme_len > 0 {
            return Some((i, i + scheme_len));
        }
        i += 1;
    }
    None
}

fn trim_link_end(text: &str, start: usize, mut end: usize) -> usize {
    loop {
        let link = &text[start..end];
        let Some(last) = link.chars().next_back() else {
            return end;
        };
        let unbalanced = match last {
            ')' => link.matches('(').count() < link.matches(')').count(),
            ']' => link.matches('[').count() < link.matches(']').count(),
            _ => false,
        };
        if TRAILING_PUNCTUATION.contains(&last) || unbalanced {
            end -= last.len_utf8();
        } else {
            return end;
        }
    }
}

/// Hashtags as `#` plus letters, digits and `_`, with at least one letter (so "#1" is not a tag).
/// The range includes the `#`.
pub fn find_hashtags(text: &str) -> Vec<Range<usize>> {
    let mut tags = Vec::new();
    for (at, c) in text.char_indices() {
        if c != '#' || !starts_token(text, at) {
            continue;
        }
        let body_start = at + 1;
        let body_end = text[body_start..]
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .map_or(text.len(), |i| body_start + i);
        let body = &text[body_start..body_end];
        if body.chars().any(char::is_alphabetic) {
            tags.push(at..body_end);
        }
    }
    tags
}

/// `@name` and `@name@domain` as Mastodon and Instagram write them: (whole range, range of the name
/// without the `@`). A name is ASCII letters, digits, `_`, inner `.` and `-`; a domain may hold any
/// letters (internationalised domains such as bawü.social).
pub fn find_fediverse_mentions(text: &str) -> Vec<(Range<usize>, Range<usize>)> {
    let mut mentions = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'@' || !mention_may_start(text, i) {
            i += 1;
            continue;
        }
        let name_start = i + 1;
        let name_end = trim_inner_punctuation(text, name_start, ascii_run(bytes, name_start));
        if name_end == name_start {
            i += 1;
            continue;
        }
        let mut end = name_end;
        if bytes.get(name_end) == Some(&b'@') {
            let domain_start = name_end + 1;
            let run = text[domain_start..]
                .find(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '.' | '-')))
                .map_or(text.len(), |i| domain_start + i);
            let domain_end = trim_inner_punctuation(text, domain_start, run);
            if text[domain_start..domain_end].contains('.') {
                end = domain_end;
            }
        }
        mentions.push((i..end, name_start..name_end));
        i = end;
    }
    mentions
}

/// Mastodon does not start a mention after a word character, `=` or `/` (so e-mail addresses and
/// URL paths are not mentions).
fn mention_may_start(text: &str, at: usize) -> bool {
    match text[..at].chars().next_back() {
        None => true,
        Some(c) => !(c.is_alphanumeric() || matches!(c, '_' | '=' | '/' | '@' | '.')),
    }
}

fn ascii_run(bytes: &[u8], from: usize) -> usize {
    let mut end = from;
    while end < bytes.len()
        && (bytes[end].is_ascii_alphanumeric() || matches!(bytes[end], b'_' | b'.' | b'-'))
    {
        end += 1;
    }
    end
}

/// Drops trailing `.` and `-`: "@stadt." mentions "stadt".
fn trim_inner_punctuation(text: &str, start: usize, mut end: usize) -> usize {
    while end > start && matches!(text.as_bytes()[end - 1], b'.' | b'-') {
        end -= 1;
    }
    end
}

/// Whether a grapheme cluster is shown as an emoji.
///
/// A heuristic over the ranges that hold emoji (pictographs, dingbats, flags, keycaps) and the
/// emoji presentation selector U+FE0F; plain "©" or "™" without the selector count as text.
pub fn is_emoji(grapheme: &str) -> bool {
    grapheme.chars().any(|c| {
        let c = c as u32;
        matches!(c,
            0x1F000..=0x1FAFF // pictographs, emoticons, transport, supplemental symbols, flags
            | 0x2600..=0x27BF // miscellaneous symbols and dingbats
            | 0x231A..=0x231B | 0x2328 | 0x23CF | 0x23E9..=0x23F3 | 0x23F8..=0x23FA
            | 0x2B05..=0x2B07 | 0x2B1B..=0x2B1C | 0x2B50 | 0x2B55
            | 0x3030 | 0x303D | 0x3297 | 0x3299
            | 0xFE0F // emoji presentation
            | 0x20E3 // keycap
        )
    })
}

/// The emoji in a text, as byte ranges of whole grapheme clusters.
pub fn find_emoji(text: &str) -> Vec<Range<usize>> {
    text.grapheme_indices(true)
        .filter(|(_, g)| is_emoji(g))
        .map(|(at, g)| at..at + g.len())
        .collect()
}

/// Number of grapheme clusters (what a reader sees as one character).
pub fn grapheme_count(text: &str) -> usize {
    text.graphemes(true).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn slices<'a>(text: &'a str, ranges: &[Range<usize>]) -> Vec<&'a str> {
        ranges.iter().map(|r| &text[r.clone()]).collect()
    }

    #[test]
    fn links_end_before_sentence_punctuation_and_closing_brackets() {
        let text = "Infos: https://musterstadt.de/a?b=1. Und (https://x.de/y) oder „https://z.de“!";
        assert_eq!(
            slices(text, &find_links(text)),
            [
                "https://musterstadt.de/a?b=1",
                "https://x.de/y",
                "https://z.de"
            ]
        );
    }

    #[test]
    fn balanced_brackets_stay_in_links() {
        let text = "https://de.wikipedia.org/wiki/Rathaus_(Begriffskl%C3%A4rung)";
        assert_eq!(slices(text, &find_links(text)), [text]);
    }

    #[test]
    fn links_need_a_host_and_a_token_start() {
        assert!(find_links("http:// nichts").is_empty());
        assert!(find_links("xhttps://musterstadt.de").is_empty());
        assert_eq!(find_links("HTTPS://Musterstadt.DE").len(), 1);
        let text = "Öffnungszeiten für Bürger 🏛️: https://musterstadt.de/x";
        assert_eq!(
            slices(text, &find_links(text)),
            ["https://musterstadt.de/x"]
        );
    }

    #[test]
    fn hashtags_need_a_letter_and_a_token_start() {
        let text = "#Müllabfuhr am #1. Mai, #Stadtfest2025! C#sharp https://x.de/#anker (#Rathaus)";
        assert_eq!(
            slices(text, &find_hashtags(text)),
            ["#Müllabfuhr", "#Stadtfest2025", "#Rathaus"]
        );
    }

    #[test]
    fn fediverse_mentions_with_and_without_domain() {
        let text = "Danke @stadt_ulm@bawü.social und @Musterstadt. Mail: info@musterstadt.de";
        let found: Vec<(&str, &str)> = find_fediverse_mentions(text)
            .into_iter()
            .map(|(all, name)| (&text[all], &text[name]))
            .collect();
        assert_eq!(
            found,
            [
                ("@stadt_ulm@bawü.social", "stadt_ulm"),
                ("@Musterstadt", "Musterstadt")
            ]
        );
        let text = "@kreis@social.example.de.";
        let (all, name) = find_fediverse_mentions(text).remove(0);
        assert_eq!(
            (&text[all], &text[name]),
            ("@kreis@social.example.de", "kreis")
        );
    }

    #[test]
    fn emoji_are_whole_clusters() {
        let text = "Fest 🎉, Familie 👨‍👩‍👧, Flagge 🇩🇪, Taste 1️⃣, © Stadt, ✔️ fertig";
        assert_eq!(
            slices(text, &find_emoji(text)),
            ["🎉", "👨‍👩‍👧", "🇩🇪", "1️⃣", "✔️"]
        );
        assert_eq!(grapheme_count("👨‍👩‍👧ä"), 2);
    }

    proptest! {
        #[test]
        fn scanners_return_char_boundaries(text in "\\PC{0,80}") {
            for r in find_links(&text).into_iter().chain(find_hashtags(&text)).chain(find_emoji(&text)) {
                prop_assert!(r.start < r.end);
                prop_assert!(text.get(r.clone()).is_some());
            }
            for (all, name) in find_fediverse_mentions(&text) {
                prop_assert!(text.get(all).is_some() && text.get(name).is_some());
            }
        }

        #[test]
        fn a_link_among_words_is_found_whole(
            before in "[a-zäöüß🏛️ ]{0,20}",
            path in "[a-z0-9/_-]{0,20}",
        ) {
            let link = format!("https://musterstadt.de/{path}");
            let text = format!("{before} {link}. Ende");
            let found = find_links(&text);
            prop_assert_eq!(found.len(), 1);
            prop_assert_eq!(&text[found[0].clone()], link.as_str());
        }
    }
}
