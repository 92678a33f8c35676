// Causal grouped-query attention for rows at positions pos0 + i over the KV cache, one
// invocation per (row, query head), online softmax in one pass. head_dim ≤ 256.
// Bindings: 0 q [m × heads·hd], 1 k cache, 2 v cache [pos × kv_dim], 3 out [m × heads·hd], 4 params.
struct Params {
    m: u32,
    pos0: u32,
    heads: u32,
    kv_heads: u32,
    head_dim: u32,
    kv_dim: u32,
    scale: f32,
    _p: u32,
};

@group(0) @binding(0) var<storage, read> q: array<f32>;
@group(0) @binding(1) var<storage, read> kc: array<f32>;
@group(0) @binding(2) var<storage, read> vc: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
    let h = g.x % p.heads;
    let i = g.x / p.heads;
    if (i >= p.m) {
        return;
    }
    let hd = p.head_dim;
    let kvh = h / (p.heads / p.kv_heads);
    let qo = i * p.heads * hd + h * hd;
    var acc: array<f32, 256>;
    for (var d = 0u; d < hd; d = d + 1u) {
        acc[d] = 0.0;
    }
    var mx = -3.0e38;
    var sum = 0.0;
    for (var t = 0u; t <= p.pos0 + i; t = t + 1u) {
        let ko = t * p.kv_dim + kvh * hd;
        var s = 0.0;
        for (var d = 0u; d < hd; d = d + 1u) {
            s = s + q[qo + d] * kc[ko + d];
        }
        s = s * p.scale;
        let nm = max(mx, s);
        let c = exp(mx - nm);
        let e = exp(s - nm);
        sum = sum * c + e;
        for (var d = 0u; d < hd; d = d + 1u) {
            acc[d] = acc[d] * c + e * vc[ko + d];
        }
        mx = nm;
    }
    for (var d = 0u; d < hd; d = d + 1u) {
        out[qo + d] = acc[d] / sum;
    }
}
