// Q4_1 weights (prefix of matmul_q.wgsl / dequant.wgsl): blocks of 32 = f16 d, f16 m, 16 bytes
// of nibbles; element j < 16 is (qs[j] & 15)·d + m, element j + 16 is (qs[j] >> 4)·d + m.
// `w` (array<u32>, raw bytes) is declared by the body. Blocks are 20 bytes, so they start on
// word boundaries. q·d is exact in f32, so a fused q·d + m rounds like the CPU reference.
const BLOCK_BYTES: u32 = 20u;

fn q4_1_byte(off: u32) -> u32 {
    return (w[off >> 2u] >> ((off & 3u) * 8u)) & 0xffu;
}

// Element j (0..32) of the block starting at byte `base`, given its (d, m).
fn q4_1_elem(base: u32, dm: vec2<f32>, j: u32) -> f32 {
    let b = q4_1_byte(base + 4u + (j & 15u));
    let q = select(b & 15u, b >> 4u, j >= 16u);
    return f32(q) * dm.x + dm.y;
}

// Element i of a tensor that is a plain sequence of blocks.
fn deq_elem(i: u32) -> f32 {
    let base = (i / 32u) * BLOCK_BYTES;
    return q4_1_elem(base, unpack2x16float(w[base >> 2u]), i % 32u);
}

// Σ_j W[row][j]·x[xoff + j] over k elements, the row starting at byte `rbase`; sequential
// order, like the CPU reference.
fn row_dot(rbase: u32, xoff: u32, k: u32) -> f32 {
    var acc = 0.0;
    for (var blk = 0u; blk < k / 32u; blk = blk + 1u) {
        let base = rbase + blk * BLOCK_BYTES;
        let dm = unpack2x16float(w[base >> 2u]);
        let xb = xoff + blk * 32u;
        for (var j = 0u; j < 32u; j = j + 1u) {
            acc = acc + q4_1_elem(base, dm, j) * x[xb + j];
        }
    }
    return acc;
}
