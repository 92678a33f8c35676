//! `cosmos.bank.v1beta1` REST routes.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use cosmos_sdk_proto::cosmos::bank::v1beta1::{
    QueryAllBalancesRequest, QueryAllBalancesResponse, QueryBalanceRequest, QueryBalanceResponse,
    QueryDenomMetadataRequest, QueryDenomMetadataResponse, QueryDenomsMetadataRequest,
    QueryDenomsMetadataResponse, QueryParamsRequest, QueryParamsResponse,
    QuerySpendableBalancesRequest, QuerySpendableBalancesResponse, QuerySupplyOfRequest,
    QuerySupplyOfResponse, QueryTotalSupplyRequest, QueryTotalSupplyResponse,
};
use serde_json::json;

use super::{json as j, ok, Height, Params, RestError, RestState};
use crate::server::api::query;

pub fn routes() -> Router<RestState> {
    Router::new()
        .route("/cosmos/bank/v1beta1/balances/:address", get(all_balances))
        .route(
            "/cosmos/bank/v1beta1/balances/:address/by_denom",
            get(balance),
        )
        .route(
            "/cosmos/bank/v1beta1/spendable_balances/:address",
            get(spendable_balances),
        )
        .route("/cosmos/bank/v1beta1/supply", get(total_supply))
        .route("/cosmos/bank/v1beta1/supply/by_denom", get(supply_of))
        .route("/cosmos/bank/v1beta1/denoms_metadata", get(denoms_metadata))
        .route(
            "/cosmos/bank/v1beta1/denoms_metadata/:denom",
            get(denom_metadata),
        )
        .route("/cosmos/bank/v1beta1/params", get(params))
}

async fn balance(
    State(s): State<RestState>,
    Height(height): Height,
    Path(address): Path<String>,
    params: Params,
) -> Result<Response, RestError> {
    let denom = params.get("denom").unwrap_or_default().to_string();
    let (r, h): (QueryBalanceResponse, _) = query(
        &s.chain,
        "/cosmos.bank.v1beta1.Query/Balance",
        QueryBalanceRequest { address, denom },
        height,
    )
    .await?;
    Ok(ok(
        json!({"balance": r.balance.as_ref().map(j::coin)}),
        Some(h),
    ))
}

async fn all_balances(
    State(s): State<RestState>,
    Height(height): Height,
    Path(address): Path<String>,
    params: Params,
) -> Result<Response, RestError> {
    let (r, h): (QueryAllBalancesResponse, _) = query(
        &s.chain,
        "/cosmos.bank.v1beta1.Query/AllBalances",
        QueryAllBalancesRequest {
            address,
            pagination: params.page_request()?,
            resolve_denom: params.get("resolve_denom") == Some("true"),
        },
        height,
    )
    .await?;
    Ok(ok(
        json!({"balances": j::coins(&r.balances), "pagination": j::page(r.pagination.as_ref())}),
        Some(h),
    ))
}

async fn spendable_balances(
    State(s): State<RestState>,
    Height(height): Height,
    Path(address): Path<String>,
    params: Params,
) -> Result<Response, RestError> {
    let (r, h): (QuerySpendableBalancesResponse, _) = query(
        &s.chain,
        "/cosmos.bank.v1beta1.Query/SpendableBalances",
        QuerySpendableBalancesRequest {
            address,
            pagination: params.page_request()?,
        },
        height,
    )
    .await?;
    Ok(ok(
        json!({"balances": j::coins(&r.balances), "pagination": j::page(r.pagination.as_ref())}),
        Some(h),
    ))
}

async fn total_supply(
    State(s): State<RestState>,
    Height(height): Height,
    params: Params,
) -> Result<Response, RestError> {
    let (r, h): (QueryTotalSupplyResponse, _) = query(
        &s.chain,
        "/cosmos.bank.v1beta1.Query/TotalSupply",
        QueryTotalSupplyRequest {
            pagination: params.page_request()?,
        },
        height,
    )
    .await?;
    Ok(ok(
        json!({"supply": j::coins(&r.supply), "pagination": j::page(r.pagination.as_ref())}),
        Some(h),
    ))
}

async fn supply_of(
    State(s): State<RestState>,
    Height(height): Height,
    params: Params,
) -> Result<Response, RestError> {
    let denom = params.get("denom").unwrap_or_default().to_string();
    let (r, h): (QuerySupplyOfResponse, _) = query(
        &s.chain,
        "/cosmos.bank.v1beta1.Query/SupplyOf",
        QuerySupplyOfRequest { denom },
        height,
    )
    .await?;
    Ok(ok(
        json!({"amount": r.amount.as_ref().map(j::coin)}),
        Some(h),
    ))
}

async fn denoms_metadata(
    State(s): State<RestState>,
    Height(height): Height,
    params: Params,
) -> Result<Response, RestError> {
    let (r, h): (QueryDenomsMetadataResponse, _) = query(
        &s.chain,
        "/cosmos.bank.v1beta1.Query/DenomsMetadata",
        QueryDenomsMetadataRequest {
            pagination: params.page_request()?,
        },
        height,
    )
    .await?;
    Ok(ok(
        json!({
            "metadatas": r.metadatas.iter().map(j::metadata).collect::<Vec<_>>(),
            "pagination": j::page(r.pagination.as_ref()),
        }),
        Some(h),
    ))
}

async fn denom_metadata(
    State(s): State<RestState>,
    Height(height): Height,
    Path(denom): Path<String>,
) -> Result<Response, RestError> {
    let (r, h): (QueryDenomMetadataResponse, _) = query(
        &s.chain,
        "/cosmos.bank.v1beta1.Query/DenomMetadata",
        QueryDenomMetadataRequest { denom },
        height,
    )
    .await?;
    Ok(ok(
        json!({"metadata": r.metadata.as_ref().map(j::metadata)}),
        Some(h),
    ))
}

async fn params(State(s): State<RestState>, Height(height): Height) -> Result<Response, RestError> {
    let (r, h): (QueryParamsResponse, _) = query(
        &s.chain,
        "/cosmos.bank.v1beta1.Query/Params",
        QueryParamsRequest {},
        height,
    )
    .await?;
    Ok(ok(
        json!({"params": r.params.as_ref().map(j::bank_params)}),
        Some(h),
    ))
}
