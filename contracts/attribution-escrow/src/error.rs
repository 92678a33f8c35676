use cosmwasm_std::{StdError, Uint128};
use cw_utils::PaymentError;
use openledger_types::api_key::ApiKeyError;
use thiserror::Error;

#[derive(Error, Debug, PartialEq)]
pub enum ContractError {
    #[error("{0}")]
    Std(#[from] StdError),

    #[error("{0}")]
    Payment(#[from] PaymentError),

    #[error("Unauthorized")]
    Unauthorized {},

    #[error("Invalid input: {reason}")]
    InvalidInput { reason: String },

    #[error("Only the OPEN token contract may send CW20 here")]
    WrongToken {},

    #[error("Wrong payment: expected {expected}, received {received}")]
    WrongPayment {
        expected: Uint128,
        received: Uint128,
    },

    #[error("Model {model_id} is not active")]
    ModelNotActive { model_id: u64 },

    #[error("Not enough eligible attesters: need {needed}, have {available}")]
    NotEnoughAttesters { needed: u32, available: u32 },

    #[error("Job {id} not found")]
    JobNotFound { id: u64 },

    #[error("Wrong job status for this action")]
    WrongStatus {},

    #[error("Sender is not assigned to this job")]
    NotAssigned {},

    #[error("Commit phase is over")]
    CommitPhaseOver {},

    #[error("Reveal phase has not started")]
    RevealTooEarly {},

    #[error("Reveal phase is over")]
    RevealPhaseOver {},

    #[error("Already committed")]
    AlreadyCommitted {},

    #[error("No commitment to reveal")]
    NotCommitted {},

    #[error("Already revealed")]
    AlreadyRevealed {},

    #[error("Tally not possible before the reveal deadline unless everyone revealed")]
    TallyTooEarly {},

    #[error("Challenge window is still open")]
    ChallengeWindowOpen {},

    #[error("Challenge window is closed")]
    ChallengeWindowClosed {},

    #[error("The challenge lapsed: governance did not resolve it by its deadline")]
    ChallengeLapsed {},

    #[error("Invalid equivocation evidence: {reason}")]
    InvalidEvidence { reason: String },

    #[error("Nothing to claim")]
    NothingToClaim {},

    /// The API key is malformed, for another chain or gateway, expired, or its signature does
    /// not verify.
    #[error("{0}")]
    ApiKey(#[from] ApiKeyError),

    #[error("Amount must be greater than zero")]
    ZeroAmount {},

    #[error(
        "Gateway {gateway} may not charge inference credit: it is not an active operator of \
         the attester registry. A gateway registers there (no methods needed) and bonds at \
         least min_bond, which answers for the inference it charges for; a jailed one unjails"
    )]
    GatewayNotBonded { gateway: String },

    #[error("Insufficient inference credit: {credit} available, {needed} needed")]
    InsufficientCredit { credit: Uint128, needed: Uint128 },

    #[error(
        "API key spend cap exceeded: {spent} already spent + fee {fee} > max_spend {max_spend}"
    )]
    KeySpendCapExceeded {
        max_spend: Uint128,
        spent: Uint128,
        fee: Uint128,
    },
}

impl ContractError {
    pub fn invalid(reason: impl Into<String>) -> Self {
        ContractError::InvalidInput {
            reason: reason.into(),
        }
    }
}
