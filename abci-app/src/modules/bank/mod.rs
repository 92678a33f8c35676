//! `x/bank`: balances, supply, denom metadata, MsgSend and MsgMultiSend.

pub mod events;
pub mod genesis;
pub mod msgs;
pub mod query;
pub mod state;

pub use state::{BankRead, BankWrite};

pub const NAME: &str = "bank";
