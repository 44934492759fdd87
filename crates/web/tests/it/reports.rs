//! Response-time reports: exact figures over a small fixed data set in the API, CSV and page; bad dates; the axe audit of the new pages.

use rathaus_store::{now_ms, Role};

use crate::browser::{assert_clean, audit, e2e_dir};
use crate::consultation::{consultation_app, file_promised, MIN_MS};
use crate::harness::{header, start, App, HOUR_MS, PHONE};

/// 2025-03-03 09:00 in Berlin (CET, UTC+1).
const MON: i64 = 1_740_988_800_000;
const DAY: i64 = 24 * HOUR_MS;
const PERIOD: &str = "from=2025-03-01&to=2025-03-31";
const CSV_HEADER: &str =
    "split,group,concerns,answered,first_response_median_s,first_response_p90_s,\
first_response_office_median_s,first_response_office_p90_s,share_within_1h_office,\
share_within_1_office_day,share_target_met";

/// Four concerns in March 2025, each due an hour after it came: answered after 10 min, 30 min and
/// 2 hours, one never; one more in April (outside the period).
async fn fixed_data(app: &App) {
    let staff = app.staff(app.a, "sb@musterstadt.de", Role::Agent).await;
    let cases = [
        (0, Some(10)),
        (1, Some(30)),
        (2, Some(120)),
        (3, None),
        (30, Some(5)),
    ];
    for (i, (day, answer_min)) in cases.into_iter().enumerate() {
        let c = app.citizen(app.a, &format!("491720000000{i}")).await;
        let at = MON + day * DAY;
        let id = file_promised(
            app,
            &c.0,
            &format!("r{i}"),
            at,
            at + 45 * MIN_MS,
            at + HOUR_MS,
        )
        .await;
        if let Some(m) = answer_min {
            app.store
                .queue_reply(app.a, id, staff, "Antwort", at + m * MIN_MS)
                .await
                .unwrap()
                .unwrap();
        }
    }
}

#[tokio::test]
async fn the_report_api_gives_exact_figures_and_refuses_bad_dates() {
    let app = start().await;
    fixed_data(&app).await;
    let token = app
        .api_token(app.a, "leser@musterstadt.de", Role::Viewer)
        .await;
    let (status, r) = app
        .api_get(&token, &format!("/api/v1/reports/response-times?{PERIOD}"))
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["from"], "2025-03-01");
    assert_eq!(r["to"], "2025-03-31");
    assert_eq!(r["timezone"], "Europe/Berlin");
    assert_eq!(r["concerns"], 4);
    assert_eq!(r["answered"], 3);
    // Nearest rank over 600, 1800, 7200 s.
    assert_eq!(r["first_response_median_s"], 1800);
    assert_eq!(r["first_response_p90_s"], 7200);
    // Two of four kept their promise (the unanswered one has missed it by now).
    assert_eq!(r["share_target_met"], 0.5);
    // No office hours configured: office-time figures are null.
    assert_eq!(r["office_hours_configured"], false);
    assert!(r["first_response_office_median_s"].is_null());
    assert!(r["share_within_1h_office"].is_null());
    assert!(r["share_within_1_office_day"].is_null());
    assert_eq!(r["by_channel"][0]["channel"], "whatsapp");
    assert_eq!(r["by_channel"][0]["concerns"], 4);
    assert_eq!(r["by_month"].as_array().unwrap().len(), 1);
    assert_eq!(r["by_month"][0]["month"], "2025-03");
    assert_eq!(r["by_month"][0]["first_response_median_s"], 1800);
    assert_eq!(r["by_slot"], serde_json::json!([]));

    // Every key of the answer is in the OpenAPI schema.
    let (_, doc) = app.api_get(&token, "/api/v1/openapi.json").await;
    let schemas = doc["components"]["schemas"].to_string();
    for key in r.as_object().unwrap().keys() {
        assert!(
            schemas.contains(&format!("\"{key}\"")),
            "{key} missing in the schema"
        );
    }
    assert!(doc["paths"]["/api/v1/reports/response-times"]["get"].is_object());

    for bad in [
        "from=2025-13-01&to=2025-03-31",
        "from=2025-03-31&to=2025-03-01",
        "from=03.01.2025&to=2025-03-31",
        "to=2025-03-31",
        "",
    ] {
        let (status, body) = app
            .api_get(&token, &format!("/api/v1/reports/response-times?{bad}"))
            .await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert_eq!(body["error"]["code"], "invalid_period", "{bad}");
    }
    // Agents and the data-protection officer do not get reports (matrix: admin and viewer).
    for role in [Role::Agent, Role::Dpo, Role::Host] {
        let t = app
            .api_token(app.a, &format!("{}@musterstadt.de", role.as_str()), role)
            .await;
        let (status, _) = app
            .api_get(&t, &format!("/api/v1/reports/response-times?{PERIOD}"))
            .await;
        assert_eq!(status, 403, "{role:?}");
    }
}

async fn csv_of(res: reqwest::Response) -> (u16, String, String, String) {
    let status = res.status().as_u16();
    let ct = header(res.headers(), "content-type").to_string();
    let cd = header(res.headers(), "content-disposition").to_string();
    (status, ct, cd, res.text().await.unwrap())
}

#[tokio::test]
async fn the_report_comes_as_csv_and_as_a_page_with_charts_and_tables() {
    let app = start().await;
    fixed_data(&app).await;
    let token = app
        .api_token(app.a, "leser@musterstadt.de", Role::Viewer)
        .await;
    let api = format!("/api/v1/reports/response-times?{PERIOD}");
    let by_format = app
        .http
        .get(app.url(&format!("{api}&format=csv")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let by_accept = app
        .http
        .get(app.url(&api))
        .bearer_auth(&token)
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap();
    app.staff(app.a, "leser@musterstadt.de", Role::Viewer).await;
    let cookie = app.login("leser@musterstadt.de").await;
    let page_csv = app
        .http
        .get(app.url(&format!("/berichte.csv?{PERIOD}")))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    let mut bodies = Vec::new();
    for res in [by_format, by_accept, page_csv] {
        let (status, ct, cd, body) = csv_of(res).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(ct, "text/csv; charset=utf-8");
        assert_eq!(
            cd,
            "attachment; filename=\"antwortzeiten-musterstadt-2025-03-01-2025-03-31.csv\""
        );
        let lines: Vec<&str> = body.split("\r\n").collect();
        assert_eq!(lines[0], CSV_HEADER);
        assert_eq!(lines[1], "total,all,4,3,1800,7200,,,,,0.5000");
        assert_eq!(lines[2], "channel,whatsapp,4,3,1800,7200,,,,,0.5000");
        assert_eq!(lines[3], "month,2025-03,4,3,1800,7200,,,,,0.5000");
        bodies.push(body);
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]));
    let (status, _, _, _) = csv_of(
        app.http
            .get(app.url("/berichte.csv?from=kaputt&to=2025-03-01"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);

    let (status, page) = app.get_page(&cookie, &format!("/berichte?{PERIOD}")).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("<h1>Berichte: Antwortzeiten</h1>"));
    assert!(
        page.contains("<dd>30 Min.</dd>") && page.contains("<dd>2 Std.</dd>"),
        "{page}"
    );
    assert!(page.contains("<dd>50\u{202f}%</dd>"));
    assert!(
        page.contains("href=\"/berichte.csv?from=2025-03-01&#38;to=2025-03-31\""),
        "{page}"
    );
    // Each chart is an image with a title and a description, with a table beside it.
    for chart in ["chart-months", "chart-channels"] {
        assert!(page.contains(&format!("aria-labelledby=\"{chart}-title {chart}-desc\"")));
        assert!(page.contains(&format!("<title id=\"{chart}-title\">")));
    }
    assert_eq!(page.matches("role=\"img\"").count(), 2);
    assert!(page.contains("<th scope=\"row\">März 2025</th>"));
    assert!(page.contains("<th scope=\"row\">whatsapp</th>"));
    assert!(!page.contains("style=") && !page.contains("<script>"));
    // A citizen's pseudonym never appears in a report.
    let some = app
        .store
        .list_concerns(app.a, &Default::default())
        .await
        .unwrap();
    assert!(some.iter().all(|c| !page.contains(&c.pseudonym)));

    let (status, page) = app
        .get_page(&cookie, "/berichte?from=2025-02-30&to=2025-03-01")
        .await;
    assert_eq!(status, 400);
    assert!(page.contains("role=\"alert\""));
    // Without a period: the last three calendar months.
    let (status, page) = app.get_page(&cookie, "/berichte").await;
    assert_eq!(status, 200);
    assert!(page.contains("type=\"date\""));
    // Agents are refused the page, and see no link to it.
    let agent = app.login("sb@musterstadt.de").await;
    let (status, page) = app.get_page(&agent, "/berichte").await;
    assert_eq!(status, 403);
    assert!(!page.contains("href=\"/berichte\""));
    assert!(page.contains("href=\"/sprechstunde\""));
}

/// The new pages pass axe-core (WCAG 2.1 AA) and fit a phone, as in `browser.rs`.
#[tokio::test]
async fn the_new_pages_pass_axe_and_fit_a_phone() {
    let Some(dir) = e2e_dir() else { return };
    let app = consultation_app().await;
    fixed_data(&app).await;
    let now = now_ms();
    let c = app.citizen(app.a, PHONE).await;
    file_promised(
        &app,
        &c.0,
        "late",
        now - 3 * HOUR_MS,
        now - 150 * MIN_MS,
        now - 2 * HOUR_MS,
    )
    .await;
    let d = app.citizen(app.a, "4917200000099").await;
    file_promised(
        &app,
        &d.0,
        "soon",
        now - 5 * MIN_MS,
        now - MIN_MS,
        now + 20 * MIN_MS,
    )
    .await;
    app.staff(app.a, "admin@musterstadt.de", Role::Admin).await;
    let cookie = app.login("admin@musterstadt.de").await;
    let (name, value) = cookie.split_once('=').unwrap();
    let mut args = vec![app.base.clone(), name.to_string(), value.to_string()];
    args.extend(
        [
            "/inbox",
            "/inbox?due=overdue",
            "/sprechstunde",
            &format!("/berichte?{PERIOD}"),
            "/berichte?from=2030-01-01&to=2030-01-31",
        ]
        .map(str::to_string),
    );
    assert_clean(&audit(&dir, &args).await);
    // In English, too.
    app.post_form(&cookie, "/language", &[("lang", "en"), ("back", "/inbox")])
        .await;
    let mut args = vec![app.base.clone(), name.to_string(), value.to_string()];
    args.extend(["/inbox".to_string(), format!("/berichte?{PERIOD}")]);
    assert_clean(&audit(&dir, &args).await);
}
