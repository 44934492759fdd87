//! Settings edited in the admin UI on both backends: overrides with their version, sealed channel
//! credentials that never reach the database in plaintext, and the configuration-file hash.

use rathaus_domain::ChannelKind;

use crate::backends::{self, municipality, raw_column};

const T0: i64 = 1_790_000_000_000;
const TOKEN: &str = "EAAGm0PX4ZCpsBAKlartext-geheim-9f3c";

#[tokio::test]
async fn overrides_raise_the_version_and_replace_each_other() {
    for b in backends::all().await {
        let s = &b.store;
        let m = municipality(s, "musterstadt", "Musterstadt").await;
        let v0 = s.settings_version().await.unwrap();
        s.save_settings_override(
            m,
            "office_hours",
            r#"{"mon":["08:00-12:00"]}"#,
            "staff:1 a@x",
            T0,
        )
        .await
        .unwrap();
        s.save_settings_override(
            m,
            "office_hours",
            r#"{"mon":["09:00-12:00"]}"#,
            "staff:2 b@x",
            T0 + 1,
        )
        .await
        .unwrap();
        let all = s.settings_overrides().await.unwrap();
        assert_eq!(all.len(), 1, "{}", b.name);
        assert_eq!(all[0].slug, "musterstadt");
        assert_eq!(all[0].value_json, r#"{"mon":["09:00-12:00"]}"#);
        assert_eq!(all[0].changed_by, "staff:2 b@x");
        let v2 = s.settings_version().await.unwrap();
        assert_eq!(v2, v0 + 2, "{}", b.name);
        assert!(s.remove_settings_override(m, "office_hours").await.unwrap());
        assert!(!s.remove_settings_override(m, "office_hours").await.unwrap());
        assert!(s.settings_overrides().await.unwrap().is_empty());
        assert_eq!(s.settings_version().await.unwrap(), v2 + 1, "{}", b.name);
    }
}

#[tokio::test]
async fn channel_secrets_are_sealed_and_shown_as_last_four() {
    for b in backends::all().await {
        let s = &b.store;
        let m = municipality(s, "musterstadt", "Musterstadt").await;
        let ch = s
            .ensure_channel(m, ChannelKind::WhatsApp, "whatsapp", "1001", T0)
            .await
            .unwrap()
            .id;
        let v0 = s.settings_version().await.unwrap();
        s.save_channel_secret(ch, "access_token", "old-token-1234", "staff:1 a@x", T0)
            .await
            .unwrap();
        s.save_channel_secret(ch, "access_token", TOKEN, "staff:1 a@x", T0 + 1)
            .await
            .unwrap();
        assert_eq!(s.settings_version().await.unwrap(), v0 + 2);
        let all = s.channel_secrets().await.unwrap();
        assert_eq!(all.len(), 1, "{}", b.name);
        assert_eq!(all[0].value, TOKEN);
        assert_eq!(all[0].external_id, "1001");
        assert_eq!(all[0].kind, "whatsapp");
        assert_eq!(all[0].last4(), "9f3c");
        assert!(!format!("{:?}", all[0]).contains(TOKEN));
        let sealed: Vec<u8> = raw_column(&b, "SELECT sealed FROM channel_secrets")
            .await
            .into_iter()
            .next()
            .unwrap();
        assert!(
            !sealed.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()),
            "{}: the stored value is the plaintext",
            b.name
        );
    }
}

#[tokio::test]
async fn network_secrets_are_sealed_per_municipality_and_channel_name() {
    for b in backends::all().await {
        let s = &b.store;
        let m = municipality(s, "musterstadt", "Musterstadt").await;
        let other = municipality(s, "beispieldorf", "Beispieldorf").await;
        let v0 = s.settings_version().await.unwrap();
        s.save_network_secret(m, "mastodon", "access_token", "old-1234", "staff:1 a@x", T0)
            .await
            .unwrap();
        s.save_network_secret(m, "mastodon", "access_token", TOKEN, "staff:1 a@x", T0 + 1)
            .await
            .unwrap();
        s.save_network_secret(
            other,
            "mastodon",
            "access_token",
            "dorf-5678",
            "staff:2 b@x",
            T0,
        )
        .await
        .unwrap();
        assert_eq!(s.settings_version().await.unwrap(), v0 + 3, "{}", b.name);
        let all = s.network_secrets().await.unwrap();
        assert_eq!(all.len(), 2, "{}", b.name);
        let mine = all.iter().find(|n| n.municipality_id == m).unwrap();
        assert_eq!(
            (
                mine.slug.as_str(),
                mine.channel_name.as_str(),
                mine.name.as_str()
            ),
            ("musterstadt", "mastodon", "access_token")
        );
        assert_eq!(mine.value, TOKEN);
        assert_eq!(mine.last4(), "9f3c");
        assert!(!format!("{mine:?}").contains(TOKEN));
        let sealed: Vec<Vec<u8>> = raw_column(&b, "SELECT sealed FROM network_secrets").await;
        assert!(
            sealed
                .iter()
                .all(|v| !v.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes())),
            "{}: a stored value is the plaintext",
            b.name
        );
    }
}

#[tokio::test]
async fn sqlite_file_never_holds_a_channel_secret_in_plaintext() {
    let b = backends::sqlite().await;
    let s = &b.store;
    let m = municipality(s, "musterstadt", "Musterstadt").await;
    let ch = s
        .ensure_channel(m, ChannelKind::Telegram, "bot", "bot", T0)
        .await
        .unwrap()
        .id;
    s.save_channel_secret(ch, "bot_token", TOKEN, "staff:1 a@x", T0)
        .await
        .unwrap();
    s.close().await;
    let path = b.url.trim_start_matches("sqlite://");
    for file in [path.to_string(), format!("{path}-wal")] {
        if let Ok(bytes) = std::fs::read(&file) {
            assert!(
                !bytes.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()),
                "{file} contains the token in plaintext"
            );
        }
    }
}

#[tokio::test]
async fn config_file_hash_reports_the_one_seen_before() {
    for b in backends::all().await {
        let s = &b.store;
        assert_eq!(s.record_config_file_hash("aaa").await.unwrap(), None);
        assert_eq!(
            s.record_config_file_hash("aaa").await.unwrap().as_deref(),
            Some("aaa")
        );
        assert_eq!(
            s.record_config_file_hash("bbb").await.unwrap().as_deref(),
            Some("aaa")
        );
    }
}
