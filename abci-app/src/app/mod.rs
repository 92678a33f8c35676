//! The application: block execution, the check state, genesis and commits.
//!
//! ABCI entry points never fail: transaction errors become result codes; only a broken
//! invariant (storage that cannot be written) panics, deliberately, with context.

pub mod amino;
pub mod ante;
pub mod coins;
pub mod context;
pub mod error;
pub mod events;
pub mod gas;
pub mod genesis;
pub mod msgs;
pub mod pagination;
pub mod tx;

use bytes::Bytes;
use tendermint::abci::types::ExecTxResult;
use tendermint::abci::Code;
use tendermint::v0_38::abci::{request, response};
use tracing::{info, warn};

use self::context::{BlockInfo, Unmetered};
use self::error::TxError;
use self::genesis::AppState;
use self::tx::{run_decoded, run_tx, ExecMode, TxOutcome};
use crate::modules::ibc;
use crate::modules::wasm::{WasmHandle, WasmRuntime, WasmRuntimeError};
use crate::store::{Overlay, PendingCommit, Snapshot, StateRead, StateWrite, Storage};

pub const APP_VERSION: u64 = 1;

/// The ABCI application state machine (driven by one consensus connection at a time).
pub struct App {
    storage: Storage,
    /// Writes not yet committed: genesis (between InitChain and the first block) and the
    /// block being finalized.
    block: Option<Overlay<Snapshot>>,
    pending: Option<PendingCommit>,
    /// Mempool view: committed state plus the ante effects of admitted txs.
    check: Overlay<Snapshot>,
    last_block_time: i128,
    /// Heights of state (and CometBFT blocks) to keep; 0 keeps everything.
    retain_blocks: u64,
    /// The CosmWasm runtime (module cache under the node home); `None` refuses wasm messages.
    wasm: Option<std::sync::Arc<WasmRuntime>>,
    /// The app hash InitChain returned, which the first block's header carries.
    genesis_app_hash: Vec<u8>,
}

impl App {
    pub fn new(storage: Storage) -> Self {
        let check = Overlay::new(storage.latest_snapshot());
        // After a restart, the last block's time is the one this chain recorded for it (the
        // host consensus state IBC keeps per height), not 0 until the next block.
        let last_block_time = storage
            .latest()
            .and_then(|l| ibc::context::host_block_time(&check, l.height))
            .unwrap_or(0);
        Self {
            storage,
            block: None,
            pending: None,
            check,
            last_block_time,
            retain_blocks: 0,
            wasm: None,
            genesis_app_hash: Vec::new(),
        }
    }

    /// Run CosmWasm contracts, with the module cache (wasm blobs and compiled modules) in
    /// `dir`, which this node must own (e.g. `<home>/data/wasm`; tests use a tempdir).
    pub fn with_wasm(mut self, dir: impl AsRef<std::path::Path>) -> Result<Self, WasmRuntimeError> {
        let wasm = WasmRuntime::open(dir)?;
        // Queries' `env.block.time` is the last block's, from the first query on.
        wasm.set_last_block_time(self.last_block_time);
        self.wasm = Some(wasm);
        Ok(self)
    }

    pub fn wasm(&self) -> Option<&std::sync::Arc<WasmRuntime>> {
        self.wasm.as_ref()
    }

    /// Time of the last finalized block (0 before the first block of the chain).
    pub fn last_block_time(&self) -> i128 {
        self.last_block_time
    }

    /// Keep only the last `blocks` heights of state, and tell CometBFT to prune its blocks
    /// likewise (0 keeps everything).
    pub fn with_retain_blocks(mut self, blocks: u64) -> Self {
        self.retain_blocks = blocks;
        self
    }

    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    fn chain_id(state: &impl StateRead) -> String {
        state
            .get(ante::CHAIN_ID_KEY)
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_default()
    }

    pub fn info(&self, req: request::Info) -> response::Info {
        Self::info_of(&self.storage, req)
    }

    /// Info from committed state alone (so it can be answered off the consensus worker).
    pub fn info_of(storage: &Storage, _req: request::Info) -> response::Info {
        let latest = storage.latest();
        response::Info {
            data: "openledgerd".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            app_version: APP_VERSION,
            last_block_height: latest
                .map(|l| l.height)
                .unwrap_or(0)
                .try_into()
                .expect("heights stay below i64::MAX"),
            last_block_app_hash: latest
                .map(|l| l.app_hash.to_vec())
                .unwrap_or_default()
                .try_into()
                .expect("app hashes are byte strings"),
        }
    }

    pub fn init_chain(&mut self, req: request::InitChain) -> response::InitChain {
        if let Some(latest) = self.storage.latest() {
            warn!(
                height = latest.height,
                "InitChain on a node that already has state; keeping it"
            );
            return response::InitChain {
                consensus_params: None,
                validators: vec![],
                app_hash: latest.app_hash.to_vec().try_into().expect("byte string"),
            };
        }
        let app_state = AppState::from_json(&req.app_state_bytes)
            .unwrap_or_else(|e| panic!("genesis app_state is invalid: {e}"));
        let mut state = Overlay::new(self.storage.latest_snapshot());
        app_state
            .init(&req.chain_id, &mut state)
            .unwrap_or_else(|e| panic!("genesis app_state cannot be applied: {e}"));
        // Consensus params reach the app only here; keep the block gas limit in state so that
        // every later block (and every restart) enforces the same one.
        if let Ok(max_gas) = u64::try_from(req.consensus_params.block.max_gas) {
            if max_gas > 0 {
                state.put(
                    ante::BLOCK_MAX_GAS_KEY.to_vec(),
                    max_gas.to_be_bytes().to_vec(),
                );
            }
        }
        let initial_height = req.initial_height.value();
        let app_hash = self
            .storage
            .prepare_commit(initial_height, state.writes().clone())
            .unwrap_or_else(|e| panic!("hashing genesis state: {e}"))
            .info
            .app_hash;
        info!(chain_id = %req.chain_id, initial_height, app_hash = %hex::encode_upper(app_hash), "genesis applied");
        self.check = state.clone_view();
        self.block = Some(state);
        self.genesis_app_hash = app_hash.to_vec();
        response::InitChain {
            consensus_params: None,
            validators: vec![],
            app_hash: app_hash.to_vec().try_into().expect("byte string"),
        }
    }

    /// State the next block builds on: uncommitted genesis, or the latest commit.
    fn next_block_base(&self) -> Overlay<Snapshot> {
        match &self.block {
            Some(genesis) => genesis.clone_view(),
            None => Overlay::new(self.storage.latest_snapshot()),
        }
    }

    fn block_info(&self, state: &impl StateRead, height: u64, time: i128) -> BlockInfo {
        BlockInfo {
            chain_id: Self::chain_id(state),
            height,
            time_unix_nanos: time,
            wasm: self.wasm.clone().map(WasmHandle::new),
            max_gas: ante::block_max_gas(state),
        }
    }

    pub fn check_tx(&mut self, req: request::CheckTx) -> response::CheckTx {
        let height = self.storage.latest().map_or(1, |l| l.height + 1);
        let block = self.block_info(&self.check, height, self.last_block_time);
        let mode = match req.kind {
            request::CheckTxKind::Recheck => ExecMode::Recheck,
            _ => ExecMode::Check,
        };
        let outcome = run_tx(&mut self.check, &block, mode, &req.tx);
        let (code, log, codespace) = result_fields(&outcome.result);
        response::CheckTx {
            code,
            data: Bytes::new(),
            log,
            info: String::new(),
            gas_wanted: clamp(outcome.gas_wanted),
            gas_used: clamp(outcome.gas_used),
            events: outcome.events,
            codespace,
            ..Default::default()
        }
    }

    pub fn prepare_proposal(&mut self, req: request::PrepareProposal) -> response::PrepareProposal {
        let mut state = self.next_block_base();
        let block = self.block_info(&state, req.height.value(), time_nanos(&req.time));
        let max_bytes = usize::try_from(req.max_tx_bytes).unwrap_or(0);
        let max_gas = block.max_gas.unwrap_or(u64::MAX);
        let mut total = 0usize;
        let mut total_gas = 0u64;
        let mut txs = Vec::new();
        for tx in req.txs {
            if total + tx.len() > max_bytes {
                continue;
            }
            // Drop what no longer passes against the state this block builds on.
            let Ok(decoded) = tx::decode_tx(&tx) else {
                continue;
            };
            // The block's gas is the sum of its txs' gas limits, as the SDK's proposal handler
            // counts it: what they may use, not what they will.
            let gas = total_gas.saturating_add(decoded.gas_limit());
            if gas > max_gas {
                continue;
            }
            if run_decoded(&mut state, &block, ExecMode::Recheck, &decoded)
                .result
                .is_ok()
            {
                total += tx.len();
                total_gas = gas;
                txs.push(tx);
            }
        }
        response::PrepareProposal { txs }
    }

    pub fn process_proposal(&mut self, req: request::ProcessProposal) -> response::ProcessProposal {
        let mut state = self.next_block_base();
        let block = self.block_info(&state, req.height.value(), time_nanos(&req.time));
        let max_gas = block.max_gas.unwrap_or(u64::MAX);
        let mut total_gas = 0u64;
        for tx in &req.txs {
            let valid = match tx::decode_tx(tx) {
                Ok(decoded) => {
                    total_gas = total_gas.saturating_add(decoded.gas_limit());
                    total_gas <= max_gas
                        && run_decoded(&mut state, &block, ExecMode::Recheck, &decoded)
                            .result
                            .is_ok()
                }
                Err(_) => false,
            };
            if !valid {
                warn!(
                    height = req.height.value(),
                    "rejecting proposal with an invalid tx"
                );
                return response::ProcessProposal::Reject;
            }
        }
        response::ProcessProposal::Accept
    }

    pub fn finalize_block(&mut self, req: request::FinalizeBlock) -> response::FinalizeBlock {
        let height = req.height.value();
        let mut state = match self.block.take() {
            Some(genesis) => genesis,
            None => Overlay::new(self.storage.latest_snapshot()),
        };
        let time = time_nanos(&req.time);
        let block = self.block_info(&state, height, time);
        // What counterparty light clients of this chain will hold for this height: the app
        // hash in its header (the state after the previous block) and its validators.
        let header_app_hash = self
            .storage
            .latest()
            .map_or_else(|| self.genesis_app_hash.clone(), |l| l.app_hash.to_vec());
        if let Err(e) = ibc::context::record_host_consensus_state(
            &mut Unmetered(&mut state),
            height,
            time,
            &header_app_hash,
            req.next_validators_hash.as_bytes(),
        ) {
            // Same input on every node, so skipping is deterministic; handshakes that need this
            // height fail with a clear "host consensus state not found".
            warn!(height, error = %e, "not recording the host consensus state of this block");
        }
        // The block gas meter: a decided block whose txs want more gas than the limit (only a
        // proposal that 2/3 accepted against ProcessProposal can be one) runs the txs that fit
        // and fails the rest unrun, the same way on every node.
        let max_gas = block.max_gas.unwrap_or(u64::MAX);
        let mut block_gas = 0u64;
        let tx_results = req
            .txs
            .iter()
            .enumerate()
            .map(|(index, tx)| {
                if let Some(wasm) = &block.wasm {
                    wasm.set_tx_index(index);
                }
                let decoded = match tx::decode_tx(tx) {
                    Ok(decoded) => decoded,
                    Err(e) => return exec_result(TxOutcome::unrun(e, 0)),
                };
                let wanted = decoded.gas_limit();
                // (A tx wanting more than a whole block is refused by the ante handler.)
                if wanted <= max_gas && block_gas.saturating_add(wanted) > max_gas {
                    let e = TxError::OutOfGas {
                        location: "block gas meter".into(),
                        limit: max_gas,
                        used: block_gas.saturating_add(wanted),
                    };
                    return exec_result(TxOutcome::unrun(e, wanted));
                }
                if wanted <= max_gas {
                    block_gas += wanted;
                }
                exec_result(run_decoded(&mut state, &block, ExecMode::Deliver, &decoded))
            })
            .collect::<Vec<_>>();
        let pending = self
            .storage
            .prepare_commit(height, state.into_writes())
            .unwrap_or_else(|e| panic!("hashing block {height}: {e}"));
        let app_hash = pending.info.app_hash;
        self.pending = Some(pending);
        self.last_block_time = time;
        response::FinalizeBlock {
            events: vec![],
            tx_results,
            validator_updates: vec![],
            consensus_param_updates: None,
            app_hash: app_hash.to_vec().try_into().expect("byte string"),
        }
    }

    pub fn commit(&mut self) -> response::Commit {
        if let Some(pending) = self.pending.take() {
            let info = self
                .storage
                .commit(pending)
                .unwrap_or_else(|e| panic!("persisting a block must succeed: {e}"));
            info!(height = info.height, app_hash = %hex::encode_upper(info.app_hash), "committed");
            // Queries see the committed state from now on: give their `env` the same block.
            if let Some(wasm) = &self.wasm {
                wasm.set_last_block_time(self.last_block_time);
            }
        } else {
            warn!("Commit without a finalized block");
        }
        self.check = Overlay::new(self.storage.latest_snapshot());
        response::Commit {
            data: Bytes::new(),
            retain_height: self.prune().into(),
        }
    }
}

impl App {
    /// Apply the retention policy; returns the `retain_height` for CometBFT (0 = keep all).
    fn prune(&mut self) -> u32 {
        let Some(latest) = self.storage.latest() else {
            return 0;
        };
        if self.retain_blocks == 0 || latest.height <= self.retain_blocks {
            return 0;
        }
        let keep_from = latest.height - self.retain_blocks + 1;
        match self.storage.prune_below(keep_from) {
            Ok(removed) if removed > 0 => {
                tracing::debug!(keep_from, removed, "pruned old state");
            }
            Ok(_) => {}
            // Pruning is housekeeping: a failure must not stop the chain.
            Err(e) => warn!(error = %e, "pruning failed"),
        }
        u32::try_from(keep_from).unwrap_or(0)
    }
}

/// An `ExecTxResult` with SDK codes, and an empty log on success (cosmjs parses it as JSON).
pub fn exec_result(outcome: TxOutcome) -> ExecTxResult {
    let (code, log, codespace) = result_fields(&outcome.result);
    ExecTxResult {
        code,
        data: outcome.result.unwrap_or_default().into(),
        log,
        info: String::new(),
        gas_wanted: clamp(outcome.gas_wanted),
        gas_used: clamp(outcome.gas_used),
        events: outcome.events,
        codespace,
    }
}

fn result_fields(result: &Result<Vec<u8>, TxError>) -> (Code, String, String) {
    match result {
        Ok(_) => (Code::Ok, String::new(), String::new()),
        Err(e) => (
            Code::from(e.code()),
            e.to_string(),
            e.codespace().to_string(),
        ),
    }
}

fn clamp(gas: u64) -> i64 {
    i64::try_from(gas).unwrap_or(i64::MAX)
}

fn time_nanos(time: &tendermint::Time) -> i128 {
    time.unix_timestamp_nanos()
}
