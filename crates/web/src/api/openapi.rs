//! The OpenAPI 3.1 description of `/api/v1`, generated from the handlers' annotations.

use axum::Json;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::errors::{ErrorBody, ErrorDetail};
use super::{concerns, post_retry, posts, privacy, reports, staff, teams};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Rathaus API",
        description = "Concerns (Anliegen) of one municipality, as the bearer token's staff member sees them. \
                       Errors are always `{\"error\": {\"code\", \"message\"}}` with a stable code.",
        license(name = "EUPL-1.2")
    ),
    paths(
        concerns::list,
        concerns::show,
        concerns::reply,
        concerns::note,
        concerns::set_status,
        concerns::set_assignee,
        concerns::media,
        teams::set_concern_team,
        teams::list,
        staff::list,
        staff::invite,
        staff::change_role,
        staff::remove,
        privacy::requests,
        privacy::erase,
        privacy::export,
        privacy::audit,
        reports::response_times,
        posts::upload_media,
        posts::set_media_alt,
        posts::create,
        posts::show,
        posts::submit,
        posts::approve,
        posts::reject,
        posts::edit_published,
        posts::withdraw,
        post_retry::retry,
        post_retry::resend,
        openapi_json,
    ),
    components(schemas(ErrorBody, ErrorDetail)),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags(
        (name = "concerns", description = "Citizen concerns and their threads"),
        (name = "privacy", description = "Data-subject requests, erasure, access export and the audit log (data-protection officer only)"),
        (name = "teams", description = "Teams of the municipality; an agent in a team sees only its teams' concerns and concerns without a team"),
        (name = "staff", description = "Staff and their roles in this municipality (admin only); every change is audited"),
        (name = "reports", description = "Response-time reports: aggregates only (admin and viewer)"),
        (name = "publishing", description = "Posts with images, four-eyes approval and per-channel results (editor and admin). \
                                             The town's own news page (channel `website`) publishes at once; each configured network \
                                             channel (Mastodon, Bluesky, Facebook page, Instagram, X, Telegram channel) gets a publishing \
                                             job whose result (`published` with `url`, `failed` or `unknown` with `error`) shows per \
                                             channel. A `failed` channel can be tried again (`…/channels/{channel}/retry`); an \
                                             `unknown` one only after confirming it did not appear (`…/channels/{channel}/resend`).")
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// This document.
#[utoipa::path(
    get, path = "/api/v1/openapi.json", tag = "meta",
    responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/json")),
    security(())
)]
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
