// g[i] = silu(g[i]) · u[i] = g[i] / (1 + exp(-g[i])) · u[i]. Bindings: 0 g, 1 u, 2 params.
struct Params {
    n: u32,
    _p0: u32,
    _p1: u32,
    _p2: u32,
};

@group(0) @binding(0) var<storage, read_write> gate: array<f32>;
@group(0) @binding(1) var<storage, read> up: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
    let i = g.x + g.y * nw.x * 64u;
    if (i >= p.n) {
        return;
    }
    let v = gate[i];
    gate[i] = v / (1.0 + exp(-v)) * up[i];
}
