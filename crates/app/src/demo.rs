//! `rathaus demo`: Musterstadt on embedded SQLite, demo staff, and conversations sent through the real webhooks.

use std::path::PathBuf;

use anyhow::Context;
use rathaus_channels::testing::FakePlatform;
use rathaus_hub::{TelegramChannelConfig, WhatsAppChannelConfig, WorkerOptions};
use rathaus_store::{now_ms, Role};

use crate::config::{Config, MunicipalityConfig};
use crate::server::{self, Roles};
use crate::simulate;

pub const DEMO_PASSWORD: &str = "Musterstadt-Demo-2026";
pub const DEMO_ADMIN: &str = "admin@musterstadt.de";
pub const DEMO_AGENT: &str = "sachbearbeitung@musterstadt.de";
pub const DEMO_HOST: &str = "buergermeister@musterstadt.de";
pub const DEMO_VIEWER: &str = "controlling@musterstadt.de";
pub const DEMO_EDITOR: &str = "redaktion@musterstadt.de";
pub const DEMO_PHONE_NUMBER_ID: &str = "106540352242922";
pub const DEMO_APP_SECRET: &str = "demo-app-secret";
pub const DEMO_TELEGRAM_SECRET: &str = "demo-webhook-secret";

/// A marker so `demo` only ever wipes a folder it created itself.
const MARKER: &str = ".rathaus-demo";

#[derive(clap::Args, Debug, Clone)]
pub struct DemoArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Folder for the demo's data; recreated on every start.
    #[arg(long, default_value = "./rathaus-demo")]
    pub data_dir: PathBuf,
}

/// The demo configuration: Musterstadt with one WhatsApp number and one Telegram bot, both talking to a
/// local stand-in for Meta and Telegram so replies "arrive" without real accounts.
pub fn demo_config(data_dir: PathBuf, listen: &str, platform_base: &str) -> Config {
    Config {
        listen: listen.to_string(),
        public_url: None,
        data_dir,
        database_url: None,
        master_key_file: None,
        municipality: vec![MunicipalityConfig {
            slug: "musterstadt".into(),
            name: "Stadt Musterstadt".into(),
            news_host: None,
            timezone: "Europe/Berlin".into(),
            privacy_notice_url: "https://musterstadt.de/datenschutz-messenger".into(),
            privacy_notice_text: Some(
                "Datenschutzhinweise der Stadt Musterstadt für den Messenger-Dienst, Fassung 1"
                    .into(),
            ),
            privacy_notice_file: None,
            keywords: None,
            texts: None,
            retention: None,
            office_hours: None,
            consultation_hours: Vec::new(),
            response_targets: None,
            teams: Vec::new(),
            documents: None,
            whatsapp: vec![WhatsAppChannelConfig {
                name: "whatsapp".into(),
                phone_number_id: DEMO_PHONE_NUMBER_ID.into(),
                verify_token: "demo-verify-token".into(),
                app_secret: DEMO_APP_SECRET.into(),
                access_token: "demo-access-token".into(),
                api_base: platform_base.into(),
                api_version: "v23.0".into(),
                display_phone_number: Some("+49 7000 123456".into()),
            }],
            telegram: vec![TelegramChannelConfig {
                name: "buergerbot".into(),
                bot_token: "123456:demo-bot-token".into(),
                webhook_secret: DEMO_TELEGRAM_SECRET.into(),
                api_base: platform_base.into(),
                public_username: Some("MusterstadtBuergerBot".into()),
            }],
            publishing: None,
            mastodon: None,
            bluesky: None,
            facebook_page: None,
            instagram: None,
            x: None,
            telegram_channel: None,
            oidc: None,
            security: Default::default(),
        }],
        worker: Default::default(),
    }
}

fn prepare_dir(dir: &std::path::Path) -> anyhow::Result<()> {
    if dir.exists() {
        if !dir.join(MARKER).exists() {
            anyhow::bail!(
                "{} exists and was not created by `rathaus demo`; choose another --data-dir",
                dir.display()
            );
        }
        std::fs::remove_dir_all(dir)
            .with_context(|| format!("removing old demo data in {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join(MARKER), "demo data, recreated by `rathaus demo`\n")?;
    Ok(())
}

pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    prepare_dir(&args.data_dir)?;
    let platform = FakePlatform::start()
        .await
        .context("starting the demo platform stand-in")?;
    let mut config = demo_config(args.data_dir.clone(), &args.listen, &platform.base_url());
    // Only the interactive demo gets a schedule; `demo_config` stays the base of the end-to-end tests.
    add_demo_schedule(&mut config);
    let running = server::start(
        &config,
        Roles {
            web: true,
            worker: true,
        },
        WorkerOptions::default(),
    )
    .await?;
    seed(&running, &platform).await?;
    let url = running.url();
    println!();
    println!("Rathaus-Demo läuft / demo is running: {url}");
    println!("  Anmeldung / login: {DEMO_AGENT} (Sachbearbeitung / case worker)");
    println!("    oder/or {DEMO_ADMIN} (Admin: richtet zuerst die Zwei-Faktor-Anmeldung ein / sets up two-factor sign-in first)");
    println!("  Sprechstunde / consultation hour: {DEMO_HOST} → {url}/sprechstunde; Berichte / reports: {DEMO_VIEWER} → {url}/berichte");
    println!("  Kalender / calendar: {url}/musterstadt/sprechstunden.ics");
    println!("  Neuigkeiten / news: {url}/musterstadt/ (Beiträge verfassen / compose posts: {DEMO_EDITOR} → {url}/beitraege)");
    println!("  Passwort / password: {DEMO_PASSWORD}");
    println!("  Antworten gehen an einen lokalen Platzhalter für WhatsApp und Telegram / replies go to a local stand-in for WhatsApp and Telegram.");
    println!("Beenden mit Strg+C / stop with Ctrl+C");
    server::shutdown_signal().await;
    running.stop().await;
    drop(platform);
    Ok(())
}

/// Office hours in Saxony-Anhalt, the mayor's WhatsApp consultation hour on Tuesdays 14–18 and, so the
/// live view has something to show whenever the demo starts, an extra slot running from an hour ago.
fn add_demo_schedule(config: &mut Config) {
    let Some(m) = config.municipality.first_mut() else {
        return;
    };
    let day = |from: &str, to: &str| vec![format!("{from}-{to}")];
    m.office_hours = Some(rathaus_domain::schedule::OfficeHoursConfig {
        state: Some("ST".into()),
        mon: day("08:00", "16:00"),
        tue: vec!["08:00-12:00".into(), "13:00-18:00".into()],
        wed: day("08:00", "16:00"),
        thu: day("08:00", "16:00"),
        fri: day("08:00", "12:00"),
        ..Default::default()
    });
    let tz = jiff::tz::TimeZone::get(&m.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    let now = jiff::Timestamp::now();
    let local = |t: jiff::Timestamp| t.to_zoned(tz.clone());
    let hours = |h: i64| {
        now.checked_add(jiff::SignedDuration::from_hours(h))
            .unwrap_or(now)
    };
    let (start, end) = (local(hours(-1)), local(hours(3)));
    let extra = format!(
        "{} {}-{}",
        start.strftime("%Y-%m-%d"),
        start.strftime("%H:%M"),
        end.strftime("%H:%M")
    );
    m.consultation_hours
        .push(rathaus_domain::schedule::ConsultationHourSettings {
            name: "WhatsApp-Sprechstunde mit dem Bürgermeister".into(),
            channels: vec!["whatsapp".into()],
            rule: "FREQ=WEEKLY;BYDAY=TU".into(),
            start: "14:00".into(),
            end: "18:00".into(),
            host: Some(DEMO_HOST.into()),
            extra: vec![extra],
            ..Default::default()
        });
}

/// Demo staff and a few conversations, sent through the real webhook endpoints.
pub async fn seed(running: &server::Running, platform: &FakePlatform) -> anyhow::Result<()> {
    let store = &running.store;
    let m = store
        .municipality_by_slug("musterstadt")
        .await?
        .context("demo municipality missing")?;
    let hash = rathaus_web::passwords::hash_password(DEMO_PASSWORD);
    let admin = store
        .upsert_staff(
            m.id,
            DEMO_ADMIN,
            "Anna Admin",
            Some(&hash),
            Role::Admin,
            now_ms(),
        )
        .await?;
    let agent = store
        .upsert_staff(
            m.id,
            DEMO_AGENT,
            "Sven Sachbearbeiter",
            Some(&hash),
            Role::Agent,
            now_ms(),
        )
        .await?;
    store
        .upsert_staff(
            m.id,
            DEMO_HOST,
            "Bernd Bürgermeister",
            Some(&hash),
            Role::Host,
            now_ms(),
        )
        .await?;
    store
        .upsert_staff(
            m.id,
            DEMO_VIEWER,
            "Carla Controlling",
            Some(&hash),
            Role::Viewer,
            now_ms(),
        )
        .await?;
    let editor = store
        .upsert_staff(
            m.id,
            DEMO_EDITOR,
            "Rita Redaktion",
            Some(&hash),
            Role::Editor,
            now_ms(),
        )
        .await?;
    // Written by the editorial office, approved by the administrator (four-eyes).
    crate::demo_posts::publish(running, m.id, editor, admin).await?;

    let http = reqwest::Client::new();
    let base = running.url();
    let ts = now_ms() / 1000;
    let wa = |wa_id: &str, name: &str, msg: serde_json::Value| {
        simulate::whatsapp_message(DEMO_PHONE_NUMBER_ID, wa_id, name, msg)
    };

    // Erika: first writes without consent (gets the explanation, nothing stored), then opts in.
    let erika = "4915112345001";
    let steps = [
        wa(
            erika,
            "Erika Mustermann",
            simulate::whatsapp_text(erika, "wamid.demo1", ts - 600, "Hallo, ist das die Stadt?"),
        ),
        wa(
            erika,
            "Erika Mustermann",
            simulate::whatsapp_text(erika, "wamid.demo2", ts - 590, "Anmeldung"),
        ),
        wa(
            erika,
            "Erika Mustermann",
            simulate::whatsapp_text(
                erika,
                "wamid.demo3",
                ts - 580,
                "Die Straßenlaterne vor der Lindenstraße 12 ist seit einer Woche aus.",
            ),
        ),
        wa(
            erika,
            "Erika Mustermann",
            simulate::whatsapp_location(
                erika,
                "wamid.demo4",
                ts - 570,
                51.9607,
                7.6261,
                "Lindenstraße 12",
            ),
        ),
    ];
    for body in &steps {
        simulate::post_whatsapp(&http, &base, DEMO_APP_SECRET, body).await?;
        drain(running).await?;
    }

    // Max sends a photo of illegally dumped waste.
    let max = "4915112345002";
    let png = demo_png();
    platform.add_media("demo-media-1", &png, "image/png");
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&png));
    for body in [
        wa(
            max,
            "Max Muster",
            simulate::whatsapp_text(max, "wamid.demo5", ts - 300, "Start"),
        ),
        wa(
            max,
            "Max Muster",
            simulate::whatsapp_image(
                max,
                "wamid.demo6",
                ts - 290,
                "demo-media-1",
                &sha,
                "Wilder Müll am Spielplatz Eichenweg",
            ),
        ),
    ] {
        simulate::post_whatsapp(&http, &base, DEMO_APP_SECRET, &body).await?;
        drain(running).await?;
    }

    // Lena asks on Telegram.
    for (i, text) in ["Start", "Wann hat der Wertstoffhof am Samstag geöffnet?"]
        .iter()
        .enumerate()
    {
        let body = simulate::telegram_text(
            9000 + i as i64,
            777001,
            10 + i as i64,
            "Lena",
            ts - 120 + i as i64,
            text,
        );
        simulate::post_telegram(&http, &base, "buergerbot", DEMO_TELEGRAM_SECRET, &body).await?;
        drain(running).await?;
    }

    // Erika (the first concern) and Lena (Telegram) get an answer, so the report has figures; Max's
    // photo still waits in the host's queue.
    // The webhooks queue their updates: wait (briefly) until Lena's concern is filed.
    let mut concerns = Vec::new();
    for _ in 0..50 {
        drain(running).await?;
        concerns = store
            .list_concerns(m.id, &rathaus_store::ConcernFilter::default())
            .await?;
        if concerns
            .iter()
            .any(|c| c.channel_kind == rathaus_domain::ChannelKind::Telegram)
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    concerns.sort_by_key(|c| c.id);
    let answered = concerns
        .iter()
        .enumerate()
        .filter(|(i, c)| *i == 0 || c.channel_kind == rathaus_domain::ChannelKind::Telegram);
    for (_, c) in answered {
        let text =
            "Danke für Ihre Nachricht! Wir haben sie an die zuständige Stelle weitergegeben.";
        if let Err(refused) = store.queue_reply(m.id, c.id, agent, text, now_ms()).await? {
            tracing::warn!(concern = c.id, %refused, "demo reply refused");
        }
    }
    drain(running).await?;
    Ok(())
}

async fn drain(running: &server::Running) -> anyhow::Result<()> {
    if let Some(w) = &running.worker {
        w.drain().await?;
    }
    Ok(())
}

/// A tiny PNG (1×1) so the demo has an image to download.
fn demo_png() -> Vec<u8> {
    const PNG: &[u8] = &[
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90,
        0x77, 0x53, 0xDE, 0x00, 0x00, 0x00, 0x0C, 0x49, 0x44, 0x41, 0x54, 0x08, 0xD7, 0x63, 0x68,
        0x60, 0xF8, 0x0F, 0x00, 0x02, 0x03, 0x01, 0x80, 0x6E, 0x1B, 0x8B, 0x9E, 0x00, 0x00, 0x00,
        0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ];
    PNG.to_vec()
}
