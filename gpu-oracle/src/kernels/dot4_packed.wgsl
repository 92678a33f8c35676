// dot4(x, y): dot product of the four int8 lanes of x and y (byte j = lane j), as i32.
// `dot4I8Packed` path: WGSL language extension packed_4x8_integer_dot_product; naga emits SPIR-V
// OpSDot when the device has VK_KHR_shader_integer_dot_product, else a bit-extract polyfill.
// Prepended to matmul_i8*.wgsl by matmul_i8.rs (no bindings here).
fn dot4(x: u32, y: u32) -> i32 {
    return dot4I8Packed(x, y);
}

