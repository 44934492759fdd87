//! The documents for the authorities: list and documents per municipality and channel, download, roles, login, WCAG audit.

use rathaus_store::Role;

use crate::browser::{assert_clean, audit, e2e_dir};
use crate::harness::{header, start};

#[tokio::test]
async fn staff_see_their_municipality_s_documents_per_channel() {
    let app = start().await;
    app.staff(app.a, "sb@musterstadt.de", Role::Agent).await;
    app.staff(app.b, "bm@beispieldorf.de", Role::Host).await;
    let cookie = app.login("sb@musterstadt.de").await;

    let (status, list) = app.get_page(&cookie, "/documents").await;
    assert_eq!(status, 200);
    assert!(list.contains("Dokumente für die Aufsichtsbehörden"));
    for link in [
        "/documents/verarbeitungsverzeichnis",
        "/documents/impressum",
        "/documents/nutzungskonzept/whatsapp",
        "/documents/datenschutzhinweise/whatsapp",
        "/documents/nutzungskonzept/whatsapp?download=1",
    ] {
        assert!(list.contains(&format!("href=\"{link}\"")), "{link} missing");
    }
    // Nothing is configured in the test tenants: every document shows what is missing.
    assert!(list.contains("Angaben fehlen"));
    assert!(
        !list.contains("beispieldorf-bot"),
        "other tenant's channel listed"
    );

    let res = app
        .http
        .get(app.url("/documents/nutzungskonzept/whatsapp"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert!(header(res.headers(), "content-type").starts_with("text/html"));
    assert_eq!(header(res.headers(), "cache-control"), "no-store");
    assert!(header(res.headers(), "content-security-policy").contains("style-src 'self'"));
    assert_eq!(header(res.headers(), "content-disposition"), "");
    let body = res.text().await.unwrap();
    assert!(body.starts_with("<!doctype html>\n<html lang=\"de\">"));
    assert!(body.contains("<h1>Nutzungskonzept WhatsApp</h1>"));
    assert!(body.contains("Musterstadt"));
    assert!(body.contains("WhatsApp – „whatsapp“"));
    assert!(body.contains("[bitte ergänzen: Zweck des Kanals]"));
    assert!(body.contains("href=\"/static/documents.css\""));
    assert!(!body.contains("<style"), "inline style would break the CSP");

    for path in [
        "/documents/datenschutzhinweise/whatsapp",
        "/documents/verarbeitungsverzeichnis",
        "/documents/impressum",
    ] {
        let (status, body) = app.get_page(&cookie, path).await;
        assert_eq!(status, 200, "{path}");
        assert!(body.contains("Musterstadt"), "{path}");
        assert!(body.contains("WhatsApp"), "{path}");
    }
    let (_, notice) = app
        .get_page(&cookie, "/documents/datenschutzhinweise/whatsapp")
        .await;
    assert!(notice.contains("WhatsApp Ireland Limited"));
    assert!(notice.contains("Widerspruch gegenüber WhatsApp"));

    // Another municipality: its own channel, not the first one's.
    let other = app.login("bm@beispieldorf.de").await;
    let (status, body) = app
        .get_page(&other, "/documents/nutzungskonzept/beispieldorf-bot")
        .await;
    assert_eq!(status, 200);
    assert!(body.contains("Beispieldorf") && body.contains("Telegram"));
    let (status, _) = app
        .get_page(&other, "/documents/nutzungskonzept/whatsapp")
        .await;
    assert_eq!(status, 404, "other tenant's channel must not resolve");
}

#[tokio::test]
async fn download_is_a_self_contained_attachment() {
    let app = start().await;
    app.staff(app.a, "presse@musterstadt.de", Role::Editor)
        .await;
    let cookie = app.login("presse@musterstadt.de").await;
    for (path, file) in [
        (
            "/documents/nutzungskonzept/whatsapp?download=1",
            "nutzungskonzept-whatsapp.html",
        ),
        (
            "/documents/verarbeitungsverzeichnis?download=1",
            "verarbeitungsverzeichnis.html",
        ),
    ] {
        let res = app
            .http
            .get(app.url(path))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200, "{path}");
        assert_eq!(
            header(res.headers(), "content-disposition"),
            format!("attachment; filename=\"{file}\"")
        );
        let body = res.text().await.unwrap();
        assert!(body.contains("<style>"), "styles embedded");
        assert!(!body.contains("/static/documents.css"));
        assert!(
            !body.contains("Alle Dokumente"),
            "no staff navigation in the file"
        );
    }
}

#[tokio::test]
async fn viewers_get_403_and_strangers_the_login() {
    let app = start().await;
    app.staff(app.a, "leser@musterstadt.de", Role::Viewer).await;
    let viewer = app.login("leser@musterstadt.de").await;
    for path in [
        "/documents",
        "/documents/impressum",
        "/documents/nutzungskonzept/whatsapp?download=1",
    ] {
        let (status, _) = app.get_page(&viewer, path).await;
        assert_eq!(status, 403, "viewer on {path}");
        let res = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 303, "anonymous on {path}");
        assert_eq!(header(res.headers(), "location"), "/login");
    }
    for role in [Role::Admin, Role::Dpo, Role::Host] {
        let email = format!("{}@musterstadt.de", role.as_str());
        app.staff(app.a, &email, role).await;
        let cookie = app.login(&email).await;
        let (status, _) = app.get_page(&cookie, "/documents/impressum").await;
        assert_eq!(status, 200, "{role:?}");
    }
}

#[tokio::test]
async fn unknown_documents_and_channels_are_404() {
    let app = start().await;
    app.staff(app.a, "sb@musterstadt.de", Role::Agent).await;
    let cookie = app.login("sb@musterstadt.de").await;
    for path in [
        "/documents/geheimakte",
        "/documents/nutzungskonzept",
        "/documents/nutzungskonzept/threema",
        "/documents/impressum/whatsapp",
    ] {
        let (status, _) = app.get_page(&cookie, path).await;
        assert_eq!(status, 404, "{path}");
    }
    let res = app
        .http
        .get(app.url("/static/documents.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert!(header(res.headers(), "content-type").starts_with("text/css"));
    assert!(res.text().await.unwrap().contains("@media print"));
}

#[tokio::test]
async fn document_pages_pass_axe_and_fit_a_phone() {
    let Some(dir) = e2e_dir() else { return };
    let app = start().await;
    app.staff(app.a, "sb@musterstadt.de", Role::Agent).await;
    let cookie = app.login("sb@musterstadt.de").await;
    let (name, value) = cookie.split_once('=').unwrap();
    let mut args = vec![app.base.clone(), name.to_string(), value.to_string()];
    args.extend(
        [
            "/documents",
            "/documents/nutzungskonzept/whatsapp",
            "/documents/datenschutzhinweise/whatsapp",
            "/documents/verarbeitungsverzeichnis",
            "/documents/impressum",
        ]
        .map(String::from),
    );
    assert_clean(&audit(&dir, &args).await);
}
