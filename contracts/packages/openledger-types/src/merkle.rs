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

/// Inclusion proof of leaf `index` in the tree over `leaves`: the [`MERKLE_DEPTH`] sibling
/// hashes from the leaf up to the root. `None` when `index` is past the last leaf.
pub fn merkle_proof(leaves: &[[u8; 32]], index: u64) -> Option<Vec<HexBinary>> {
    let mut i = usize::try_from(index).ok().filter(|i| *i < leaves.len())?;
    let zero = zero_hashes();
    let mut level: Vec<[u8; 32]> = leaves.to_vec();
    let mut proof = Vec::with_capacity(MERKLE_DEPTH);
    for z in zero.iter() {
        if level.len() % 2 == 1 {
            level.push(*z);
        }
        proof.push(HexBinary::from(level[i ^ 1].to_vec()));
        level = level.chunks(2).map(|p| hash_pair(&p[0], &p[1])).collect();
        i /= 2;
    }
    Some(proof)
}

/// True when `proof` (from [`merkle_proof`]) folds `leaf` at `index` into `root`.
pub fn verify_merkle_proof(leaf: &[u8], index: u64, proof: &[HexBinary], root: &[u8]) -> bool {
    if leaf.len() != 32 || proof.len() != MERKLE_DEPTH || (index >> MERKLE_DEPTH) != 0 {
        return false;
    }
    let mut node = [0u8; 32];
    node.copy_from_slice(leaf);
    for (h, sibling) in proof.iter().enumerate() {
        if sibling.len() != 32 {
            return false;
        }
        node = if (index >> h) & 1 == 0 {
            hash_pair(&node, sibling.as_slice())
        } else {
            hash_pair(sibling.as_slice(), &node)
        };
    }
    node.as_slice() == root
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proofs_verify_and_refuse_other_leaves() {
        for n in [1usize, 2, 3, 6, 37] {
            let leaves: Vec<[u8; 32]> = (0..n as u8).map(|i| sha256(&[i])).collect();
            let root = merkle_root(&leaves);
            for (i, leaf) in leaves.iter().enumerate() {
                let proof = merkle_proof(&leaves, i as u64).unwrap();
                assert!(verify_merkle_proof(leaf, i as u64, &proof, root.as_slice()));
                // Another position, another leaf, or another root: refused.
                assert!(!verify_merkle_proof(
                    leaf,
                    (i as u64) ^ 1,
                    &proof,
                    root.as_slice()
                ));
                assert!(!verify_merkle_proof(
                    &sha256(b"x"),
                    i as u64,
                    &proof,
                    root.as_slice()
                ));
                assert!(!verify_merkle_proof(leaf, i as u64, &proof, &[0; 32]));
                assert!(!verify_merkle_proof(
                    leaf,
                    i as u64,
                    &proof[1..],
                    root.as_slice()
                ));
            }
            assert!(merkle_proof(&leaves, n as u64).is_none());
        }
    }

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
