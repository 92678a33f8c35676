//! Governance voting weight: cw4-stake 2.0 (as a library) over staked CW20 OPEN. A staker's
//! cw4 weight is `staked / tokens_per_weight`, snapshotted per height so `dao-multisig`
//! (cw3-flex-multisig) counts votes with the weight at the proposal's start height.
//! Only the entry points (and `migrate`) are defined here.

pub mod contract;
pub mod msg;

pub use cw4_stake::ContractError;
