//! Model registry (ModelFactory's ledger): base model hash, LoRA adapter hash, training-log
//! hash, the training Datanets as `(id, version, root)` (checked against `datanet-registry`,
//! including the owner's training access), owner, inference prices per 1k input / output
//! tokens and a status the escrow checks before accepting paid jobs.

pub mod contract;
pub mod error;
pub mod msg;
pub mod state;

#[cfg(test)]
mod tests;

pub use crate::error::ContractError;
