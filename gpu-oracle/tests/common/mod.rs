//! Shared fixtures for integration tests. A missing adapter FAILS the test unless
//! `GPU_ORACLE_SKIP_GPU_TESTS=1` is set (then GPU halves of tests are skipped).
#![allow(dead_code)]

use std::sync::{Mutex, MutexGuard, OnceLock};

use gpu_oracle::attribution::{ContributionRef, DatanetVersion};
use gpu_oracle::kernels::MatmulI8Kernel;
use gpu_oracle::GpuContext;

pub struct Gpu {
    pub ctx: &'static GpuContext,
    pub matmul: MutexGuard<'static, MatmulI8Kernel>,
}

static CTX: OnceLock<Option<GpuContext>> = OnceLock::new();
static MATMUL: OnceLock<Mutex<MatmulI8Kernel>> = OnceLock::new();

pub fn gpu() -> Option<Gpu> {
    let ctx = CTX
        .get_or_init(|| match GpuContext::new() {
            Ok(ctx) => Some(ctx),
            Err(e) if std::env::var("GPU_ORACLE_SKIP_GPU_TESTS").is_ok_and(|v| v == "1") => {
                eprintln!("GPU part skipped (GPU_ORACLE_SKIP_GPU_TESTS=1): {e}");
                None
            }
            Err(e) => panic!("{e}\n(set GPU_ORACLE_SKIP_GPU_TESTS=1 to skip GPU tests explicitly)"),
        })
        .as_ref()?;
    let matmul = MATMUL
        .get_or_init(|| Mutex::new(MatmulI8Kernel::new(ctx).expect("matmul pipelines")))
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    Some(Gpu { ctx, matmul })
}

pub fn dn(datanet_id: u64, version: u32) -> DatanetVersion {
    DatanetVersion {
        datanet_id,
        version,
    }
}

pub fn c(datanet_id: u64, version: u32, id: u64) -> ContributionRef {
    ContributionRef::new(datanet_id, version, id)
}
