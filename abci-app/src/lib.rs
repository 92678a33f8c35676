//! `openledgerd`: the OpenLedger chain node, a CometBFT ABCI++ (v0.38) application with
//! Cosmos-SDK-compatible accounts, bank, fees and transactions over a Merkle store.
// `deny`, not `forbid`: exactly one audited `unsafe` call is allowed, cosmwasm-vm's
// `Cache::new` (see `modules/wasm/vm.rs`).
#![deny(unsafe_code)]
#![deny(clippy::unwrap_used)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod app;
pub mod cli;
pub mod config;
pub mod crypto;
pub mod dev;
pub mod localnet;
pub mod modules;
pub mod query;
pub mod server;
pub mod signer;
pub mod store;
pub mod version;
