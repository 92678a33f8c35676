// out[i] = element i of a quantised tensor (format prefix w_q4_1 / w_q8_0 supplies deq_elem).
// 2-D dispatch so tensors beyond 65535 workgroups fit. Bindings: 0 w, 1 out, 2 params.
struct Params {
    n: u32,
    _p0: u32,
    _p1: u32,
    _p2: u32,
};

@group(0) @binding(0) var<storage, read> w: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
    let i = g.x + g.y * nw.x * 64u;
    if (i >= p.n) {
        return;
    }
    out[i] = deq_elem(i);
}
