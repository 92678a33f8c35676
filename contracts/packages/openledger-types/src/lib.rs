//! Shared interface of the OpenLedger contracts: the messages other contracts (and
//! clients) send, the responses they read, common value types, and typed handles
//! (`DatanetRegistry(pub Addr)`, `AttesterRegistry(pub Addr)`, …) in the style of
//! cw-plus `packages/cw4`. Contracts re-export these from their own `msg.rs`.
//!
//! Everything here is integer math (`Uint128`, `u64`, basis points); no floats.

pub mod api_key;
pub mod attester;
pub mod common;
pub mod datanet;
pub mod escrow;
pub mod merkle;
pub mod model;
pub mod open_token;

pub use common::*;
