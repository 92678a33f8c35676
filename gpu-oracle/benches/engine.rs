//! `scripts/bench-engine.sh` (or `cargo bench -p gpu-oracle --bench engine`): prefill and
//! single-stream decode tokens/s of the fast CPU decoder and of the f32 reference on the
//! SmolLM2-135M Q4_1 GGUF (or `$OPENLEDGER_SMOLLM2_GGUF`), all cores (`RAYON_NUM_THREADS` to
//! change). Prints one `key=value` line per figure for the script to read.
//!
//! Env: `BENCH_PROMPT_TOKENS` (default 128), `BENCH_DECODE_TOKENS` (default 64),
//! `BENCH_REFERENCE=0` skips the reference (about a minute).
#![allow(clippy::unwrap_used)]

use std::time::Instant;

use gpu_oracle::llm::gguf::Gguf;
use gpu_oracle::llm::qdot::Isa;
use gpu_oracle::llm::sample::argmax;
use gpu_oracle::llm::{smollm2_gguf_path, CpuDecoder, Decoder, FastDecoder, LlamaWeights};

fn env(key: &str, default: usize) -> usize {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// (prefill tok/s, decode tok/s): one forward over `prompt`, then `decode` greedy steps.
fn run(dec: &mut dyn Decoder, prompt: &[u32], decode: usize) -> (f64, f64) {
    dec.reset();
    let t = Instant::now();
    let logits = dec.forward(prompt, prompt.len() - 1).unwrap();
    let prefill = prompt.len() as f64 / t.elapsed().as_secs_f64();
    let mut tok = argmax(&logits);
    let t = Instant::now();
    for _ in 0..decode {
        tok = argmax(&dec.forward(&[tok], 0).unwrap());
    }
    (prefill, decode as f64 / t.elapsed().as_secs_f64())
}

fn main() {
    let path = smollm2_gguf_path();
    let gguf = Gguf::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let w = LlamaWeights::from_gguf(&gguf).unwrap();
    let (np, nd) = (
        env("BENCH_PROMPT_TOKENS", 128),
        env("BENCH_DECODE_TOKENS", 64),
    );
    // A fixed, in-vocabulary prompt: prefill cost does not depend on the ids.
    let prompt: Vec<u32> = (0..np as u32).map(|i| 1 + (i * 7919) % 49000).collect();
    println!("model={}", path.display());
    println!(
        "isa={:?} threads={}",
        Isa::detect(),
        rayon::current_num_threads()
    );
    println!("prompt_tokens={np} decode_tokens={nd}");
    let mut fast = FastDecoder::new(&w, np + nd + 1).unwrap();
    run(&mut fast, &prompt[..8], 4); // warm-up: pool threads, page-in
    let (p, d) = run(&mut fast, &prompt, nd);
    println!("ours_prefill_tok_s={p:.1}");
    println!("ours_decode_tok_s={d:.1}");
    if std::env::var("BENCH_REFERENCE").is_ok_and(|v| v == "0") {
        return;
    }
    let nr = np.min(32);
    let mut reference = CpuDecoder::new(&w, nr + 17).unwrap();
    let (p, d) = run(&mut reference, &prompt[..nr], 16);
    println!("reference_prefill_tok_s={p:.1}");
    println!("reference_decode_tok_s={d:.1}");
}
