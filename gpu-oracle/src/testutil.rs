//! Shared GPU fixtures for unit tests: one context and one set of kernels per test binary.
//!
//! A missing adapter is a test FAILURE (CI installs lavapipe; a skipped GPU test would hide a
//! broken install). Only `GPU_ORACLE_SKIP_GPU_TESTS=1` turns GPU tests into no-ops.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Mutex, MutexGuard, OnceLock};

use sha2::{Digest, Sha256};

use crate::gpu::GpuContext;
use crate::kernels::MatmulI8Kernel;

/// Kernels compiled once against the shared context.
pub struct Kernels {
    pub matmul: MatmulI8Kernel,
}

/// The shared context and exclusive access to the kernels.
pub struct Gpu {
    pub ctx: &'static GpuContext,
    pub kernels: MutexGuard<'static, Kernels>,
}

fn skip_requested() -> bool {
    std::env::var("GPU_ORACLE_SKIP_GPU_TESTS").is_ok_and(|v| v == "1")
}

static CTX: OnceLock<Option<GpuContext>> = OnceLock::new();
static KERNELS: OnceLock<Mutex<Kernels>> = OnceLock::new();

fn shared_ctx() -> Option<&'static GpuContext> {
    CTX.get_or_init(|| match GpuContext::new() {
        Ok(ctx) => {
            eprintln!("gpu-oracle tests: {}", ctx.describe());
            Some(ctx)
        }
        Err(e) if skip_requested() => {
            eprintln!("gpu-oracle tests: GPU tests skipped (GPU_ORACLE_SKIP_GPU_TESTS=1): {e}");
            None
        }
        Err(e) => panic!(
            "{e}\nGPU tests need an adapter (run scripts/setup-gpu.sh); set \
             GPU_ORACLE_SKIP_GPU_TESTS=1 to skip them explicitly"
        ),
    })
    .as_ref()
}

/// The shared context and kernels, or `None` only when GPU tests were explicitly skipped.
pub fn gpu() -> Option<Gpu> {
    let ctx = shared_ctx()?;
    let kernels = KERNELS
        .get_or_init(|| {
            Mutex::new(Kernels {
                matmul: MatmulI8Kernel::new(ctx).unwrap(),
            })
        })
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    Some(Gpu { ctx, kernels })
}

/// SHA-256 of i32s as little-endian bytes.
pub fn sha256_i32(v: &[i32]) -> [u8; 32] {
    let mut h = Sha256::new();
    for x in v {
        h.update(x.to_le_bytes());
    }
    h.finalize().into()
}
