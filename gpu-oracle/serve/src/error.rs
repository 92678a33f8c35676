//! Errors as the OpenAI API spells them: a status and
//! `{"error": {"message", "type", "param", "code"}}`, which the `openai` SDKs turn into their
//! typed exceptions (`BadRequestError`, `AuthenticationError`, `NotFoundError`, …).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

/// What a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed or out of range; `param` names the field.
    #[error("{message}")]
    BadRequest {
        message: String,
        param: Option<&'static str>,
    },
    /// No API key, or one that does not verify for this gateway.
    #[error("{0}")]
    Unauthorized(String),
    /// The payer's credit does not cover the call.
    #[error("{0}")]
    PaymentRequired(String),
    /// The model is not served here.
    #[error("the model `{0}` does not exist or is not served by this gateway")]
    ModelNotFound(String),
    /// No such route.
    #[error("{0}")]
    NotFound(String),
    /// The body is larger than the gateway accepts.
    #[error("request body larger than {0} bytes")]
    TooLarge(usize),
    /// Every sequence slot and queue place is taken.
    #[error("the gateway is at capacity ({0} requests waiting); retry later")]
    Busy(usize),
    /// The gateway cannot charge for answers now (its operator is not an Active, bonded
    /// operator of the attester registry): nothing is generated that nobody would pay for.
    #[error("{0}")]
    Unavailable(String),
    /// Fewer attesters are eligible for the model than the escrow assigns to a job, so it would
    /// refuse the job: nothing is generated that could not be paid for.
    #[error("{0}")]
    NoAttesters(String),
    /// A failure on our side.
    #[error("{0}")]
    Internal(String),
}

impl ApiError {
    /// A 400 about one field.
    pub fn invalid(param: &'static str, message: impl Into<String>) -> Self {
        ApiError::BadRequest {
            message: message.into(),
            param: Some(param),
        }
    }

    /// Status, OpenAI `type` and `code`.
    fn parts(&self) -> (StatusCode, &'static str, Option<&'static str>) {
        match self {
            ApiError::BadRequest { .. } => (StatusCode::BAD_REQUEST, "invalid_request_error", None),
            ApiError::Unauthorized(_) => (
                StatusCode::UNAUTHORIZED,
                "authentication_error",
                Some("invalid_api_key"),
            ),
            ApiError::PaymentRequired(_) => (
                StatusCode::PAYMENT_REQUIRED,
                "insufficient_credit",
                Some("insufficient_credit"),
            ),
            ApiError::ModelNotFound(_) => (
                StatusCode::NOT_FOUND,
                "invalid_request_error",
                Some("model_not_found"),
            ),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "invalid_request_error", None),
            ApiError::TooLarge(_) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "invalid_request_error",
                Some("request_too_large"),
            ),
            ApiError::Busy(_) => (
                StatusCode::TOO_MANY_REQUESTS,
                "server_busy",
                Some("server_busy"),
            ),
            ApiError::Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "server_error",
                Some("gateway_not_bonded"),
            ),
            ApiError::NoAttesters(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "server_error",
                Some("attesters_unavailable"),
            ),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "server_error", None),
        }
    }

    /// The JSON body.
    pub fn body(&self) -> serde_json::Value {
        let (_, kind, code) = self.parts();
        let param = match self {
            ApiError::BadRequest { param, .. } => *param,
            ApiError::ModelNotFound(_) => Some("model"),
            _ => None,
        };
        serde_json::json!({
            "error": {
                "message": self.to_string(),
                "type": kind,
                "param": param,
                "code": code,
            }
        })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, _, _) = self.parts();
        if matches!(self, ApiError::Internal(_)) {
            tracing::error!(error = %self, "request failed");
        }
        (status, Json(self.body())).into_response()
    }
}
