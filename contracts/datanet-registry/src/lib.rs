//! Datanet registry: Datanets (metadata, kind, licence, contribution policy), contributions
//! (sha256 content hash, size, uri, contributor, licence), curator review with a validation
//! score, versions carrying the Merkle root of accepted contribution hashes, publish / new
//! version fees paid in CW20 OPEN by size, per-address and per-Datanet daily upload limits,
//! contributor bonds with slashing and a penalty score, and permissioned training access.
//!
//! Contributor shares: a contributor's weight in a Datanet is the sum of the validation scores
//! (bps) of their accepted contributions. Weights are checkpointed per version (`WEIGHTS` keyed
//! by the version they first count in), so `ContributorShare{version}` is exact for every
//! past version with O(log) reads and no iteration when a version is cut.

pub mod bonds;
pub mod contract;
pub mod contributions;
pub mod error;
pub mod msg;
pub mod state;
pub mod versions;

#[cfg(test)]
mod tests;

pub use crate::error::ContractError;
