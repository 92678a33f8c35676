// f32 weights (prefix of matmul_q.wgsl): LoRA factors and merged/F16 weights; any k (elements
// past k read as 0). `w` (array<u32>, raw bytes) is declared by the body.
fn unit_vals(rbase: u32, u: u32, k: u32) -> array<f32, 8> {
    let r = rbase >> 2u;
    var v: array<f32, 8>;
    for (var j = 0u; j < 8u; j = j + 1u) {
        let c = u * 8u + j;
        v[j] = select(0.0, bitcast<f32>(w[r + min(c, k - 1u)]), c < k);
    }
    return v;
}

// Block interface of matmul_row.wgsl: 32 plain floats per "block" (the kernel stops at k).
const BLOCK_BYTES: u32 = 128u;

fn blk_dm(base: u32) -> vec2<f32> {
    return vec2<f32>(0.0);
}

fn blk_elem(base: u32, dm: vec2<f32>, j: u32) -> f32 {
    return bitcast<f32>(w[(base >> 2u) + j]);
}
