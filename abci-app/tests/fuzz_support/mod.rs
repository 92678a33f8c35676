//! A small mutation fuzzer on stable Rust: a seeded RNG, byte mutations of seed inputs
//! (libFuzzer's usual set: flips, random bytes, inserts, deletes, duplicated runs, splices
//! with another seed, interesting integers, truncation), and a runner that feeds inputs to a
//! target, turns a panic or a slow input into a test failure that names the seed and saves the
//! input, and reports what the inputs came to.
//!
//! Bounded for CI by default; `OPENLEDGER_FUZZ_INPUTS=N` sets the inputs per target (and
//! `OPENLEDGER_FUZZ_INPUTS_<TARGET>` one target's) and `OPENLEDGER_FUZZ_SEED=S` the seed (the
//! failure message prints both).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

/// splitmix64: tiny, fast, and the same sequence on every machine.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    pub fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    pub fn bytes(&mut self, max: usize) -> Vec<u8> {
        let n = self.below(max + 1);
        (0..n).map(|_| self.next_u64() as u8).collect()
    }
}

const INTERESTING: &[u64] = &[
    0,
    1,
    0x7f,
    0x80,
    0xff,
    0x7fff,
    0xffff,
    0x7fff_ffff,
    0xffff_ffff,
    0x7fff_ffff_ffff_ffff,
    u64::MAX,
];

/// One to four mutations of `input`; `others` are the seeds a splice may take from.
pub fn mutate(rng: &mut Rng, input: &[u8], others: &[Vec<u8>]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..=rng.below(4) {
        let len = out.len();
        match rng.below(9) {
            0 if len > 0 => {
                let i = rng.below(len);
                out[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                out[i] = rng.next_u64() as u8;
            }
            2 => {
                let i = rng.below(len + 1);
                let extra = rng.bytes(8);
                out.splice(i..i, extra);
            }
            3 if len > 0 => {
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(16));
                out.drain(i..i + n);
            }
            4 if len > 0 => {
                // Repeat a run (length prefixes and nesting get exercised).
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(32));
                let run: Vec<u8> = out[i..i + n].to_vec();
                out.splice(i..i, run);
            }
            5 if !others.is_empty() => {
                let other = rng.pick(others);
                if !other.is_empty() {
                    let from = rng.below(other.len());
                    let n = 1 + rng.below((other.len() - from).min(64));
                    let at = rng.below(len + 1);
                    out.splice(at..at, other[from..from + n].iter().copied());
                }
            }
            6 if len > 0 => {
                // An interesting integer as a protobuf varint, written over the input.
                let mut varint = Vec::new();
                prost::encoding::encode_varint(*rng.pick(INTERESTING), &mut varint);
                let i = rng.below(len);
                let end = (i + varint.len()).min(len);
                out.splice(i..end, varint);
            }
            7 if len > 0 => out.truncate(rng.below(len)),
            _ => {
                let i = rng.below(len + 1);
                out.insert(i, rng.next_u64() as u8);
            }
        }
    }
    out
}

/// Inputs for `target`: `OPENLEDGER_FUZZ_INPUTS_<TARGET>` (upper case), else
/// `OPENLEDGER_FUZZ_INPUTS`, else `default`.
pub fn budget(target: &str, default: u64) -> u64 {
    [
        format!("OPENLEDGER_FUZZ_INPUTS_{}", target.to_uppercase()),
        "OPENLEDGER_FUZZ_INPUTS".into(),
    ]
    .iter()
    .find_map(|name| std::env::var(name).ok()?.parse().ok())
    .unwrap_or(default)
}

pub fn seed() -> u64 {
    std::env::var("OPENLEDGER_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x09e7_1ed6)
}

/// Longest one input may take before it counts as a hang.
pub const SLOW: Duration = Duration::from_secs(10);

/// What a target's inputs came to, by the outcome names the target gives.
#[derive(Debug, Default)]
pub struct Report {
    pub inputs: u64,
    pub outcomes: BTreeMap<String, u64>,
    pub slowest: Duration,
    pub elapsed: Duration,
}

impl Report {
    pub fn print(&self, target: &str) {
        let rate = self.inputs as f64 / self.elapsed.as_secs_f64().max(1e-9);
        eprintln!(
            "fuzz {target}: {} inputs in {:.1?} ({rate:.0}/s), slowest {:.1?}, outcomes {:?}",
            self.inputs, self.elapsed, self.slowest, self.outcomes
        );
    }
}

/// Feed `inputs` inputs from `generate` to `run`; `run` names each input's outcome. A panic
/// or an input slower than [`SLOW`] fails the test with the seed, the index and the input,
/// which is also written to `target/fuzz-failures/<target>-<seed>-<i>.bin`.
pub fn fuzz<I, G, R>(target: &str, inputs: u64, mut generate: G, mut run: R) -> Report
where
    I: AsRef<[u8]>,
    G: FnMut(&mut Rng) -> I,
    R: FnMut(&I) -> String,
{
    let seed = seed();
    let mut rng = Rng::new(seed ^ fxhash(target));
    let mut report = Report::default();
    let started = Instant::now();
    for i in 0..inputs {
        let input = generate(&mut rng);
        let t = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| run(&input)));
        let took = t.elapsed();
        report.slowest = report.slowest.max(took);
        match outcome {
            Ok(name) if took <= SLOW => *report.outcomes.entry(name).or_default() += 1,
            Ok(_) => fail(target, seed, i, input.as_ref(), &format!("took {took:?}")),
            Err(panic) => {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                fail(
                    target,
                    seed,
                    i,
                    input.as_ref(),
                    &format!("panicked: {message}"),
                )
            }
        }
        report.inputs += 1;
    }
    report.elapsed = started.elapsed();
    report.print(target);
    report
}

fn fxhash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

fn fail(target: &str, seed: u64, index: u64, input: &[u8], what: &str) -> ! {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/fuzz-failures");
    let path = dir.join(format!("{target}-{seed}-{index}.bin"));
    let saved = std::fs::create_dir_all(&dir)
        .and_then(|_| std::fs::write(&path, input))
        .map(|_| path.display().to_string())
        .unwrap_or_else(|e| format!("(not saved: {e})"));
    let shown: String = hex::encode(&input[..input.len().min(512)]);
    panic!(
        "fuzz {target}: input {index} {what}\n  reproduce: OPENLEDGER_FUZZ_SEED={seed} \
         OPENLEDGER_FUZZ_INPUTS={} (input saved to {saved})\n  input (hex, first 512 bytes): {shown}",
        index + 1
    );
}
