// int8 x int8 -> i32 matrix product C = A * B^T, tiled: a 16x16 workgroup computes a 64x64 tile of
// C, each invocation a 4x4 register block (rows ly + 16*i, cols lx + 16*j); K advances 8 words
// (32 int8) at a time through workgroup memory. Out-of-range loads read 0, which adds nothing.
// Needs `fn dot4(u32, u32) -> i32` prepended (dot4_packed.wgsl or dot4_portable.wgsl).
//
// Bindings (group 0): identical to matmul_i8.wgsl
//   @binding(0) a: array<u32>   storage, read   A, m x kw words, row-major, 4 int8 per u32 along K
//   @binding(1) b: array<u32>   storage, read   B^T, n x kw words, row-major, packed along K
//   @binding(2) c: array<i32>   storage, rw     C, m x n, row-major
//   @binding(3) d: Dims         uniform         { m, n, kw, _p }
// Wrapping i32 sums: the result is bit-identical to matmul_i8.wgsl and the CPU reference.
struct Dims { m: u32, n: u32, kw: u32, _p: u32 };

@group(0) @binding(0) var<storage, read> a: array<u32>;
@group(0) @binding(1) var<storage, read> b: array<u32>;
@group(0) @binding(2) var<storage, read_write> c: array<i32>;
@group(0) @binding(3) var<uniform> d: Dims;

const TILE: u32 = 64u;    // rows/cols of C per workgroup; mirrors TILE in matmul_i8.rs
const KW: u32 = 8u;       // packed words of K per step
const STRIDE: u32 = 9u;   // KW + 1: padded row stride in workgroup memory (no bank conflicts)

var<workgroup> ta: array<u32, 576>;  // TILE * STRIDE
var<workgroup> tb: array<u32, 576>;

@compute @workgroup_size(16, 16)
fn main(@builtin(local_invocation_id) l: vec3<u32>, @builtin(workgroup_id) wg: vec3<u32>) {
    let row0 = wg.y * TILE;
    let col0 = wg.x * TILE;
    let tid = l.y * 16u + l.x;
    var acc: array<i32, 16>;
    for (var k0: u32 = 0u; k0 < d.kw; k0 = k0 + KW) {
        // 2 x 256 invocations load the 64 x 8 words of each operand.
        for (var s: u32 = 0u; s < 2u; s = s + 1u) {
            let idx = tid + s * 256u;
            let r = idx / KW;
            let w = idx % KW;
            let gk = k0 + w;
            var va: u32 = 0u;
            if (row0 + r < d.m && gk < d.kw) { va = a[(row0 + r) * d.kw + gk]; }
            ta[r * STRIDE + w] = va;
            var vb: u32 = 0u;
            if (col0 + r < d.n && gk < d.kw) { vb = b[(col0 + r) * d.kw + gk]; }
            tb[r * STRIDE + w] = vb;
        }
        workgroupBarrier();
        for (var w: u32 = 0u; w < KW; w = w + 1u) {
            var av: array<u32, 4>;
            var bv: array<u32, 4>;
            for (var i: u32 = 0u; i < 4u; i = i + 1u) {
                av[i] = ta[(l.y + 16u * i) * STRIDE + w];
                bv[i] = tb[(l.x + 16u * i) * STRIDE + w];
            }
            for (var i: u32 = 0u; i < 4u; i = i + 1u) {
                for (var j: u32 = 0u; j < 4u; j = j + 1u) {
                    acc[i * 4u + j] = acc[i * 4u + j] + dot4(av[i], bv[j]);
                }
            }
        }
        workgroupBarrier();
    }
    for (var i: u32 = 0u; i < 4u; i = i + 1u) {
        for (var j: u32 = 0u; j < 4u; j = j + 1u) {
            let r = row0 + l.y + 16u * i;
            let col = col0 + l.x + 16u * j;
            if (r < d.m && col < d.n) { c[r * d.n + col] = acc[i * 4u + j]; }
        }
    }
}
