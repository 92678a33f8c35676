// dot4(x, y): dot product of the four int8 lanes of x and y (byte j = lane j), as i32.
// Portable path: lanes sign-extended with shifts (arithmetic >> on i32); no extension needed.
// Same bits as dot4_packed.wgsl. Prepended to matmul_i8*.wgsl by matmul_i8.rs (no bindings here).
fn dot4(x: u32, y: u32) -> i32 {
    let xi = bitcast<i32>(x);
    let yi = bitcast<i32>(y);
    let p0 = ((xi << 24u) >> 24u) * ((yi << 24u) >> 24u);
    let p1 = ((xi << 16u) >> 24u) * ((yi << 16u) >> 24u);
    let p2 = ((xi << 8u) >> 24u) * ((yi << 8u) >> 24u);
    let p3 = (xi >> 24u) * (yi >> 24u);
    return p0 + p1 + p2 + p3;
}

