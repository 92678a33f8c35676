//! Where the integer kernels of a method run: GPU or the CPU reference. Both give identical bits,
//! so a method's result hash does not depend on the choice.

use crate::error::GpuError;
use crate::gpu::GpuContext;
use crate::kernels::matmul_i8::{self, MatmulI8Kernel, PackedI8};

/// Execution backend for attested integer kernels.
#[derive(Debug)]
pub enum Compute<'a> {
    /// CPU reference implementations (dispute re-execution, machines without an adapter).
    Cpu,
    /// GPU kernels on a shared context.
    Gpu {
        /// The context.
        ctx: &'a GpuContext,
        /// The int8 matmul kernel built against `ctx`.
        matmul: &'a mut MatmulI8Kernel,
    },
}

impl Compute<'_> {
    /// `A · Bᵀ`, int8 × int8 → wrapping i32.
    pub fn matmul_i8(&mut self, a: &PackedI8, b_t: &PackedI8) -> Result<Vec<i32>, GpuError> {
        match self {
            Compute::Cpu => {
                if a.cols() != b_t.cols() {
                    return Err(GpuError::Shape {
                        kernel: "matmul_i8",
                        reason: format!("k mismatch: {} vs {}", a.cols(), b_t.cols()),
                    });
                }
                Ok(matmul_i8::cpu_packed(a, b_t))
            }
            Compute::Gpu { ctx, matmul } => matmul.run(ctx, a, b_t),
        }
    }

    /// `"cpu"` or the adapter name.
    pub fn name(&self) -> String {
        match self {
            Compute::Cpu => "cpu".into(),
            Compute::Gpu { ctx, .. } => ctx.adapter_info().name.clone(),
        }
    }
}
