//! Known-answer tests for `gradient_influence`: a planted influential training example comes
//! out on top; GPU and CPU give the same features, scores and result hash; the hash is stable.

mod common;

use common::{c, dn};
use gpu_oracle::attribution::gradient_influence::{
    attribute, featurize, Estimator, Example, GradientInfluenceParams, LoraLinear,
};
use gpu_oracle::attribution::{AttributionResult, Compute, TOTAL_BPS};
use gpu_oracle::rng::SplitMix64;

const D_IN: usize = 32;
const D_OUT: usize = 16;
const RANK: usize = 4;

fn model() -> LoraLinear {
    LoraLinear::seeded(D_IN, D_OUT, RANK, 42)
}

/// 60 random examples over 3 Datanets; example (2, 1, 216) is the planted one.
fn train_set() -> Vec<Example> {
    let mut rng = SplitMix64::new(7);
    let mut v = Vec::new();
    for i in 0..60u64 {
        let d = 1 + i % 3;
        v.push(Example {
            contribution: c(d, 1, 100 * d + i),
            x: (0..D_IN).map(|_| rng.unit_f32()).collect(),
            target: (0..D_OUT).map(|_| rng.unit_f32()).collect(),
        });
    }
    v
}

const PLANTED: u64 = 216; // i = 16 → Datanet 2

/// Test example: the planted training example with its input slightly perturbed.
fn test_set(train: &[Example]) -> Vec<Example> {
    let src = train
        .iter()
        .find(|e| e.contribution.contribution_id == PLANTED)
        .unwrap();
    let mut rng = SplitMix64::new(1234);
    let x = src.x.iter().map(|v| v + 0.02 * rng.unit_f32()).collect();
    vec![Example {
        contribution: c(0, 0, 0),
        x,
        target: src.target.clone(),
    }]
}

fn run(
    estimator: Estimator,
    compute: &mut Compute<'_>,
) -> (AttributionResult, Vec<i128>, [u8; 32]) {
    let m = model();
    let train = train_set();
    let params = GradientInfluenceParams {
        projection_dim: 64,
        seed: 0x5eed,
        estimator,
    };
    let feats = featurize(&m, &train, params, compute).unwrap();
    let test = test_set(&train);
    let (r, raw) = attribute(&m, &feats, &test, params, compute).unwrap();
    (r, raw, feats.features_hash())
}

#[test]
fn planted_influential_example_comes_out_on_top_cpu() {
    let (r, raw, _) = run(Estimator::TracIn, &mut Compute::Cpu);
    let top = r.top_contribution().unwrap();
    assert_eq!(top.contribution, c(2, 1, PLANTED));
    // Clearly ahead of the runner-up (features are unit-normalised, so scores are projected
    // cosines × 127²; random examples still correlate through the shared model).
    let mut sorted = raw.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    assert!(
        2 * sorted[0] > 3 * sorted[1],
        "top {} vs next {}",
        sorted[0],
        sorted[1]
    );
    assert_eq!(r.weights.iter().map(|w| w.bps).sum::<u32>(), TOTAL_BPS);
    assert!(r.weights.iter().any(|w| w.datanet == dn(2, 1)));
}

#[test]
fn only_positive_influence_pays() {
    let (r, raw, _) = run(Estimator::TracIn, &mut Compute::Cpu);
    let train = train_set();
    let negatives = raw.iter().filter(|&&s| s <= 0).count();
    assert!(
        negatives > 0,
        "the random set must contain non-positive influence"
    );
    for (e, &s) in train.iter().zip(&raw) {
        let paid = r
            .contributions
            .iter()
            .any(|sh| sh.contribution == e.contribution);
        assert_eq!(paid, s > 0, "{:?} score {s}", e.contribution);
    }
    for dnv in r.weights.iter().map(|w| w.datanet) {
        let sum: u32 = r
            .contributions
            .iter()
            .filter(|s| s.contribution.datanet() == dnv)
            .map(|s| s.bps)
            .sum();
        assert_eq!(sum, TOTAL_BPS);
    }
}

#[test]
fn gpu_equals_cpu_bit_for_bit() {
    let (cpu_r, cpu_raw, cpu_feats) = run(Estimator::TracIn, &mut Compute::Cpu);
    let Some(mut g) = common::gpu() else { return };
    let (gpu_r, gpu_raw, gpu_feats) = run(
        Estimator::TracIn,
        &mut Compute::Gpu {
            ctx: g.ctx,
            matmul: &mut g.matmul,
        },
    );
    assert_eq!(gpu_feats, cpu_feats, "train feature hash");
    assert_eq!(gpu_raw, cpu_raw, "raw scores");
    assert_eq!(gpu_r.canonical_bytes(), cpu_r.canonical_bytes());
    assert_eq!(gpu_r.result_hash(), cpu_r.result_hash());
}

#[test]
fn same_inputs_same_hash() {
    let (a, _, _) = run(Estimator::TracIn, &mut Compute::Cpu);
    let (b, _, _) = run(Estimator::TracIn, &mut Compute::Cpu);
    assert_eq!(a.result_hash(), b.result_hash());
    assert_eq!(a.result_hash_hex(), GOLDEN);
}

/// Pinned result hash (f32 gradients use only IEEE-754 correctly rounded ops in a fixed order,
/// so this holds on every IEEE machine; update only on purpose).
const GOLDEN: &str = "02f656f3e68bc2d10df0fd781b06e51a71dddffb806db415d87f413f77f04929";

#[test]
fn different_seed_changes_hash_not_winner() {
    let m = model();
    let train = train_set();
    let test = test_set(&train);
    let params = GradientInfluenceParams {
        projection_dim: 64,
        seed: 0xabcdef,
        estimator: Estimator::TracIn,
    };
    let feats = featurize(&m, &train, params, &mut Compute::Cpu).unwrap();
    let (r, _) = attribute(&m, &feats, &test, params, &mut Compute::Cpu).unwrap();
    assert_eq!(r.top_contribution().unwrap().contribution, c(2, 1, PLANTED));
    assert_ne!(r.result_hash_hex(), GOLDEN);
}

#[test]
fn datainf_planted_example_on_top_and_gpu_equals_cpu() {
    let (cpu_r, cpu_raw, _) = run(Estimator::DataInf, &mut Compute::Cpu);
    assert_eq!(
        cpu_r.top_contribution().unwrap().contribution,
        c(2, 1, PLANTED)
    );
    let mut sorted = cpu_raw.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    assert!(
        2 * sorted[0] > 3 * sorted[1],
        "top {} vs next {}",
        sorted[0],
        sorted[1]
    );
    assert_eq!(cpu_r.weights.iter().map(|w| w.bps).sum::<u32>(), TOTAL_BPS);
    let (tracin, _, _) = run(Estimator::TracIn, &mut Compute::Cpu);
    assert_ne!(cpu_r.result_hash(), tracin.result_hash());
    assert_eq!(cpu_r.result_hash_hex(), GOLDEN_DATAINF);
    let Some(mut g) = common::gpu() else { return };
    let (gpu_r, gpu_raw, _) = run(
        Estimator::DataInf,
        &mut Compute::Gpu {
            ctx: g.ctx,
            matmul: &mut g.matmul,
        },
    );
    assert_eq!(gpu_raw, cpu_raw);
    assert_eq!(gpu_r.canonical_bytes(), cpu_r.canonical_bytes());
}

const GOLDEN_DATAINF: &str = "77429c3bf8c60b864d61a304642cbc950b9de40bf4d2cb30245b0d2b50dbebcc";
