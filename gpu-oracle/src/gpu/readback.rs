//! The one staging + `map_async` + poll path, and grow-only buffer reuse.

use crate::error::GpuError;
use crate::gpu::GpuContext;

/// A buffer that is reused across calls and only reallocated when a call needs more bytes.
#[derive(Debug)]
pub struct ReusableBuffer {
    label: &'static str,
    usage: wgpu::BufferUsages,
    buf: Option<wgpu::Buffer>,
}

impl ReusableBuffer {
    /// A buffer with this label and usage; nothing is allocated until [`ReusableBuffer::get`].
    pub fn new(label: &'static str, usage: wgpu::BufferUsages) -> Self {
        Self {
            label,
            usage,
            buf: None,
        }
    }

    /// A buffer of at least `bytes` bytes (rounded up to 256 and to a power of two, capped at the
    /// device's `max_buffer_size`, so a growing sequence of jobs reallocates O(log n) times).
    pub fn get(&mut self, ctx: &GpuContext, bytes: u64) -> &wgpu::Buffer {
        let want = bytes
            .max(16)
            .next_multiple_of(256)
            .next_power_of_two()
            .min(ctx.limits().max_buffer_size)
            .max(bytes);
        if self.buf.as_ref().is_some_and(|b| b.size() < bytes.max(16)) {
            self.buf = None;
        }
        let (label, usage) = (self.label, self.usage);
        self.buf.get_or_insert_with(|| {
            ctx.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: want,
                usage,
                mapped_at_creation: false,
            })
        })
    }

    /// Capacity in bytes (0 before the first use).
    pub fn capacity(&self) -> u64 {
        self.buf.as_ref().map_or(0, |b| b.size())
    }
}

/// Usage of a staging buffer for [`read_back`].
pub const STAGING_USAGE: wgpu::BufferUsages =
    wgpu::BufferUsages::MAP_READ.union(wgpu::BufferUsages::COPY_DST);

/// Appends a copy of `bytes` bytes from `src` to `staging`, submits `encoder`, waits, and returns
/// the bytes as `T`s. `staging` must have [`STAGING_USAGE`] and at least `bytes` bytes; `bytes`
/// must be a multiple of 4.
pub fn read_back<T: bytemuck::Pod>(
    ctx: &GpuContext,
    mut encoder: wgpu::CommandEncoder,
    src: &wgpu::Buffer,
    staging: &wgpu::Buffer,
    bytes: u64,
) -> Result<Vec<T>, GpuError> {
    if bytes == 0 {
        ctx.queue.submit(Some(encoder.finish()));
        return Ok(Vec::new());
    }
    encoder.copy_buffer_to_buffer(src, 0, staging, 0, bytes);
    ctx.queue.submit(Some(encoder.finish()));

    let (tx, rx) = std::sync::mpsc::channel();
    staging.map_async(wgpu::MapMode::Read, 0..bytes, move |r| {
        // The receiver lives until after the poll below; a send error cannot be acted upon.
        let _ = tx.send(r);
    });
    ctx.device.poll(wgpu::PollType::wait_indefinitely())?;
    match rx.recv() {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(GpuError::Map(e.to_string())),
        Err(_) => return Err(GpuError::Map("map_async callback never ran".into())),
    }
    let out = {
        let view = staging
            .get_mapped_range(0..bytes)
            .map_err(|e| GpuError::Map(e.to_string()))?;
        bytemuck::pod_collect_to_vec::<u8, T>(&view)
    };
    staging.unmap();
    Ok(out)
}
