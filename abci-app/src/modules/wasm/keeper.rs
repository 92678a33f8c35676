//! The host flow of each wasm message (as wasmd's `keeper.go`: check, charge, call the VM, then dispatch its messages).
//!
//! A [`Keeper`] owns the tx's gas meter for the duration of one message and shares the block
//! overlay with the VM callbacks ([`SharedState`]). Contracts never re-enter: submessages run
//! after the caller's instance has returned, so one shared overlay with checkpoints suffices.

use std::cell::RefCell;
use std::io::Read;
use std::rc::Rc;
use std::sync::Arc;

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::cosmwasm::wasm::v1::{
    AbsoluteTxPosition, AccessConfig, CodeInfo, ContractCodeHistoryEntry, ContractInfo,
    MsgClearAdminResponse, MsgExecuteContractResponse, MsgInstantiateContract2Response,
    MsgInstantiateContractResponse, MsgMigrateContractResponse, MsgStoreCodeResponse,
    MsgUpdateAdminResponse,
};
use cosmos_sdk_proto::Any;
use cosmwasm_std::{
    Addr, Checksum, Coin, ContractResult, Empty, Env, MessageInfo, Reply, Response, Uint128,
};
use cosmwasm_vm::{
    call_execute, call_instantiate, call_migrate, call_reply, Backend, Instance, InstanceOptions,
    VmError, VmResult,
};
use prost::{Message, Name};
use tendermint::abci::Event;

use super::backend::{AddrApi, AppQuerier, ContractStorage, EnvBlock, SharedState, GAS_MULTIPLIER};
use super::msgs::{WasmMsg, MAX_WASM_SIZE};
use super::state::{WasmRead, WasmWrite, SEQ_CODE_ID, SEQ_CONTRACT_ID};
use super::vm::WasmRuntime;
use super::{address, errors, events, no_runtime};
use crate::app::coins::Coins;
use crate::app::context::{Entry, KvRead, KvWrite, TxCtx};
use crate::app::error::TxError;
use crate::app::gas::{kv_costs, GasMeter};
use crate::crypto;
use crate::modules::auth::{AuthRead, AuthWrite};
use crate::modules::bank::BankWrite;
use crate::store::{Overlay, StateRead};

/// wasmd `types/gas_register.go` defaults, in SDK gas.
pub mod costs {
    pub const INSTANCE: u64 = 60_000;
    /// Charged instead of [`INSTANCE`] for a reply: the caller's module was just loaded.
    pub const INSTANCE_DISCOUNT: u64 = 2_000;
    pub const COMPILE_PER_BYTE: u64 = 3;
    /// 0.15 per compressed byte.
    pub const UNCOMPRESS_PER_100_BYTES: u64 = 15;
    pub const EVENT_ATTRIBUTE_DATA_PER_BYTE: u64 = 1;
    pub const EVENT_ATTRIBUTE_DATA_FREE_TIER: u64 = 100;
    pub const PER_ATTRIBUTE: u64 = 10;
    pub const PER_CUSTOM_EVENT: u64 = 20;
}

/// Gas a contract may use when the meter is unlimited, in SDK gas: the most a simulation gets.
pub const SIMULATION_GAS_CAP: u64 = crate::app::gas::SIMULATION_GAS_LIMIT;
/// Nested contract calls (message → submessage → …) allowed.
pub const MAX_CALL_DEPTH: u32 = 64;

pub type WasmInstance = Instance<AddrApi, ContractStorage, AppQuerier>;

/// Run one wasm message of a tx. The overlay moves into a shared cell for the VM callbacks and
/// back into the tx context afterwards, with every write and checkpoint intact.
pub fn execute_msg<B: StateRead + Clone + 'static>(
    ctx: &mut TxCtx<'_, Overlay<B>>,
    msg: &WasmMsg,
) -> Result<(Vec<Event>, Any), TxError> {
    with_keeper(ctx, |keeper| keeper.handle(msg))
}

/// Run `f` with a keeper over the tx's overlay and gas meter (both handed back afterwards);
/// returns the events it gathered with `f`'s answer.
pub fn with_keeper<B: StateRead + Clone + 'static, R>(
    ctx: &mut TxCtx<'_, Overlay<B>>,
    f: impl FnOnce(&mut Keeper) -> Result<R, TxError>,
) -> Result<(Vec<Event>, R), TxError> {
    let handle = ctx.block.wasm.clone().ok_or_else(no_runtime)?;
    let base = ctx.state.base().clone();
    let overlay = std::mem::replace(&mut *ctx.state, Overlay::new(base.clone()));
    let shared = Rc::new(RefCell::new(overlay));
    let gas = std::mem::replace(&mut ctx.gas, GasMeter::infinite());
    let block = EnvBlock {
        chain_id: ctx.block.chain_id.clone(),
        height: ctx.block.height,
        time_unix_nanos: u64::try_from(ctx.block.time_unix_nanos).unwrap_or(0),
        tx_index: Some(handle.tx_index()),
    };
    let mut keeper = Keeper::new(shared.clone(), gas, handle.runtime.clone(), block);
    keeper.persist_code = !handle.is_simulation();
    let result = f(&mut keeper);
    let Keeper { gas, events, .. } = keeper;
    ctx.gas = gas;
    // Every instance (and its handle on the overlay) is gone: take the overlay back.
    *ctx.state = std::mem::replace(&mut *shared.borrow_mut(), Overlay::new(base));
    result.map(|answer| (events, answer))
}

fn any<M: Message + Name>(msg: &M) -> Any {
    Any {
        type_url: M::type_url(),
        value: msg.encode_to_vec(),
    }
}

fn address(field: &str, value: &str) -> Result<Vec<u8>, TxError> {
    crypto::account_from_bech32(value)
        .map_err(|e| TxError::InvalidAddress(format!("invalid {field} address {value:?}: {e}")))
}

pub fn to_wasm_coins(coins: &Coins) -> Vec<Coin> {
    coins
        .iter()
        .map(|(denom, amount)| Coin::new(Uint128::new(*amount), denom.clone()))
        .collect()
}

fn checksum_of(code: &CodeInfo) -> Result<Checksum, TxError> {
    Checksum::try_from(code.code_hash.as_slice())
        .map_err(|e| TxError::TxDecode(format!("stored code checksum: {e}")))
}

fn gunzip(input: &[u8]) -> Result<Vec<u8>, TxError> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(input)
        .take(MAX_WASM_SIZE as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| errors::create_failed(format!("uncompress wasm archive: {e}")))?;
    if out.len() > MAX_WASM_SIZE {
        return Err(errors::limit(format!(
            "uncompressed wasm exceeds {MAX_WASM_SIZE} bytes"
        )));
    }
    Ok(out)
}

pub struct Keeper {
    pub(crate) state: SharedState,
    pub(crate) gas: GasMeter,
    pub(crate) runtime: Arc<WasmRuntime>,
    pub(crate) block: EnvBlock,
    pub(crate) events: Vec<Event>,
    pub(crate) depth: u32,
    /// Whether uploaded code reaches the disk. Off for a simulation, whose state is thrown
    /// away: its code is compiled (and charged) but nothing is written (wasmvm
    /// `SimulateStoreCode`), or every unsigned simulate would leave files for good.
    pub(crate) persist_code: bool,
}

impl KvRead for Keeper {
    fn read(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, TxError> {
        self.gas.consume(kv_costs::READ_FLAT, "ReadFlat")?;
        let value = self.state.borrow().get(key);
        let bytes = key.len() + value.as_ref().map_or(0, Vec::len);
        self.gas
            .consume(kv_costs::READ_PER_BYTE * bytes as u64, "ReadPerByte")?;
        Ok(value)
    }

    fn scan(
        &mut self,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Entry>, TxError> {
        let entries = self.state.borrow().scan_prefix(prefix, start_after, limit);
        for (k, v) in &entries {
            self.gas.consume(kv_costs::ITER_NEXT_FLAT, "IterNextFlat")?;
            self.gas.consume(
                kv_costs::READ_PER_BYTE * (k.len() + v.len()) as u64,
                "ValuePerByte",
            )?;
        }
        Ok(entries)
    }

    fn last_before(&mut self, prefix: &[u8], before: &[u8]) -> Result<Option<Entry>, TxError> {
        crate::app::context::metered_last_before(
            &mut self.gas,
            &*self.state.borrow(),
            prefix,
            before,
        )
    }
}

impl KvWrite for Keeper {
    fn write(&mut self, key: Vec<u8>, value: Vec<u8>) -> Result<(), TxError> {
        self.gas.consume(kv_costs::WRITE_FLAT, "WriteFlat")?;
        self.gas.consume(
            kv_costs::WRITE_PER_BYTE * (key.len() + value.len()) as u64,
            "WritePerByte",
        )?;
        self.state.borrow_mut().put(key, value);
        Ok(())
    }

    fn remove(&mut self, key: Vec<u8>) -> Result<(), TxError> {
        self.gas.consume(kv_costs::DELETE, "Delete")?;
        self.state.borrow_mut().delete(key);
        Ok(())
    }
}

impl Keeper {
    pub fn new(
        state: SharedState,
        gas: GasMeter,
        runtime: Arc<WasmRuntime>,
        block: EnvBlock,
    ) -> Self {
        Self {
            state,
            gas,
            runtime,
            block,
            events: Vec::new(),
            depth: 0,
            persist_code: true,
        }
    }

    fn handle(&mut self, msg: &WasmMsg) -> Result<Any, TxError> {
        match msg {
            WasmMsg::StoreCode(m) => {
                let (code_id, checksum) = self.store_code(
                    &m.sender,
                    &m.wasm_byte_code,
                    m.instantiate_permission.clone(),
                )?;
                Ok(any(&MsgStoreCodeResponse { code_id, checksum }))
            }
            WasmMsg::Instantiate(m) => {
                let (address, data) = self.instantiate(
                    &m.sender, &m.admin, m.code_id, &m.label, &m.msg, &m.funds, None,
                )?;
                Ok(any(&MsgInstantiateContractResponse { address, data }))
            }
            WasmMsg::Instantiate2(m) => {
                let (address, data) = self.instantiate(
                    &m.sender,
                    &m.admin,
                    m.code_id,
                    &m.label,
                    &m.msg,
                    &m.funds,
                    Some((&m.salt, m.fix_msg)),
                )?;
                Ok(any(&MsgInstantiateContract2Response { address, data }))
            }
            WasmMsg::Execute(m) => {
                let data = self.execute(&m.sender, &m.contract, &m.msg, &m.funds)?;
                Ok(any(&MsgExecuteContractResponse { data }))
            }
            WasmMsg::Migrate(m) => {
                let data = self.migrate(&m.sender, &m.contract, m.code_id, &m.msg)?;
                Ok(any(&MsgMigrateContractResponse { data }))
            }
            WasmMsg::UpdateAdmin(m) => {
                self.set_admin(&m.sender, &m.contract, &m.new_admin)?;
                Ok(any(&MsgUpdateAdminResponse {}))
            }
            WasmMsg::ClearAdmin(m) => {
                self.set_admin(&m.sender, &m.contract, "")?;
                Ok(any(&MsgClearAdminResponse {}))
            }
        }
    }

    /// SDK gas left to the current meter (capped when it is unlimited).
    pub(crate) fn remaining_sdk_gas(&self) -> u64 {
        let limit = self.gas.limit().unwrap_or(SIMULATION_GAS_CAP);
        limit.saturating_sub(self.gas.consumed())
    }

    fn position(&self) -> AbsoluteTxPosition {
        AbsoluteTxPosition {
            block_height: self.block.height,
            tx_index: u64::from(self.block.tx_index.unwrap_or(0)),
        }
    }

    /// Run `call` on a fresh instance of `checksum` for `contract`, with all the SDK gas left
    /// as its VM limit; then charge what it used. A contract error becomes `fail(message)`.
    pub(crate) fn call_vm<R>(
        &mut self,
        checksum: &Checksum,
        contract: &[u8],
        contract_human: &str,
        fail: fn(String) -> TxError,
        call: impl FnOnce(&mut WasmInstance, &Env) -> VmResult<ContractResult<R>>,
    ) -> Result<R, TxError> {
        let env = self.block.env(contract_human).map_err(fail)?;
        let remaining = self.remaining_sdk_gas();
        let backend = Backend {
            api: AddrApi,
            storage: ContractStorage::new(self.state.clone(), contract),
            querier: AppQuerier::new(self.state.clone(), self.runtime.clone(), self.block.clone())
                .for_contract(contract_human),
        };
        let mut instance = self
            .runtime
            .cache()
            .get_instance(
                checksum,
                backend,
                InstanceOptions {
                    gas_limit: remaining.saturating_mul(GAS_MULTIPLIER),
                },
            )
            .map_err(|e| fail(format!("loading contract code: {e}")))?;
        let result = call(&mut instance, &env);
        let report = instance.create_gas_report();
        drop(instance);
        if let Err(VmError::GasDepletion { .. }) = result {
            // All that was left is spent; fail the way the SDK meter does.
            let _ = self
                .gas
                .consume(remaining.saturating_add(1), "wasm contract");
            return Err(TxError::OutOfGas {
                location: "wasm contract".to_string(),
                limit: self.gas.limit().unwrap_or(SIMULATION_GAS_CAP),
                used: self.gas.consumed(),
            });
        }
        let used = report
            .used_internally
            .saturating_add(report.used_externally)
            / GAS_MULTIPLIER;
        self.gas.consume(used, "wasm contract")?;
        match result {
            Ok(ContractResult::Ok(r)) => Ok(r),
            Ok(ContractResult::Err(message)) => Err(fail(message)),
            Err(e) => Err(fail(e.to_string())),
        }
    }

    pub(crate) fn store_code(
        &mut self,
        sender: &str,
        input: &[u8],
        permission: Option<AccessConfig>,
    ) -> Result<(u64, Vec<u8>), TxError> {
        address("sender", sender)?;
        if input.is_empty() {
            return Err(errors::empty("wasm byte code is required"));
        }
        let wasm = if input.starts_with(&[0x1f, 0x8b]) {
            self.gas.consume(
                input.len() as u64 * costs::UNCOMPRESS_PER_100_BYTES / 100,
                "Uncompress gzip bytecode",
            )?;
            gunzip(input)?
        } else {
            input.to_vec()
        };
        if wasm.len() > MAX_WASM_SIZE {
            return Err(errors::limit(format!(
                "wasm byte code of {} bytes exceeds {MAX_WASM_SIZE}",
                wasm.len()
            )));
        }
        self.gas.consume(
            wasm.len() as u64 * costs::COMPILE_PER_BYTE,
            "Compiling wasm bytecode",
        )?;
        let checksum = self
            .runtime
            .cache()
            .store_code(&wasm, true, self.persist_code)
            .map_err(|e| errors::create_failed(e.to_string()))?;
        if self.persist_code {
            if let Err(e) = self.runtime.sync_code(checksum.as_slice()) {
                // A local disk failure, not input: failing the tx here alone would fork this
                // node from the others, so it stops before committing the block (fail-stop,
                // as CometBFT does when it cannot write).
                tracing::error!(error = %e, "cannot make stored wasm durable; stopping");
                panic!("cannot make stored wasm durable: {e}");
            }
        }
        let code_id = self.next_id(SEQ_CODE_ID)?;
        let info = CodeInfo {
            code_hash: checksum.as_slice().to_vec(),
            creator: sender.to_string(),
            instantiate_config: Some(permission.unwrap_or(AccessConfig {
                permission: 3, // Everybody
                addresses: vec![],
            })),
        };
        self.set_code_info(code_id, &info)?;
        self.events.push(events::store_code(
            &hex::encode(checksum.as_slice()),
            code_id,
        ));
        Ok((code_id, checksum.as_slice().to_vec()))
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn instantiate(
        &mut self,
        creator: &str,
        admin: &str,
        code_id: u64,
        label: &str,
        msg: &[u8],
        funds: &[ProtoCoin],
        predictable: Option<(&[u8], bool)>,
    ) -> Result<(String, Vec<u8>), TxError> {
        self.gas
            .consume(costs::INSTANCE, "Loading CosmWasm module: instantiate")?;
        let creator_bytes = address("creator", creator)?;
        let code = self
            .code_info(code_id)?
            .ok_or_else(|| errors::no_such_code(code_id))?;
        if let Some(config) = &code.instantiate_config {
            let allowed = match config.permission {
                3 => true,
                4 => config.addresses.iter().any(|a| a == creator),
                _ => false,
            };
            if !allowed {
                return Err(TxError::Unauthorized("can not instantiate".to_string()));
            }
        }
        let contract = match predictable {
            None => {
                let instance_id = self.next_id(SEQ_CONTRACT_ID)?;
                address::classic(code_id, instance_id)
            }
            Some((salt, fix_msg)) => address::predictable(
                &code.code_hash,
                &creator_bytes,
                salt,
                if fix_msg { msg } else { &[] },
            ),
        };
        let contract_human = crypto::account_to_bech32(&contract);
        if self.contract_info(&contract)?.is_some() {
            return Err(errors::duplicate(
                "instance with this code id, sender, salt and label exists: try a different label or salt",
            ));
        }
        if let Some(existing) = self.account(&contract)? {
            let base = existing.base();
            if base.pub_key.is_some() || base.sequence != 0 {
                return Err(errors::account_exists(contract_human));
            }
        } else {
            self.ensure_account(&contract)?;
        }
        let coins = Coins::from_proto(funds)?;
        if !coins.is_empty() {
            let ev = self.send_coins(&creator_bytes, &contract, &coins)?;
            self.events.extend(ev);
        }
        let checksum = checksum_of(&code)?;
        let info = MessageInfo {
            sender: Addr::unchecked(creator),
            funds: to_wasm_coins(&coins),
        };
        let response: Response<Empty> = self.call_vm(
            &checksum,
            &contract,
            &contract_human,
            errors::instantiate_failed,
            |inst, env| call_instantiate(inst, env, &info, msg),
        )?;
        let created = self.position();
        let contract_info = ContractInfo {
            code_id,
            creator: creator.to_string(),
            admin: admin.to_string(),
            label: label.to_string(),
            created: Some(created.clone()),
            // wasmd binds a port to every contract whose code exports the IBC entry points.
            ibc_port_id: if self.has_ibc_entry_points(&checksum)? {
                super::ibc::port_of(&contract_human)
            } else {
                String::new()
            },
            extension: None,
        };
        self.set_contract_info(&contract, &contract_info)?;
        self.append_history(
            &contract,
            &ContractCodeHistoryEntry {
                operation: 1, // Init
                code_id,
                updated: Some(created.clone()),
                msg: msg.to_vec(),
            },
        )?;
        self.index_by_code(code_id, &created, &contract, true)?;
        self.index_by_creator(&creator_bytes, &created, &contract)?;
        self.events
            .push(events::instantiate(&contract_human, code_id));
        let data = self.handle_response(&contract_human, response)?;
        Ok((contract_human, data.unwrap_or_default()))
    }

    fn has_ibc_entry_points(&self, checksum: &Checksum) -> Result<bool, TxError> {
        self.runtime
            .cache()
            .analyze(checksum)
            .map(|report| report.has_ibc_entry_points)
            .map_err(|e| errors::instantiate_failed(format!("analysing contract code: {e}")))
    }

    pub(crate) fn contract(
        &mut self,
        contract_human: &str,
    ) -> Result<(Vec<u8>, ContractInfo, Checksum), TxError> {
        let contract = crypto::account_from_bech32(contract_human).map_err(|e| match e {
            // Said as such: "no such contract" would hide that the contract exists under its
            // canonical spelling.
            crypto::AddressError::NotCanonical { .. } => {
                TxError::InvalidAddress(format!("invalid contract address: {e}"))
            }
            _ => errors::no_such_contract(contract_human),
        })?;
        let info = self
            .contract_info(&contract)?
            .ok_or_else(|| errors::no_such_contract(contract_human))?;
        let code = self
            .code_info(info.code_id)?
            .ok_or_else(|| errors::no_such_code(info.code_id))?;
        Ok((contract, info, checksum_of(&code)?))
    }

    pub(crate) fn execute(
        &mut self,
        sender: &str,
        contract_human: &str,
        msg: &[u8],
        funds: &[ProtoCoin],
    ) -> Result<Vec<u8>, TxError> {
        self.gas
            .consume(costs::INSTANCE, "Loading CosmWasm module: execute")?;
        let sender_bytes = address("sender", sender)?;
        let (contract, _, checksum) = self.contract(contract_human)?;
        let coins = Coins::from_proto(funds)?;
        if !coins.is_empty() {
            let ev = self.send_coins(&sender_bytes, &contract, &coins)?;
            self.events.extend(ev);
        }
        let info = MessageInfo {
            sender: Addr::unchecked(sender),
            funds: to_wasm_coins(&coins),
        };
        let response: Response<Empty> = self.call_vm(
            &checksum,
            &contract,
            contract_human,
            errors::execute_failed,
            |inst, env| call_execute(inst, env, &info, msg),
        )?;
        self.events.push(events::execute(contract_human));
        Ok(self
            .handle_response(contract_human, response)?
            .unwrap_or_default())
    }

    pub(crate) fn migrate(
        &mut self,
        sender: &str,
        contract_human: &str,
        new_code_id: u64,
        msg: &[u8],
    ) -> Result<Vec<u8>, TxError> {
        self.gas
            .consume(costs::INSTANCE, "Loading CosmWasm module: migrate")?;
        let (contract, mut info, _) = self.contract(contract_human)?;
        if info.admin.is_empty() || info.admin != sender {
            return Err(TxError::Unauthorized("can not migrate".to_string()));
        }
        let code = self
            .code_info(new_code_id)?
            .ok_or_else(|| errors::no_such_code(new_code_id))?;
        let checksum = checksum_of(&code)?;
        // As wasmd: code with the IBC entry points gets the contract a port if it has none;
        // a contract bound to a port cannot move to code that could not answer its channels.
        if self.has_ibc_entry_points(&checksum)? {
            if info.ibc_port_id.is_empty() {
                info.ibc_port_id = super::ibc::port_of(contract_human);
            }
        } else if !info.ibc_port_id.is_empty() {
            return Err(errors::migration_failed(format!(
                "requires ibc callbacks: {contract_human} is bound to port {}",
                info.ibc_port_id
            )));
        }
        let response: Response<Empty> = self.call_vm(
            &checksum,
            &contract,
            contract_human,
            errors::migration_failed,
            |inst, env| call_migrate(inst, env, msg),
        )?;
        let created = info.created.clone().unwrap_or_default();
        self.index_by_code(info.code_id, &created, &contract, false)?;
        self.index_by_code(new_code_id, &created, &contract, true)?;
        info.code_id = new_code_id;
        self.set_contract_info(&contract, &info)?;
        let position = self.position();
        self.append_history(
            &contract,
            &ContractCodeHistoryEntry {
                operation: 2, // Migrate
                code_id: new_code_id,
                updated: Some(position),
                msg: msg.to_vec(),
            },
        )?;
        self.events
            .push(events::migrate(contract_human, new_code_id));
        Ok(self
            .handle_response(contract_human, response)?
            .unwrap_or_default())
    }

    /// `new_admin` empty clears the admin.
    pub(crate) fn set_admin(
        &mut self,
        sender: &str,
        contract_human: &str,
        new_admin: &str,
    ) -> Result<(), TxError> {
        let (contract, mut info, _) = self.contract(contract_human)?;
        if info.admin.is_empty() || info.admin != sender {
            return Err(TxError::Unauthorized("can not modify contract".to_string()));
        }
        info.admin = new_admin.to_string();
        self.set_contract_info(&contract, &info)?;
        self.events
            .push(events::update_admin(contract_human, new_admin));
        Ok(())
    }

    pub(crate) fn reply(
        &mut self,
        contract_human: &str,
        reply: &Reply,
    ) -> Result<Option<Vec<u8>>, TxError> {
        self.gas
            .consume(costs::INSTANCE_DISCOUNT, "Loading CosmWasm module: reply")?;
        let (contract, _, checksum) = self.contract(contract_human)?;
        let response: Response<Empty> = self.call_vm(
            &checksum,
            &contract,
            contract_human,
            errors::execute_failed,
            |inst, env| call_reply(inst, env, reply),
        )?;
        self.events.push(events::reply(contract_human));
        self.handle_response(contract_human, response)
    }

    /// wasmd `handleContractResponse`: event costs, `wasm` / `wasm-<type>` events, then the
    /// submessages. Returns the data to answer with (a reply's data replaces the contract's).
    pub(crate) fn handle_response(
        &mut self,
        contract_human: &str,
        response: Response<Empty>,
    ) -> Result<Option<Vec<u8>>, TxError> {
        let Response {
            messages,
            attributes,
            events: custom,
            data,
            ..
        } = response;
        let attribute_cost = |attrs: &[cosmwasm_std::Attribute]| {
            let bytes: u64 = attrs
                .iter()
                .map(|a| (a.key.len() + a.value.len()) as u64)
                .sum();
            bytes.saturating_sub(costs::EVENT_ATTRIBUTE_DATA_FREE_TIER)
                * costs::EVENT_ATTRIBUTE_DATA_PER_BYTE
                + costs::PER_ATTRIBUTE * attrs.len() as u64
        };
        let mut cost = attribute_cost(&attributes);
        for e in &custom {
            cost += costs::PER_CUSTOM_EVENT + attribute_cost(&e.attributes);
        }
        self.gas.consume(cost, "Custom contract event attributes")?;
        let check = |attrs: &[cosmwasm_std::Attribute]| -> Result<(), TxError> {
            for a in attrs {
                let key = a.key.trim();
                if key.is_empty() {
                    return Err(errors::invalid_event("Empty attribute key"));
                }
                if key.starts_with('_') {
                    return Err(errors::invalid_event(format!(
                        "Attribute key starts with reserved prefix _: {key}"
                    )));
                }
            }
            Ok(())
        };
        check(&attributes)?;
        if !attributes.is_empty() {
            self.events
                .push(events::contract_event("wasm", contract_human, &attributes));
        }
        for e in &custom {
            let kind = e.ty.trim();
            if kind.len() < 2 {
                return Err(errors::invalid_event(format!(
                    "Event type too short: {kind:?}"
                )));
            }
            check(&e.attributes)?;
            self.events.push(events::contract_event(
                &format!("wasm-{kind}"),
                contract_human,
                &e.attributes,
            ));
        }
        if messages.is_empty() {
            return Ok(data.map(|d| d.to_vec()));
        }
        if self.depth >= MAX_CALL_DEPTH {
            return Err(errors::limit(format!(
                "max call depth {MAX_CALL_DEPTH} exceeded"
            )));
        }
        self.depth += 1;
        let dispatched = self.dispatch_submessages(contract_human, messages);
        self.depth -= 1;
        Ok(dispatched?.or(data.map(|d| d.to_vec())))
    }
}
