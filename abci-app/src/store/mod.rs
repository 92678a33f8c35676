//! Authenticated, versioned state.
//!
//! Two Jellyfish Merkle trees are kept in one redb database: `main`, whose root is the app
//! hash, and the `ibc` substore, whose root is written into `main` under the key [`IBC_ROOT_KEY`]
//! so that IBC proofs are two-level (`[substore proof, main proof]`, as Hermes expects).
//! Application keys starting with [`IBC_PREFIX`] live in the `ibc` tree (without the prefix);
//! every other key lives in `main`.
//!
//! A flat, ordered copy of the latest state sits beside the trees (outside the app hash) for
//! range scans, since JMT orders keys by hash.

mod overlay;
mod storage;

pub(crate) use overlay::bound_as_ref;
pub use overlay::{Empty, Overlay};
pub use storage::{CommitInfo, PendingCommit, ProofOpBytes, Snapshot, Storage, StoreError};

use std::ops::Bound;

/// Prefix of application keys that belong to the `ibc` substore.
pub const IBC_PREFIX: &[u8] = b"ibc/";
/// Key in the `main` tree under which the `ibc` substore root is committed.
pub const IBC_ROOT_KEY: &[u8] = b"ibc";

/// Read access to a state view.
///
/// *NOTE* - Implementations MUST be deterministic: the same committed state and the same
/// writes give the same answers, in the same order.
///
/// Reads are infallible: a failing disk read is a broken node, not bad input, and the
/// storage layer panics with context rather than letting a block diverge.
pub trait StateRead {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>>;

    /// The first (or, with `reverse`, the last) entry whose key lies within the bounds.
    fn first_in_range(
        &self,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        reverse: bool,
    ) -> Option<(Vec<u8>, Vec<u8>)>;

    /// [`StateRead::first_in_range`], and how many deleted entries (overlay tombstones) the
    /// answer stepped over. Scans charge for them: deleting an absent key is cheap, and a run of
    /// such deletions must not make every later range step long yet cost the same.
    fn first_in_range_skipping(
        &self,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        reverse: bool,
    ) -> (Option<(Vec<u8>, Vec<u8>)>, u64) {
        (self.first_in_range(lower, upper, reverse), 0)
    }

    /// All entries under `prefix` after `start_after`, at most `limit` of them, in key order.
    fn scan_prefix(
        &self,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Vec<(Vec<u8>, Vec<u8>)> {
        let upper = prefix_end(prefix);
        let mut out = Vec::new();
        let mut cursor: Option<Vec<u8>> = start_after.map(<[u8]>::to_vec);
        while out.len() < limit {
            let lower = match &cursor {
                Some(after) => Bound::Excluded(after.as_slice()),
                None => Bound::Included(prefix),
            };
            let upper_bound = match &upper {
                Some(end) => Bound::Excluded(end.as_slice()),
                None => Bound::Unbounded,
            };
            match self.first_in_range(lower, upper_bound, false) {
                Some((key, value)) => {
                    cursor = Some(key.clone());
                    out.push((key, value));
                }
                None => break,
            }
        }
        out
    }
}

/// Write access to a state view.
pub trait StateWrite: StateRead {
    fn put(&mut self, key: Vec<u8>, value: Vec<u8>);
    fn delete(&mut self, key: Vec<u8>);
}

/// A writable view with nested checkpoints (the block overlay). Used through a trait object
/// by the CosmWasm runtime, which shares the overlay with VM callbacks and reverts a failed
/// submessage's writes.
pub trait StateCheckpoint: StateWrite {
    /// Open a nested checkpoint.
    fn checkpoint(&mut self);
    /// Keep the writes since the last checkpoint in the enclosing level.
    fn commit_checkpoint(&mut self);
    /// Drop every write since the last checkpoint.
    fn revert_checkpoint(&mut self);
}

/// The smallest key greater than every key with this prefix (`None` when there is none).
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

#[cfg(test)]
mod tests;
