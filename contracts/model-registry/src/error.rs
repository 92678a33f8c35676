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

    #[error("Model {id} not found")]
    ModelNotFound { id: u64 },

    #[error("Invalid input: {reason}")]
    InvalidInput { reason: String },

    #[error("Datanet {datanet_id} version {version}: {reason}")]
    BadDatanetRef {
        datanet_id: u64,
        version: u32,
        reason: String,
    },

    #[error("No training access to Datanet {datanet_id}")]
    NoTrainingAccess { datanet_id: u64 },

    #[error("Model is retired")]
    Retired {},
}
