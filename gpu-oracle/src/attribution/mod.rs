//! Proof-of-Attribution methods and their canonical result.
//!
//! Every method reduces to integer scores per contribution (only positive influence pays), then
//! [`AttributionResult::from_scores`] aggregates them per (Datanet, version), converts to basis
//! points with deterministic largest-remainder rounding (ties to the smaller id) so that
//! `weights_bps` sums to exactly 10 000, and hashes the canonical bytes.
//!
//! Methods: [`suffix_span`] (CPU, integer by construction), [`gradient_influence`] (seeded int8
//! projection of LoRA gradients, integer dot products on GPU == CPU), [`rag_retrieval`] (int8
//! embedding similarity on GPU == CPU).

pub mod compute;
pub mod gradient_influence;
pub mod rag_retrieval;
pub mod result;
pub mod suffix_span;

pub use compute::Compute;
pub use result::{
    largest_remainder_bps, AttributionResult, ContributionRef, ContributionShare, DatanetVersion,
    DatanetWeight, Method, TOTAL_BPS,
};
