//! `cosmos.base.tendermint.v1beta1.Service` REST routes, answered from CometBFT's RPC.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::json;

use super::{json as j, ok, RestError, RestState};

pub fn routes() -> Router<RestState> {
    Router::new()
        .route("/cosmos/base/tendermint/v1beta1/node_info", get(node_info))
        .route("/cosmos/base/tendermint/v1beta1/syncing", get(syncing))
        .route("/cosmos/base/tendermint/v1beta1/blocks/:height", get(block))
}

/// Keplr's `checkRestConnectivity` reads `default_node_info.network` (the chain id).
async fn node_info(State(s): State<RestState>) -> Result<Response, RestError> {
    Ok(ok(j::node_info(&s.rpc.node_info().await?), None))
}

async fn syncing(State(s): State<RestState>) -> Result<Response, RestError> {
    Ok(ok(json!({"syncing": s.rpc.syncing().await?}), None))
}

/// `blocks/latest` or `blocks/{height}`.
async fn block(
    State(s): State<RestState>,
    Path(height): Path<String>,
) -> Result<Response, RestError> {
    let height = match height.as_str() {
        "latest" => None,
        h => Some(
            h.parse::<u64>()
                .ok()
                .filter(|h| *h > 0)
                .ok_or_else(|| RestError::invalid_argument(format!("invalid height {h:?}")))?,
        ),
    };
    let (id, block, sdk) = s.rpc.block(height).await?;
    Ok(ok(
        json!({
            "block_id": j::block_id(Some(&id)),
            "block": j::block(&block),
            "sdk_block": j::sdk_block(&sdk),
        }),
        None,
    ))
}
