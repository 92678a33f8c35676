//! The fast CPU decoder: weights stay quantised in memory, activations are quantised per block
//! and multiplied with the integer kernels of [`crate::llm::qdot`] (AVX2 when the CPU has it),
//! spread over the rayon pool by output rows. A forward pass of several tokens reads each weight
//! row once for all of them.
//!
//! *NOTE* - Its logits are a function of the weights and tokens only: the same bits whatever the
//! thread count, the instruction set, and however a sequence is cut into forward calls (every
//! token's row goes through the same operations in a prefill of 100 tokens as in 100 decode
//! steps), so an attester's prefill replay reproduces a gateway's decode exactly. They are close
//! to, not equal to, the f32 reference ([`crate::llm::cpu`]): activations are rounded to 8 bits.

use std::sync::Arc;

use rayon::prelude::*;

use crate::error::LlmError;
use crate::llm::cpu::rmsnorm;
use crate::llm::model::{LlamaConfig, LlamaWeights, Proj};
use crate::llm::qdot::{self, Act, Isa, PackedMat, QAct};
use crate::llm::Decoder;

/// Projections that read the same input, stacked when their encodings allow (Q/K/V and
/// gate/up): one pass over the rows and one hand-off to the pool instead of three or two.
enum Group {
    Stacked(PackedMat),
    Apart(Vec<PackedMat>),
}

impl Group {
    fn new(parts: Vec<PackedMat>) -> Self {
        let refs: Vec<&PackedMat> = parts.iter().collect();
        match PackedMat::stack(&refs) {
            Some(m) => Group::Stacked(m),
            None => Group::Apart(parts),
        }
    }
}

struct FastLayer {
    attn_norm: Vec<f32>,
    ffn_norm: Vec<f32>,
    qkv: Group,
    o: PackedMat,
    gate_up: Group,
    down: PackedMat,
}

/// The quantised weights of the fast decoder, shared by every [`FastDecoder`] made from them.
pub struct FastModel {
    cfg: LlamaConfig,
    isa: Isa,
    embd: PackedMat,
    /// `None` when tied to `embd`.
    head: Option<PackedMat>,
    output_norm: Vec<f32>,
    layers: Vec<FastLayer>,
}

impl FastModel {
    /// Repacks the weights; kernels use the best instruction set of this CPU.
    pub fn new(w: &LlamaWeights) -> Result<Self, LlmError> {
        Self::with_isa(w, Isa::detect())
    }

    /// Repacks the weights for kernels on `isa` (tests force [`Isa::Scalar`]; every `isa`
    /// gives the same logits).
    pub fn with_isa(w: &LlamaWeights, isa: Isa) -> Result<Self, LlmError> {
        w.config.validate()?;
        let c = &w.config;
        if !c.dim.is_multiple_of(crate::llm::ggml::QK)
            || !c.ffn.is_multiple_of(crate::llm::ggml::QK)
        {
            return Err(LlmError::Model(format!(
                "dim {} and ffn {} must be multiples of 32",
                c.dim, c.ffn
            )));
        }
        let mut layers = Vec::with_capacity(w.layers.len());
        for l in &w.layers {
            let pack = |ps: &[Proj]| -> Result<Vec<PackedMat>, LlmError> {
                ps.iter().map(|&p| PackedMat::new(l.w(p))).collect()
            };
            layers.push(FastLayer {
                attn_norm: l.attn_norm.clone(),
                ffn_norm: l.ffn_norm.clone(),
                qkv: Group::new(pack(&[Proj::Q, Proj::K, Proj::V])?),
                o: PackedMat::new(l.w(Proj::O))?,
                gate_up: Group::new(pack(&[Proj::Gate, Proj::Up])?),
                down: PackedMat::new(l.w(Proj::Down))?,
            });
        }
        Ok(Self {
            cfg: w.config.clone(),
            isa,
            embd: PackedMat::new(&w.tok_embd)?,
            head: w.output.as_ref().map(PackedMat::new).transpose()?,
            output_norm: w.output_norm.clone(),
            layers,
        })
    }

    /// Hyper-parameters.
    pub fn config(&self) -> &LlamaConfig {
        &self.cfg
    }

    /// The instruction set its kernels run with.
    pub fn isa(&self) -> Isa {
        self.isa
    }

    /// `y = W·x` for the `n` activations in `x` (`n × cols`; `qx` their quantised forms).
    fn project(&self, w: &PackedMat, x: &[f32], qx: &[QAct], y: &mut [f32]) {
        let acts: Vec<Act<'_>> = if w.wants_qact() {
            qx.iter().map(Act::Q).collect()
        } else {
            x.chunks_exact(w.cols).map(Act::F32).collect()
        };
        qdot::matmul(self.isa, w, &acts, y);
    }

    /// [`FastModel::project`] of each matrix of `g` into the matching `outs` (`n × rows` each).
    fn project_group(&self, g: &Group, x: &[f32], qx: &[QAct], outs: &mut [&mut [f32]]) {
        match g {
            Group::Apart(ms) => {
                for (m, y) in ms.iter().zip(outs.iter_mut()) {
                    self.project(m, x, qx, y);
                }
            }
            Group::Stacked(m) => {
                let n = qx.len().max(x.len() / m.cols);
                let mut y = vec![0f32; n * m.rows];
                self.project(m, x, qx, &mut y);
                let widths: Vec<usize> = outs.iter().map(|o| o.len() / n).collect();
                for (t, yt) in y.chunks_exact(m.rows).enumerate() {
                    let mut at = 0;
                    for (o, &wd) in outs.iter_mut().zip(&widths) {
                        o[t * wd..(t + 1) * wd].copy_from_slice(&yt[at..at + wd]);
                        at += wd;
                    }
                }
            }
        }
    }
}

/// `(sin, cos)` of each rotary pair at `pos`: the reference's expressions, computed once per
/// token instead of once per head and layer.
fn rope_table(pos: usize, head_dim: usize, base: f32) -> Vec<(f32, f32)> {
    (0..head_dim / 2)
        .map(|i| {
            let freq = base.powf(-2.0 * i as f32 / head_dim as f32);
            (pos as f32 * freq).sin_cos()
        })
        .collect()
}

fn rope(v: &mut [f32], head_dim: usize, table: &[(f32, f32)]) {
    for head in v.chunks_exact_mut(head_dim) {
        for (i, &(s, c)) in table.iter().enumerate() {
            let (a, b) = (head[2 * i], head[2 * i + 1]);
            head[2 * i] = a * c - b * s;
            head[2 * i + 1] = a * s + b * c;
        }
    }
}

fn quantize_rows(x: &[f32], cols: usize, out: &mut Vec<QAct>) {
    let n = x.len() / cols;
    out.resize_with(n, QAct::default);
    for (q, row) in out.iter_mut().zip(x.chunks_exact(cols)) {
        q.quantize(row);
    }
}

/// The fast CPU decoder: shared quantised weights and its own f32 KV cache.
pub struct FastDecoder {
    model: Arc<FastModel>,
    max_ctx: usize,
    /// Per layer: `[pos][kv_dim]`.
    k_cache: Vec<Vec<f32>>,
    v_cache: Vec<Vec<f32>>,
    pos: usize,
}

impl FastDecoder {
    /// Repacks the weights; the KV cache holds `max_ctx` positions.
    pub fn new(w: &LlamaWeights, max_ctx: usize) -> Result<Self, LlmError> {
        Ok(Self::with_model(Arc::new(FastModel::new(w)?), max_ctx))
    }

    /// A decoder over shared weights; the KV cache holds `max_ctx` positions.
    pub fn with_model(model: Arc<FastModel>, max_ctx: usize) -> Self {
        let (kv, layers) = (model.cfg.kv_dim(), model.cfg.n_layers);
        Self {
            model,
            max_ctx,
            k_cache: vec![vec![0.0; max_ctx * kv]; layers],
            v_cache: vec![vec![0.0; max_ctx * kv]; layers],
            pos: 0,
        }
    }
}

impl Decoder for FastDecoder {
    fn config(&self) -> &LlamaConfig {
        &self.model.cfg
    }

    fn reset(&mut self) {
        self.pos = 0;
    }

    fn position(&self) -> usize {
        self.pos
    }

    fn max_context(&self) -> usize {
        self.max_ctx
    }

    fn forward(&mut self, tokens: &[u32], logits_from: usize) -> Result<Vec<f32>, LlmError> {
        crate::llm::check_forward(self, tokens, logits_from)?;
        let n = tokens.len();
        if n == 0 {
            return Ok(Vec::new());
        }
        let model = Arc::clone(&self.model);
        let m = &*model;
        let c = &m.cfg;
        let (d, hd, kv, f) = (c.dim, c.head_dim(), c.kv_dim(), c.ffn);
        let (nh, group) = (c.n_heads, c.n_heads / c.n_kv_heads);
        let scale = 1.0 / (hd as f32).sqrt();
        let pos0 = self.pos;
        let mut x = vec![0f32; n * d];
        for (xt, &tok) in x.chunks_exact_mut(d).zip(tokens) {
            m.embd.row_f32(tok as usize, xt);
        }
        let tables: Vec<_> = (0..n)
            .map(|t| rope_table(pos0 + t, hd, c.rope_base))
            .collect();
        let (mut h, mut q, mut att, mut o) = (
            vec![0f32; n * d],
            vec![0f32; n * d],
            vec![0f32; n * d],
            vec![0f32; n * d],
        );
        let (mut k, mut v) = (vec![0f32; n * kv], vec![0f32; n * kv]);
        let (mut g, mut u) = (vec![0f32; n * f], vec![0f32; n * f]);
        let mut qa = Vec::new();
        for (l, layer) in m.layers.iter().enumerate() {
            for (xt, ht) in x.chunks_exact(d).zip(h.chunks_exact_mut(d)) {
                rmsnorm(xt, &layer.attn_norm, c.norm_eps, ht);
            }
            quantize_rows(&h, d, &mut qa);
            m.project_group(&layer.qkv, &h, &qa, &mut [&mut q, &mut k, &mut v]);
            for t in 0..n {
                rope(&mut q[t * d..(t + 1) * d], hd, &tables[t]);
                rope(&mut k[t * kv..(t + 1) * kv], hd, &tables[t]);
            }
            let span = pos0 * kv..(pos0 + n) * kv;
            self.k_cache[l][span.clone()].copy_from_slice(&k);
            self.v_cache[l][span].copy_from_slice(&v);
            let (kc, vc) = (&self.k_cache[l], &self.v_cache[l]);
            att.par_chunks_mut(hd).enumerate().for_each(|(i, out)| {
                let (t, head) = (i / nh, i % nh);
                let kvh = head / group;
                qdot::attention(
                    m.isa,
                    &q[t * d + head * hd..t * d + (head + 1) * hd],
                    kc,
                    vc,
                    kv,
                    kvh * hd,
                    pos0 + t + 1,
                    scale,
                    out,
                );
            });
            quantize_rows(&att, d, &mut qa);
            m.project(&layer.o, &att, &qa, &mut o);
            for (a, b) in x.iter_mut().zip(&o) {
                *a += b;
            }
            for (xt, ht) in x.chunks_exact(d).zip(h.chunks_exact_mut(d)) {
                rmsnorm(xt, &layer.ffn_norm, c.norm_eps, ht);
            }
            quantize_rows(&h, d, &mut qa);
            m.project_group(&layer.gate_up, &h, &qa, &mut [&mut g, &mut u]);
            for (gi, ui) in g.iter_mut().zip(&u) {
                let s = *gi / (1.0 + (-*gi).exp());
                *gi = s * ui;
            }
            quantize_rows(&g, f, &mut qa);
            m.project(&layer.down, &g, &qa, &mut o);
            for (a, b) in x.iter_mut().zip(&o) {
                *a += b;
            }
        }
        self.pos += n;
        let nl = n - logits_from;
        if nl == 0 {
            return Ok(Vec::new());
        }
        let mut hn = vec![0f32; nl * d];
        for (xt, ht) in x[logits_from * d..]
            .chunks_exact(d)
            .zip(hn.chunks_exact_mut(d))
        {
            rmsnorm(xt, &m.output_norm, c.norm_eps, ht);
        }
        quantize_rows(&hn, d, &mut qa);
        let head = m.head.as_ref().unwrap_or(&m.embd);
        let mut logits = vec![0f32; nl * c.vocab];
        m.project(head, &hn, &qa, &mut logits);
        Ok(logits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::ggml::GgmlType;
    use crate::llm::CpuDecoder;

    fn cfg() -> LlamaConfig {
        LlamaConfig {
            vocab: 96,
            dim: 64,
            ffn: 160,
            n_layers: 2,
            n_heads: 4,
            n_kv_heads: 2,
            rope_base: 10_000.0,
            norm_eps: 1e-5,
            context: 32,
        }
    }

    const TOKENS: [u32; 9] = [5, 17, 3, 88, 41, 0, 95, 17, 60];

    fn bits(v: &[f32]) -> Vec<u32> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    /// Logits of every position of `TOKENS`, fed in pieces of `chunk` tokens.
    fn logits(model: &Arc<FastModel>, chunk: usize) -> Vec<f32> {
        let mut dec = FastDecoder::with_model(Arc::clone(model), TOKENS.len());
        let mut out = Vec::new();
        for piece in TOKENS.chunks(chunk) {
            out.extend(dec.forward(piece, 0).unwrap());
        }
        out
    }

    #[test]
    fn logits_are_the_same_bits_for_any_threads_isa_and_chunking() {
        for ty in [
            GgmlType::Q4_0,
            GgmlType::Q4_1,
            GgmlType::Q8_0,
            GgmlType::F16,
        ] {
            let w = LlamaWeights::synthetic(cfg(), ty, 4).unwrap();
            let simd = Arc::new(FastModel::new(&w).unwrap());
            let scalar = Arc::new(FastModel::with_isa(&w, Isa::Scalar).unwrap());
            let one = rayon::ThreadPoolBuilder::new()
                .num_threads(1)
                .build()
                .unwrap();
            let want = bits(&one.install(|| logits(&scalar, 1)));
            assert_eq!(want.len(), TOKENS.len() * 96);
            let three = rayon::ThreadPoolBuilder::new()
                .num_threads(3)
                .build()
                .unwrap();
            for chunk in [1, 4, TOKENS.len()] {
                for m in [&simd, &scalar] {
                    assert_eq!(
                        bits(&three.install(|| logits(m, chunk))),
                        want,
                        "{ty:?} chunk {chunk} {:?}",
                        m.isa()
                    );
                    assert_eq!(
                        bits(&one.install(|| logits(m, chunk))),
                        want,
                        "{ty:?} chunk {chunk}"
                    );
                }
            }
        }
    }

    #[test]
    fn logits_are_close_to_the_f32_reference_and_reset_restarts() {
        for ty in [GgmlType::Q4_1, GgmlType::Q8_0, GgmlType::F32] {
            let w = LlamaWeights::synthetic(cfg(), ty, 8).unwrap();
            let mut fast = FastDecoder::new(&w, 16).unwrap();
            let mut reference = CpuDecoder::new(&w, 16).unwrap();
            let a = fast.forward(&TOKENS, 2).unwrap();
            let b = reference.forward(&TOKENS, 2).unwrap();
            assert_eq!(a.len(), b.len());
            let spread = b.iter().fold(0f32, |m, v| m.max(v.abs()));
            let err = a
                .iter()
                .zip(&b)
                .map(|(x, y)| (x - y).abs())
                .fold(0f32, f32::max);
            // 8-bit activations: a few percent of the logit range, never more.
            assert!(
                err < 0.05 * spread,
                "{ty:?}: max |Δ| {err}, max |logit| {spread}"
            );
            assert!(
                ty == GgmlType::F32 || err > 0.0,
                "{ty:?}: activations not quantised?"
            );
            assert_eq!(fast.position(), TOKENS.len());
            fast.reset();
            assert_eq!(bits(&fast.forward(&TOKENS, 2).unwrap()), bits(&a));
            // Past the cache, and a token outside the vocabulary: errors, not panics.
            assert!(fast.forward(&TOKENS, 0).is_err());
            fast.reset();
            assert!(fast.forward(&[96], 0).is_err());
            assert!(fast.forward(&[1, 2], 3).is_err());
            assert_eq!(fast.forward(&[], 0).unwrap(), Vec::<f32>::new());
        }
    }
}
