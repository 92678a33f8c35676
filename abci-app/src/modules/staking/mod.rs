//! Staking parameters, without staking: validators come from genesis, nothing is bonded or
//! delegated. IBC light clients still need the chain's unbonding period (Hermes derives the
//! trusting period from it, and its health check wants `historical_entries > 0`), and wallets
//! read the bond denom, so this module answers `cosmos.staking.v1beta1.Query/Params` with fixed
//! values that REST and gRPC share.

use cosmos_sdk_proto::cosmos::staking::v1beta1::{Params, QueryParamsRequest, QueryParamsResponse};

use tendermint_proto::google::protobuf::Duration;

use crate::app::error::QueryError;
use crate::store::StateRead;

/// The bond denom (the fee denom).
pub const BOND_DENOM: &str = "uopen";
/// 21 days, as the SDK default.
pub const UNBONDING_TIME_SECS: i64 = 21 * 24 * 3600;

pub fn params() -> Params {
    Params {
        unbonding_time: Some(Duration {
            seconds: UNBONDING_TIME_SECS,
            nanos: 0,
        }),
        max_validators: 100,
        max_entries: 7,
        historical_entries: crate::modules::ibc::context::HOST_HISTORY as u32,
        bond_denom: BOND_DENOM.to_string(),
        // A LegacyDec on the wire: the integer of value × 10^18.
        min_commission_rate: "0".to_string(),
    }
}

pub mod query {
    use super::*;

    pub fn params<S: StateRead>(
        _state: &S,
        _req: QueryParamsRequest,
    ) -> Result<QueryParamsResponse, QueryError> {
        Ok(QueryParamsResponse {
            params: Some(super::params()),
        })
    }
}
