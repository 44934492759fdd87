//! The composer's server-side preview: per-channel text and count, and each finding placed next to the field it is about.

use std::collections::BTreeMap;

use rathaus_domain::publishing::accessibility::{check_media, check_text};
use rathaus_domain::publishing::{
    measures, ChannelTarget, Composition, Finding, ImageRef, MastodonLimits,
};
use rathaus_store::PostImage;

use crate::ui::i18n::{Lang, Tr};

/// A finding as shown: severity class and the message in the staff member's language.
pub struct Note {
    pub blocking: bool,
    pub text: String,
}

impl Note {
    fn from(f: &Finding, lang: Lang) -> Note {
        Note {
            blocking: f.is_blocking(),
            text: match lang {
                Lang::De => f.message_de.clone(),
                Lang::En => f.message_en.clone(),
            },
        }
    }
}

fn notes(found: &[Finding], lang: Lang) -> Vec<Note> {
    found.iter().map(|f| Note::from(f, lang)).collect()
}

/// One limit as the counter shows it.
#[derive(Debug, PartialEq, Eq)]
pub struct Count {
    pub text: String,
    pub over: bool,
}

/// One channel's preview: the text it gets, its counts and what it refuses.
pub struct ChannelPreview {
    pub name: String,
    pub label: String,
    pub text: String,
    /// "312 von 300 Graphemen", one per limit.
    pub counts: Vec<Count>,
    pub notes: Vec<Note>,
}

/// Findings placed where they belong.
pub struct Placed {
    /// By image id: missing alt text.
    pub images: BTreeMap<i64, Vec<Note>>,
    pub text: Vec<Note>,
    /// By channel name: findings about the variant text.
    pub variants: BTreeMap<String, Vec<Note>>,
    pub channels: Vec<ChannelPreview>,
    /// Everything at once, for the summary above the form.
    pub all: Vec<Note>,
}

/// Label of a network channel: "Mastodon" or "Mastodon „stadt“".
pub fn channel_label(c: &ChannelTarget, lang: Lang) -> String {
    let kind = match lang {
        Lang::De => c.kind.label_de(),
        Lang::En => c.kind.label_en(),
    };
    if c.name.eq_ignore_ascii_case(c.kind.as_str()) {
        kind.to_string()
    } else {
        format!("{kind} „{}“", c.name)
    }
}

fn image_refs(images: &[PostImage]) -> Vec<ImageRef> {
    images
        .iter()
        .map(|i| ImageRef {
            id: i.id.to_string(),
            alt: i.alt.clone(),
            bytes_len: u64::try_from(i.bytes_len).unwrap_or(0),
            width: u32::try_from(i.width).unwrap_or(0),
            height: u32::try_from(i.height).unwrap_or(0),
        })
        .collect()
}

/// The counts in one line for the composer's polite live region, e.g.
/// "Mastodon: 480 von 500 Zeichen – passt. Bluesky: 312 von 300 Graphemen – zu lang, …".
/// Only channels with limits; the wording says "too long", so the state is never colour alone.
pub fn summary(tr: Tr, channels: &[ChannelPreview]) -> String {
    channels
        .iter()
        .filter(|c| !c.counts.is_empty())
        .map(|c| {
            let counts: Vec<String> = c
                .counts
                .iter()
                .map(|k| {
                    let verdict = tr.t(if k.over {
                        "posts.too_long"
                    } else {
                        "posts.fits"
                    });
                    format!("{} – {verdict}", k.text)
                })
                .collect();
            format!("{}: {}.", c.label, counts.join(", "))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Codes the per-channel check adds beyond the shared media and text checks.
fn is_channel_code(code: &str) -> bool {
    !matches!(
        code,
        "alt_text_missing"
            | "video_captions_missing"
            | "fake_formatting"
            | "hashtag_not_camel_case"
            | "too_many_emoji"
            | "emoji_mid_sentence"
            | "language_missing"
            | "variant_unused"
            | "channel_missing"
    )
}

/// Checks the composition the way publishing does (the news page always, the chosen networks) and
/// places every finding. `networks` are the chosen network channels.
pub fn place(
    tr: Tr,
    text: &str,
    language: &str,
    networks: &[ChannelTarget],
    images: &[PostImage],
    variants: &BTreeMap<String, String>,
    mastodon_limits: &BTreeMap<String, MastodonLimits>,
) -> Placed {
    let lang = tr.lang;
    let refs = image_refs(images);
    let composition = Composition {
        text: text.to_string(),
        language: language.to_string(),
        images: refs.clone(),
        videos: Vec::new(),
        channels: networks.to_vec(),
        variants: variants.clone(),
    };
    let mut all: Vec<Finding> = composition
        .check(mastodon_limits)
        .into_iter()
        .filter(|f| f.code != "channel_missing")
        .collect();
    if text.trim().is_empty() && images.is_empty() && !all.iter().any(|f| f.code == "text_empty") {
        all.insert(
            0,
            Finding::blocking(
                "text_empty",
                "Der Beitrag hat weder Text noch Bilder.".into(),
                "The post has neither text nor images.".into(),
            ),
        );
    }
    // Missing alt text, in image order: check_media reports them in the same order.
    let mut by_image: BTreeMap<i64, Vec<Note>> = BTreeMap::new();
    for (img, r) in images.iter().zip(refs.iter()) {
        let found = check_media(std::slice::from_ref(r), &[]);
        if !found.is_empty() {
            let n = images.iter().position(|i| i.id == img.id).unwrap_or(0) + 1;
            let notes: Vec<Note> = found
                .iter()
                .map(|f| Note {
                    blocking: f.is_blocking(),
                    text: match lang {
                        Lang::De => f.message_de.replacen("Bild 1", &format!("Bild {n}"), 1),
                        Lang::En => f.message_en.replacen("Image 1", &format!("Image {n}"), 1),
                    },
                })
                .collect();
            by_image.insert(img.id, notes);
        }
    }
    let mut text_notes = notes(&check_text(text), lang);
    if text.trim().is_empty() && images.is_empty() {
        text_notes.extend(notes(
            &all.iter()
                .filter(|f| f.code == "text_empty")
                .take(1)
                .cloned()
                .collect::<Vec<_>>(),
            lang,
        ));
    }
    let mut variant_notes = BTreeMap::new();
    for c in networks {
        if let Some(v) = variants.get(&c.name).filter(|v| !v.trim().is_empty()) {
            variant_notes.insert(c.name.clone(), notes(&check_text(v), lang));
        }
    }
    let has_media = !images.is_empty();
    let mut channels = vec![ChannelPreview {
        name: rathaus_store::WEBSITE_CHANNEL.to_string(),
        label: tr.t("posts.website_always").to_string(),
        text: text.to_string(),
        counts: Vec::new(),
        notes: Vec::new(),
    }];
    for c in networks {
        let single = Composition {
            channels: vec![c.clone()],
            ..composition.clone()
        };
        let own: Vec<Finding> = single
            .check(mastodon_limits)
            .into_iter()
            .filter(|f| is_channel_code(f.code))
            .collect();
        let channel_text = single.text_for(&c.name).to_string();
        channels.push(ChannelPreview {
            name: c.name.clone(),
            label: channel_label(c, lang),
            counts: measures(
                c.kind,
                &channel_text,
                mastodon_limits.get(&c.name),
                has_media,
            )
            .into_iter()
            .map(|m| {
                let d = match lang {
                    Lang::De => m.describe_de(),
                    Lang::En => m.describe_en(),
                };
                Count {
                    text: d,
                    over: m.exceeded(),
                }
            })
            .collect(),
            text: channel_text,
            notes: notes(&own, lang),
        });
    }
    Placed {
        images: by_image,
        text: text_notes,
        variants: variant_notes,
        channels,
        all: notes(&all, lang),
    }
}

#[cfg(test)]
mod tests {
    use rathaus_domain::publishing::PublishKind;

    use super::*;

    fn image(id: i64, alt: &str) -> PostImage {
        PostImage {
            id,
            post_id: None,
            position: 0,
            alt: alt.into(),
            mime: "image/png".into(),
            width: 10,
            height: 10,
            bytes_len: 100,
        }
    }

    #[test]
    fn findings_land_next_to_their_fields() {
        let tr = Tr::new(Lang::De);
        let bluesky = ChannelTarget::new("bluesky", PublishKind::Bluesky);
        let mut variants = BTreeMap::new();
        variants.insert("bluesky".to_string(), "x".repeat(301));
        let p = place(
            tr,
            "Heute 𝐰𝐢𝐜𝐡𝐭𝐢𝐠: Sperrung",
            "de",
            &[bluesky],
            &[image(7, "Baustelle"), image(9, " ")],
            &variants,
            &BTreeMap::new(),
        );
        assert!(p.all.iter().any(|n| n.blocking));
        assert!(!p.images.contains_key(&7));
        assert!(p.images[&9][0]
            .text
            .starts_with("Bild 2 hat keinen Alternativtext"));
        assert!(p
            .text
            .iter()
            .any(|n| n.blocking && n.text.contains("wichtig")));
        assert_eq!(p.channels.len(), 2);
        let b = &p.channels[1];
        assert_eq!(
            b.counts[0],
            Count {
                text: "301 von 300 Graphemen".to_string(),
                over: true
            }
        );
        assert!(
            b.notes.iter().any(|n| n.blocking),
            "over-length is the channel's"
        );
        assert!(b.notes.iter().all(|n| !n.text.contains("Alternativtext")));
        assert_eq!(
            summary(tr, &p.channels),
            "Bluesky: 301 von 300 Graphemen – zu lang, 301 von 3000 Bytes – passt."
        );
    }

    #[test]
    fn warnings_alone_do_not_block() {
        let tr = Tr::new(Lang::En);
        let p = place(
            tr,
            "Wir 🎉 feiern #tagderoffenentür",
            "de",
            &[],
            &[],
            &BTreeMap::new(),
            &BTreeMap::new(),
        );
        assert!(p.all.iter().all(|n| !n.blocking));
        assert!(p.text.len() >= 2 && p.text.iter().all(|n| !n.blocking));
    }
}
