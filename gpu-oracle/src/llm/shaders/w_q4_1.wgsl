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

// Elements 8·u .. 8·u + 8 of the row starting at byte `rbase` (4 units per block).
fn unit_vals(rbase: u32, u: u32, k: u32) -> array<f32, 8> {
    let base = rbase + (u / 4u) * BLOCK_BYTES;
    let dm = unpack2x16float(w[base >> 2u]);
    let j0 = (u % 4u) * 8u;
    var v: array<f32, 8>;
    for (var j = 0u; j < 8u; j = j + 1u) {
        v[j] = q4_1_elem(base, dm, j0 + j);
    }
    return v;
}

// Block interface of matmul_row.wgsl: (d, m) of the block at byte `base`, and element j.
fn blk_dm(base: u32) -> vec2<f32> {
    return unpack2x16float(w[base >> 2u]);
}

fn blk_elem(base: u32, dm: vec2<f32>, j: u32) -> f32 {
    return q4_1_elem(base, dm, j);
}
