//! Errors as the contract shapes them: `{"error": {"code", "message"}}`, with
//! a status code, and never personal data (messages name ids and fields only).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use outbound_store::StoreError;

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Machine-readable code (`unauthorized`, `forbidden`, `not_found` …).
    pub code: &'static str,
    /// For a person; no personal data.
    pub message: String,
}

/// The body of every error, for the OpenAPI document.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Machine-readable code.
    pub code: String,
    /// For a person.
    pub message: String,
}

impl ApiError {
    /// An error with a status, a code and a message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }
    /// 401: no credentials, or ones that are not valid.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "a valid token is required (Authorization: Bearer TOKEN)",
        )
    }
    /// 403: the role may not do this.
    pub fn forbidden(what: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("this account's role may not {what}"),
        )
    }
    /// 404.
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", what)
    }
    /// 400: the request is malformed.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }
    /// 429.
    pub fn too_many() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many requests; try again in a minute",
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        // Store errors name operations, tables and ids, never a subject or key
        // (see `StoreError`); the chain goes to the server's log only.
        let mut chain = e.to_string();
        let mut src = std::error::Error::source(&e);
        while let Some(s) = src {
            chain.push_str(": ");
            chain.push_str(&s.to_string());
            src = s.source();
        }
        eprintln!("outbound serve: {chain}");
        match e {
            StoreError::Tampered { .. } => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "store_does_not_verify",
                e.to_string(),
            ),
            StoreError::NotFound { .. } => Self::not_found(e.to_string()),
            StoreError::Invalid { .. } => Self::bad_request(e.to_string()),
            StoreError::Conflict { .. } => {
                Self::new(StatusCode::CONFLICT, "conflict", e.to_string())
            }
            _ => Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "store",
                "the store could not answer; see the server's log",
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": {"code": self.code, "message": self.message}});
        (self.status, axum::Json(body)).into_response()
    }
}

/// Any path nothing serves.
pub async fn not_found() -> ApiError {
    ApiError::not_found("no such path")
}

/// A path served, but not with this method: the contract's error shape too
/// (axum's own answer has an empty body).
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this path does not take this method",
    )
}
