// out[i][j] = x[i][j] · (1 / sqrt(mean_j x[i][j]² + eps)) · wt[j], one invocation per row.
// Bindings: 0 x, 1 wt, 2 out, 3 params.
struct Params {
    m: u32,
    d: u32,
    eps: f32,
    _p: u32,
};

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> wt: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
    let i = g.x;
    if (i >= p.m) {
        return;
    }
    let o = i * p.d;
    var ss = 0.0;
    for (var j = 0u; j < p.d; j = j + 1u) {
        ss = ss + x[o + j] * x[o + j];
    }
    let inv = 1.0 / sqrt(ss / f32(p.d) + p.eps);
    for (var j = 0u; j < p.d; j = j + 1u) {
        out[o + j] = x[o + j] * inv * wt[j];
    }
}
