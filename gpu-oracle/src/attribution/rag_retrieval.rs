//! `rag_retrieval`: micro-rewards for contribution chunks retrieved to answer queries
//! (RAG attribution: chunks retrieved for an answer earn a micro-reward).
//!
//! Embeddings are int8 ([`quant::quantize_f32`] of normalised float embeddings, or an int8 model
//! such as a static embedding model). For each query, similarity with every candidate chunk is
//! an int8 dot product (GPU GEMM == CPU reference); the `top_k` chunks by similarity (ties: lower
//! chunk index) with positive similarity earn their similarity as score. Scores add up over
//! queries (query frequency) and over chunks of the same contribution.
//!
//! [`quant::quantize_f32`]: crate::quant::quantize_f32

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use crate::attribution::compute::Compute;
use crate::attribution::result::{AttributionResult, ContributionRef, Method};
use crate::error::OracleError;
use crate::kernels::matmul_i8::PackedI8;
use crate::rng::hash3;

/// A retrievable chunk of a contribution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk {
    /// Contribution the chunk belongs to.
    pub contribution: ContributionRef,
    /// int8 embedding.
    pub embedding: Vec<i8>,
}

/// Method parameters (part of the job spec).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RagParams {
    /// Chunks retrieved per query.
    pub top_k: usize,
}

impl Default for RagParams {
    fn default() -> Self {
        Self { top_k: 4 }
    }
}

/// One retrieval: query index, chunk index, similarity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retrieval {
    /// Query index.
    pub query: u32,
    /// Chunk index.
    pub chunk: u32,
    /// int8 dot product.
    pub similarity: i32,
}

/// Deterministic toy embedding of token ids (hashed bag of tokens, signed, int8-quantised);
/// for tests and benches until a real embedding model is wired in.
pub fn hashed_embedding(tokens: &[u32], dim: usize, seed: u64) -> Vec<i8> {
    let mut acc = vec![0i32; dim];
    for &t in tokens {
        let h = hash3(seed, 0x52_4147, u64::from(t));
        let slot = (h % dim as u64) as usize;
        acc[slot] += if (h >> 63) == 1 { 1 } else { -1 };
    }
    crate::quant::requantize_i32(&acc)
}

/// Scores the chunks retrieved for `queries`. Returns the result and the retrievals in
/// (query, rank) order.
pub fn attribute(
    queries: &[Vec<i8>],
    chunks: &[Chunk],
    params: RagParams,
    compute: &mut Compute<'_>,
) -> Result<(AttributionResult, Vec<Retrieval>), OracleError> {
    if queries.is_empty() || chunks.is_empty() || params.top_k == 0 {
        return Err(OracleError::InvalidInput(
            "rag_retrieval: need ≥ 1 query, ≥ 1 chunk and top_k ≥ 1".into(),
        ));
    }
    let dim = queries[0].len();
    if queries.iter().any(|q| q.len() != dim) || chunks.iter().any(|c| c.embedding.len() != dim) {
        return Err(OracleError::InvalidInput(
            "rag_retrieval: embedding widths differ".into(),
        ));
    }
    let (m, n) = (queries.len(), chunks.len());
    let q = PackedI8::pack(&queries.concat(), m, dim)?;
    let flat: Vec<i8> = chunks
        .iter()
        .flat_map(|c| c.embedding.iter().copied())
        .collect();
    let c = PackedI8::pack(&flat, n, dim)?;
    let sims = compute.matmul_i8(&q, &c)?; // m × n

    let mut scores: BTreeMap<ContributionRef, u128> = BTreeMap::new();
    let mut retrievals = Vec::with_capacity(m * params.top_k.min(n));
    for (qi, row) in sims.chunks(n).enumerate() {
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| row[b].cmp(&row[a]).then(a.cmp(&b)));
        for &ci in order.iter().take(params.top_k) {
            let s = row[ci];
            if s <= 0 {
                break;
            }
            *scores.entry(chunks[ci].contribution).or_insert(0) += s as u128;
            retrievals.push(Retrieval {
                query: qi as u32,
                chunk: ci as u32,
                similarity: s,
            });
        }
    }

    let mut p = Vec::new();
    p.extend_from_slice(b"rag_retrieval/v1");
    p.extend_from_slice(&(params.top_k as u64).to_be_bytes());
    p.extend_from_slice(&(dim as u64).to_be_bytes());
    let mut h = Sha256::new();
    for qv in queries {
        h.update(bytemuck::cast_slice::<i8, u8>(qv));
    }
    p.extend_from_slice(&h.finalize());
    let mut h = Sha256::new();
    for ch in chunks {
        h.update(ch.contribution.datanet_id.to_be_bytes());
        h.update(ch.contribution.version.to_be_bytes());
        h.update(ch.contribution.contribution_id.to_be_bytes());
        h.update(bytemuck::cast_slice::<i8, u8>(&ch.embedding));
    }
    p.extend_from_slice(&h.finalize());
    let mut s = Vec::with_capacity(8 + 12 * retrievals.len());
    s.extend_from_slice(&(retrievals.len() as u64).to_be_bytes());
    for r in &retrievals {
        s.extend_from_slice(&r.query.to_be_bytes());
        s.extend_from_slice(&r.chunk.to_be_bytes());
        s.extend_from_slice(&r.similarity.to_be_bytes());
    }
    Ok((
        AttributionResult::from_scores(Method::RagRetrieval, &p, &s, &scores),
        retrievals,
    ))
}
