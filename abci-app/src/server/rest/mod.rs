//! The Cosmos REST / LCD server (grpc-gateway-compatible JSON, default `:1317`) that Keplr
//! uses: one `Router` per module, merged here.
//!
//! Handlers read committed snapshots through the query router (never through ABCI) and ask
//! CometBFT's RPC for blocks, node info and transactions.

mod auth;
mod bank;
pub mod error;
mod ibc;
pub mod json;
mod staking;
mod tendermint;
mod tx;
mod wasm;

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, RawQuery, Request};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
use serde_json::Value;
use tokio_util::sync::CancellationToken;
use tower_http::cors::CorsLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::server::api::ChainView;
use crate::server::api::{self, ApiError, BLOCK_HEIGHT_HEADER};
use crate::server::cometbft::CometRpc;
pub use error::RestError;

/// Longest a request may take (a `BROADCAST_MODE_BLOCK` broadcast waits for a commit).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Largest request body read: a tx as base64 in JSON. CometBFT's mempool takes txs up to
/// 1 MiB, about 1.4 MB as base64, so 2 MiB holds any tx the chain could accept.
pub const MAX_BODY_BYTES: usize = 2 << 20;

#[derive(Clone)]
pub struct RestState {
    pub chain: ChainView,
    pub rpc: CometRpc,
}

impl std::fmt::Debug for RestState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RestState").field("rpc", &self.rpc).finish()
    }
}

/// The whole REST API.
pub fn router(state: RestState) -> Router {
    Router::new()
        .merge(auth::routes())
        .merge(bank::routes())
        .merge(tx::routes())
        .merge(tendermint::routes())
        .merge(staking::routes())
        .merge(wasm::routes())
        .merge(ibc::routes())
        .fallback(not_found)
        .layer(axum::middleware::map_response(json_errors))
        // Innermost first: body limit, timeout, then CORS, then tracing around everything.
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(CorsLayer::permissive())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn not_found() -> RestError {
    RestError(ApiError::not_found("Not Found"))
}

/// Refusals that axum makes itself (a path segment that is not UTF-8, a body too large, a
/// known route asked with the wrong method) get grpc-gateway's JSON error body too, where
/// axum sends plain text or nothing. The wrong method is `Unimplemented` (501), as
/// grpc-gateway answers it.
async fn json_errors(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    if status == axum::http::StatusCode::METHOD_NOT_ALLOWED {
        return RestError(ApiError::unimplemented("Method Not Allowed")).into_response();
    }
    let text = axum::body::to_bytes(response.into_body(), 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let message = if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_string()
    } else {
        text
    };
    let code = match status {
        axum::http::StatusCode::REQUEST_TIMEOUT => tonic::Code::DeadlineExceeded,
        s if s.is_server_error() => tonic::Code::Internal,
        _ => tonic::Code::InvalidArgument,
    };
    (status, Json(RestError(ApiError::new(code, message)).body())).into_response()
}

/// Serve until `shutdown` is cancelled.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: RestState,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let addr: Option<SocketAddr> = listener.local_addr().ok();
    tracing::info!(?addr, rpc = state.rpc.url(), "serving REST");
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
}

/// The requested height (`x-cosmos-block-height`; 0 = latest).
#[derive(Debug, Clone, Copy)]
pub struct Height(pub u64);

#[axum::async_trait]
impl<S: Send + Sync> FromRequestParts<S> for Height {
    type Rejection = RestError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, RestError> {
        let value = match parts.headers.get(BLOCK_HEIGHT_HEADER) {
            Some(v) => Some(v.to_str().map_err(|_| {
                RestError::invalid_argument(format!("invalid {BLOCK_HEIGHT_HEADER} header"))
            })?),
            None => None,
        };
        Ok(Height(api::parse_height(value)?))
    }
}

/// Query-string parameters, repeated keys kept (`events=a&events=b`).
#[derive(Debug, Clone, Default)]
pub struct Params(pub Vec<(String, String)>);

#[axum::async_trait]
impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = RestError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, RestError> {
        let RawQuery(raw) = RawQuery::from_request_parts(parts, state)
            .await
            .map_err(|e| RestError::invalid_argument(e.to_string()))?;
        let pairs = serde_urlencoded::from_str(raw.as_deref().unwrap_or(""))
            .map_err(|e| RestError::invalid_argument(format!("query string: {e}")))?;
        Ok(Params(pairs))
    }
}

fn parse_bool(name: &str, value: &str) -> Result<bool, RestError> {
    match value {
        "true" | "1" => Ok(true),
        "false" | "0" | "" => Ok(false),
        _ => Err(RestError::invalid_argument(format!(
            "invalid value {value:?} for field {name}: expected a boolean"
        ))),
    }
}

impl Params {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    pub fn u64(&self, name: &str) -> Result<u64, RestError> {
        match self.get(name) {
            None | Some("") => Ok(0),
            Some(v) => v.parse().map_err(|_| {
                RestError::invalid_argument(format!(
                    "invalid value {v:?} for field {name}: expected an unsigned integer"
                ))
            }),
        }
    }

    /// `pagination.key|offset|limit|count_total|reverse`, as the gateway binds them.
    pub fn page_request(&self) -> Result<Option<PageRequest>, RestError> {
        if !self.0.iter().any(|(k, _)| k.starts_with("pagination.")) {
            return Ok(None);
        }
        let key = match self.get("pagination.key") {
            None | Some("") => Vec::new(),
            Some(k) => decode_b64(k).ok_or_else(|| {
                RestError::invalid_argument("invalid value for field pagination.key: not base64")
            })?,
        };
        Ok(Some(PageRequest {
            key,
            offset: self.u64("pagination.offset")?,
            limit: self.u64("pagination.limit")?,
            count_total: parse_bool(
                "pagination.count_total",
                self.get("pagination.count_total").unwrap_or(""),
            )?,
            reverse: parse_bool(
                "pagination.reverse",
                self.get("pagination.reverse").unwrap_or(""),
            )?,
        }))
    }
}

/// Standard or URL-safe base64, padded or not (the gateway accepts both for `bytes`).
pub fn decode_b64(text: &str) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    use base64::Engine;
    [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(text).ok())
}

/// A 200 answer; `height` (for state queries) goes into grpc-gateway's
/// `Grpc-Metadata-X-Cosmos-Block-Height` header.
pub fn ok(body: Value, height: Option<u64>) -> Response {
    let mut response = Json(body).into_response();
    if let Some(h) = height {
        if let Ok(value) = HeaderValue::from_str(&h.to_string()) {
            response.headers_mut().insert(
                HeaderName::from_static("grpc-metadata-x-cosmos-block-height"),
                value,
            );
        }
    }
    response
}

/// A JSON request body (any content type, as grpc-gateway reads it) of at most
/// [`MAX_BODY_BYTES`]; a larger one is answered 413 with grpc-gateway's error body, unread.
pub struct JsonBody(pub Value);

#[axum::async_trait]
impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            let status = rejection.status();
            let message = if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                format!("request body larger than {MAX_BODY_BYTES} bytes")
            } else {
                format!("reading the request body: {}", rejection.body_text())
            };
            let error = RestError::invalid_argument(message);
            (status, Json(error.body())).into_response()
        })?;
        serde_json::from_slice(&bytes).map(JsonBody).map_err(|e| {
            RestError::invalid_argument(format!("invalid JSON body: {e}")).into_response()
        })
    }
}
