use cosmwasm_std::{Coin, StdError, Uint128};
use cw_utils::PaymentError;
use thiserror::Error;

#[derive(Error, Debug, PartialEq)]
pub enum ContractError {
    #[error("{0}")]
    Std(#[from] StdError),

    #[error("{0}")]
    Base(#[from] cw20_base::ContractError),

    #[error("{0}")]
    Payment(#[from] PaymentError),

    #[error("Invalid native denom")]
    InvalidDenom {},

    #[error("Amount must be positive")]
    ZeroAmount {},

    #[error("Insufficient native backing: {backing} wrapped, {requested} requested")]
    InsufficientBacking {
        backing: Uint128,
        requested: Uint128,
    },

    /// The instantiation did not carry exactly the sum of `initial_balances` in the native denom.
    #[error(
        "Initial balances total {required}{denom}: instantiate must carry exactly that and no other coins, sent [{}]",
        fmt_coins(.sent)
    )]
    UnbackedInitialBalances {
        denom: String,
        required: Uint128,
        sent: Vec<Coin>,
    },

    /// A `Mint` did not carry exactly `amount` of the native denom.
    #[error(
        "Mint of {required}{denom} must carry exactly that and no other coins, sent [{}]",
        fmt_coins(.sent)
    )]
    UnbackedMint {
        denom: String,
        required: Uint128,
        sent: Vec<Coin>,
    },
}

fn fmt_coins(coins: &[Coin]) -> String {
    coins
        .iter()
        .map(Coin::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
