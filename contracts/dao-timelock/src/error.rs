use cosmwasm_std::StdError;
use cw_utils::PaymentError;
use thiserror::Error;

#[derive(Error, Debug, PartialEq)]
pub enum ContractError {
    #[error("{0}")]
    Std(#[from] StdError),

    #[error("{0}")]
    Payment(#[from] PaymentError),

    #[error("Unauthorized")]
    Unauthorized {},

    #[error("Operation {id} not found")]
    NotFound { id: u64 },

    #[error("Operation is not pending")]
    NotPending {},

    #[error("Operation not ready until {ready_at}")]
    NotReady { ready_at: u64 },

    #[error("Delay below the minimum of {min_delay} seconds")]
    DelayTooShort { min_delay: u64 },

    #[error("Nothing to schedule")]
    Empty {},

    #[error("Hand-off already done")]
    AlreadyHandedOff {},
}
