//! `cargo bench -p gpu-oracle` (or `scripts/bench-oracle.sh`): one run prints
//! * int8 matmul: GPU (both int8 paths, end to end: upload + dispatch + readback) vs the CPU
//!   reference, GOP/s and the GPU/CPU ratio, with a bit-for-bit check;
//! * attribution throughput: suffix_span (index build, attribution), gradient_influence
//!   (featurisation + scoring, GPU and CPU), rag_retrieval (GPU and CPU).
//!
//! * LLM inference: prefill and decode tokens/s of the wgpu decoder (with and without a LoRA
//!   adapter) next to the CPU reference, on SmolLM2-135M Q4_1 when cached.
//!
//! Env: `BENCH_QUICK=1` for smaller shapes; `BENCH_MATMUL_SIZES=128,256,512` to choose sizes;
//! `BENCH_LLM=0` skips the LLM section.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use gpu_oracle::attribution::gradient_influence::{
    attribute as gi_attribute, featurize, Estimator, Example, GradientInfluenceParams, LoraLinear,
};
use gpu_oracle::attribution::rag_retrieval::{self, hashed_embedding, Chunk, RagParams};
use gpu_oracle::attribution::suffix_span::{Document, SuffixIndex, SuffixSpanParams};
use gpu_oracle::attribution::{Compute, ContributionRef};
use gpu_oracle::gpu::Int8Path;
use gpu_oracle::kernels::matmul_i8::{self, MatmulI8Kernel, PackedI8, Variant};
use gpu_oracle::llm::ggml::GgmlType;
use gpu_oracle::llm::gguf::Gguf;
use gpu_oracle::llm::sample::argmax;
use gpu_oracle::llm::{
    smollm2_gguf_path, CpuDecoder, Decoder, GpuDecoder, LlamaConfig, LlamaWeights, LoraAdapter,
    MatmulShape, Proj,
};
use gpu_oracle::rng::SplitMix64;
use gpu_oracle::GpuContext;

/// Median of `reps` timed runs after one warm-up run.
fn time<T>(reps: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut out = f();
    let mut ts = Vec::with_capacity(reps);
    for _ in 0..reps {
        let t = Instant::now();
        out = f();
        ts.push(t.elapsed());
    }
    ts.sort();
    (ts[ts.len() / 2], out)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn random_i8(rng: &mut SplitMix64, n: usize) -> Vec<i8> {
    (0..n).map(|_| rng.next_u64() as u8 as i8).collect()
}

fn main() {
    // `cargo bench` passes `--bench`; nothing to parse.
    let quick = std::env::var("BENCH_QUICK").is_ok_and(|v| v == "1");
    let ctx = match GpuContext::new() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("bench: {e}");
            std::process::exit(1);
        }
    };
    println!("adapter: {}", ctx.describe());
    let mut mm = MatmulI8Kernel::new(&ctx).unwrap();

    // ---- int8 matmul -------------------------------------------------------------------------
    let sizes: Vec<usize> = std::env::var("BENCH_MATMUL_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| {
            if quick {
                vec![128, 256]
            } else {
                vec![128, 256, 512]
            }
        });
    println!();
    println!("int8 matmul C[n×n] = A[n×n]·B[n×n]ᵀ, i32 accumulate (end to end, median)");
    println!(
        "{:>6} {:>21} {:>10} {:>10} {:>12} {:>10} {:>9}  bit-exact",
        "n", "kernel/path", "gpu ms", "gpu GOP/s", "cpu-ref ms", "cpu GOP/s", "speedup"
    );
    let mut rng = SplitMix64::new(1);
    for &n in &sizes {
        let a = random_i8(&mut rng, n * n);
        let b = random_i8(&mut rng, n * n);
        let (pa, pb) = (
            PackedI8::pack(&a, n, n).unwrap(),
            PackedI8::pack(&b, n, n).unwrap(),
        );
        let ops = 2.0 * (n as f64).powi(3);
        let cpu_reps = if n >= 512 { 1 } else { 3 };
        let (t_cpu, want) = time(cpu_reps, || matmul_i8::cpu(&a, &b, n, n, n));
        for (variant, path) in [
            (Variant::Tiled, Int8Path::Packed),
            (Variant::Tiled, Int8Path::Portable),
            (Variant::Simple, Int8Path::Packed),
            (Variant::Simple, Int8Path::Portable),
        ] {
            let reps = if n >= 512 { 3 } else { 5 };
            let (t_gpu, got) = time(reps, || mm.run_with(&ctx, path, variant, &pa, &pb).unwrap());
            println!(
                "{:>6} {:>21} {:>10.2} {:>10.3} {:>12.2} {:>10.3} {:>8.2}x  {}",
                n,
                format!("{}/{}", variant.as_str(), path.as_str()),
                ms(t_gpu),
                ops / t_gpu.as_secs_f64() / 1e9,
                ms(t_cpu),
                ops / t_cpu.as_secs_f64() / 1e9,
                t_cpu.as_secs_f64() / t_gpu.as_secs_f64(),
                if got == want { "yes" } else { "NO" }
            );
            assert_eq!(got, want, "GPU != CPU at n={n} {variant:?} {path:?}");
        }
    }

    // ---- suffix_span --------------------------------------------------------------------------
    println!();
    let (n_docs, doc_len) = if quick { (200, 500) } else { (1000, 1000) };
    let mut rng = SplitMix64::new(2);
    let docs: Vec<Document> = (0..n_docs as u64)
        .map(|i| Document {
            contribution: ContributionRef::new(1 + i % 4, 1, i),
            tokens: (0..doc_len).map(|_| rng.below(32_000) as u32).collect(),
        })
        .collect();
    let mut output: Vec<u32> = Vec::new();
    for s in 0..8 {
        output.extend((0..48).map(|_| 40_000 + rng.below(1000) as u32));
        let d = &docs[(s * 37) % n_docs];
        output.extend_from_slice(&d.tokens[100..116]);
    }
    let n_tok = n_docs * doc_len;
    let (t_build, idx) = time(1, || SuffixIndex::build(docs.clone()).unwrap());
    let (t_attr, (r, spans)) = time(5, || {
        idx.attribute(&output, SuffixSpanParams::default()).unwrap()
    });
    println!(
        "suffix_span: index build {} tokens in {:.1} ms ({:.2} M tokens/s); attribute {} output \
         tokens in {:.2} ms ({:.0} tokens/s, {} spans, {} Datanets, hash {}…)",
        n_tok,
        ms(t_build),
        n_tok as f64 / t_build.as_secs_f64() / 1e6,
        output.len(),
        ms(t_attr),
        output.len() as f64 / t_attr.as_secs_f64(),
        spans.len(),
        r.weights.len(),
        &r.result_hash_hex()[..16]
    );

    // ---- gradient_influence -------------------------------------------------------------------
    let (d_in, d_out, rank, n_train, k) = if quick {
        (32, 16, 4, 256, 64)
    } else {
        (64, 32, 8, 1024, 128)
    };
    let model = LoraLinear::seeded(d_in, d_out, rank, 3);
    let mut rng = SplitMix64::new(4);
    let mut example = |i: u64| Example {
        contribution: ContributionRef::new(1 + i % 4, 1, i),
        x: (0..d_in).map(|_| rng.unit_f32()).collect(),
        target: (0..d_out).map(|_| rng.unit_f32()).collect(),
    };
    let train: Vec<Example> = (0..n_train as u64).map(&mut example).collect();
    let test: Vec<Example> = (0..16).map(|i| example(1_000_000 + i)).collect();
    let params = GradientInfluenceParams {
        projection_dim: k,
        seed: 9,
        estimator: Estimator::TracIn,
    };
    let p = model.num_params();
    let line = |name: &str, estimator: Estimator, compute: &mut Compute<'_>| {
        let params = GradientInfluenceParams {
            estimator,
            ..params
        };
        let (t_feat, feats) = time(3, || featurize(&model, &train, params, compute).unwrap());
        let (t_attr, (r, _)) = time(3, || {
            gi_attribute(&model, &feats, &test, params, compute).unwrap()
        });
        println!(
            "gradient_influence [{name}, {estimator:?}]: featurize {n_train} examples (p={p}, k={k}) in {:.2} ms \
             ({:.0} examples/s); score {} test × {n_train} train in {:.2} ms; hash {}…",
            ms(t_feat),
            n_train as f64 / t_feat.as_secs_f64(),
            test.len(),
            ms(t_attr),
            &r.result_hash_hex()[..16]
        );
        r.result_hash()
    };
    println!();
    for estimator in [Estimator::TracIn, Estimator::DataInf] {
        let h_gpu = line(
            "gpu",
            estimator,
            &mut Compute::Gpu {
                ctx: &ctx,
                matmul: &mut mm,
            },
        );
        let h_cpu = line("cpu", estimator, &mut Compute::Cpu);
        assert_eq!(h_gpu, h_cpu, "gradient_influence {estimator:?} GPU != CPU");
    }

    // ---- rag_retrieval ------------------------------------------------------------------------
    let (n_chunks, n_queries, dim) = if quick {
        (1024, 16, 128)
    } else {
        (4096, 64, 256)
    };
    let mut rng = SplitMix64::new(5);
    let chunks: Vec<Chunk> = (0..n_chunks as u64)
        .map(|i| {
            let text: Vec<u32> = (0..64).map(|_| rng.below(50_000) as u32).collect();
            Chunk {
                contribution: ContributionRef::new(1 + i % 8, 1, i),
                embedding: hashed_embedding(&text, dim, 1),
            }
        })
        .collect();
    let queries: Vec<Vec<i8>> = (0..n_queries)
        .map(|_| {
            let text: Vec<u32> = (0..32).map(|_| rng.below(50_000) as u32).collect();
            hashed_embedding(&text, dim, 1)
        })
        .collect();
    let rag = RagParams { top_k: 8 };
    println!();
    let mut hashes = Vec::new();
    for (name, mut compute) in [
        (
            "gpu",
            Compute::Gpu {
                ctx: &ctx,
                matmul: &mut mm,
            },
        ),
        ("cpu", Compute::Cpu),
    ] {
        let (t, (r, _)) = time(3, || {
            rag_retrieval::attribute(&queries, &chunks, rag, &mut compute).unwrap()
        });
        println!(
            "rag_retrieval [{name}]: {n_queries} queries × {n_chunks} chunks (dim {dim}) in {:.2} \
             ms ({:.0} queries/s, {:.2} M similarities/s); hash {}…",
            ms(t),
            n_queries as f64 / t.as_secs_f64(),
            (n_queries * n_chunks) as f64 / t.as_secs_f64() / 1e6,
            &r.result_hash_hex()[..16]
        );
        hashes.push(r.result_hash());
    }
    assert_eq!(hashes[0], hashes[1], "rag_retrieval GPU != CPU");
    println!();
    println!("bench: all GPU results bit-identical to the CPU reference");

    if std::env::var("BENCH_LLM").is_ok_and(|v| v == "0") {
        return;
    }
    llm_bench(&ctx, quick);
}

/// Decode and prefill tokens/s of the wgpu decoder next to the CPU reference, same run, same
/// weights: SmolLM2-135M-Instruct Q4_1 when `scripts/fetch-models.sh` has cached it, otherwise
/// seeded random weights of the same shape (speed depends only on the shapes).
fn llm_bench(ctx: &GpuContext, quick: bool) {
    let path = smollm2_gguf_path();
    let (weights, what) = if path.is_file() {
        let g = Gguf::open(&path).unwrap();
        (
            LlamaWeights::from_gguf(&g).unwrap(),
            "SmolLM2-135M-Instruct Q4_1 (GGUF)",
        )
    } else {
        let cfg = LlamaConfig {
            vocab: 49152,
            dim: 576,
            ffn: 1536,
            n_layers: 30,
            n_heads: 9,
            n_kv_heads: 3,
            rope_base: 100_000.0,
            norm_eps: 1e-5,
            context: 8192,
        };
        (
            LlamaWeights::synthetic(cfg, GgmlType::Q4_1, 1).unwrap(),
            "synthetic SmolLM2-135M-shaped Q4_1 (model not cached: scripts/fetch-models.sh)",
        )
    };
    let (prefill_len, decode_len) = if quick { (8, 4) } else { (32, 8) };
    let weight_bytes: usize = weights
        .layers
        .iter()
        .flat_map(|l| l.proj.iter().map(|t| t.data.len()))
        .sum::<usize>()
        + weights.lm_head().data.len();
    println!();
    println!(
        "llm decode: {what}; prompt {prefill_len} tokens, {decode_len} greedy decode steps; \
         {:.1} MB of quantised weights read per decoded token",
        weight_bytes as f64 / 1e6
    );
    let mut rng = SplitMix64::new(6);
    let prompt: Vec<u32> = (0..prefill_len)
        .map(|_| 100 + rng.below(20_000) as u32)
        .collect();
    let ctx_len = prefill_len + decode_len + 1;

    let run = |dec: &mut dyn Decoder| {
        dec.reset();
        let t = Instant::now();
        let mut logits = dec.forward(&prompt, prompt.len() - 1).unwrap();
        let t_prefill = t.elapsed();
        let mut toks = Vec::new();
        let t = Instant::now();
        for _ in 0..decode_len {
            let tok = argmax(&logits);
            toks.push(tok);
            logits = dec.forward(&[tok], 0).unwrap();
        }
        (t_prefill, t.elapsed(), toks)
    };
    let mut gpu = GpuDecoder::new(ctx, &weights, ctx_len, 64).unwrap();
    let default_shape = gpu.matmul_shape();
    let other_shape = match default_shape {
        MatmulShape::Row => MatmulShape::Workgroup,
        MatmulShape::Workgroup => MatmulShape::Row,
    };
    let (gp, gd, gt) = run(&mut gpu);
    gpu.set_matmul_shape(other_shape);
    let (op, od, _) = run(&mut gpu);
    gpu.set_matmul_shape(default_shape);
    let mut cpu = CpuDecoder::new(&weights, ctx_len).unwrap();
    let (cp, cd, ct) = run(&mut cpu);
    let lora = LoraAdapter::synthetic(&weights.config, 8, 0.5, &Proj::ALL, 7);
    gpu.set_adapter(Some(std::sync::Arc::new(
        gpu.upload_adapter(&lora, "bench").unwrap(),
    )));
    let (lp, ld, _) = run(&mut gpu);
    let tps = |n: usize, d: Duration| n as f64 / d.as_secs_f64();
    println!(
        "{:>28} {:>16} {:>16} {:>14}",
        "", "prefill tok/s", "decode tok/s", "decode GB/s"
    );
    let (n_def, n_other) = (
        format!("wgpu {default_shape:?} (default)"),
        format!("wgpu {other_shape:?}"),
    );
    for (name, p, d) in [
        (n_def.as_str(), gp, gd),
        (n_other.as_str(), op, od),
        ("wgpu default + LoRA r=8 all", lp, ld),
        ("CPU reference (1 thread)", cp, cd),
    ] {
        println!(
            "{name:>28} {:>16.2} {:>16.2} {:>14.3}",
            tps(prefill_len, p),
            tps(decode_len, d),
            weight_bytes as f64 * tps(decode_len, d) / 1e9
        );
    }
    println!(
        "llm: wgpu/CPU-reference ratio: decode {:.2}x, prefill {:.2}x; greedy tokens {}",
        cd.as_secs_f64() / gd.as_secs_f64(),
        cp.as_secs_f64() / gp.as_secs_f64(),
        if gt == ct {
            "identical"
        } else {
            "DIFFER (float order; see verifier)"
        }
    );
}
