//! The networks a post can go to and what each accepts: text length counted the platform's way, number and size of images.
//!
//! Counting follows each platform's documented rule, and where a rule is not fully documented
//! (or would need data we do not carry, like X's list of top-level domains) it errs on the side of
//! counting more, so the composer refuses before the platform would — never after.
//!
//! - Mastodon: grapheme clusters after every `http(s)://` link is replaced by
//!   `characters_reserved_per_url` (23) characters and every `@name@domain` by `@name`
//!   (Mastodon's `StatusLengthValidator`). The limit is the instance's, 500 by default.
//! - Bluesky (`app.bsky.feed.post`): at most 300 grapheme clusters *and* 3,000 UTF-8 bytes.
//! - X (twitter-text configuration v3): each code point weighs 1 in U+0000–U+10FF, U+2000–U+200D,
//!   U+2010–U+201F, U+2032–U+2037 and 2 elsewhere; an emoji sequence weighs 2 however many code
//!   points it has; a link weighs 23; limit 280. Text is not NFC-normalised here, so decomposed
//!   umlauts count one more than on X (too much, never too little). A bare domain ("musterstadt.de")
//!   may become a link on X, so it counts as the more of its own weight and 23.
//! - Instagram: caption 2,200 characters, at most 30 hashtags and 20 @-mentions, at least one image,
//!   up to 10 in a carousel.
//! - Telegram channel: 4,096 characters for a text message, 1,024 for a caption with media.
//! - Facebook page: 63,206 characters.
//!
//! Facebook, Instagram and Telegram "characters" are counted as UTF-16 code units (an emoji outside
//! the Basic Multilingual Plane counts 2): Telegram measures its limits that way, and for the two
//! Meta platforms it is the conservative choice.

use serde::{Deserialize, Serialize};

use super::text::{find_fediverse_mentions, find_hashtags, find_links, grapheme_count, is_emoji};
use unicode_segmentation::UnicodeSegmentation;

/// A network a municipality publishes to (one `[[municipality.<kind>]]` table each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PublishKind {
    Mastodon,
    Bluesky,
    FacebookPage,
    Instagram,
    X,
    TelegramChannel,
}

impl PublishKind {
    pub const ALL: [PublishKind; 6] = [
        PublishKind::Mastodon,
        PublishKind::Bluesky,
        PublishKind::FacebookPage,
        PublishKind::Instagram,
        PublishKind::X,
        PublishKind::TelegramChannel,
    ];

    /// Stable name, the same as the configuration table (`[[municipality.facebook_page]]`).
    pub fn as_str(self) -> &'static str {
        match self {
            PublishKind::Mastodon => "mastodon",
            PublishKind::Bluesky => "bluesky",
            PublishKind::FacebookPage => "facebook_page",
            PublishKind::Instagram => "instagram",
            PublishKind::X => "x",
            PublishKind::TelegramChannel => "telegram_channel",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// German label for the staff UI.
    pub fn label_de(self) -> &'static str {
        match self {
            PublishKind::Mastodon => "Mastodon",
            PublishKind::Bluesky => "Bluesky",
            PublishKind::FacebookPage => "Facebook-Seite",
            PublishKind::Instagram => "Instagram",
            PublishKind::X => "X",
            PublishKind::TelegramChannel => "Telegram-Kanal",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            PublishKind::FacebookPage => "Facebook page",
            PublishKind::TelegramChannel => "Telegram channel",
            other => other.label_de(),
        }
    }

    /// Images one post may carry (Mastodon: the default; an instance may say otherwise, see
    /// [`MastodonLimits`]). Meta documents no number for page posts; 10 matches Instagram.
    pub fn max_images(self) -> usize {
        match self {
            PublishKind::Mastodon | PublishKind::Bluesky | PublishKind::X => 4,
            PublishKind::FacebookPage | PublishKind::Instagram | PublishKind::TelegramChannel => 10,
        }
    }

    /// Instagram has no text-only posts.
    pub fn requires_image(self) -> bool {
        matches!(self, PublishKind::Instagram)
    }

    /// Largest image file the platform takes; larger ones are scaled down before upload.
    pub fn max_image_bytes(self) -> u64 {
        match self {
            PublishKind::Mastodon => 16 * 1024 * 1024,
            PublishKind::Bluesky => 1_000_000,
            PublishKind::FacebookPage => 4_000_000,
            PublishKind::Instagram => 8 * 1024 * 1024,
            PublishKind::X => 5 * 1024 * 1024,
            PublishKind::TelegramChannel => 10_000_000,
        }
    }
}

/// What a Mastodon instance reports in `/api/v2/instance` (`configuration.statuses` and
/// `media_attachments`); [`Default`] is what stock Mastodon ships with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MastodonLimits {
    pub max_characters: usize,
    pub characters_reserved_per_url: usize,
    pub max_media_attachments: usize,
}

impl Default for MastodonLimits {
    fn default() -> Self {
        MastodonLimits {
            max_characters: 500,
            characters_reserved_per_url: 23,
            max_media_attachments: 4,
        }
    }
}

impl MastodonLimits {
    /// Stock limits with an instance's own character limit.
    pub fn with_max_characters(max_characters: usize) -> Self {
        MastodonLimits {
            max_characters,
            ..MastodonLimits::default()
        }
    }
}

/// What a limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Characters,
    Graphemes,
    Bytes,
    WeightedCharacters,
    Hashtags,
    Mentions,
}

impl Unit {
    /// German plural as a counter shows it ("Zeichen", "Grapheme", "Bytes").
    pub fn label_de(self) -> &'static str {
        match self {
            Unit::Characters => "Zeichen",
            Unit::Graphemes => "Grapheme",
            Unit::Bytes => "Bytes",
            Unit::WeightedCharacters => "gewichtete Zeichen",
            Unit::Hashtags => "Hashtags",
            Unit::Mentions => "Erwähnungen",
        }
    }

    /// German dative plural, for "312 von 300 Graphemen".
    fn dative_de(self) -> &'static str {
        match self {
            Unit::Graphemes => "Graphemen",
            Unit::WeightedCharacters => "gewichteten Zeichen",
            other => other.label_de(),
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Unit::Characters => "characters",
            Unit::Graphemes => "graphemes",
            Unit::Bytes => "bytes",
            Unit::WeightedCharacters => "weighted characters",
            Unit::Hashtags => "hashtags",
            Unit::Mentions => "mentions",
        }
    }
}

/// One limit and how much of it a text uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Measure {
    pub unit: Unit,
    pub used: usize,
    pub limit: usize,
}

impl Measure {
    pub fn exceeded(&self) -> bool {
        self.used > self.limit
    }

    /// What is left, negative when over.
    pub fn remaining(&self) -> i64 {
        i64::try_from(self.limit)
            .unwrap_or(i64::MAX)
            .saturating_sub(i64::try_from(self.used).unwrap_or(i64::MAX))
    }

    /// "312 von 300 Graphemen"
    pub fn describe_de(&self) -> String {
        format!("{} von {} {}", self.used, self.limit, self.unit.dative_de())
    }

    /// "312 of 300 graphemes"
    pub fn describe_en(&self) -> String {
        format!("{} of {} {}", self.used, self.limit, self.unit.label_en())
    }
}

/// Every limit of `kind` for `text`, the one a composer's counter shows first.
/// `mastodon` is the instance's limits (stock ones when `None`); `with_media` matters for Telegram,
/// whose caption under a photo is shorter than a text message.
pub fn measures(
    kind: PublishKind,
    text: &str,
    mastodon: Option<&MastodonLimits>,
    with_media: bool,
) -> Vec<Measure> {
    let m = |unit, used, limit| Measure { unit, used, limit };
    match kind {
        PublishKind::Mastodon => {
            let limits = mastodon.copied().unwrap_or_default();
            vec![m(
                Unit::Characters,
                mastodon_length(text, limits.characters_reserved_per_url),
                limits.max_characters,
            )]
        }
        PublishKind::Bluesky => vec![
            m(Unit::Graphemes, grapheme_count(text), 300),
            m(Unit::Bytes, text.len(), 3_000),
        ],
        PublishKind::X => vec![m(Unit::WeightedCharacters, x_weighted_length(text), 280)],
        PublishKind::Instagram => vec![
            m(Unit::Characters, utf16_len(text), 2_200),
            m(Unit::Hashtags, find_hashtags(text).len(), 30),
            m(Unit::Mentions, find_fediverse_mentions(text).len(), 20),
        ],
        PublishKind::TelegramChannel => {
            let limit = if with_media { 1_024 } else { 4_096 };
            vec![m(Unit::Characters, utf16_len(text), limit)]
        }
        PublishKind::FacebookPage => vec![m(Unit::Characters, utf16_len(text), 63_206)],
    }
}

/// The main limit of `kind` (the first of [`measures`]), for a live counter.
pub fn measure(
    kind: PublishKind,
    text: &str,
    mastodon: Option<&MastodonLimits>,
    with_media: bool,
) -> Measure {
    measures(kind, text, mastodon, with_media)
        .into_iter()
        .next()
        .unwrap_or(Measure {
            unit: Unit::Characters,
            used: 0,
            limit: 0,
        })
}

/// `Ok` when the text fits, otherwise every exceeded limit (Bluesky can exceed graphemes and bytes at once).
pub fn fits(
    kind: PublishKind,
    text: &str,
    mastodon: Option<&MastodonLimits>,
    with_media: bool,
) -> Result<(), Vec<Measure>> {
    let exceeded: Vec<Measure> = measures(kind, text, mastodon, with_media)
        .into_iter()
        .filter(Measure::exceeded)
        .collect();
    if exceeded.is_empty() {
        Ok(())
    } else {
        Err(exceeded)
    }
}

fn utf16_len(text: &str) -> usize {
    text.encode_utf16().count()
}

/// Mastodon's count: links as `reserved_per_url` characters, remote mentions without their domain.
fn mastodon_length(text: &str, reserved_per_url: usize) -> usize {
    let mut countable = String::with_capacity(text.len());
    let mut pos = 0;
    for link in find_links(text) {
        countable.push_str(&text[pos..link.start]);
        countable.extend(std::iter::repeat_n('x', reserved_per_url));
        pos = link.end;
    }
    countable.push_str(&text[pos..]);

    let mut length = 0;
    let mut pos = 0;
    for (whole, name) in find_fediverse_mentions(&countable) {
        length += grapheme_count(&countable[pos..whole.start]) + 1 + name.len();
        pos = whole.end;
    }
    length + grapheme_count(&countable[pos..])
}

const X_URL_WEIGHT: usize = 23;

/// twitter-text v3 weighted length, in characters.
fn x_weighted_length(text: &str) -> usize {
    let mut total = 0;
    let mut pos = 0;
    for link in find_links(text) {
        total += x_plain_weight(&text[pos..link.start]) + X_URL_WEIGHT;
        pos = link.end;
    }
    total + x_plain_weight(&text[pos..])
}

/// Weight of text without `http(s)://` links; bare domains count at least as a link.
fn x_plain_weight(text: &str) -> usize {
    let base: usize = text.graphemes(true).map(x_grapheme_weight).sum();
    let extra: usize = text
        .split_whitespace()
        .map(|word| word.trim_matches(|c: char| !c.is_alphanumeric() && c != '/'))
        .filter(|word| looks_like_domain(word))
        .map(|word| X_URL_WEIGHT.saturating_sub(word.graphemes(true).map(x_grapheme_weight).sum()))
        .sum();
    base + extra
}

fn x_grapheme_weight(grapheme: &str) -> usize {
    if is_emoji(grapheme) || matches!(grapheme, "©" | "®") {
        // twemoji also knows © and ® without the emoji selector; counting them as emoji is the safe side.
        2
    } else {
        grapheme.chars().map(x_code_point_weight).sum()
    }
}

fn x_code_point_weight(c: char) -> usize {
    match c as u32 {
        0..=4351 | 8192..=8205 | 8208..=8223 | 8242..=8247 => 1,
        _ => 2,
    }
}

/// "musterstadt.de", "www.bawü.social/pfad": labels of letters, digits and `-`, the last one at
/// least two ASCII letters; e-mail addresses are not links on X.
fn looks_like_domain(word: &str) -> bool {
    if word.contains('@') {
        return false;
    }
    let host = word.split('/').next().unwrap_or_default();
    let labels: Vec<&str> = host.split('.').collect();
    let Some((tld, rest)) = labels.split_last() else {
        return false;
    };
    !rest.is_empty()
        && rest
            .iter()
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_alphanumeric() || c == '-'))
        && tld.len() >= 2
        && tld.chars().all(|c| c.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests;
