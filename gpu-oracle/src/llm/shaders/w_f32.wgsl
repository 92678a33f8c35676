// f32 weights (prefix of matmul_q.wgsl): used for LoRA factors and merged/F16 weights; any k.
// `w` (array<u32>, raw bytes) is declared by the body.
fn row_dot(rbase: u32, xoff: u32, k: u32) -> f32 {
    let r = rbase >> 2u;
    var acc = 0.0;
    for (var j = 0u; j < k; j = j + 1u) {
        acc = acc + bitcast<f32>(w[r + j]) * x[xoff + j];
    }
    return acc;
}
