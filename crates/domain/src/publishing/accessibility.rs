//! Accessibility checks a post must pass before it is submitted (EU 2016/2102, BITV 2.0): alt text, captions, no fake bold letters, readable hashtags and emoji.
//!
//! Blocking: an image without alternative text, a video without captions, words written in
//! "Mathematical Alphanumeric Symbols" (U+1D400–U+1D7FF, the fake bold/italic letters of "text
//! formatter" sites — screen readers spell them letter by letter or skip them).
//!
//! Warnings, which are heuristics and may be wrong:
//! - a hashtag of more than 12 letters written all in lower or all in upper case. Multi-word tags
//!   like "#tagderoffenentür" are read as one garbled word; CamelCase ("#TagDerOffenenTür") fixes
//!   that. Short tags are left alone: German compounds ("#Stadtfest") are single words that screen
//!   readers pronounce well, and telling "#wirsindulm" from a real word would need a dictionary.
//! - more than three emoji: each is read out by its name.
//! - an emoji in the middle of a sentence, taken to be one followed by a word that starts with a
//!   lower-case letter ("Wir 🎉 feiern"): the name interrupts the sentence.

use serde::{Deserialize, Serialize};

use super::text::{find_emoji, find_hashtags};
use super::Finding;

/// An image attached to a post, as the composer knows it after upload.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageRef {
    pub id: String,
    /// Alternative text; empty when not given yet.
    pub alt: String,
    pub bytes_len: u64,
    pub width: u32,
    pub height: u32,
}

/// A video attached to a post.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VideoRef {
    pub id: String,
    /// Whether captions (subtitles for the deaf and hard of hearing) are burnt in or attached.
    pub has_captions: bool,
}

/// Most emoji a post should carry.
pub const MAX_EMOJI: usize = 3;
/// Letters from which an all-lower or all-upper case hashtag is taken to be several words.
pub const CAMEL_CASE_FROM_LETTERS: usize = 13;

/// Every accessibility finding for a post's text and media.
pub fn check_accessibility(text: &str, images: &[ImageRef], videos: &[VideoRef]) -> Vec<Finding> {
    let mut findings = check_media(images, videos);
    findings.extend(check_text(text));
    findings
}

/// Alt text on every image, captions on every video. Numbers count from 1 in the order attached.
pub fn check_media(images: &[ImageRef], videos: &[VideoRef]) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (i, image) in images.iter().enumerate() {
        if image.alt.trim().is_empty() {
            let n = i + 1;
            findings.push(Finding::blocking(
                "alt_text_missing",
                format!(
                    "Bild {n} hat keinen Alternativtext. Beschreiben Sie, was darauf zu sehen ist."
                ),
                format!("Image {n} has no alternative text. Describe what it shows."),
            ));
        }
    }
    for (i, video) in videos.iter().enumerate() {
        if !video.has_captions {
            let n = i + 1;
            findings.push(Finding::blocking(
                "video_captions_missing",
                format!("Video {n} hat keine Untertitel. Fügen Sie Untertitel hinzu."),
                format!("Video {n} has no captions. Add captions."),
            ));
        }
    }
    findings
}

/// Fake formatting, hashtags and emoji in one text.
pub fn check_text(text: &str) -> Vec<Finding> {
    let mut findings = fake_formatting(text);
    findings.extend(hashtags_without_camel_case(text));
    findings.extend(emoji_findings(text));
    findings
}

fn is_math_alphanumeric(c: char) -> bool {
    ('\u{1D400}'..='\u{1D7FF}').contains(&c)
}

/// The plain letter or digit a mathematical one stands for, where the block's regular layout
/// tells (Latin letters and digits); Greek and the rest stay as they are.
fn plain_letter(c: char) -> char {
    let cp = c as u32;
    let mapped = match cp {
        // 13 alphabets of A–Z a–z (bold, italic, …, monospace); reserved holes keep the layout.
        0x1D400..=0x1D6A3 => {
            let i = (cp - 0x1D400) % 52;
            if i < 26 {
                u32::from(b'A') + i
            } else {
                u32::from(b'a') + i - 26
            }
        }
        // 5 sets of digits 0–9 (bold, double-struck, sans, sans bold, monospace).
        0x1D7CE..=0x1D7FF => u32::from(b'0') + (cp - 0x1D7CE) % 10,
        _ => cp,
    };
    char::from_u32(mapped).unwrap_or(c)
}

/// One finding per distinct word that uses mathematical letters, with the word in plain letters.
fn fake_formatting(text: &str) -> Vec<Finding> {
    let mut seen: Vec<&str> = Vec::new();
    let mut findings = Vec::new();
    for word in text.split_whitespace() {
        let word = word.trim_matches(|c: char| !c.is_alphanumeric() && !is_math_alphanumeric(c));
        if !word.chars().any(is_math_alphanumeric) || seen.contains(&word) {
            continue;
        }
        seen.push(word);
        let plain: String = word.chars().map(plain_letter).collect();
        findings.push(Finding::blocking(
            "fake_formatting",
            format!(
                "„{word}“ ist mit mathematischen Sonderzeichen statt Buchstaben geschrieben (Fake-Fett- oder -Kursivschrift); \
                 Screenreader buchstabieren solche Wörter oder lassen sie aus. Schreiben Sie „{plain}“."
            ),
            format!(
                "\"{word}\" is written with mathematical symbols instead of letters (fake bold or italic); \
                 screen readers spell such words or skip them. Write \"{plain}\"."
            ),
        ));
    }
    findings
}

fn hashtags_without_camel_case(text: &str) -> Vec<Finding> {
    let mut findings = Vec::new();
    for range in find_hashtags(text) {
        let tag = &text[range];
        let letters: Vec<char> = tag.chars().filter(|c| c.is_alphabetic()).collect();
        let all_lower = letters.iter().all(|c| !c.is_uppercase());
        let all_upper = letters.iter().all(|c| !c.is_lowercase());
        if letters.len() >= CAMEL_CASE_FROM_LETTERS && (all_lower || all_upper) {
            findings.push(Finding::warning(
                "hashtag_not_camel_case",
                format!(
                    "Der Hashtag {tag} ist schwer vorzulesen. Besteht er aus mehreren Wörtern, schreiben Sie jedes groß \
                     (CamelCase, z. B. #TagDerOffenenTür)."
                ),
                format!(
                    "The hashtag {tag} is hard to read out. If it consists of several words, capitalise each one \
                     (CamelCase, e.g. #OpenDayTownHall)."
                ),
            ));
        }
    }
    findings
}

fn emoji_findings(text: &str) -> Vec<Finding> {
    let emoji = find_emoji(text);
    let mut findings = Vec::new();
    if emoji.len() > MAX_EMOJI {
        let n = emoji.len();
        findings.push(Finding::warning(
            "too_many_emoji",
            format!(
                "Der Text enthält {n} Emojis. Screenreader lesen jedes mit seinem Namen vor; verwenden Sie höchstens {MAX_EMOJI}."
            ),
            format!("The text contains {n} emoji. Screen readers read each one by name; use at most {MAX_EMOJI}."),
        ));
    }
    for range in &emoji {
        let rest = &text[range.end..];
        let next_word = rest.split_whitespace().find(|w| {
            !find_emoji(w)
                .iter()
                .any(|r| r.start == 0 && r.end == w.len())
        });
        let Some(word) = next_word else { continue };
        if !word.chars().next().is_some_and(char::is_lowercase) {
            continue;
        }
        let e = &text[range.clone()];
        findings.push(Finding::warning(
            "emoji_mid_sentence",
            format!(
                "Das Emoji {e} steht mitten im Satz (vor „{word}“). Screenreader unterbrechen den Satz mit seinem Namen; \
                 setzen Sie Emojis ans Satzende."
            ),
            format!(
                "The emoji {e} is in the middle of a sentence (before \"{word}\"). Screen readers interrupt the sentence \
                 with its name; put emoji at the end of a sentence."
            ),
        ));
    }
    findings
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;
    use crate::publishing::Severity;
    use proptest::prelude::*;

    fn codes(findings: &[Finding]) -> Vec<&'static str> {
        findings.iter().map(|f| f.code).collect()
    }

    fn image(id: &str, alt: &str) -> ImageRef {
        ImageRef {
            id: id.into(),
            alt: alt.into(),
            ..ImageRef::default()
        }
    }

    #[test]
    fn names_the_image_without_alt_text() {
        let images = [
            image("a", "Rathaus im Schnee"),
            image("b", "  "),
            image("c", ""),
        ];
        let findings = check_media(&images, &[]);
        assert_eq!(codes(&findings), ["alt_text_missing", "alt_text_missing"]);
        assert!(findings[0]
            .message_de
            .starts_with("Bild 2 hat keinen Alternativtext"));
        assert!(findings[1]
            .message_en
            .starts_with("Image 3 has no alternative text"));
        assert!(findings.iter().all(Finding::is_blocking));
    }

    #[test]
    fn videos_need_captions() {
        let videos = [
            VideoRef {
                id: "v1".into(),
                has_captions: true,
            },
            VideoRef {
                id: "v2".into(),
                has_captions: false,
            },
        ];
        let findings = check_accessibility("Neues Video.", &[], &videos);
        assert_eq!(codes(&findings), ["video_captions_missing"]);
        assert!(findings[0]
            .message_de
            .starts_with("Video 2 hat keine Untertitel"));
        assert_eq!(findings[0].severity, Severity::Blocking);
    }

    #[test]
    fn fake_bold_blocks_and_names_the_word() {
        let findings =
            check_text("𝐖𝐢𝐜𝐡𝐭𝐢𝐠: Die Bürgersprechstunde fällt aus. 𝘒𝘦𝘪𝘯𝘦 Termine, 𝐖𝐢𝐜𝐡𝐭𝐢𝐠!");
        assert_eq!(codes(&findings), ["fake_formatting", "fake_formatting"]);
        assert!(findings[0]
            .message_de
            .starts_with("„𝐖𝐢𝐜𝐡𝐭𝐢𝐠“ ist mit mathematischen"));
        assert!(findings[0].message_de.ends_with("Schreiben Sie „Wichtig“."));
        assert!(findings[1].message_en.contains("Write \"Keine\""));
        assert!(findings.iter().all(Finding::is_blocking));
    }

    #[test]
    fn math_digits_and_monospace_map_back() {
        assert_eq!(plain_letter('𝟐'), '2');
        assert_eq!(plain_letter('𝟘'), '0');
        assert_eq!(plain_letter('𝚣'), 'z');
        assert_eq!(plain_letter('𝙰'), 'A');
        assert_eq!(plain_letter('α'), 'α');
    }

    #[test]
    fn long_lower_or_upper_case_hashtags_warn() {
        let text = "#tagderoffenentür #TAGDEROFFENENTÜR #TagDerOffenenTür #Stadtfest #müll #Bürgerbeteiligung";
        let findings = check_text(text);
        assert_eq!(
            codes(&findings),
            ["hashtag_not_camel_case", "hashtag_not_camel_case"]
        );
        assert!(findings[0].message_de.contains("#tagderoffenentür"));
        assert!(findings[1].message_en.contains("#TAGDEROFFENENTÜR"));
        assert!(findings.iter().all(|f| f.severity == Severity::Warning));
    }

    #[test]
    fn more_than_three_emoji_warn() {
        assert!(check_text("Fest! 🎉🎈🎆").is_empty());
        let findings = check_text("Fest! 🎉🎈🎆👨‍👩‍👧");
        assert_eq!(codes(&findings), ["too_many_emoji"]);
        assert!(findings[0].message_de.contains("4 Emojis"));
    }

    #[test]
    fn emoji_before_a_lower_case_word_is_mid_sentence() {
        let findings = check_text("Wir 🎉 feiern am Samstag.");
        assert_eq!(codes(&findings), ["emoji_mid_sentence"]);
        assert!(findings[0].message_de.contains("vor „feiern“"));
        // At the end, before a new sentence or a noun: fine.
        assert!(check_text("Wir feiern am Samstag 🎉").is_empty());
        assert!(check_text("Wir feiern 🎉. Alle sind eingeladen.").is_empty());
        assert!(check_text("🏛️ Rathaus geöffnet").is_empty());
        // Several emoji in a row before the lower-case word: each one interrupts.
        assert_eq!(
            codes(&check_text("Wir 🎉🎈 feiern")),
            ["emoji_mid_sentence"; 2]
        );
    }

    #[test]
    fn a_clean_post_has_no_findings() {
        let text =
            "Öffnungszeiten für Bürger 🏛️: https://musterstadt.de/x #TagDerOffenenTür #Rathaus";
        assert!(check_accessibility(text, &[image("a", "Das Rathaus von vorn")], &[]).is_empty());
    }

    proptest! {
        #[test]
        fn any_math_letter_blocks(prefix in "[a-zäöü ]{0,10}", word in "[\u{1D400}-\u{1D6A3}]{1,8}") {
            let text = format!("{prefix} {word} ende");
            let findings = check_text(&text);
            prop_assert!(findings.iter().any(|f| f.code == "fake_formatting" && f.message_de.contains(word.as_str())));
        }

        #[test]
        fn plain_text_never_blocks(text in "[\\PC&&[^\u{1D400}-\u{1D7FF}]]{0,120}") {
            prop_assert!(!check_text(&text).iter().any(Finding::is_blocking));
        }
    }
}
