//! Bearer-token authentication for `/api/v1`: `Authorization: Bearer <token>` acts as one staff member in one municipality.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use rathaus_store::{now_ms, SessionInfo};

use super::errors::ApiError;
use crate::AppState;

pub struct ApiSession(pub SessionInfo);

impl ApiSession {
    /// Read-only roles may look but not act.
    pub fn require_answer(&self) -> Result<(), ApiError> {
        if self.0.role.can_answer() {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

impl FromRequestParts<AppState> for ApiSession {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts).ok_or_else(ApiError::unauthorized)?;
        match state.store.api_token(token, now_ms()).await {
            Ok(Some(info)) => Ok(ApiSession(info)),
            Ok(None) => Err(ApiError::unauthorized()),
            Err(e) => Err(ApiError::internal(&e)),
        }
    }
}
