//! `cosmos.staking.v1beta1` and `cosmos.distribution.v1beta1` REST routes. The chain has no
//! staking module (validators come from genesis), so these answer valid empty results in
//! the SDK 0.50 shapes Keplr's staking UI reads, after checking addresses like the SDK.

use axum::extract::Path;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use super::{json as j, ok, RestError, RestState};
use crate::modules::staking;
use crate::server::api::ApiError;

pub fn routes() -> Router<RestState> {
    Router::new()
        .route(
            "/cosmos/staking/v1beta1/delegations/:delegator",
            get(delegations),
        )
        .route(
            "/cosmos/staking/v1beta1/delegators/:delegator/unbonding_delegations",
            get(unbonding),
        )
        .route(
            "/cosmos/staking/v1beta1/delegators/:delegator/redelegations",
            get(redelegations),
        )
        .route(
            "/cosmos/staking/v1beta1/delegators/:delegator/validators",
            get(delegator_validators),
        )
        .route("/cosmos/staking/v1beta1/validators", get(validators))
        .route(
            "/cosmos/staking/v1beta1/validators/:validator",
            get(validator),
        )
        .route("/cosmos/staking/v1beta1/pool", get(pool))
        .route("/cosmos/staking/v1beta1/params", get(staking_params))
        .route(
            "/cosmos/distribution/v1beta1/delegators/:delegator/rewards",
            get(rewards),
        )
        .route(
            "/cosmos/distribution/v1beta1/delegators/:delegator/validators",
            get(distribution_validators),
        )
        .route(
            "/cosmos/distribution/v1beta1/delegators/:delegator/withdraw_address",
            get(withdraw_address),
        )
        .route(
            "/cosmos/distribution/v1beta1/community_pool",
            get(community_pool),
        )
        .route(
            "/cosmos/distribution/v1beta1/params",
            get(distribution_params),
        )
}

fn delegator(address: &str) -> Result<(), RestError> {
    crate::crypto::account_from_bech32(address)
        .map(|_| ())
        .map_err(|e| RestError::invalid_argument(format!("invalid delegator address: {e}")))
}

fn paged(field: &str) -> Value {
    json!({ field: [], "pagination": j::empty_page() })
}

async fn delegations(Path(d): Path<String>) -> Result<Response, RestError> {
    delegator(&d)?;
    Ok(ok(paged("delegation_responses"), None))
}

async fn unbonding(Path(d): Path<String>) -> Result<Response, RestError> {
    delegator(&d)?;
    Ok(ok(paged("unbonding_responses"), None))
}

async fn redelegations(Path(d): Path<String>) -> Result<Response, RestError> {
    delegator(&d)?;
    Ok(ok(paged("redelegation_responses"), None))
}

async fn delegator_validators(Path(d): Path<String>) -> Result<Response, RestError> {
    delegator(&d)?;
    Ok(ok(paged("validators"), None))
}

async fn validators() -> Response {
    ok(paged("validators"), None)
}

async fn validator(Path(v): Path<String>) -> RestError {
    RestError(ApiError::not_found(format!("validator {v} not found")))
}

async fn pool() -> Response {
    ok(
        json!({"pool": {"not_bonded_tokens": "0", "bonded_tokens": "0"}}),
        None,
    )
}

async fn staking_params() -> Response {
    let params = staking::params();
    let unbonding = params.unbonding_time.unwrap_or_default();
    ok(
        json!({"params": {
            "unbonding_time": format!("{}s", unbonding.seconds),
            "max_validators": params.max_validators,
            "max_entries": params.max_entries,
            "historical_entries": params.historical_entries,
            "bond_denom": params.bond_denom,
            "min_commission_rate": "0.000000000000000000",
        }}),
        None,
    )
}

async fn rewards(Path(d): Path<String>) -> Result<Response, RestError> {
    delegator(&d)?;
    Ok(ok(json!({"rewards": [], "total": []}), None))
}

async fn distribution_validators(Path(d): Path<String>) -> Result<Response, RestError> {
    delegator(&d)?;
    Ok(ok(json!({"validators": []}), None))
}

async fn withdraw_address(Path(d): Path<String>) -> Result<Response, RestError> {
    delegator(&d)?;
    Ok(ok(json!({"withdraw_address": d}), None))
}

async fn community_pool() -> Response {
    ok(json!({"pool": []}), None)
}

async fn distribution_params() -> Response {
    ok(
        json!({"params": {
            "community_tax": "0.000000000000000000",
            "base_proposer_reward": "0.000000000000000000",
            "bonus_proposer_reward": "0.000000000000000000",
            "withdraw_addr_enabled": true,
        }}),
        None,
    )
}
