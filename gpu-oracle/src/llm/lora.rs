//! LoRA adapters applied unmerged (OpenLoRA-style: `y = W·x + scale·B·(A·x)`), their file
//! format, merging (for tests and export) and the LRU cache that loads them on demand.
//!
//! File format `OLLORA1` (all little-endian):
//! ```text
//! magic  b"OLLORA1\0"
//! u32    rank r           f32 scale (alpha / r, already divided)
//! u32    entry count
//! per entry: u32 layer, u32 projection (index in Proj::ALL: q k v o gate up down),
//!            u32 out, u32 in, f32 A[r × in] row-major, f32 B[out × r] row-major
//! ```

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use crate::error::LlmError;
use crate::llm::ggml::GgmlType;
use crate::llm::model::{LlamaConfig, LlamaWeights, Proj, QTensor};
use crate::rng::SplitMix64;

const MAGIC: &[u8; 8] = b"OLLORA1\0";

/// Low-rank factors of one projection: `ΔW = scale · B · A`.
#[derive(Clone, Debug, PartialEq)]
pub struct LoraPair {
    /// `r × in`.
    pub a: Vec<f32>,
    /// `out × r`.
    pub b: Vec<f32>,
    /// Output features.
    pub out: usize,
    /// Input features.
    pub inp: usize,
}

/// A LoRA adapter.
#[derive(Clone, Debug, PartialEq)]
pub struct LoraAdapter {
    /// Rank.
    pub rank: usize,
    /// Multiplier of `B·A` (alpha / rank).
    pub scale: f32,
    /// Factors per (layer, projection).
    pub entries: BTreeMap<(usize, Proj), LoraPair>,
}

impl LoraAdapter {
    /// Seeded random adapter on `targets` of every layer (for tests and benches).
    pub fn synthetic(
        cfg: &LlamaConfig,
        rank: usize,
        scale: f32,
        targets: &[Proj],
        seed: u64,
    ) -> Self {
        let mut rng = SplitMix64::new(seed);
        let mut entries = BTreeMap::new();
        for l in 0..cfg.n_layers {
            for &p in targets {
                let (out, inp) = proj_shape(cfg, p);
                let sa = 1.0 / (inp as f32).sqrt();
                let a = (0..rank * inp).map(|_| rng.unit_f32() * sa).collect();
                let b = (0..out * rank).map(|_| rng.unit_f32() * 0.5).collect();
                entries.insert((l, p), LoraPair { a, b, out, inp });
            }
        }
        Self {
            rank,
            scale,
            entries,
        }
    }

    /// Checks that every entry fits `cfg`.
    pub fn check(&self, cfg: &LlamaConfig, id: &str) -> Result<(), LlmError> {
        for (&(l, p), e) in &self.entries {
            let (out, inp) = proj_shape(cfg, p);
            if l >= cfg.n_layers || e.out != out || e.inp != inp {
                return Err(LlmError::Adapter {
                    id: id.into(),
                    reason: format!(
                        "entry ({l}, {p:?}) is {}×{}, model wants {out}×{inp} in {} layers",
                        e.out, e.inp, cfg.n_layers
                    ),
                });
            }
        }
        Ok(())
    }

    /// Serialises to the `OLLORA1` format.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut o = Vec::new();
        o.extend_from_slice(MAGIC);
        o.extend_from_slice(&(self.rank as u32).to_le_bytes());
        o.extend_from_slice(&self.scale.to_le_bytes());
        o.extend_from_slice(&(self.entries.len() as u32).to_le_bytes());
        for (&(l, p), e) in &self.entries {
            for v in [l, p.index(), e.out, e.inp] {
                o.extend_from_slice(&(v as u32).to_le_bytes());
            }
            o.extend(e.a.iter().chain(&e.b).flat_map(|x| x.to_le_bytes()));
        }
        o
    }

    /// Parses the `OLLORA1` format (`id` names the adapter in errors).
    pub fn from_bytes(bytes: &[u8], id: &str) -> Result<Self, LlmError> {
        struct R<'a> {
            b: &'a [u8],
            pos: usize,
            id: &'a str,
        }
        impl R<'_> {
            fn err(&self, r: String) -> LlmError {
                LlmError::Adapter {
                    id: self.id.into(),
                    reason: r,
                }
            }
            fn take(&mut self, n: usize) -> Result<&[u8], LlmError> {
                let end = self.pos.checked_add(n).filter(|&e| e <= self.b.len());
                let Some(end) = end else {
                    return Err(self.err(format!("truncated at byte {}", self.pos)));
                };
                let s = &self.b[self.pos..end];
                self.pos = end;
                Ok(s)
            }
            fn u32(&mut self) -> Result<usize, LlmError> {
                let s = self.take(4)?;
                Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as usize)
            }
            fn floats(&mut self, n: usize) -> Result<Vec<f32>, LlmError> {
                let nbytes = n
                    .checked_mul(4)
                    .ok_or_else(|| self.err("size overflow".into()))?;
                Ok(self
                    .take(nbytes)?
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect())
            }
        }
        let mut r = R {
            b: bytes,
            pos: 0,
            id,
        };
        if r.take(8)? != MAGIC {
            return Err(r.err("bad magic (not an OLLORA1 file)".into()));
        }
        let rank = r.u32()?;
        let scale = f32::from_bits(r.u32()? as u32);
        let n = r.u32()?;
        let mut entries = BTreeMap::new();
        for _ in 0..n {
            let l = r.u32()?;
            let pi = r.u32()?;
            let p = Proj::from_index(pi).ok_or_else(|| r.err(format!("projection index {pi}")))?;
            let out = r.u32()?;
            let inp = r.u32()?;
            let a = r.floats(rank.saturating_mul(inp))?;
            let b = r.floats(out.saturating_mul(rank))?;
            entries.insert((l, p), LoraPair { a, b, out, inp });
        }
        if rank == 0 && !entries.is_empty() {
            return Err(r.err("rank 0".into()));
        }
        Ok(Self {
            rank,
            scale,
            entries,
        })
    }

    /// Reads an `OLLORA1` file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, LlmError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| LlmError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_bytes(&bytes, &path.display().to_string())
    }

    /// `W + scale·B·A` for every target, stored as f32 (the merged model unmerged serving must
    /// match).
    pub fn merge_into(&self, w: &LlamaWeights) -> LlamaWeights {
        let mut out = w.clone();
        for (&(l, p), e) in &self.entries {
            let base = w.layers[l].w(p);
            let mut m = base.to_f32();
            for o in 0..e.out {
                for i in 0..e.inp {
                    let mut acc = 0f32;
                    for r in 0..self.rank {
                        acc += e.b[o * self.rank + r] * e.a[r * e.inp + i];
                    }
                    m[o * e.inp + i] += self.scale * acc;
                }
            }
            out.layers[l].proj[p.index()] = QTensor::quantize(GgmlType::F32, e.out, e.inp, &m);
        }
        out
    }
}

/// `(out, in)` of a projection.
pub fn proj_shape(cfg: &LlamaConfig, p: Proj) -> (usize, usize) {
    let (d, f, kv) = (cfg.dim, cfg.ffn, cfg.kv_dim());
    match p {
        Proj::Q | Proj::O => (d, d),
        Proj::K | Proj::V => (kv, d),
        Proj::Gate | Proj::Up => (f, d),
        Proj::Down => (d, f),
    }
}

/// A least-recently-used cache of loaded adapters (`V` is whatever a backend keeps: the
/// parsed adapter for the CPU, uploaded buffers for the GPU). Loading happens on a miss, and the
/// least recently used entry is evicted once `capacity` is exceeded.
#[derive(Debug)]
pub struct LruCache<V> {
    capacity: usize,
    /// Most recently used last.
    entries: Vec<(String, Arc<V>)>,
    loads: u64,
}

impl<V> LruCache<V> {
    /// A cache holding at most `capacity` (≥ 1) adapters.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            entries: Vec::new(),
            loads: 0,
        }
    }

    /// The adapter `id`, loading it with `load` on a miss.
    pub fn get_or_load(
        &mut self,
        id: &str,
        load: impl FnOnce(&str) -> Result<V, LlmError>,
    ) -> Result<Arc<V>, LlmError> {
        if let Some(i) = self.entries.iter().position(|(k, _)| k == id) {
            let e = self.entries.remove(i);
            let v = e.1.clone();
            self.entries.push(e);
            return Ok(v);
        }
        let v = Arc::new(load(id)?);
        self.loads += 1;
        self.entries.push((id.to_owned(), v.clone()));
        if self.entries.len() > self.capacity {
            self.entries.remove(0);
        }
        Ok(v)
    }

    /// Cached ids, least recently used first.
    pub fn ids(&self) -> Vec<&str> {
        self.entries.iter().map(|(k, _)| k.as_str()).collect()
    }

    /// Number of loads (misses) so far.
    pub fn loads(&self) -> u64 {
        self.loads
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> LlamaConfig {
        LlamaConfig {
            vocab: 64,
            dim: 32,
            ffn: 64,
            n_layers: 2,
            n_heads: 4,
            n_kv_heads: 2,
            rope_base: 10_000.0,
            norm_eps: 1e-5,
            context: 128,
        }
    }

    #[test]
    fn file_format_round_trips_and_rejects_garbage() {
        let a = LoraAdapter::synthetic(&cfg(), 4, 0.5, &[Proj::Q, Proj::Down], 1);
        let bytes = a.to_bytes();
        assert_eq!(LoraAdapter::from_bytes(&bytes, "x").unwrap(), a);
        assert!(LoraAdapter::from_bytes(&bytes[..bytes.len() - 1], "x").is_err());
        assert!(LoraAdapter::from_bytes(b"OLLORA2\0", "x").is_err());
        a.check(&cfg(), "x").unwrap();
        let mut small = cfg();
        small.ffn = 32;
        assert!(a.check(&small, "x").is_err());
    }

    #[test]
    fn lru_evicts_the_least_recently_used() {
        let mut c: LruCache<u32> = LruCache::new(2);
        let load = |id: &str| Ok(id.len() as u32);
        c.get_or_load("a", load).unwrap();
        c.get_or_load("bb", load).unwrap();
        c.get_or_load("a", load).unwrap(); // a is now the most recent
        c.get_or_load("ccc", load).unwrap(); // evicts bb
        assert_eq!(c.ids(), ["a", "ccc"]);
        assert_eq!(c.loads(), 3);
        c.get_or_load("bb", load).unwrap(); // reloads bb, evicts a
        assert_eq!((c.ids(), c.loads()), (vec!["ccc", "bb"], 4));
        let e = c.get_or_load("zz", |_| Err(LlmError::InvalidInput("nope".into())));
        assert!(e.is_err());
        assert_eq!(c.ids(), ["ccc", "bb"], "a failed load changes nothing");
    }
}
