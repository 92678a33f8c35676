//! `x/wasm`: CosmWasm contracts on cosmwasm-vm 2.3.5, with wasmd's messages, state layout,
//! addresses, events, gas and submessage semantics.
//!
//! Layout: [`vm`] owns the module cache, [`backend`] implements the VM's storage / address /
//! querier callbacks over the block overlay, [`keeper`] runs the host flow of each message,
//! [`dispatch`] turns contract responses into messages and replies, [`query`] serves
//! `cosmwasm.wasm.v1.Query`.
//!
//! All VM work happens on the thread that runs the message (the consensus thread for blocks):
//! cosmwasm-vm instances are not `Send`.

pub mod address;
pub mod backend;
pub mod dispatch;
pub mod events;
pub mod grpc;
pub mod ibc;
pub mod keeper;
pub mod msgs;
pub mod query;
pub mod state;
pub mod vm;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

pub use msgs::WasmMsg;
pub use vm::{WasmRuntime, WasmRuntimeError};

use crate::app::error::TxError;

pub const NAME: &str = "wasm";

/// wasmd `types/errors.go` (codespace `wasm`).
pub mod errors {
    use crate::app::error::TxError;

    fn wasm(code: u32, description: &'static str, detail: impl Into<String>) -> TxError {
        TxError::Wasm {
            code,
            description,
            detail: detail.into(),
        }
    }
    pub fn create_failed(d: impl Into<String>) -> TxError {
        wasm(2, "create wasm contract failed", d)
    }
    pub fn account_exists(d: impl Into<String>) -> TxError {
        wasm(3, "contract account already exists", d)
    }
    pub fn instantiate_failed(d: impl Into<String>) -> TxError {
        wasm(4, "instantiate wasm contract failed", d)
    }
    pub fn execute_failed(d: impl Into<String>) -> TxError {
        wasm(5, "execute wasm contract failed", d)
    }
    pub fn not_found(d: impl Into<String>) -> TxError {
        wasm(8, "not found", d)
    }
    pub fn query_failed(d: impl Into<String>) -> TxError {
        wasm(9, "query wasm contract failed", d)
    }
    pub fn invalid_msg(d: impl Into<String>) -> TxError {
        wasm(10, "invalid CosmosMsg from the contract", d)
    }
    pub fn migration_failed(d: impl Into<String>) -> TxError {
        wasm(11, "migrate wasm contract failed", d)
    }
    pub fn empty(d: impl Into<String>) -> TxError {
        wasm(12, "empty", d)
    }
    pub fn limit(d: impl Into<String>) -> TxError {
        wasm(13, "exceeds limit", d)
    }
    pub fn invalid(d: impl Into<String>) -> TxError {
        wasm(14, "invalid", d)
    }
    pub fn duplicate(d: impl Into<String>) -> TxError {
        wasm(15, "duplicate", d)
    }
    pub fn unknown_msg(d: impl Into<String>) -> TxError {
        wasm(20, "unknown message from the contract", d)
    }
    pub fn invalid_event(d: impl Into<String>) -> TxError {
        wasm(21, "invalid event", d)
    }
    pub fn no_such_contract(addr: &str) -> TxError {
        wasm(22, "no such contract", addr)
    }
    pub fn max_query_stack(d: impl Into<String>) -> TxError {
        wasm(27, "max query stack size exceeded", d)
    }
    pub fn no_such_code(code_id: u64) -> TxError {
        wasm(28, "no such code", format!("code id {code_id}"))
    }
}

/// The contract runtime as seen by one block: the node's VM and the position of the tx being
/// executed (wasmd's `TXCounter`, filled into `env.transaction.index`).
#[derive(Clone)]
pub struct WasmHandle {
    pub runtime: Arc<WasmRuntime>,
    tx_index: Arc<AtomicU32>,
    /// Set for a simulation: uploads are compiled but never written to disk.
    simulation: bool,
}

impl WasmHandle {
    pub fn new(runtime: Arc<WasmRuntime>) -> Self {
        Self {
            runtime,
            tx_index: Arc::new(AtomicU32::new(0)),
            simulation: false,
        }
    }

    /// The runtime for a simulation, whose state is discarded: nothing it uploads persists.
    pub fn for_simulation(runtime: Arc<WasmRuntime>) -> Self {
        Self {
            simulation: true,
            ..Self::new(runtime)
        }
    }

    pub fn is_simulation(&self) -> bool {
        self.simulation
    }

    pub fn set_tx_index(&self, index: usize) {
        self.tx_index
            .store(u32::try_from(index).unwrap_or(u32::MAX), Ordering::Relaxed);
    }

    pub fn tx_index(&self) -> u32 {
        self.tx_index.load(Ordering::Relaxed)
    }
}

impl std::fmt::Debug for WasmHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmHandle")
            .field("tx_index", &self.tx_index())
            .finish_non_exhaustive()
    }
}

impl PartialEq for WasmHandle {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.runtime, &other.runtime) && self.tx_index() == other.tx_index()
    }
}

impl Eq for WasmHandle {}

pub(crate) fn no_runtime() -> TxError {
    TxError::NotSupported("wasm: this node has no contract runtime configured".to_string())
}

pub use keeper::execute_msg as execute;
