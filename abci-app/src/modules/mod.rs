//! Chain modules. Each owns its state keys, messages, queries and events.
//!
//! Hook order is consensus: genesis runs auth, then bank.

pub mod auth;
pub mod bank;
pub mod ibc;
pub mod staking;
pub mod wasm;
