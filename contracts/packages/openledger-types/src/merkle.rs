//! Append-only (incremental) sha256 Merkle tree of fixed depth, as in the Ethereum deposit
//! contract: O(depth) storage and O(depth) work per insert/root, so a Datanet version's root
//! over all accepted contribution hashes is computed on chain with bounded gas.
//!
//! Leaves are the 32-byte content hashes in acceptance order; empty leaves are zero.
//! `node = sha256(left ‖ right)`; `root(count)` folds the filled left branches with the
//! zero-subtree hashes. [`merkle_root`] is the reference (off-chain) computation.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Binary, HexBinary};

use crate::common::sha256;

pub const MERKLE_DEPTH: usize = 32;

fn hash_pair(l: &[u8], r: &[u8]) -> [u8; 32] {
    let mut buf = [0u8; 64];
    buf[..32].copy_from_slice(l);
    buf[32..].copy_from_slice(r);
    sha256(&buf)
}

fn zero_hashes() -> Vec<[u8; 32]> {
    let mut z = vec![[0u8; 32]; MERKLE_DEPTH];
    for i in 1..MERKLE_DEPTH {
        z[i] = hash_pair(&z[i - 1], &z[i - 1]);
    }
    z
}

/// Incremental tree state: number of leaves plus the left-branch hash per level.
#[cw_serde]
pub struct MerkleAccumulator {
    pub count: u64,
    pub branch: Vec<Binary>,
}

impl Default for MerkleAccumulator {
    fn default() -> Self {
        MerkleAccumulator {
            count: 0,
            branch: vec![Binary::from(vec![0u8; 32]); MERKLE_DEPTH],
        }
    }
}

impl MerkleAccumulator {
    /// Appends a 32-byte leaf.
    pub fn push(&mut self, leaf: &[u8; 32]) {
        self.count += 1;
        let mut size = self.count;
        let mut node = *leaf;
        for h in 0..MERKLE_DEPTH {
            if size & 1 == 1 {
                self.branch[h] = Binary::from(node.to_vec());
                return;
            }
            node = hash_pair(self.branch[h].as_slice(), &node);
            size /= 2;
        }
    }

    /// Root over the current leaves.
    pub fn root(&self) -> HexBinary {
        let zero = zero_hashes();
        let mut node = [0u8; 32];
        let mut size = self.count;
        for (h, z) in zero.iter().enumerate() {
            node = if size & 1 == 1 {
                hash_pair(self.branch[h].as_slice(), &node)
            } else {
                hash_pair(&node, z)
            };
            size /= 2;
        }
        HexBinary::from(node.to_vec())
    }
}

/// Reference root of `leaves` (same result as pushing them into a [`MerkleAccumulator`]).
pub fn merkle_root(leaves: &[[u8; 32]]) -> HexBinary {
    let zero = zero_hashes();
    let mut level: Vec<[u8; 32]> = leaves.to_vec();
    for z in zero.iter() {
        if level.len() % 2 == 1 {
            level.push(*z);
        }
        level = level.chunks(2).map(|p| hash_pair(&p[0], &p[1])).collect();
        if level.is_empty() {
            level.push(hash_pair(z, z));
        }
    }
    HexBinary::from(level[0].to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incremental_matches_reference() {
        let mut acc = MerkleAccumulator::default();
        let mut leaves = vec![];
        assert_eq!(acc.root(), merkle_root(&leaves));
        for i in 0u8..37 {
            let leaf = sha256(&[i]);
            acc.push(&leaf);
            leaves.push(leaf);
            assert_eq!(acc.root(), merkle_root(&leaves), "after {} leaves", i + 1);
        }
    }
}
