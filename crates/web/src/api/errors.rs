//! The one error shape of `/api`: `{"error": {"code": "stable_snake_case", "message": "…"}}`, also for bad input.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rathaus_store::ReplyRefused;
use serde::de::DeserializeOwned;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `concern_not_found`, `reply_refused_window_closed`.
    #[schema(example = "concern_not_found")]
    pub code: String,
    /// Human-readable explanation, German / English.
    pub message: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// An API failure; renders as [`ErrorBody`] with its HTTP status.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Gültiges Bearer-Token erforderlich. / A valid bearer token is required.",
        )
    }

    pub fn forbidden() -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Ihre Rolle erlaubt diese Aktion nicht. / Your role does not permit this action.",
        )
    }

    pub fn concern_not_found() -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "concern_not_found",
            "Anliegen nicht gefunden. / Concern not found.",
        )
    }

    pub fn citizen_not_found() -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "citizen_not_found",
            "Person nicht gefunden. / Citizen not found.",
        )
    }

    pub fn not_found() -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "Diese Adresse gibt es in der API nicht. / No such API path.",
        )
    }

    pub fn bad_request(detail: &str) -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("Ungültige Anfrage. / Bad request: {detail}"),
        )
    }

    pub fn invalid_status() -> ApiError {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_status",
            "Unbekannter Status; erlaubt sind open, pending, resolved. / Unknown status; allowed: open, pending, resolved.",
        )
    }

    pub fn internal(e: &dyn std::fmt::Display) -> ApiError {
        tracing::error!(error = %e, "API request failed");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Interner Fehler. / Internal error.",
        )
    }

    pub fn refused(r: ReplyRefused) -> ApiError {
        let code = match r {
            ReplyRefused::WindowClosed => "reply_refused_window_closed",
            ReplyRefused::ConsentWithdrawn => "reply_refused_consent_withdrawn",
            ReplyRefused::EmptyText => "empty_text",
            ReplyRefused::TooLong => "too_long",
        };
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, r.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_string(),
                message: self.message,
            },
        };
        (self.status, Json(body)).into_response()
    }
}

/// `Json<T>` whose rejections are API errors instead of axum's plain text.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Content-Type muss application/json sein. / Content-Type must be application/json.",
            )),
            Err(rej) => Err(ApiError::bad_request(&rej.body_text())),
        }
    }
}

/// `Path<T>`: an unparsable id names nothing, so it is "not found".
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(ApiPath(v)),
            Err(PathRejection::FailedToDeserializePathParams(_)) => Err(ApiError::not_found()),
            Err(rej) => Err(ApiError::bad_request(&rej.body_text())),
        }
    }
}

/// `Query<T>` with API-shaped rejections.
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(v)| ApiQuery(v))
            .map_err(|rej: QueryRejection| ApiError::bad_request(&rej.body_text()))
    }
}
