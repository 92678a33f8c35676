//! `gradient_influence`: TracIn-style influence of training examples on a test output through
//! the LoRA parameters of a small model, made exact with int8 features (TracIn / LoGra-style
//! projection; integer dot products so the GPU equals the CPU bit for bit).
//!
//! Pipeline per example (train or test):
//! 1. per-example gradient of the LoRA parameters `(A, B)` of [`LoraLinear`] under squared error,
//!    in f32 with a fixed operation order and only `+ − × /` (IEEE-754 correctly rounded; Rust
//!    never contracts to FMA), so the same inputs give the same bits on every machine;
//! 2. int8 quantisation per parameter block (`A` and `B` separately, [`quant::quantize_f32`]);
//! 3. seeded Rademacher projection `P ∈ {−1, +1}^{k×p}` ([`projection_matrix`]) as an int8 GEMM
//!    on the GPU (== CPU reference), then integer requantisation to int8 features
//!    ([`quant::requantize_i32`]). Train features are computed once per (model, Datanet version)
//!    and can be committed by hash ([`GradientFeatures::features_hash`]);
//! 4. `v = Σ_test f_test`; `⟨v, f_i⟩` for every training row is an int8 GEMM (GPU == CPU), summed
//!    in i64. The [`Estimator`] turns these into influence scores:
//!    * [`Estimator::TracIn`]: `I(z_i) = ⟨v, f_i⟩` (single-checkpoint TracIn on projected
//!      gradients; features are normalised per example, so this is a cosine × 127²);
//!    * [`Estimator::DataInf`]: DataInf's closed form (Kwon et al., §2.4) on the features,
//!      `h = Σ_i [v − ⟨v,f_i⟩/(λ + ‖f_i‖²) · f_i]`, `I(z_k) = ⟨h, f_k⟩` (sign chosen so that
//!      positive = helpful; the positive factor `1/(nλ)` is dropped), `λ = ⌊Σ_i ‖f_i‖² / (10·n·k)⌋`
//!      (DataInf's `mean(g²)/10`), in exact integer fixed point (Q24, floor division).
//!
//! Only positive influence pays.

// Index loops spell out the fixed operation order that makes the f32 gradient reproducible.
#![allow(clippy::needless_range_loop)]

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use crate::attribution::compute::Compute;
use crate::attribution::result::{AttributionResult, ContributionRef, Method};
use crate::error::OracleError;
use crate::kernels::matmul_i8::PackedI8;
use crate::quant;
use crate::rng::{hash3, SplitMix64};

/// A frozen linear layer `W` with a LoRA adapter: `y = W x + s · B (A x)`.
#[derive(Clone, Debug, PartialEq)]
pub struct LoraLinear {
    /// Input width.
    pub d_in: usize,
    /// Output width.
    pub d_out: usize,
    /// LoRA rank.
    pub rank: usize,
    /// `d_out × d_in`, row-major (frozen).
    pub w: Vec<f32>,
    /// `rank × d_in`, row-major (trainable).
    pub a: Vec<f32>,
    /// `d_out × rank`, row-major (trainable).
    pub b: Vec<f32>,
    /// `α / r`.
    pub scale: f32,
}

impl LoraLinear {
    /// Synthetic weights from a seed (tests, benches): entries uniform in [−1, 1) scaled by
    /// `1/√fan_in`-like constants.
    pub fn seeded(d_in: usize, d_out: usize, rank: usize, seed: u64) -> Self {
        let mut rng = SplitMix64::new(seed);
        let mut fill = |n: usize, s: f32| (0..n).map(|_| rng.unit_f32() * s).collect::<Vec<_>>();
        let w = fill(d_out * d_in, 0.25);
        let a = fill(rank * d_in, 0.25);
        let b = fill(d_out * rank, 0.25);
        Self {
            d_in,
            d_out,
            rank,
            w,
            a,
            b,
            scale: 2.0,
        }
    }

    /// Number of LoRA parameters `rank · (d_in + d_out)`.
    pub fn num_params(&self) -> usize {
        self.rank * (self.d_in + self.d_out)
    }

    fn check(&self, x: &[f32], t: &[f32]) -> Result<(), OracleError> {
        if x.len() != self.d_in || t.len() != self.d_out {
            return Err(OracleError::InvalidInput(format!(
                "gradient_influence: example has x {} / target {}, model expects {} / {}",
                x.len(),
                t.len(),
                self.d_in,
                self.d_out
            )));
        }
        Ok(())
    }

    /// Per-example gradient of `½‖y − t‖²` w.r.t. `(A, B)`, as two blocks `(dA, dB)`
    /// (row-major like `a` and `b`). Fixed loop order; no FMA.
    pub fn lora_grad(&self, x: &[f32], t: &[f32]) -> Result<(Vec<f32>, Vec<f32>), OracleError> {
        self.check(x, t)?;
        let (d_in, d_out, r) = (self.d_in, self.d_out, self.rank);
        // h = A x
        let mut h = vec![0.0f32; r];
        for j in 0..r {
            let mut acc = 0.0f32;
            for i in 0..d_in {
                acc += self.a[j * d_in + i] * x[i];
            }
            h[j] = acc;
        }
        // e = W x + s·B h − t
        let mut e = vec![0.0f32; d_out];
        for o in 0..d_out {
            let mut base = 0.0f32;
            for i in 0..d_in {
                base += self.w[o * d_in + i] * x[i];
            }
            let mut lora = 0.0f32;
            for j in 0..r {
                lora += self.b[o * r + j] * h[j];
            }
            e[o] = base + self.scale * lora - t[o];
        }
        // dB[o][j] = s·e[o]·h[j]
        let mut db = vec![0.0f32; d_out * r];
        for o in 0..d_out {
            for j in 0..r {
                db[o * r + j] = self.scale * e[o] * h[j];
            }
        }
        // g_h[j] = s·Σ_o B[o][j]·e[o];  dA[j][i] = g_h[j]·x[i]
        let mut da = vec![0.0f32; r * d_in];
        for j in 0..r {
            let mut acc = 0.0f32;
            for o in 0..d_out {
                acc += self.b[o * r + j] * e[o];
            }
            let gh = self.scale * acc;
            for i in 0..d_in {
                da[j * d_in + i] = gh * x[i];
            }
        }
        Ok((da, db))
    }

    /// Canonical bytes of the model (for the params hash).
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut v = Vec::new();
        for d in [self.d_in, self.d_out, self.rank] {
            v.extend_from_slice(&(d as u64).to_be_bytes());
        }
        v.extend_from_slice(&self.scale.to_bits().to_be_bytes());
        for x in self.w.iter().chain(&self.a).chain(&self.b) {
            v.extend_from_slice(&x.to_bits().to_be_bytes());
        }
        v
    }
}

/// One training or test example.
#[derive(Clone, Debug, PartialEq)]
pub struct Example {
    /// Contribution the example comes from (ignored for test examples).
    pub contribution: ContributionRef,
    /// Input, `d_in`.
    pub x: Vec<f32>,
    /// Target, `d_out`.
    pub target: Vec<f32>,
}

/// Method parameters (part of the job spec).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GradientInfluenceParams {
    /// Projection dimension `k`.
    pub projection_dim: usize,
    /// Projection seed (derived from chain state by the job).
    pub seed: u64,
    /// Influence estimator.
    pub estimator: Estimator,
}

/// How projected features become influence scores (see module doc).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Estimator {
    /// `⟨v, f_i⟩`.
    #[default]
    TracIn,
    /// DataInf closed-form inverse-Hessian approximation, integer fixed point.
    DataInf,
}

impl Estimator {
    /// Domain tag in the params hash.
    pub const fn tag(self) -> &'static [u8] {
        match self {
            Estimator::TracIn => b"gradient_influence/v1",
            Estimator::DataInf => b"gradient_influence/datainf/v1",
        }
    }
}

/// Fractional bits of the DataInf fixed-point coefficients.
pub const DATAINF_Q: u32 = 24;

/// DataInf scores from `vf[i] = ⟨v, f_i⟩`, the train features and `v` (see module doc).
/// Exact integer arithmetic; reference implementation (runs on the CPU, O(n·k)).
pub fn datainf_scores(vf: &[i64], train: &PackedI8, v: &[i64]) -> Vec<i128> {
    let (n, k) = (train.rows(), train.cols());
    if n == 0 || k == 0 {
        return vec![0; n];
    }
    let norms: Vec<i128> = (0..n)
        .map(|i| (0..k).map(|j| i128::from(train.get(i, j)).pow(2)).sum())
        .collect();
    let lambda = (norms.iter().sum::<i128>() / (10 * n as i128 * k as i128)).max(1);
    // h (Q24) = n·v·2^24 − Σ_i c_i f_i,  c_i = ⌊⟨v,f_i⟩·2^24 / (λ + ‖f_i‖²)⌋
    let mut h: Vec<i128> = v
        .iter()
        .map(|&x| (n as i128 * i128::from(x)) << DATAINF_Q)
        .collect();
    for i in 0..n {
        let c = (i128::from(vf[i]) << DATAINF_Q).div_euclid(lambda + norms[i]);
        for (j, hj) in h.iter_mut().enumerate() {
            *hj -= c * i128::from(train.get(i, j));
        }
    }
    (0..n)
        .map(|i| {
            (0..k)
                .map(|j| h[j] * i128::from(train.get(i, j)))
                .sum::<i128>()
                >> DATAINF_Q
        })
        .collect()
}

impl Default for GradientInfluenceParams {
    fn default() -> Self {
        Self {
            projection_dim: 64,
            seed: 0x4f50_454e,
            estimator: Estimator::TracIn,
        }
    }
}

/// Seeded Rademacher projection, `k × p` row-major, entries ±1 from `hash3(seed, row, col)`.
pub fn projection_matrix(seed: u64, k: usize, p: usize) -> Vec<i8> {
    let mut m = Vec::with_capacity(k * p);
    for row in 0..k {
        for col in 0..p {
            m.push(if hash3(seed, row as u64, col as u64) & 1 == 1 {
                1
            } else {
                -1
            });
        }
    }
    m
}

/// int8 gradient features of a set of examples.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GradientFeatures {
    /// Contribution of each row.
    pub contributions: Vec<ContributionRef>,
    /// `n × k` int8 features.
    pub features: PackedI8,
}

impl GradientFeatures {
    /// sha256 over contributions and features: commit this per (model, Datanet version).
    pub fn features_hash(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(b"openledger/gradient_features/v1");
        h.update((self.features.rows() as u64).to_be_bytes());
        h.update((self.features.cols() as u64).to_be_bytes());
        for c in &self.contributions {
            h.update(c.datanet_id.to_be_bytes());
            h.update(c.version.to_be_bytes());
            h.update(c.contribution_id.to_be_bytes());
        }
        for w in self.features.words() {
            h.update(w.to_le_bytes());
        }
        h.finalize().into()
    }
}

/// Quantised (not yet projected) LoRA gradient of one example: `[q(dA) ‖ q(dB)]`.
pub fn quantized_grad(model: &LoraLinear, ex: &Example) -> Result<Vec<i8>, OracleError> {
    let (da, db) = model.lora_grad(&ex.x, &ex.target)?;
    let mut q = quant::quantize_f32(&da);
    q.extend(quant::quantize_f32(&db));
    Ok(q)
}

/// Steps 1–3: int8 features of `examples` (projection GEMM on `compute`).
pub fn featurize(
    model: &LoraLinear,
    examples: &[Example],
    params: GradientInfluenceParams,
    compute: &mut Compute<'_>,
) -> Result<GradientFeatures, OracleError> {
    let (n, p, k) = (examples.len(), model.num_params(), params.projection_dim);
    if k == 0 {
        return Err(OracleError::InvalidInput(
            "gradient_influence: projection_dim = 0".into(),
        ));
    }
    let mut grads = Vec::with_capacity(n * p);
    for ex in examples {
        grads.extend(quantized_grad(model, ex)?);
    }
    let g = PackedI8::pack(&grads, n, p)?;
    let proj = PackedI8::pack(&projection_matrix(params.seed, k, p), k, p)?;
    let projected = compute.matmul_i8(&g, &proj)?; // n × k
    let mut feats = Vec::with_capacity(n * k);
    for row in projected.chunks(k) {
        feats.extend(quant::requantize_i32(row));
    }
    Ok(GradientFeatures {
        contributions: examples.iter().map(|e| e.contribution).collect(),
        features: PackedI8::pack(&feats, n, k)?,
    })
}

/// Step 4: influence of every training row on the test examples, and the attribution result.
/// Returns the result and the raw i64 score per training row (in `train` order).
pub fn attribute(
    model: &LoraLinear,
    train: &GradientFeatures,
    test: &[Example],
    params: GradientInfluenceParams,
    compute: &mut Compute<'_>,
) -> Result<(AttributionResult, Vec<i128>), OracleError> {
    if test.is_empty() {
        return Err(OracleError::InvalidInput(
            "gradient_influence: no test examples".into(),
        ));
    }
    if train.features.cols() != params.projection_dim {
        return Err(OracleError::InvalidInput(format!(
            "gradient_influence: train features have k = {}, params say {}",
            train.features.cols(),
            params.projection_dim
        )));
    }
    let test_feats = featurize(model, test, params, compute)?;
    let dots = compute.matmul_i8(&test_feats.features, &train.features)?; // m × n
    let n = train.features.rows();
    let mut vf = vec![0i64; n];
    for row in dots.chunks(n.max(1)) {
        for (acc, d) in vf.iter_mut().zip(row) {
            *acc += i64::from(*d);
        }
    }
    let raw: Vec<i128> = match params.estimator {
        Estimator::TracIn => vf.iter().map(|&x| i128::from(x)).collect(),
        Estimator::DataInf => {
            let k = test_feats.features.cols();
            let v: Vec<i64> = (0..k)
                .map(|j| {
                    (0..test_feats.features.rows())
                        .map(|t| i64::from(test_feats.features.get(t, j)))
                        .sum()
                })
                .collect();
            datainf_scores(&vf, &train.features, &v)
        }
    };
    let mut scores: BTreeMap<ContributionRef, u128> = BTreeMap::new();
    for (c, &s) in train.contributions.iter().zip(&raw) {
        let entry = scores.entry(*c).or_insert(0);
        if s > 0 {
            *entry += s as u128;
        }
    }

    let mut p = Vec::new();
    p.extend_from_slice(params.estimator.tag());
    p.extend_from_slice(&Sha256::digest(model.canonical_bytes()));
    p.extend_from_slice(&train.features_hash());
    p.extend_from_slice(&test_feats.features_hash());
    p.extend_from_slice(&(params.projection_dim as u64).to_be_bytes());
    p.extend_from_slice(&params.seed.to_be_bytes());
    let mut s = Vec::with_capacity(8 + 28 * n);
    s.extend_from_slice(&(n as u64).to_be_bytes());
    for (c, v) in train.contributions.iter().zip(&raw) {
        s.extend_from_slice(&c.datanet_id.to_be_bytes());
        s.extend_from_slice(&c.version.to_be_bytes());
        s.extend_from_slice(&c.contribution_id.to_be_bytes());
        match params.estimator {
            // i64 for TracIn (the value always fits), i128 for DataInf.
            Estimator::TracIn => s.extend_from_slice(&(*v as i64).to_be_bytes()),
            Estimator::DataInf => s.extend_from_slice(&v.to_be_bytes()),
        }
    }
    Ok((
        AttributionResult::from_scores(Method::GradientInfluence, &p, &s, &scores),
        raw,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datainf_known_answer() {
        // f1 = [1, 0], f2 = [0, 1], v = [2, 0]: λ = max(1, ⌊2 / 40⌋) = 1,
        // c1 = 2 / (1 + 1) = 1, c2 = 0, h = 2·v − c1·f1 = [3, 0] → scores [3, 0].
        let f = PackedI8::pack(&[1, 0, 0, 1], 2, 2).unwrap();
        assert_eq!(datainf_scores(&[2, 0], &f, &[2, 0]), vec![3, 0]);
        // Rows sharing a dominant direction still rank by their alignment with v.
        let f = PackedI8::pack(&[10, 1, 10, 0, 10, -1], 3, 2).unwrap();
        let v = [10i64, 1];
        let vf: Vec<i64> = vec![101, 100, 99];
        let s = datainf_scores(&vf, &f, &v);
        assert!(s[0] > s[1] && s[1] > s[2], "{s:?}");
    }

    #[test]
    fn projection_is_seeded_and_balanced() {
        let p1 = projection_matrix(1, 8, 100);
        assert_eq!(p1, projection_matrix(1, 8, 100));
        assert_ne!(p1, projection_matrix(2, 8, 100));
        let ones = p1.iter().filter(|&&v| v == 1).count();
        assert!((300..500).contains(&ones), "{ones} of 800");
        assert!(p1.iter().all(|&v| v == 1 || v == -1));
    }

    #[test]
    fn lora_grad_matches_finite_differences() {
        let m = LoraLinear::seeded(5, 3, 2, 3);
        let x = [0.5f32, -0.25, 0.75, 0.1, -0.6];
        let t = [0.2f32, -0.1, 0.4];
        let loss = |m: &LoraLinear| -> f64 {
            let mut l = 0.0f64;
            for o in 0..m.d_out {
                let mut y = 0.0f64;
                for i in 0..m.d_in {
                    y += f64::from(m.w[o * m.d_in + i]) * f64::from(x[i]);
                }
                for j in 0..m.rank {
                    let mut h = 0.0f64;
                    for i in 0..m.d_in {
                        h += f64::from(m.a[j * m.d_in + i]) * f64::from(x[i]);
                    }
                    y += f64::from(m.scale) * f64::from(m.b[o * m.rank + j]) * h;
                }
                l += 0.5 * (y - f64::from(t[o])).powi(2);
            }
            l
        };
        let (da, db) = m.lora_grad(&x, &t).unwrap();
        let eps = 1e-3f32;
        for idx in 0..m.a.len() {
            let (mut p, mut q) = (m.clone(), m.clone());
            p.a[idx] += eps;
            q.a[idx] -= eps;
            let fd = (loss(&p) - loss(&q)) / (2.0 * f64::from(eps));
            assert!(
                (fd - f64::from(da[idx])).abs() < 1e-2,
                "dA[{idx}]: {fd} vs {}",
                da[idx]
            );
        }
        for idx in 0..m.b.len() {
            let (mut p, mut q) = (m.clone(), m.clone());
            p.b[idx] += eps;
            q.b[idx] -= eps;
            let fd = (loss(&p) - loss(&q)) / (2.0 * f64::from(eps));
            assert!(
                (fd - f64::from(db[idx])).abs() < 1e-2,
                "dB[{idx}]: {fd} vs {}",
                db[idx]
            );
        }
    }
}
