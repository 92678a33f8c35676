//! Llama-architecture hyper-parameters and weights as stored in GGUF (quantised blocks kept as
//! bytes; each backend decides how to run them).

use std::sync::Arc;

use crate::error::LlmError;
use crate::llm::ggml::{self, GgmlType};
use crate::llm::gguf::{self, Gguf, MetaValue};
use crate::rng::SplitMix64;

/// Hyper-parameters of a llama-architecture decoder.
#[derive(Clone, Debug, PartialEq)]
pub struct LlamaConfig {
    /// Vocabulary size.
    pub vocab: usize,
    /// Model width (`embedding_length`).
    pub dim: usize,
    /// FFN hidden width (`feed_forward_length`).
    pub ffn: usize,
    /// Number of blocks.
    pub n_layers: usize,
    /// Query heads.
    pub n_heads: usize,
    /// Key/value heads (grouped-query attention).
    pub n_kv_heads: usize,
    /// RoPE base frequency.
    pub rope_base: f32,
    /// RMSNorm epsilon.
    pub norm_eps: f32,
    /// Trained context length.
    pub context: usize,
}

impl LlamaConfig {
    /// Width of one head.
    pub fn head_dim(&self) -> usize {
        self.dim / self.n_heads
    }

    /// Width of the K and V projections.
    pub fn kv_dim(&self) -> usize {
        self.n_kv_heads * self.head_dim()
    }

    /// Checks the shape constraints the kernels rely on.
    pub fn validate(&self) -> Result<(), LlmError> {
        let bad = |r: String| Err(LlmError::Model(r));
        if self.n_heads == 0 || self.n_kv_heads == 0 || self.n_layers == 0 || self.vocab == 0 {
            return bad(format!("empty dimension in {self:?}"));
        }
        if !self.dim.is_multiple_of(self.n_heads) || !self.n_heads.is_multiple_of(self.n_kv_heads) {
            return bad(format!("heads do not divide: {self:?}"));
        }
        if !self.head_dim().is_multiple_of(2) || self.head_dim() > 256 {
            return bad(format!(
                "head_dim {} must be even and ≤ 256",
                self.head_dim()
            ));
        }
        Ok(())
    }

    fn from_gguf(g: &Gguf) -> Result<Self, LlmError> {
        let arch = g
            .get("general.architecture")
            .and_then(MetaValue::as_str)
            .ok_or_else(|| LlmError::Model("general.architecture missing".into()))?;
        if arch != "llama" {
            return Err(LlmError::Model(format!(
                "architecture {arch:?} is not llama"
            )));
        }
        let num = |k: &str| {
            g.get(&format!("llama.{k}"))
                .and_then(MetaValue::as_f64)
                .ok_or_else(|| LlmError::Model(format!("llama.{k} missing")))
        };
        let int = |k: &str| num(k).map(|v| v as usize);
        let vocab = match g.get("tokenizer.ggml.tokens").and_then(MetaValue::as_array) {
            Some(t) => t.len(),
            None => int("vocab_size")?,
        };
        let n_heads = int("attention.head_count")?;
        let cfg = Self {
            vocab,
            dim: int("embedding_length")?,
            ffn: int("feed_forward_length")?,
            n_layers: int("block_count")?,
            n_heads,
            n_kv_heads: int("attention.head_count_kv").unwrap_or(n_heads),
            rope_base: num("rope.freq_base").unwrap_or(10_000.0) as f32,
            norm_eps: num("attention.layer_norm_rms_epsilon")? as f32,
            context: int("context_length")?,
        };
        cfg.validate()?;
        Ok(cfg)
    }
}

/// A 2-D weight `rows × cols` (`cols` contiguous) in its stored encoding.
#[derive(Clone, Debug)]
pub struct QTensor {
    /// Encoding.
    pub ty: GgmlType,
    /// Output features.
    pub rows: usize,
    /// Input features (row length).
    pub cols: usize,
    /// Raw blocks, row-major.
    pub data: Arc<[u8]>,
}

impl QTensor {
    /// Quantises an f32 `rows × cols` matrix.
    pub fn quantize(ty: GgmlType, rows: usize, cols: usize, x: &[f32]) -> Self {
        Self {
            ty,
            rows,
            cols,
            data: ggml::quantize(ty, x).into(),
        }
    }

    /// Dequantised f32 copy, row-major.
    pub fn to_f32(&self) -> Vec<f32> {
        ggml::dequantize(self.ty, &self.data)
    }

    /// Dequantised row `r`.
    pub fn row_f32(&self, r: usize) -> Vec<f32> {
        let rb = self.ty.row_bytes(self.cols as u64) as usize;
        ggml::dequantize(self.ty, &self.data[r * rb..(r + 1) * rb])
    }
}

/// The linear projections of a block that LoRA can target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Proj {
    /// `attn_q`.
    Q,
    /// `attn_k`.
    K,
    /// `attn_v`.
    V,
    /// `attn_output`.
    O,
    /// `ffn_gate`.
    Gate,
    /// `ffn_up`.
    Up,
    /// `ffn_down`.
    Down,
}

impl Proj {
    /// All projections, in a fixed order.
    pub const ALL: [Proj; 7] = [
        Proj::Q,
        Proj::K,
        Proj::V,
        Proj::O,
        Proj::Gate,
        Proj::Up,
        Proj::Down,
    ];

    /// Index in [`Proj::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// From the index in [`Proj::ALL`].
    pub fn from_index(i: usize) -> Option<Self> {
        Self::ALL.get(i).copied()
    }

    fn gguf_name(self) -> &'static str {
        match self {
            Proj::Q => "attn_q",
            Proj::K => "attn_k",
            Proj::V => "attn_v",
            Proj::O => "attn_output",
            Proj::Gate => "ffn_gate",
            Proj::Up => "ffn_up",
            Proj::Down => "ffn_down",
        }
    }
}

/// One transformer block.
#[derive(Clone, Debug)]
pub struct Layer {
    /// RMSNorm weight before attention.
    pub attn_norm: Vec<f32>,
    /// Projections indexed by [`Proj::index`].
    pub proj: [QTensor; 7],
    /// RMSNorm weight before the FFN.
    pub ffn_norm: Vec<f32>,
}

impl Layer {
    /// A projection.
    pub fn w(&self, p: Proj) -> &QTensor {
        &self.proj[p.index()]
    }
}

/// All weights of a llama decoder.
#[derive(Clone, Debug)]
pub struct LlamaWeights {
    /// Hyper-parameters.
    pub config: LlamaConfig,
    /// Token embeddings, `vocab × dim`.
    pub tok_embd: QTensor,
    /// Blocks.
    pub layers: Vec<Layer>,
    /// Final RMSNorm weight.
    pub output_norm: Vec<f32>,
    /// LM head, `vocab × dim`; `None` when tied to `tok_embd` (SmolLM2).
    pub output: Option<QTensor>,
}

impl LlamaWeights {
    /// Loads weights and hyper-parameters from a parsed GGUF file.
    pub fn from_gguf(g: &Gguf) -> Result<Self, LlmError> {
        let config = LlamaConfig::from_gguf(g)?;
        let c = &config;
        let get = |name: &str, rows: usize, cols: usize| -> Result<QTensor, LlmError> {
            let t = g
                .tensor(name)
                .ok_or_else(|| LlmError::Model(format!("tensor {name} missing")))?;
            if t.dims != [cols as u64, rows as u64] {
                return Err(LlmError::Model(format!(
                    "tensor {name} has dims {:?}, expected [{cols}, {rows}]",
                    t.dims
                )));
            }
            // Blocks never straddle rows (row slicing and the GPU kernels rely on it).
            if !(cols as u64).is_multiple_of(t.ty.block_len()) {
                return Err(LlmError::Model(format!(
                    "tensor {name}: rows of {cols} elements are not whole {:?} blocks",
                    t.ty
                )));
            }
            Ok(QTensor {
                ty: t.ty,
                rows,
                cols,
                data: g.tensor_data(t).into(),
            })
        };
        let vec = |name: &str, n: usize| -> Result<Vec<f32>, LlmError> {
            let t = g
                .tensor(name)
                .ok_or_else(|| LlmError::Model(format!("tensor {name} missing")))?;
            if t.n_elements() != n as u64 {
                return Err(LlmError::Model(format!(
                    "tensor {name}: {:?}, expected [{n}]",
                    t.dims
                )));
            }
            Ok(ggml::dequantize(t.ty, g.tensor_data(t)))
        };
        let (d, f, kv) = (c.dim, c.ffn, c.kv_dim());
        let mut layers = Vec::with_capacity(c.n_layers);
        for i in 0..c.n_layers {
            let shape = |p: Proj| match p {
                Proj::Q | Proj::O => (d, d),
                Proj::K | Proj::V => (kv, d),
                Proj::Gate | Proj::Up => (f, d),
                Proj::Down => (d, f),
            };
            let mut proj = Vec::with_capacity(7);
            for p in Proj::ALL {
                let (r, cl) = shape(p);
                proj.push(get(&format!("blk.{i}.{}.weight", p.gguf_name()), r, cl)?);
            }
            let proj: [QTensor; 7] = proj
                .try_into()
                .map_err(|_| LlmError::Model("projection count".into()))?;
            layers.push(Layer {
                attn_norm: vec(&format!("blk.{i}.attn_norm.weight"), d)?,
                proj,
                ffn_norm: vec(&format!("blk.{i}.ffn_norm.weight"), d)?,
            });
        }
        let output = match g.tensor("output.weight") {
            Some(_) => Some(get("output.weight", c.vocab, d)?),
            None => None,
        };
        Ok(Self {
            tok_embd: get("token_embd.weight", c.vocab, d)?,
            output_norm: vec("output_norm.weight", d)?,
            output,
            layers,
            config,
        })
    }

    /// The LM head (the embedding matrix when tied).
    pub fn lm_head(&self) -> &QTensor {
        self.output.as_ref().unwrap_or(&self.tok_embd)
    }

    /// Seeded random weights for tests and benches: projections uniform in ±1/√cols stored as
    /// `ty`, norm weights near 1, tied LM head.
    pub fn synthetic(config: LlamaConfig, ty: GgmlType, seed: u64) -> Result<Self, LlmError> {
        config.validate()?;
        let c = &config;
        let mut rng = SplitMix64::new(seed);
        let mut mat = |rows: usize, cols: usize, t: GgmlType| {
            let s = 1.0 / (cols as f32).sqrt();
            let x: Vec<f32> = (0..rows * cols).map(|_| rng.unit_f32() * s).collect();
            QTensor::quantize(t, rows, cols, &x)
        };
        let (d, f, kv) = (c.dim, c.ffn, c.kv_dim());
        let mut layers = Vec::new();
        for _ in 0..c.n_layers {
            let proj = [
                mat(d, d, ty),
                mat(kv, d, ty),
                mat(kv, d, ty),
                mat(d, d, ty),
                mat(f, d, ty),
                mat(f, d, ty),
                mat(d, f, ty),
            ];
            layers.push(Layer {
                attn_norm: Vec::new(),
                proj,
                ffn_norm: Vec::new(),
            });
        }
        // Embeddings of unit-ish scale so activations are not vanishingly small.
        let emb = {
            let x: Vec<f32> = (0..c.vocab * d).map(|_| rng.unit_f32()).collect();
            QTensor::quantize(GgmlType::Q8_0, c.vocab, d, &x)
        };
        let mut norm = |n: usize| {
            (0..n)
                .map(|_| 1.0 + 0.2 * rng.unit_f32())
                .collect::<Vec<f32>>()
        };
        for l in &mut layers {
            l.attn_norm = norm(d);
            l.ffn_norm = norm(d);
        }
        Ok(Self {
            output_norm: norm(d),
            tok_embd: emb,
            output: None,
            layers,
            config,
        })
    }

    /// The weights as a GGUF v3 file image (llama metadata, no tokenizer), e.g. to exercise the
    /// loader on synthetic models.
    pub fn to_gguf_bytes(&self) -> Vec<u8> {
        let c = &self.config;
        let u = |v: usize| MetaValue::U32(v as u32);
        let meta = vec![
            (
                "general.architecture".to_string(),
                MetaValue::String("llama".into()),
            ),
            ("llama.vocab_size".into(), u(c.vocab)),
            ("llama.embedding_length".into(), u(c.dim)),
            ("llama.feed_forward_length".into(), u(c.ffn)),
            ("llama.block_count".into(), u(c.n_layers)),
            ("llama.attention.head_count".into(), u(c.n_heads)),
            ("llama.attention.head_count_kv".into(), u(c.n_kv_heads)),
            ("llama.rope.freq_base".into(), MetaValue::F32(c.rope_base)),
            (
                "llama.attention.layer_norm_rms_epsilon".into(),
                MetaValue::F32(c.norm_eps),
            ),
            ("llama.context_length".into(), u(c.context)),
        ];
        let mut ts = Vec::new();
        let qt = |name: String, t: &QTensor| {
            (
                name,
                vec![t.cols as u64, t.rows as u64],
                t.ty,
                t.data.to_vec(),
            )
        };
        let vt = |name: String, v: &[f32]| {
            (
                name,
                vec![v.len() as u64],
                GgmlType::F32,
                ggml::quantize(GgmlType::F32, v),
            )
        };
        ts.push(qt("token_embd.weight".into(), &self.tok_embd));
        for (i, l) in self.layers.iter().enumerate() {
            ts.push(vt(format!("blk.{i}.attn_norm.weight"), &l.attn_norm));
            ts.push(vt(format!("blk.{i}.ffn_norm.weight"), &l.ffn_norm));
            for p in Proj::ALL {
                ts.push(qt(format!("blk.{i}.{}.weight", p.gguf_name()), l.w(p)));
            }
        }
        ts.push(vt("output_norm.weight".into(), &self.output_norm));
        if let Some(o) = &self.output {
            ts.push(qt("output.weight".into(), o));
        }
        gguf::write(&meta, &ts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> LlamaConfig {
        LlamaConfig {
            vocab: 32,
            dim: 32,
            ffn: 64,
            n_layers: 1,
            n_heads: 2,
            n_kv_heads: 1,
            rope_base: 10_000.0,
            norm_eps: 1e-5,
            context: 16,
        }
    }

    #[test]
    fn loader_refuses_other_architectures_and_missing_tensors() {
        let w = LlamaWeights::synthetic(cfg(), GgmlType::Q8_0, 1).unwrap();
        let ok = Gguf::parse(w.to_gguf_bytes()).unwrap();
        assert!(LlamaWeights::from_gguf(&ok).is_ok());
        let mut meta: Vec<(String, MetaValue)> = ok
            .metadata
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let tensors: Vec<_> = ok
            .tensors
            .iter()
            .map(|t| {
                (
                    t.name.clone(),
                    t.dims.clone(),
                    t.ty,
                    ok.tensor_data(t).to_vec(),
                )
            })
            .collect();
        // Drop one projection.
        let missing: Vec<_> = tensors
            .iter()
            .filter(|t| t.0 != "blk.0.attn_k.weight")
            .cloned()
            .collect();
        let e = LlamaWeights::from_gguf(&Gguf::parse(gguf::write(&meta, &missing)).unwrap());
        assert!(matches!(e, Err(LlmError::Model(m)) if m.contains("blk.0.attn_k.weight")));
        // Another architecture.
        for (k, v) in &mut meta {
            if k == "general.architecture" {
                *v = MetaValue::String("gpt2".into());
            }
        }
        let e = LlamaWeights::from_gguf(&Gguf::parse(gguf::write(&meta, &tensors)).unwrap());
        assert!(matches!(e, Err(LlmError::Model(m)) if m.contains("gpt2")));
        // Heads that do not divide the width.
        let mut bad = cfg();
        bad.n_heads = 3;
        assert!(LlamaWeights::synthetic(bad, GgmlType::F32, 1).is_err());
    }
}
