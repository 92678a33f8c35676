//! int8 × int8 → i32 matrix product `C = A · Bᵀ` (B is given transposed, `n × k`).
//!
//! Both operands are packed 4 int8 per `u32` along K ([`PackedI8`]); K is zero-padded to a
//! multiple of 4, which does not change any dot product. Accumulation is wrapping i32, so the
//! result is independent of reduction order and identical on every adapter and in [`cpu`].
//! Shaders are a `dot4` definition ([`Int8Path`]: `dot4_packed.wgsl` with `dot4I8Packed`, or the
//! portable shift/multiply `dot4_portable.wgsl`) prepended to a kernel body ([`Variant`]:
//! `matmul_i8.wgsl`, one output per invocation, or `matmul_i8_tiled.wgsl`, 64×64 tiles through
//! workgroup memory). All four pipelines produce the same bits.

use crate::error::GpuError;
use crate::gpu::readback::{read_back, ReusableBuffer, STAGING_USAGE};
use crate::gpu::{GpuContext, Int8Path};

/// Workgroup edge; mirrors `@workgroup_size(16, 16)` in both kernel bodies.
pub const WORKGROUP: u32 = 16;

/// Edge of the C tile one workgroup computes in the tiled body; mirrors `TILE` in
/// `matmul_i8_tiled.wgsl`.
pub const TILE: u32 = 64;

/// Kernel body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Variant {
    /// One output per invocation (`matmul_i8.wgsl`): best for skinny shapes (GEMV-like).
    Simple,
    /// 64×64 tile per workgroup, 4×4 per invocation (`matmul_i8_tiled.wgsl`).
    Tiled,
}

impl Variant {
    /// The variant [`MatmulI8Kernel::run`] picks for an `m × n` output: tiled once both sides
    /// fill at least half a tile. The choice never changes the result bits.
    pub fn for_shape(m: usize, n: usize) -> Self {
        let half = (TILE / 2) as usize;
        if m >= half && n >= half {
            Variant::Tiled
        } else {
            Variant::Simple
        }
    }

    /// Short name.
    pub fn as_str(self) -> &'static str {
        match self {
            Variant::Simple => "simple",
            Variant::Tiled => "tiled",
        }
    }
}

const SRC_SIMPLE_PACKED: &str = concat!(
    include_str!("dot4_packed.wgsl"),
    include_str!("matmul_i8.wgsl")
);
const SRC_SIMPLE_PORTABLE: &str = concat!(
    include_str!("dot4_portable.wgsl"),
    include_str!("matmul_i8.wgsl")
);
const SRC_TILED_PACKED: &str = concat!(
    include_str!("dot4_packed.wgsl"),
    include_str!("matmul_i8_tiled.wgsl")
);
const SRC_TILED_PORTABLE: &str = concat!(
    include_str!("dot4_portable.wgsl"),
    include_str!("matmul_i8_tiled.wgsl")
);

const KERNEL: &str = "matmul_i8";

/// Uniform block; layout of WGSL `struct Dims { m: u32, n: u32, kw: u32, _p: u32 }`.
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
pub struct Dims {
    /// Rows of A and C.
    pub m: u32,
    /// Rows of Bᵀ, columns of C.
    pub n: u32,
    /// Packed words per row (`k.div_ceil(4)`).
    pub kw: u32,
    /// Padding to 16 bytes.
    pub _p: u32,
}

/// A row-major int8 matrix packed 4 values per little-endian `u32` along each row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackedI8 {
    rows: usize,
    cols: usize,
    words: Vec<u32>,
}

impl PackedI8 {
    /// Packs a row-major `rows × cols` matrix (`data.len() == rows * cols`).
    pub fn pack(data: &[i8], rows: usize, cols: usize) -> Result<Self, GpuError> {
        if data.len() != rows * cols {
            return Err(GpuError::Shape {
                kernel: KERNEL,
                reason: format!("{} values for a {rows}×{cols} matrix", data.len()),
            });
        }
        let kw = cols.div_ceil(4);
        let mut words = vec![0u32; rows * kw];
        for r in 0..rows {
            for c in 0..cols {
                let byte = u32::from(data[r * cols + c] as u8);
                words[r * kw + c / 4] |= byte << (8 * (c % 4));
            }
        }
        Ok(Self { rows, cols, words })
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of (unpadded) columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Words per row.
    pub fn words_per_row(&self) -> usize {
        self.cols.div_ceil(4)
    }

    /// The packed words, row-major.
    pub fn words(&self) -> &[u32] {
        &self.words
    }

    /// Element `(r, c)`.
    pub fn get(&self, r: usize, c: usize) -> i8 {
        let w = self.words[r * self.words_per_row() + c / 4];
        (w >> (8 * (c % 4))) as u8 as i8
    }
}

/// CPU reference: `c[i][j] = Σ_t a[i][t] · b_t[j][t]` with wrapping i32 arithmetic, summed in
/// index order (any order gives the same bits). `a` is `m × k`, `b_t` is `n × k`, row-major.
/// Written for clarity, not speed: disputes re-run it.
pub fn cpu(a: &[i8], b_t: &[i8], m: usize, n: usize, k: usize) -> Vec<i32> {
    assert_eq!(a.len(), m * k, "a must be m×k");
    assert_eq!(b_t.len(), n * k, "b_t must be n×k");
    let mut c = vec![0i32; m * n];
    for i in 0..m {
        for j in 0..n {
            let mut acc: i32 = 0;
            for t in 0..k {
                let prod = i32::from(a[i * k + t]).wrapping_mul(i32::from(b_t[j * k + t]));
                acc = acc.wrapping_add(prod);
            }
            c[i * n + j] = acc;
        }
    }
    c
}

/// CPU reference on packed operands (same result as [`cpu`] on the unpacked data).
pub fn cpu_packed(a: &PackedI8, b_t: &PackedI8) -> Vec<i32> {
    let (m, n, k) = (a.rows(), b_t.rows(), a.cols());
    let mut c = vec![0i32; m * n];
    for i in 0..m {
        for j in 0..n {
            let mut acc: i32 = 0;
            for t in 0..k {
                acc =
                    acc.wrapping_add(i32::from(a.get(i, t)).wrapping_mul(i32::from(b_t.get(j, t))));
            }
            c[i * n + j] = acc;
        }
    }
    c
}

/// Pipelines for both int8 paths plus reusable buffers. Build once per [`GpuContext`]; each
/// [`MatmulI8Kernel::run`] only writes, encodes, submits and reads back.
#[derive(Debug)]
pub struct MatmulI8Kernel {
    layout: wgpu::BindGroupLayout,
    /// Indexed `[variant][path]`: `[Simple, Tiled] × [Packed, Portable]`.
    pipelines: [[wgpu::ComputePipeline; 2]; 2],
    a: ReusableBuffer,
    b: ReusableBuffer,
    c: ReusableBuffer,
    staging: ReusableBuffer,
    dims: wgpu::Buffer,
}

fn storage_entry(binding: u32, read_only: bool) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Storage { read_only },
            has_dynamic_offset: false,
            min_binding_size: wgpu::BufferSize::new(4),
        },
        count: None,
    }
}

fn bind(binding: u32, buffer: &wgpu::Buffer, size: u64) -> wgpu::BindGroupEntry<'_> {
    wgpu::BindGroupEntry {
        binding,
        resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
            buffer,
            offset: 0,
            size: wgpu::BufferSize::new(size),
        }),
    }
}

impl MatmulI8Kernel {
    /// Compiles both shader variants against `ctx`.
    pub fn new(ctx: &GpuContext) -> Result<Self, GpuError> {
        ctx.checked("matmul_i8 pipelines", || {
            let dev = &ctx.device;
            let layout = dev.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some("matmul_i8.layout"),
                entries: &[
                    storage_entry(0, true),
                    storage_entry(1, true),
                    storage_entry(2, false),
                    wgpu::BindGroupLayoutEntry {
                        binding: 3,
                        visibility: wgpu::ShaderStages::COMPUTE,
                        ty: wgpu::BindingType::Buffer {
                            ty: wgpu::BufferBindingType::Uniform,
                            has_dynamic_offset: false,
                            min_binding_size: wgpu::BufferSize::new(
                                std::mem::size_of::<Dims>() as u64
                            ),
                        },
                        count: None,
                    },
                ],
            });
            let pl = dev.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some("matmul_i8.pipeline_layout"),
                bind_group_layouts: &[Some(&layout)],
                immediate_size: 0,
            });
            let make = |label: &'static str, src: &'static str| {
                let module = dev.create_shader_module(wgpu::ShaderModuleDescriptor {
                    label: Some(label),
                    source: wgpu::ShaderSource::Wgsl(std::borrow::Cow::Borrowed(src)),
                });
                dev.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                    label: Some(label),
                    layout: Some(&pl),
                    module: &module,
                    entry_point: Some("main"),
                    compilation_options: Default::default(),
                    cache: None,
                })
            };
            let pipelines = [
                [
                    make("matmul_i8.simple.packed", SRC_SIMPLE_PACKED),
                    make("matmul_i8.simple.portable", SRC_SIMPLE_PORTABLE),
                ],
                [
                    make("matmul_i8.tiled.packed", SRC_TILED_PACKED),
                    make("matmul_i8.tiled.portable", SRC_TILED_PORTABLE),
                ],
            ];
            let storage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST;
            Self {
                layout,
                pipelines,
                a: ReusableBuffer::new("matmul_i8.a", storage),
                b: ReusableBuffer::new("matmul_i8.b", storage),
                c: ReusableBuffer::new(
                    "matmul_i8.c",
                    wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
                ),
                staging: ReusableBuffer::new("matmul_i8.staging", STAGING_USAGE),
                dims: dev.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("matmul_i8.dims"),
                    size: std::mem::size_of::<Dims>() as u64,
                    usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                }),
            }
        })
    }

    /// `A · Bᵀ` on the GPU with the context's default int8 path.
    pub fn run(
        &mut self,
        ctx: &GpuContext,
        a: &PackedI8,
        b_t: &PackedI8,
    ) -> Result<Vec<i32>, GpuError> {
        self.run_with_path(ctx, ctx.int8_path(), a, b_t)
    }

    /// Convenience: packs row-major int8 inputs (`a`: `m × k`, `b_t`: `n × k`) and runs.
    pub fn run_i8(
        &mut self,
        ctx: &GpuContext,
        a: &[i8],
        b_t: &[i8],
        m: usize,
        n: usize,
        k: usize,
    ) -> Result<Vec<i32>, GpuError> {
        let a = PackedI8::pack(a, m, k)?;
        let b_t = PackedI8::pack(b_t, n, k)?;
        self.run(ctx, &a, &b_t)
    }

    /// `A · Bᵀ` on the GPU with an explicit int8 path.
    pub fn run_with_path(
        &mut self,
        ctx: &GpuContext,
        path: Int8Path,
        a: &PackedI8,
        b_t: &PackedI8,
    ) -> Result<Vec<i32>, GpuError> {
        let variant = Variant::for_shape(a.rows(), b_t.rows());
        self.run_with(ctx, path, variant, a, b_t)
    }

    /// `A · Bᵀ` on the GPU with an explicit int8 path and kernel body.
    pub fn run_with(
        &mut self,
        ctx: &GpuContext,
        path: Int8Path,
        variant: Variant,
        a: &PackedI8,
        b_t: &PackedI8,
    ) -> Result<Vec<i32>, GpuError> {
        let shape_err = |reason: String| GpuError::Shape {
            kernel: KERNEL,
            reason,
        };
        if a.cols() != b_t.cols() {
            return Err(shape_err(format!(
                "k mismatch: a has {}, b_t has {}",
                a.cols(),
                b_t.cols()
            )));
        }
        let (m, n, kw) = (a.rows(), b_t.rows(), a.words_per_row());
        if m == 0 || n == 0 {
            return Ok(Vec::new());
        }
        let to_u32 = |v: usize, what: &str| {
            u32::try_from(v).map_err(|_| shape_err(format!("{what} = {v} exceeds u32")))
        };
        let dims = Dims {
            m: to_u32(m, "m")?,
            n: to_u32(n, "n")?,
            kw: to_u32(kw, "kw")?,
            _p: 0,
        };
        let per_group = match variant {
            Variant::Simple => WORKGROUP,
            Variant::Tiled => TILE,
        };
        let groups_x = dims.n.div_ceil(per_group);
        let groups_y = dims.m.div_ceil(per_group);
        let max_groups = ctx.limits().max_compute_workgroups_per_dimension;
        if groups_x > max_groups || groups_y > max_groups {
            return Err(shape_err(format!(
                "{groups_x}×{groups_y} workgroups exceed the device limit {max_groups}"
            )));
        }
        let max_binding = ctx.limits().max_storage_buffer_binding_size;
        let a_bytes = (a.words().len() * 4) as u64;
        let b_bytes = (b_t.words().len() * 4) as u64;
        let c_bytes = (m * n * 4) as u64;
        for (what, bytes) in [("a", a_bytes), ("b_t", b_bytes), ("c", c_bytes)] {
            if bytes > max_binding {
                return Err(shape_err(format!(
                    "{what} needs {bytes} bytes, device binding limit is {max_binding}"
                )));
            }
        }
        // K = 0: all dot products are empty sums.
        if kw == 0 {
            return Ok(vec![0; m * n]);
        }

        let pipeline = &self.pipelines[match variant {
            Variant::Simple => 0,
            Variant::Tiled => 1,
        }][match path {
            Int8Path::Packed => 0,
            Int8Path::Portable => 1,
        }];
        let (layout, dims_buf) = (&self.layout, &self.dims);
        let a_buf = self.a.get(ctx, a_bytes);
        ctx.queue
            .write_buffer(a_buf, 0, bytemuck::cast_slice(a.words()));
        let b_buf = self.b.get(ctx, b_bytes);
        ctx.queue
            .write_buffer(b_buf, 0, bytemuck::cast_slice(b_t.words()));
        ctx.queue
            .write_buffer(dims_buf, 0, bytemuck::bytes_of(&dims));
        let c_buf = self.c.get(ctx, c_bytes);
        let staging = self.staging.get(ctx, c_bytes);

        let encoder = ctx.checked("matmul_i8 dispatch", || {
            let bind_group = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("matmul_i8.bind_group"),
                layout,
                entries: &[
                    bind(0, a_buf, a_bytes),
                    bind(1, b_buf, b_bytes),
                    bind(2, c_buf, c_bytes),
                    bind(3, dims_buf, std::mem::size_of::<Dims>() as u64),
                ],
            });
            let mut encoder = ctx
                .device
                .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                    label: Some("matmul_i8"),
                });
            {
                let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                    label: Some("matmul_i8.pass"),
                    timestamp_writes: None,
                });
                pass.set_pipeline(pipeline);
                pass.set_bind_group(0, &bind_group, &[]);
                pass.dispatch_workgroups(groups_x, groups_y, 1);
            }
            encoder
        })?;
        read_back::<i32>(ctx, encoder, c_buf, staging, c_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;
    use crate::testutil;

    const ALL: [(Int8Path, Variant); 4] = [
        (Int8Path::Packed, Variant::Simple),
        (Int8Path::Portable, Variant::Simple),
        (Int8Path::Packed, Variant::Tiled),
        (Int8Path::Portable, Variant::Tiled),
    ];

    fn random_i8(rng: &mut SplitMix64, len: usize) -> Vec<i8> {
        // Full int8 range including -128, the value that breaks naive sign handling.
        (0..len).map(|_| rng.next_u64() as u8 as i8).collect()
    }

    fn check_shape(m: usize, n: usize, k: usize, seed: u64) {
        let mut rng = SplitMix64::new(seed);
        let a = random_i8(&mut rng, m * k);
        let b = random_i8(&mut rng, n * k);
        let want = cpu(&a, &b, m, n, k);
        let (pa, pb) = (
            PackedI8::pack(&a, m, k).unwrap(),
            PackedI8::pack(&b, n, k).unwrap(),
        );
        assert_eq!(cpu_packed(&pa, &pb), want, "packed CPU reference");
        let Some(mut g) = testutil::gpu() else { return };
        let (ctx, kernels) = (g.ctx, &mut *g.kernels);
        for (path, variant) in ALL {
            let got = kernels
                .matmul
                .run_with(ctx, path, variant, &pa, &pb)
                .unwrap();
            assert_eq!(got.len(), want.len());
            let mismatches = got.iter().zip(&want).filter(|(g, w)| g != w).count();
            let what = format!("{m}×{n}×{k} {path:?} {variant:?}");
            assert_eq!(mismatches, 0, "{what}: {mismatches} mismatches");
            assert_eq!(
                testutil::sha256_i32(&got),
                testutil::sha256_i32(&want),
                "{what} hash"
            );
        }
    }

    #[test]
    fn pack_round_trips_and_pads_k() {
        let data: Vec<i8> = vec![-128, -1, 0, 1, 127, 5, -7];
        let p = PackedI8::pack(&data, 1, 7).unwrap();
        assert_eq!(p.words_per_row(), 2);
        for (c, &v) in data.iter().enumerate() {
            assert_eq!(p.get(0, c), v);
        }
        // Padding bytes are zero.
        assert_eq!(p.words()[1] >> 24, 0);
    }

    #[test]
    fn cpu_reference_known_answer() {
        // [1 2 3] · [[4 5 6], [-1 -1 -1]]ᵀ = [32, -6]
        assert_eq!(
            cpu(&[1, 2, 3], &[4, 5, 6, -1, -1, -1], 1, 2, 3),
            vec![32, -6]
        );
        // Extremes: 4·(-128·-128) = 65536.
        assert_eq!(cpu(&[-128; 4], &[-128; 4], 1, 1, 4), vec![65536]);
    }

    #[test]
    fn gpu_matches_cpu_1x1x1() {
        check_shape(1, 1, 1, 1);
    }

    #[test]
    fn gpu_matches_cpu_17x33x64() {
        check_shape(17, 33, 64, 2);
    }

    #[test]
    fn gpu_matches_cpu_odd_k_31x7x13() {
        check_shape(31, 7, 13, 3);
    }

    #[test]
    fn gpu_matches_cpu_64x64x256() {
        check_shape(64, 64, 256, 4);
    }

    #[test]
    fn gpu_matches_cpu_128x96x129() {
        check_shape(128, 96, 129, 5);
    }

    #[test]
    fn gpu_matches_cpu_ragged_tiles_130x67x100() {
        check_shape(130, 67, 100, 7);
    }

    #[test]
    fn gpu_matches_cpu_256x256x256() {
        check_shape(256, 256, 256, 8);
    }

    #[test]
    fn variant_choice_follows_shape() {
        assert_eq!(Variant::for_shape(1, 4096), Variant::Simple);
        assert_eq!(Variant::for_shape(31, 4096), Variant::Simple);
        assert_eq!(Variant::for_shape(32, 32), Variant::Tiled);
    }

    #[test]
    fn gpu_matches_cpu_gemv_1x200x255() {
        check_shape(1, 200, 255, 6);
    }

    #[test]
    fn gpu_extremes_do_not_overflow_differently() {
        // k = 256 of (-128)·(-128) = 4 194 304, and mixed signs at the extremes.
        let Some(mut g) = testutil::gpu() else { return };
        let (ctx, kernels) = (g.ctx, &mut *g.kernels);
        let (m, n, k) = (3, 5, 256);
        let a: Vec<i8> = (0..m * k)
            .map(|i| if i % 3 == 0 { 127 } else { -128 })
            .collect();
        let b: Vec<i8> = (0..n * k)
            .map(|i| if i % 5 == 0 { 127 } else { -128 })
            .collect();
        let want = cpu(&a, &b, m, n, k);
        let pa = PackedI8::pack(&a, m, k).unwrap();
        let pb = PackedI8::pack(&b, n, k).unwrap();
        for (path, variant) in ALL {
            let got = kernels
                .matmul
                .run_with(ctx, path, variant, &pa, &pb)
                .unwrap();
            assert_eq!(got, want, "{path:?} {variant:?}");
        }
    }

    #[test]
    fn buffers_are_reused_across_calls() {
        let Some(mut g) = testutil::gpu() else { return };
        let (ctx, kernels) = (g.ctx, &mut *g.kernels);
        let mut rng = SplitMix64::new(9);
        let a = random_i8(&mut rng, 8 * 16);
        let b = random_i8(&mut rng, 8 * 16);
        kernels.matmul.run_i8(ctx, &a, &b, 8, 8, 16).unwrap();
        let cap = kernels.matmul.c.capacity();
        let got = kernels
            .matmul
            .run_i8(ctx, &a[..4 * 16], &b, 4, 8, 16)
            .unwrap();
        assert_eq!(
            kernels.matmul.c.capacity(),
            cap,
            "smaller job must reuse the buffer"
        );
        assert_eq!(got, cpu(&a[..4 * 16], &b, 4, 8, 16));
    }

    #[test]
    fn mismatched_k_is_a_shape_error() {
        let Some(mut g) = testutil::gpu() else { return };
        let (ctx, kernels) = (g.ctx, &mut *g.kernels);
        let a = PackedI8::pack(&[1, 2, 3], 1, 3).unwrap();
        let b = PackedI8::pack(&[1, 2], 1, 2).unwrap();
        assert!(matches!(
            kernels.matmul.run(ctx, &a, &b),
            Err(GpuError::Shape { .. })
        ));
    }
}
