use cosmwasm_std::{StdError, Uint128};
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

    #[error("Datanet {id} not found")]
    DatanetNotFound { id: u64 },

    #[error("Contribution {id} not found")]
    ContributionNotFound { id: u64 },

    #[error("Invalid input: {reason}")]
    InvalidInput { reason: String },

    #[error("Not allowed to contribute to this Datanet")]
    NotAllowedToContribute {},

    #[error("Duplicate content hash in this Datanet")]
    DuplicateContent {},

    #[error("Contribution already reviewed")]
    AlreadyReviewed {},

    #[error("Daily upload limit exceeded: {limit}")]
    DailyLimitExceeded { limit: String },

    #[error("Datanet is already published")]
    AlreadyPublished {},

    #[error("Datanet is not published")]
    NotPublished {},

    #[error("No accepted contributions since the last version")]
    NothingToVersion {},

    #[error("Wrong fee: expected {expected}, received {received}")]
    WrongFee {
        expected: Uint128,
        received: Uint128,
    },

    #[error("Only the OPEN token contract may send CW20 here")]
    WrongToken {},

    #[error("Insufficient contributor bond: need {required}, have {bonded}")]
    InsufficientBond { required: Uint128, bonded: Uint128 },

    #[error("Nothing to claim")]
    NothingToClaim {},

    #[error("Unbonding period not over")]
    StillUnbonding {},

    #[error("Version {version} of Datanet {id} not found")]
    VersionNotFound { id: u64, version: u32 },

    #[error("Nothing to review: policy does not use owner approval")]
    WrongPolicy {},

    #[error("A batch holds 1..={max} rows, got {got}")]
    BatchSize { max: usize, got: usize },

    /// A refused row of a `ContributeRows` batch (index from 0): the whole batch is refused.
    #[error("Row {index}: {error}")]
    Row {
        index: usize,
        error: Box<ContractError>,
    },

    #[error("Same content hash as row {first} of this batch")]
    DuplicateInBatch { first: usize },

    #[error("Rows of file {name} would add up to {total} bytes, more than its size {size}")]
    FileOverSize { name: String, size: u64, total: u64 },
}

impl ContractError {
    pub fn invalid(reason: impl Into<String>) -> Self {
        ContractError::InvalidInput {
            reason: reason.into(),
        }
    }
}
