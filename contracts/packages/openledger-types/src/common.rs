use cosmwasm_schema::cw_serde;
use cosmwasm_std::{HexBinary, StdError, StdResult};
use sha2::{Digest, Sha256};

/// Basis-point denominator: 10 000 bps = 100 %.
pub const BPS: u64 = 10_000;
/// Upper bound on configured durations in seconds (100 years): contracts add them to the block
/// time (`Timestamp::plus_seconds` panics past u64 nanoseconds, i.e. ~584 years).
pub const MAX_DURATION_SECONDS: u64 = 100 * 365 * 86_400;
/// Pagination defaults (cw-plus `enumerable.rs`).
pub const DEFAULT_LIMIT: u32 = 10;
pub const MAX_LIMIT: u32 = 30;

/// `limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT)`.
pub fn page_limit(limit: Option<u32>) -> usize {
    limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT) as usize
}

/// sha256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// Checks that `h` is a 32-byte hash (sha256); `what` names the field in the error.
pub fn check_hash32(h: &HexBinary, what: &str) -> StdResult<()> {
    if h.len() != 32 {
        return Err(StdError::generic_err(format!(
            "{what} must be 32 bytes (sha256), got {}",
            h.len()
        )));
    }
    Ok(())
}

/// A Datanet version pinned by its Merkle root: what models train on and jobs attribute to.
#[cw_serde]
pub struct DatanetRef {
    pub datanet_id: u64,
    pub version: u32,
    pub root: HexBinary,
}

/// Attribution methods. `suffix_span` and `datainf_lora`
/// are computed deterministically (integer pipelines) and tallied by exact result-hash
/// quorum; the float methods are tallied by stake-weighted median within a tolerance.
#[cw_serde]
#[derive(Copy, Eq, PartialOrd, Ord)]
pub enum Method {
    SuffixSpan,
    DatainfLora,
    TracinProj,
    RagRetrieval,
}

impl Method {
    /// True where every honest attester produces byte-identical results.
    pub fn is_exact(&self) -> bool {
        matches!(self, Method::SuffixSpan | Method::DatainfLora)
    }
}
