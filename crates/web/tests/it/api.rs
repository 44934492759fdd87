//! The JSON API as an integration sees it: bearer tokens, tenant scoping, replies, JSON errors, OpenAPI.

use rathaus_domain::{DeliveryStatus, Direction, MessageContent};
use rathaus_store::Role;
use serde_json::json;

use crate::harness::{json_of, start, HOUR_MS, PHONE};

#[tokio::test]
async fn lists_and_reads_concerns_without_personal_identifiers() {
    let app = start().await;
    let token = app.api_token(app.a, "sb@musterstadt.de", Role::Agent).await;
    let (id, pseudonym) = app.concern(app.a, PHONE, "Baum umgestürzt").await;
    let (theirs, _) = app.concern(app.b, "5005", "Anderswo").await;

    let (status, list) = app.api_get(&token, "/api/v1/concerns").await;
    assert_eq!(status, 200);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 1, "only the token's municipality");
    assert_eq!(list[0]["id"], id);
    assert_eq!(list[0]["pseudonym"], pseudonym.as_str());
    assert_eq!(list[0]["status"], "open");
    assert_eq!(list[0]["channel"], app.channel_a);
    assert_eq!(list[0]["channel_name"], "whatsapp");
    assert!(list[0]["assignee"].is_null());
    assert!(list[0]["last_activity"].as_str().unwrap().ends_with('Z'));

    let (_, resolved) = app
        .api_get(&token, "/api/v1/concerns?status=resolved")
        .await;
    assert!(resolved.as_array().unwrap().is_empty());

    let (status, detail) = app.api_get(&token, &format!("/api/v1/concerns/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(detail["messages"][0]["text"], "Baum umgestürzt");
    assert_eq!(detail["messages"][0]["direction"], "inbound");
    assert!(detail["reply_window_until"].is_string());
    assert!(detail["reply_blocked"].is_null());
    assert!(!detail.to_string().contains(PHONE));

    // Another municipality's concern does not exist for this token.
    let (status, err) = app
        .api_get(&token, &format!("/api/v1/concerns/{theirs}"))
        .await;
    assert_eq!(status, 404);
    assert_eq!(err["error"]["code"], "concern_not_found");
    let (status, err) = app
        .api_post(
            &token,
            &format!("/api/v1/concerns/{theirs}/replies"),
            json!({"text": "Hallo"}),
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(err["error"]["code"], "concern_not_found");
    assert_eq!(app.outbound_count(app.b, theirs).await, 0);
}

#[tokio::test]
async fn a_reply_is_queued_and_refused_after_the_window() {
    let app = start().await;
    let token = app.api_token(app.a, "sb@musterstadt.de", Role::Agent).await;
    let (id, _) = app.concern(app.a, PHONE, "Frage").await;

    let (status, body) = app
        .api_post(
            &token,
            &format!("/api/v1/concerns/{id}/replies"),
            json!({"text": "Antwort"}),
        )
        .await;
    assert_eq!(status, 202);
    assert_eq!(body["delivery_status"], "queued");
    let message_id = body["message_id"].as_i64().unwrap();
    let detail = app.store.concern_detail(app.a, id).await.unwrap().unwrap();
    let out = detail.messages.iter().find(|m| m.id == message_id).unwrap();
    assert_eq!(out.direction, Direction::Outbound);
    assert_eq!(out.delivery_status, Some(DeliveryStatus::Queued));
    assert_eq!(out.text.as_deref(), Some("Antwort"));

    // A citizen who last wrote 25 hours ago cannot be answered freely on WhatsApp.
    let citizen = app.citizen(app.a, "4917000000001").await;
    let (old, _) = app
        .file(
            &citizen,
            "old",
            MessageContent::Text { body: "Alt".into() },
            25 * HOUR_MS,
        )
        .await;
    let (status, err) = app
        .api_post(
            &token,
            &format!("/api/v1/concerns/{old}/replies"),
            json!({"text": "Zu spät"}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(err["error"]["code"], "reply_refused_window_closed");
    assert!(err["error"]["message"].as_str().unwrap().contains("24"));
    assert_eq!(app.outbound_count(app.a, old).await, 0);
    let (_, detail) = app
        .api_get(&token, &format!("/api/v1/concerns/{old}"))
        .await;
    assert_eq!(detail["reply_blocked"], "reply_refused_window_closed");

    for (text, code) in [("  ", "empty_text"), (&"x".repeat(4097)[..], "too_long")] {
        let (status, err) = app
            .api_post(
                &token,
                &format!("/api/v1/concerns/{id}/replies"),
                json!({ "text": text }),
            )
            .await;
        assert_eq!((status, err["error"]["code"].as_str()), (422, Some(code)));
    }
}

#[tokio::test]
async fn notes_status_and_assignee() {
    let app = start().await;
    let token = app.api_token(app.a, "sb@musterstadt.de", Role::Agent).await;
    let colleague = app
        .staff(app.a, "kollegin@musterstadt.de", Role::Agent)
        .await;
    let stranger = app.staff(app.b, "fremd@beispieldorf.de", Role::Agent).await;
    let (id, _) = app.concern(app.a, PHONE, "Frage").await;
    let base = format!("/api/v1/concerns/{id}");

    let (status, body) = app
        .api_post(&token, &format!("{base}/notes"), json!({"text": "intern"}))
        .await;
    assert_eq!(status, 201);
    assert!(body["message_id"].is_i64());
    let (status, err) = app
        .api_post(&token, &format!("{base}/notes"), json!({"text": ""}))
        .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (422, Some("empty_text"))
    );

    let (status, body) = app
        .api_post(
            &token,
            &format!("{base}/status"),
            json!({"status": "resolved"}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "resolved");
    let (status, err) = app
        .api_post(&token, &format!("{base}/status"), json!({"status": "done"}))
        .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (422, Some("invalid_status"))
    );

    let (status, body) = app
        .api_post(
            &token,
            &format!("{base}/assignee"),
            json!({"staff_id": colleague}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["assignee"]["id"], colleague);
    let (status, err) = app
        .api_post(
            &token,
            &format!("{base}/assignee"),
            json!({"staff_id": stranger}),
        )
        .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (422, Some("invalid_assignee"))
    );
    let (status, body) = app
        .api_post(
            &token,
            &format!("{base}/assignee"),
            json!({"staff_id": null}),
        )
        .await;
    assert_eq!(status, 200);
    assert!(body["assignee"].is_null());

    let (_, detail) = app.api_get(&token, &base).await;
    assert_eq!(detail["status"], "resolved");
    let note = detail["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["direction"] == "internal")
        .unwrap();
    assert_eq!(note["text"], "intern");
    assert_eq!(note["author"], "sb");
}

#[tokio::test]
async fn read_only_tokens_cannot_act_and_viewers_cannot_read() {
    let app = start().await;
    let dpo = app.api_token(app.a, "dsb@musterstadt.de", Role::Dpo).await;
    let viewer = app
        .api_token(app.a, "leser@musterstadt.de", Role::Viewer)
        .await;
    let (id, _) = app.concern(app.a, PHONE, "Frage").await;
    let (status, _) = app.api_get(&dpo, &format!("/api/v1/concerns/{id}")).await;
    assert_eq!(status, 200);
    for path in [
        "/api/v1/concerns".to_string(),
        format!("/api/v1/concerns/{id}"),
    ] {
        let (status, err) = app.api_get(&viewer, &path).await;
        assert_eq!(
            (status, err["error"]["code"].as_str()),
            (403, Some("forbidden")),
            "{path}"
        );
    }
    for token in [&dpo, &viewer] {
        for (path, body) in [
            ("replies", json!({"text": "Hallo"})),
            ("notes", json!({"text": "Notiz"})),
            ("status", json!({"status": "resolved"})),
            ("assignee", json!({"staff_id": null})),
        ] {
            let (status, err) = app
                .api_post(token, &format!("/api/v1/concerns/{id}/{path}"), body)
                .await;
            assert_eq!(
                (status, err["error"]["code"].as_str()),
                (403, Some("forbidden")),
                "{path}"
            );
        }
    }
    assert_eq!(app.outbound_count(app.a, id).await, 0);
}

#[tokio::test]
async fn every_api_error_is_json_with_a_stable_code() {
    let app = start().await;
    let token = app.api_token(app.a, "sb@musterstadt.de", Role::Agent).await;
    let (id, _) = app.concern(app.a, PHONE, "Frage").await;

    let res = app
        .http
        .get(app.url("/api/v1/concerns"))
        .send()
        .await
        .unwrap();
    let (status, err) = json_of(res).await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    let (status, err) = app.api_get("rh_not-a-token", "/api/v1/concerns").await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    assert!(err["error"]["message"].as_str().unwrap().contains("Token"));

    let replies = app.url(&format!("/api/v1/concerns/{id}/replies"));
    let res = app
        .http
        .post(&replies)
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{\"text\": ")
        .send()
        .await
        .unwrap();
    let (status, err) = json_of(res).await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (400, Some("bad_request"))
    );
    let (status, err) = app
        .api_post(
            &token,
            &format!("/api/v1/concerns/{id}/replies"),
            json!({"txt": "x"}),
        )
        .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (400, Some("bad_request"))
    );
    let res = app
        .http
        .post(&replies)
        .bearer_auth(&token)
        .body("text=x")
        .send()
        .await
        .unwrap();
    let (status, _) = json_of(res).await;
    assert_eq!(status, 415);

    let (status, err) = app.api_get(&token, "/api/v1/concerns/abc").await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
    let (status, err) = app.api_get(&token, "/api/v1/nichts").await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
    let (status, err) = app.api_get(&token, "/api/v1/concerns?status=kaputt").await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (422, Some("invalid_status"))
    );
    let (status, err) = app.api_get(&token, "/api/v1/concerns?channel=eins").await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (400, Some("bad_request"))
    );
    let res = app
        .http
        .delete(app.url("/api/v1/concerns"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let (status, err) = json_of(res).await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (405, Some("method_not_allowed"))
    );
    let (status, err) = app.api_get(&token, "/api/v1/concerns/999999").await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (404, Some("concern_not_found"))
    );
}

#[tokio::test]
async fn api_media_download_is_an_attachment() {
    let app = start().await;
    let token = app.api_token(app.a, "sb@musterstadt.de", Role::Agent).await;
    let (citizen, id, media_id) = app.concern_with_image(app.a, PHONE).await;
    app.store
        .save_media(&citizen, media_id, "application/pdf", b"%PDF-1.7")
        .await
        .unwrap();
    let (_, detail) = app.api_get(&token, &format!("/api/v1/concerns/{id}")).await;
    let url = detail["messages"][0]["media"]["download_url"]
        .as_str()
        .unwrap()
        .to_string();
    let res = app
        .http
        .get(app.url(&url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
}

#[tokio::test]
async fn openapi_document_describes_every_registered_route() {
    let app = start().await;
    let res = app
        .http
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    let (status, doc) = json_of(res).await;
    assert_eq!(status, 200);
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let routes = rathaus_web::api::registered_routes();
    assert!(routes.len() >= 7);
    for (method, path) in routes {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} is registered but not in openapi.json"
        );
    }
    // And nothing is documented that is not served.
    let documented: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|p| p.as_object().unwrap().len())
        .sum();
    assert_eq!(documented, rathaus_web::api::registered_routes().len());
    let scheme = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(scheme["type"], "http");
    assert_eq!(scheme["scheme"], "bearer");
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
}
