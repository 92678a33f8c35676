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

    #[error("Operator already registered")]
    AlreadyRegistered {},

    #[error("Operator not registered")]
    NotRegistered {},

    #[error("Invalid input: {reason}")]
    InvalidInput { reason: String },

    #[error("Only the OPEN token contract may send CW20 here")]
    WrongToken {},

    #[error("Operator is tombstoned")]
    Tombstoned {},

    #[error("Operator is not jailed")]
    NotJailed {},

    #[error("Still jailed until {until}")]
    StillJailed { until: u64 },

    #[error("Nothing to claim")]
    NothingToClaim {},

    #[error("Unbonding period not over")]
    StillUnbonding {},

    #[error("Stake still answers for open jobs {jobs:?} of the verifier")]
    ObligationsOpen { jobs: Vec<u64> },
}

impl ContractError {
    pub fn invalid(reason: impl Into<String>) -> Self {
        ContractError::InvalidInput {
            reason: reason.into(),
        }
    }
}
