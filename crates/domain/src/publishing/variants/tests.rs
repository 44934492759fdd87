//! Tests for compositions: which text goes where, and the combined check per channel.
#![allow(clippy::unwrap_used, clippy::panic)]

use super::*;
use crate::publishing::{has_blocking, Severity};
use proptest::prelude::*;

fn image(alt: &str, bytes_len: u64) -> ImageRef {
    ImageRef {
        id: format!("img-{bytes_len}"),
        alt: alt.into(),
        bytes_len,
        width: 1200,
        height: 800,
    }
}

fn composition(text: &str, channels: &[(&str, PublishKind)]) -> Composition {
    Composition {
        text: text.into(),
        language: "de".into(),
        channels: channels
            .iter()
            .map(|(n, k)| ChannelTarget::new(*n, *k))
            .collect(),
        ..Composition::default()
    }
}

fn codes(findings: &[Finding]) -> Vec<&'static str> {
    findings.iter().map(|f| f.code).collect()
}

fn no_limits() -> BTreeMap<String, MastodonLimits> {
    BTreeMap::new()
}

#[test]
fn text_for_prefers_name_then_kind_then_common() {
    let mut c = composition(
        "Gemeinsamer Text",
        &[
            ("mastodon", PublishKind::Mastodon),
            ("mastodon-kreis", PublishKind::Mastodon),
            ("bluesky", PublishKind::Bluesky),
            ("x", PublishKind::X),
        ],
    );
    c.variants
        .insert("mastodon".into(), "Für alle Mastodon-Kanäle".into());
    c.variants
        .insert("mastodon-kreis".into(), "Nur für den Kreis".into());
    c.variants
        .insert("bluesky".into(), "Kurz für Bluesky".into());
    assert_eq!(c.text_for("mastodon"), "Für alle Mastodon-Kanäle");
    assert_eq!(c.text_for("mastodon-kreis"), "Nur für den Kreis");
    assert_eq!(c.text_for("bluesky"), "Kurz für Bluesky");
    assert_eq!(c.text_for("x"), "Gemeinsamer Text");
    assert_eq!(c.text_for("unbekannt"), "Gemeinsamer Text");

    // A kind variant reaches a channel with another name.
    let mut c = composition("Gemeinsam", &[("stadt-bsky", PublishKind::Bluesky)]);
    c.variants
        .insert("bluesky".into(), "Bluesky-Fassung".into());
    assert_eq!(c.text_for("stadt-bsky"), "Bluesky-Fassung");
}

#[test]
fn too_long_for_bluesky_names_the_channel_and_the_count() {
    let c = composition(
        &"a".repeat(312),
        &[
            ("bluesky", PublishKind::Bluesky),
            ("mastodon", PublishKind::Mastodon),
        ],
    );
    let findings = c.check(&no_limits());
    assert_eq!(codes(&findings), ["text_too_long"]);
    assert_eq!(
        findings[0].message_de,
        "Bluesky: 312 von 300 Graphemen. Kürzen Sie den Text oder legen Sie eine eigene Fassung für diesen Kanal an."
    );
    assert!(findings[0]
        .message_en
        .starts_with("Bluesky: 312 of 300 graphemes."));
}

#[test]
fn a_variant_fixes_the_length() {
    let mut c = composition(
        &"a".repeat(312),
        &[
            ("bluesky", PublishKind::Bluesky),
            ("mastodon", PublishKind::Mastodon),
        ],
    );
    c.variants.insert(
        "bluesky".into(),
        "Kurzfassung: https://musterstadt.de/x".into(),
    );
    assert!(c.check(&no_limits()).is_empty());
}

#[test]
fn bluesky_over_both_limits_gives_two_findings() {
    let c = composition(&"👨‍👩‍👧".repeat(301), &[("bluesky", PublishKind::Bluesky)]);
    let findings = c.check(&no_limits());
    let text_findings: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.code == "text_too_long")
        .collect();
    assert_eq!(text_findings.len(), 2);
    assert!(text_findings[0]
        .message_de
        .starts_with("Bluesky: 301 von 300 Graphemen"));
    assert!(text_findings[1]
        .message_de
        .starts_with("Bluesky: 5418 von 3000 Bytes"));
}

#[test]
fn channel_names_appear_when_they_differ_from_the_kind() {
    let c = composition(&"a".repeat(600), &[("bawue", PublishKind::Mastodon)]);
    let findings = c.check(&no_limits());
    assert!(findings[0]
        .message_de
        .starts_with("Mastodon „bawue“: 600 von 500 Zeichen"));
    assert!(findings[0]
        .message_en
        .starts_with("Mastodon \"bawue\": 600 of 500 characters"));
    // The instance allows more.
    let limits = BTreeMap::from([(
        "bawue".to_string(),
        MastodonLimits::with_max_characters(1_000),
    )]);
    assert!(c.check(&limits).is_empty());
}

#[test]
fn instagram_needs_an_image_with_alt_text() {
    let mut c = composition(
        "Neues vom Rathaus",
        &[("instagram", PublishKind::Instagram)],
    );
    let findings = c.check(&no_limits());
    assert_eq!(codes(&findings), ["image_required"]);
    assert_eq!(
        findings[0].message_de,
        "Instagram: Ein Beitrag braucht mindestens ein Bild."
    );
    c.images.push(image("", 200_000));
    assert_eq!(codes(&c.check(&no_limits())), ["alt_text_missing"]);
    c.images[0].alt = "Das Rathaus im Frühling".into();
    assert!(c.check(&no_limits()).is_empty());
}

#[test]
fn image_counts_and_sizes_per_channel() {
    let mut c = composition(
        "Bilder vom Stadtfest",
        &[
            ("x", PublishKind::X),
            ("bluesky", PublishKind::Bluesky),
            ("telegram_channel", PublishKind::TelegramChannel),
        ],
    );
    c.images = (0..5).map(|i| image("Stadtfest", 100_000 + i)).collect();
    c.images[1].bytes_len = 2_400_000;
    let findings = c.check(&no_limits());
    assert_eq!(
        codes(&findings),
        ["too_many_images", "too_many_images", "image_will_be_scaled"]
    );
    assert!(findings[0]
        .message_de
        .starts_with("X: 5 von höchstens 4 Bildern"));
    assert!(findings[1]
        .message_de
        .starts_with("Bluesky: 5 von höchstens 4 Bildern"));
    assert_eq!(
        findings[2].message_de,
        "Bluesky: Bild 2 ist 2,4 MB groß und wird auf höchstens 1,0 MB verkleinert."
    );
    assert_eq!(findings[2].severity, Severity::Warning);
}

#[test]
fn mastodon_instance_may_allow_more_images() {
    let mut c = composition("Bilder", &[("mastodon", PublishKind::Mastodon)]);
    c.images = (0..6).map(|i| image("Bild", 1_000 + i)).collect();
    assert_eq!(codes(&c.check(&no_limits())), ["too_many_images"]);
    let limits = BTreeMap::from([(
        "mastodon".to_string(),
        MastodonLimits {
            max_media_attachments: 8,
            ..MastodonLimits::default()
        },
    )]);
    assert!(c.check(&limits).is_empty());
}

#[test]
fn telegram_caption_limit_applies_with_an_image() {
    let mut c = composition(
        &"a".repeat(1_500),
        &[("telegram_channel", PublishKind::TelegramChannel)],
    );
    assert!(c.check(&no_limits()).is_empty());
    c.images.push(image("Plakat", 50_000));
    let findings = c.check(&no_limits());
    assert_eq!(codes(&findings), ["text_too_long"]);
    assert!(findings[0]
        .message_de
        .starts_with("Telegram-Kanal: 1500 von 1024 Zeichen"));
}

#[test]
fn variant_texts_are_checked_for_accessibility_and_named() {
    let mut c = composition(
        "Alles gut.",
        &[("x", PublishKind::X), ("mastodon", PublishKind::Mastodon)],
    );
    c.variants.insert("x".into(), "𝐖𝐢𝐜𝐡𝐭𝐢𝐠: Sperrung".into());
    let findings = c.check(&no_limits());
    assert_eq!(codes(&findings), ["fake_formatting"]);
    assert!(findings[0]
        .message_de
        .starts_with("Fassung für X: „𝐖𝐢𝐜𝐡𝐭𝐢𝐠“"));
    // The same problem in the common text is reported once, without a prefix.
    c.text = "𝐖𝐢𝐜𝐡𝐭𝐢𝐠: Sperrung".into();
    let findings = c.check(&no_limits());
    assert_eq!(codes(&findings), ["fake_formatting"]);
    assert!(findings[0].message_de.starts_with("„𝐖𝐢𝐜𝐡𝐭𝐢𝐠“"));
}

#[test]
fn empty_posts_unused_variants_missing_language_and_channels() {
    let mut c = composition("  ", &[("mastodon", PublishKind::Mastodon)]);
    c.language.clear();
    c.variants.insert("threads".into(), "Gibt es nicht".into());
    let findings = c.check(&no_limits());
    assert_eq!(
        codes(&findings),
        ["text_empty", "language_missing", "variant_unused"]
    );
    assert_eq!(
        findings[0].message_de,
        "Mastodon: Der Beitrag hat weder Text noch Bilder."
    );

    let c = composition("Hallo", &[]);
    assert_eq!(codes(&c.check(&no_limits())), ["channel_missing"]);
}

#[test]
fn blocking_findings_come_first() {
    let mut c = composition("Wir 🎉 feiern", &[("instagram", PublishKind::Instagram)]);
    c.language.clear();
    let findings = c.check(&no_limits());
    assert_eq!(
        codes(&findings),
        ["image_required", "emoji_mid_sentence", "language_missing"]
    );
    assert!(has_blocking(&findings));
}

#[test]
fn megabytes_round_up() {
    assert_eq!(megabytes(1_000_000), "1.0");
    assert_eq!(megabytes(1_040_000), "1.1");
    assert_eq!(megabytes(16 * 1024 * 1024), "16.8");
}

proptest! {
    /// A text is refused for a channel exactly when the channel's own measure says it does not fit.
    #[test]
    fn check_agrees_with_fits(len in 0usize..700, emoji in 0usize..40, kind_i in 0..PublishKind::ALL.len()) {
        let kind = PublishKind::ALL[kind_i];
        let text = format!("{}{}", "ä".repeat(len), "🎉.".repeat(emoji));
        let mut c = composition(&text, &[(kind.as_str(), kind)]);
        c.images.push(image("Bild", 1_000));
        let too_long = c.check(&no_limits()).iter().filter(|f| f.code == "text_too_long").count();
        let exceeded = crate::publishing::fits(kind, &text, None, true).err().unwrap_or_default();
        prop_assert_eq!(too_long, exceeded.iter().filter(|m| !matches!(m.unit, Unit::Hashtags | Unit::Mentions)).count());
    }
}
