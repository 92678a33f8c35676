//! Typed errors of the oracle library.

use thiserror::Error;

/// Errors raised by the GPU engine.
#[derive(Debug, Error)]
pub enum GpuError {
    /// No Vulkan adapter (not even Mesa lavapipe) was found.
    #[error(
        "no GPU adapter found (backends: {backends}); install a Vulkan driver or Mesa lavapipe \
         (`scripts/setup-gpu.sh`: apt-get install mesa-vulkan-drivers libvulkan1){hint}"
    )]
    NoAdapter {
        /// Backends that were searched.
        backends: String,
        /// Extra hint, e.g. about `WGPU_ADAPTER_NAME`.
        hint: String,
    },
    /// `request_device` failed.
    #[error("requesting a device from adapter {adapter:?} failed: {source}")]
    RequestDevice {
        /// Adapter name.
        adapter: String,
        /// wgpu's error.
        #[source]
        source: wgpu::RequestDeviceError,
    },
    /// A validation / out-of-memory / internal error reported by wgpu.
    #[error("wgpu error in {op}: {message}")]
    Wgpu {
        /// Operation that failed.
        op: &'static str,
        /// wgpu's description.
        message: String,
    },
    /// Polling the device failed (device lost, timeout).
    #[error("device poll failed: {0}")]
    Poll(#[from] wgpu::PollError),
    /// Mapping a buffer for readback failed.
    #[error("buffer map failed: {0}")]
    Map(String),
    /// A shape the kernel cannot run (zero dimensions, exceeds device limits...).
    #[error("invalid shape for {kernel}: {reason}")]
    Shape {
        /// Kernel name.
        kernel: &'static str,
        /// What is wrong.
        reason: String,
    },
}

/// Errors raised by attribution methods.
#[derive(Debug, Error)]
pub enum OracleError {
    /// A GPU failure.
    #[error(transparent)]
    Gpu(#[from] GpuError),
    /// Malformed input (empty corpus, mismatched dimensions, ...).
    #[error("invalid input: {0}")]
    InvalidInput(String),
}

/// Errors raised by the LLM inference stack ([`crate::llm`]).
#[derive(Debug, Error)]
pub enum LlmError {
    /// A GPU failure.
    #[error(transparent)]
    Gpu(#[from] GpuError),
    /// Reading a model or adapter file failed.
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A malformed GGUF file (bad magic, truncated, out-of-range offsets...).
    #[error("malformed GGUF at byte {offset}: {reason}")]
    Gguf {
        /// Byte offset where parsing failed.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// The model lacks a required metadata key or tensor, or has inconsistent shapes.
    #[error("model: {0}")]
    Model(String),
    /// A tensor type this crate does not implement.
    #[error("unsupported tensor type {ggml_type} for {tensor}")]
    UnsupportedType {
        /// GGML type id.
        ggml_type: u32,
        /// Tensor name.
        tensor: String,
    },
    /// A malformed LoRA adapter file or an adapter that does not fit the model.
    #[error("adapter {id}: {reason}")]
    Adapter {
        /// Adapter id or path.
        id: String,
        /// What is wrong.
        reason: String,
    },
    /// Bad arguments (empty prompt, token id out of range, context overflow...).
    #[error("invalid input: {0}")]
    InvalidInput(String),
}
