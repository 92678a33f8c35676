//! REST errors: grpc-gateway's `{"code", "message", "details"}` body with the HTTP status
//! grpc-gateway derives from the gRPC code (`runtime.HTTPStatusFromCode`).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use tonic::Code;

use crate::app::error::QueryError;
use crate::server::api::ApiError;
use crate::server::cometbft::RpcError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(transparent)]
pub struct RestError(#[from] pub ApiError);

impl From<QueryError> for RestError {
    fn from(e: QueryError) -> Self {
        Self(e.into())
    }
}

impl From<RpcError> for RestError {
    fn from(e: RpcError) -> Self {
        Self(e.into())
    }
}

impl RestError {
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self(ApiError::invalid_argument(message))
    }
}

pub fn http_status(code: Code) -> StatusCode {
    match code {
        Code::Ok => StatusCode::OK,
        Code::Cancelled => StatusCode::from_u16(499).unwrap_or(StatusCode::BAD_REQUEST),
        Code::Unknown | Code::Internal | Code::DataLoss => StatusCode::INTERNAL_SERVER_ERROR,
        Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange => {
            StatusCode::BAD_REQUEST
        }
        Code::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::AlreadyExists | Code::Aborted => StatusCode::CONFLICT,
        Code::PermissionDenied => StatusCode::FORBIDDEN,
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        Code::Unimplemented => StatusCode::NOT_IMPLEMENTED,
        Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
    }
}

impl RestError {
    /// grpc-gateway's error body.
    pub fn body(&self) -> serde_json::Value {
        json!({"code": self.0.code as i32, "message": self.0.message, "details": []})
    }
}

impl IntoResponse for RestError {
    fn into_response(self) -> Response {
        (http_status(self.0.code), Json(self.body())).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_gateway_statuses() {
        assert_eq!(http_status(Code::NotFound), StatusCode::NOT_FOUND);
        assert_eq!(http_status(Code::InvalidArgument), StatusCode::BAD_REQUEST);
        assert_eq!(
            http_status(Code::Unimplemented),
            StatusCode::NOT_IMPLEMENTED
        );
        assert_eq!(
            http_status(Code::Unknown),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }
}
