//! `x/auth`: accounts, account numbers, public keys, sequences and tx parameters.

pub mod genesis;
pub mod query;
pub mod state;

pub use state::{Account, AuthRead, AuthWrite};

pub const NAME: &str = "auth";
/// The module account that collects fees.
pub const FEE_COLLECTOR: &str = "fee_collector";
