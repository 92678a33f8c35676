//! `cosmos.auth.v1beta1` REST routes.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use cosmos_sdk_proto::cosmos::auth::v1beta1::{
    QueryAccountRequest, QueryAccountResponse, QueryAccountsRequest, QueryAccountsResponse,
    QueryParamsRequest, QueryParamsResponse,
};
use serde_json::json;

use super::{json as j, ok, Height, Params, RestError, RestState};
use crate::server::api::query;

pub fn routes() -> Router<RestState> {
    Router::new()
        .route("/cosmos/auth/v1beta1/accounts", get(accounts))
        .route("/cosmos/auth/v1beta1/accounts/:address", get(account))
        .route("/cosmos/auth/v1beta1/params", get(params))
        .route("/cosmos/auth/v1beta1/bech32", get(bech32_prefix))
}

/// Unknown accounts answer 404 (code 5), which Keplr reads as account 0 / sequence 0.
async fn account(
    State(s): State<RestState>,
    Height(height): Height,
    Path(address): Path<String>,
) -> Result<Response, RestError> {
    let (r, h): (QueryAccountResponse, _) = query(
        &s.chain,
        "/cosmos.auth.v1beta1.Query/Account",
        QueryAccountRequest { address },
        height,
    )
    .await?;
    Ok(ok(
        json!({"account": r.account.as_ref().map(j::any)}),
        Some(h),
    ))
}

async fn accounts(
    State(s): State<RestState>,
    Height(height): Height,
    params: Params,
) -> Result<Response, RestError> {
    let (r, h): (QueryAccountsResponse, _) = query(
        &s.chain,
        "/cosmos.auth.v1beta1.Query/Accounts",
        QueryAccountsRequest {
            pagination: params.page_request()?,
        },
        height,
    )
    .await?;
    Ok(ok(
        json!({
            "accounts": r.accounts.iter().map(j::any).collect::<Vec<_>>(),
            "pagination": j::page(r.pagination.as_ref()),
        }),
        Some(h),
    ))
}

async fn params(State(s): State<RestState>, Height(height): Height) -> Result<Response, RestError> {
    let (r, h): (QueryParamsResponse, _) = query(
        &s.chain,
        "/cosmos.auth.v1beta1.Query/Params",
        QueryParamsRequest {},
        height,
    )
    .await?;
    Ok(ok(
        json!({"params": r.params.as_ref().map(j::auth_params)}),
        Some(h),
    ))
}

async fn bech32_prefix() -> Response {
    ok(json!({"bech32_prefix": crate::crypto::ACCOUNT_HRP}), None)
}
