//! Kernels of the fast CPU decoder ([`crate::llm::fast`]): weights kept quantised (Q4_0, Q4_1,
//! Q8_0; F16/F32 widened to f32), activations quantised per 32-block to 8 bits ([`QAct`], as
//! llama.cpp's `quantize_row_q8_1`), and matrix-vector products made of exact integer dots per
//! block, multi-threaded over output rows.
//!
//! *NOTE* - Attesters replay a gateway's answer token by token, so every path here gives the same
//! bits: the integer dot of a block is exact in any order, and every float sum runs in one fixed
//! order that the AVX2 and scalar code both implement. A row's block (or element) `i` is added
//! into lane `i % 8` of eight partial sums, in increasing `i`, and the lanes are combined as
//! `((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7))`. No FMA (it rounds once instead of twice).
//! Each output row is computed by one thread from its own inputs, so the thread count cannot
//! change a result either.

use half::f16;
use rayon::prelude::*;

use crate::error::LlmError;
use crate::llm::ggml::{GgmlType, QK};
use crate::llm::model::QTensor;

/// Instruction set the kernels run with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isa {
    /// Portable Rust: the twin every SIMD kernel must equal bit for bit.
    Scalar,
    /// x86-64 AVX2 with F16C.
    Avx2,
}

impl Isa {
    /// The best instruction set this CPU supports.
    pub fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("f16c") {
                return Isa::Avx2;
            }
        }
        Isa::Scalar
    }
}

/// One activation vector quantised per 32-block: `x[32b + j] ≈ qs[32b + j]·d[b]`.
#[derive(Clone, Debug, Default)]
pub struct QAct {
    /// Scale per block.
    pub d: Vec<f32>,
    /// `Σ qs` per block (Q4_0 offsets).
    pub isum: Vec<i32>,
    /// `d·Σ qs` per block (Q4_1 minimums).
    pub s: Vec<f32>,
    /// Quants.
    pub qs: Vec<i8>,
}

impl QAct {
    /// Quantises `x` (a multiple of 32 long) into `self`, reusing its buffers.
    /// `d = max|x|/127`, `q = round_ties_even(x/d)`: |q| ≤ 127, so `-q` never overflows.
    pub fn quantize(&mut self, x: &[f32]) {
        let nb = x.len() / QK;
        self.d.clear();
        self.isum.clear();
        self.s.clear();
        self.qs.clear();
        for blk in x.chunks_exact(QK) {
            let amax = blk.iter().fold(0f32, |a, v| a.max(v.abs()));
            let d = amax / 127.0;
            let id = if d != 0.0 { 1.0 / d } else { 0.0 };
            let mut sum = 0i32;
            for v in blk {
                let q = (v * id).round_ties_even() as i8;
                sum += i32::from(q);
                self.qs.push(q);
            }
            self.d.push(d);
            self.isum.push(sum);
            self.s.push(d * sum as f32);
        }
        debug_assert_eq!(self.d.len(), nb);
    }

    /// The values it stands for (tests).
    pub fn dequantize(&self) -> Vec<f32> {
        self.qs
            .chunks_exact(QK)
            .zip(&self.d)
            .flat_map(|(q, &d)| q.iter().map(move |&q| f32::from(q) * d))
            .collect()
    }
}

/// A weight matrix in the layout the kernels read: per block, scales apart from quants.
pub struct PackedMat {
    /// Stored encoding (`F32` also for widened F16).
    pub ty: GgmlType,
    /// Output features.
    pub rows: usize,
    /// Input features.
    pub cols: usize,
    /// f16 scale per block, row-major (quantised types).
    d: Vec<u16>,
    /// f16 minimum per block (Q4_1).
    m: Vec<u16>,
    /// Quants: 16 bytes per block for 4-bit types (low nibbles elements 0..16, high 16..32),
    /// 32 for Q8_0.
    qs: Vec<u8>,
    /// Elements of F32/F16 tensors.
    f: Vec<f32>,
}

fn f16_bits(b: &[u8], i: usize) -> u16 {
    u16::from_le_bytes([b[i], b[i + 1]])
}

fn f16f(bits: u16) -> f32 {
    f16::from_bits(bits).to_f32()
}

impl PackedMat {
    /// Repacks a stored tensor (its bytes must be whole rows of whole blocks).
    pub fn new(t: &QTensor) -> Result<Self, LlmError> {
        let bad = |why: String| {
            Err(LlmError::Model(format!(
                "{:?} {}×{}: {why}",
                t.ty, t.rows, t.cols
            )))
        };
        let quantised = t.ty.block_len() > 1;
        if quantised && !t.cols.is_multiple_of(QK) {
            return bad("rows are not whole blocks".into());
        }
        let want = t.ty.row_bytes(t.cols as u64) as usize * t.rows;
        if t.data.len() != want {
            return bad(format!("{} bytes, expected {want}", t.data.len()));
        }
        let mut p = PackedMat {
            ty: t.ty,
            rows: t.rows,
            cols: t.cols,
            d: Vec::new(),
            m: Vec::new(),
            qs: Vec::new(),
            f: Vec::new(),
        };
        let bb = t.ty.block_bytes() as usize;
        match t.ty {
            GgmlType::F32 | GgmlType::F16 => {
                p.ty = GgmlType::F32;
                p.f = t.to_f32();
            }
            GgmlType::Q4_0 => {
                for b in t.data.chunks_exact(bb) {
                    p.d.push(f16_bits(b, 0));
                    p.qs.extend_from_slice(&b[2..18]);
                }
            }
            GgmlType::Q4_1 => {
                for b in t.data.chunks_exact(bb) {
                    p.d.push(f16_bits(b, 0));
                    p.m.push(f16_bits(b, 2));
                    p.qs.extend_from_slice(&b[4..20]);
                }
            }
            GgmlType::Q8_0 => {
                for b in t.data.chunks_exact(bb) {
                    p.d.push(f16_bits(b, 0));
                    p.qs.extend_from_slice(&b[2..34]);
                }
            }
        }
        Ok(p)
    }

    /// The rows of `parts` stacked in one matrix (one parallel pass instead of several), when
    /// they share encoding and width. Each row keeps its bytes, so its dot keeps its bits.
    pub fn stack(parts: &[&PackedMat]) -> Option<PackedMat> {
        let first = parts.first()?;
        if parts
            .iter()
            .any(|p| p.ty != first.ty || p.cols != first.cols)
        {
            return None;
        }
        let cat =
            |f: fn(&PackedMat) -> &[u8]| parts.iter().flat_map(|p| f(p).iter().copied()).collect();
        Some(PackedMat {
            ty: first.ty,
            rows: parts.iter().map(|p| p.rows).sum(),
            cols: first.cols,
            d: parts.iter().flat_map(|p| p.d.iter().copied()).collect(),
            m: parts.iter().flat_map(|p| p.m.iter().copied()).collect(),
            qs: cat(|p| &p.qs),
            f: parts.iter().flat_map(|p| p.f.iter().copied()).collect(),
        })
    }

    /// Whether products take a [`QAct`] (quantised weights) or f32 activations.
    pub fn wants_qact(&self) -> bool {
        self.ty != GgmlType::F32
    }

    fn nb(&self) -> usize {
        self.cols / QK
    }

    /// Row `r` dequantised into `out` (`cols` long): the values of
    /// [`crate::llm::ggml::dequantize`], bit for bit.
    pub fn row_f32(&self, r: usize, out: &mut [f32]) {
        let nb = self.nb();
        match self.ty {
            GgmlType::F32 | GgmlType::F16 => {
                out.copy_from_slice(&self.f[r * self.cols..(r + 1) * self.cols])
            }
            GgmlType::Q4_0 | GgmlType::Q4_1 => {
                for b in 0..nb {
                    let i = r * nb + b;
                    let d = f16f(self.d[i]);
                    let qs = &self.qs[i * 16..(i + 1) * 16];
                    let o = &mut out[b * QK..(b + 1) * QK];
                    if self.ty == GgmlType::Q4_0 {
                        for j in 0..16 {
                            o[j] = (f32::from(qs[j] & 15) - 8.0) * d;
                            o[j + 16] = (f32::from(qs[j] >> 4) - 8.0) * d;
                        }
                    } else {
                        let m = f16f(self.m[i]);
                        for j in 0..16 {
                            o[j] = f32::from(qs[j] & 15) * d + m;
                            o[j + 16] = f32::from(qs[j] >> 4) * d + m;
                        }
                    }
                }
            }
            GgmlType::Q8_0 => {
                for b in 0..nb {
                    let i = r * nb + b;
                    let d = f16f(self.d[i]);
                    for j in 0..QK {
                        out[b * QK + j] = f32::from(self.qs[i * QK + j] as i8) * d;
                    }
                }
            }
        }
    }
}

/// An activation in the form a matrix wants it.
#[derive(Clone, Copy)]
pub enum Act<'a> {
    /// For F32 weights.
    F32(&'a [f32]),
    /// For quantised weights.
    Q(&'a QAct),
}

/// The fixed combination of the eight lanes.
fn tree8(l: &[f32; 8]) -> f32 {
    ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]))
}

/// Integer dot of one 4-bit block (unsigned nibbles) with 32 activation quants.
fn sumi_q4(qs: &[u8], a: &[i8]) -> i32 {
    let mut s = 0i32;
    for j in 0..16 {
        s += i32::from(qs[j] & 15) * i32::from(a[j]) + i32::from(qs[j] >> 4) * i32::from(a[j + 16]);
    }
    s
}

/// Integer dot of one Q8_0 block with 32 activation quants.
fn sumi_q8(qs: &[u8], a: &[i8]) -> i32 {
    qs.iter()
        .zip(a)
        .map(|(&w, &a)| i32::from(w as i8) * i32::from(a))
        .sum()
}

/// Block `b`'s float contribution to row `r` from its exact integer dot (shared by both paths'
/// tail blocks; the AVX2 lanes do the same operations in the same order).
#[inline(always)]
fn combine(w: &PackedMat, i: usize, a: &QAct, b: usize, sumi: i32) -> f32 {
    let dd = f16f(w.d[i]) * a.d[b];
    match w.ty {
        GgmlType::Q4_0 => dd * (sumi - 8 * a.isum[b]) as f32,
        GgmlType::Q4_1 => dd * sumi as f32 + f16f(w.m[i]) * a.s[b],
        _ => dd * sumi as f32,
    }
}

fn block_sumi(w: &PackedMat, i: usize, a: &QAct, b: usize) -> i32 {
    let aq = &a.qs[b * QK..(b + 1) * QK];
    match w.ty {
        GgmlType::Q8_0 => sumi_q8(&w.qs[i * QK..(i + 1) * QK], aq),
        _ => sumi_q4(&w.qs[i * 16..(i + 1) * 16], aq),
    }
}

/// Scalar twin: row `r` of quantised `w` times `a`.
pub fn dot_q_scalar(w: &PackedMat, r: usize, a: &QAct) -> f32 {
    let nb = w.nb();
    let mut l = [0f32; 8];
    for b in 0..nb {
        let i = r * nb + b;
        l[b % 8] += combine(w, i, a, b, block_sumi(w, i, a, b));
    }
    tree8(&l)
}

/// Scalar twin: `Σ x[i]·y[i]` in the lane order.
pub fn dot_f32_scalar(x: &[f32], y: &[f32]) -> f32 {
    let mut l = [0f32; 8];
    for (i, (a, b)) in x.iter().zip(y).enumerate() {
        l[i % 8] += a * b;
    }
    tree8(&l)
}

/// `Σ x[i]·y[i]` in the lane order, with `isa`.
pub fn dot_f32(isa: Isa, x: &[f32], y: &[f32]) -> f32 {
    match isa {
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => avx2::dot_f32_entry(x, y),
        _ => dot_f32_scalar(x, y),
    }
}

/// Row `r` of `w` times `a`, with `isa`.
pub fn dot_row(isa: Isa, w: &PackedMat, r: usize, a: Act<'_>) -> f32 {
    match a {
        Act::F32(x) => dot_f32(isa, &w.f[r * w.cols..(r + 1) * w.cols], x),
        Act::Q(q) => match isa {
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => avx2::dot_q_entry(w, r, q),
            _ => dot_q_scalar(w, r, q),
        },
    }
}

/// Causal attention of one query head over the first `len` cached positions: `k`/`v` hold a
/// position every `stride` floats, this head's `q.len()` values at `offset`. Scores are
/// [`dot_f32`]s (lane order); softmax and the weighted sum of values run in position order,
/// element-wise, the same on every `isa`.
#[allow(clippy::too_many_arguments)]
pub fn attention(
    isa: Isa,
    q: &[f32],
    k: &[f32],
    v: &[f32],
    stride: usize,
    offset: usize,
    len: usize,
    scale: f32,
    out: &mut [f32],
) {
    let hd = q.len();
    let at = |t: usize| t * stride + offset..t * stride + offset + hd;
    let mut scores: Vec<f32> = (0..len)
        .map(|t| dot_f32(isa, q, &k[at(t)]) * scale)
        .collect();
    let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0f32;
    for s in &mut scores {
        *s = (*s - max).exp();
        sum += *s;
    }
    out.fill(0.0);
    for (t, s) in scores.iter().enumerate() {
        let p = s / sum;
        for (o, x) in out.iter_mut().zip(&v[at(t)]) {
            *o += p * x;
        }
    }
}

/// Rows per parallel task: enough work to amortise the hand-off.
const ROWS_PER_TASK: usize = 32;

/// `y[t·rows + r] = w[r]·act[t]` for every token `t` (`y` is `acts.len() × rows`), spread over
/// the current rayon pool by rows. Each output is one [`dot_row`], whatever the pool size.
pub fn matmul(isa: Isa, w: &PackedMat, acts: &[Act<'_>], y: &mut [f32]) {
    let (n, rows) = (acts.len(), w.rows);
    debug_assert_eq!(y.len(), n * rows);
    if n == 1 {
        y.par_chunks_mut(ROWS_PER_TASK)
            .enumerate()
            .for_each(|(c, ys)| {
                for (k, yr) in ys.iter_mut().enumerate() {
                    *yr = dot_row(isa, w, c * ROWS_PER_TASK + k, acts[0]);
                }
            });
        return;
    }
    // Several tokens: each weight row is read once for all of them (row-major scratch, then
    // transposed).
    let mut by_row = vec![0f32; n * rows];
    by_row
        .par_chunks_mut(ROWS_PER_TASK * n)
        .enumerate()
        .for_each(|(c, ys)| {
            for (k, yr) in ys.chunks_exact_mut(n).enumerate() {
                let r = c * ROWS_PER_TASK + k;
                for (yt, a) in yr.iter_mut().zip(acts) {
                    *yt = dot_row(isa, w, r, *a);
                }
            }
        });
    for (r, ys) in by_row.chunks_exact(n).enumerate() {
        for (t, v) in ys.iter().enumerate() {
            y[t * rows + r] = *v;
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod avx2 {
    //! AVX2 + F16C twins of the scalar kernels. The safe `*_entry` functions are only reached
    //! through [`Isa::Avx2`], which [`Isa::detect`] returns only when both features are present.
    use std::arch::x86_64::*;

    use super::{block_sumi, combine, tree8, PackedMat, QAct, QK};
    use crate::llm::ggml::GgmlType;

    pub(super) fn dot_f32_entry(x: &[f32], y: &[f32]) -> f32 {
        // SAFETY: only reached via `Isa::Avx2`, chosen after runtime detection of AVX2 and F16C.
        unsafe { dot_f32(x, y) }
    }

    pub(super) fn dot_q_entry(w: &PackedMat, r: usize, a: &QAct) -> f32 {
        // SAFETY: as above.
        unsafe { dot_q(w, r, a) }
    }

    #[target_feature(enable = "avx2,f16c")]
    unsafe fn dot_f32(x: &[f32], y: &[f32]) -> f32 {
        let n = x.len().min(y.len());
        let full = n / 8 * 8;
        let mut acc = _mm256_setzero_ps();
        let mut i = 0;
        while i < full {
            // SAFETY: i + 8 ≤ n ≤ both lengths.
            let (a, b) = unsafe {
                (
                    _mm256_loadu_ps(x.as_ptr().add(i)),
                    _mm256_loadu_ps(y.as_ptr().add(i)),
                )
            };
            acc = _mm256_add_ps(acc, _mm256_mul_ps(a, b));
            i += 8;
        }
        let mut l = [0f32; 8];
        // SAFETY: `l` holds 8 floats.
        unsafe { _mm256_storeu_ps(l.as_mut_ptr(), acc) };
        for k in full..n {
            l[k % 8] += x[k] * y[k];
        }
        tree8(&l)
    }

    /// Per-vector sums of eight vectors of eight i32: lane `k` of the result is `Σ v[k]`.
    #[target_feature(enable = "avx2")]
    fn hsum8(v: [__m256i; 8]) -> __m256i {
        let s01 = _mm256_hadd_epi32(v[0], v[1]);
        let s23 = _mm256_hadd_epi32(v[2], v[3]);
        let s45 = _mm256_hadd_epi32(v[4], v[5]);
        let s67 = _mm256_hadd_epi32(v[6], v[7]);
        let s0123 = _mm256_hadd_epi32(s01, s23);
        let s4567 = _mm256_hadd_epi32(s45, s67);
        let lo = _mm256_permute2x128_si256(s0123, s4567, 0x20);
        let hi = _mm256_permute2x128_si256(s0123, s4567, 0x31);
        _mm256_add_epi32(lo, hi)
    }

    /// Eight i32 partial sums of the integer dot of 4-bit block `i` with activation block `b`.
    #[target_feature(enable = "avx2")]
    unsafe fn part_q4(qs: *const u8, aq: *const i8) -> __m256i {
        let m4 = _mm_set1_epi8(15);
        // SAFETY: the caller passes 16 readable bytes at `qs` and 32 at `aq`.
        let (raw, a) = unsafe {
            (
                _mm_loadu_si128(qs as *const __m128i),
                _mm256_loadu_si256(aq as *const __m256i),
            )
        };
        let lo = _mm_and_si128(raw, m4);
        let hi = _mm_and_si128(_mm_srli_epi16(raw, 4), m4);
        let w = _mm256_set_m128i(hi, lo);
        // Nibble × i8 pairs sum to at most 2·15·127: no i16 saturation.
        let p16 = _mm256_maddubs_epi16(w, a);
        _mm256_madd_epi16(p16, _mm256_set1_epi16(1))
    }

    #[target_feature(enable = "avx2")]
    unsafe fn part_q8(qs: *const u8, aq: *const i8) -> __m256i {
        // SAFETY: the caller passes 32 readable bytes at each pointer.
        let (w, a) = unsafe {
            (
                _mm256_loadu_si256(qs as *const __m256i),
                _mm256_loadu_si256(aq as *const __m256i),
            )
        };
        // maddubs takes unsigned × signed: move the weight's sign onto the activation
        // (|a| ≤ 127, so negating it is exact; |w| ≤ 128 reads correctly as unsigned).
        let p16 = _mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(a, w));
        _mm256_madd_epi16(p16, _mm256_set1_epi16(1))
    }

    #[target_feature(enable = "avx2,f16c")]
    unsafe fn dot_q(w: &PackedMat, r: usize, a: &QAct) -> f32 {
        let nb = w.nb();
        let groups = nb / 8;
        let base = r * nb;
        let (q8, q40, q41) = (
            w.ty == GgmlType::Q8_0,
            w.ty == GgmlType::Q4_0,
            w.ty == GgmlType::Q4_1,
        );
        assert!(w.d.len() >= base + nb && a.d.len() >= nb && a.qs.len() >= nb * QK);
        assert!(w.qs.len() >= (base + nb) * if q8 { 32 } else { 16 });
        assert!(!q41 || w.m.len() >= base + nb);
        let mut acc = _mm256_setzero_ps();
        for g in 0..groups {
            let mut v = [_mm256_setzero_si256(); 8];
            for (k, vk) in v.iter_mut().enumerate() {
                let b = g * 8 + k;
                let i = base + b;
                // SAFETY: block `i` is within the row (asserted lengths above); `b < nb`.
                *vk = unsafe {
                    let aq = a.qs.as_ptr().add(b * QK);
                    if q8 {
                        part_q8(w.qs.as_ptr().add(i * 32), aq)
                    } else {
                        part_q4(w.qs.as_ptr().add(i * 16), aq)
                    }
                };
            }
            let mut sumi = hsum8(v);
            let b0 = g * 8;
            // SAFETY: blocks b0..b0+8 < nb are in range of every per-block array.
            let (dw, da) = unsafe {
                (
                    _mm256_cvtph_ps(_mm_loadu_si128(
                        w.d.as_ptr().add(base + b0) as *const __m128i
                    )),
                    _mm256_loadu_ps(a.d.as_ptr().add(b0)),
                )
            };
            if q40 {
                // SAFETY: as above.
                let isum = unsafe { _mm256_loadu_si256(a.isum.as_ptr().add(b0) as *const __m256i) };
                sumi = _mm256_sub_epi32(sumi, _mm256_slli_epi32(isum, 3));
            }
            let mut c = _mm256_mul_ps(_mm256_mul_ps(dw, da), _mm256_cvtepi32_ps(sumi));
            if q41 {
                // SAFETY: as above.
                let (mw, s) = unsafe {
                    (
                        _mm256_cvtph_ps(_mm_loadu_si128(
                            w.m.as_ptr().add(base + b0) as *const __m128i
                        )),
                        _mm256_loadu_ps(a.s.as_ptr().add(b0)),
                    )
                };
                c = _mm256_add_ps(c, _mm256_mul_ps(mw, s));
            }
            acc = _mm256_add_ps(acc, c);
        }
        let mut l = [0f32; 8];
        // SAFETY: `l` holds 8 floats.
        unsafe { _mm256_storeu_ps(l.as_mut_ptr(), acc) };
        for b in groups * 8..nb {
            let i = base + b;
            l[b % 8] += combine(w, i, a, b, block_sumi(w, i, a, b));
        }
        tree8(&l)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::ggml;
    use crate::rng::SplitMix64;

    const TYPES: [GgmlType; 5] = [
        GgmlType::Q4_0,
        GgmlType::Q4_1,
        GgmlType::Q8_0,
        GgmlType::F16,
        GgmlType::F32,
    ];

    fn randv(rng: &mut SplitMix64, n: usize, scale: f32) -> Vec<f32> {
        (0..n).map(|_| rng.unit_f32() * scale).collect()
    }

    /// 19 blocks a row: two full groups of eight and a tail of three.
    fn mat(ty: GgmlType, rows: usize, seed: u64) -> (QTensor, PackedMat) {
        let cols = 19 * QK;
        let x = randv(&mut SplitMix64::new(seed), rows * cols, 0.5);
        let t = QTensor::quantize(ty, rows, cols, &x);
        let p = PackedMat::new(&t).unwrap();
        (t, p)
    }

    fn act<'a>(p: &PackedMat, x: &'a [f32], q: &'a QAct) -> Act<'a> {
        if p.wants_qact() {
            Act::Q(q)
        } else {
            Act::F32(x)
        }
    }

    #[test]
    fn packed_rows_dequantise_like_ggml() {
        for ty in TYPES {
            let (t, p) = mat(ty, 3, 7);
            let want = ggml::dequantize(ty, &t.data);
            let mut row = vec![0f32; t.cols];
            for r in 0..t.rows {
                p.row_f32(r, &mut row);
                let w = &want[r * t.cols..(r + 1) * t.cols];
                assert!(
                    row.iter().zip(w).all(|(a, b)| a.to_bits() == b.to_bits()),
                    "{ty:?} row {r}"
                );
            }
        }
        // Q4_0 by hand: d = 0.5, nibble q decodes to 0.5·(q - 8).
        let mut b = half::f16::from_f32(0.5).to_le_bytes().to_vec();
        b.extend((0..16u8).map(|j| j | ((15 - j) << 4)));
        let y = ggml::dequantize(GgmlType::Q4_0, &b);
        assert_eq!(
            (y[0], y[8], y[15], y[16], y[31]),
            (-4.0, 0.0, 3.5, 3.5, -4.0)
        );
    }

    #[test]
    fn stacked_rows_keep_their_bits() {
        let (_, a) = mat(GgmlType::Q4_1, 3, 1);
        let (_, b) = mat(GgmlType::Q4_1, 5, 2);
        let s = PackedMat::stack(&[&a, &b]).unwrap();
        assert_eq!(s.rows, 8);
        let x = randv(&mut SplitMix64::new(4), a.cols, 1.0);
        let mut q = QAct::default();
        q.quantize(&x);
        for r in 0..8 {
            let (m, i) = if r < 3 { (&a, r) } else { (&b, r - 3) };
            let want = dot_row(Isa::Scalar, m, i, Act::Q(&q));
            assert_eq!(
                dot_row(Isa::detect(), &s, r, Act::Q(&q)).to_bits(),
                want.to_bits()
            );
        }
        let (_, c) = mat(GgmlType::Q8_0, 2, 3);
        assert!(PackedMat::stack(&[&a, &c]).is_none());
    }

    #[test]
    fn packing_refuses_bad_shapes() {
        let t = QTensor {
            ty: GgmlType::Q4_1,
            rows: 2,
            cols: 32,
            data: vec![0u8; 39].into(),
        };
        assert!(matches!(PackedMat::new(&t), Err(LlmError::Model(_))));
        let t = QTensor {
            ty: GgmlType::Q8_0,
            rows: 1,
            cols: 48,
            data: vec![0u8; 34].into(),
        };
        assert!(PackedMat::new(&t).is_err());
    }

    #[test]
    fn activation_quantisation_is_within_half_a_step() {
        let mut rng = SplitMix64::new(3);
        let mut x = randv(&mut rng, 4 * QK, 3.0);
        x[QK..2 * QK].fill(0.0); // an all-zero block quantises to zeros
        let mut q = QAct::default();
        q.quantize(&x);
        let y = q.dequantize();
        for (b, (xb, yb)) in x.chunks_exact(QK).zip(y.chunks_exact(QK)).enumerate() {
            let err = xb
                .iter()
                .zip(yb)
                .map(|(a, b)| (a - b).abs())
                .fold(0f32, f32::max);
            assert!(
                err <= q.d[b] * 0.5 * 1.0001,
                "block {b}: {err} > d/2 = {}",
                q.d[b] / 2.0
            );
            let s: i32 = q.qs[b * QK..(b + 1) * QK]
                .iter()
                .map(|&v| i32::from(v))
                .sum();
            assert_eq!(q.isum[b], s);
            assert!(
                q.qs[b * QK..(b + 1) * QK]
                    .iter()
                    .any(|&v| v.unsigned_abs() == 127)
                    || q.d[b] == 0.0
            );
        }
        assert_eq!(q.d[1], 0.0);
        assert!(q.qs[QK..2 * QK].iter().all(|&v| v == 0));
    }

    #[test]
    fn simd_dots_equal_the_scalar_twin_bit_for_bit() {
        let isa = Isa::detect();
        if isa == Isa::Scalar {
            eprintln!("no AVX2 here: only the scalar twin runs");
        }
        let mut rng = SplitMix64::new(11);
        for ty in TYPES {
            let (_, p) = mat(ty, 8, 5);
            let x = randv(&mut rng, p.cols, 2.0);
            let mut q = QAct::default();
            q.quantize(&x);
            for r in 0..p.rows {
                let a = dot_row(isa, &p, r, act(&p, &x, &q));
                let b = dot_row(Isa::Scalar, &p, r, act(&p, &x, &q));
                assert_eq!(a.to_bits(), b.to_bits(), "{ty:?} row {r}: {a} vs {b}");
            }
        }
        for n in [1, 7, 8, 64, 67] {
            let (x, y) = (randv(&mut rng, n, 1.0), randv(&mut rng, n, 1.0));
            assert_eq!(
                dot_f32(isa, &x, &y).to_bits(),
                dot_f32_scalar(&x, &y).to_bits(),
                "n {n}"
            );
        }
    }

    #[test]
    fn dots_are_close_to_the_f32_product_of_dequantised_weights() {
        let mut rng = SplitMix64::new(13);
        for ty in TYPES {
            let (t, p) = mat(ty, 6, 9);
            let w = t.to_f32();
            let x = randv(&mut rng, p.cols, 2.0);
            let mut q = QAct::default();
            q.quantize(&x);
            // Quantised activations: the error is the weights times half a quant step.
            let xq = if p.wants_qact() {
                q.dequantize()
            } else {
                x.clone()
            };
            for r in 0..p.rows {
                let wr = &w[r * p.cols..(r + 1) * p.cols];
                let exact: f64 = wr
                    .iter()
                    .zip(&xq)
                    .map(|(a, b)| f64::from(*a) * f64::from(*b))
                    .sum();
                let got = f64::from(dot_row(Isa::detect(), &p, r, act(&p, &x, &q)));
                assert!(
                    (got - exact).abs() < 1e-4,
                    "{ty:?} row {r}: {got} vs {exact} (same inputs)"
                );
                let vs_f32: f64 = wr
                    .iter()
                    .zip(&x)
                    .map(|(a, b)| f64::from(*a) * f64::from(*b))
                    .sum();
                let norm: f64 = wr.iter().map(|a| f64::from(a.abs())).sum::<f64>() * 2.0 / 127.0;
                assert!(
                    (got - vs_f32).abs() <= norm,
                    "{ty:?} row {r}: {got} vs {vs_f32}"
                );
            }
        }
    }

    #[test]
    fn matmul_is_each_rows_dot_for_any_pool_and_batch() {
        for ty in [GgmlType::Q4_1, GgmlType::F32] {
            let (_, p) = mat(ty, 100, 17);
            let mut rng = SplitMix64::new(19);
            let xs: Vec<Vec<f32>> = (0..3).map(|_| randv(&mut rng, p.cols, 1.0)).collect();
            let qs: Vec<QAct> = xs
                .iter()
                .map(|x| {
                    let mut q = QAct::default();
                    q.quantize(x);
                    q
                })
                .collect();
            let acts: Vec<Act<'_>> = xs.iter().zip(&qs).map(|(x, q)| act(&p, x, q)).collect();
            let run = |threads: usize, isa: Isa, acts: &[Act<'_>]| {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                let mut y = vec![0f32; acts.len() * p.rows];
                pool.install(|| matmul(isa, &p, acts, &mut y));
                y.iter().map(|v| v.to_bits()).collect::<Vec<u32>>()
            };
            let want: Vec<u32> = acts
                .iter()
                .flat_map(|a| (0..p.rows).map(|r| dot_row(Isa::Scalar, &p, r, *a).to_bits()))
                .collect();
            for threads in [1, 3] {
                for isa in [Isa::Scalar, Isa::detect()] {
                    assert_eq!(
                        run(threads, isa, &acts),
                        want,
                        "{ty:?} {threads} threads {isa:?}"
                    );
                    assert_eq!(run(threads, isa, &acts[1..2]), want[p.rows..2 * p.rows]);
                }
            }
        }
    }

    #[test]
    fn attention_matches_the_naive_softmax_and_its_scalar_twin() {
        let (hd, stride, offset, len) = (64, 192, 64, 9);
        let mut rng = SplitMix64::new(23);
        let q = randv(&mut rng, hd, 1.0);
        let k = randv(&mut rng, stride * len, 1.0);
        let v = randv(&mut rng, stride * len, 1.0);
        let scale = 0.125;
        let mut a = vec![0f32; hd];
        let mut b = vec![0f32; hd];
        attention(
            Isa::detect(),
            &q,
            &k,
            &v,
            stride,
            offset,
            len,
            scale,
            &mut a,
        );
        attention(Isa::Scalar, &q, &k, &v, stride, offset, len, scale, &mut b);
        assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
        let s: Vec<f64> = (0..len)
            .map(|t| {
                let kt = &k[t * stride + offset..][..hd];
                q.iter()
                    .zip(kt)
                    .map(|(x, y)| f64::from(*x) * f64::from(*y))
                    .sum::<f64>()
                    * 0.125
            })
            .collect();
        let max = s.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let e: Vec<f64> = s.iter().map(|x| (x - max).exp()).collect();
        let sum: f64 = e.iter().sum();
        for i in 0..hd {
            let want: f64 = (0..len)
                .map(|t| e[t] / sum * f64::from(v[t * stride + offset + i]))
                .sum();
            assert!(
                (f64::from(a[i]) - want).abs() < 1e-5,
                "element {i}: {} vs {want}",
                a[i]
            );
        }
        // Attending to one position returns its value.
        attention(Isa::detect(), &q, &k, &v, stride, offset, 1, scale, &mut a);
        assert_eq!(a, v[offset..offset + hd]);
    }
}
