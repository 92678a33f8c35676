//! Query routing by gRPC method path (`/cosmos.bank.v1beta1.Query/Balance`, …) and raw store
//! paths (`store/ibc/key`, `store/main/key`), shared by ABCI `Query` and, later, REST and gRPC.

use cosmos_sdk_proto::cosmos::base::abci::v1beta1::{GasInfo, Result as AbciResult};
use cosmos_sdk_proto::cosmos::base::node::v1beta1::{ConfigRequest, ConfigResponse};
use cosmos_sdk_proto::cosmos::base::tendermint::v1beta1::{
    GetNodeInfoRequest, GetNodeInfoResponse,
};
use cosmos_sdk_proto::cosmos::tx::v1beta1::{SimulateRequest, SimulateResponse, TxRaw};
use prost::Message;
use tendermint::merkle::proof::{ProofOp, ProofOps};

use crate::app::ante;
use crate::app::coins::Dec;
use crate::app::context::{BlockInfo, ReadOnly};
use crate::app::error::{QueryError, TxError};
use crate::app::tx::{run_tx, ExecMode};
use crate::modules::wasm::backend::EnvBlock;
use crate::modules::wasm::WasmRuntime;
use crate::modules::{auth, bank, staking, wasm};
use crate::store::{Overlay, Snapshot, StateRead, Storage};

/// A successful query.
#[derive(Debug, Clone, Default)]
pub struct QueryAnswer {
    pub key: Vec<u8>,
    pub value: Vec<u8>,
    pub proof: Option<ProofOps>,
    /// The height the answer is for (never 0: cosmjs rejects that).
    pub height: u64,
}

fn decode<M: Message + Default>(data: &[u8]) -> Result<M, QueryError> {
    M::decode(data).map_err(|e| QueryError::InvalidArgument(format!("decoding request: {e}")))
}

/// Range queries need the ordered index, which exists only for the latest height.
fn latest_only(snapshot: &Snapshot) -> Result<(), QueryError> {
    if snapshot.is_latest() {
        Ok(())
    } else {
        Err(QueryError::Unsupported(
            "paginated queries are served at the latest height only".to_string(),
        ))
    }
}

macro_rules! route {
    ($handler:path, $snapshot:expr, $data:expr) => {
        $handler($snapshot, decode($data)?).map(|r| r.encode_to_vec())
    };
    (paged $handler:path, $snapshot:expr, $data:expr) => {{
        latest_only($snapshot)?;
        $handler($snapshot, decode($data)?).map(|r| r.encode_to_vec())
    }};
}

/// The contract runtime for queries that run contracts (smart queries, simulation); it also
/// knows the last block time for their `env`. REST and gRPC pass `app.wasm()` here too.
pub type WasmQueryCtx<'a> = &'a std::sync::Arc<WasmRuntime>;

/// [`query_with_wasm`] without a contract runtime (smart queries are refused).
pub fn query(
    storage: &Storage,
    path: &str,
    data: &[u8],
    height: u64,
    prove: bool,
) -> Result<QueryAnswer, QueryError> {
    query_with_wasm(storage, None, path, data, height, prove)
}

pub fn query_with_wasm(
    storage: &Storage,
    wasm: Option<WasmQueryCtx<'_>>,
    path: &str,
    data: &[u8],
    height: u64,
    prove: bool,
) -> Result<QueryAnswer, QueryError> {
    let latest = storage
        .latest()
        .ok_or_else(|| QueryError::InvalidHeight("no block has been committed yet".to_string()))?;
    let height = if height == 0 { latest.height } else { height };
    if height > latest.height {
        return Err(QueryError::InvalidHeight(format!(
            "cannot query with height in the future; please provide a valid height (latest {})",
            latest.height
        )));
    }
    if let Some(rest) = path.strip_prefix("store/") {
        return store_query(storage, rest, data, height, prove);
    }
    let snapshot = storage
        .snapshot_at(height)
        .map_err(|e| QueryError::InvalidHeight(e.to_string()))?;
    let s = &snapshot;
    let value = match path {
        "/cosmos.auth.v1beta1.Query/Account" => route!(auth::query::account, s, data),
        "/cosmos.auth.v1beta1.Query/Accounts" => route!(paged auth::query::accounts, s, data),
        "/cosmos.auth.v1beta1.Query/Params" => route!(auth::query::params, s, data),
        "/cosmos.bank.v1beta1.Query/Balance" => route!(bank::query::balance, s, data),
        "/cosmos.bank.v1beta1.Query/AllBalances" => {
            route!(paged bank::query::all_balances, s, data)
        }
        "/cosmos.bank.v1beta1.Query/SpendableBalances" => {
            route!(paged bank::query::spendable_balances, s, data)
        }
        "/cosmos.bank.v1beta1.Query/TotalSupply" => {
            route!(paged bank::query::total_supply, s, data)
        }
        "/cosmos.bank.v1beta1.Query/SupplyOf" => route!(bank::query::supply_of, s, data),
        "/cosmos.bank.v1beta1.Query/DenomMetadata" => route!(bank::query::denom_metadata, s, data),
        "/cosmos.bank.v1beta1.Query/DenomsMetadata" => {
            route!(paged bank::query::denoms_metadata, s, data)
        }
        "/cosmos.bank.v1beta1.Query/Params" => route!(bank::query::params, s, data),
        "/cosmos.staking.v1beta1.Query/Params" => route!(staking::query::params, s, data),
        "/cosmos.base.node.v1beta1.Service/Config" => route!(node_config, s, data),
        "/cosmos.base.tendermint.v1beta1.Service/GetNodeInfo" => route!(node_info, s, data),
        "/cosmos.tx.v1beta1.Service/Simulate" => {
            simulate_with_wasm(s, height, wasm, decode(data)?).map(|r| r.encode_to_vec())
        }
        "/cosmwasm.wasm.v1.Query/Code" => {
            wasm::query::code(s, wasm, decode(data)?).map(|r| r.encode_to_vec())
        }
        "/cosmwasm.wasm.v1.Query/Codes" => route!(paged wasm::query::codes, s, data),
        "/cosmwasm.wasm.v1.Query/ContractInfo" => route!(wasm::query::contract_info, s, data),
        "/cosmwasm.wasm.v1.Query/ContractsByCode" => {
            route!(paged wasm::query::contracts_by_code, s, data)
        }
        "/cosmwasm.wasm.v1.Query/ContractsByCreator" => {
            route!(paged wasm::query::contracts_by_creator, s, data)
        }
        "/cosmwasm.wasm.v1.Query/ContractHistory" => {
            route!(paged wasm::query::contract_history, s, data)
        }
        "/cosmwasm.wasm.v1.Query/RawContractState" => {
            route!(wasm::query::raw_contract_state, s, data)
        }
        "/cosmwasm.wasm.v1.Query/AllContractState" => {
            route!(paged wasm::query::all_contract_state, s, data)
        }
        "/cosmwasm.wasm.v1.Query/PinnedCodes" => route!(wasm::query::pinned_codes, s, data),
        "/cosmwasm.wasm.v1.Query/Params" => route!(wasm::query::params, s, data),
        "/cosmwasm.wasm.v1.Query/BuildAddress" => route!(wasm::query::build_address, s, data),
        "/cosmwasm.wasm.v1.Query/SmartContractState" => {
            // Contracts iterate their storage: range scans exist at the latest height only.
            latest_only(s)?;
            let block = EnvBlock {
                chain_id: s
                    .get(crate::app::ante::CHAIN_ID_KEY)
                    .and_then(|b| String::from_utf8(b).ok())
                    .unwrap_or_default(),
                height,
                time_unix_nanos: wasm
                    .map_or(0, |w| u64::try_from(w.last_block_time()).unwrap_or(0)),
                tx_index: None,
            };
            wasm::query::smart_contract_state(s, wasm, block, decode(data)?)
                .map(|r| r.encode_to_vec())
        }
        ibc_path if ibc_path.starts_with("/ibc.") => {
            crate::modules::ibc::query::route(s, height, ibc_path, data)
        }
        other => Err(QueryError::UnknownPath(other.to_string())),
    }?;
    Ok(QueryAnswer {
        key: Vec::new(),
        value,
        proof: None,
        height,
    })
}

/// `cosmos.base.node.v1beta1.Service/Config`: the minimum gas price as an SDK `DecCoins`
/// string (`0.025000000000000000uopen`), which Hermes compares with its configured gas price.
fn node_config<S: StateRead>(state: &S, _req: ConfigRequest) -> Result<ConfigResponse, QueryError> {
    let fees = ante::fee_params(&mut ReadOnly(state))?;
    let price = Dec::parse(&fees.min_gas_price)
        .map_err(|e| TxError::InvalidRequest(format!("stored minimum gas price: {e}")))?;
    Ok(ConfigResponse {
        minimum_gas_price: format!("{price}{}", fees.fee_denom),
        ..ConfigResponse::default()
    })
}

/// `GetNodeInfo` over ABCI knows only the application's side; CometBFT's node info is on its
/// own RPC (`status`), and the REST/gRPC servers merge the two. Hermes reads only
/// `application_version` here.
fn node_info<S: StateRead>(
    _state: &S,
    _req: GetNodeInfoRequest,
) -> Result<GetNodeInfoResponse, QueryError> {
    Ok(GetNodeInfoResponse {
        default_node_info: None,
        application_version: Some(crate::version::application_version()),
    })
}

/// `store/<substore>/key`: a raw read of one key, with ICS-23 proofs when asked.
fn store_query(
    storage: &Storage,
    rest: &str,
    key: &[u8],
    height: u64,
    prove: bool,
) -> Result<QueryAnswer, QueryError> {
    let app_key = match rest {
        "ibc/key" => [crate::store::IBC_PREFIX, key].concat(),
        "main/key" => key.to_vec(),
        other => return Err(QueryError::UnknownPath(format!("store/{other}"))),
    };
    let (value, proof) = if prove {
        let (value, ops) = storage
            .get_with_proof(&app_key, height)
            .map_err(|e| QueryError::InvalidHeight(e.to_string()))?;
        let ops = ops
            .into_iter()
            .map(|op| ProofOp {
                field_type: op.field_type,
                key: op.key,
                data: op.data,
            })
            .collect();
        (value, Some(ProofOps { ops }))
    } else {
        let snapshot = storage
            .snapshot_at(height)
            .map_err(|e| QueryError::InvalidHeight(e.to_string()))?;
        (snapshot.get(&app_key), None)
    };
    Ok(QueryAnswer {
        key: key.to_vec(),
        value: value.unwrap_or_default(),
        proof,
        height,
    })
}

/// `cosmos.tx.v1beta1.Service/Simulate`: run the tx on a throw-away copy of the state.
pub fn simulate(
    snapshot: &Snapshot,
    height: u64,
    req: SimulateRequest,
) -> Result<SimulateResponse, QueryError> {
    simulate_with_wasm(snapshot, height, None, req)
}

/// [`simulate`] with the contract runtime, so wasm messages can be simulated.
pub fn simulate_with_wasm(
    snapshot: &Snapshot,
    height: u64,
    wasm: Option<WasmQueryCtx<'_>>,
    req: SimulateRequest,
) -> Result<SimulateResponse, QueryError> {
    #[allow(deprecated)] // `tx` is the pre-0.43 field, still accepted as the SDK does.
    let tx_bytes = match (req.tx_bytes.is_empty(), req.tx) {
        (false, _) => req.tx_bytes,
        (true, Some(tx)) => TxRaw {
            body_bytes: tx.body.map(|b| b.encode_to_vec()).unwrap_or_default(),
            auth_info_bytes: tx.auth_info.map(|a| a.encode_to_vec()).unwrap_or_default(),
            signatures: tx.signatures,
        }
        .encode_to_vec(),
        (true, None) => {
            return Err(QueryError::InvalidArgument(
                "empty txBytes is not allowed".to_string(),
            ))
        }
    };
    let mut state = Overlay::new(snapshot.clone());
    let block = BlockInfo {
        chain_id: state
            .get(crate::app::ante::CHAIN_ID_KEY)
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_default(),
        height: height + 1,
        time_unix_nanos: wasm.map_or(0, |w| w.last_block_time()),
        wasm: wasm.map(|w| crate::modules::wasm::WasmHandle::for_simulation(w.clone())),
        // A simulation reports the gas a tx needs, whatever the block limit.
        max_gas: None,
    };
    let outcome = run_tx(&mut state, &block, ExecMode::Simulate, &tx_bytes);
    let data = outcome.result?;
    #[allow(deprecated)]
    Ok(SimulateResponse {
        gas_info: Some(GasInfo {
            gas_wanted: outcome.gas_wanted,
            gas_used: outcome.gas_used,
        }),
        result: Some(AbciResult {
            data,
            log: String::new(),
            events: outcome.events.into_iter().map(Into::into).collect(),
            msg_responses: outcome.msg_responses,
        }),
    })
}
