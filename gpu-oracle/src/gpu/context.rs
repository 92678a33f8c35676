//! Adapter choice and device creation.
//!
//! Preference: discrete GPU > integrated GPU > virtual GPU > CPU device (Mesa lavapipe,
//! `llvmpipe`) > other. `WGPU_ADAPTER_NAME` (case-insensitive substring) restricts the choice and
//! `WGPU_BACKEND` restricts the backends, as in `wgpu::util::initialize_adapter_from_env`.
//!
//! Environment: Mesa prints a harmless "XDG_RUNTIME_DIR is invalid" line when that variable is
//! unset; the scripts export it (`scripts/test-oracle.sh`). This library never mutates the process
//! environment.

use crate::error::GpuError;

/// Which WGSL formulation the int8 dot-product kernels use. Both give identical bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Int8Path {
    /// `dot4I8Packed` (WGSL language extension `packed_4x8_integer_dot_product`). naga lowers it to
    /// SPIR-V `OpSDot` when the device has `VK_KHR_shader_integer_dot_product`, otherwise to a
    /// bit-extract polyfill.
    Packed,
    /// Portable shift/multiply formulation that needs no extension.
    Portable,
}

impl Int8Path {
    /// Short name for logs and bench output.
    pub fn as_str(self) -> &'static str {
        match self {
            Int8Path::Packed => "dot4I8Packed",
            Int8Path::Portable => "portable",
        }
    }
}

/// Options for [`GpuContext::with_options`].
#[derive(Clone, Debug, Default)]
pub struct ContextOptions {
    /// Only adapters whose name contains this (case-insensitive). Defaults to `WGPU_ADAPTER_NAME`.
    pub adapter_name: Option<String>,
    /// Force an int8 path. Defaults to `GPU_ORACLE_INT8_PATH` (`packed` | `portable`), else the
    /// packed path when the instance implements `packed_4x8_integer_dot_product`.
    pub int8_path: Option<Int8Path>,
}

impl ContextOptions {
    /// Options taken from the environment (`WGPU_ADAPTER_NAME`, `GPU_ORACLE_INT8_PATH`).
    pub fn from_env() -> Self {
        let adapter_name = std::env::var("WGPU_ADAPTER_NAME")
            .ok()
            .filter(|s| !s.is_empty());
        let int8_path = match std::env::var("GPU_ORACLE_INT8_PATH").ok().as_deref() {
            Some("packed") => Some(Int8Path::Packed),
            Some("portable") => Some(Int8Path::Portable),
            _ => None,
        };
        Self {
            adapter_name,
            int8_path,
        }
    }
}

/// Rank of a device type in the adapter preference order (lower is preferred).
pub fn adapter_rank(device_type: wgpu::DeviceType) -> u8 {
    match device_type {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Cpu => 3,
        wgpu::DeviceType::Other => 4,
    }
}

/// Device, queue and the facts about the adapter they came from. Create once per process and
/// share (`Device` and `Queue` are `Send + Sync`); kernels build their pipelines against it once.
#[derive(Debug)]
pub struct GpuContext {
    /// The logical device.
    pub device: wgpu::Device,
    /// Its queue.
    pub queue: wgpu::Queue,
    info: wgpu::AdapterInfo,
    limits: wgpu::Limits,
    int8_path: Int8Path,
}

impl GpuContext {
    /// Picks the preferred adapter (see module doc) with options from the environment.
    pub fn new() -> Result<Self, GpuError> {
        Self::with_options(ContextOptions::from_env())
    }

    /// Like [`GpuContext::new`], but `None` (after logging the reason to stderr) instead of an
    /// error.
    pub fn from_env() -> Option<Self> {
        match Self::new() {
            Ok(ctx) => Some(ctx),
            Err(e) => {
                eprintln!("gpu-oracle: {e}");
                None
            }
        }
    }

    /// Picks an adapter and creates the device (blocking).
    pub fn with_options(opts: ContextOptions) -> Result<Self, GpuError> {
        pollster::block_on(Self::with_options_async(opts))
    }

    async fn with_options_async(opts: ContextOptions) -> Result<Self, GpuError> {
        let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
        // No validation layers by default (slow; enable with WGPU_VALIDATION=1).
        desc.flags = wgpu::InstanceFlags::empty();
        let desc = desc.with_env();
        let backends = desc.backends;
        let instance = wgpu::Instance::new(desc);

        let mut adapters = instance.enumerate_adapters(backends).await;
        if let Some(name) = &opts.adapter_name {
            let want = name.to_lowercase();
            adapters.retain(|a| a.get_info().name.to_lowercase().contains(&want));
        }
        // Stable sort: equal ranks keep the enumeration order.
        adapters.sort_by_key(|a| adapter_rank(a.get_info().device_type));
        let Some(adapter) = adapters.into_iter().next() else {
            return Err(GpuError::NoAdapter {
                backends: format!(
                    "{:?}",
                    backends & wgpu::Instance::enabled_backend_features()
                ),
                hint: match &opts.adapter_name {
                    Some(n) => format!("; WGPU_ADAPTER_NAME={n:?} matched no adapter"),
                    None => String::new(),
                },
            });
        };
        let info = adapter.get_info();

        let int8_path = opts.int8_path.unwrap_or_else(|| {
            if instance
                .wgsl_language_features()
                .contains(wgpu::WgslLanguageFeatures::Packed4x8IntegerDotProduct)
            {
                Int8Path::Packed
            } else {
                Int8Path::Portable
            }
        });

        // Ask for the adapter's own limits: large storage buffers matter for corpus-sized inputs.
        let limits = adapter.limits();
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("gpu-oracle"),
                required_features: wgpu::Features::empty(),
                required_limits: limits.clone(),
                experimental_features: wgpu::ExperimentalFeatures::disabled(),
                memory_hints: wgpu::MemoryHints::Performance,
                trace: wgpu::Trace::Off,
            })
            .await
            .map_err(|source| GpuError::RequestDevice {
                adapter: info.name.clone(),
                source,
            })?;

        Ok(Self {
            device,
            queue,
            info,
            limits,
            int8_path,
        })
    }

    /// Adapter facts (name, device type, backend, driver).
    pub fn adapter_info(&self) -> &wgpu::AdapterInfo {
        &self.info
    }

    /// Limits the device was created with.
    pub fn limits(&self) -> &wgpu::Limits {
        &self.limits
    }

    /// The int8 dot-product formulation kernels use by default on this context.
    pub fn int8_path(&self) -> Int8Path {
        self.int8_path
    }

    /// `true` for a CPU device (lavapipe / llvmpipe, WARP, SwiftShader).
    pub fn is_cpu(&self) -> bool {
        self.info.device_type == wgpu::DeviceType::Cpu
    }

    /// One line describing the adapter, e.g. `llvmpipe (LLVM 15.0.6, 256 bits) | Vulkan | Cpu | Mesa 22.3.6`.
    pub fn describe(&self) -> String {
        format!(
            "{} | {:?} | {:?} | {} {} | int8 path: {}",
            self.info.name,
            self.info.backend,
            self.info.device_type,
            self.info.driver,
            self.info.driver_info,
            self.int8_path.as_str()
        )
    }

    /// Runs `f` inside a validation + out-of-memory error scope and turns a captured error into
    /// [`GpuError::Wgpu`].
    pub fn checked<T>(&self, op: &'static str, f: impl FnOnce() -> T) -> Result<T, GpuError> {
        let oom = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let val = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let out = f();
        let val_err = pollster::block_on(val.pop());
        let oom_err = pollster::block_on(oom.pop());
        match val_err.or(oom_err) {
            Some(e) => Err(GpuError::Wgpu {
                op,
                message: e.to_string(),
            }),
            None => Ok(out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discrete_beats_integrated_beats_cpu() {
        use wgpu::DeviceType as D;
        assert!(adapter_rank(D::DiscreteGpu) < adapter_rank(D::IntegratedGpu));
        assert!(adapter_rank(D::IntegratedGpu) < adapter_rank(D::VirtualGpu));
        assert!(adapter_rank(D::VirtualGpu) < adapter_rank(D::Cpu));
        assert!(adapter_rank(D::Cpu) < adapter_rank(D::Other));
    }

    #[test]
    fn no_matching_adapter_is_a_clear_error() {
        let err = GpuContext::with_options(ContextOptions {
            adapter_name: Some("no-such-adapter-xyzzy".into()),
            int8_path: None,
        })
        .expect_err("a name that matches nothing must fail");
        let msg = err.to_string();
        assert!(matches!(err, GpuError::NoAdapter { .. }), "{msg}");
        assert!(
            msg.contains("setup-gpu.sh") && msg.contains("no-such-adapter-xyzzy"),
            "{msg}"
        );
    }

    #[test]
    fn context_reports_adapter() {
        let Some(g) = crate::testutil::gpu() else {
            return;
        };
        let ctx = g.ctx;
        let d = ctx.describe();
        assert!(!ctx.adapter_info().name.is_empty(), "{d}");
        eprintln!("adapter: {d}");
    }
}
