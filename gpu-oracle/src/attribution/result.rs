//! The canonical attribution result.
//!
//! # Canonical bytes (version 1)
//! All integers big-endian, fixed width; lists sorted by key and free of zero entries:
//! ```text
//! "OLPOA" 0x01                       magic + format version
//! u8 method tag, u8 len, name        (1 suffix_span, 2 gradient_influence, 3 rag_retrieval)
//! [32] params_hash                   sha256 of the method's canonical params + input identity
//! [32] scores_hash                   sha256 of the canonical full per-sample scores
//! u32 count, count × { u64 datanet_id, u32 version, u32 bps }               weights_bps
//! u32 count, count × { u64 datanet_id, u32 version, u64 contribution_id, u32 bps }
//! ```
//! `result_hash = sha256(canonical_bytes)`. Per-contribution bps are shares *within* their
//! (Datanet, version) and sum to 10 000 per Datanet version. With no positive influence at all,
//! both lists are empty (nothing to pay).

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

/// Basis points that the weights of one result sum to.
pub const TOTAL_BPS: u32 = 10_000;

const MAGIC: &[u8; 6] = b"OLPOA\x01";

/// A Datanet version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DatanetVersion {
    /// Datanet id (registry).
    pub datanet_id: u64,
    /// Version number.
    pub version: u32,
}

/// One contribution (row) of a Datanet version. Orders by (datanet, version, contribution).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ContributionRef {
    /// Datanet id.
    pub datanet_id: u64,
    /// Datanet version.
    pub version: u32,
    /// Contribution (row) id within the Datanet.
    pub contribution_id: u64,
}

impl ContributionRef {
    /// Shorthand constructor.
    pub const fn new(datanet_id: u64, version: u32, contribution_id: u64) -> Self {
        Self {
            datanet_id,
            version,
            contribution_id,
        }
    }

    /// The Datanet version this contribution belongs to.
    pub const fn datanet(&self) -> DatanetVersion {
        DatanetVersion {
            datanet_id: self.datanet_id,
            version: self.version,
        }
    }
}

/// Attribution method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// Suffix-array span matching (infini-gram style), deterministic by construction.
    SuffixSpan,
    /// Projected int8 LoRA-gradient similarity (TracIn-style), integer scoring.
    GradientInfluence,
    /// int8 embedding similarity of retrieved chunks.
    RagRetrieval,
}

impl Method {
    /// Wire name.
    pub const fn name(self) -> &'static str {
        match self {
            Method::SuffixSpan => "suffix_span",
            Method::GradientInfluence => "gradient_influence",
            Method::RagRetrieval => "rag_retrieval",
        }
    }

    /// Tag byte in the canonical encoding.
    pub const fn tag(self) -> u8 {
        match self {
            Method::SuffixSpan => 1,
            Method::GradientInfluence => 2,
            Method::RagRetrieval => 3,
        }
    }
}

/// Weight of one Datanet version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatanetWeight {
    /// Which Datanet version.
    pub datanet: DatanetVersion,
    /// Aggregated positive score (method units).
    pub score: u128,
    /// Share in basis points; all weights of a result sum to [`TOTAL_BPS`].
    pub bps: u32,
}

/// Share of one contribution within its Datanet version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContributionShare {
    /// Which contribution.
    pub contribution: ContributionRef,
    /// Positive score (method units).
    pub score: u128,
    /// Share within its Datanet version in basis points (sums to [`TOTAL_BPS`] per version).
    pub bps: u32,
}

/// Result of one attribution job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttributionResult {
    /// Method that produced it.
    pub method: Method,
    /// sha256 of the canonical params + input identity.
    pub params_hash: [u8; 32],
    /// sha256 of the canonical per-sample scores (kept off-chain, content-addressed).
    pub scores_hash: [u8; 32],
    /// Per Datanet version, sorted, non-zero, Σ bps = 10 000 (or empty).
    pub weights: Vec<DatanetWeight>,
    /// Per contribution, sorted, non-zero.
    pub contributions: Vec<ContributionShare>,
}

/// Splits [`TOTAL_BPS`] in proportion to `scores` with the largest-remainder method.
///
/// `floor(s_i · 10000 / Σs)` first, then the remaining points one each to the largest
/// remainders; equal remainders go to the smaller index (callers pass scores sorted by id, so
/// "smaller index" = "smaller id"). Returns all zeros when `Σs = 0`. Exact integer arithmetic:
/// scores are shifted right together (deterministically) if `Σs · 10000` would overflow u128.
pub fn largest_remainder_bps(scores: &[u128]) -> Vec<u32> {
    let total_bps = u128::from(TOTAL_BPS);
    let mut shift = 0u32;
    let total = loop {
        let t = scores
            .iter()
            .try_fold(0u128, |acc, s| acc.checked_add(s >> shift));
        match t.and_then(|t| t.checked_mul(total_bps).map(|_| t)) {
            Some(t) => break t,
            None => shift += 8,
        }
    };
    if total == 0 {
        return vec![0; scores.len()];
    }
    let mut bps: Vec<u32> = Vec::with_capacity(scores.len());
    let mut rems: Vec<(u128, usize)> = Vec::with_capacity(scores.len());
    for (i, s) in scores.iter().enumerate() {
        let x = (s >> shift) * total_bps;
        // x / total ≤ 10 000, fits u32.
        bps.push((x / total) as u32);
        rems.push((x % total, i));
    }
    let assigned: u32 = bps.iter().sum();
    let left = (TOTAL_BPS - assigned) as usize;
    // Largest remainder first; ties: smaller index first.
    rems.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, i) in rems.iter().take(left) {
        bps[i] += 1;
    }
    bps
}

impl AttributionResult {
    /// Builds the result from per-contribution positive scores (zeros are dropped).
    /// `params` are the method's canonical parameter bytes, `sample_scores` the canonical bytes of
    /// the full per-sample scores (both hashed, not stored).
    pub fn from_scores(
        method: Method,
        params: &[u8],
        sample_scores: &[u8],
        scores: &BTreeMap<ContributionRef, u128>,
    ) -> Self {
        let mut per_datanet: BTreeMap<DatanetVersion, Vec<(ContributionRef, u128)>> =
            BTreeMap::new();
        for (c, &s) in scores {
            if s > 0 {
                per_datanet.entry(c.datanet()).or_default().push((*c, s));
            }
        }
        let dn_scores: Vec<u128> = per_datanet
            .values()
            .map(|v| v.iter().map(|(_, s)| s).sum())
            .collect();
        let dn_bps = largest_remainder_bps(&dn_scores);
        let mut weights = Vec::new();
        let mut contributions = Vec::new();
        for ((dn, rows), (score, bps)) in per_datanet.iter().zip(dn_scores.iter().zip(dn_bps)) {
            weights.push(DatanetWeight {
                datanet: *dn,
                score: *score,
                bps,
            });
            let row_scores: Vec<u128> = rows.iter().map(|(_, s)| *s).collect();
            for ((c, s), b) in rows.iter().zip(largest_remainder_bps(&row_scores)) {
                contributions.push(ContributionShare {
                    contribution: *c,
                    score: *s,
                    bps: b,
                });
            }
        }
        Self {
            method,
            params_hash: Sha256::digest(params).into(),
            scores_hash: Sha256::digest(sample_scores).into(),
            weights,
            contributions,
        }
    }

    /// Canonical encoding (see module doc).
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out =
            Vec::with_capacity(80 + 16 * self.weights.len() + 24 * self.contributions.len());
        out.extend_from_slice(MAGIC);
        out.push(self.method.tag());
        let name = self.method.name().as_bytes();
        out.push(name.len() as u8);
        out.extend_from_slice(name);
        out.extend_from_slice(&self.params_hash);
        out.extend_from_slice(&self.scores_hash);
        out.extend_from_slice(&(self.weights.len() as u32).to_be_bytes());
        for w in &self.weights {
            out.extend_from_slice(&w.datanet.datanet_id.to_be_bytes());
            out.extend_from_slice(&w.datanet.version.to_be_bytes());
            out.extend_from_slice(&w.bps.to_be_bytes());
        }
        out.extend_from_slice(&(self.contributions.len() as u32).to_be_bytes());
        for c in &self.contributions {
            out.extend_from_slice(&c.contribution.datanet_id.to_be_bytes());
            out.extend_from_slice(&c.contribution.version.to_be_bytes());
            out.extend_from_slice(&c.contribution.contribution_id.to_be_bytes());
            out.extend_from_slice(&c.bps.to_be_bytes());
        }
        out
    }

    /// `sha256(canonical_bytes)`.
    pub fn result_hash(&self) -> [u8; 32] {
        Sha256::digest(self.canonical_bytes()).into()
    }

    /// Lower-case hex of [`AttributionResult::result_hash`].
    pub fn result_hash_hex(&self) -> String {
        hex32(&self.result_hash())
    }

    /// `(datanet_id, version, bps)` triples, the shape the escrow contract settles.
    pub fn weights_bps(&self) -> Vec<(u64, u32, u32)> {
        self.weights
            .iter()
            .map(|w| (w.datanet.datanet_id, w.datanet.version, w.bps))
            .collect()
    }

    /// The contribution with the largest score (ties: smaller id), if any.
    pub fn top_contribution(&self) -> Option<&ContributionShare> {
        self.contributions.iter().max_by(|a, b| {
            a.score
                .cmp(&b.score)
                .then(b.contribution.cmp(&a.contribution))
        })
    }

    /// The Datanet version with the largest weight (ties: smaller id), if any.
    pub fn top_datanet(&self) -> Option<&DatanetWeight> {
        self.weights
            .iter()
            .max_by(|a, b| a.score.cmp(&b.score).then(b.datanet.cmp(&a.datanet)))
    }
}

/// Lower-case hex of 32 bytes.
pub fn hex32(h: &[u8; 32]) -> String {
    h.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bps_sum_to_10000_and_ties_go_to_smaller_id() {
        assert_eq!(largest_remainder_bps(&[1, 1, 1]), vec![3334, 3333, 3333]);
        assert_eq!(largest_remainder_bps(&[2, 1]), vec![6667, 3333]);
        assert_eq!(largest_remainder_bps(&[0, 5]), vec![0, 10_000]);
        assert_eq!(largest_remainder_bps(&[0, 0]), vec![0, 0]);
        assert_eq!(largest_remainder_bps(&[]), Vec::<u32>::new());
        for n in 1..40u128 {
            let s: Vec<u128> = (0..n).map(|i| (i * 7919 + 13) % 101).collect();
            let b = largest_remainder_bps(&s);
            if s.iter().sum::<u128>() > 0 {
                assert_eq!(b.iter().sum::<u32>(), TOTAL_BPS, "{s:?}");
            }
        }
    }

    #[test]
    fn bps_survive_huge_scores() {
        let b = largest_remainder_bps(&[u128::MAX / 2, u128::MAX / 2, 3]);
        assert_eq!(b.iter().sum::<u32>(), TOTAL_BPS);
        assert_eq!(b, vec![5000, 5000, 0]);
    }

    #[test]
    fn result_is_canonical_and_drops_zeros() {
        let mut scores = BTreeMap::new();
        scores.insert(ContributionRef::new(2, 1, 7), 30u128);
        scores.insert(ContributionRef::new(1, 3, 9), 10u128);
        scores.insert(ContributionRef::new(1, 3, 4), 0u128);
        scores.insert(ContributionRef::new(1, 3, 5), 60u128);
        let r = AttributionResult::from_scores(Method::SuffixSpan, b"p", b"s", &scores);
        assert_eq!(r.weights_bps(), vec![(1, 3, 7000), (2, 1, 3000)]);
        let shares: Vec<_> = r
            .contributions
            .iter()
            .map(|c| (c.contribution.contribution_id, c.bps))
            .collect();
        assert_eq!(shares, vec![(5, 8571), (9, 1429), (7, 10_000)]);
        assert_eq!(
            r.top_contribution().map(|c| c.contribution.contribution_id),
            Some(5)
        );
        let again = AttributionResult::from_scores(Method::SuffixSpan, b"p", b"s", &scores);
        assert_eq!(r.result_hash(), again.result_hash());
        let other = AttributionResult::from_scores(Method::RagRetrieval, b"p", b"s", &scores);
        assert_ne!(r.result_hash(), other.result_hash());
        assert!(r
            .canonical_bytes()
            .starts_with(b"OLPOA\x01\x01\x0bsuffix_span"));
    }

    #[test]
    fn no_positive_scores_gives_empty_weights() {
        let mut scores = BTreeMap::new();
        scores.insert(ContributionRef::new(1, 1, 1), 0u128);
        let r = AttributionResult::from_scores(Method::RagRetrieval, b"", b"", &scores);
        assert!(r.weights.is_empty() && r.contributions.is_empty());
    }
}
