//! Governance decisions: cw3-flex-multisig 2.0 (as a library) whose voters are the OPEN
//! stakers of `dao-stake` (a cw4 group). Passed proposals schedule messages on
//! `dao-timelock`, which holds every admin right and executes them after the delay.

pub mod contract;
pub mod msg;

pub use cw3_flex_multisig::ContractError;
