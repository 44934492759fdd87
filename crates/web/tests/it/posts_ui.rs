//! The staff composer over real HTTP: multipart upload, alt text blocking, preview and counts, four-eyes approval, rejection with a comment, per-channel results and history.

use rathaus_hub::publishing::NOT_CONNECTED;
use rathaus_store::Role;

use crate::harness::{header, App};
use crate::publishing::{contains, jpeg_with_exif, start_publishing, GPS_SECRET};

const BOUNDARY: &str = "----rathaus-test-boundary";

/// One multipart field: (name, value) or a file (name, filename, type, bytes).
pub enum Field<'a> {
    Text(&'a str, &'a str),
    File(&'a str, &'a str, &'a str, Vec<u8>),
}

fn body(fields: &[Field<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    for f in fields {
        out.extend(format!("--{BOUNDARY}\r\n").as_bytes());
        match f {
            Field::Text(name, value) => {
                out.extend(
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                        .as_bytes(),
                );
            }
            Field::File(name, filename, mime, bytes) => {
                out.extend(
                    format!(
                        "Content-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: {mime}\r\n\r\n"
                    )
                    .as_bytes(),
                );
                out.extend(bytes);
                out.extend(b"\r\n");
            }
        }
    }
    out.extend(format!("--{BOUNDARY}--\r\n").as_bytes());
    out
}

/// Posts the composer form as a browser does (same origin, multipart).
async fn compose(
    app: &App,
    cookie: &str,
    path: &str,
    fields: &[Field<'_>],
) -> (u16, String, String) {
    let res = app
        .http
        .post(app.url(path))
        .header("cookie", cookie)
        .header("sec-fetch-site", "same-origin")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body(fields))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let location = header(res.headers(), "location").to_string();
    (status, location, res.text().await.unwrap())
}

/// The id of the image the composer stored (from its hidden field).
fn image_id(html: &str) -> String {
    let at = html
        .find("name=\"image_id\" value=\"")
        .expect("image field")
        + 23;
    html[at..].split('"').next().unwrap().to_string()
}

fn post_id(location: &str) -> i64 {
    location
        .trim_start_matches("/beitraege/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn composer_blocks_until_alt_text_then_a_second_editor_approves() {
    let app = start_publishing().await;
    app.staff(app.a, "anna@musterstadt.de", Role::Editor).await;
    app.staff(app.a, "bernd@musterstadt.de", Role::Editor).await;
    app.staff(app.a, "sb@musterstadt.de", Role::Agent).await;
    let anna = app.login("anna@musterstadt.de").await;
    let bernd = app.login("bernd@musterstadt.de").await;
    let agent = app.login("sb@musterstadt.de").await;

    let (s, html) = app.get_page(&anna, "/beitraege/neu").await;
    assert_eq!(s, 200);
    assert!(html.contains("enctype=\"multipart/form-data\""));
    assert!(html.contains("name=\"channel\" value=\"mastodon\""));
    assert!(html.contains("Vorschau aktualisieren"));
    assert!(
        html.contains("href=\"/beitraege\""),
        "navigation offers posts"
    );
    assert_eq!(app.get_page(&agent, "/beitraege/neu").await.0, 403);

    // Submitted without alt text: refused, the message next to the image's alt field.
    let text = "Vollsperrung der Lindenstraße ab Montag\n\nWegen Kanalarbeiten ist die Lindenstraße zwischen Markt und Bahnhof gesperrt.";
    let (s, _, html) = compose(
        &app,
        &anna,
        "/beitraege/neu",
        &[
            Field::Text("text", text),
            Field::Text("language", "de"),
            Field::Text("channel", "mastodon"),
            Field::File("upload.1", "baustelle.jpg", "image/jpeg", jpeg_with_exif()),
            Field::Text("upload_alt.1", ""),
            Field::Text("when", "now"),
            Field::Text("action", "submit"),
        ],
    )
    .await;
    assert_eq!(s, 422, "{html}");
    let img = image_id(&html);
    let alt_field = html.find(&format!("id=\"alt-{img}\"")).unwrap();
    assert!(
        html[alt_field..].contains("Bild 1 hat keinen Alternativtext"),
        "the finding is shown at the image"
    );
    assert!(html.contains("aria-invalid=\"true\""));
    assert!(html.contains("Der Beitrag kann so nicht eingereicht werden"));
    assert!(html.contains(&format!("src=\"/beitraege/bilder/{img}\"")));
    let (s, bytes) = {
        let res = app
            .http
            .get(app.url(&format!("/beitraege/bilder/{img}")))
            .header("cookie", &anna)
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.bytes().await.unwrap())
    };
    assert_eq!(s, 200);
    assert!(!contains(&bytes, GPS_SECRET), "re-encoded like the API");
    assert!(app.store.staff_posts(app.a, 10).await.unwrap().is_empty());

    // With alt text it is stored and submitted.
    let alt_name = format!("alt.{img}");
    let (s, location, _) = compose(
        &app,
        &anna,
        "/beitraege/neu",
        &[
            Field::Text("text", text),
            Field::Text("language", "de"),
            Field::Text("channel", "mastodon"),
            Field::Text("image_id", &img),
            Field::Text(&alt_name, "Absperrgitter und Bagger in der Lindenstraße"),
            Field::Text("when", "now"),
            Field::Text("action", "submit"),
        ],
    )
    .await;
    assert_eq!(s, 303);
    assert!(location.ends_with("?msg=submitted"), "{location}");
    let id = post_id(&location);
    let page = format!("/beitraege/{id}");

    // The author may not approve under four-eyes, and is told why.
    let (s, html) = app.get_page(&anna, &page).await;
    assert_eq!(s, 200);
    assert!(html.contains("Zur Freigabe eingereicht"));
    assert!(html.contains("Vier-Augen-Prinzip"));
    let res = app
        .post_form(&anna, &format!("/beitraege/{id}/freigeben"), &[])
        .await;
    assert_eq!(res.status().as_u16(), 403);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Den eigenen Beitrag muss eine andere Person freigeben"),
        "{html}"
    );

    // Bernd approves: the news page has it at once, Mastodon waits with a plain reason.
    let res = app
        .post_form(&bernd, &format!("/beitraege/{id}/freigeben"), &[])
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let (_, html) = app.get_page(&bernd, &page).await;
    assert!(
        html.contains("<tr class=\"result-published\"><td>Website (eigene Neuigkeiten-Seite, immer)</td><td>veröffentlicht</td>"),
        "{html}"
    );
    assert!(
        html.contains(&format!("/musterstadt/beitrag/{id}\"")),
        "link to the news page"
    );
    assert!(
        html.contains(NOT_CONNECTED),
        "Mastodon's state in plain words"
    );
    // History: who and when.
    for step in ["angelegt", "eingereicht", "freigegeben", "geplant"] {
        assert!(html.contains(step), "{step}");
    }
    assert!(
        html.contains(">anna<") && html.contains(">bernd<"),
        "{html}"
    );
    let filter = rathaus_store::AuditFilter {
        action_prefix: Some("post.".into()),
        ..Default::default()
    };
    let actions: Vec<String> = app
        .store
        .audit_entries(app.a, &filter)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    for a in [
        "post.create",
        "post.submit",
        "post.approve",
        "post.schedule",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} audited: {actions:?}");
    }

    let public = app.public_text("/musterstadt/").await;
    assert!(public.contains("Vollsperrung der Lindenstraße ab Montag"));
    let post = app
        .http
        .get(app.url(&format!("/musterstadt/beitrag/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(post.contains("alt=\"Absperrgitter und Bagger in der Lindenstraße\""));

    let (_, list) = app.get_page(&anna, "/beitraege").await;
    assert!(list.contains(&format!("href=\"/beitraege/{id}\"")));
}

#[tokio::test]
async fn preview_counts_per_channel_and_warnings_do_not_block() {
    let app = start_publishing().await;
    app.staff(app.a, "anna@musterstadt.de", Role::Editor).await;
    let anna = app.login("anna@musterstadt.de").await;
    let long = "a".repeat(501);
    let (s, _, html) = compose(
        &app,
        &anna,
        "/beitraege/neu",
        &[
            Field::Text("text", "Wir 🎉 feiern das Stadtfest #stadtfestmusterstadt"),
            Field::Text("language", "de"),
            Field::Text("channel", "mastodon"),
            Field::Text("variant.mastodon", &long),
            Field::Text("action", "preview"),
        ],
    )
    .await;
    assert_eq!(s, 200);
    assert!(html.contains("501 von 500 Zeichen – zu lang"), "{html}");
    assert!(html.contains("CamelCase"), "hashtag warning");
    assert!(html.contains("Hinweis"));

    // Over-length blocks saving; the warnings alone do not.
    let (s, _, html) = compose(
        &app,
        &anna,
        "/beitraege/neu",
        &[
            Field::Text("text", "Wir 🎉 feiern das Stadtfest #stadtfestmusterstadt"),
            Field::Text("language", "de"),
            Field::Text("channel", "mastodon"),
            Field::Text("variant.mastodon", &long),
            Field::Text("action", "save"),
        ],
    )
    .await;
    assert_eq!(s, 422);
    assert!(html.contains("Muss behoben werden"));
    let (s, location, _) = compose(
        &app,
        &anna,
        "/beitraege/neu",
        &[
            Field::Text("text", "Wir 🎉 feiern das Stadtfest #stadtfestmusterstadt"),
            Field::Text("language", "de"),
            Field::Text("channel", "mastodon"),
            Field::Text("action", "save"),
        ],
    )
    .await;
    assert_eq!(s, 303, "warnings are allowed");
    assert!(location.ends_with("?msg=saved"));

    // Fake bold letters block, next to the text field.
    let (s, _, html) = compose(
        &app,
        &anna,
        "/beitraege/neu",
        &[
            Field::Text("text", "𝐖𝐢𝐜𝐡𝐭𝐢𝐠: Wasser abgestellt"),
            Field::Text("language", "de"),
            Field::Text("action", "submit"),
        ],
    )
    .await;
    assert_eq!(s, 422);
    let notes = html
        .find("id=\"post-text-notes\"")
        .expect("notes at the text");
    assert!(html[notes..].contains("Schreiben Sie „Wichtig“"));

    // A time in the past is refused in plain words.
    let (s, _, html) = compose(
        &app,
        &anna,
        "/beitraege/neu",
        &[
            Field::Text("text", "Sprechstunde fällt aus"),
            Field::Text("language", "de"),
            Field::Text("when", "at"),
            Field::Text("publish_date", "2020-01-01"),
            Field::Text("publish_time", "09:00"),
            Field::Text("action", "save"),
        ],
    )
    .await;
    assert_eq!(s, 422);
    assert!(html.contains("id=\"time-error\""));
}

#[tokio::test]
async fn rejected_posts_return_with_the_comment_and_can_be_fixed() {
    let app = start_publishing().await;
    app.staff(app.a, "anna@musterstadt.de", Role::Editor).await;
    app.staff(app.a, "chef@musterstadt.de", Role::Admin).await;
    let anna = app.login("anna@musterstadt.de").await;
    let chef = app.login("chef@musterstadt.de").await;
    let (s, location, _) = compose(
        &app,
        &anna,
        "/beitraege/neu",
        &[
            Field::Text("text", "Wahlhelfer gesucht"),
            Field::Text("language", "de"),
            Field::Text("when", "at"),
            Field::Text("publish_date", "2099-05-01"),
            Field::Text("publish_time", "09:00"),
            Field::Text("action", "submit"),
        ],
    )
    .await;
    assert_eq!(s, 303);
    let id = post_id(&location);

    // A rejection needs a comment.
    let res = app
        .post_form(
            &chef,
            &format!("/beitraege/{id}/ablehnen"),
            &[("comment", " ")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 422);
    let res = app
        .post_form(
            &chef,
            &format!("/beitraege/{id}/ablehnen"),
            &[("comment", "Bitte die Aufwandsentschädigung nennen.")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let (_, html) = app.get_page(&anna, &format!("/beitraege/{id}")).await;
    assert!(html.contains("Entwurf"));
    assert!(html.contains("Kommentar der Prüfung"));
    assert!(html.contains("Bitte die Aufwandsentschädigung nennen."));
    assert!(html.contains(&format!("href=\"/beitraege/{id}/bearbeiten\"")));

    // The author edits (a rejection clears the time; it is given again, in the municipality's zone).
    let (s, html) = app
        .get_page(&anna, &format!("/beitraege/{id}/bearbeiten"))
        .await;
    assert_eq!(s, 200);
    assert!(html.contains(">Wahlhelfer gesucht</textarea>"), "{html}");
    let (s, location, _) = compose(
        &app,
        &anna,
        &format!("/beitraege/{id}/bearbeiten"),
        &[
            Field::Text("text", "Wahlhelfer gesucht – 50 Euro Erfrischungsgeld"),
            Field::Text("language", "de"),
            Field::Text("when", "at"),
            Field::Text("publish_date", "2099-05-01"),
            Field::Text("publish_time", "09:00"),
            Field::Text("action", "submit"),
        ],
    )
    .await;
    assert_eq!((s, location.ends_with("?msg=submitted")), (303, true));
    let res = app
        .post_form(&chef, &format!("/beitraege/{id}/freigeben"), &[])
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let (_, html) = app.get_page(&chef, &format!("/beitraege/{id}")).await;
    assert!(html.contains("Geplant"), "scheduled for later");
    assert!(html.contains("01.05.2099, 09:00"));
    assert!(html.contains("50 Euro Erfrischungsgeld"));
    assert!(html.contains("zurückgegeben: „Bitte die Aufwandsentschädigung nennen.“"));
    let post = app.store.post(app.a, id).await.unwrap().unwrap();
    // 09:00 in Berlin in May (CEST) is 07:00 UTC.
    assert_eq!(
        post.publish_at,
        Some(
            "2099-05-01T07:00:00Z"
                .parse::<jiff::Timestamp>()
                .unwrap()
                .as_millisecond()
        )
    );
}
