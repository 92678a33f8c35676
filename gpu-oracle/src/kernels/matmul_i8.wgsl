// int8 x int8 -> i32 matrix product C = A * B^T, one output per invocation (small/skinny shapes).
// Needs `fn dot4(u32, u32) -> i32` prepended (dot4_packed.wgsl or dot4_portable.wgsl).
//
// Bindings (group 0), mirrored by MatmulI8Kernel's layout in matmul_i8.rs:
//   @binding(0) a: array<u32>   storage, read   A, m x kw words, row-major, 4 int8 per u32 along K
//   @binding(1) b: array<u32>   storage, read   B^T, n x kw words, row-major, packed along K
//   @binding(2) c: array<i32>   storage, rw     C, m x n, row-major
//   @binding(3) d: Dims         uniform         { m, n, kw, _p }
// Byte j of a word holds element 4*i + j (little-endian); K is zero-padded to a multiple of 4.
// Sums wrap in two's complement, so any accumulation order gives the same bits.
struct Dims { m: u32, n: u32, kw: u32, _p: u32 };

@group(0) @binding(0) var<storage, read> a: array<u32>;
@group(0) @binding(1) var<storage, read> b: array<u32>;
@group(0) @binding(2) var<storage, read_write> c: array<i32>;
@group(0) @binding(3) var<uniform> d: Dims;

@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
    let row = g.y;
    let col = g.x;
    if (row >= d.m || col >= d.n) { return; }
    let ar = row * d.kw;
    let br = col * d.kw;
    var acc: i32 = 0;
    for (var i: u32 = 0u; i < d.kw; i = i + 1u) {
        acc = acc + dot4(a[ar + i], b[br + i]);
    }
    c[row * d.n + col] = acc;
}
