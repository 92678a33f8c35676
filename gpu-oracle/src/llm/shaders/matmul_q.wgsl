// y[y_off + i·n + r] (+)= alpha · Σ_j W[r][j] · x[x_off + i·k + j] for rows i < m, r < n.
// The weight format's prefix (w_q4_1 / w_q8_0 / w_f32) supplies row_dot.
// Bindings: 0 w (raw weight bytes), 1 x, 2 y, 3 params.
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
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
    let r = g.x;
    let i = g.y;
    if (r >= p.n || i >= p.m) {
        return;
    }
    let s = p.alpha * row_dot(r * p.row_bytes, p.x_off + i * p.k, p.k);
    let o = p.y_off + i * p.n + r;
    if (p.accumulate != 0u) {
        y[o] = y[o] + s;
    } else {
        y[o] = s;
    }
}
