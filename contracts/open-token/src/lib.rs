//! OPEN: the CW20 token of the chain (cw20-base 2.0 as a library) that is also a 1:1 wrapper
//! of the native gas token (`uopen`): `Deposit` native → mint CW20, `Withdraw` → burn CW20 and
//! release the native coins, so there is one OPEN supply. Every CW20 OPEN is backed: initial
//! balances are paid with the instantiation and `Mint` (governance, the minter) must carry the
//! native coins it mints, so every holder can always withdraw its whole balance.

pub mod contract;
pub mod error;
pub mod msg;
pub mod state;

pub use crate::error::ContractError;

#[cfg(test)]
mod multitest;
