//! Tests for the platforms' counting rules.
#![allow(clippy::unwrap_used, clippy::panic)]

use super::*;
use proptest::prelude::*;

fn used(kind: PublishKind, text: &str) -> usize {
    measure(kind, text, None, false).used
}

#[test]
fn names_round_trip() {
    for k in PublishKind::ALL {
        assert_eq!(PublishKind::parse(k.as_str()), Some(k));
        let json = serde_json::to_string(&k).unwrap();
        assert_eq!(json, format!("\"{}\"", k.as_str()));
    }
    assert_eq!(PublishKind::parse("threads"), None);
}

#[test]
fn image_rules() {
    assert!(PublishKind::Instagram.requires_image());
    assert!(
        PublishKind::ALL
            .iter()
            .filter(|k| k.requires_image())
            .count()
            == 1
    );
    assert_eq!(PublishKind::Bluesky.max_image_bytes(), 1_000_000);
    assert_eq!(PublishKind::Instagram.max_images(), 10);
    assert_eq!(PublishKind::Mastodon.max_images(), 4);
    assert_eq!(PublishKind::X.max_images(), 4);
}

#[test]
fn mastodon_counts_links_as_23_and_mentions_without_domain() {
    let link = "https://www.musterstadt.de/rathaus/oeffnungszeiten/sommer-2025?ref=mastodon";
    assert_eq!(used(PublishKind::Mastodon, link), 23);
    assert_eq!(used(PublishKind::Mastodon, "https://a.de"), 23);
    assert_eq!(
        used(PublishKind::Mastodon, &format!("Infos: {link}.")),
        7 + 23 + 1
    );
    // "@stadt_ulm@bawü.social" counts as "@stadt_ulm": 10.
    assert_eq!(
        used(PublishKind::Mastodon, "Hallo @stadt_ulm@bawü.social!"),
        6 + 10 + 1
    );
    // Graphemes: a family emoji is one character, "ä" one.
    assert_eq!(used(PublishKind::Mastodon, "👨‍👩‍👧ä"), 2);
}

#[test]
fn mastodon_instance_limits_override_the_default() {
    let text = "a".repeat(600);
    assert_eq!(
        measure(PublishKind::Mastodon, &text, None, false).limit,
        500
    );
    assert!(fits(PublishKind::Mastodon, &text, None, false).is_err());
    let big = MastodonLimits::with_max_characters(1_000);
    assert!(fits(PublishKind::Mastodon, &text, Some(&big), false).is_ok());
    let short_urls = MastodonLimits {
        characters_reserved_per_url: 10,
        ..MastodonLimits::default()
    };
    assert_eq!(
        measure(
            PublishKind::Mastodon,
            "https://musterstadt.de/lang",
            Some(&short_urls),
            false
        )
        .used,
        10
    );
}

#[test]
fn bluesky_can_exceed_graphemes_and_bytes_at_once() {
    // 301 family emoji: 301 graphemes, 18 bytes each.
    let text = "👨‍👩‍👧".repeat(301);
    let exceeded = fits(PublishKind::Bluesky, &text, None, false).unwrap_err();
    let units: Vec<Unit> = exceeded.iter().map(|m| m.unit).collect();
    assert_eq!(units, [Unit::Graphemes, Unit::Bytes]);
    assert_eq!(exceeded[0].describe_de(), "301 von 300 Graphemen");
    assert_eq!(
        exceeded[1].describe_en(),
        format!("{} of 3000 bytes", 301 * 18)
    );

    // 200 emoji: within 300 graphemes, but 3,600 bytes.
    let text = "👨‍👩‍👧".repeat(200);
    let exceeded = fits(PublishKind::Bluesky, &text, None, false).unwrap_err();
    assert_eq!(exceeded.len(), 1);
    assert_eq!(exceeded[0].unit, Unit::Bytes);

    assert!(fits(PublishKind::Bluesky, &"ä".repeat(300), None, false).is_ok());
    assert!(fits(PublishKind::Bluesky, &"ä".repeat(301), None, false).is_err());
}

#[test]
fn x_weights_latin_1_cjk_and_emoji_2_links_23() {
    assert_eq!(used(PublishKind::X, "Grüße aus Köln"), 14);
    assert_eq!(used(PublishKind::X, "市役所"), 6);
    assert_eq!(used(PublishKind::X, "🎉"), 2);
    assert_eq!(used(PublishKind::X, "👨‍👩‍👧"), 2);
    assert_eq!(used(PublishKind::X, "👍🏽"), 2);
    // German quotes and the dash are in the weight-1 ranges, the ellipsis U+2026 is not.
    assert_eq!(used(PublishKind::X, "„Zitat“ – Gedankenstrich"), 24);
    assert_eq!(used(PublishKind::X, "…"), 2);
    assert_eq!(
        used(
            PublishKind::X,
            "https://musterstadt.de/sehr/lange/adresse/die/nicht/zaehlt"
        ),
        23
    );
    assert_eq!(used(PublishKind::X, "Mehr: https://a.de"), 6 + 23);
    // A bare domain may become a link on X: it counts at least 23.
    assert_eq!(used(PublishKind::X, "musterstadt.de"), 23);
    assert_eq!(used(PublishKind::X, "z.B. am Montag"), 14);
    assert_eq!(used(PublishKind::X, "info@musterstadt.de"), 19);
    let limit = measure(PublishKind::X, "", None, false);
    assert_eq!((limit.limit, limit.unit), (280, Unit::WeightedCharacters));
    assert!(fits(PublishKind::X, &"a".repeat(280), None, false).is_ok());
    assert!(fits(PublishKind::X, &"市".repeat(141), None, false).is_err());
}

#[test]
fn telegram_caption_is_shorter_with_media() {
    let text = "a".repeat(2_000);
    assert!(fits(PublishKind::TelegramChannel, &text, None, false).is_ok());
    let exceeded = fits(PublishKind::TelegramChannel, &text, None, true).unwrap_err();
    assert_eq!(exceeded[0].describe_de(), "2000 von 1024 Zeichen");
    assert!(fits(
        PublishKind::TelegramChannel,
        &"a".repeat(4_097),
        None,
        false
    )
    .is_err());
}

#[test]
fn instagram_limits_caption_hashtags_and_mentions() {
    assert!(fits(PublishKind::Instagram, &"a".repeat(2_200), None, true).is_ok());
    assert!(fits(PublishKind::Instagram, &"a".repeat(2_201), None, true).is_err());
    let tags: Vec<String> = (0..31).map(|i| format!("#Tag{i}")).collect();
    let exceeded = fits(PublishKind::Instagram, &tags.join(" "), None, true).unwrap_err();
    assert_eq!(exceeded[0].unit, Unit::Hashtags);
    assert_eq!(exceeded[0].describe_de(), "31 von 30 Hashtags");
    let mentions: Vec<String> = (0..21).map(|i| format!("@konto{i}")).collect();
    let exceeded = fits(PublishKind::Instagram, &mentions.join(" "), None, true).unwrap_err();
    assert_eq!(exceeded[0].describe_de(), "21 von 20 Erwähnungen");
}

#[test]
fn facebook_counts_utf16() {
    assert_eq!(used(PublishKind::FacebookPage, "ä🎉"), 3);
    assert!(fits(PublishKind::FacebookPage, &"a".repeat(63_206), None, false).is_ok());
    assert!(fits(PublishKind::FacebookPage, &"a".repeat(63_207), None, false).is_err());
}

#[test]
fn remaining_goes_negative() {
    let m = measure(PublishKind::Bluesky, &"a".repeat(310), None, false);
    assert_eq!(m.remaining(), -10);
    assert!(m.exceeded());
}

proptest! {
    #[test]
    fn bluesky_measures_graphemes_and_bytes(text in "\\PC{0,400}") {
        let ms = measures(PublishKind::Bluesky, &text, None, false);
        prop_assert_eq!(ms[0].used, grapheme_count(&text));
        prop_assert_eq!(ms[1].used, text.len());
        let exceeded = fits(PublishKind::Bluesky, &text, None, false).err().unwrap_or_default();
        prop_assert_eq!(exceeded.len(), ms.iter().filter(|m| m.exceeded()).count());
    }

    #[test]
    fn x_weight_is_between_graphemes_and_twice_the_code_points(text in "[^./:@]{0,200}") {
        let w = used(PublishKind::X, &text);
        prop_assert!(w >= grapheme_count(&text));
        prop_assert!(w <= 2 * text.chars().count());
    }

    #[test]
    fn x_weight_of_plain_latin_is_its_length(text in "[a-zA-Z0-9äöüÄÖÜß ,!?-]{0,300}") {
        prop_assert_eq!(used(PublishKind::X, &text), text.chars().count());
    }

    #[test]
    fn a_link_costs_the_same_whatever_its_length(path in "[a-z0-9/_-]{0,200}") {
        let text = format!("Neu: https://musterstadt.de/{path}");
        prop_assert_eq!(used(PublishKind::Mastodon, &text), 5 + 23);
        prop_assert_eq!(used(PublishKind::X, &text), 5 + 23);
    }
}
