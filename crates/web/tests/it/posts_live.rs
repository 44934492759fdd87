//! The composer's live preview: the fragment endpoint over real HTTP (roles, origin, counts from the server's one counting code) and, in headless Chromium, counts that change while the editor types.

use rathaus_domain::publishing::{ChannelTarget, PublishKind};
use rathaus_store::Role;

use crate::browser::e2e_dir;
use crate::harness::{start_with, App, PASSWORD};

const BOUNDARY: &str = "----rathaus-live-boundary";

/// Musterstadt publishing to Mastodon, Bluesky and a Telegram channel.
async fn start() -> App {
    start_with("http://127.0.0.1", |c| {
        let channels = &mut c[0].settings.publishing.channels;
        channels.push(ChannelTarget::new("mastodon", PublishKind::Mastodon));
        channels.push(ChannelTarget::new("bluesky", PublishKind::Bluesky));
        channels.push(ChannelTarget::new(
            "telegram_channel",
            PublishKind::TelegramChannel,
        ));
    })
    .await
}

fn multipart(fields: &[(&str, &str)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, value) in fields {
        out.extend(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    out.extend(format!("--{BOUNDARY}--\r\n").as_bytes());
    out
}

/// POSTs the composer's text fields to the preview endpoint as the script does (same origin).
async fn preview(app: &App, cookie: &str, site: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let res = app
        .http
        .post(app.url("/beitraege/vorschau"))
        .header("cookie", cookie)
        .header("sec-fetch-site", site)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(multipart(fields))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.text().await.unwrap())
}

/// The text of the polite live region.
fn summary(html: &str) -> String {
    let at = html.find("id=\"preview-summary\"").expect("summary region");
    let rest = &html[at..];
    let start = rest.find('>').unwrap() + 1;
    let end = rest.find("</p>").unwrap();
    rest[start..end].to_string()
}

#[tokio::test]
async fn the_preview_fragment_counts_per_channel_for_editors_only() {
    let app = start().await;
    app.staff(app.a, "anna@musterstadt.de", Role::Editor).await;
    app.staff(app.a, "vera@musterstadt.de", Role::Viewer).await;
    let anna = app.login("anna@musterstadt.de").await;
    let vera = app.login("vera@musterstadt.de").await;

    // 320 umlauts: fine for Mastodon (500 characters), too long for Bluesky (300 graphemes) but
    // within its 3,000 bytes (640).
    let long = "ä".repeat(320);
    let (s, html) = preview(
        &app,
        &anna,
        "same-origin",
        &[
            ("text", &long),
            ("language", "de"),
            ("channel", "mastodon"),
            ("channel", "bluesky"),
            ("variant.mastodon", ""),
            ("variant.bluesky", ""),
        ],
    )
    .await;
    assert_eq!(s, 200, "{html}");
    assert!(
        !html.contains("<html") && !html.contains("<form"),
        "only the preview section: {html}"
    );
    assert!(html.contains("id=\"preview-channels\""), "{html}");
    assert!(html.contains("aria-live=\"polite\""), "{html}");
    let said = summary(&html);
    assert!(
        said.contains("Mastodon: 320 von 500 Zeichen – passt."),
        "{said}"
    );
    assert!(
        said.contains("Bluesky: 320 von 300 Graphemen – zu lang, 640 von 3000 Bytes – passt."),
        "{said}"
    );
    // Over the limit in words, not by colour only, in the visible counts too.
    assert!(html.contains("320 von 300 Graphemen – zu lang"), "{html}");

    // A short Bluesky variant fits; a channel not chosen is not counted.
    let (s, html) = preview(
        &app,
        &anna,
        "same-origin",
        &[
            ("text", &long),
            ("language", "de"),
            ("channel", "bluesky"),
            ("variant.bluesky", "Kurz: Sperrung Lindenstraße"),
        ],
    )
    .await;
    assert_eq!(s, 200);
    let said = summary(&html);
    assert!(
        said.starts_with("Bluesky: 27 von 300 Graphemen – passt"),
        "{said}"
    );
    assert!(!said.contains("Mastodon"), "{said}");

    // A file chosen but not uploaded yet counts as media: Telegram's caption under a photo is 1,024.
    let telegram = "a".repeat(2000);
    let (_, html) = preview(
        &app,
        &anna,
        "same-origin",
        &[("text", &telegram), ("channel", "telegram_channel")],
    )
    .await;
    assert!(
        summary(&html).contains("Telegram-Kanal: 2000 von 4096 Zeichen – passt"),
        "{html}"
    );
    let (_, html) = preview(
        &app,
        &anna,
        "same-origin",
        &[
            ("text", &telegram),
            ("channel", "telegram_channel"),
            ("pending_upload", "1"),
        ],
    )
    .await;
    assert!(
        summary(&html).contains("Telegram-Kanal: 2000 von 1024 Zeichen – zu lang"),
        "{html}"
    );

    // Nothing is saved by a preview.
    let (_, list) = app.get_page(&anna, "/beitraege").await;
    assert!(!list.contains("Lindenstraße"), "{list}");

    // A viewer may not compose, so not preview either; nor may another site's page.
    let (s, _) = preview(&app, &vera, "same-origin", &[("text", "Hallo")]).await;
    assert_eq!(s, 403);
    let (s, _) = preview(&app, &anna, "cross-site", &[("text", "Hallo")]).await;
    assert_eq!(s, 403);
    // Not signed in: no preview.
    let (s, _) = preview(&app, "", "same-origin", &[("text", "Hallo")]).await;
    assert!(s == 303 || s == 401 || s == 403, "{s}");

    // The composer page carries the script and the same region; the script is served from 'self'.
    let (_, page) = app.get_page(&anna, "/beitraege/neu").await;
    assert!(page.contains("<script src=\"/static/composer.js\" defer></script>"));
    assert!(page.contains("data-preview=\"/beitraege/vorschau\""));
    assert!(page.contains("id=\"preview-summary\""));
    let js = app
        .http
        .get(app.url("/static/composer.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(js.status().as_u16(), 200);
    assert!(js.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
}

#[tokio::test]
async fn the_composer_counts_live_while_the_editor_types() {
    let Some(dir) = e2e_dir() else { return };
    let app = start().await;
    app.staff(app.a, "anna@musterstadt.de", Role::Editor).await;
    let tmp = tempfile::tempdir().unwrap();
    let image = tmp.path().join("lindenstrasse.png");
    let mut png = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(48, 32, |x, y| {
        image::Rgb([(x * 5) as u8, (y * 7) as u8, 90])
    }))
    .write_to(&mut png, image::ImageFormat::Png)
    .unwrap();
    std::fs::write(&image, png.into_inner()).unwrap();
    let seen = crate::browser::run_script(
        &dir,
        include_bytes!("compose_live.mjs"),
        &[
            app.base.clone(),
            "anna@musterstadt.de".into(),
            PASSWORD.into(),
            image.to_string_lossy().into_owned(),
        ],
    )
    .await;

    // Typing a short text: both counts follow without the preview button, the page stays put.
    let short = &seen["short"];
    assert!(
        short["mastodon"]
            .as_str()
            .unwrap()
            .contains("31 von 500 Zeichen – passt"),
        "{seen}"
    );
    assert!(
        short["bluesky"]
            .as_str()
            .unwrap()
            .contains("31 von 300 Graphemen – passt"),
        "{seen}"
    );
    assert_eq!(seen["sameDocument"], true, "no page load: {seen}");
    assert_eq!(seen["navigations"], 0, "{seen}");
    // A long text: flagged for Bluesky, still fine for Mastodon; the live region says so in words.
    let long = &seen["long"];
    assert!(
        long["bluesky"]
            .as_str()
            .unwrap()
            .contains("320 von 300 Graphemen – zu lang"),
        "{seen}"
    );
    assert_eq!(long["blueskyOverClass"], true, "{seen}");
    assert!(
        long["mastodon"]
            .as_str()
            .unwrap()
            .contains("320 von 500 Zeichen – passt"),
        "{seen}"
    );
    let said = long["summary"].as_str().unwrap();
    assert!(
        said.contains("Bluesky: 320 von 300 Graphemen – zu lang"),
        "{said}"
    );
    assert_eq!(long["live"], "polite");
    // A chosen image file counts as media (Telegram's 1,024-character caption), but is not sent.
    assert!(
        seen["withFile"]["summary"]
            .as_str()
            .unwrap()
            .contains("Telegram-Kanal: 320 von 1024 Zeichen – passt"),
        "{seen}"
    );
    assert_eq!(seen["withFile"]["sentPending"], true, "{seen}");
    assert_eq!(seen["withFile"]["sentFile"], false, "{seen}");
    // Unticking Bluesky drops its preview.
    assert_eq!(
        seen["withoutBluesky"]["bluesky"],
        serde_json::Value::Null,
        "{seen}"
    );
    // On a saved draft's edit page a channel's variant is counted live (channels fixed there).
    assert!(
        seen["savedUrl"].as_str().unwrap().ends_with("?msg=saved"),
        "{seen}"
    );
    assert!(
        seen["edit"]["bluesky"]
            .as_str()
            .unwrap()
            .contains("320 von 300 Graphemen – zu lang"),
        "{seen}"
    );
    assert!(
        seen["edit"]["mastodon"]
            .as_str()
            .unwrap()
            .contains("31 von 500 Zeichen – passt"),
        "{seen}"
    );
    assert_eq!(
        seen["edit"]["images"],
        serde_json::json!([true]),
        "the uploaded image keeps showing: {seen}"
    );
    // Typing fast: debounced, one request at a time.
    assert!(
        seen["maxInFlight"].as_u64().unwrap() <= 1,
        "at most one request in flight: {seen}"
    );
    let requests = seen["burstRequests"].as_u64().unwrap();
    assert!(
        (1..=3).contains(&requests),
        "a burst of 31 keystrokes is debounced: {requests} requests"
    );
    // Without JavaScript the button still renders the preview on the server.
    assert!(
        seen["noScript"]
            .as_str()
            .unwrap()
            .contains("Bluesky: 320 von 300 Graphemen"),
        "{seen}"
    );
    for (view, r) in seen["audits"].as_object().unwrap() {
        assert!(
            r["violations"].as_array().unwrap().is_empty(),
            "WCAG violations on the live composer ({view}): {}",
            r["violations"]
        );
        assert_eq!(
            r["overflow"], false,
            "the composer ({view}) overflows sideways"
        );
    }
    assert_eq!(seen["audits"].as_object().unwrap().len(), 2);
    let errors = seen["consoleErrors"].as_array().unwrap();
    assert!(errors.is_empty(), "console errors (e.g. CSP): {errors:?}");
}

#[tokio::test]
async fn the_preview_counts_against_the_instances_own_mastodon_limit() {
    use rathaus_channels::fake_mastodon::{FakeMastodonTelegram, MASTODON_TOKEN};
    use rathaus_channels::publish::{MastodonConfig, NetworkConfig};

    let fake = FakeMastodonTelegram::start().await.unwrap();
    fake.set_max_characters(1000);
    let base = fake.base_url();
    let app = start_with("http://127.0.0.1", move |c| {
        c[0].settings
            .publishing
            .channels
            .push(ChannelTarget::new("mastodon", PublishKind::Mastodon));
        c[0].networks = vec![NetworkConfig::Mastodon(MastodonConfig {
            name: Some("mastodon".into()),
            instance: base,
            access_token: MASTODON_TOKEN.into(),
            timeout_secs: Some(5),
        })];
    })
    .await;
    app.staff(app.a, "anna@musterstadt.de", Role::Editor).await;
    let anna = app.login("anna@musterstadt.de").await;
    let text = "b".repeat(600);
    let fields = [("text", text.as_str()), ("channel", "mastodon")];
    // Live and with the button alike: 600 fit the instance's 1,000 (the stock 500 would not).
    let (s, html) = preview(&app, &anna, "same-origin", &fields).await;
    assert_eq!(s, 200);
    assert!(
        summary(&html).contains("Mastodon: 600 von 1000 Zeichen – passt"),
        "{html}"
    );
    let res = app
        .http
        .post(app.url("/beitraege/neu"))
        .header("cookie", &anna)
        .header("sec-fetch-site", "same-origin")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(multipart(&[
            ("text", &text),
            ("channel", "mastodon"),
            ("action", "preview"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let page = res.text().await.unwrap();
    assert!(
        summary(&page).contains("Mastodon: 600 von 1000 Zeichen – passt"),
        "{page}"
    );
}
