//! The module cache: cosmwasm-vm's `Cache`, on disk under the node home.
//!
//! Wasm blobs live under `<dir>/state/wasm` (their checksums are committed in `CodeInfo`);
//! compiled modules under `<dir>/cache`. Settings as wasmd: 32 MiB instance memory, 100 MiB
//! in-memory module cache, capabilities `iterator`, `staking`, `stargate` and `cosmwasm_1_1` …
//! `cosmwasm_2_2` (cosmwasm-vm 2.3.5 knows nothing newer).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use cosmwasm_vm::{Cache, CacheOptions, Size};

use super::backend::{AddrApi, AppQuerier, ContractStorage};

pub type WasmCache = Cache<AddrApi, ContractStorage, AppQuerier>;

/// wasmd `keeper.go` `contractMemoryLimit`.
pub const INSTANCE_MEMORY_LIMIT_MIB: usize = 32;
/// wasmd `types.go` default memory cache size.
pub const MEMORY_CACHE_MIB: usize = 100;
/// Capabilities offered to contracts. `staking` answers as a chain without validators
/// (no staking module yet); `stargate` answers a whitelist of gRPC queries.
pub const CAPABILITIES: &[&str] = &[
    "iterator",
    "staking",
    "stargate",
    "cosmwasm_1_1",
    "cosmwasm_1_2",
    "cosmwasm_1_3",
    "cosmwasm_1_4",
    "cosmwasm_2_0",
    "cosmwasm_2_1",
    "cosmwasm_2_2",
];

#[derive(Debug, thiserror::Error)]
pub enum WasmRuntimeError {
    #[error("opening the wasm module cache at {dir}: {message}")]
    Open { dir: PathBuf, message: String },
}

pub struct WasmRuntime {
    cache: WasmCache,
    dir: PathBuf,
    /// Time of the last finalized block, for the `env` of queries served outside a block
    /// (ABCI, REST and gRPC all hold this runtime, none of them the `App`).
    last_block_time: AtomicI64,
}

impl std::fmt::Debug for WasmRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmRuntime")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl WasmRuntime {
    /// Open (or create) the module cache in `dir`, which this node must own exclusively.
    pub fn open(dir: impl AsRef<Path>) -> Result<Arc<Self>, WasmRuntimeError> {
        let dir = dir.as_ref().to_path_buf();
        let options = CacheOptions::new(
            dir.clone(),
            CAPABILITIES
                .iter()
                .map(|c| c.to_string())
                .collect::<HashSet<_>>(),
            Size::mebi(MEMORY_CACHE_MIB),
            Size::mebi(INSTANCE_MEMORY_LIMIT_MIB),
        );
        let cache = cache_ffi::new_cache(options).map_err(|e| WasmRuntimeError::Open {
            dir: dir.clone(),
            message: e.to_string(),
        })?;
        Ok(Arc::new(Self {
            cache,
            dir,
            last_block_time: AtomicI64::new(0),
        }))
    }

    /// Unix nanoseconds of the last finalized block (0 before the first since start).
    pub fn last_block_time(&self) -> i128 {
        i128::from(self.last_block_time.load(Ordering::Relaxed))
    }

    pub fn set_last_block_time(&self, unix_nanos: i128) {
        let clamped =
            i64::try_from(unix_nanos).unwrap_or(if unix_nanos < 0 { 0 } else { i64::MAX });
        self.last_block_time.store(clamped, Ordering::Relaxed);
    }

    pub fn cache(&self) -> &WasmCache {
        &self.cache
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Make a stored code's files durable: its wasm (`state/wasm/<checksum>.wasm`) and
    /// compiled module (under `cache/modules`), and the directories naming them. cosmwasm-vm
    /// writes both without fsync; the block that stores the code is committed (and fsynced)
    /// right after, so after a power loss a node could hold the code's id but a missing or
    /// torn file, and fail where every other node runs the contract.
    /// Returns how many files it synced.
    pub fn sync_code(&self, checksum: &[u8]) -> std::io::Result<usize> {
        let name = hex::encode(checksum);
        let mut synced = 0;
        let mut pending = vec![self.dir.join("state").join("wasm"), self.dir.join("cache")];
        while let Some(dir) = pending.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            let mut touched = false;
            for entry in entries {
                let entry = entry?;
                let path = entry.path();
                if entry.file_type()?.is_dir() {
                    pending.push(path);
                } else if entry.file_name().to_string_lossy().starts_with(&name) {
                    std::fs::File::open(&path)?.sync_all()?;
                    synced += 1;
                    touched = true;
                }
            }
            if touched {
                std::fs::File::open(&dir)?.sync_all()?;
            }
        }
        Ok(synced)
    }
}

/// The crate's only `unsafe` code.
#[allow(unsafe_code)]
mod cache_ffi {
    use cosmwasm_vm::{CacheOptions, VmResult};

    use super::WasmCache;

    pub(super) fn new_cache(options: CacheOptions) -> VmResult<WasmCache> {
        // SAFETY: `Cache::new` is `unsafe` only because it loads precompiled modules from
        // `base_dir/cache` without verifying them (a tampered artifact would be executed as
        // native code). The directory lives under this node's home, is created and written
        // only by cosmwasm-vm in this process, and is opened by exactly one `WasmRuntime` per
        // node; anyone able to write it can already replace the node binary.
        unsafe { WasmCache::new(options) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_code_finds_the_wasm_and_its_compiled_module() {
        let dir = tempfile::tempdir().expect("tempdir");
        let runtime = WasmRuntime::open(dir.path()).expect("runtime");
        let wasm = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/wasm-contracts/artifacts/test_loop.wasm"
        ))
        .expect("artifact");
        let checksum = runtime
            .cache()
            .store_code(&wasm, true, true)
            .expect("store");
        assert_eq!(runtime.sync_code(checksum.as_slice()).expect("sync"), 2);
        assert_eq!(runtime.sync_code(&[0xab; 32]).expect("sync"), 0);
    }
}
