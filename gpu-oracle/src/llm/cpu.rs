//! CPU reference decoder: plain Rust f32, fixed loop order, no SIMD intrinsics, written to be
//! read. Weights are dequantised once with [`crate::llm::ggml::dequantize`] (the same values
//! the WGSL dequantisers produce bit for bit), so GPU/CPU differences come only from float
//! reduction order and transcendental functions.

use std::sync::Arc;

use crate::error::LlmError;
use crate::llm::lora::LoraAdapter;
use crate::llm::model::{LlamaConfig, LlamaWeights, Proj};
use crate::llm::Decoder;

struct Mat {
    rows: usize,
    cols: usize,
    w: Vec<f32>,
}

impl Mat {
    /// `y[r] (+)= Σ_c w[r][c]·x[c]`.
    fn matvec(&self, x: &[f32], y: &mut [f32], accumulate: bool) {
        for (r, yr) in y.iter_mut().enumerate().take(self.rows) {
            let row = &self.w[r * self.cols..(r + 1) * self.cols];
            let mut acc = 0f32;
            for (a, b) in row.iter().zip(x) {
                acc += a * b;
            }
            *yr = if accumulate { *yr + acc } else { acc };
        }
    }
}

struct CpuLayer {
    attn_norm: Vec<f32>,
    ffn_norm: Vec<f32>,
    proj: Vec<Mat>,
}

/// The dequantised weights of the CPU reference decoder, shared by every [`CpuDecoder`] made
/// from them (one copy per model, however many sequences are served at once).
pub struct CpuModel {
    cfg: LlamaConfig,
    embd: Mat,
    /// `None` when tied to `embd`.
    head: Option<Mat>,
    output_norm: Vec<f32>,
    layers: Vec<CpuLayer>,
}

impl CpuModel {
    /// Dequantises the weights.
    pub fn new(w: &LlamaWeights) -> Result<Self, LlmError> {
        w.config.validate()?;
        let mat = |t: &crate::llm::model::QTensor| Mat {
            rows: t.rows,
            cols: t.cols,
            w: t.to_f32(),
        };
        let layers = w
            .layers
            .iter()
            .map(|l| CpuLayer {
                attn_norm: l.attn_norm.clone(),
                ffn_norm: l.ffn_norm.clone(),
                proj: l.proj.iter().map(mat).collect(),
            })
            .collect();
        Ok(Self {
            cfg: w.config.clone(),
            embd: mat(&w.tok_embd),
            head: w.output.as_ref().map(mat),
            output_norm: w.output_norm.clone(),
            layers,
        })
    }

    /// Hyper-parameters.
    pub fn config(&self) -> &LlamaConfig {
        &self.cfg
    }
}

/// The CPU reference decoder: shared weights and its own KV cache.
pub struct CpuDecoder {
    model: Arc<CpuModel>,
    max_ctx: usize,
    /// Per layer: `[pos][kv_dim]`.
    k_cache: Vec<Vec<f32>>,
    v_cache: Vec<Vec<f32>>,
    pos: usize,
    adapter: Option<Arc<LoraAdapter>>,
}

pub(crate) fn rmsnorm(x: &[f32], w: &[f32], eps: f32, out: &mut [f32]) {
    let mut ss = 0f32;
    for v in x {
        ss += v * v;
    }
    let inv = 1.0 / (ss / x.len() as f32 + eps).sqrt();
    for i in 0..x.len() {
        out[i] = x[i] * inv * w[i];
    }
}

/// RoPE on adjacent pairs `(2i, 2i+1)` of each head (GGUF llama layout, ggml `rope` mode 0).
fn rope(v: &mut [f32], head_dim: usize, pos: usize, base: f32) {
    for head in v.chunks_exact_mut(head_dim) {
        for i in 0..head_dim / 2 {
            let freq = base.powf(-2.0 * i as f32 / head_dim as f32);
            let (s, c) = (pos as f32 * freq).sin_cos();
            let (a, b) = (head[2 * i], head[2 * i + 1]);
            head[2 * i] = a * c - b * s;
            head[2 * i + 1] = a * s + b * c;
        }
    }
}

impl CpuDecoder {
    /// Dequantises the weights; the KV cache holds `max_ctx` positions.
    pub fn new(w: &LlamaWeights, max_ctx: usize) -> Result<Self, LlmError> {
        Ok(Self::with_model(Arc::new(CpuModel::new(w)?), max_ctx))
    }

    /// A decoder over already dequantised weights; the KV cache holds `max_ctx` positions.
    pub fn with_model(model: Arc<CpuModel>, max_ctx: usize) -> Self {
        let (kv, layers) = (model.cfg.kv_dim(), model.cfg.n_layers);
        Self {
            model,
            max_ctx,
            k_cache: vec![vec![0.0; max_ctx * kv]; layers],
            v_cache: vec![vec![0.0; max_ctx * kv]; layers],
            pos: 0,
            adapter: None,
        }
    }

    /// Serves with `adapter` applied unmerged from now on (`None`: base model). Resets the KV
    /// cache, whose keys and values depend on the adapter.
    pub fn set_adapter(&mut self, adapter: Option<Arc<LoraAdapter>>) -> Result<(), LlmError> {
        if let Some(a) = &adapter {
            a.check(&self.model.cfg, "cpu")?;
        }
        self.adapter = adapter;
        self.reset();
        Ok(())
    }

    /// `y (+)= W_p·x`, plus `scale·B·(A·x)` when the adapter targets (layer, p).
    fn proj(&self, l: usize, p: Proj, x: &[f32], y: &mut [f32], accumulate: bool) {
        self.model.layers[l].proj[p.index()].matvec(x, y, accumulate);
        if let Some(e) = self
            .adapter
            .as_ref()
            .and_then(|a| a.entries.get(&(l, p)).map(|e| (a, e)))
        {
            let (a, e) = e;
            let r = a.rank;
            let mut t = vec![0f32; r];
            for (k, tk) in t.iter_mut().enumerate() {
                let mut acc = 0f32;
                for (a, xi) in e.a[k * e.inp..(k + 1) * e.inp].iter().zip(x) {
                    acc += a * xi;
                }
                *tk = acc;
            }
            for (o, yo) in y.iter_mut().enumerate().take(e.out) {
                let mut acc = 0f32;
                for (b, tk) in e.b[o * r..(o + 1) * r].iter().zip(&t) {
                    acc += b * tk;
                }
                *yo += a.scale * acc;
            }
        }
    }

    fn step(&mut self, token: u32, want_logits: bool) -> Result<Option<Vec<f32>>, LlmError> {
        let model = Arc::clone(&self.model);
        let c = &model.cfg;
        let (d, hd, kv) = (c.dim, c.head_dim(), c.kv_dim());
        let pos = self.pos;
        let tok = token as usize;
        let mut x = model.embd.w[tok * d..(tok + 1) * d].to_vec();
        let mut h = vec![0f32; d];
        let mut q = vec![0f32; d];
        let mut att = vec![0f32; d];
        let mut g = vec![0f32; c.ffn];
        let mut u = vec![0f32; c.ffn];
        let group = c.n_heads / c.n_kv_heads;
        let scale = 1.0 / (hd as f32).sqrt();
        for l in 0..c.n_layers {
            rmsnorm(&x, &model.layers[l].attn_norm, c.norm_eps, &mut h);
            self.proj(l, Proj::Q, &h, &mut q, false);
            let mut k = vec![0f32; kv];
            let mut v = vec![0f32; kv];
            self.proj(l, Proj::K, &h, &mut k, false);
            self.proj(l, Proj::V, &h, &mut v, false);
            rope(&mut q, hd, pos, c.rope_base);
            rope(&mut k, hd, pos, c.rope_base);
            self.k_cache[l][pos * kv..(pos + 1) * kv].copy_from_slice(&k);
            self.v_cache[l][pos * kv..(pos + 1) * kv].copy_from_slice(&v);
            for head in 0..c.n_heads {
                let kvh = head / group;
                let qh = &q[head * hd..(head + 1) * hd];
                let mut scores = Vec::with_capacity(pos + 1);
                for t in 0..=pos {
                    let kt = &self.k_cache[l][t * kv + kvh * hd..t * kv + (kvh + 1) * hd];
                    let mut s = 0f32;
                    for i in 0..hd {
                        s += qh[i] * kt[i];
                    }
                    scores.push(s * scale);
                }
                let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let mut sum = 0f32;
                for s in &mut scores {
                    *s = (*s - max).exp();
                    sum += *s;
                }
                let out = &mut att[head * hd..(head + 1) * hd];
                out.fill(0.0);
                for (t, s) in scores.iter().enumerate() {
                    let vt = &self.v_cache[l][t * kv + kvh * hd..t * kv + (kvh + 1) * hd];
                    for i in 0..hd {
                        out[i] += s / sum * vt[i];
                    }
                }
            }
            self.proj(l, Proj::O, &att, &mut x, true);
            rmsnorm(&x, &model.layers[l].ffn_norm, c.norm_eps, &mut h);
            self.proj(l, Proj::Gate, &h, &mut g, false);
            self.proj(l, Proj::Up, &h, &mut u, false);
            for i in 0..c.ffn {
                let s = g[i] / (1.0 + (-g[i]).exp());
                g[i] = s * u[i];
            }
            self.proj(l, Proj::Down, &g, &mut x, true);
        }
        self.pos += 1;
        if !want_logits {
            return Ok(None);
        }
        rmsnorm(&x, &model.output_norm, c.norm_eps, &mut h);
        let head = model.head.as_ref().unwrap_or(&model.embd);
        let mut logits = vec![0f32; c.vocab];
        head.matvec(&h, &mut logits, false);
        Ok(Some(logits))
    }
}

impl Decoder for CpuDecoder {
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
        let mut out = Vec::new();
        for (i, &t) in tokens.iter().enumerate() {
            if let Some(l) = self.step(t, i >= logits_from)? {
                out.extend(l);
            }
        }
        Ok(out)
    }
}
