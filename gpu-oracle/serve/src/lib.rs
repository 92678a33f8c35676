//! `openledger-serve`: the OpenLedger inference gateway.
//!
//! An OpenAI-compatible HTTP API ([`server`]: `/v1/models`, `/v1/chat/completions`,
//! `/v1/completions`, streamed as server-sent events) over models that stay loaded
//! ([`engine`]: worker threads that step every admitted sequence one token at a time, so
//! concurrent clients share the cores instead of queueing behind each other). Prompts are
//! rendered with the model's own Jinja chat template ([`template`]) and counted with its own
//! tokenizer. Callers authenticate with an API key their account key signed for this gateway
//! ([`auth`]), which holds no state here; every answer's exact input and output go to the content
//! store, where attesters fetch them, and with a chain configured each answer is paid from the
//! payer's prepaid credit by an escrow job the gateway opens ([`billing`]).

#![deny(clippy::unwrap_used)]

pub mod auth;
pub mod billing;
pub mod config;
pub mod engine;
pub mod error;
pub mod metrics;
pub mod openai;
pub mod server;
pub mod template;

pub use error::ApiError;
