//! wgpu backend: weights stay in their GGUF encoding in GPU buffers and are dequantised inside
//! the WGSL matmul (`shaders/w_q4_1.wgsl`, `w_q8_0.wgsl` prefixed to `matmul_row.wgsl` or
//! `matmul_wg.wgsl`, see [`MatmulShape`]); activations are f32. One forward
//! chunk (up to `max_batch` tokens) is one command buffer: per layer RMSNorm, Q/K/V projections
//! (K and V written straight into the KV cache), RoPE, attention, output projection accumulated
//! into the residual, RMSNorm, gate/up, SiLU·up, down projection accumulated into the residual;
//! LoRA factors add `scale·B·(A·x)` after their base projection through the same f32 matmul.
//!
//! Pipelines use derived bind group layouts (`layout: None`): inference is not an attested
//! integer kernel, and attesters compare outputs through the top-k verifier, not bits.
//! The embedding rows of the input tokens are gathered on the CPU (a few KiB per token) and
//! uploaded with the chunk.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::error::{GpuError, LlmError};
use crate::gpu::readback::{read_back, STAGING_USAGE};
use crate::gpu::GpuContext;
use crate::llm::ggml::{self, GgmlType};
use crate::llm::lora::LoraAdapter;
use crate::llm::model::{LlamaConfig, LlamaWeights, Proj, QTensor};
use crate::llm::Decoder;

/// Invocations per workgroup; mirrors `@workgroup_size(64)` in every LLM shader.
pub const WORKGROUP: u32 = 64;

/// Rows of x one invocation of `matmul_row.wgsl` handles, dequantising each weight once for
/// all of them; mirrors its `TM`.
pub const MATMUL_ROW_TM: u32 = 4;

/// Rows of x one workgroup of `matmul_wg.wgsl` handles; mirrors its `TM`.
pub const MATMUL_WG_TM: u32 = 8;

/// How the matmul kernels spread a weight row over invocations. Both compute the same sums in a
/// different float order (inference is checked by the top-k verifier, not by bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatmulShape {
    /// One invocation per weight row (`matmul_row.wgsl`): fastest on CPU Vulkan (lavapipe).
    Row,
    /// One workgroup per weight row, 64 invocations striding it and a tree reduction
    /// (`matmul_wg.wgsl`): coalesced loads for real GPUs.
    Workgroup,
}

impl MatmulShape {
    /// `GPU_ORACLE_LLM_MATMUL=row|workgroup`, else [`MatmulShape::Row`] on CPU devices and
    /// [`MatmulShape::Workgroup`] on GPUs.
    pub fn for_context(ctx: &GpuContext) -> Self {
        match std::env::var("GPU_ORACLE_LLM_MATMUL").ok().as_deref() {
            Some("row") => Self::Row,
            Some("workgroup") => Self::Workgroup,
            _ if ctx.is_cpu() => Self::Row,
            _ => Self::Workgroup,
        }
    }
}

macro_rules! matmul_src {
    ($fmt:literal, $body:literal) => {
        concat!(
            include_str!(concat!("shaders/w_", $fmt, ".wgsl")),
            include_str!(concat!("shaders/", $body, ".wgsl"))
        )
    };
}

const SRC_DEQUANT_Q4_1: &str = concat!(
    include_str!("shaders/w_q4_1.wgsl"),
    include_str!("shaders/dequant.wgsl")
);
const SRC_DEQUANT_Q8_0: &str = concat!(
    include_str!("shaders/w_q8_0.wgsl"),
    include_str!("shaders/dequant.wgsl")
);

#[derive(Clone, Copy, Debug)]
enum Pipe {
    DeqQ4_1,
    DeqQ8_0,
    RmsNorm,
    Rope,
    Attention,
    SiluMul,
}

/// The LLM compute pipelines, built once per [`GpuContext`].
#[derive(Debug)]
pub struct LlmKernels {
    pipelines: Vec<wgpu::ComputePipeline>,
    /// `[shape][format]`: [Row, Workgroup] × [Q4_1, Q8_0, F32].
    matmul: [[wgpu::ComputePipeline; 3]; 2],
}

impl LlmKernels {
    /// Compiles every LLM shader against `ctx`.
    pub fn new(ctx: &GpuContext) -> Result<Self, GpuError> {
        ctx.checked("llm pipelines", || {
            let make = |label: &'static str, src: &'static str| {
                let module = ctx
                    .device
                    .create_shader_module(wgpu::ShaderModuleDescriptor {
                        label: Some(label),
                        source: wgpu::ShaderSource::Wgsl(std::borrow::Cow::Borrowed(src)),
                    });
                ctx.device
                    .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                        label: Some(label),
                        layout: None,
                        module: &module,
                        entry_point: Some("main"),
                        compilation_options: Default::default(),
                        cache: None,
                    })
            };
            Self {
                matmul: [
                    [
                        make("llm.matmul_row.q4_1", matmul_src!("q4_1", "matmul_row")),
                        make("llm.matmul_row.q8_0", matmul_src!("q8_0", "matmul_row")),
                        make("llm.matmul_row.f32", matmul_src!("f32", "matmul_row")),
                    ],
                    [
                        make("llm.matmul_wg.q4_1", matmul_src!("q4_1", "matmul_wg")),
                        make("llm.matmul_wg.q8_0", matmul_src!("q8_0", "matmul_wg")),
                        make("llm.matmul_wg.f32", matmul_src!("f32", "matmul_wg")),
                    ],
                ],
                // Order matches `Pipe`.
                pipelines: vec![
                    make("llm.dequant.q4_1", SRC_DEQUANT_Q4_1),
                    make("llm.dequant.q8_0", SRC_DEQUANT_Q8_0),
                    make("llm.rmsnorm", include_str!("shaders/rmsnorm.wgsl")),
                    make("llm.rope", include_str!("shaders/rope.wgsl")),
                    make("llm.attention", include_str!("shaders/attention.wgsl")),
                    make("llm.silu_mul", include_str!("shaders/silu_mul.wgsl")),
                ],
            }
        })
    }

    fn get(&self, p: Pipe) -> &wgpu::ComputePipeline {
        &self.pipelines[p as usize]
    }

    fn matmul(&self, shape: MatmulShape, ty: GgmlType) -> &wgpu::ComputePipeline {
        let f = match ty {
            GgmlType::Q4_1 => 0,
            GgmlType::Q8_0 => 1,
            // Q4_0 is widened to f32 at upload (`GpuWeight::new`).
            GgmlType::F32 | GgmlType::F16 | GgmlType::Q4_0 => 2,
        };
        &self.matmul[shape as usize][f]
    }

    /// Dequantises whole blocks of a Q4_1 or Q8_0 tensor on the GPU (equal bit for bit to
    /// [`ggml::dequantize`]).
    pub fn dequantize(
        &self,
        ctx: &GpuContext,
        ty: GgmlType,
        data: &[u8],
    ) -> Result<Vec<f32>, LlmError> {
        let pipe = match ty {
            GgmlType::Q4_1 => Pipe::DeqQ4_1,
            GgmlType::Q8_0 => Pipe::DeqQ8_0,
            other => {
                return Err(LlmError::InvalidInput(format!(
                    "GPU dequantisation of {other:?}"
                )));
            }
        };
        if !(data.len() as u64).is_multiple_of(ty.block_bytes()) {
            return Err(LlmError::InvalidInput(format!(
                "{} bytes is not whole {ty:?} blocks",
                data.len()
            )));
        }
        let n = data.len() as u64 / ty.block_bytes() * ty.block_len();
        if n == 0 {
            return Ok(Vec::new());
        }
        let n32 = u32::try_from(n).map_err(|_| LlmError::InvalidInput(format!("{n} elements")))?;
        let w = upload_bytes(ctx, "llm.dequant.w", data)?;
        let out_bytes = n * 4;
        let out = storage(
            ctx,
            "llm.dequant.out",
            out_bytes,
            wgpu::BufferUsages::COPY_SRC,
        );
        let staging = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("llm.dequant.staging"),
            size: out_bytes,
            usage: STAGING_USAGE,
            mapped_at_creation: false,
        });
        let mut rec = Recorder::new(ctx);
        rec.op(
            self.get(pipe),
            &[&w, &out],
            bytemuck::bytes_of(&[n32, 0, 0, 0]),
            grid_1d(ctx, n32)?,
        );
        let enc = rec.encode(ctx)?;
        Ok(read_back(ctx, enc, &out, &staging, out_bytes)?)
    }
}

fn storage(
    ctx: &GpuContext,
    label: &'static str,
    bytes: u64,
    extra: wgpu::BufferUsages,
) -> wgpu::Buffer {
    ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(label),
        size: bytes.max(16).next_multiple_of(4),
        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST | extra,
        mapped_at_creation: false,
    })
}

/// A storage buffer holding `data` (zero-padded to whole words).
fn upload_bytes(
    ctx: &GpuContext,
    label: &'static str,
    data: &[u8],
) -> Result<wgpu::Buffer, GpuError> {
    let max = ctx.limits().max_storage_buffer_binding_size;
    if data.len() as u64 > max {
        return Err(GpuError::Shape {
            kernel: "llm",
            reason: format!(
                "{label}: {} bytes exceed the binding limit {max}",
                data.len()
            ),
        });
    }
    let buf = storage(ctx, label, data.len() as u64, wgpu::BufferUsages::empty());
    let whole = data.len() / 4 * 4;
    ctx.queue.write_buffer(&buf, 0, &data[..whole]);
    if whole < data.len() {
        let mut tail = [0u8; 4];
        tail[..data.len() - whole].copy_from_slice(&data[whole..]);
        ctx.queue.write_buffer(&buf, whole as u64, &tail);
    }
    Ok(buf)
}

fn upload_f32(ctx: &GpuContext, label: &'static str, v: &[f32]) -> Result<wgpu::Buffer, GpuError> {
    upload_bytes(ctx, label, bytemuck::cast_slice(v))
}

/// Workgroups for `n` invocations, folded into 2-D past the per-dimension limit.
fn grid_1d(ctx: &GpuContext, n: u32) -> Result<[u32; 3], GpuError> {
    let groups = n.div_ceil(WORKGROUP).max(1);
    let lim = ctx.limits().max_compute_workgroups_per_dimension;
    let x = groups.min(lim);
    let y = groups.div_ceil(x);
    if y > lim {
        return Err(GpuError::Shape {
            kernel: "llm",
            reason: format!("{n} invocations exceed the dispatch limit"),
        });
    }
    Ok([x, y, 1])
}

/// Collects dispatches (pipeline, storage buffers in binding order, params) and encodes them
/// into one compute pass with one uniform buffer of aligned parameter slots.
struct Recorder<'a> {
    ops: Vec<(
        &'a wgpu::ComputePipeline,
        Vec<&'a wgpu::Buffer>,
        usize,
        [u32; 3],
    )>,
    params: Vec<u8>,
    slot: usize,
}

impl<'a> Recorder<'a> {
    fn new(ctx: &GpuContext) -> Self {
        let align = ctx.limits().min_uniform_buffer_offset_alignment as usize;
        Self {
            ops: Vec::new(),
            params: Vec::new(),
            slot: align.max(32),
        }
    }

    fn op(
        &mut self,
        pipe: &'a wgpu::ComputePipeline,
        bufs: &[&'a wgpu::Buffer],
        params: &[u8],
        groups: [u32; 3],
    ) {
        let off = self.params.len();
        self.params.extend_from_slice(params);
        self.params.resize(off + self.slot, 0);
        self.ops.push((pipe, bufs.to_vec(), off, groups));
    }

    fn encode(self, ctx: &GpuContext) -> Result<wgpu::CommandEncoder, GpuError> {
        let uniform = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("llm.params"),
            size: self.params.len().max(16) as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        ctx.queue.write_buffer(&uniform, 0, &self.params);
        ctx.checked("llm dispatch", || {
            let mut enc = ctx
                .device
                .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("llm") });
            {
                let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                    label: Some("llm.forward"),
                    timestamp_writes: None,
                });
                for (pipe, bufs, off, g) in &self.ops {
                    let mut entries: Vec<wgpu::BindGroupEntry> = bufs
                        .iter()
                        .enumerate()
                        .map(|(i, b)| wgpu::BindGroupEntry {
                            binding: i as u32,
                            resource: b.as_entire_binding(),
                        })
                        .collect();
                    entries.push(wgpu::BindGroupEntry {
                        binding: bufs.len() as u32,
                        resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                            buffer: &uniform,
                            offset: *off as u64,
                            size: wgpu::BufferSize::new(32),
                        }),
                    });
                    let bg = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
                        label: Some("llm.bind_group"),
                        layout: &pipe.get_bind_group_layout(0),
                        entries: &entries,
                    });
                    pass.set_pipeline(pipe);
                    pass.set_bind_group(0, &bg, &[]);
                    pass.dispatch_workgroups(g[0], g[1], g[2]);
                }
            }
            enc
        })
    }
}

/// A weight on the GPU.
#[derive(Debug)]
struct GpuWeight {
    buf: wgpu::Buffer,
    /// Quantised formats are read in place; F16 is widened to f32 at upload.
    ty: GgmlType,
    rows: usize,
    cols: usize,
}

impl GpuWeight {
    fn new(ctx: &GpuContext, t: &QTensor) -> Result<Self, LlmError> {
        let (ty, buf) = match t.ty {
            // No WGSL Q4_0 dequantiser: widened like F16 (the fast CPU path reads it in place).
            GgmlType::F16 | GgmlType::Q4_0 => {
                (GgmlType::F32, upload_f32(ctx, "llm.weight", &t.to_f32())?)
            }
            ty => {
                if ty != GgmlType::F32 && !t.cols.is_multiple_of(ggml::QK) {
                    return Err(LlmError::Model(format!(
                        "{ty:?} row of {} elements",
                        t.cols
                    )));
                }
                (ty, upload_bytes(ctx, "llm.weight", &t.data)?)
            }
        };
        Ok(Self {
            buf,
            ty,
            rows: t.rows,
            cols: t.cols,
        })
    }
}

/// Matmul parameters; layout of `Params` in `matmul_row.wgsl` and `matmul_wg.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct MatParams {
    m: u32,
    n: u32,
    k: u32,
    row_bytes: u32,
    x_off: u32,
    y_off: u32,
    accumulate: u32,
    alpha: f32,
}

/// A LoRA adapter uploaded for [`GpuDecoder`]: f32 `A` and `B` buffers per target.
#[derive(Debug)]
pub struct GpuLora {
    rank: usize,
    scale: f32,
    entries: BTreeMap<(usize, Proj), (GpuWeight, GpuWeight)>,
}

struct GpuLayer {
    attn_norm: wgpu::Buffer,
    ffn_norm: wgpu::Buffer,
    proj: Vec<GpuWeight>,
    k_cache: wgpu::Buffer,
    v_cache: wgpu::Buffer,
}

struct Activations {
    x: wgpu::Buffer,
    h: wgpu::Buffer,
    q: wgpu::Buffer,
    att: wgpu::Buffer,
    g: wgpu::Buffer,
    u: wgpu::Buffer,
    lora: wgpu::Buffer,
    logits: wgpu::Buffer,
    staging: wgpu::Buffer,
}

/// The wgpu decoder with a KV cache.
pub struct GpuDecoder<'c> {
    ctx: &'c GpuContext,
    kernels: LlmKernels,
    cfg: LlamaConfig,
    /// CPU copy of the embeddings in their encoding, for the row gather.
    tok_embd: QTensor,
    head: GpuWeight,
    output_norm: wgpu::Buffer,
    layers: Vec<GpuLayer>,
    act: Activations,
    max_ctx: usize,
    max_batch: usize,
    matmul: MatmulShape,
    pos: usize,
    adapter: Option<Arc<GpuLora>>,
}

/// Largest LoRA rank the activation buffers hold.
pub const MAX_LORA_RANK: usize = 64;

impl<'c> GpuDecoder<'c> {
    /// Uploads the weights; the KV cache holds `max_ctx` positions and one command buffer runs
    /// up to `max_batch` tokens.
    pub fn new(
        ctx: &'c GpuContext,
        w: &LlamaWeights,
        max_ctx: usize,
        max_batch: usize,
    ) -> Result<Self, LlmError> {
        let c = w.config.clone();
        c.validate()?;
        let max_batch = max_batch.max(1);
        let kernels = LlmKernels::new(ctx)?;
        let kv = c.kv_dim();
        let f4 = |n: usize| (n * 4) as u64;
        let mut layers = Vec::with_capacity(c.n_layers);
        for l in &w.layers {
            layers.push(GpuLayer {
                attn_norm: upload_f32(ctx, "llm.attn_norm", &l.attn_norm)?,
                ffn_norm: upload_f32(ctx, "llm.ffn_norm", &l.ffn_norm)?,
                proj: l
                    .proj
                    .iter()
                    .map(|t| GpuWeight::new(ctx, t))
                    .collect::<Result<_, _>>()?,
                k_cache: storage(
                    ctx,
                    "llm.k_cache",
                    f4(max_ctx * kv),
                    wgpu::BufferUsages::empty(),
                ),
                v_cache: storage(
                    ctx,
                    "llm.v_cache",
                    f4(max_ctx * kv),
                    wgpu::BufferUsages::empty(),
                ),
            });
        }
        let none = wgpu::BufferUsages::empty();
        let logits_bytes = f4(max_batch * c.vocab);
        let act = Activations {
            x: storage(ctx, "llm.x", f4(max_batch * c.dim), none),
            h: storage(ctx, "llm.h", f4(max_batch * c.dim), none),
            q: storage(ctx, "llm.q", f4(max_batch * c.dim), none),
            att: storage(ctx, "llm.att", f4(max_batch * c.dim), none),
            g: storage(ctx, "llm.gate", f4(max_batch * c.ffn), none),
            u: storage(ctx, "llm.up", f4(max_batch * c.ffn), none),
            lora: storage(ctx, "llm.lora_t", f4(max_batch * MAX_LORA_RANK), none),
            logits: storage(
                ctx,
                "llm.logits",
                logits_bytes,
                wgpu::BufferUsages::COPY_SRC,
            ),
            staging: ctx.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("llm.staging"),
                size: logits_bytes.max(16),
                usage: STAGING_USAGE,
                mapped_at_creation: false,
            }),
        };
        Ok(Self {
            ctx,
            kernels,
            head: GpuWeight::new(ctx, w.lm_head())?,
            tok_embd: w.tok_embd.clone(),
            output_norm: upload_f32(ctx, "llm.output_norm", &w.output_norm)?,
            layers,
            act,
            max_ctx,
            max_batch,
            pos: 0,
            adapter: None,
            matmul: MatmulShape::for_context(ctx),
            cfg: c,
        })
    }

    /// The compiled kernels (also usable for standalone dequantisation).
    pub fn kernels(&self) -> &LlmKernels {
        &self.kernels
    }

    /// The matmul shape in use ([`MatmulShape::for_context`] unless set).
    pub fn matmul_shape(&self) -> MatmulShape {
        self.matmul
    }

    /// Chooses the matmul shape (for tests and benchmarks; results differ only in float order).
    pub fn set_matmul_shape(&mut self, shape: MatmulShape) {
        self.matmul = shape;
    }

    /// Uploads an adapter's factors (checked against the model).
    pub fn upload_adapter(&self, a: &LoraAdapter, id: &str) -> Result<GpuLora, LlmError> {
        a.check(&self.cfg, id)?;
        if a.rank > MAX_LORA_RANK {
            return Err(LlmError::Adapter {
                id: id.into(),
                reason: format!("rank {} > {MAX_LORA_RANK}", a.rank),
            });
        }
        let mut entries = BTreeMap::new();
        for (&key, e) in &a.entries {
            let wa = GpuWeight::new(
                self.ctx,
                &QTensor::quantize(GgmlType::F32, a.rank, e.inp, &e.a),
            )?;
            let wb = GpuWeight::new(
                self.ctx,
                &QTensor::quantize(GgmlType::F32, e.out, a.rank, &e.b),
            )?;
            entries.insert(key, (wa, wb));
        }
        Ok(GpuLora {
            rank: a.rank,
            scale: a.scale,
            entries,
        })
    }

    /// Serves with `adapter` applied unmerged from now on (`None`: base model); resets the KV
    /// cache.
    pub fn set_adapter(&mut self, adapter: Option<Arc<GpuLora>>) {
        self.adapter = adapter;
        self.reset();
    }

    /// Records `y (+)= W·x` for `m` rows, and the adapter's `scale·B·(A·x)` when it targets
    /// (layer, p).
    #[allow(clippy::too_many_arguments)]
    fn record_proj<'r>(
        &'r self,
        rec: &mut Recorder<'r>,
        w: &'r GpuWeight,
        lora: Option<&'r (GpuWeight, GpuWeight)>,
        scale: f32,
        x: &'r wgpu::Buffer,
        x_off: usize,
        y: &'r wgpu::Buffer,
        y_off: usize,
        m: usize,
        accumulate: bool,
    ) -> Result<(), GpuError> {
        self.record_mat(rec, w, x, x_off, y, y_off, m, accumulate, 1.0)?;
        if let Some((a, b)) = lora {
            self.record_mat(rec, a, x, x_off, &self.act.lora, 0, m, false, 1.0)?;
            self.record_mat(rec, b, &self.act.lora, 0, y, y_off, m, true, scale)?;
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn record_mat<'r>(
        &'r self,
        rec: &mut Recorder<'r>,
        w: &'r GpuWeight,
        x: &'r wgpu::Buffer,
        x_off: usize,
        y: &'r wgpu::Buffer,
        y_off: usize,
        m: usize,
        accumulate: bool,
        alpha: f32,
    ) -> Result<(), GpuError> {
        let p = MatParams {
            m: m as u32,
            n: w.rows as u32,
            k: w.cols as u32,
            row_bytes: w.ty.row_bytes(w.cols as u64) as u32,
            x_off: x_off as u32,
            y_off: y_off as u32,
            accumulate: u32::from(accumulate),
            alpha,
        };
        // Weight rows go along x (folded into z past the per-dimension limit), blocks of
        // tm rows of x along y: one invocation per (row, block) in the row shape, one
        // workgroup in the workgroup shape.
        let lim = self.ctx.limits().max_compute_workgroups_per_dimension;
        let (per_group, tm) = match self.matmul {
            MatmulShape::Row => (WORKGROUP, MATMUL_ROW_TM),
            MatmulShape::Workgroup => (1, MATMUL_WG_TM),
        };
        let groups = p.n.div_ceil(per_group);
        let gx = groups.min(lim);
        let gz = groups.div_ceil(gx.max(1));
        let gy = p.m.div_ceil(tm);
        if gy > lim || gz > lim {
            return Err(GpuError::Shape {
                kernel: "llm.matmul",
                reason: format!("{}×{} outputs", p.m, p.n),
            });
        }
        rec.op(
            self.kernels.matmul(self.matmul, w.ty),
            &[&w.buf, x, y],
            bytemuck::bytes_of(&p),
            [gx, gy, gz],
        );
        Ok(())
    }

    /// One chunk of at most `max_batch` tokens; returns logits of rows `from..tokens.len()`.
    fn chunk(&mut self, tokens: &[u32], from: usize) -> Result<Vec<f32>, LlmError> {
        let c = &self.cfg;
        let (ctx, m, pos0) = (self.ctx, tokens.len(), self.pos);
        let (d, hd, kv) = (c.dim, c.head_dim(), c.kv_dim());
        // Embedding gather on the CPU, exact dequantisation of the rows.
        let mut emb = Vec::with_capacity(m * d);
        for &t in tokens {
            emb.extend(self.tok_embd.row_f32(t as usize));
        }
        ctx.queue
            .write_buffer(&self.act.x, 0, bytemuck::cast_slice(&emb));

        let a = &self.act;
        let u = |v: usize| v as u32;
        let mut rec = Recorder::new(ctx);
        let adapter = self.adapter.as_deref();
        for (l, layer) in self.layers.iter().enumerate() {
            let lora = |p: Proj| adapter.and_then(|ad| ad.entries.get(&(l, p)));
            let scale = adapter.map_or(0.0, |ad| ad.scale);
            let w = |p: Proj| &layer.proj[p.index()];
            let rms = bytemuck::bytes_of(&[u(m), u(d), c.norm_eps.to_bits(), 0]).to_vec();
            rec.op(
                self.kernels.get(Pipe::RmsNorm),
                &[&a.x, &layer.attn_norm, &a.h],
                &rms,
                grid_1d(ctx, u(m))?,
            );
            self.record_proj(
                &mut rec,
                w(Proj::Q),
                lora(Proj::Q),
                scale,
                &a.h,
                0,
                &a.q,
                0,
                m,
                false,
            )?;
            self.record_proj(
                &mut rec,
                w(Proj::K),
                lora(Proj::K),
                scale,
                &a.h,
                0,
                &layer.k_cache,
                pos0 * kv,
                m,
                false,
            )?;
            self.record_proj(
                &mut rec,
                w(Proj::V),
                lora(Proj::V),
                scale,
                &a.h,
                0,
                &layer.v_cache,
                pos0 * kv,
                m,
                false,
            )?;
            let rope = |heads: usize, stride: usize, off: usize| {
                bytemuck::bytes_of(&[
                    u(m),
                    u(heads),
                    u(hd),
                    u(stride),
                    u(off),
                    u(pos0),
                    c.rope_base.to_bits(),
                    0,
                ])
                .to_vec()
            };
            rec.op(
                self.kernels.get(Pipe::Rope),
                &[&a.q],
                &rope(c.n_heads, d, 0),
                grid_1d(ctx, u(m * d / 2))?,
            );
            rec.op(
                self.kernels.get(Pipe::Rope),
                &[&layer.k_cache],
                &rope(c.n_kv_heads, kv, pos0 * kv),
                grid_1d(ctx, u(m * kv / 2))?,
            );
            let att = [
                u(m),
                u(pos0),
                u(c.n_heads),
                u(c.n_kv_heads),
                u(hd),
                u(kv),
                (1.0 / (hd as f32).sqrt()).to_bits(),
                0,
            ];
            rec.op(
                self.kernels.get(Pipe::Attention),
                &[&a.q, &layer.k_cache, &layer.v_cache, &a.att],
                bytemuck::bytes_of(&att),
                grid_1d(ctx, u(m * c.n_heads))?,
            );
            self.record_proj(
                &mut rec,
                w(Proj::O),
                lora(Proj::O),
                scale,
                &a.att,
                0,
                &a.x,
                0,
                m,
                true,
            )?;
            rec.op(
                self.kernels.get(Pipe::RmsNorm),
                &[&a.x, &layer.ffn_norm, &a.h],
                &rms,
                grid_1d(ctx, u(m))?,
            );
            self.record_proj(
                &mut rec,
                w(Proj::Gate),
                lora(Proj::Gate),
                scale,
                &a.h,
                0,
                &a.g,
                0,
                m,
                false,
            )?;
            self.record_proj(
                &mut rec,
                w(Proj::Up),
                lora(Proj::Up),
                scale,
                &a.h,
                0,
                &a.u,
                0,
                m,
                false,
            )?;
            rec.op(
                self.kernels.get(Pipe::SiluMul),
                &[&a.g, &a.u],
                bytemuck::bytes_of(&[u(m * c.ffn), 0, 0, 0]),
                grid_1d(ctx, u(m * c.ffn))?,
            );
            self.record_proj(
                &mut rec,
                w(Proj::Down),
                lora(Proj::Down),
                scale,
                &a.g,
                0,
                &a.x,
                0,
                m,
                true,
            )?;
        }
        let want = m - from;
        let enc = if want > 0 {
            let rms = [u(m), u(d), c.norm_eps.to_bits(), 0];
            rec.op(
                self.kernels.get(Pipe::RmsNorm),
                &[&a.x, &self.output_norm, &a.h],
                bytemuck::bytes_of(&rms),
                grid_1d(ctx, u(m))?,
            );
            self.record_mat(
                &mut rec,
                &self.head,
                &a.h,
                from * d,
                &a.logits,
                0,
                want,
                false,
                1.0,
            )?;
            rec.encode(ctx)?
        } else {
            rec.encode(ctx)?
        };
        let bytes = (want * c.vocab * 4) as u64;
        let out = read_back(ctx, enc, &a.logits, &a.staging, bytes)?;
        self.pos += m;
        Ok(out)
    }
}

impl Decoder for GpuDecoder<'_> {
    fn config(&self) -> &LlamaConfig {
        &self.cfg
    }

    fn reset(&mut self) {
        self.pos = 0;
    }

    fn position(&self) -> usize {
        self.pos
    }

    fn max_context(&self) -> usize {
        self.max_ctx
    }

    fn forward(&mut self, tokens: &[u32], logits_from: usize) -> Result<Vec<f32>, LlmError> {
        crate::llm::check_forward(self, tokens, logits_from)?;
        let mut out = Vec::new();
        let mut start = 0;
        while start < tokens.len() {
            let end = (start + self.max_batch).min(tokens.len());
            let from = logits_from.clamp(start, end) - start;
            out.extend(self.chunk(&tokens[start..end], from)?);
            start = end;
        }
        Ok(out)
    }
}

impl GpuLora {
    /// Rank.
    pub fn rank(&self) -> usize {
        self.rank
    }
}
