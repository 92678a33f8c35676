// RoPE in place on adjacent pairs (2t, 2t+1) of each head (GGUF llama layout): row i (at
// position pos0 + i) starts at v[off + i·stride]. One invocation per (row, head, pair).
// Bindings: 0 v, 1 params.
struct Params {
    m: u32,
    heads: u32,
    head_dim: u32,
    stride: u32,
    off: u32,
    pos0: u32,
    base: f32,
    _p: u32,
};

@group(0) @binding(0) var<storage, read_write> v: array<f32>;
@group(0) @binding(1) var<uniform> p: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
    let half = p.head_dim / 2u;
    let t = g.x % half;
    let h = (g.x / half) % p.heads;
    let i = g.x / (half * p.heads);
    if (i >= p.m) {
        return;
    }
    let freq = pow(p.base, -2.0 * f32(t) / f32(p.head_dim));
    let ang = f32(p.pos0 + i) * freq;
    let s = sin(ang);
    let c = cos(ang);
    let o = p.off + i * p.stride + h * p.head_dim + 2u * t;
    let a = v[o];
    let b = v[o + 1u];
    v[o] = a * c - b * s;
    v[o + 1u] = a * s + b * c;
}
