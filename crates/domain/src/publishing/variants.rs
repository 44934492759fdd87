//! A composition — one common text with per-channel variants, images, videos, target channels — and the check that says, per channel, what would be refused.
//!
//! A variant is keyed by a channel's configured name ("mastodon-bawue") or by a kind
//! ("bluesky"); the name wins over the kind, the kind over the common text. Everything that will
//! actually be published is checked: each text against its channel's limits, each distinct text
//! for accessibility, the media once.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::accessibility::{check_media, check_text, ImageRef, VideoRef};
use super::channels::{measures, MastodonLimits, Measure, PublishKind, Unit};
use super::Finding;

/// A configured channel the post goes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelTarget {
    /// The configured name (`name = "mastodon"` in `[[municipality.mastodon]]`).
    pub name: String,
    pub kind: PublishKind,
}

impl ChannelTarget {
    pub fn new(name: impl Into<String>, kind: PublishKind) -> Self {
        ChannelTarget {
            name: name.into(),
            kind,
        }
    }

    /// "Bluesky" when the name is just the kind, otherwise "Mastodon „bawue“".
    fn title_de(&self) -> String {
        if self.name.eq_ignore_ascii_case(self.kind.as_str()) {
            self.kind.label_de().to_string()
        } else {
            format!("{} „{}“", self.kind.label_de(), self.name)
        }
    }

    fn title_en(&self) -> String {
        if self.name.eq_ignore_ascii_case(self.kind.as_str()) {
            self.kind.label_en().to_string()
        } else {
            format!("{} \"{}\"", self.kind.label_en(), self.name)
        }
    }
}

/// What the composer holds before submission.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Composition {
    pub text: String,
    /// BCP 47 language tag of the post ("de", "en"), for the platforms and screen readers.
    pub language: String,
    pub images: Vec<ImageRef>,
    pub videos: Vec<VideoRef>,
    pub channels: Vec<ChannelTarget>,
    /// Text overrides by channel name or kind name.
    pub variants: BTreeMap<String, String>,
}

impl Composition {
    /// The text that goes to a channel (by its name) or to a kind: the variant for the name, else
    /// the one for the channel's kind, else the common text.
    pub fn text_for(&self, name_or_kind: &str) -> &str {
        if let Some(text) = self.variants.get(name_or_kind) {
            return text;
        }
        self.channels
            .iter()
            .find(|c| c.name == name_or_kind)
            .and_then(|c| self.variants.get(c.kind.as_str()))
            .unwrap_or(&self.text)
    }

    fn has_media(&self) -> bool {
        !self.images.is_empty() || !self.videos.is_empty()
    }

    /// Everything that would stop the post or deserves a second look, blocking findings first.
    /// `mastodon_limits` holds what each Mastodon channel's instance reported, by channel name;
    /// a channel not in it gets the stock limits.
    pub fn check(&self, mastodon_limits: &BTreeMap<String, MastodonLimits>) -> Vec<Finding> {
        let mut findings = check_media(&self.images, &self.videos);
        findings.extend(self.check_texts());
        if self.channels.is_empty() {
            findings.push(Finding::blocking(
                "channel_missing",
                "Wählen Sie mindestens einen Kanal.".into(),
                "Choose at least one channel.".into(),
            ));
        }
        if self.language.trim().is_empty() {
            findings.push(Finding::warning(
                "language_missing",
                "Geben Sie die Sprache des Beitrags an, damit Screenreader ihn richtig aussprechen.".into(),
                "Give the post's language so that screen readers pronounce it correctly.".into(),
            ));
        }
        for key in self.variants.keys() {
            let used = self
                .channels
                .iter()
                .any(|c| c.name == *key || c.kind.as_str() == key);
            if !used {
                findings.push(Finding::warning(
                    "variant_unused",
                    format!("Die Fassung für „{key}“ wird nicht verwendet: kein gewählter Kanal heißt so."),
                    format!("The variant for \"{key}\" is not used: no chosen channel has that name."),
                ));
            }
        }
        for channel in &self.channels {
            findings.extend(self.check_channel(channel, mastodon_limits.get(&channel.name)));
        }
        // Stable: within a severity the order above (media, text, channels) stays.
        findings.sort_by_key(|f| f.severity);
        findings
    }

    /// Accessibility of every distinct text that will go out; a variant's findings name it.
    fn check_texts(&self) -> Vec<Finding> {
        let mut findings = Vec::new();
        let mut checked: Vec<&str> = Vec::new();
        let uses_common = self.channels.is_empty()
            || self
                .channels
                .iter()
                .any(|c| std::ptr::eq(self.text_for(&c.name), self.text.as_str()));
        if uses_common {
            findings.extend(check_text(&self.text));
            checked.push(&self.text);
        }
        for channel in &self.channels {
            let text = self.text_for(&channel.name);
            if checked.contains(&text) {
                continue;
            }
            checked.push(text);
            let (de, en) = (channel.title_de(), channel.title_en());
            findings.extend(check_text(text).into_iter().map(|f| Finding {
                message_de: format!("Fassung für {de}: {}", f.message_de),
                message_en: format!("Variant for {en}: {}", f.message_en),
                ..f
            }));
        }
        findings
    }

    fn check_channel(
        &self,
        channel: &ChannelTarget,
        mastodon: Option<&MastodonLimits>,
    ) -> Vec<Finding> {
        let (de, en) = (channel.title_de(), channel.title_en());
        let text = self.text_for(&channel.name);
        let mut findings = Vec::new();

        if text.trim().is_empty() && !self.has_media() {
            findings.push(Finding::blocking(
                "text_empty",
                format!("{de}: Der Beitrag hat weder Text noch Bilder."),
                format!("{en}: The post has neither text nor images."),
            ));
        }
        for m in measures(channel.kind, text, mastodon, self.has_media()) {
            if m.exceeded() {
                findings.push(exceeded(&de, &en, &m));
            }
        }
        if channel.kind.requires_image() && self.images.is_empty() {
            findings.push(Finding::blocking(
                "image_required",
                format!("{de}: Ein Beitrag braucht mindestens ein Bild."),
                format!("{en}: A post needs at least one image."),
            ));
        }
        let max_images = match channel.kind {
            PublishKind::Mastodon => mastodon.copied().unwrap_or_default().max_media_attachments,
            kind => kind.max_images(),
        };
        if self.images.len() > max_images {
            let n = self.images.len();
            findings.push(Finding::blocking(
                "too_many_images",
                format!("{de}: {n} von höchstens {max_images} Bildern. Entfernen Sie Bilder oder wählen Sie den Kanal ab."),
                format!("{en}: {n} of at most {max_images} images. Remove images or deselect the channel."),
            ));
        }
        let max_bytes = channel.kind.max_image_bytes();
        for (i, image) in self.images.iter().enumerate() {
            if image.bytes_len > max_bytes {
                let n = i + 1;
                let (size, max) = (megabytes(image.bytes_len), megabytes(max_bytes));
                findings.push(Finding::warning(
                    "image_will_be_scaled",
                    format!(
                        "{de}: Bild {n} ist {} MB groß und wird auf höchstens {} MB verkleinert.",
                        size.replace('.', ","),
                        max.replace('.', ",")
                    ),
                    format!(
                        "{en}: Image {n} is {size} MB and will be scaled down to at most {max} MB."
                    ),
                ));
            }
        }
        findings
    }
}

/// "Bluesky: 312 von 300 Graphemen. …"
fn exceeded(de: &str, en: &str, m: &Measure) -> Finding {
    let (code, advice_de, advice_en) = match m.unit {
        Unit::Hashtags => (
            "too_many_hashtags",
            "Entfernen Sie Hashtags.",
            "Remove hashtags.",
        ),
        Unit::Mentions => (
            "too_many_mentions",
            "Entfernen Sie Erwähnungen.",
            "Remove mentions.",
        ),
        _ => (
            "text_too_long",
            "Kürzen Sie den Text oder legen Sie eine eigene Fassung für diesen Kanal an.",
            "Shorten the text or write a variant for this channel.",
        ),
    };
    Finding::blocking(
        code,
        format!("{de}: {}. {advice_de}", m.describe_de()),
        format!("{en}: {}. {advice_en}", m.describe_en()),
    )
}

/// Megabytes with one decimal, rounded up so "1.0 MB" is never shown for 1.04 MB over a 1 MB limit.
fn megabytes(bytes: u64) -> String {
    let tenths = bytes.div_ceil(100_000);
    format!("{}.{}", tenths / 10, tenths % 10)
}

#[cfg(test)]
mod tests;
