use cosmwasm_std::{StdError, Uint128};
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
}
