// Q8_0 weights (prefix of matmul_q.wgsl / dequant.wgsl): blocks of 32 = f16 d, 32 × i8;
// element j is qs[j]·d (exact in f32). Blocks are 34 bytes, so bytes are read unaligned.
// `w` (array<u32>, raw bytes) is declared by the body.
const BLOCK_BYTES: u32 = 34u;

fn q8_0_byte(off: u32) -> u32 {
    return (w[off >> 2u] >> ((off & 3u) * 8u)) & 0xffu;
}

fn q8_0_scale(base: u32) -> f32 {
    return unpack2x16float(q8_0_byte(base) | (q8_0_byte(base + 1u) << 8u)).x;
}

fn q8_0_elem(base: u32, d: f32, j: u32) -> f32 {
    // Sign-extend the byte through an arithmetic shift.
    let q = bitcast<i32>(q8_0_byte(base + 2u + j) << 24u) >> 24u;
    return f32(q) * d;
}

fn deq_elem(i: u32) -> f32 {
    let base = (i / 32u) * BLOCK_BYTES;
    return q8_0_elem(base, q8_0_scale(base), i % 32u);
}

// Elements 8·u .. 8·u + 8 of the row starting at byte `rbase` (4 units per block).
fn unit_vals(rbase: u32, u: u32, k: u32) -> array<f32, 8> {
    let base = rbase + (u / 4u) * BLOCK_BYTES;
    let d = q8_0_scale(base);
    let j0 = (u % 4u) * 8u;
    var v: array<f32, 8>;
    for (var j = 0u; j < 8u; j = j + 1u) {
        v[j] = q8_0_elem(base, d, j0 + j);
    }
    return v;
}

// Block interface of matmul_row.wgsl: (d, 0) of the block at byte `base`, and element j.
fn blk_dm(base: u32) -> vec2<f32> {
    return vec2<f32>(q8_0_scale(base), 0.0);
}

fn blk_elem(base: u32, dm: vec2<f32>, j: u32) -> f32 {
    return q8_0_elem(base, dm.x, j);
}
