//! Attester registry (Axelar service-registry shape): GPU-oracle operators register an
//! ed25519 key and capabilities (methods, model hashes), bond CW20 OPEN, unbond with a delay,
//! and are Active / Inactive / Jailed / Tombstoned. The verifier (attribution-escrow) or
//! governance slashes a fraction of bonded + unbonding stake to the slash recipient.

pub mod contract;
pub mod error;
pub mod msg;
pub mod state;

#[cfg(test)]
mod tests;

pub use crate::error::ContractError;
