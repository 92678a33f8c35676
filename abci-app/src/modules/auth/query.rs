//! `cosmos.auth.v1beta1.Query`.

use cosmos_sdk_proto::cosmos::auth::v1beta1::{
    QueryAccountRequest, QueryAccountResponse, QueryAccountsRequest, QueryAccountsResponse,
    QueryParamsRequest, QueryParamsResponse,
};
use cosmos_sdk_proto::Any;
use prost::Message;

use super::state::{keys, AuthRead};
use crate::app::context::ReadOnly;
use crate::app::error::QueryError;
use crate::app::pagination::paginate;
use crate::crypto;
use crate::store::StateRead;

pub fn account<S: StateRead>(
    state: &S,
    req: QueryAccountRequest,
) -> Result<QueryAccountResponse, QueryError> {
    let address = crypto::account_from_bech32(&req.address)
        .map_err(|e| QueryError::InvalidArgument(e.to_string()))?;
    match ReadOnly(state).account(&address)? {
        Some(account) => Ok(QueryAccountResponse {
            account: Some(account.to_any()),
        }),
        None => Err(QueryError::NotFound(format!(
            "account {} not found",
            req.address
        ))),
    }
}

pub fn accounts<S: StateRead>(
    state: &S,
    req: QueryAccountsRequest,
) -> Result<QueryAccountsResponse, QueryError> {
    let (entries, pagination) = paginate(state, keys::ACCOUNT_PREFIX, req.pagination.as_ref())?;
    let accounts = entries
        .into_iter()
        .map(|(_, bytes)| {
            Any::decode(bytes.as_slice())
                .map_err(|e| QueryError::InvalidArgument(format!("stored account: {e}")))
        })
        .collect::<Result<_, _>>()?;
    Ok(QueryAccountsResponse {
        accounts,
        pagination: Some(pagination),
    })
}

pub fn params<S: StateRead>(
    state: &S,
    _req: QueryParamsRequest,
) -> Result<QueryParamsResponse, QueryError> {
    Ok(QueryParamsResponse {
        params: Some(ReadOnly(state).auth_params()?),
    })
}
