//! Publishing network channels added in the admin UI on both backends: added once per name and
//! municipality with their secret sealed, changed, removed with their secret, each raising the
//! settings version; posts keep their results for a removed channel.

use rathaus_store::NetworkChannelInput;

use crate::backends::{self, author, hallo_post, municipality, raw_column};

const T0: i64 = 1_790_000_000_000;
const TOKEN: &str = "mastodon-klartext-geheim-7f3a";

fn mastodon<'a>(
    m: i64,
    name: &'a str,
    fields: &'a str,
    secret: Option<&'a str>,
) -> NetworkChannelInput<'a> {
    NetworkChannelInput {
        municipality_id: m,
        name,
        kind: "mastodon",
        fields_json: fields,
        profile_url: Some("https://bawü.social/@musterstadt"),
        secrets: secret.map(|s| ("access_token", s)).into_iter().collect(),
    }
}

async fn stored_bytes(b: &backends::TestStore) -> Vec<Vec<u8>> {
    let texts: Vec<String> =
        raw_column(b, "SELECT CAST(fields_json AS TEXT) FROM network_channels").await;
    let sealed: Vec<Vec<u8>> = raw_column(b, "SELECT sealed FROM network_secrets").await;
    texts
        .into_iter()
        .map(String::into_bytes)
        .chain(sealed)
        .collect()
}

#[tokio::test]
async fn network_channels_are_added_once_changed_and_removed_with_their_sealed_secret() {
    for b in backends::all().await {
        let s = &b.store;
        let m = municipality(s, "musterstadt", "Musterstadt").await;
        let other = municipality(s, "beispieldorf", "Beispieldorf").await;
        let v0 = s.settings_version().await.unwrap();
        let fields = r#"{"instance":"https://bawü.social"}"#;
        assert!(s
            .add_network_channel(
                &mastodon(m, "social", fields, Some(TOKEN)),
                "staff:1 a@x",
                T0
            )
            .await
            .unwrap());
        // The same name again in this municipality: refused, nothing changes.
        assert!(!s
            .add_network_channel(
                &mastodon(
                    m,
                    "social",
                    r#"{"instance":"https://other.example"}"#,
                    Some("other-1111")
                ),
                "staff:2 b@x",
                T0 + 1,
            )
            .await
            .unwrap());
        // The same name in another municipality is its own channel.
        assert!(s
            .add_network_channel(
                &mastodon(other, "social", fields, Some("dorf-2222")),
                "staff:3 c@x",
                T0
            )
            .await
            .unwrap());
        assert_eq!(s.settings_version().await.unwrap(), v0 + 2, "{}", b.name);

        let all = s.network_channels().await.unwrap();
        assert_eq!(all.len(), 2, "{}", b.name);
        let mine = all.iter().find(|c| c.municipality_id == m).unwrap();
        assert_eq!(
            (
                mine.slug.as_str(),
                mine.name.as_str(),
                mine.kind.as_str(),
                mine.fields_json.as_str()
            ),
            ("musterstadt", "social", "mastodon", fields),
            "{}",
            b.name
        );
        assert_eq!(
            mine.profile_url.as_deref(),
            Some("https://bawü.social/@musterstadt")
        );
        assert_eq!(
            (mine.created_by.as_str(), mine.created_at),
            ("staff:1 a@x", T0)
        );
        let secret = |all: Vec<rathaus_store::NetworkSecret>, m: i64| {
            all.into_iter()
                .find(|n| n.municipality_id == m && n.channel_name == "social")
                .map(|n| n.value)
        };
        assert_eq!(
            secret(s.network_secrets().await.unwrap(), m).as_deref(),
            Some(TOKEN)
        );

        // Sealed at rest: neither the fields nor the secret column hold the token.
        let bytes = stored_bytes(&b).await;
        assert!(!bytes.is_empty());
        assert!(
            bytes
                .iter()
                .all(|v| !v.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes())),
            "{}: the token is stored in plaintext",
            b.name
        );

        // A change keeps the secret unless a new one is given; the kind must match.
        let changed = r#"{"instance":"https://neu.example"}"#;
        assert!(s
            .change_network_channel(&mastodon(m, "social", changed, None), "staff:2 b@x", T0 + 5)
            .await
            .unwrap());
        let mut wrong_kind = mastodon(m, "social", changed, None);
        wrong_kind.kind = "bluesky";
        assert!(!s
            .change_network_channel(&wrong_kind, "staff:2 b@x", T0 + 6)
            .await
            .unwrap());
        assert!(!s
            .change_network_channel(
                &mastodon(m, "gibtsnicht", changed, None),
                "staff:2 b@x",
                T0 + 6
            )
            .await
            .unwrap());
        let all = s.network_channels().await.unwrap();
        let mine = all.iter().find(|c| c.municipality_id == m).unwrap();
        assert_eq!(mine.fields_json, changed);
        assert_eq!(
            (mine.changed_by.as_str(), mine.changed_at),
            ("staff:2 b@x", T0 + 5)
        );
        assert_eq!(
            secret(s.network_secrets().await.unwrap(), m).as_deref(),
            Some(TOKEN)
        );
        s.change_network_channel(
            &mastodon(m, "social", changed, Some("neu-3333")),
            "staff:2 b@x",
            T0 + 7,
        )
        .await
        .unwrap();
        assert_eq!(
            secret(s.network_secrets().await.unwrap(), m).as_deref(),
            Some("neu-3333")
        );
        assert_eq!(s.settings_version().await.unwrap(), v0 + 4, "{}", b.name);

        // A post published to the channel keeps its result after the channel is removed.
        let author = author(s, m).await;
        let post = hallo_post(s, m, author, &[("social", "mastodon")], &[]).await;
        let url = "https://bawü.social/@musterstadt/1";
        s.set_publication(post, "social", "published", Some(url), None, T0 + 8)
            .await
            .unwrap();
        let removed = s.remove_network_channel(m, "social").await.unwrap();
        assert!(removed, "{}", b.name);
        assert!(!s.remove_network_channel(m, "social").await.unwrap());
        let all = s.network_channels().await.unwrap();
        assert_eq!(all.len(), 1, "{}", b.name);
        assert_eq!(all[0].municipality_id, other);
        assert_eq!(
            secret(s.network_secrets().await.unwrap(), m),
            None,
            "secret removed too"
        );
        assert_eq!(
            secret(s.network_secrets().await.unwrap(), other).as_deref(),
            Some("dorf-2222")
        );
        assert_eq!(s.settings_version().await.unwrap(), v0 + 5, "{}", b.name);
        // Several secrets (X: access and refresh token) are stored and removed together.
        let x = NetworkChannelInput {
            municipality_id: m,
            name: "x-konto",
            kind: "x",
            fields_json: r#"{"api_base":"https://api.x.com","client_id":"app"}"#,
            profile_url: None,
            secrets: vec![("access_token", "x-1111"), ("refresh_token", "r-2222")],
        };
        assert!(s.add_network_channel(&x, "staff:1 a@x", T0).await.unwrap());
        let names = |all: Vec<rathaus_store::NetworkSecret>| {
            let mut n: Vec<(String, String)> = all
                .into_iter()
                .filter(|s| s.channel_name == "x-konto")
                .map(|s| (s.name, s.value))
                .collect();
            n.sort();
            n
        };
        assert_eq!(
            names(s.network_secrets().await.unwrap()),
            vec![
                ("access_token".to_string(), "x-1111".to_string()),
                ("refresh_token".to_string(), "r-2222".to_string())
            ],
            "{}",
            b.name
        );
        assert!(s.remove_network_channel(m, "x-konto").await.unwrap());
        assert!(names(s.network_secrets().await.unwrap()).is_empty());
        let kept = s.publications(post).await.unwrap();
        assert_eq!(kept.len(), 1, "{}", b.name);
        assert_eq!(
            (
                kept[0].channel.as_str(),
                kept[0].status.as_str(),
                kept[0].url.as_deref()
            ),
            ("social", "published", Some(url))
        );
    }
}
