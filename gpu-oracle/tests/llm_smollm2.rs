//! Acceptance tests on the real SmolLM2-135M-Instruct Q4_1 GGUF (issue 6, inference).
//!
//! The model is never downloaded here: `scripts/fetch-models.sh` caches it (SHA-256 pinned) and
//! these tests read `$OPENLEDGER_SMOLLM2_GGUF` or the cache path it prints. A missing file FAILS
//! the tests (a skipped test would hide a broken setup) unless `GPU_ORACLE_SKIP_MODEL_TESTS=1`.
//! Kept small for lavapipe on 2 cores: one greedy decode of a few tokens per backend and two
//! prefill passes.

mod common;

use std::ops::ControlFlow;
use std::sync::OnceLock;
use std::time::Instant;

use gpu_oracle::llm::ggml::{self, GgmlType};
use gpu_oracle::llm::gguf::{Gguf, MetaValue};
use gpu_oracle::llm::gpu::LlmKernels;
use gpu_oracle::llm::tokenizer::TextStream;
use gpu_oracle::llm::{
    generate, smollm2_gguf_path, verify, CpuDecoder, Decoder, FastDecoder, GenerateOptions,
    GpuDecoder, LlamaWeights, Sampling, Tokenizer,
};

struct Model {
    gguf: Gguf,
    weights: LlamaWeights,
    tok: Tokenizer,
}

fn model() -> Option<&'static Model> {
    static M: OnceLock<Option<Model>> = OnceLock::new();
    M.get_or_init(|| {
        if std::env::var("GPU_ORACLE_SKIP_MODEL_TESTS").is_ok_and(|v| v == "1") {
            eprintln!("SmolLM2 tests skipped (GPU_ORACLE_SKIP_MODEL_TESTS=1)");
            return None;
        }
        let path = smollm2_gguf_path();
        assert!(
            path.is_file(),
            "SmolLM2 GGUF not found at {}: run scripts/fetch-models.sh (or set \
             OPENLEDGER_SMOLLM2_GGUF; GPU_ORACLE_SKIP_MODEL_TESTS=1 skips these tests)",
            path.display()
        );
        let t = Instant::now();
        let gguf = Gguf::open(&path).expect("parse GGUF");
        let weights = LlamaWeights::from_gguf(&gguf).expect("llama weights");
        let tok = Tokenizer::from_gguf(&gguf).expect("tokenizer");
        eprintln!("loaded {} in {:.2?}", path.display(), t.elapsed());
        Some(Model { gguf, weights, tok })
    })
    .as_ref()
}

#[test]
fn smollm2_gguf_header_and_gpu_dequant_match_cpu() {
    let Some(m) = model() else { return };
    let g = &m.gguf;
    assert_eq!(g.version, 3);
    assert_eq!(g.tensors.len(), 272);
    assert_eq!(
        g.get("general.file_type").and_then(MetaValue::as_u64),
        Some(3)
    );
    let c = &m.weights.config;
    assert_eq!(
        (
            c.vocab,
            c.dim,
            c.ffn,
            c.n_layers,
            c.n_heads,
            c.n_kv_heads,
            c.context
        ),
        (49152, 576, 1536, 30, 9, 3, 8192)
    );
    assert_eq!(c.rope_base, 100_000.0);
    assert!(
        m.weights.output.is_none(),
        "SmolLM2 ties the LM head to the embeddings"
    );
    let count = |ty| g.tensors.iter().filter(|t| t.ty == ty).count();
    assert_eq!(
        (
            count(GgmlType::Q4_1),
            count(GgmlType::Q8_0),
            count(GgmlType::F32)
        ),
        (210, 1, 61)
    );

    let Some(gpu) = common::gpu() else { return };
    let k = LlmKernels::new(gpu.ctx).unwrap();
    // A whole Q4_1 projection and the first 2 048 rows of the Q8_0 embedding table.
    let down = g.tensor("blk.0.ffn_down.weight").unwrap();
    let emb = g.tensor("token_embd.weight").unwrap();
    let emb_rows = GgmlType::Q8_0.row_bytes(576) as usize * 2048;
    for (ty, data) in [
        (GgmlType::Q4_1, g.tensor_data(down)),
        (GgmlType::Q8_0, &g.tensor_data(emb)[..emb_rows]),
    ] {
        let cpu = ggml::dequantize(ty, data);
        let gpu_out = k.dequantize(gpu.ctx, ty, data).unwrap();
        assert_eq!(gpu_out.len(), cpu.len());
        let mismatches = gpu_out
            .iter()
            .zip(&cpu)
            .filter(|(a, b)| a.to_bits() != b.to_bits())
            .count();
        assert_eq!(
            mismatches, 0,
            "{ty:?}: GPU dequantisation differs from the CPU reference"
        );
        assert!(cpu.iter().any(|v| *v != 0.0));
    }
}

/// Expected ids come from Hugging Face `tokenizers` 0.23.3 (Python), built independently from
/// the same GGUF vocabulary and merges with SmolLM2's pre-tokenizer
/// (`Sequence[Digits(individual_digits=True), ByteLevel(add_prefix_space=False)]`) and the 17
/// control tokens as special tokens.
#[test]
fn smollm2_tokenizer_matches_hf_tokenizers_ids() {
    let Some(m) = model() else { return };
    let t = &m.tok;
    assert_eq!(t.vocab_size(), 49152);
    assert_eq!((t.bos, t.eos), (Some(1), Some(2)));
    let cases: &[(&str, &[u32])] = &[
        ("The capital of France is", &[504, 3575, 282, 4649, 314]),
        ("Hello, world!", &[19556, 28, 905, 17]),
        (
            "In 2024, it's 3.14159 degrees.",
            &[
                788, 216, 34, 32, 34, 36, 28, 357, 506, 216, 35, 30, 33, 36, 33, 37, 41, 5027, 30,
            ],
        ),
        (
            "  leading spaces\nand\n\nnewlines\t tabs",
            &[216, 2899, 5600, 198, 397, 198, 198, 2241, 5110, 197, 29416],
        ),
        (
            "naïve café — 東京 🚀",
            &[
                3546, 46494, 37366, 1841, 17097, 247, 126, 16736, 122, 15107, 244, 218,
            ],
        ),
        (
            "<|im_start|>user\nHi<|im_end|>\n",
            &[1, 4093, 198, 26843, 2, 198],
        ),
        ("don't I'LL we've", &[12420, 982, 339, 23, 16421, 392, 3543]),
        (" Paris", &[7042]),
    ];
    for (text, ids) in cases {
        assert_eq!(t.encode(text).unwrap(), *ids, "{text:?}");
        assert_eq!(t.decode(ids).unwrap(), *text, "round trip of {text:?}");
    }
    // The SmolLM2 chat template (default system prompt added), ids from the same reference.
    let chat = Tokenizer::smollm2_chat_prompt(&[("user", "What is the capital of France?")]);
    assert_eq!(
        t.encode(&chat).unwrap(),
        [
            1, 9690, 198, 2683, 359, 253, 5356, 5646, 11173, 3365, 3511, 308, 34519, 28, 7018, 411,
            407, 19712, 8182, 2, 198, 1, 4093, 198, 1780, 314, 260, 3575, 282, 4649, 47, 2, 198, 1,
            520, 9531, 198
        ]
    );
    // Streaming decode holds back the bytes of a character split across tokens (東 = æĿ±).
    let mut s = TextStream::default();
    let pieces: Vec<String> = [17097, 247, 126]
        .iter()
        .map(|&i| s.push(t, i).unwrap())
        .collect();
    assert_eq!(pieces, [" ", "", "東"]);
}

#[test]
fn smollm2_greedy_gpu_equals_cpu_reference_and_verifier_checks_it() {
    let Some(m) = model() else { return };
    let Some(g) = common::gpu() else { return };
    const NEW: usize = 4;
    let prompt = m.tok.encode("The capital of France is").unwrap();
    let opts = GenerateOptions {
        max_new_tokens: NEW,
        sampling: Sampling::GREEDY,
        stop_tokens: m.tok.eos.into_iter().collect(),
    };
    let ctx_len = prompt.len() + NEW + 1;

    let t = Instant::now();
    let mut gpu = GpuDecoder::new(g.ctx, &m.weights, ctx_len, 16).unwrap();
    let t_up = t.elapsed();
    let t = Instant::now();
    let mut streamed = String::new();
    let mut stream = TextStream::default();
    let gpu_out = generate(&mut gpu, &prompt, &opts, |id| {
        streamed.push_str(&stream.push(&m.tok, id).unwrap_or_default());
        ControlFlow::Continue(())
    })
    .unwrap();
    let t_gpu = t.elapsed();

    let t = Instant::now();
    let mut cpu = CpuDecoder::new(&m.weights, ctx_len).unwrap();
    let cpu_out = generate(&mut cpu, &prompt, &opts, |_| ControlFlow::Continue(())).unwrap();
    let t_cpu = t.elapsed();
    let text = m.tok.decode(&gpu_out).unwrap();
    eprintln!(
        "GPU {gpu_out:?} {text:?}; upload {t_up:.2?}, generate {t_gpu:.2?}; CPU reference \
         (load + generate) {t_cpu:.2?}"
    );
    assert_eq!(gpu_out, cpu_out, "wgpu and CPU reference disagree");
    assert!(text.contains("Paris"), "expected Paris in {text:?}");
    assert_eq!(streamed, text, "streamed pieces add up to the text");

    // The attester's check: one prefill pass, every output token in the top-k.
    let t = Instant::now();
    let v = verify(&mut gpu, &prompt, &gpu_out, 5).unwrap();
    eprintln!("verify {:.2?}: {:?}", t.elapsed(), v.checks);
    assert!(v.accepted, "{v:?}");
    assert!(
        v.checks.iter().all(|c| c.rank == 0),
        "greedy tokens are the argmax"
    );
    // Tamper: " Paris" → " banana" (an implausible continuation).
    let banana = m.tok.encode(" banana").unwrap();
    assert_eq!(banana.len(), 1);
    let paris = gpu_out
        .iter()
        .position(|&t| t == 7042)
        .expect("the output holds the token ' Paris'");
    let mut bad = gpu_out.clone();
    bad[paris] = banana[0];
    let v = verify(&mut gpu, &prompt, &bad, 5).unwrap();
    assert!(!v.accepted);
    assert_eq!(v.first_rejected, Some(paris));
    assert!(
        v.checks[paris].rank > 100,
        "' banana' ranks {}",
        v.checks[paris].rank
    );
}

/// Largest |fast − reference| logit allowed (absolute; SmolLM2's top logits are 15-35). Its
/// 8-bit activations move logits by up to 1.8 (measured on these prompts; with f32
/// activations the same kernels differ by 2e-4, so the rest is quantisation, spread over every
/// projection), so where the reference's best two tokens are closer than [`FAST_NEAR_TIE`] the
/// fast decoder may pick the other one.
const FAST_LOGIT_TOLERANCE: f32 = 2.5;
const FAST_NEAR_TIE: f32 = 1.0;

#[test]
fn smollm2_fast_decoder_greedy_equals_the_reference() {
    let Some(m) = model() else { return };
    let prompts = [
        "What is the capital of France?",
        "Name a colour of the sky.",
        "Write a haiku about the sea.",
        "List three prime numbers.",
    ];
    let new_tokens = 12;
    let (mut worst, mut equal, mut ties) = (0f32, 0, 0);
    for user in prompts {
        let prompt = Tokenizer::smollm2_chat_prompt(&[("user", user)]);
        let ids = m.tok.encode(&prompt).expect("encode");
        let ctx = ids.len() + new_tokens;
        let mut fast = FastDecoder::new(&m.weights, ctx).expect("fast decoder");
        let opts = GenerateOptions {
            max_new_tokens: new_tokens,
            sampling: Sampling::GREEDY,
            stop_tokens: Vec::new(),
        };
        let out =
            generate(&mut fast, &ids, &opts, |_| ControlFlow::Continue(())).expect("generate");
        assert_eq!(out.len(), new_tokens);
        // One reference prefill over prompt ‖ answer: its argmax at each position is the
        // reference's greedy choice after the same prefix.
        let mut seq = ids.clone();
        seq.extend_from_slice(&out[..new_tokens - 1]);
        let mut reference = CpuDecoder::new(&m.weights, ctx).expect("reference");
        let want = reference
            .forward(&seq, ids.len() - 1)
            .expect("reference prefill");
        // The fast prefill replays its own decode bit for bit (what attesters rely on).
        fast.reset();
        let got = fast.forward(&seq, ids.len() - 1).expect("fast prefill");
        let vocab = m.weights.config.vocab;
        let argmax =
            |v: &[f32]| (0..v.len()).fold(0, |b, j| if v[j] > v[b] { j } else { b }) as u32;
        for (i, &t) in out.iter().enumerate() {
            let (r, f) = (
                &want[i * vocab..(i + 1) * vocab],
                &got[i * vocab..(i + 1) * vocab],
            );
            assert_eq!(
                argmax(f),
                t,
                "{user:?} position {i}: prefill differs from decode"
            );
            let best = argmax(r);
            if best == t {
                equal += 1;
            } else {
                let margin = r[best as usize] - r[t as usize];
                eprintln!("{user:?} position {i}: near-tie by {margin}");
                assert!(
                    margin < FAST_NEAR_TIE,
                    "{user:?} position {i}: fast picks {t}, the reference {best} by {margin}"
                );
                ties += 1;
            }
            let err = r
                .iter()
                .zip(f)
                .map(|(a, b)| (a - b).abs())
                .fold(0f32, f32::max);
            worst = worst.max(err);
        }
        eprintln!("{user:?}: {:?}", m.tok.decode(&out).expect("decode"));
    }
    eprintln!(
        "fast vs reference: {equal} tokens equal, {ties} near-ties flipped, max |Δlogit| {worst}"
    );
    assert!(
        worst < FAST_LOGIT_TOLERANCE,
        "max |Δlogit| {worst} ≥ {FAST_LOGIT_TOLERANCE}"
    );
    assert!(
        worst > 0.0,
        "fast logits equal the reference's: activations not quantised?"
    );
    assert!(
        ties <= 8,
        "{ties} near-ties flipped in {} tokens",
        equal + ties
    );
}
