//! `cosmwasm.wasm.v1` REST: the smart query Keplr uses for CW20 balances and token info,
//! `GET /cosmwasm/wasm/v1/contract/{address}/smart/{base64 query}` (the query is standard
//! base64 and may contain `/`, so the route captures the rest of the path), the raw-state
//! read beside it, contract info, and the contracts of a code, as wasmd's gateway serves them.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use cosmos_sdk_proto::cosmwasm::wasm::v1::{
    QueryContractInfoRequest, QueryContractInfoResponse, QueryContractsByCodeRequest,
    QueryContractsByCodeResponse, QueryRawContractStateRequest, QueryRawContractStateResponse,
    QuerySmartContractStateRequest, QuerySmartContractStateResponse,
};
use serde_json::{json, Value};

use super::{decode_b64, json as j, ok, Height, Params, RestError, RestState};
use crate::server::api::query;

pub fn routes() -> Router<RestState> {
    Router::new()
        .route(
            "/cosmwasm/wasm/v1/contract/:address/smart/*query_data",
            get(smart),
        )
        .route(
            "/cosmwasm/wasm/v1/contract/:address/raw/*query_data",
            get(raw),
        )
        .route("/cosmwasm/wasm/v1/contract/:address", get(contract_info))
        .route(
            "/cosmwasm/wasm/v1/code/:code_id/contracts",
            get(contracts_by_code),
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
        &s.chain,
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

async fn raw(
    State(s): State<RestState>,
    Height(height): Height,
    Path((address, query_data)): Path<(String, String)>,
) -> Result<Response, RestError> {
    let query_data = decode_b64(&query_data).ok_or_else(|| {
        RestError::invalid_argument("invalid value for field query_data: not base64")
    })?;
    let (r, h): (QueryRawContractStateResponse, _) = query(
        &s.chain,
        "/cosmwasm.wasm.v1.Query/RawContractState",
        QueryRawContractStateRequest {
            address,
            query_data,
        },
        height,
    )
    .await?;
    Ok(ok(json!({ "data": j::bytes(&r.data) }), Some(h)))
}

async fn contract_info(
    State(s): State<RestState>,
    Height(height): Height,
    Path(address): Path<String>,
) -> Result<Response, RestError> {
    let (r, h): (QueryContractInfoResponse, _) = query(
        &s.chain,
        "/cosmwasm.wasm.v1.Query/ContractInfo",
        QueryContractInfoRequest { address },
        height,
    )
    .await?;
    let info = r.contract_info.unwrap_or_default();
    let created = info.created.map(
        |c| json!({"block_height": c.block_height.to_string(), "tx_index": c.tx_index.to_string()}),
    );
    Ok(ok(
        json!({
            "address": r.address,
            "contract_info": {
                "code_id": info.code_id.to_string(),
                "creator": info.creator,
                "admin": info.admin,
                "label": info.label,
                "created": created,
                "ibc_port_id": info.ibc_port_id,
                "extension": null,
            },
        }),
        Some(h),
    ))
}

async fn contracts_by_code(
    State(s): State<RestState>,
    Height(height): Height,
    Path(code_id): Path<String>,
    params: Params,
) -> Result<Response, RestError> {
    let code_id = code_id
        .parse::<u64>()
        .map_err(|_| RestError::invalid_argument(format!("code_id: invalid number {code_id:?}")))?;
    let (r, h): (QueryContractsByCodeResponse, _) = query(
        &s.chain,
        "/cosmwasm.wasm.v1.Query/ContractsByCode",
        QueryContractsByCodeRequest {
            code_id,
            pagination: params.page_request()?,
        },
        height,
    )
    .await?;
    Ok(ok(
        json!({"contracts": r.contracts, "pagination": j::page(r.pagination.as_ref())}),
        Some(h),
    ))
}
