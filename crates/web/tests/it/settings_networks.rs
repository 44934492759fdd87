//! Publishing network channels added in the admin UI: a Mastodon account added on /admin/kanaele is
//! offered by the composer at once and gets the next post with the token entered (sealed at rest);
//! refusals name the field and save nothing; admins only; audited without values; removal keeps the
//! post's earlier result and ends a queued job with a note.

use rathaus_channels::fake_mastodon::{FakeMastodonTelegram, MASTODON_TOKEN};
use rathaus_hub::RegistryHandle;
use rathaus_store::{now_ms, AuditFilter};
use serde_json::{json, Value};

use crate::harness::{header, start_with, App};
use crate::publishing::send;
use crate::publishing_networks::{
    approve, channel, compose_and_submit, editors, post, settle_channel, worker, Editors,
};

/// A submitted form: (field, value) pairs.
type Form<'a> = &'a [(&'a str, &'a str)];

/// Runs a fresh worker until `channel` of post `id` is no longer pending or sending.
async fn settle(app: &App, e: &Editors, id: i64, channel: &str) -> Value {
    settle_channel(app, e, &worker(app), id, channel).await
}

#[tokio::test]
async fn a_mastodon_channel_added_in_the_ui_is_offered_at_once_and_gets_the_next_post() {
    let fake = FakeMastodonTelegram::start().await.unwrap();
    // No publishing channel in the configuration file at all.
    let app = start_with("http://127.0.0.1", |_| {}).await;
    let cookie = app.admin_cookie().await;
    let e = editors(&app).await;
    let editor = app.login("redaktion@musterstadt.de").await;
    let (_, composer) = app.get_page(&editor, "/beitraege/neu").await;
    assert!(!composer.contains("value=\"stadtsocial\""));

    let (status, page) = app.get_page(&cookie, "/admin/kanaele").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("href=\"/admin/kanaele/neu/mastodon\""),
        "{page}"
    );
    let (status, form) = app.get_page(&cookie, "/admin/kanaele/neu/mastodon").await;
    assert_eq!(status, 200);
    assert!(form.contains("name=\"instance\"") && form.contains("name=\"access_token\""));

    // Another process (a separate worker) on the same database.
    let other_process = RegistryHandle::build(
        &app.store,
        app.registry.file_configs(),
        reqwest::Client::new(),
        now_ms(),
        "http://127.0.0.1",
    )
    .await
    .unwrap();
    let base = fake.base_url();
    let res = app
        .post_form(
            &cookie,
            "/admin/kanaele/neu/mastodon",
            &[
                ("name", "stadtsocial"),
                ("instance", base.as_str()),
                ("profile_url", "https://bawü.social/@musterstadt"),
                ("access_token", MASTODON_TOKEN),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303, "{}", res.text().await.unwrap());
    assert_eq!(
        header(res.headers(), "location"),
        "/admin/kanaele?msg=added"
    );
    let (_, page) = app.get_page(&cookie, "/admin/kanaele?msg=added").await;
    assert!(
        page.contains("href=\"/admin/kanaele/netzwerk/stadtsocial\""),
        "{page}"
    );
    assert!(page.contains("in der Verwaltung angelegt"), "{page}");
    assert!(!page.contains(MASTODON_TOKEN));
    let (status, edit) = app
        .get_page(&cookie, "/admin/kanaele/netzwerk/stadtsocial")
        .await;
    assert_eq!(status, 200);
    let last4 = &MASTODON_TOKEN[MASTODON_TOKEN.len() - 4..];
    assert!(edit.contains(&format!("…{last4}")), "{edit}");
    assert!(!edit.contains(MASTODON_TOKEN));
    assert!(edit.contains(&format!("value=\"{base}\"")), "{edit}");

    // The other process picks it up on its next check of the settings version, without a restart.
    assert!(other_process.refresh_if_changed(now_ms()).await.unwrap());
    let seen = other_process.current();
    assert!(seen
        .tenant(app.a)
        .unwrap()
        .publishers
        .get("stadtsocial")
        .is_some());

    // The composer offers the channel right away, and the public directory links its profile.
    let (_, composer) = app.get_page(&editor, "/beitraege/neu").await;
    assert!(
        composer.contains("name=\"channel\" value=\"stadtsocial\""),
        "{composer}"
    );
    let directory = app.public_text("/musterstadt/kanaele").await;
    assert!(
        directory.contains("https://bawü.social/@musterstadt"),
        "{directory}"
    );

    // Published to the fake instance with the token entered in the form.
    let id = compose_and_submit(&app, &e, "Neuer Kanal im Einsatz.", &[], &["stadtsocial"]).await;
    approve(&app, &e, id).await;
    let r = settle(&app, &e, id, "stadtsocial").await;
    assert_eq!(r["status"], json!("published"), "{r}");
    let statuses: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path == "/api/v1/statuses")
        .collect();
    assert_eq!(statuses.len(), 1);
    assert_eq!(
        statuses[0].authorization.as_deref(),
        Some(format!("Bearer {MASTODON_TOKEN}").as_str())
    );

    // Sealed at rest; audited by name, never by value.
    let holding = app.files_holding(MASTODON_TOKEN);
    assert!(
        holding.is_empty(),
        "{holding:?} hold the secret in plaintext"
    );
    assert_eq!(
        app.audit_rows("channel.").await,
        vec![(
            "channel.added".to_string(),
            "network:stadtsocial".to_string(),
            "kind=mastodon".to_string()
        )]
    );

    // Changing the instance address is audited with the field's name only.
    let other = format!("{base}/");
    let res = app
        .post_form(
            &cookie,
            "/admin/kanaele/netzwerk/stadtsocial",
            &[("instance", other.as_str()), ("access_token", "")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let entries = app.audit_rows("channel.").await;
    assert_eq!(
        entries.first().unwrap(), // newest first,
        &(
            "channel.changed".to_string(),
            "network:stadtsocial".to_string(),
            "kind=mastodon; changed=instance,profile_url".to_string()
        )
    );

    // Removed: the post keeps its earlier result, the composer no longer offers the channel.
    let url = r["url"].as_str().unwrap().to_string();
    let res = app
        .post_form(
            &cookie,
            "/admin/kanaele/netzwerk/stadtsocial/entfernen",
            &[],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(
        header(res.headers(), "location"),
        "/admin/kanaele?msg=removed"
    );
    assert!(app.store.network_channels().await.unwrap().is_empty());
    assert!(app.store.network_secrets().await.unwrap().is_empty());
    let kept = channel(&post(&app, &e, id).await, "stadtsocial").clone();
    assert_eq!(kept["status"], json!("published"));
    assert_eq!(kept["url"], json!(url));
    let (_, shown) = app.get_page(&editor, &format!("/beitraege/{id}")).await;
    assert!(shown.contains(&url), "{shown}");
    let (_, composer) = app.get_page(&editor, "/beitraege/neu").await;
    assert!(!composer.contains("value=\"stadtsocial\""));
    assert_eq!(
        app.audit_rows("channel.").await.first().unwrap().0,
        "channel.removed".to_string()
    );
    let all = format!(
        "{:?}",
        app.store
            .audit_entries(app.a, &AuditFilter::default())
            .await
            .unwrap()
    );
    assert!(!all.contains(MASTODON_TOKEN));
}

#[tokio::test]
async fn invalid_channel_input_is_refused_next_to_its_field_and_nothing_is_saved() {
    let app = start_with("http://127.0.0.1", |_| {}).await;
    let cookie = app.admin_cookie().await;
    let path = "/admin/kanaele/neu/mastodon";
    let cases: [(Form<'_>, &str, &str); 5] = [
        (
            &[
                ("name", "social"),
                ("instance", "bawü.social"),
                ("access_token", "t-1234"),
            ],
            "instance",
            "Bitte eine Webadresse angeben, die mit https:// (oder http://) beginnt.",
        ),
        (
            &[
                ("name", "social"),
                ("instance", "https://bawü.social"),
                ("access_token", ""),
            ],
            "access_token",
            "Bitte ausfüllen.",
        ),
        // The municipality's WhatsApp channel already has this name.
        (
            &[
                ("name", "whatsapp"),
                ("instance", "https://bawü.social"),
                ("access_token", "t-1234"),
            ],
            "name",
            "Diesen Namen trägt schon ein anderer Kanal dieser Kommune.",
        ),
        (
            &[
                ("name", "website"),
                ("instance", "https://bawü.social"),
                ("access_token", "t-1234"),
            ],
            "name",
            "ist die eigene Nachrichtenseite",
        ),
        (
            &[
                ("name", "social"),
                ("instance", "https://bawü.social"),
                ("access_token", "t-1234"),
                ("profile_url", "javascript:alert(1)"),
            ],
            "profile_url",
            "Bitte eine Webadresse angeben",
        ),
    ];
    for (form, field, message) in cases {
        let res = app.post_form(&cookie, path, form).await;
        assert_eq!(res.status().as_u16(), 422, "{field}");
        let html = res.text().await.unwrap();
        let at = html
            .find(&format!("id=\"e-{field}\""))
            .unwrap_or_else(|| panic!("no error next to {field}: {html}"));
        assert!(
            html[at..].split("</p>").next().unwrap().contains(message),
            "{field}: {html}"
        );
        assert!(html.contains("aria-invalid=\"true\""));
        assert!(html.contains("Es wurde nichts gespeichert."));
        assert!(!html.contains("t-1234"), "a secret is never echoed");
    }
    // A Telegram channel: the chat must be @name or a numeric id.
    let res = app
        .post_form(
            &cookie,
            "/admin/kanaele/neu/telegram_channel",
            &[
                ("name", "kanal"),
                ("chat", "musterstadt"),
                ("bot_token", "1:abc"),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 422);
    assert!(res.text().await.unwrap().contains("id=\"e-chat\""));
    assert!(app.store.network_channels().await.unwrap().is_empty());
    assert!(app.store.network_secrets().await.unwrap().is_empty());
    assert!(app.audit_rows("channel.").await.is_empty());

    // A name taken by a channel added a moment ago is refused too.
    let ok = [
        ("name", "social"),
        ("instance", "https://bawü.social"),
        ("access_token", "t-1234"),
    ];
    assert_eq!(
        app.post_form(&cookie, path, &ok).await.status().as_u16(),
        303
    );
    let res = app
        .post_form(
            &cookie,
            "/admin/kanaele/neu/x",
            &[("name", "social"), ("access_token", "x-5678")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 422);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Diesen Namen trägt schon"));
    assert_eq!(app.store.network_channels().await.unwrap().len(), 1);

    // X: a refresh token needs the app's client id (the file's check_renewal); together they are
    // stored sealed and reach the channel.
    let x = [
        ("name", "x-konto"),
        ("access_token", "x-1111"),
        ("refresh_token", "r-2222"),
    ];
    let res = app.post_form(&cookie, "/admin/kanaele/neu/x", &x).await;
    assert_eq!(res.status().as_u16(), 422);
    let html = res.text().await.unwrap();
    let at = html.find("id=\"e-client_id\"").expect("error at client_id");
    assert!(html[at..].contains("gehören zusammen"), "{html}");
    let mut with_id = x.to_vec();
    with_id.push(("client_id", "app-id"));
    let res = app
        .post_form(&cookie, "/admin/kanaele/neu/x", &with_id)
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let mut names: Vec<String> = app
        .store
        .network_secrets()
        .await
        .unwrap()
        .into_iter()
        .filter(|s| s.channel_name == "x-konto")
        .map(|s| s.name)
        .collect();
    names.sort();
    assert_eq!(names, vec!["access_token", "refresh_token"]);
    let cfg = app.registry.effective_config("musterstadt").unwrap();
    let renewal = cfg.networks.iter().find_map(|n| match n {
        rathaus_channels::publish::NetworkConfig::X(x) => {
            Some((x.refresh_token.clone(), x.client_id.clone()))
        }
        _ => None,
    });
    assert_eq!(
        renewal,
        Some((Some("r-2222".to_string()), Some("app-id".to_string())))
    );
    // An unknown network is not a form.
    assert_eq!(
        app.get_page(&cookie, "/admin/kanaele/neu/myspace").await.0,
        404
    );
}

#[tokio::test]
async fn only_admins_may_add_change_or_remove_network_channels() {
    let app = start_with("http://127.0.0.1", |_| {}).await;
    let cookie = app.admin_cookie().await;
    let ok = [
        ("name", "social"),
        ("instance", "https://bawü.social"),
        ("access_token", "t-1234"),
    ];
    assert_eq!(
        app.post_form(&cookie, "/admin/kanaele/neu/mastodon", &ok)
            .await
            .status()
            .as_u16(),
        303
    );
    for (email, c) in app.non_admin_cookies().await {
        for path in [
            "/admin/kanaele/neu/mastodon",
            "/admin/kanaele/netzwerk/social",
        ] {
            assert_eq!(app.get_page(&c, path).await.0, 403, "{email} GET {path}");
        }
        let other = [
            ("name", "zweit"),
            ("instance", "https://evil.example"),
            ("access_token", "t-9999"),
        ];
        for (path, form) in [
            ("/admin/kanaele/neu/mastodon", &other[..]),
            ("/admin/kanaele/netzwerk/social", &other[1..]),
            ("/admin/kanaele/netzwerk/social/entfernen", &[][..]),
        ] {
            let res = app.post_form(&c, path, form).await;
            assert_eq!(res.status().as_u16(), 403, "{email} POST {path}");
        }
    }
    let stored = app.store.network_channels().await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored[0].fields_json,
        r#"{"instance":"https://bawü.social"}"#
    );
    assert_eq!(app.audit_rows("channel.").await.len(), 1);
}

#[tokio::test]
async fn a_queued_post_for_a_removed_channel_ends_with_a_note_and_the_others_go_out() {
    let fake = FakeMastodonTelegram::start().await.unwrap();
    let app = start_with("http://127.0.0.1", |_| {}).await;
    let cookie = app.admin_cookie().await;
    let e = editors(&app).await;
    let base = fake.base_url();
    for name in ["erst", "zweit"] {
        let res = app
            .post_form(
                &cookie,
                "/admin/kanaele/neu/mastodon",
                &[
                    ("name", name),
                    ("instance", base.as_str()),
                    ("access_token", MASTODON_TOKEN),
                ],
            )
            .await;
        assert_eq!(res.status().as_u16(), 303);
    }
    // Approved and queued, but no worker ran before the channel was removed; and one still waiting
    // for approval, approved after the removal.
    let id = compose_and_submit(&app, &e, "Bald entfernt.", &[], &["erst", "zweit"]).await;
    approve(&app, &e, id).await;
    let later = compose_and_submit(&app, &e, "Später freigegeben.", &[], &["erst", "zweit"]).await;
    let res = app
        .post_form(&cookie, "/admin/kanaele/netzwerk/erst/entfernen", &[])
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let gone = settle(&app, &e, id, "erst").await;
    let error = gone["error"].as_str().unwrap_or_default();
    assert!(error.contains("entfernt"), "{gone}");
    let kept = settle(&app, &e, id, "zweit").await;
    assert_eq!(kept["status"], json!("published"), "{kept}");
    assert_eq!(fake.statuses().len(), 1);

    approve(&app, &e, later).await;
    let gone = settle(&app, &e, later, "erst").await;
    assert_eq!(gone["status"], json!("failed"), "{gone}");
    assert!(
        gone["error"]
            .as_str()
            .unwrap_or_default()
            .contains("entfernt"),
        "{gone}"
    );
    assert_eq!(
        settle(&app, &e, later, "zweit").await["status"],
        json!("published")
    );
    assert_eq!(fake.statuses().len(), 2);
    // Both posts are finished (partly failed), none is left publishing.
    for post in [id, later] {
        let (_, v) = send(
            &app,
            &e.author,
            "GET",
            &format!("/api/v1/posts/{post}"),
            None,
        )
        .await;
        assert_eq!(v["status"], json!("partly_failed"), "{v}");
    }
}

/// The file wins: a channel stored from the admin UI whose name the file uses later (here: stored
/// directly, as the form refuses the name) stays out of force, and the list says so.
#[tokio::test]
async fn a_channel_whose_name_the_file_takes_later_stays_out_of_force_and_is_marked() {
    use rathaus_channels::publish::{MastodonConfig, NetworkConfig};
    use rathaus_domain::publishing::{ChannelTarget, PublishKind};
    use rathaus_store::NetworkChannelInput;

    let app = start_with("http://127.0.0.1", |c| {
        c[0].settings
            .publishing
            .channels
            .push(ChannelTarget::new("social", PublishKind::Mastodon));
        c[0].networks = vec![NetworkConfig::Mastodon(MastodonConfig {
            name: Some("social".into()),
            instance: "https://datei.example".into(),
            access_token: "file-token".into(),
            timeout_secs: None,
        })];
    })
    .await;
    let cookie = app.admin_cookie().await;
    let stored = NetworkChannelInput {
        municipality_id: app.a,
        name: "social",
        kind: "mastodon",
        fields_json: r#"{"instance":"https://verwaltung.example"}"#,
        profile_url: None,
        secrets: vec![("access_token", "ui-token")],
    };
    assert!(app
        .store
        .add_network_channel(&stored, "staff:1 chefin@musterstadt.de", now_ms())
        .await
        .unwrap());
    app.registry.reload(now_ms()).await.unwrap();
    let cfg = app.registry.effective_config("musterstadt").unwrap();
    let instances: Vec<String> = cfg
        .networks
        .iter()
        .filter_map(|n| match n {
            NetworkConfig::Mastodon(m) => Some(m.instance.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(instances, vec!["https://datei.example".to_string()]);
    let (_, page) = app.get_page(&cookie, "/admin/kanaele").await;
    assert!(page.contains("aus der Konfigurationsdatei"), "{page}");
    assert!(
        page.contains("nicht in Kraft: der Name ist in der Konfigurationsdatei vergeben"),
        "{page}"
    );
    // The form refuses the name in the first place.
    let res = app
        .post_form(
            &cookie,
            "/admin/kanaele/neu/mastodon",
            &[
                ("name", "social"),
                ("instance", "https://x.example"),
                ("access_token", "t-1234"),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 422);
}
