//! Attribution escrow **and verifier** in one contract (deliberately: the poll, the money it
//! releases and the penalties it triggers change state together, so one contract avoids a
//! settle callback and its failure modes; the verifier logic lives in its own modules).
//!
//! Lifecycle of a job:
//! 1. `RequestJob` (CW20 `Send` of exactly the quoted fee,
//!    `Fee = (T_in·R_in + T_out·R_out) / 1000 + F_platform`) pins an immutable [`JobSpec`]
//!    (method, model, Datanets `(id, version, root)`, input / output hashes) by its hash and
//!    assigns `ask_count` attesters sampled ∝ bonded stake with deterministic randomness
//!    (`sha256(chain_id ‖ height ‖ time ‖ tx index ‖ job_id ‖ spec_hash)`; contracts cannot see
//!    the block hash). Stakes are copied into the job: the tally weighs stake at assignment.
//! 2. `Commit` `sha256(salt ‖ job_id ‖ json(result) ‖ attester)`, then `Reveal` an IBC-shaped
//!    packet signed with the attester's registered ed25519 key; each reveal gets an
//!    acknowledgement (`Result` / `Error`). A reveal that does not open the commitment, or two
//!    signed different results (`ReportEquivocation`), is equivocation.
//! 3. `Tally`: exact methods need one identical result from ≥ quorum (2/3) of assigned stake;
//!    float methods take the stake-weighted per-Datanet median (renormalised to 10 000 bps)
//!    and per-row median influence (top K), and need ≥ quorum of stake within
//!    `tolerance_bps` (L1 over the Datanet weights); a quorum of "no influence" reveals
//!    decides the empty result. Missed reveals, deviations and equivocations are slashed
//!    through the attester registry. No quorum ⇒ refund.
//! 4. Challenge window (bonded), resolved by governance as referee; then `Settle` credits
//!    β to the model owner, γ to in-quorum attesters by stake, and δ by influence: each
//!    (Datanet, version) its `weights_bps` share, each listed row its `bps` of that share
//!    (credited to its contributor × penalty multiplier, withdrawn with `Claim {}`), the rest
//!    of the version (rows past the top K) to its pool, claimed by validation score
//!    (`ClaimContributor`). No influence ⇒ δ to the treasury or back to the payer
//!    (`params.unattributed`). Platform fee, forfeits, unpayable rows and rounding dust go to
//!    the treasury; every token is in one bucket of the
//!    [`Ledger`](openledger_types::escrow::Ledger).
//!
//! A job may also be paid from prepaid inference credit (`DepositCredit`, native or CW20 OPEN):
//! a gateway operator opens it with `RequestJobWithCredit` and the payer's API key
//! ([`credit`]); it then runs as above, and its refunds go back to that credit.
//!
//! [`JobSpec`]: openledger_types::escrow::JobSpec

pub mod contract;
pub mod credit;
pub mod error;
pub mod jobs;
pub mod msg;
pub mod settle;
pub mod split;
pub mod state;
pub mod tally;

#[cfg(test)]
mod multitest;

pub use crate::error::ContractError;
