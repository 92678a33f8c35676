//! Integer WGSL compute kernels. Each `<name>.rs` holds the GPU path (pipelines built once per
//! [`crate::GpuContext`]) and its CPU reference `cpu(...)`; GPU and CPU agree bit for bit.

pub mod matmul_i8;

pub use matmul_i8::{MatmulI8Kernel, PackedI8};
