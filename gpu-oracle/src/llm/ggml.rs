//! GGML tensor types this crate reads, their CPU dequantisation (the reference the WGSL
//! dequantisers must equal bit for bit) and quantisers for synthetic test models.
//!
//! Blocks (ggml `ggml-common.h`), 32 elements each:
//! * `Q4_0`: f16 `d`, 16 bytes; element `j < 16` is `((qs[j] & 15) - 8)·d`, element `j + 16` is
//!   `((qs[j] >> 4) - 8)·d`. 18 bytes.
//! * `Q4_1`: f16 `d`, f16 `m`, 16 bytes; element `j < 16` is `(qs[j] & 15)·d + m`, element
//!   `j + 16` is `(qs[j] >> 4)·d + m`. 20 bytes.
//! * `Q8_0`: f16 `d`, 32 × i8; element `j` is `qs[j]·d`. 34 bytes.
//!
//! *NOTE* - `q·d` is exact in f32 (an 11-bit f16 mantissa times a ≤ 8-bit integer fits in 24
//! bits), so `q·d + m` rounds once whether or not a GPU driver fuses it into an FMA: the GPU
//! result equals this reference on every adapter.

use half::f16;

/// Elements per quantised block.
pub const QK: usize = 32;

/// A tensor element type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GgmlType {
    /// 32-bit float (id 0).
    F32,
    /// 16-bit float (id 1).
    F16,
    /// 4-bit with scale per 32 (id 2).
    Q4_0,
    /// 4-bit with scale and minimum per 32 (id 3).
    Q4_1,
    /// 8-bit with scale per 32 (id 8).
    Q8_0,
}

impl GgmlType {
    /// From the GGML type id; `None` for types this crate does not implement.
    pub fn from_id(id: u32) -> Option<Self> {
        match id {
            0 => Some(Self::F32),
            1 => Some(Self::F16),
            2 => Some(Self::Q4_0),
            3 => Some(Self::Q4_1),
            8 => Some(Self::Q8_0),
            _ => None,
        }
    }

    /// The GGML type id.
    pub fn id(self) -> u32 {
        match self {
            Self::F32 => 0,
            Self::F16 => 1,
            Self::Q4_0 => 2,
            Self::Q4_1 => 3,
            Self::Q8_0 => 8,
        }
    }

    /// Elements per block.
    pub fn block_len(self) -> u64 {
        match self {
            Self::F32 | Self::F16 => 1,
            Self::Q4_0 | Self::Q4_1 | Self::Q8_0 => QK as u64,
        }
    }

    /// Bytes per block.
    pub fn block_bytes(self) -> u64 {
        match self {
            Self::F32 => 4,
            Self::F16 => 2,
            Self::Q4_0 => 18,
            Self::Q4_1 => 20,
            Self::Q8_0 => 34,
        }
    }

    /// Bytes for `n` elements (`n` a multiple of [`GgmlType::block_len`]).
    pub fn row_bytes(self, n: u64) -> u64 {
        n / self.block_len() * self.block_bytes()
    }
}

fn f16_at(b: &[u8], i: usize) -> f32 {
    f16::from_bits(u16::from_le_bytes([b[i], b[i + 1]])).to_f32()
}

/// Dequantises `data` (whole blocks of `ty`) to f32, appending to `out`.
/// Written for clarity: this is the reference the GPU kernels are checked against.
pub fn dequantize_into(ty: GgmlType, data: &[u8], out: &mut Vec<f32>) {
    match ty {
        GgmlType::F32 => out.extend(
            data.chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])),
        ),
        GgmlType::F16 => out.extend(data.chunks_exact(2).map(|c| f16_at(c, 0))),
        GgmlType::Q4_0 => {
            for b in data.chunks_exact(18) {
                let d = f16_at(b, 0);
                let qs = &b[2..18];
                out.extend(qs.iter().map(|&q| (f32::from(q & 15) - 8.0) * d));
                out.extend(qs.iter().map(|&q| (f32::from(q >> 4) - 8.0) * d));
            }
        }
        GgmlType::Q4_1 => {
            for b in data.chunks_exact(20) {
                let (d, m) = (f16_at(b, 0), f16_at(b, 2));
                let qs = &b[4..20];
                out.extend(qs.iter().map(|&q| f32::from(q & 15) * d + m));
                out.extend(qs.iter().map(|&q| f32::from(q >> 4) * d + m));
            }
        }
        GgmlType::Q8_0 => {
            for b in data.chunks_exact(34) {
                let d = f16_at(b, 0);
                out.extend(b[2..34].iter().map(|&q| f32::from(q as i8) * d));
            }
        }
    }
}

/// Dequantises `data` (whole blocks of `ty`) to a new vector.
pub fn dequantize(ty: GgmlType, data: &[u8]) -> Vec<f32> {
    let mut out =
        Vec::with_capacity((data.len() as u64 / ty.block_bytes() * ty.block_len()) as usize);
    dequantize_into(ty, data, &mut out);
    out
}

/// Quantises `x` (length a multiple of the block length) like ggml's reference quantisers
/// (`quantize_row_q4_0_ref`, `quantize_row_q4_1_ref`, `quantize_row_q8_0_ref`).
pub fn quantize(ty: GgmlType, x: &[f32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(ty.row_bytes(x.len() as u64) as usize);
    match ty {
        GgmlType::F32 => out.extend(x.iter().flat_map(|v| v.to_le_bytes())),
        GgmlType::F16 => out.extend(x.iter().flat_map(|v| f16::from_f32(*v).to_le_bytes())),
        GgmlType::Q4_0 => {
            for blk in x.chunks_exact(QK) {
                // The signed value of largest magnitude maps to -8.
                let max = blk
                    .iter()
                    .copied()
                    .fold(0f32, |m, v| if v.abs() > m.abs() { v } else { m });
                let d = max / -8.0;
                let id = if d != 0.0 { 1.0 / d } else { 0.0 };
                out.extend(f16::from_f32(d).to_le_bytes());
                let q = |v: f32| ((v * id + 8.5) as u8).min(15);
                for j in 0..QK / 2 {
                    out.push(q(blk[j]) | (q(blk[j + QK / 2]) << 4));
                }
            }
        }
        GgmlType::Q4_1 => {
            for blk in x.chunks_exact(QK) {
                let min = blk.iter().copied().fold(f32::INFINITY, f32::min);
                let max = blk.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let d = (max - min) / 15.0;
                let id = if d != 0.0 { 1.0 / d } else { 0.0 };
                out.extend(f16::from_f32(d).to_le_bytes());
                out.extend(f16::from_f32(min).to_le_bytes());
                let q = |v: f32| (((v - min) * id + 0.5) as u8).min(15);
                for j in 0..QK / 2 {
                    out.push(q(blk[j]) | (q(blk[j + QK / 2]) << 4));
                }
            }
        }
        GgmlType::Q8_0 => {
            for blk in x.chunks_exact(QK) {
                let amax = blk.iter().fold(0f32, |a, v| a.max(v.abs()));
                let d = amax / 127.0;
                let id = if d != 0.0 { 1.0 / d } else { 0.0 };
                out.extend(f16::from_f32(d).to_le_bytes());
                out.extend(blk.iter().map(|v| (v * id).round() as i8 as u8));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q4_1_known_block() {
        // d = 0.5, m = -1: nibble q decodes to 0.5q - 1.
        let mut b = Vec::new();
        b.extend(f16::from_f32(0.5).to_le_bytes());
        b.extend(f16::from_f32(-1.0).to_le_bytes());
        b.extend((0..16u8).map(|j| j | ((15 - j) << 4)));
        let y = dequantize(GgmlType::Q4_1, &b);
        assert_eq!(y.len(), 32);
        assert_eq!((y[0], y[3], y[15]), (-1.0, 0.5, 6.5));
        assert_eq!((y[16], y[31]), (6.5, -1.0));
    }

    #[test]
    fn q8_0_known_block() {
        let mut b = Vec::new();
        b.extend(f16::from_f32(0.25).to_le_bytes());
        b.extend((0..32).map(|j: i32| (j - 16) as i8 as u8));
        let y = dequantize(GgmlType::Q8_0, &b);
        assert_eq!((y[0], y[16], y[31]), (-4.0, 0.0, 3.75));
    }

    #[test]
    fn quantisers_round_trip_within_a_step() {
        let x: Vec<f32> = (0..64)
            .map(|i| ((i * 37 % 64) as f32 - 31.5) / 8.0)
            .collect();
        for (ty, tol) in [
            // Symmetric: the end opposite the largest magnitude clips to 7·d, a whole step.
            (GgmlType::Q4_0, 0.55),
            (GgmlType::Q4_1, 0.3),
            (GgmlType::Q8_0, 0.02),
            (GgmlType::F16, 1e-3),
        ] {
            let y = dequantize(ty, &quantize(ty, &x));
            let err = x
                .iter()
                .zip(&y)
                .map(|(a, b)| (a - b).abs())
                .fold(0f32, f32::max);
            assert!(err < tol, "{ty:?}: max error {err}");
            assert!(err > 0.0 || ty == GgmlType::F16, "{ty:?} lost nothing?");
        }
    }
}
