//! OpenLedger GPU attester library.
//!
//! * [`gpu`]: the wgpu 30 engine ([`gpu::GpuContext`]: adapter choice, device, readback).
//! * [`kernels`]: integer WGSL compute kernels, each with a CPU reference (`cpu(...)`) that the GPU
//!   result must equal bit for bit, so that every attester reaches the same result hash.
//! * [`attribution`]: Proof-of-Attribution methods (`suffix_span`, `gradient_influence`,
//!   `rag_retrieval`). Each produces an [`attribution::AttributionResult`] with canonical bytes, a
//!   SHA-256 result hash and `weights_bps` per (Datanet, version) summing to exactly 10 000.
//! * [`llm`]: llama-architecture inference from GGUF files (wgpu and a CPU reference), BPE
//!   tokenizer, sampling, unmerged LoRA adapters with an LRU cache, and the prefill verifier.
//!
//! *NOTE* - Everything that feeds a result hash MUST be deterministic: integer arithmetic only
//! (wrapping i32 sums are associative, so any reduction order gives the same bits), canonical
//! tie-breaks, no hash-map iteration order, no autotuning.
// `deny`, not `forbid`: only the AVX2 kernels of `llm::qdot` may opt out (SIMD intrinsics).
#![deny(unsafe_code)]
#![deny(clippy::unwrap_used)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod attribution;
pub mod error;
pub mod gpu;
pub mod kernels;
pub mod llm;
pub mod quant;
pub mod rng;

pub use error::{GpuError, LlmError, OracleError};
pub use gpu::GpuContext;

#[cfg(test)]
pub(crate) mod testutil;
