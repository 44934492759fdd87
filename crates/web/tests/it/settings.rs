//! Settings edited in the admin UI: applied at once without a restart (iCal feed, inbox due times),
//! seen by a second registry (another process), refused with the reason next to the field, admins
//! only, audited without values; channel credentials sealed and shown only as their last four.

use rathaus_domain::{InboundMessage, MessageContent, PlatformUser};
use rathaus_hub::{RegistryHandle, TenantConfig};
use rathaus_store::{now_ms, AuditFilter, Role};

use crate::harness::{header, start, App};

async fn ics(app: &App) -> String {
    app.public_text("/musterstadt/sprechstunden.ics").await
}

#[tokio::test]
async fn consultation_hours_edited_in_the_ui_are_in_the_ical_feed_at_once_and_audited() {
    let app = start().await;
    let cookie = app.admin_cookie().await;
    let (_, landing) = app.get_page(&cookie, "/admin").await;
    assert!(
        landing.contains("href=\"/admin/einstellungen\""),
        "{landing}"
    );
    assert!(landing.contains("href=\"/admin/kanaele\""));
    assert!(!ics(&app).await.contains("BEGIN:VEVENT"));

    let (status, page) = app
        .get_page(&cookie, "/admin/einstellungen/sprechstunden")
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("name=\"h0.rule\""), "{page}");
    let res = app
        .post_form(
            &cookie,
            "/admin/einstellungen/sprechstunden",
            &[
                ("h0.name", "Bürgermeister-Sprechstunde"),
                ("h0.channels", "whatsapp"),
                ("h0.rule", "FREQ=WEEKLY;BYDAY=TU"),
                ("h0.start", "14:00"),
                ("h0.end", "18:00"),
                ("h0.host", "buergermeister@musterstadt.de"),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(
        header(res.headers(), "location"),
        "/admin/einstellungen/sprechstunden?msg=saved"
    );
    // No restart: the very next request sees it.
    let feed = ics(&app).await;
    assert!(
        feed.contains("SUMMARY:Bürgermeister-Sprechstunde"),
        "{feed}"
    );
    assert!(feed.contains("DTSTART;TZID=Europe/Berlin:"), "{feed}");

    // The form shows the saved value and who changed it.
    let (_, page) = app
        .get_page(&cookie, "/admin/einstellungen/sprechstunden?msg=saved")
        .await;
    assert!(page.contains("value=\"FREQ=WEEKLY;BYDAY=TU\""), "{page}");
    assert!(page.contains("chefin@musterstadt.de"));
    let (_, overview) = app.get_page(&cookie, "/admin/einstellungen").await;
    assert!(overview.contains("chefin@musterstadt.de"), "{overview}");

    let entries = app.audit_rows("settings.").await;
    assert_eq!(
        entries,
        vec![(
            "settings.changed".to_string(),
            "settings:consultation_hours".to_string(),
            "section=consultation_hours".to_string()
        )]
    );
    assert!(!format!("{entries:?}").contains("FREQ"));

    // Reset: the configuration file (no consultation hours) applies again, at once.
    let res = app
        .post_form(
            &cookie,
            "/admin/einstellungen/sprechstunden/zuruecksetzen",
            &[],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert!(!ics(&app).await.contains("BEGIN:VEVENT"));
    assert_eq!(app.audit_rows("settings.reset").await.len(), 1);
}

/// A second registry on the same database stands for another process (a separate worker).
async fn second_process(app: &App) -> RegistryHandle {
    let file: Vec<TenantConfig> = app.registry.file_configs().to_vec();
    RegistryHandle::build(
        &app.store,
        &file,
        reqwest::Client::new(),
        now_ms(),
        "http://127.0.0.1",
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn office_hours_edited_in_the_ui_change_due_times_here_and_in_another_process() {
    let app = start().await;
    let cookie = app.admin_cookie().await;
    let other = second_process(&app).await;
    assert!(!other.refresh_if_changed(now_ms()).await.unwrap());

    // Open only on Sunday mornings: a message now is due within office time on a Sunday.
    let res = app
        .post_form(
            &cookie,
            "/admin/einstellungen/oeffnungszeiten",
            &[
                ("state", "ST"),
                ("sun", "09:00-10:00"),
                ("closed", "2026-12-24, 2026-12-31"),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let here = app.registry.current();
    let office = &here.tenant(app.a).unwrap().settings.office_hours;
    assert_eq!(office.sun, vec!["09:00-10:00"]);
    assert_eq!(office.closed, vec!["2026-12-24", "2026-12-31"]);

    // The other process notices the new settings version and rebuilds.
    assert!(other.refresh_if_changed(now_ms()).await.unwrap());
    assert!(!other.refresh_if_changed(now_ms()).await.unwrap());
    let theirs = other.current();
    let tenant = theirs.tenant(app.a).unwrap();
    assert_eq!(tenant.settings.office_hours.sun, vec!["09:00-10:00"]);

    // A concern filed there (as its worker does) is due on a Sunday morning; the inbox shows it.
    let now = now_ms();
    let promise = rathaus_hub::gate::promise_record(tenant, app.channel_a, now).unwrap();
    let due = jiff::Timestamp::from_millisecond(promise.due_at)
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::get("Europe/Berlin").unwrap());
    assert_eq!(due.weekday(), jiff::civil::Weekday::Sunday, "{due}");
    assert!((9..=10).contains(&due.hour()), "{due}");
    let (citizen, user) = app.citizen(app.a, "4915100000077").await;
    app.store
        .file_inbound_message_promised(
            &citizen,
            &InboundMessage {
                platform_message_id: "m-sunday".into(),
                sender: PlatformUser { ..user },
                sent_at_ms: now,
                content: MessageContent::Text {
                    body: "Wann ist geöffnet?".into(),
                },
            },
            Some(&promise),
            now,
        )
        .await
        .unwrap()
        .unwrap();
    let agent_cookie = {
        app.staff(app.a, "sb@musterstadt.de", Role::Agent).await;
        app.login("sb@musterstadt.de").await
    };
    let (_, inbox) = app.get_page(&agent_cookie, "/inbox").await;
    let iso = jiff::Timestamp::from_millisecond(promise.due_at)
        .unwrap()
        .round(jiff::Unit::Second)
        .unwrap()
        .to_string();
    assert!(
        inbox.contains(&format!("datetime=\"{iso}\"")),
        "{iso}\n{inbox}"
    );
}

#[tokio::test]
async fn invalid_input_is_refused_next_to_its_field_and_nothing_is_saved() {
    let app = start().await;
    let cookie = app.admin_cookie().await;
    let version = app.store.settings_version().await.unwrap();

    let res = app
        .post_form(
            &cookie,
            "/admin/einstellungen/oeffnungszeiten",
            &[("mon", "08:00-12:00, 13:00-12:00"), ("tue", "08:00-12:00")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains("id=\"e-mon\""), "{body}");
    assert!(
        body.contains("13:00-12:00&#39; ends before it starts")
            || body.contains("13:00-12:00' ends before it starts"),
        "{body}"
    );
    assert!(body.contains("nichts gespeichert"));
    // What was typed stays in the form.
    assert!(
        body.contains("value=\"08:00-12:00, 13:00-12:00\""),
        "{body}"
    );

    let res = app
        .post_form(
            &cookie,
            "/admin/einstellungen/sprechstunden",
            &[
                ("h0.name", "Sprechstunde"),
                ("h0.channels", "whatsapp"),
                ("h0.rule", "FREQ=WEEKLY;BYDAY=XX"),
                ("h0.start", "14:00"),
                ("h0.end", "18:00"),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains("id=\"e-h0.rule\""), "{body}");

    let res = app
        .post_form(
            &cookie,
            "/admin/einstellungen/antwortzeiten",
            &[
                ("consultation_minutes", "viele"),
                ("office_hours_minutes", "60"),
                ("otherwise_office_days", "1"),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains("id=\"e-consultation_minutes\""), "{body}");

    let res = app
        .post_form(
            &cookie,
            "/admin/einstellungen/schluesselwoerter",
            &[
                ("opt_in", "Start"),
                ("opt_out", "Stopp"),
                ("erase", " "),
                ("access", "Auskunft"),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 422);
    assert!(res.text().await.unwrap().contains("id=\"e-erase\""));

    assert_eq!(app.store.settings_version().await.unwrap(), version);
    assert!(app.store.settings_overrides().await.unwrap().is_empty());
    assert!(app.audit_rows("settings.").await.is_empty());
}

#[tokio::test]
async fn only_admins_may_see_or_change_settings() {
    let app = start().await;
    for (email, cookie) in app.non_admin_cookies().await {
        for path in [
            "/admin/einstellungen",
            "/admin/einstellungen/oeffnungszeiten",
            "/admin/kanaele",
        ] {
            let (status, _) = app.get_page(&cookie, path).await;
            assert_eq!(status, 403, "{email} GET {path}");
        }
        let res = app
            .post_form(
                &cookie,
                "/admin/einstellungen/oeffnungszeiten",
                &[("mon", "08:00-12:00")],
            )
            .await;
        assert_eq!(res.status().as_u16(), 403, "{email}");
        let res = app
            .post_form(&cookie, "/admin/kanaele", &[("1.access_token", "x")])
            .await;
        assert_eq!(res.status().as_u16(), 403, "{email}");
    }
    assert!(app.store.settings_overrides().await.unwrap().is_empty());
    assert!(app.store.channel_secrets().await.unwrap().is_empty());
}

#[tokio::test]
async fn channel_credentials_are_sealed_shown_as_last_four_and_take_effect() {
    let app = start().await;
    let cookie = app.admin_cookie().await;
    let token = "EAAG-neues-Zugriffstoken-7a1B";
    let secret = "neues-app-geheimnis-Q9zX";
    let field_token = format!("{}.access_token", app.channel_a);
    let field_secret = format!("{}.app_secret", app.channel_a);
    let (status, page) = app.get_page(&cookie, "/admin/kanaele").await;
    assert_eq!(status, 200);
    assert!(page.contains(&format!("name=\"{field_token}\"")), "{page}");
    assert!(page.contains("aus der Konfigurationsdatei"));

    let res = app
        .post_form(
            &cookie,
            "/admin/kanaele",
            &[
                (field_token.as_str(), token),
                (field_secret.as_str(), secret),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let (_, page) = app.get_page(&cookie, "/admin/kanaele?msg=saved").await;
    assert!(page.contains("…7a1B") && page.contains("…Q9zX"), "{page}");
    assert!(!page.contains(token) && !page.contains(secret));

    // In force at once: the webhook now checks signatures with the new app secret.
    let body = br#"{"object":"whatsapp_business_account","entry":[]}"#;
    let sign = |key: &str| {
        use hmac::Mac;
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).unwrap();
        mac.update(body);
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    };
    for (key, expected) in [("app-secret", 401), (secret, 200)] {
        let res = app
            .http
            .post(app.url("/webhooks/whatsapp"))
            .header("content-type", "application/json")
            .header("x-hub-signature-256", sign(key))
            .body(body.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), expected, "signed with {key}");
    }

    // Audited by name, never by value.
    let entries = app.audit_rows("channel.").await;
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert!(entries
        .iter()
        .all(|(a, _, d)| a == "channel.secret_set" && d.starts_with("credential=")));
    let all = format!(
        "{:?}",
        app.store
            .audit_entries(app.a, &AuditFilter::default())
            .await
            .unwrap()
    );
    assert!(!all.contains(token) && !all.contains(secret));

    // A field of another municipality's channel is refused and nothing is stored.
    let foreign = format!("{}.bot_token", app.channel_b);
    let res = app
        .post_form(
            &cookie,
            "/admin/kanaele",
            &[(foreign.as_str(), "123:fremd")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 422);
    assert_eq!(app.store.channel_secrets().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_mastodon_token_set_in_the_ui_is_sealed_and_used_for_the_next_post() {
    use rathaus_channels::fake_mastodon::{
        FakeMastodonTelegram, MASTODON_TOKEN, TELEGRAM_CHANNEL, TELEGRAM_CHANNEL_TOKEN,
    };
    use rathaus_channels::publish::{MastodonConfig, NetworkConfig, TelegramChannelPublishConfig};
    use rathaus_domain::publishing::{ChannelTarget, PublishKind};

    use crate::publishing_networks::{compose_and_approve, editors, settle, worker};

    let fake = FakeMastodonTelegram::start().await.unwrap();
    let base = fake.base_url();
    // The file holds a token the instance no longer accepts; the admin enters the valid one.
    let app = crate::harness::start_with("http://127.0.0.1", move |c| {
        let p = &mut c[0].settings.publishing;
        p.channels
            .push(ChannelTarget::new("mastodon", PublishKind::Mastodon));
        p.channels
            .push(ChannelTarget::new("kanal", PublishKind::TelegramChannel));
        c[0].networks = vec![
            NetworkConfig::Mastodon(MastodonConfig {
                name: Some("mastodon".into()),
                instance: base.clone(),
                access_token: "abgelaufenes-token-aus-der-datei".into(),
                timeout_secs: Some(5),
            }),
            NetworkConfig::TelegramChannel(TelegramChannelPublishConfig {
                name: Some("kanal".into()),
                chat: TELEGRAM_CHANNEL.into(),
                bot_token: TELEGRAM_CHANNEL_TOKEN.into(),
                api_base: base,
                timeout_secs: Some(5),
            }),
        ];
    })
    .await;
    let cookie = app.admin_cookie().await;
    let field = "network:mastodon.access_token";
    let (status, page) = app.get_page(&cookie, "/admin/kanaele").await;
    assert_eq!(status, 200);
    assert!(page.contains(&format!("name=\"{field}\"")), "{page}");
    assert!(page.contains("name=\"network:kanal.bot_token\""), "{page}");

    let res = app
        .post_form(&cookie, "/admin/kanaele", &[(field, MASTODON_TOKEN)])
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let (_, page) = app.get_page(&cookie, "/admin/kanaele?msg=saved").await;
    let last4 = &MASTODON_TOKEN[MASTODON_TOKEN.len() - 4..];
    assert!(page.contains(&format!("…{last4}")), "{page}");
    assert!(!page.contains(MASTODON_TOKEN), "{page}");

    // Sealed at rest: no database file holds the token.
    let holding = app.files_holding(MASTODON_TOKEN);
    assert!(
        holding.is_empty(),
        "{holding:?} hold the token in plaintext"
    );

    // Audited by name, never by value.
    let entries = app.audit_rows("channel.").await;
    assert_eq!(
        entries,
        vec![(
            "channel.secret_set".to_string(),
            "network:mastodon".to_string(),
            "credential=access_token".to_string()
        )]
    );

    // A secret of a network this municipality has not configured is refused.
    let res = app
        .post_form(
            &cookie,
            "/admin/kanaele",
            &[("network:bluesky.app_password", "abcd-efgh")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 422);

    // The next post reaches Mastodon with the token from the admin UI.
    let e = editors(&app).await;
    let id = compose_and_approve(&app, &e, "Neues Token im Einsatz.", &[]).await;
    let w = worker(&app);
    let p = settle(&app, &e, &w, id).await;
    let statuses: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path == "/api/v1/statuses")
        .collect();
    assert_eq!(statuses.len(), 1, "{p}");
    assert_eq!(
        statuses[0].authorization.as_deref(),
        Some(format!("Bearer {MASTODON_TOKEN}").as_str())
    );
    assert_eq!(fake.statuses().len(), 1, "{p}");
}

/// Headless Chromium with axe-core (WCAG 2.1 AA) on desktop and phone widths, on every settings page,
/// including a section that shows refusals, the credentials page with a messenger credential and a
/// publishing network secret set, the forms to add a publishing channel and the edit page of one.
#[tokio::test]
async fn settings_pages_pass_axe_and_fit_a_phone() {
    let Some(dir) = crate::browser::e2e_dir() else {
        return;
    };
    let app = crate::harness::start_with("http://127.0.0.1", |c| {
        c[0].networks = vec![rathaus_channels::publish::NetworkConfig::Mastodon(
            rathaus_channels::publish::MastodonConfig {
                name: None,
                // Nothing listens here: this test publishes nothing.
                instance: "http://127.0.0.1:9".into(),
                access_token: "file-token".into(),
                timeout_secs: None,
            },
        )];
    })
    .await;
    let cookie = app.admin_cookie().await;
    let field = format!("{}.access_token", app.channel_a);
    let res = app
        .post_form(
            &cookie,
            "/admin/kanaele",
            &[
                (field.as_str(), "EAAG-token-1234"),
                ("network:mastodon.access_token", "mastodon-token-5678"),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    // A publishing channel added in the admin UI: listed, with its own edit page.
    let res = app
        .post_form(
            &cookie,
            "/admin/kanaele/neu/telegram_channel",
            &[
                ("name", "kanal"),
                ("chat", "@musterstadt"),
                ("api_base", "http://127.0.0.1:9"),
                ("bot_token", "123:telegram-token-9012"),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    app.post_form(
        &cookie,
        "/admin/einstellungen/sprechstunden",
        &[
            ("h0.name", "Sprechstunde"),
            ("h0.channels", "whatsapp"),
            ("h0.rule", "FREQ=WEEKLY;BYDAY=TU"),
            ("h0.start", "14:00"),
            ("h0.end", "18:00"),
            ("h0.run_on_holidays", "on"),
        ],
    )
    .await;
    let (name, value) = cookie.split_once('=').unwrap();
    let mut args = vec![app.base.clone(), name.to_string(), value.to_string()];
    args.extend(
        [
            "/admin/einstellungen",
            "/admin/einstellungen/oeffnungszeiten",
            "/admin/einstellungen/sprechstunden?msg=saved",
            "/admin/einstellungen/antwortzeiten",
            "/admin/einstellungen/texte",
            "/admin/einstellungen/schluesselwoerter",
            "/admin/einstellungen/dokumente",
            "/admin/kanaele",
            "/admin/kanaele/neu/mastodon",
            "/admin/kanaele/neu/facebook_page",
            "/admin/kanaele/netzwerk/kanal",
        ]
        .map(String::from),
    );
    crate::browser::assert_clean(&crate::browser::audit(&dir, &args).await);
}
