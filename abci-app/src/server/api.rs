//! What the REST and gRPC servers share: the error type (a gRPC status code and message, which
//! REST renders as grpc-gateway JSON), typed calls into the query router over committed
//! snapshots, and (re-exported) the `application_version` this node claims.

use std::sync::Arc;

use prost::Message;
use tonic::Code;

use crate::app::error::QueryError;
use crate::modules::wasm::WasmRuntime;
use crate::server::limits::{GateError, QueryGate};
use crate::store::Storage;
pub use crate::version::{
    application_version, CLAIMED_COMETBFT, CLAIMED_COSMOS_SDK, CLAIMED_IBC_GO,
};

/// Header (REST) and metadata key (gRPC) selecting the height of a historical query; the
/// answer carries the height it was served at under the same name.
pub const BLOCK_HEIGHT_HEADER: &str = "x-cosmos-block-height";

/// A failed API call: a gRPC status code and the message clients see.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub code: Code,
    pub message: String,
}

impl ApiError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(Code::InvalidArgument, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(Code::NotFound, message)
    }
    pub fn unimplemented(message: impl Into<String>) -> Self {
        Self::new(Code::Unimplemented, message)
    }
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(Code::Unavailable, message)
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(Code::Internal, message)
    }
}

/// The SDK's mapping: module query handlers return gRPC statuses; simulation failures are
/// `Unknown` (x/auth/tx service `Simulate`).
impl From<QueryError> for ApiError {
    fn from(e: QueryError) -> Self {
        match e {
            QueryError::NotFound(detail) => Self::not_found(detail),
            QueryError::InvalidArgument(detail) => Self::invalid_argument(detail),
            QueryError::UnknownPath(path) => {
                Self::unimplemented(format!("unknown service or method {path}"))
            }
            e @ QueryError::InvalidHeight(_) => Self::invalid_argument(e.to_string()),
            e @ QueryError::Unsupported(_) => Self::unimplemented(e.to_string()),
            QueryError::Tx(e) => Self::new(Code::Unknown, e.to_string()),
        }
    }
}

impl From<ApiError> for tonic::Status {
    fn from(e: ApiError) -> Self {
        tonic::Status::new(e.code, e.message)
    }
}

/// Parse a requested height (`x-cosmos-block-height`); 0 or absent means the latest.
pub fn parse_height(value: Option<&str>) -> Result<u64, ApiError> {
    match value.map(str::trim) {
        None | Some("") => Ok(0),
        Some(text) => text
            .parse::<i64>()
            .ok()
            .and_then(|h| u64::try_from(h).ok())
            .ok_or_else(|| {
                ApiError::invalid_argument(format!(
                    "invalid height header {BLOCK_HEIGHT_HEADER}: {text:?}"
                ))
            }),
    }
}

impl From<GateError> for ApiError {
    fn from(e: GateError) -> Self {
        match e {
            e @ GateError::Busy { .. } => Self::new(Code::ResourceExhausted, e.to_string()),
            e @ GateError::Failed(_) => Self::internal(e.to_string()),
        }
    }
}

/// What REST and gRPC read: committed state, the contract runtime that smart queries and
/// simulations of contract calls run in (`None` on a node without contracts), and the gate
/// every query passes (shared with ABCI `Query`).
#[derive(Clone)]
pub struct ChainView {
    pub storage: Storage,
    pub wasm: Option<Arc<WasmRuntime>>,
    pub gate: QueryGate,
}

impl ChainView {
    pub fn new(storage: Storage, wasm: Option<Arc<WasmRuntime>>, gate: QueryGate) -> Self {
        Self {
            storage,
            wasm,
            gate,
        }
    }
}

/// Call the query router with a typed request on a query worker; returns the typed
/// answer and the height it was served at.
pub async fn query<Req, Resp>(
    chain: &ChainView,
    path: &'static str,
    req: Req,
    height: u64,
) -> Result<(Resp, u64), ApiError>
where
    Req: Message + Send + 'static,
    Resp: Message + Default,
{
    let (value, answered) = query_raw(chain, path.to_string(), req.encode_to_vec(), height).await?;
    let resp = Resp::decode(value.as_slice())
        .map_err(|e| ApiError::internal(format!("decoding {path} answer: {e}")))?;
    Ok((resp, answered))
}

/// Call the query router with request bytes on a query worker; returns the answer bytes
/// and the height they were served at.
pub async fn query_raw(
    chain: &ChainView,
    path: String,
    data: Vec<u8>,
    height: u64,
) -> Result<(Vec<u8>, u64), ApiError> {
    let (storage, wasm) = (chain.storage.clone(), chain.wasm.clone());
    let answer = chain
        .gate
        .run(move || {
            crate::query::query_with_wasm(&storage, wasm.as_ref(), &path, &data, height, false)
        })
        .await??;
    Ok((answer.value, answer.height))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heights_parse() {
        assert_eq!(parse_height(None), Ok(0));
        assert_eq!(parse_height(Some("12")), Ok(12));
        assert!(parse_height(Some("-1")).is_err());
        assert!(parse_height(Some("x")).is_err());
    }

    #[test]
    fn query_errors_map_to_grpc_codes() {
        let e: ApiError = QueryError::NotFound("account x not found".into()).into();
        assert_eq!(
            (e.code, e.message.as_str()),
            (Code::NotFound, "account x not found")
        );
        let e: ApiError = QueryError::InvalidArgument("bad".into()).into();
        assert_eq!(e.code, Code::InvalidArgument);
        let e: ApiError = QueryError::UnknownPath("/x.Y/Z".into()).into();
        assert_eq!(e.code, Code::Unimplemented);
    }
}
