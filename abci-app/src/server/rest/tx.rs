//! `cosmos.tx.v1beta1.Service` REST routes: simulate (query router), broadcast and lookups
//! (CometBFT RPC).

use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{
    BroadcastMode, OrderBy, SimulateRequest, SimulateResponse,
};
use serde_json::{json, Value};

use super::{decode_b64, json as j, ok, JsonBody, Params, RestError, RestState};
use crate::server::api::query;
use crate::server::cometbft::{search_paging, search_query};

pub fn routes() -> Router<RestState> {
    Router::new()
        .route("/cosmos/tx/v1beta1/simulate", post(simulate))
        .route("/cosmos/tx/v1beta1/txs", post(broadcast).get(search))
        .route("/cosmos/tx/v1beta1/txs/:hash", get(get_tx))
}

fn tx_bytes(body: &Value) -> Result<Vec<u8>, RestError> {
    match &body["tx_bytes"] {
        Value::String(s) if !s.is_empty() => decode_b64(s).ok_or_else(|| {
            RestError::invalid_argument("invalid value for field tx_bytes: not base64")
        }),
        _ if !body["tx"].is_null() => Err(RestError::invalid_argument(
            "simulating a JSON `tx` is not supported; send the signed TxRaw as base64 `tx_bytes`",
        )),
        _ => Err(RestError::invalid_argument("empty txBytes is not allowed")),
    }
}

/// Keplr: `{"tx_bytes": b64}` (TxRaw without pubkey, amino mode, zero signature).
async fn simulate(
    State(s): State<RestState>,
    JsonBody(body): JsonBody,
) -> Result<Response, RestError> {
    let req = SimulateRequest {
        tx_bytes: tx_bytes(&body)?,
        ..Default::default()
    };
    let (r, h): (SimulateResponse, _) =
        query(&s.chain, "/cosmos.tx.v1beta1.Service/Simulate", req, 0).await?;
    Ok(ok(
        json!({
            "gas_info": j::gas_info(r.gas_info.as_ref()),
            "result": j::abci_result(r.result.as_ref()),
        }),
        Some(h),
    ))
}

fn broadcast_mode(value: &Value) -> Result<BroadcastMode, RestError> {
    let mode = match value {
        Value::Null => Some(BroadcastMode::Unspecified),
        Value::String(name) => BroadcastMode::from_str_name(name).or_else(|| {
            name.parse::<i32>()
                .ok()
                .and_then(|n| BroadcastMode::try_from(n).ok())
        }),
        Value::Number(n) => n
            .as_i64()
            .and_then(|n| i32::try_from(n).ok())
            .and_then(|n| BroadcastMode::try_from(n).ok()),
        _ => None,
    };
    mode.ok_or_else(|| RestError::invalid_argument(format!("invalid broadcast mode {value}")))
}

/// Keplr: `{"tx_bytes": b64, "mode": "BROADCAST_MODE_SYNC"}` → `{"tx_response": …}`.
async fn broadcast(
    State(s): State<RestState>,
    JsonBody(body): JsonBody,
) -> Result<Response, RestError> {
    let mode = broadcast_mode(&body["mode"])?;
    let tx = tx_bytes(&body)?;
    let response = s.rpc.broadcast(&tx, mode).await?;
    Ok(ok(json!({"tx_response": j::tx_response(&response)}), None))
}

async fn get_tx(
    State(s): State<RestState>,
    Path(hash): Path<String>,
) -> Result<Response, RestError> {
    let (tx, response) = s.rpc.tx(&hash).await?;
    Ok(ok(
        json!({"tx": j::tx(&tx), "tx_response": j::tx_response(&response)}),
        None,
    ))
}

fn order_by(value: Option<&str>) -> Result<i32, RestError> {
    match value {
        None | Some("") => Ok(0),
        Some(v) => OrderBy::from_str_name(v)
            .map(|o| o as i32)
            .or_else(|| v.parse::<i32>().ok())
            .ok_or_else(|| RestError::invalid_argument(format!("invalid order_by {v:?}"))),
    }
}

/// `?query=…` (SDK 0.50) or `?events=…&events=…` (0.47), `page`, `limit`, `order_by`.
async fn search(State(s): State<RestState>, params: Params) -> Result<Response, RestError> {
    let query = search_query(params.get("query").unwrap_or(""), &params.all("events"))?;
    let (page, limit, order) = search_paging(
        params.u64("page")?,
        params.u64("limit")?,
        order_by(params.get("order_by"))?,
    );
    let r = s.rpc.search_txs(&query, page, limit, order).await?;
    Ok(ok(
        json!({
            "txs": r.txs.iter().map(j::tx).collect::<Vec<_>>(),
            "tx_responses": r.tx_responses.iter().map(j::tx_response).collect::<Vec<_>>(),
            "pagination": null,
            "total": r.total.to_string(),
        }),
        None,
    ))
}
