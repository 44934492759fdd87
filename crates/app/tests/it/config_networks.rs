//! `[[municipality.bluesky]]`, `[[municipality.facebook_page]]`, `[[municipality.instagram]]` and `[[municipality.x]]` as an admin writes them: defaults, own API bases, secrets from files, clear errors, and an adapter for each.

use rathaus::config::Config;
use rathaus_channels::publish::{publisher, NetworkConfig};

fn load(toml: &str) -> anyhow::Result<Config> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rathaus.toml");
    std::fs::write(&path, toml).unwrap();
    Config::load_with_env(Some(&path), &[])
}

#[test]
fn the_four_networks_load_with_defaults_own_api_bases_and_secrets_from_files() {
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("fb-token");
    std::fs::write(&token_file, "EAAG-page-token-from-file\n").unwrap();
    let password_file = dir.path().join("bsky-app-password");
    std::fs::write(&password_file, "abcd-efgh-ijkl-mnop\n").unwrap();
    let config = load(&format!(
        r#"
[[municipality]]
slug = "musterstadt"
name = "Musterstadt"

[[municipality.bluesky]]
handle = "musterstadt.bsky.social"
app_password_file = "{}"

[[municipality.facebook_page]]
name = "facebook"
page_id = "104123"
access_token_file = "{}"
api_base = "http://127.0.0.1:4010"

[[municipality.instagram]]
user_id = "17841400000000000"
access_token = "EAAG-instagram"
api_version = "v24.0"

[[municipality.x]]
access_token = "x-user-token"
"#,
        password_file.display(),
        token_file.display()
    ))
    .unwrap();
    let tenants = config.tenants().unwrap();
    let networks = &tenants[0].networks;
    let names: Vec<String> = networks.iter().map(NetworkConfig::name).collect();
    assert_eq!(names, ["bluesky", "facebook", "instagram", "x"]);
    for n in networks {
        match n {
            NetworkConfig::Bluesky(c) => {
                assert_eq!(c.pds, "https://bsky.social");
                assert_eq!(c.handle, "musterstadt.bsky.social");
                assert_eq!(c.app_password, "abcd-efgh-ijkl-mnop");
            }
            NetworkConfig::FacebookPage(c) => {
                assert_eq!(
                    c.access_token, "EAAG-page-token-from-file",
                    "newline trimmed"
                );
                assert_eq!(c.api_base, "http://127.0.0.1:4010");
                assert_eq!(c.api_version, "v23.0");
            }
            NetworkConfig::Instagram(c) => {
                assert_eq!(c.api_base, "https://graph.facebook.com");
                assert_eq!(c.api_version, "v24.0");
            }
            NetworkConfig::X(c) => assert_eq!(c.api_base, "https://api.x.com"),
            other => panic!("unexpected {other:?}"),
        }
        // Every one of them has an adapter: none stays "not connected".
        let stage = std::sync::Arc::new(rathaus_channels::staging::StagedMedia::default());
        let adapter = publisher(
            n,
            reqwest::Client::new(),
            "https://rathaus.musterstadt.de",
            stage,
        );
        assert_eq!(adapter.map(|a| a.kind()), Some(n.kind()));
    }
    let debug = format!("{config:?} {networks:?}");
    for secret in [
        "abcd-efgh-ijkl-mnop",
        "EAAG-page-token-from-file",
        "EAAG-instagram",
        "x-user-token",
    ] {
        assert!(!debug.contains(secret), "{secret} in Debug output");
    }
}

#[test]
fn a_missing_or_misspelt_key_names_the_table() {
    let err = load(
        "[[municipality]]\nslug = \"m\"\nname = \"M\"\n[[municipality.bluesky]]\napp_password = \"x\"\n",
    )
    .and_then(|c| c.tenants())
    .unwrap_err();
    let text = format!("{err:#}");
    assert!(
        text.contains("bluesky") && text.contains("handle"),
        "{text}"
    );

    let err = load(
        "[[municipality]]\nslug = \"m\"\nname = \"M\"\n[[municipality.instagram]]\nuser_id = \"1\"\naccess_token = \"t\"\napi_bse = \"http://x\"\n",
    )
    .and_then(|c| c.tenants())
    .unwrap_err();
    let text = format!("{err:#}");
    assert!(
        text.contains("instagram") && text.contains("api_bse"),
        "{text}"
    );
}
