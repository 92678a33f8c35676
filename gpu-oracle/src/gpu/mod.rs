//! The wgpu engine: one [`GpuContext`] per process (device + queue + adapter facts), and the one
//! readback path ([`readback`]). All wgpu-version-specific calls live in this module so that the
//! next wgpu upgrade touches `context.rs` and `readback.rs` only.

pub mod context;
pub mod readback;

pub use context::{adapter_rank, ContextOptions, GpuContext, Int8Path};
