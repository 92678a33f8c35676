//! cosmwasm-vm backend over the block overlay: contract storage, bech32 addresses and the
//! chain querier, with one gas meter per call: every callback
//! returns its SDK gas cost × [`GAS_MULTIPLIER`] as VM gas, and the host charges the VM's
//! `used_internally / GAS_MULTIPLIER` to the tx's SDK meter after the call.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::ops::Bound;
use std::rc::Rc;
use std::sync::Arc;

use cosmwasm_std::{
    to_json_binary, Addr, AllBalanceResponse, BalanceResponse, BankQuery, Binary, ChannelResponse,
    Checksum, CodeInfoResponse, Coin, ContractInfoResponse, ContractResult, Empty, Env, IbcQuery,
    ListChannelsResponse, Order, PortIdResponse, QueryRequest, Record, StakingQuery,
    SupplyResponse, SystemError, SystemResult, Uint128, WasmQuery,
};
use cosmwasm_vm::{
    call_query, Backend, BackendApi, BackendError, BackendResult, GasInfo, InstanceOptions,
    Querier, Storage, VmError,
};

use super::state::{keys, WasmRead};
use super::vm::WasmRuntime;
use crate::app::context::ReadOnly;
use crate::app::gas::kv_costs;
use crate::crypto;
use crate::modules::bank::{state::keys as bank_keys, BankRead};
use crate::store::{prefix_end, StateCheckpoint};

/// CosmWasm gas per SDK gas (wasmd `DefaultGasMultiplier` since CosmWasm 2.0).
pub const GAS_MULTIPLIER: u64 = 140_000;
/// Nested smart queries allowed at once (wasmd `max query stack size`).
pub const MAX_QUERY_DEPTH: u32 = 10;

/// VM gas for an SDK gas amount.
pub fn sdk(gas: u64) -> GasInfo {
    GasInfo::with_cost(gas.saturating_mul(GAS_MULTIPLIER))
}

/// The block overlay, shared by the host and every live instance's callbacks.
pub type SharedState = Rc<RefCell<dyn StateCheckpoint>>;

/// bech32 `open` addresses (canonical = raw bytes). Gas as wasmd `api.go`.
#[derive(Clone, Copy, Debug, Default)]
pub struct AddrApi;

const CANONICALIZE_COST: u64 = 4;
const HUMANIZE_COST: u64 = 5;

impl BackendApi for AddrApi {
    fn addr_validate(&self, input: &str) -> BackendResult<()> {
        let gas = sdk(CANONICALIZE_COST + HUMANIZE_COST);
        let result = match crypto::account_from_bech32(input) {
            Ok(bytes) if crypto::account_to_bech32(&bytes) == input => Ok(()),
            Ok(_) => Err(BackendError::user_err(format!(
                "address {input} is not normalized"
            ))),
            Err(e) => Err(BackendError::user_err(format!(
                "invalid address {input}: {e}"
            ))),
        };
        (result, gas)
    }

    fn addr_canonicalize(&self, human: &str) -> BackendResult<Vec<u8>> {
        let result = crypto::account_from_bech32(human)
            .map_err(|e| BackendError::user_err(format!("invalid address {human}: {e}")));
        (result, sdk(CANONICALIZE_COST))
    }

    fn addr_humanize(&self, canonical: &[u8]) -> BackendResult<String> {
        let result = if canonical.is_empty() || canonical.len() > 255 {
            Err(BackendError::user_err(format!(
                "invalid canonical address length {}",
                canonical.len()
            )))
        } else {
            Ok(crypto::account_to_bech32(canonical))
        };
        (result, sdk(HUMANIZE_COST))
    }
}

#[derive(Debug)]
struct IterState {
    lower: Vec<u8>,
    upper: Option<Vec<u8>>,
    reverse: bool,
    /// The last full key returned.
    last: Option<Vec<u8>>,
}

/// One contract's KV space (`wasm/0x03 ‖ addr ‖ key`) in the shared overlay.
pub struct ContractStorage {
    state: SharedState,
    prefix: Vec<u8>,
    /// Length of the key as wasmd's gas KV store sees it (`0x03 ‖ addr`), for gas.
    gas_prefix_len: usize,
    iterators: BTreeMap<u32, IterState>,
    next_id: u32,
}

impl ContractStorage {
    pub fn new(state: SharedState, contract: &[u8]) -> Self {
        Self {
            state,
            prefix: keys::contract_store(contract),
            gas_prefix_len: 1 + contract.len(),
            iterators: BTreeMap::new(),
            next_id: 1,
        }
    }

    fn full(&self, key: &[u8]) -> Vec<u8> {
        [self.prefix.as_slice(), key].concat()
    }
}

impl Storage for ContractStorage {
    fn get(&self, key: &[u8]) -> BackendResult<Option<Vec<u8>>> {
        let value = self.state.borrow().get(&self.full(key));
        let bytes = self.gas_prefix_len + key.len() + value.as_ref().map_or(0, Vec::len);
        (
            Ok(value),
            sdk(kv_costs::READ_FLAT + kv_costs::READ_PER_BYTE * bytes as u64),
        )
    }

    fn scan(
        &mut self,
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: Order,
    ) -> BackendResult<u32> {
        let id = self.next_id;
        self.next_id += 1;
        let lower = self.full(start.unwrap_or_default());
        let upper = match end {
            Some(e) => Some(self.full(e)),
            None => prefix_end(&self.prefix),
        };
        self.iterators.insert(
            id,
            IterState {
                lower,
                upper,
                reverse: order == Order::Descending,
                last: None,
            },
        );
        (Ok(id), GasInfo::free())
    }

    fn next(&mut self, iterator_id: u32) -> BackendResult<Option<Record>> {
        let Some(it) = self.iterators.get_mut(&iterator_id) else {
            return (
                Err(BackendError::iterator_does_not_exist(iterator_id)),
                GasInfo::free(),
            );
        };
        let (lower, upper) = match (&it.last, it.reverse) {
            (Some(last), false) => (Bound::Excluded(last.as_slice()), it.upper.as_deref()),
            (Some(last), true) => (Bound::Included(it.lower.as_slice()), Some(last.as_slice())),
            (None, _) => (Bound::Included(it.lower.as_slice()), it.upper.as_deref()),
        };
        let upper = match upper {
            Some(u) => Bound::Excluded(u),
            None => Bound::Unbounded,
        };
        // `start >= end` describes an empty range (and would be an invalid BTreeMap range).
        let empty = matches!(&it.upper, Some(u) if it.lower >= *u);
        let (found, skipped) = if empty {
            (None, 0)
        } else {
            self.state
                .borrow()
                .first_in_range_skipping(lower, upper, it.reverse)
        };
        // Each deleted entry stepped over costs a step, as if it were still there: deletions
        // of absent keys are cheap, and must not make later scans long for the same gas.
        let skipped_gas = kv_costs::ITER_NEXT_FLAT.saturating_mul(skipped);
        match found {
            Some((key, value)) => {
                let gas_bytes = key.len() - self.prefix.len() + self.gas_prefix_len + value.len();
                let record = (key[self.prefix.len()..].to_vec(), value);
                it.last = Some(key);
                (
                    Ok(Some(record)),
                    sdk(kv_costs::ITER_NEXT_FLAT
                        .saturating_add(kv_costs::READ_PER_BYTE * gas_bytes as u64)
                        .saturating_add(skipped_gas)),
                )
            }
            None => (
                Ok(None),
                sdk(kv_costs::ITER_NEXT_FLAT.saturating_add(skipped_gas)),
            ),
        }
    }

    fn set(&mut self, key: &[u8], value: &[u8]) -> BackendResult<()> {
        let bytes = self.gas_prefix_len + key.len() + value.len();
        self.state.borrow_mut().put(self.full(key), value.to_vec());
        (
            Ok(()),
            sdk(kv_costs::WRITE_FLAT + kv_costs::WRITE_PER_BYTE * bytes as u64),
        )
    }

    fn remove(&mut self, key: &[u8]) -> BackendResult<()> {
        self.state.borrow_mut().delete(self.full(key));
        (Ok(()), sdk(kv_costs::DELETE))
    }
}

/// Block facts that go into `Env`.
#[derive(Debug, Clone)]
pub struct EnvBlock {
    pub chain_id: String,
    pub height: u64,
    pub time_unix_nanos: u64,
    pub tx_index: Option<u32>,
}

impl EnvBlock {
    /// `Env` for `contract` (built through serde: several fields are `#[non_exhaustive]`).
    pub fn env(&self, contract: &str) -> Result<Env, String> {
        let transaction = match self.tx_index {
            Some(index) => serde_json::json!({ "index": index }),
            None => serde_json::Value::Null,
        };
        serde_json::from_value(serde_json::json!({
            "block": {
                "height": self.height,
                "time": self.time_unix_nanos.to_string(),
                "chain_id": self.chain_id,
            },
            "transaction": transaction,
            "contract": { "address": contract },
        }))
        .map_err(|e| format!("building env: {e}"))
    }
}

/// Answers contract queries against the shared overlay (seeing the caller's uncommitted
/// writes; queried contracts run read-only).
pub struct AppQuerier {
    state: SharedState,
    runtime: Arc<WasmRuntime>,
    block: EnvBlock,
    depth: Rc<Cell<u32>>,
    /// The contract whose queries these are (its IBC port answers `IbcQuery::PortId`).
    caller: Option<String>,
}

impl AppQuerier {
    pub fn new(state: SharedState, runtime: Arc<WasmRuntime>, block: EnvBlock) -> Self {
        Self {
            state,
            runtime,
            block,
            depth: Rc::new(Cell::new(0)),
            caller: None,
        }
    }

    /// The querier of contract `caller` (bech32).
    pub fn for_contract(mut self, caller: &str) -> Self {
        self.caller = Some(caller.to_string());
        self
    }

    /// The querier of a contract queried by this one.
    fn nested(&self, queried: &str) -> Self {
        Self {
            state: self.state.clone(),
            runtime: self.runtime.clone(),
            block: self.block.clone(),
            depth: self.depth.clone(),
            caller: Some(queried.to_string()),
        }
    }

    /// wasmd's IBC queries (the caller's port and the channels of a port), and the SDK gas
    /// of what the query scanned beyond the flat read.
    fn ibc(&self, query: &IbcQuery, gas_limit: u64) -> (Result<Binary, SystemError>, u64) {
        let mut scanned = 0;
        let result = self.ibc_answer(query, gas_limit, &mut scanned);
        (result, scanned)
    }

    #[allow(deprecated)] // `ListChannels` and `FeeEnabledChannel` are deprecated, not gone.
    fn ibc_answer(
        &self,
        query: &IbcQuery,
        gas_limit: u64,
        scanned: &mut u64,
    ) -> Result<Binary, SystemError> {
        let state = self.state.borrow();
        let caller_port = || -> Result<String, SystemError> {
            let unsupported = |why: &str| SystemError::InvalidRequest {
                error: why.to_string(),
                request: Binary::default(),
            };
            let caller = self
                .caller
                .as_deref()
                .ok_or_else(|| unsupported("IBC port query outside a contract"))?;
            let addr = self.contract_addr(caller)?;
            let info = ReadOnly(&*state)
                .contract_info(&addr)
                .ok()
                .flatten()
                .ok_or_else(|| unsupported("the calling contract has no contract info"))?;
            Ok(info.ibc_port_id)
        };
        let encode = |value: serde_json::Result<Vec<u8>>| {
            value
                .map(Binary::from)
                .map_err(|e| SystemError::InvalidResponse {
                    error: e.to_string(),
                    response: Binary::default(),
                })
        };
        match query {
            IbcQuery::PortId {} => encode(serde_json::to_vec(&PortIdResponse::new(caller_port()?))),
            IbcQuery::ListChannels { port_id } => {
                let port = match port_id {
                    Some(port) => port.clone(),
                    None => caller_port()?,
                };
                let (channels, entries) =
                    super::ibc::open_channels_scanned(&*state, &port, max_scan(gas_limit));
                *scanned = scan_gas(&entries);
                encode(serde_json::to_vec(&ListChannelsResponse::new(channels)))
            }
            IbcQuery::Channel {
                channel_id,
                port_id,
            } => {
                let port = match port_id {
                    Some(port) => port.clone(),
                    None => caller_port()?,
                };
                let found = super::ibc::channel(&*state, &port, channel_id);
                encode(serde_json::to_vec(&ChannelResponse::new(found)))
            }
            // No fee middleware (ICS-29) on this chain.
            IbcQuery::FeeEnabledChannel { .. } => encode(serde_json::to_vec(
                &serde_json::json!({ "fee_enabled": false }),
            )),
            _ => Err(SystemError::UnsupportedRequest {
                kind: "ibc query".to_string(),
            }),
        }
    }

    fn contract_addr(&self, human: &str) -> Result<Vec<u8>, SystemError> {
        crypto::account_from_bech32(human).map_err(|_| SystemError::NoSuchContract {
            addr: human.to_string(),
        })
    }

    /// A bank query and the SDK gas of what it scanned beyond the flat read.
    fn bank(&self, query: &BankQuery, gas_limit: u64) -> (Result<Binary, SystemError>, u64) {
        let mut scanned = 0;
        let result = self.bank_answer(query, gas_limit, &mut scanned);
        (result, scanned)
    }

    fn bank_answer(
        &self,
        query: &BankQuery,
        gas_limit: u64,
        scanned: &mut u64,
    ) -> Result<Binary, SystemError> {
        let state = self.state.borrow();
        let mut kv = ReadOnly(&*state);
        let invalid = |e: String| SystemError::InvalidRequest {
            error: e,
            request: Binary::default(),
        };
        let json =
            |r: Result<Binary, cosmwasm_std::StdError>| r.map_err(|e| invalid(e.to_string()));
        let amount = |a: u128| Uint128::new(a);
        match query {
            BankQuery::Balance { address, denom } => {
                let addr =
                    crypto::account_from_bech32(address).map_err(|e| invalid(e.to_string()))?;
                let have = kv
                    .balance(&addr, denom)
                    .map_err(|e| invalid(e.to_string()))?;
                json(to_json_binary(&BalanceResponse::new(Coin::new(
                    amount(have),
                    denom,
                ))))
            }
            // Deprecated in cosmwasm-std 2 (unbounded), still sent by 1.x contracts; an
            // account holds few denoms.
            #[allow(deprecated)]
            BankQuery::AllBalances { address } => {
                let addr =
                    crypto::account_from_bech32(address).map_err(|e| invalid(e.to_string()))?;
                let entries =
                    state.scan_prefix(&bank_keys::balances_of(&addr), None, max_scan(gas_limit));
                *scanned = scan_gas(&entries);
                let coins = entries
                    .into_iter()
                    .map(|(k, v)| {
                        let denom =
                            String::from_utf8_lossy(&k[bank_keys::balances_of(&addr).len()..])
                                .into_owned();
                        let a = crate::modules::bank::state::decode_amount(&v).unwrap_or(0);
                        Coin::new(amount(a), denom)
                    })
                    .collect();
                json(to_json_binary(&AllBalanceResponse::new(coins)))
            }
            BankQuery::Supply { denom } => {
                let supply = kv.supply_of(denom).map_err(|e| invalid(e.to_string()))?;
                json(to_json_binary(&SupplyResponse::new(Coin::new(
                    amount(supply),
                    denom,
                ))))
            }
            _ => Err(SystemError::UnsupportedRequest {
                kind: "bank query".to_string(),
            }),
        }
    }

    fn wasm_direct(&self, query: &WasmQuery) -> Result<Binary, SystemError> {
        let state = self.state.borrow();
        let mut kv = ReadOnly(&*state);
        let internal = |e: String| SystemError::InvalidRequest {
            error: e,
            request: Binary::default(),
        };
        match query {
            WasmQuery::Raw { contract_addr, key } => {
                let addr = self.contract_addr(contract_addr)?;
                let value =
                    state.get(&[keys::contract_store(&addr).as_slice(), key.as_slice()].concat());
                Ok(Binary::from(value.unwrap_or_default()))
            }
            WasmQuery::ContractInfo { contract_addr } => {
                let addr = self.contract_addr(contract_addr)?;
                let info = kv
                    .contract_info(&addr)
                    .map_err(|e| internal(e.to_string()))?
                    .ok_or_else(|| SystemError::NoSuchContract {
                        addr: contract_addr.clone(),
                    })?;
                let admin = (!info.admin.is_empty()).then(|| Addr::unchecked(info.admin.clone()));
                let ibc_port = (!info.ibc_port_id.is_empty()).then(|| info.ibc_port_id.clone());
                to_json_binary(&ContractInfoResponse::new(
                    info.code_id,
                    Addr::unchecked(info.creator),
                    admin,
                    false,
                    ibc_port,
                ))
                .map_err(|e| internal(e.to_string()))
            }
            WasmQuery::CodeInfo { code_id } => {
                let info = kv
                    .code_info(*code_id)
                    .map_err(|e| internal(e.to_string()))?
                    .ok_or(SystemError::NoSuchCode { code_id: *code_id })?;
                let checksum = Checksum::try_from(info.code_hash.as_slice())
                    .map_err(|e| internal(e.to_string()))?;
                to_json_binary(&CodeInfoResponse::new(
                    *code_id,
                    Addr::unchecked(info.creator),
                    checksum,
                ))
                .map_err(|e| internal(e.to_string()))
            }
            _ => Err(SystemError::UnsupportedRequest {
                kind: "wasm query".to_string(),
            }),
        }
    }

    /// A smart query: a read-only instance of the queried contract with its own gas limit.
    fn smart(
        &self,
        contract_addr: &str,
        msg: &[u8],
        gas_limit: u64,
    ) -> BackendResult<SystemResult<ContractResult<Binary>>> {
        let no_such = || {
            SystemResult::Err(SystemError::NoSuchContract {
                addr: contract_addr.to_string(),
            })
        };
        let Ok(addr) = crypto::account_from_bech32(contract_addr) else {
            return (Ok(no_such()), GasInfo::free());
        };
        let lookup_gas = sdk(kv_costs::READ_FLAT);
        let checksum = {
            let state = self.state.borrow();
            let mut kv = ReadOnly(&*state);
            let info = match kv.contract_info(&addr) {
                Ok(Some(info)) => info,
                _ => return (Ok(no_such()), lookup_gas),
            };
            match kv.code_info(info.code_id) {
                Ok(Some(code)) => match Checksum::try_from(code.code_hash.as_slice()) {
                    Ok(c) => c,
                    Err(_) => return (Ok(no_such()), lookup_gas),
                },
                _ => return (Ok(no_such()), lookup_gas),
            }
        };
        if self.depth.get() >= MAX_QUERY_DEPTH {
            let err = SystemError::InvalidRequest {
                error: "max query stack size exceeded".to_string(),
                request: Binary::default(),
            };
            return (Ok(SystemResult::Err(err)), lookup_gas);
        }
        let env = match self.block.env(contract_addr) {
            Ok(env) => env,
            Err(e) => return (Err(BackendError::unknown(e)), lookup_gas),
        };
        let backend = Backend {
            api: AddrApi,
            storage: ContractStorage::new(self.state.clone(), &addr),
            querier: self.nested(contract_addr),
        };
        let mut instance = match self.runtime.cache().get_instance(
            &checksum,
            backend,
            InstanceOptions { gas_limit },
        ) {
            Ok(i) => i,
            Err(e) => return (Err(BackendError::unknown(e.to_string())), lookup_gas),
        };
        self.depth.set(self.depth.get() + 1);
        let result = call_query(&mut instance, &env, msg);
        self.depth.set(self.depth.get() - 1);
        let report = instance.create_gas_report();
        let used = GasInfo::with_cost(report.used_internally.saturating_add(lookup_gas.cost));
        // The querying contract learns that the query failed, not why, as under wasmd: the
        // queried contract's error text and the VM's are redacted to wasmd's code for a failed
        // query, so no contract comes to depend on another's (or the VM's) wording.
        match result {
            Ok(ContractResult::Ok(answer)) => {
                (Ok(SystemResult::Ok(ContractResult::Ok(answer))), used)
            }
            Ok(ContractResult::Err(_)) => (Ok(redacted_query_error()), used),
            Err(VmError::GasDepletion { .. }) => (Err(BackendError::out_of_gas()), used),
            Err(_) => (Ok(redacted_query_error()), used),
        }
    }
}

/// Entries a scan may read under `gas_limit` (wasm gas): past that its iteration cost alone
/// exceeds the limit, so the query runs out of gas whatever the rest holds, and the node
/// never reads (or holds in memory) more than the caller could pay for.
fn max_scan(gas_limit: u64) -> usize {
    let per_entry = kv_costs::ITER_NEXT_FLAT
        .saturating_mul(GAS_MULTIPLIER)
        .max(1);
    usize::try_from(gas_limit / per_entry)
        .unwrap_or(usize::MAX)
        .saturating_add(1)
}

/// SDK gas of reading `entries` by iteration: what the SDK's gas-metered store charges per
/// step (a flat cost and the bytes of key and value).
fn scan_gas(entries: &[(Vec<u8>, Vec<u8>)]) -> u64 {
    entries.iter().fold(0u64, |gas, (key, value)| {
        let bytes = (key.len() + value.len()) as u64;
        gas.saturating_add(kv_costs::ITER_NEXT_FLAT)
            .saturating_add(bytes.saturating_mul(kv_costs::READ_PER_BYTE))
    })
}

fn plus_sdk(base: GasInfo, sdk_gas: u64) -> GasInfo {
    GasInfo::with_cost(
        base.cost
            .saturating_add(sdk_gas.saturating_mul(GAS_MULTIPLIER)),
    )
}

/// wasmd's `ErrQueryFailed` ("query wasm contract failed"), as its query handler redacts it.
pub const REDACTED_QUERY_ERROR: &str = "codespace: wasm, code: 9";

fn redacted_query_error() -> SystemResult<ContractResult<Binary>> {
    SystemResult::Ok(ContractResult::Err(REDACTED_QUERY_ERROR.to_string()))
}

impl Querier for AppQuerier {
    fn query_raw(
        &self,
        request: &[u8],
        gas_limit: u64,
    ) -> BackendResult<SystemResult<ContractResult<Binary>>> {
        let request: QueryRequest<Empty> = match cosmwasm_std::from_json(request) {
            Ok(r) => r,
            Err(e) => {
                return (
                    Ok(SystemResult::Err(SystemError::InvalidRequest {
                        error: format!("parsing query request: {e}"),
                        request: Binary::from(request),
                    })),
                    GasInfo::free(),
                )
            }
        };
        let direct_gas = sdk(kv_costs::READ_FLAT);
        let wrap = |r: Result<Binary, SystemError>| match r {
            Ok(b) => SystemResult::Ok(ContractResult::Ok(b)),
            Err(e) => SystemResult::Err(e),
        };
        match &request {
            QueryRequest::Bank(q) => {
                let (answer, scanned) = self.bank(q, gas_limit);
                (Ok(wrap(answer)), plus_sdk(direct_gas, scanned))
            }
            QueryRequest::Wasm(WasmQuery::Smart { contract_addr, msg }) => {
                self.smart(contract_addr, msg, gas_limit)
            }
            QueryRequest::Wasm(q) => (Ok(wrap(self.wasm_direct(q))), direct_gas),
            QueryRequest::Staking(q) => (Ok(wrap(staking(q))), direct_gas),
            QueryRequest::Ibc(q) => {
                let (answer, scanned) = self.ibc(q, gas_limit);
                (Ok(wrap(answer)), plus_sdk(direct_gas, scanned))
            }
            QueryRequest::Grpc(q) => {
                let state = self.state.borrow();
                let answer = super::grpc::query(&*state, &q.path, &q.data);
                (Ok(grpc_result(answer, &q.path)), direct_gas)
            }
            #[allow(deprecated)] // `Stargate` is the pre-2.0 name of `Grpc`, still sent.
            QueryRequest::Stargate { path, data } => {
                let state = self.state.borrow();
                let answer = super::grpc::stargate_json(&*state, path, data);
                (Ok(grpc_result(answer, path)), direct_gas)
            }
            _ => (
                Ok(SystemResult::Err(SystemError::UnsupportedRequest {
                    kind:
                        "only bank, wasm, staking, ibc and whitelisted gRPC queries are supported"
                            .to_string(),
                })),
                GasInfo::free(),
            ),
        }
    }
}

/// A gRPC answer as the contract sees it: a path off the whitelist is an unsupported request
/// (a system error), a failing query the queried module's error (a contract-level error).
fn grpc_result(
    answer: Result<Vec<u8>, super::grpc::GrpcQueryError>,
    path: &str,
) -> SystemResult<ContractResult<Binary>> {
    match answer {
        Ok(bytes) => SystemResult::Ok(ContractResult::Ok(Binary::from(bytes))),
        Err(super::grpc::GrpcQueryError::NotAllowed(_)) => {
            SystemResult::Err(SystemError::UnsupportedRequest {
                kind: format!("'{path}' path is not allowed from the contract"),
            })
        }
        Err(super::grpc::GrpcQueryError::Query(e)) => {
            SystemResult::Ok(ContractResult::Err(e.to_string()))
        }
    }
}

/// Staking queries on a chain without a staking module: no validators, no delegations.
fn staking(query: &StakingQuery) -> Result<Binary, SystemError> {
    let value = match query {
        StakingQuery::BondedDenom {} => {
            serde_json::json!({ "denom": crate::modules::staking::BOND_DENOM })
        }
        StakingQuery::AllDelegations { .. } => serde_json::json!({ "delegations": [] }),
        StakingQuery::Delegation { .. } => serde_json::json!({ "delegation": null }),
        StakingQuery::AllValidators {} => serde_json::json!({ "validators": [] }),
        StakingQuery::Validator { .. } => serde_json::json!({ "validator": null }),
        _ => {
            return Err(SystemError::UnsupportedRequest {
                kind: "staking query".to_string(),
            })
        }
    };
    Ok(Binary::from(value.to_string().into_bytes()))
}
