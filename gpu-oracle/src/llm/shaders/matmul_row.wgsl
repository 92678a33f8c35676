// y[y_off + i·n + r] (+)= alpha · Σ_j W[r][j] · x[x_off + i·k + j] for rows i < m, r < n.
// One invocation per (weight row r, TM rows of x), walking the row block by block (the format
// prefix w_q4_1 / w_q8_0 / w_f32 supplies blk_dm / blk_elem; each weight is dequantised once
// for all TM rows).
// No workgroup memory or barriers: the faster shape on CPU Vulkan devices (lavapipe), where a
// workgroup's invocations are SIMD lanes and barriers are expensive.
// Bindings: 0 w (raw weight bytes), 1 x, 2 y, 3 params.
const TM: u32 = 4u;

struct Params {
    m: u32,
    n: u32,
    k: u32,
    row_bytes: u32,
    x_off: u32,
    y_off: u32,
    accumulate: u32,
    alpha: f32,
};

@group(0) @binding(0) var<storage, read> w: array<u32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
    let r = g.x + g.z * nw.x * 64u;
    let i0 = g.y * TM;
    if (r >= p.n || i0 >= p.m) {
        return;
    }
    let rows = min(TM, p.m - i0);
    let rbase = r * p.row_bytes;
    var acc: array<f32, TM>;
    for (var t = 0u; t < TM; t = t + 1u) {
        acc[t] = 0.0;
    }
    for (var c0 = 0u; c0 < p.k; c0 = c0 + 32u) {
        let base = rbase + (c0 / 32u) * BLOCK_BYTES;
        let dm = blk_dm(base);
        let cn = min(32u, p.k - c0);
        for (var j = 0u; j < cn; j = j + 1u) {
            let wv = blk_elem(base, dm, j);
            for (var t = 0u; t < rows; t = t + 1u) {
                acc[t] = acc[t] + wv * x[p.x_off + (i0 + t) * p.k + c0 + j];
            }
        }
    }
    for (var t = 0u; t < rows; t = t + 1u) {
        let o = p.y_off + (i0 + t) * p.n + r;
        let v = p.alpha * acc[t];
        if (p.accumulate != 0u) {
            y[o] = y[o] + v;
        } else {
            y[o] = v;
        }
    }
}
