// y[y_off + i·n + r] (+)= alpha · Σ_j W[r][j] · x[x_off + i·k + j] for rows i < m, r < n.
// One workgroup per (weight row r, TM rows of x): its 64 invocations stride over the row in
// units of 8 elements (the format prefix w_q4_1 / w_q8_0 / w_f32 supplies unit_vals, which
// dequantises a unit once for all TM rows of x), then reduce through workgroup memory.
// Bindings: 0 w (raw weight bytes), 1 x, 2 y, 3 params.
const WG: u32 = 64u;
const TM: u32 = 8u;

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

var<workgroup> partial: array<f32, 512>; // WG × TM

@compute @workgroup_size(64)
fn main(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(num_workgroups) nw: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    // Rows beyond the limit of one dispatch dimension fold into z.
    let r = wg.x + wg.z * nw.x;
    let i0 = wg.y * TM;
    let rows = min(TM, p.m - min(p.m, i0));
    var acc: array<f32, 8>;
    for (var t = 0u; t < TM; t = t + 1u) {
        acc[t] = 0.0;
    }
    if (r < p.n) {
        let rbase = r * p.row_bytes;
        let units = (p.k + 7u) / 8u;
        for (var u = lid; u < units; u = u + WG) {
            let v = unit_vals(rbase, u, p.k);
            let c0 = u * 8u;
            let cn = min(8u, p.k - c0);
            for (var t = 0u; t < rows; t = t + 1u) {
                let xb = p.x_off + (i0 + t) * p.k + c0;
                var s = 0.0;
                for (var j = 0u; j < cn; j = j + 1u) {
                    s = s + v[j] * x[xb + j];
                }
                acc[t] = acc[t] + s;
            }
        }
    }
    for (var t = 0u; t < TM; t = t + 1u) {
        partial[t * WG + lid] = acc[t];
    }
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s = s >> 1u) {
        if (lid < s) {
            for (var t = 0u; t < TM; t = t + 1u) {
                partial[t * WG + lid] = partial[t * WG + lid] + partial[t * WG + lid + s];
            }
        }
        workgroupBarrier();
    }
    if (r < p.n && lid < rows) {
        let o = p.y_off + (i0 + lid) * p.n + r;
        let v = p.alpha * partial[lid * WG];
        if (p.accumulate != 0u) {
            y[o] = y[o] + v;
        } else {
            y[o] = v;
        }
    }
}
