//! Bearer-token authentication for `/api/v1`: `Authorization: Bearer <token>` acts as one staff member in one municipality.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use rathaus_store::{now_ms, SessionInfo};

use super::errors::ApiError;
use crate::ui::audit::{client_ip, Actor};
use crate::AppState;

#[derive(Clone)]
pub struct ApiSession(pub SessionInfo, pub Option<String>);

impl ApiSession {
    /// Roles that may not see concern threads (viewers, editors) get 403.
    pub fn require_read(&self) -> Result<(), ApiError> {
        if self.0.role.can_read_concerns() {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }

    pub fn actor(&self) -> Actor {
        Actor::staff(&self.0, self.1.clone())
    }

    /// Only the data-protection officer may use `/api/v1/privacy`.
    pub fn require_privacy(&self) -> Result<(), ApiError> {
        if self.0.role.is_privacy_officer() {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }

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
        // The access guard already looked the token up for this request.
        if let Some(s) = parts.extensions.get::<ApiSession>() {
            return Ok(s.clone());
        }
        let token = bearer(parts).ok_or_else(ApiError::unauthorized)?;
        match state.store.api_token(token, now_ms()).await {
            Ok(Some(info)) => Ok(ApiSession(info, client_ip(parts))),
            Ok(None) => Err(ApiError::unauthorized()),
            Err(e) => Err(ApiError::internal(&e)),
        }
    }
}
