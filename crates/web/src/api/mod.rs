//! JSON API under `/api/v1` for integrations: bearer tokens, JSON errors with stable codes, OpenAPI document.

pub(crate) mod auth;
pub mod concerns;
pub mod errors;
pub mod openapi;
pub mod post_retry;
pub mod posts;
pub mod privacy;
pub mod reports;
pub mod staff;
pub mod teams;

use axum::routing::{any, get, post, put, MethodRouter};
use axum::Router;

use crate::AppState;
use errors::ApiError;

pub use openapi::ApiDoc;

/// Every API route as (method, path, handler); the router and [`registered_routes`] are built from it.
fn table() -> Vec<(&'static str, &'static str, MethodRouter<AppState>)> {
    vec![
        ("get", "/api/v1/concerns", get(concerns::list)),
        ("get", "/api/v1/concerns/{id}", get(concerns::show)),
        (
            "post",
            "/api/v1/concerns/{id}/replies",
            post(concerns::reply),
        ),
        ("post", "/api/v1/concerns/{id}/notes", post(concerns::note)),
        (
            "post",
            "/api/v1/concerns/{id}/status",
            post(concerns::set_status),
        ),
        (
            "post",
            "/api/v1/concerns/{id}/assignee",
            post(concerns::set_assignee),
        ),
        (
            "get",
            "/api/v1/concerns/{id}/media/{media_id}",
            get(concerns::media),
        ),
        (
            "post",
            "/api/v1/concerns/{id}/team",
            post(teams::set_concern_team),
        ),
        ("get", "/api/v1/teams", get(teams::list)),
        ("get", "/api/v1/staff", get(staff::list)),
        ("post", "/api/v1/staff/invitations", post(staff::invite)),
        ("post", "/api/v1/staff/{id}/role", post(staff::change_role)),
        ("post", "/api/v1/staff/{id}/remove", post(staff::remove)),
        ("get", "/api/v1/privacy/requests", get(privacy::requests)),
        (
            "post",
            "/api/v1/privacy/citizens/{id}/erase",
            post(privacy::erase),
        ),
        (
            "get",
            "/api/v1/privacy/citizens/{id}/export",
            get(privacy::export),
        ),
        ("get", "/api/v1/privacy/audit", get(privacy::audit)),
        (
            "get",
            "/api/v1/reports/response-times",
            get(reports::response_times),
        ),
        (
            "post",
            "/api/v1/media",
            // An image may be larger than the general body limit.
            post(posts::upload_media).layer(axum::extract::DefaultBodyLimit::max(
                rathaus_hub::images::MAX_IMAGE_BYTES + 1,
            )),
        ),
        ("put", "/api/v1/media/{id}", put(posts::set_media_alt)),
        ("post", "/api/v1/posts", post(posts::create)),
        ("get", "/api/v1/posts/{id}", get(posts::show)),
        ("post", "/api/v1/posts/{id}/submit", post(posts::submit)),
        ("post", "/api/v1/posts/{id}/approve", post(posts::approve)),
        ("post", "/api/v1/posts/{id}/reject", post(posts::reject)),
        (
            "post",
            "/api/v1/posts/{id}/edit",
            post(posts::edit_published),
        ),
        ("post", "/api/v1/posts/{id}/delete", post(posts::withdraw)),
        (
            "post",
            "/api/v1/posts/{id}/channels/{channel}/retry",
            post(post_retry::retry),
        ),
        (
            "post",
            "/api/v1/posts/{id}/channels/{channel}/resend",
            post(post_retry::resend),
        ),
        ("get", "/api/v1/openapi.json", get(openapi::openapi_json)),
    ]
}

/// (method, path) of every route registered under `/api/v1`, for checking the OpenAPI document against.
pub fn registered_routes() -> Vec<(&'static str, &'static str)> {
    table().into_iter().map(|(m, p, _)| (m, p)).collect()
}

async fn not_found() -> ApiError {
    ApiError::not_found()
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "Diese Methode ist hier nicht erlaubt. / Method not allowed here.",
    )
}

pub fn router() -> Router<AppState> {
    table()
        .into_iter()
        .fold(Router::new(), |r, (_, path, handler)| {
            r.route(path, handler.fallback(method_not_allowed))
        })
        .route("/api/v1/{*rest}", any(not_found))
}
