//! IBC REST routes. Keplr probes the transfer `params` to enable IBC transfers and resolves an
//! `ibc/…` denom through `denom_traces/{hash}`, then finds the chain it came from through the
//! channel's counterparty and `channels/{channel}/ports/{port}/client_state` (the client's
//! `chain_id`). The core routes serve the committed state; proofs are for `store/ibc/key`.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use ibc_proto::ibc::applications::transfer::v1::{
    DenomTrace, QueryDenomHashRequest, QueryDenomHashResponse, QueryDenomTraceRequest,
    QueryDenomTraceResponse, QueryDenomTracesRequest, QueryDenomTracesResponse,
    QueryEscrowAddressRequest, QueryEscrowAddressResponse, QueryParamsRequest, QueryParamsResponse,
};
use ibc_proto::ibc::core::channel::v1::{
    QueryChannelClientStateRequest, QueryChannelClientStateResponse, QueryChannelRequest,
    QueryChannelResponse, QueryChannelsRequest, QueryChannelsResponse,
};
use ibc_proto::ibc::core::client::v1::{QueryClientStateRequest, QueryClientStateResponse};
use ibc_proto::ibc::core::connection::v1::{QueryConnectionRequest, QueryConnectionResponse};
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
        .route("/ibc/core/channel/v1/channels", get(channels))
        .route(
            "/ibc/core/channel/v1/channels/:channel/ports/:port",
            get(channel),
        )
        .route(
            "/ibc/core/channel/v1/channels/:channel/ports/:port/client_state",
            get(channel_client_state),
        )
        .route(
            "/ibc/core/client/v1/client_states/:client",
            get(client_state),
        )
        .route(
            "/ibc/core/connection/v1/connections/:connection",
            get(connection),
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

async fn channels(
    State(s): State<RestState>,
    Height(height): Height,
    params: Params,
) -> Result<Response, RestError> {
    let (r, h): (QueryChannelsResponse, _) = query(
        &s.chain,
        "/ibc.core.channel.v1.Query/Channels",
        QueryChannelsRequest {
            pagination: params.page_request()?,
        },
        height,
    )
    .await?;
    Ok(ok(
        json!({
            "channels": r.channels.iter().map(j::ibc_identified_channel).collect::<Vec<_>>(),
            "pagination": j::page(r.pagination.as_ref()),
            "height": j::ibc_height(r.height.as_ref()),
        }),
        Some(h),
    ))
}

async fn channel(
    State(s): State<RestState>,
    Height(height): Height,
    Path((channel_id, port_id)): Path<(String, String)>,
) -> Result<Response, RestError> {
    let (r, h): (QueryChannelResponse, _) = query(
        &s.chain,
        "/ibc.core.channel.v1.Query/Channel",
        QueryChannelRequest {
            port_id,
            channel_id,
        },
        height,
    )
    .await?;
    Ok(ok(
        json!({
            "channel": r.channel.as_ref().map(j::ibc_channel),
            "proof": j::bytes(&r.proof),
            "proof_height": j::ibc_height(r.proof_height.as_ref()),
        }),
        Some(h),
    ))
}

async fn channel_client_state(
    State(s): State<RestState>,
    Height(height): Height,
    Path((channel_id, port_id)): Path<(String, String)>,
) -> Result<Response, RestError> {
    let (r, h): (QueryChannelClientStateResponse, _) = query(
        &s.chain,
        "/ibc.core.channel.v1.Query/ChannelClientState",
        QueryChannelClientStateRequest {
            port_id,
            channel_id,
        },
        height,
    )
    .await?;
    let identified = r.identified_client_state.map(|c| {
        json!({
            "client_id": c.client_id,
            "client_state": c.client_state.as_ref().map(j::any),
        })
    });
    Ok(ok(
        json!({
            "identified_client_state": identified,
            "proof": j::bytes(&r.proof),
            "proof_height": j::ibc_height(r.proof_height.as_ref()),
        }),
        Some(h),
    ))
}

async fn client_state(
    State(s): State<RestState>,
    Height(height): Height,
    Path(client_id): Path<String>,
) -> Result<Response, RestError> {
    let (r, h): (QueryClientStateResponse, _) = query(
        &s.chain,
        "/ibc.core.client.v1.Query/ClientState",
        QueryClientStateRequest { client_id },
        height,
    )
    .await?;
    Ok(ok(
        json!({
            "client_state": r.client_state.as_ref().map(j::any),
            "proof": j::bytes(&r.proof),
            "proof_height": j::ibc_height(r.proof_height.as_ref()),
        }),
        Some(h),
    ))
}

async fn connection(
    State(s): State<RestState>,
    Height(height): Height,
    Path(connection_id): Path<String>,
) -> Result<Response, RestError> {
    let (r, h): (QueryConnectionResponse, _) = query(
        &s.chain,
        "/ibc.core.connection.v1.Query/Connection",
        QueryConnectionRequest { connection_id },
        height,
    )
    .await?;
    Ok(ok(
        json!({
            "connection": r.connection.as_ref().map(j::ibc_connection),
            "proof": j::bytes(&r.proof),
            "proof_height": j::ibc_height(r.proof_height.as_ref()),
        }),
        Some(h),
    ))
}
