//! `cosmos.bank.v1beta1.Query`.

use cosmos_sdk_proto::cosmos::bank::v1beta1::Metadata;
use cosmos_sdk_proto::cosmos::bank::v1beta1::{
    Params, QueryAllBalancesRequest, QueryAllBalancesResponse, QueryBalanceRequest,
    QueryBalanceResponse, QueryDenomMetadataRequest, QueryDenomMetadataResponse,
    QueryDenomsMetadataRequest, QueryDenomsMetadataResponse, QueryParamsRequest,
    QueryParamsResponse, QuerySpendableBalancesRequest, QuerySpendableBalancesResponse,
    QuerySupplyOfRequest, QuerySupplyOfResponse, QueryTotalSupplyRequest, QueryTotalSupplyResponse,
};
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin;
use prost::Message;

use super::state::{decode_amount, keys, BankRead};
use crate::app::coins::validate_denom;
use crate::app::context::ReadOnly;
use crate::app::error::QueryError;
use crate::app::pagination::paginate;
use crate::crypto;
use crate::store::StateRead;

fn address(value: &str) -> Result<Vec<u8>, QueryError> {
    crypto::account_from_bech32(value).map_err(|e| QueryError::InvalidArgument(e.to_string()))
}

fn denom(value: &str) -> Result<(), QueryError> {
    validate_denom(value)
        .map_err(|_| QueryError::InvalidArgument(format!("invalid denom {value:?}")))
}

fn coins_from(entries: Vec<(Vec<u8>, Vec<u8>)>) -> Result<Vec<Coin>, QueryError> {
    entries
        .into_iter()
        .map(|(denom, amount)| {
            Ok(Coin {
                denom: String::from_utf8(denom)
                    .map_err(|_| QueryError::InvalidArgument("stored denom".to_string()))?,
                amount: decode_amount(&amount)?.to_string(),
            })
        })
        .collect()
}

pub fn balance<S: StateRead>(
    state: &S,
    req: QueryBalanceRequest,
) -> Result<QueryBalanceResponse, QueryError> {
    let address = address(&req.address)?;
    denom(&req.denom)?;
    let amount = ReadOnly(state).balance(&address, &req.denom)?;
    // cosmjs asserts the balance is present, zero or not.
    Ok(QueryBalanceResponse {
        balance: Some(Coin {
            denom: req.denom,
            amount: amount.to_string(),
        }),
    })
}

pub fn all_balances<S: StateRead>(
    state: &S,
    req: QueryAllBalancesRequest,
) -> Result<QueryAllBalancesResponse, QueryError> {
    let address = address(&req.address)?;
    let (entries, pagination) =
        paginate(state, &keys::balances_of(&address), req.pagination.as_ref())?;
    Ok(QueryAllBalancesResponse {
        balances: coins_from(entries)?,
        pagination: Some(pagination),
    })
}

/// Nothing is locked on this chain (no vesting), so spendable equals all balances.
pub fn spendable_balances<S: StateRead>(
    state: &S,
    req: QuerySpendableBalancesRequest,
) -> Result<QuerySpendableBalancesResponse, QueryError> {
    let all = all_balances(
        state,
        QueryAllBalancesRequest {
            address: req.address,
            pagination: req.pagination,
            resolve_denom: false,
        },
    )?;
    Ok(QuerySpendableBalancesResponse {
        balances: all.balances,
        pagination: all.pagination,
    })
}

pub fn total_supply<S: StateRead>(
    state: &S,
    req: QueryTotalSupplyRequest,
) -> Result<QueryTotalSupplyResponse, QueryError> {
    let (entries, pagination) = paginate(state, keys::SUPPLY_PREFIX, req.pagination.as_ref())?;
    Ok(QueryTotalSupplyResponse {
        supply: coins_from(entries)?,
        pagination: Some(pagination),
    })
}

pub fn supply_of<S: StateRead>(
    state: &S,
    req: QuerySupplyOfRequest,
) -> Result<QuerySupplyOfResponse, QueryError> {
    denom(&req.denom)?;
    let amount = ReadOnly(state).supply_of(&req.denom)?;
    Ok(QuerySupplyOfResponse {
        amount: Some(Coin {
            denom: req.denom,
            amount: amount.to_string(),
        }),
    })
}

pub fn denom_metadata<S: StateRead>(
    state: &S,
    req: QueryDenomMetadataRequest,
) -> Result<QueryDenomMetadataResponse, QueryError> {
    denom(&req.denom)?;
    match ReadOnly(state).denom_metadata(&req.denom)? {
        Some(metadata) => Ok(QueryDenomMetadataResponse {
            metadata: Some(metadata),
        }),
        None => Err(QueryError::NotFound(format!(
            "client metadata for denom {}",
            req.denom
        ))),
    }
}

pub fn denoms_metadata<S: StateRead>(
    state: &S,
    req: QueryDenomsMetadataRequest,
) -> Result<QueryDenomsMetadataResponse, QueryError> {
    let (entries, pagination) = paginate(state, keys::METADATA_PREFIX, req.pagination.as_ref())?;
    let metadatas = entries
        .into_iter()
        .map(|(_, bytes)| {
            Metadata::decode(bytes.as_slice())
                .map_err(|e| QueryError::InvalidArgument(format!("stored metadata: {e}")))
        })
        .collect::<Result<_, _>>()?;
    Ok(QueryDenomsMetadataResponse {
        metadatas,
        pagination: Some(pagination),
    })
}

pub fn params<S: StateRead>(
    _state: &S,
    _req: QueryParamsRequest,
) -> Result<QueryParamsResponse, QueryError> {
    #[allow(deprecated)] // `send_enabled` moved out of Params in SDK 0.47; kept empty.
    Ok(QueryParamsResponse {
        params: Some(Params {
            send_enabled: vec![],
            default_send_enabled: true,
        }),
    })
}
