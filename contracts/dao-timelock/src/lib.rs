//! Governance timelock: the single holder of every admin right (OPEN minter, registry and
//! escrow governance, wasm admin). Only the proposer (the `dao-multisig`, i.e. passed DAO
//! proposals) may `Schedule` messages; anyone may `Execute` them once `min_delay_seconds`
//! have passed (OpenZeppelin TimelockController shape). Its own configuration changes only
//! through a scheduled operation. At deployment the instantiator is the proposer until it
//! calls `HandOff` once (the multisig's address is not known before the timelock exists).

pub mod contract;
pub mod error;
pub mod msg;
pub mod state;

pub use crate::error::ContractError;
