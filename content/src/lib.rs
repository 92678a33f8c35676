//! `openledger-content`: how OpenLedger content moves between machines. On chain a Datanet row,
//! an inference input or output is a sha256 (and, for a row, a uri); the bytes travel over IPFS
//! ([`ipfs`]: the CIDs content is added as, and a client of a kubo daemon's HTTP RPC). Readers
//! check every byte against the chain's hash, so no daemon or peer need be trusted.
//!
//! The node's CLI, the attester and the gateway all add and fetch content through this crate,
//! so the one rule that makes a row findable by its hash alone (CIDv1, raw leaves, sha2-256,
//! 1 MiB chunks) is written once.
#![deny(clippy::unwrap_used)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod error;
pub mod ipfs;
pub mod rows;

pub use error::IpfsError;
pub use ipfs::{Cid, Fetched, Ipfs, BLOCK_SIZE};
