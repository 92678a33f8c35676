//! `ibc.applications.transfer.v1` REST routes: Keplr probes `params` to enable IBC transfers
//! and resolves `ibc/…` denoms through `denom_traces/{hash}`.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use ibc_proto::ibc::applications::transfer::v1::{
    DenomTrace, QueryDenomHashRequest, QueryDenomHashResponse, QueryDenomTraceRequest,
    QueryDenomTraceResponse, QueryDenomTracesRequest, QueryDenomTracesResponse,
    QueryEscrowAddressRequest, QueryEscrowAddressResponse, QueryParamsRequest, QueryParamsResponse,
};
use serde_json::{json, Value};

use super::{json as j, ok, Height, Params, RestError, RestState};
use crate::server::api::query;

pub fn routes() -> Router<RestState> {
    Router::new()
        .route("/ibc/apps/transfer/v1/params", get(params))
        .route("/ibc/apps/transfer/v1/denom_traces", get(denom_traces))
        .route("/ibc/apps/transfer/v1/denom_traces/*hash", get(denom_trace))
        .route("/ibc/apps/transfer/v1/denom_hashes/*trace", get(denom_hash))
        .route(
            "/ibc/apps/transfer/v1/channels/:channel/ports/:port/escrow_address",
            get(escrow_address),
        )
}

fn trace(t: &DenomTrace) -> Value {
    json!({"path": t.path, "base_denom": t.base_denom})
}

async fn params(State(s): State<RestState>, Height(height): Height) -> Result<Response, RestError> {
    let (r, h): (QueryParamsResponse, _) = query(
        &s.chain,
        "/ibc.applications.transfer.v1.Query/Params",
        QueryParamsRequest {},
        height,
    )
    .await?;
    let p = r.params.unwrap_or_default();
    Ok(ok(
        json!({"params": {"send_enabled": p.send_enabled, "receive_enabled": p.receive_enabled}}),
        Some(h),
    ))
}

async fn denom_trace(
    State(s): State<RestState>,
    Height(height): Height,
    Path(hash): Path<String>,
) -> Result<Response, RestError> {
    let (r, h): (QueryDenomTraceResponse, _) = query(
        &s.chain,
        "/ibc.applications.transfer.v1.Query/DenomTrace",
        QueryDenomTraceRequest { hash },
        height,
    )
    .await?;
    Ok(ok(
        json!({"denom_trace": r.denom_trace.as_ref().map(trace)}),
        Some(h),
    ))
}

async fn denom_traces(
    State(s): State<RestState>,
    Height(height): Height,
    params: Params,
) -> Result<Response, RestError> {
    let (r, h): (QueryDenomTracesResponse, _) = query(
        &s.chain,
        "/ibc.applications.transfer.v1.Query/DenomTraces",
        QueryDenomTracesRequest {
            pagination: params.page_request()?,
        },
        height,
    )
    .await?;
    Ok(ok(
        json!({
            "denom_traces": r.denom_traces.iter().map(trace).collect::<Vec<_>>(),
            "pagination": j::page(r.pagination.as_ref()),
        }),
        Some(h),
    ))
}

async fn denom_hash(
    State(s): State<RestState>,
    Height(height): Height,
    Path(trace): Path<String>,
) -> Result<Response, RestError> {
    let (r, h): (QueryDenomHashResponse, _) = query(
        &s.chain,
        "/ibc.applications.transfer.v1.Query/DenomHash",
        QueryDenomHashRequest { trace },
        height,
    )
    .await?;
    Ok(ok(json!({"hash": r.hash}), Some(h)))
}

async fn escrow_address(
    State(s): State<RestState>,
    Height(height): Height,
    Path((channel_id, port_id)): Path<(String, String)>,
) -> Result<Response, RestError> {
    let (r, h): (QueryEscrowAddressResponse, _) = query(
        &s.chain,
        "/ibc.applications.transfer.v1.Query/EscrowAddress",
        QueryEscrowAddressRequest {
            port_id,
            channel_id,
        },
        height,
    )
    .await?;
    Ok(ok(json!({"escrow_address": r.escrow_address}), Some(h)))
}
