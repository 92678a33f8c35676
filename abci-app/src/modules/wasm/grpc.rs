//! The gRPC queries contracts may make (`QueryRequest::Grpc`, and `QueryRequest::Stargate` for
//! the older interface), against the caller's view of the block (wasmd `AcceptListGrpcQuerier`
//! / `AcceptListStargateQuerier`).
//!
//! Only deterministic, bounded, non-contract queries are accepted: a query that ran contracts
//! again (`SmartContractState`) or served large blobs (`Code`) would escape the caller's gas
//! accounting. `Grpc` answers protobuf bytes; `Stargate` answers JSON, as wasmd converts it,
//! so only the paths with a JSON rendering below are open to it.

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin;
use prost::Message;
use serde_json::{json, Value};

use crate::app::error::QueryError;
use crate::modules::{auth, bank};
use crate::store::{StateCheckpoint, StateRead};

/// A read-only view of the shared overlay with the shape the module query handlers take.
struct View<'a>(&'a dyn StateCheckpoint);

impl StateRead for View<'_> {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.0.get(key)
    }

    fn first_in_range(
        &self,
        lower: std::ops::Bound<&[u8]>,
        upper: std::ops::Bound<&[u8]>,
        reverse: bool,
    ) -> Option<(Vec<u8>, Vec<u8>)> {
        self.0.first_in_range(lower, upper, reverse)
    }

    fn first_in_range_skipping(
        &self,
        lower: std::ops::Bound<&[u8]>,
        upper: std::ops::Bound<&[u8]>,
        reverse: bool,
    ) -> (Option<(Vec<u8>, Vec<u8>)>, u64) {
        self.0.first_in_range_skipping(lower, upper, reverse)
    }
}

/// Why a whitelisted query was not answered.
#[derive(Debug, thiserror::Error)]
pub enum GrpcQueryError {
    #[error("'{0}' path is not allowed from the contract")]
    NotAllowed(String),
    #[error(transparent)]
    Query(#[from] QueryError),
}

fn decode<M: Message + Default>(data: &[u8]) -> Result<M, QueryError> {
    M::decode(data).map_err(|e| QueryError::InvalidArgument(format!("decoding request: {e}")))
}

macro_rules! answer {
    ($handler:path, $view:expr, $data:expr) => {
        $handler($view, decode($data)?).map_err(GrpcQueryError::from)
    };
}

/// `QueryRequest::Grpc`: the protobuf answer of a whitelisted path.
pub fn query(
    state: &dyn StateCheckpoint,
    path: &str,
    data: &[u8],
) -> Result<Vec<u8>, GrpcQueryError> {
    let view = &View(state);
    Ok(match path {
        "/cosmos.auth.v1beta1.Query/Account" => {
            answer!(auth::query::account, view, data)?.encode_to_vec()
        }
        "/cosmos.auth.v1beta1.Query/Params" => {
            answer!(auth::query::params, view, data)?.encode_to_vec()
        }
        "/cosmos.bank.v1beta1.Query/Balance" => {
            answer!(bank::query::balance, view, data)?.encode_to_vec()
        }
        "/cosmos.bank.v1beta1.Query/AllBalances" => {
            answer!(bank::query::all_balances, view, data)?.encode_to_vec()
        }
        "/cosmos.bank.v1beta1.Query/SupplyOf" => {
            answer!(bank::query::supply_of, view, data)?.encode_to_vec()
        }
        "/cosmos.bank.v1beta1.Query/DenomMetadata" => {
            answer!(bank::query::denom_metadata, view, data)?.encode_to_vec()
        }
        "/cosmos.bank.v1beta1.Query/Params" => {
            answer!(bank::query::params, view, data)?.encode_to_vec()
        }
        "/cosmwasm.wasm.v1.Query/ContractInfo" => {
            answer!(super::query::contract_info, view, data)?.encode_to_vec()
        }
        "/cosmwasm.wasm.v1.Query/RawContractState" => {
            answer!(super::query::raw_contract_state, view, data)?.encode_to_vec()
        }
        other => return Err(GrpcQueryError::NotAllowed(other.to_string())),
    })
}

fn coin_json(c: &Coin) -> Value {
    json!({"denom": c.denom, "amount": c.amount})
}

/// `QueryRequest::Stargate`: the same whitelist, answered as proto JSON (field names as in
/// the .proto files, `uint64` as strings), for the paths that have a rendering here.
pub fn stargate_json(
    state: &dyn StateCheckpoint,
    path: &str,
    data: &[u8],
) -> Result<Vec<u8>, GrpcQueryError> {
    let view = &View(state);
    let value = match path {
        "/cosmos.bank.v1beta1.Query/Balance" => {
            let r = answer!(bank::query::balance, view, data)?;
            json!({"balance": r.balance.as_ref().map(coin_json)})
        }
        "/cosmos.bank.v1beta1.Query/AllBalances" => {
            let r = answer!(bank::query::all_balances, view, data)?;
            let next_key = r
                .pagination
                .as_ref()
                .map(|p| p.next_key.clone())
                .unwrap_or_default();
            json!({
                "balances": r.balances.iter().map(coin_json).collect::<Vec<_>>(),
                "pagination": {
                    "next_key": (!next_key.is_empty()).then(|| {
                        use base64::Engine;
                        base64::engine::general_purpose::STANDARD.encode(&next_key)
                    }),
                    "total": r.pagination.as_ref().map_or(0, |p| p.total).to_string(),
                },
            })
        }
        "/cosmos.bank.v1beta1.Query/SupplyOf" => {
            let r = answer!(bank::query::supply_of, view, data)?;
            json!({"amount": r.amount.as_ref().map(coin_json)})
        }
        other => return Err(GrpcQueryError::NotAllowed(other.to_string())),
    };
    Ok(value.to_string().into_bytes())
}

#[cfg(test)]
mod tests {
    use cosmos_sdk_proto::cosmos::bank::v1beta1::{QueryBalanceRequest, QueryBalanceResponse};

    use super::*;
    use crate::modules::bank::state::keys;
    use crate::store::{Empty, Overlay, StateWrite};

    fn state_with_balance(addr: &[u8], amount: u128) -> Overlay<Empty> {
        let mut o = Overlay::new(Empty);
        o.put(keys::balance(addr, "uopen"), amount.to_be_bytes().to_vec());
        o
    }

    #[test]
    fn grpc_answers_protobuf_and_stargate_json() {
        let addr = [7u8; 20];
        let state = state_with_balance(&addr, 42);
        let req = QueryBalanceRequest {
            address: crate::crypto::account_to_bech32(&addr),
            denom: "uopen".into(),
        }
        .encode_to_vec();
        let bytes = query(&state, "/cosmos.bank.v1beta1.Query/Balance", &req).unwrap();
        let balance = QueryBalanceResponse::decode(bytes.as_slice())
            .unwrap()
            .balance
            .unwrap();
        assert_eq!(balance.amount, "42");
        let json = stargate_json(&state, "/cosmos.bank.v1beta1.Query/Balance", &req).unwrap();
        assert_eq!(
            serde_json::from_slice::<Value>(&json).unwrap(),
            json!({"balance": {"denom": "uopen", "amount": "42"}})
        );
    }

    #[test]
    fn off_the_whitelist_or_bad_bytes_is_an_error() {
        let state = Overlay::new(Empty);
        assert!(matches!(
            query(&state, "/cosmwasm.wasm.v1.Query/SmartContractState", b""),
            Err(GrpcQueryError::NotAllowed(_))
        ));
        assert!(matches!(
            stargate_json(&state, "/cosmos.auth.v1beta1.Query/Account", b""),
            Err(GrpcQueryError::NotAllowed(_))
        ));
        assert!(matches!(
            query(&state, "/cosmos.bank.v1beta1.Query/Balance", &[0xff, 0xff]),
            Err(GrpcQueryError::Query(_))
        ));
    }
}
