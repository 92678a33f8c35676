//! Test-only fuzzing of contract messages on stable Rust (no libFuzzer): each input runs the
//! real contract code natively in cw-multi-test, in a world built by the contract's own test
//! setup.
//!
//! * [`rng`]: SplitMix64, seeded; every (contract, epoch) has its own stream.
//! * [`gen`]: a generator driven by the message's JSON schema (`cosmwasm_schema::schema_for!`,
//!   computed in-process), a mutator of known-good templates (one to three fields regenerated
//!   from their schema, nudged, or removed) and a byte-level mutator of the serialized JSON.
//! * [`harness`]: [`run`] feeds a contract executes (the bulk, directly or as the hook of a
//!   CW20 `Send`), smart queries and block advances from random senders with random funds, under
//!   `catch_unwind`, a per-call time limit and a hang watchdog. It fails on a panic, a slow call,
//!   a failed execute that changed the store, a success for bytes that do not parse, or a broken
//!   world invariant, and prints the input, the world's history and the command that replays it.
//!
//! Environment: `OPENLEDGER_FUZZ_INPUTS` (per contract), `OPENLEDGER_FUZZ_SEED`,
//! `OPENLEDGER_FUZZ_EPOCH` (inputs per world, default 400), `OPENLEDGER_FUZZ_FROM_EPOCH`,
//! `OPENLEDGER_FUZZ_THREADS`, `OPENLEDGER_FUZZ_CALL_LIMIT_MS` (default 2000),
//! `OPENLEDGER_FUZZ_HANG_S` (default 60), `OPENLEDGER_FUZZ_TRACE=1`.

pub mod gen;
pub mod harness;
pub mod rng;

pub use gen::{Gen, Nested, Vocab};
pub use harness::{
    json, nested, run, schema_of, Config, Counts, FuzzWorld, Kind, Lane, Stats, Template,
};
pub use rng::Rng;

/// Lowercase hex of `b` (for [`Vocab::hex`]).
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
