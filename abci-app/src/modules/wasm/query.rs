//! `cosmwasm.wasm.v1.Query`: the methods cosmjs's `CosmWasmClient` calls, with `pagination`
//! always present (cosmjs loops until `next_key` is empty).

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use cosmos_sdk_proto::cosmwasm::wasm::v1::{
    AccessConfig, CodeInfoResponse, Model, Params, QueryAllContractStateRequest,
    QueryAllContractStateResponse, QueryBuildAddressRequest, QueryBuildAddressResponse,
    QueryCodeRequest, QueryCodeResponse, QueryCodesRequest, QueryCodesResponse,
    QueryContractHistoryRequest, QueryContractHistoryResponse, QueryContractInfoRequest,
    QueryContractInfoResponse, QueryContractsByCodeRequest, QueryContractsByCodeResponse,
    QueryContractsByCreatorRequest, QueryContractsByCreatorResponse, QueryParamsRequest,
    QueryParamsResponse, QueryPinnedCodesRequest, QueryPinnedCodesResponse,
    QueryRawContractStateRequest, QueryRawContractStateResponse, QuerySmartContractStateRequest,
    QuerySmartContractStateResponse,
};
use cosmwasm_std::{Checksum, ContractResult};
use cosmwasm_vm::{call_query, Backend, InstanceOptions, VmError};

use super::backend::{AddrApi, AppQuerier, ContractStorage, EnvBlock, GAS_MULTIPLIER};
use super::state::{decode, keys, WasmRead};
use super::vm::WasmRuntime;
use crate::app::context::ReadOnly;
use crate::app::error::QueryError;
use crate::app::pagination::paginate;
use crate::crypto;
use crate::store::{Overlay, StateRead};

/// Gas cap of a smart query, in SDK gas (wasmd `SmartQueryGasLimit`).
pub const SMART_QUERY_GAS_LIMIT: u64 = 3_000_000;

fn contract_address(value: &str) -> Result<Vec<u8>, QueryError> {
    crypto::account_from_bech32(value)
        .map_err(|e| QueryError::InvalidArgument(format!("invalid contract address: {e}")))
}

fn code_response<S: StateRead>(state: &S, code_id: u64) -> Result<CodeInfoResponse, QueryError> {
    let info = ReadOnly(state)
        .code_info(code_id)?
        .ok_or_else(|| QueryError::NotFound(format!("no such code: code id {code_id}")))?;
    Ok(CodeInfoResponse {
        code_id,
        creator: info.creator,
        data_hash: info.code_hash,
        instantiate_permission: info.instantiate_config,
    })
}

pub fn code<S: StateRead>(
    state: &S,
    runtime: Option<&Arc<WasmRuntime>>,
    req: QueryCodeRequest,
) -> Result<QueryCodeResponse, QueryError> {
    let info = code_response(state, req.code_id)?;
    let checksum = Checksum::try_from(info.data_hash.as_slice())
        .map_err(|e| QueryError::NotFound(format!("stored checksum: {e}")))?;
    let data = match runtime {
        Some(rt) => rt
            .cache()
            .load_wasm(&checksum)
            .map_err(|e| QueryError::NotFound(format!("wasm code {checksum}: {e}")))?,
        None => {
            return Err(QueryError::Unsupported(
                "this node has no contract runtime".to_string(),
            ))
        }
    };
    Ok(QueryCodeResponse {
        code_info: Some(info),
        data,
    })
}

pub fn codes<S: StateRead>(
    state: &S,
    req: QueryCodesRequest,
) -> Result<QueryCodesResponse, QueryError> {
    let (entries, pagination) = paginate(state, &keys::codes(), req.pagination.as_ref())?;
    let code_infos = entries
        .into_iter()
        .map(|(k, v)| {
            let id = u64::from_be_bytes(
                k.as_slice()
                    .try_into()
                    .map_err(|_| QueryError::InvalidArgument("stored code key".to_string()))?,
            );
            let info: cosmos_sdk_proto::cosmwasm::wasm::v1::CodeInfo = decode("code info", &v)?;
            Ok(CodeInfoResponse {
                code_id: id,
                creator: info.creator,
                data_hash: info.code_hash,
                instantiate_permission: info.instantiate_config,
            })
        })
        .collect::<Result<Vec<_>, QueryError>>()?;
    Ok(QueryCodesResponse {
        code_infos,
        pagination: Some(pagination),
    })
}

pub fn contract_info<S: StateRead>(
    state: &S,
    req: QueryContractInfoRequest,
) -> Result<QueryContractInfoResponse, QueryError> {
    let addr = contract_address(&req.address)?;
    let info = ReadOnly(state).contract_info(&addr)?.ok_or_else(|| {
        QueryError::NotFound(format!("address {}: no such contract", req.address))
    })?;
    Ok(QueryContractInfoResponse {
        address: req.address,
        contract_info: Some(info),
    })
}

/// Index keys end with the 32-byte contract address.
fn addresses(entries: Vec<(Vec<u8>, Vec<u8>)>) -> Vec<String> {
    entries
        .into_iter()
        .filter(|(k, _)| k.len() >= 32)
        .map(|(k, _)| crypto::account_to_bech32(&k[k.len() - 32..]))
        .collect()
}

pub fn contracts_by_code<S: StateRead>(
    state: &S,
    req: QueryContractsByCodeRequest,
) -> Result<QueryContractsByCodeResponse, QueryError> {
    let (entries, pagination) =
        paginate(state, &keys::by_code(req.code_id), req.pagination.as_ref())?;
    Ok(QueryContractsByCodeResponse {
        contracts: addresses(entries),
        pagination: Some(pagination),
    })
}

pub fn contracts_by_creator<S: StateRead>(
    state: &S,
    req: QueryContractsByCreatorRequest,
) -> Result<QueryContractsByCreatorResponse, QueryError> {
    let creator = crypto::account_from_bech32(&req.creator_address)
        .map_err(|e| QueryError::InvalidArgument(format!("invalid creator address: {e}")))?;
    let (entries, pagination) =
        paginate(state, &keys::by_creator(&creator), req.pagination.as_ref())?;
    Ok(QueryContractsByCreatorResponse {
        contract_addresses: addresses(entries),
        pagination: Some(pagination),
    })
}

pub fn contract_history<S: StateRead>(
    state: &S,
    req: QueryContractHistoryRequest,
) -> Result<QueryContractHistoryResponse, QueryError> {
    let addr = contract_address(&req.address)?;
    let (entries, pagination) = paginate(state, &keys::history(&addr), req.pagination.as_ref())?;
    let entries = entries
        .into_iter()
        .map(|(_, v)| decode("history entry", &v).map_err(QueryError::from))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(QueryContractHistoryResponse {
        entries,
        pagination: Some(pagination),
    })
}

pub fn raw_contract_state<S: StateRead>(
    state: &S,
    req: QueryRawContractStateRequest,
) -> Result<QueryRawContractStateResponse, QueryError> {
    let addr = contract_address(&req.address)?;
    if ReadOnly(state).contract_info(&addr)?.is_none() {
        return Err(QueryError::NotFound(format!(
            "address {}: no such contract",
            req.address
        )));
    }
    let data = state
        .get(
            &[
                keys::contract_store(&addr).as_slice(),
                req.query_data.as_slice(),
            ]
            .concat(),
        )
        .unwrap_or_default();
    Ok(QueryRawContractStateResponse { data })
}

/// A read-only contract query with its own gas cap; writes (none are allowed) are discarded.
pub fn smart_contract_state<S: StateRead + Clone + 'static>(
    state: &S,
    runtime: Option<&Arc<WasmRuntime>>,
    block: EnvBlock,
    req: QuerySmartContractStateRequest,
) -> Result<QuerySmartContractStateResponse, QueryError> {
    let runtime = runtime
        .ok_or_else(|| QueryError::Unsupported("this node has no contract runtime".to_string()))?;
    let addr = contract_address(&req.address)?;
    serde_json::from_slice::<serde_json::Value>(&req.query_data)
        .map_err(|e| QueryError::InvalidArgument(format!("query data must be JSON: {e}")))?;
    let info = ReadOnly(state).contract_info(&addr)?.ok_or_else(|| {
        QueryError::NotFound(format!("address {}: no such contract", req.address))
    })?;
    let code = code_response(state, info.code_id)?;
    let checksum = Checksum::try_from(code.data_hash.as_slice())
        .map_err(|e| QueryError::NotFound(format!("stored checksum: {e}")))?;
    let shared: super::backend::SharedState = Rc::new(RefCell::new(Overlay::new(state.clone())));
    let env = block
        .env(&req.address)
        .map_err(QueryError::InvalidArgument)?;
    let backend = Backend {
        api: AddrApi,
        storage: ContractStorage::new(shared.clone(), &addr),
        querier: AppQuerier::new(shared, runtime.clone(), block).for_contract(&req.address),
    };
    let mut instance = runtime
        .cache()
        .get_instance(
            &checksum,
            backend,
            InstanceOptions {
                gas_limit: SMART_QUERY_GAS_LIMIT * GAS_MULTIPLIER,
            },
        )
        .map_err(|e| QueryError::Unsupported(format!("loading contract code: {e}")))?;
    let failed = |m: String| QueryError::Tx(super::errors::query_failed(m));
    match call_query(&mut instance, &env, &req.query_data) {
        Ok(ContractResult::Ok(data)) => Ok(QuerySmartContractStateResponse {
            data: data.to_vec(),
        }),
        Ok(ContractResult::Err(e)) => Err(failed(e)),
        Err(VmError::GasDepletion { .. }) => {
            Err(QueryError::Tx(crate::app::error::TxError::OutOfGas {
                location: "smart query".to_string(),
                limit: SMART_QUERY_GAS_LIMIT,
                used: SMART_QUERY_GAS_LIMIT,
            }))
        }
        Err(e) => Err(failed(e.to_string())),
    }
}

/// `AccessType::Everybody`: anyone may upload and instantiate (no governance gate yet).
pub const ACCESS_EVERYBODY: i32 = 3;

/// The module parameters as wasmd reports them; fixed until governance can change them.
pub fn params<S: StateRead>(
    _state: &S,
    _req: QueryParamsRequest,
) -> Result<QueryParamsResponse, QueryError> {
    Ok(QueryParamsResponse {
        params: Some(Params {
            code_upload_access: Some(AccessConfig {
                permission: ACCESS_EVERYBODY,
                addresses: vec![],
            }),
            instantiate_default_permission: ACCESS_EVERYBODY,
        }),
    })
}

/// No code is pinned (pinning is a governance action in wasmd); the page is always empty but
/// present, so clients that loop on `next_key` stop.
pub fn pinned_codes<S: StateRead>(
    _state: &S,
    _req: QueryPinnedCodesRequest,
) -> Result<QueryPinnedCodesResponse, QueryError> {
    Ok(QueryPinnedCodesResponse {
        code_ids: vec![],
        pagination: Some(Default::default()),
    })
}

pub fn all_contract_state<S: StateRead>(
    state: &S,
    req: QueryAllContractStateRequest,
) -> Result<QueryAllContractStateResponse, QueryError> {
    let addr = contract_address(&req.address)?;
    if ReadOnly(state).contract_info(&addr)?.is_none() {
        return Err(QueryError::NotFound(format!(
            "address {}: no such contract",
            req.address
        )));
    }
    let (entries, pagination) =
        paginate(state, &keys::contract_store(&addr), req.pagination.as_ref())?;
    Ok(QueryAllContractStateResponse {
        models: entries
            .into_iter()
            .map(|(key, value)| Model { key, value })
            .collect(),
        pagination: Some(pagination),
    })
}

/// wasmd `BuildAddress`: the Instantiate2 address for hex `code_hash` and `salt`; `init_args`
/// (JSON) are part of the address only when given (`fix_msg`).
pub fn build_address<S: StateRead>(
    _state: &S,
    req: QueryBuildAddressRequest,
) -> Result<QueryBuildAddressResponse, QueryError> {
    let invalid = |what: &str, e: &dyn std::fmt::Display| {
        QueryError::InvalidArgument(format!("invalid {what}: {e}"))
    };
    let code_hash = hex::decode(&req.code_hash).map_err(|e| invalid("code hash", &e))?;
    let creator = crypto::account_from_bech32(&req.creator_address)
        .map_err(|e| invalid("creator address", &e))?;
    let salt = hex::decode(&req.salt).map_err(|e| invalid("salt", &e))?;
    if salt.is_empty() {
        return Err(QueryError::InvalidArgument("empty salt".to_string()));
    }
    if !req.init_args.is_empty() {
        serde_json::from_slice::<serde_json::Value>(&req.init_args)
            .map_err(|e| invalid("init args", &e))?;
    }
    let address = super::address::predictable(&code_hash, &creator, &salt, &req.init_args);
    Ok(QueryBuildAddressResponse {
        address: crypto::account_to_bech32(&address),
    })
}
