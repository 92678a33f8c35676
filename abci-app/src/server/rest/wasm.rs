//! `cosmwasm.wasm.v1` REST: the smart query Keplr uses for CW20 balances and token info,
//! `GET /cosmwasm/wasm/v1/contract/{address}/smart/{base64 query}`. The query is standard
//! base64 and may contain `/`, so the route captures the rest of the path.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use cosmos_sdk_proto::cosmwasm::wasm::v1::{
    QuerySmartContractStateRequest, QuerySmartContractStateResponse,
};
use serde_json::{json, Value};

use super::{decode_b64, ok, Height, RestError, RestState};
use crate::server::api::query;

pub fn routes() -> Router<RestState> {
    Router::new().route(
        "/cosmwasm/wasm/v1/contract/:address/smart/*query_data",
        get(smart),
    )
}

/// An invalid address or query answers 400, which is also how Keplr's feature probe
/// (`…/contract/test/smart/test`) recognises wasmd ≥ 0.24.
async fn smart(
    State(s): State<RestState>,
    Height(height): Height,
    Path((address, query_data)): Path<(String, String)>,
) -> Result<Response, RestError> {
    crate::crypto::account_from_bech32(&address)
        .map_err(|e| RestError::invalid_argument(format!("address: {e}")))?;
    let query_data = decode_b64(&query_data).ok_or_else(|| {
        RestError::invalid_argument("invalid value for field query_data: not base64")
    })?;
    if serde_json::from_slice::<Value>(&query_data).is_err() {
        return Err(RestError::invalid_argument(
            "query data must be json: invalid",
        ));
    }
    let (r, h): (QuerySmartContractStateResponse, _) = query(
        &s.storage,
        "/cosmwasm.wasm.v1.Query/SmartContractState",
        QuerySmartContractStateRequest {
            address,
            query_data,
        },
        height,
    )
    .await?;
    let data: Value = serde_json::from_slice(&r.data).unwrap_or(Value::Null);
    Ok(ok(json!({ "data": data }), Some(h)))
}
