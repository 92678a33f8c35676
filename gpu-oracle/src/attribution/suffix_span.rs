//! `suffix_span`: infini-gram-style maximal span matching of a model output against the
//! tokenised corpus of Datanet versions.
//!
//! * Index: documents (one per contribution) concatenated with a separator token, and a suffix
//!   array over the concatenation (prefix doubling; deterministic). Spans never cross documents
//!   because the separator never occurs in an output.
//! * For each output start `l`, the longest prefix of `output[l..]` found in the corpus, with its
//!   occurrence count. A span is kept if `len ≥ min_len`, `count ≤ max_cnt` and its right end
//!   lies beyond the right end of the last kept span (maximality).
//! * Span weight `w = len · Σ_{t∈span} info(t)`, `info(t) = log2(N / cnt(t))` in Q16 fixed point
//!   computed with an integer algorithm; each occurrence's document receives `⌊w · 2^16 / count⌋`.
//!
//! Pure integer work on the CPU: byte-identical on every machine.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

use sha2::{Digest, Sha256};

use crate::attribution::result::{AttributionResult, ContributionRef, Method};
use crate::error::OracleError;

/// Separator between documents; not a valid token.
pub const SEPARATOR: u32 = u32::MAX;

/// One tokenised contribution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    /// Which contribution the tokens come from.
    pub contribution: ContributionRef,
    /// Token ids (must not contain [`SEPARATOR`]).
    pub tokens: Vec<u32>,
}

/// Method parameters (part of the job spec).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SuffixSpanParams {
    /// Minimum span length in tokens.
    pub min_len: u32,
    /// Spans occurring more often than this in the corpus are too common to attribute.
    pub max_cnt: u32,
}

impl Default for SuffixSpanParams {
    fn default() -> Self {
        Self {
            min_len: 4,
            max_cnt: 64,
        }
    }
}

/// A kept span of the output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    /// Start in the output.
    pub start: u32,
    /// Length in tokens.
    pub len: u32,
    /// Occurrences in the corpus.
    pub count: u32,
    /// `len · Σ info(t)` (Q16).
    pub weight: u128,
}

/// Suffix-array index over the corpus of one or more Datanet versions.
#[derive(Clone, Debug)]
pub struct SuffixIndex {
    text: Vec<u32>,
    sa: Vec<u32>,
    doc_starts: Vec<u32>,
    docs: Vec<ContributionRef>,
    unigram: HashMap<u32, u32>,
    total_tokens: u64,
    index_hash: [u8; 32],
}

/// `log2(x)` in Q16 fixed point (truncated), `x ≥ 1`; integer-only, identical everywhere.
pub fn log2_q16(x: u64) -> u64 {
    debug_assert!(x >= 1);
    let x = x.max(1);
    let int_part = 63 - u64::from(x.leading_zeros());
    // Mantissa in [1, 2) as Q62.
    let mut m: u128 = if int_part <= 62 {
        u128::from(x) << (62 - int_part)
    } else {
        u128::from(x) >> (int_part - 62)
    };
    let mut frac = 0u64;
    for bit in (0..16).rev() {
        m = (m * m) >> 62;
        if m >= (2u128 << 62) {
            m >>= 1;
            frac |= 1 << bit;
        }
    }
    (int_part << 16) | frac
}

/// Suffix array of `text` by prefix doubling (ranks of pairs, sorted; O(n log² n)).
/// Shorter suffixes sort first when one is a prefix of the other.
pub fn suffix_array(text: &[u32]) -> Vec<u32> {
    let n = text.len();
    let mut sa: Vec<u32> = (0..n as u32).collect();
    if n <= 1 {
        return sa;
    }
    // Initial ranks: token values compressed to 1.. (0 means "past the end").
    let mut sorted: Vec<u32> = text.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut rank: Vec<u64> = text
        .iter()
        .map(|t| sorted.binary_search(t).map_or(0, |i| i as u64 + 1))
        .collect();
    let mut tmp = vec![0u64; n];
    let mut k = 1usize;
    loop {
        let key = |i: u32| {
            let i = i as usize;
            (rank[i], if i + k < n { rank[i + k] } else { 0 })
        };
        sa.sort_unstable_by_key(|&i| key(i));
        tmp[sa[0] as usize] = 1;
        for w in 1..n {
            let bump = u64::from(key(sa[w - 1]) != key(sa[w]));
            tmp[sa[w] as usize] = tmp[sa[w - 1] as usize] + bump;
        }
        std::mem::swap(&mut rank, &mut tmp);
        if rank[sa[n - 1] as usize] as usize == n || k >= n {
            break;
        }
        k *= 2;
    }
    sa
}

impl SuffixIndex {
    /// Builds the index. Documents are ordered by contribution so the index (and its hash) does
    /// not depend on the order they were passed in.
    pub fn build(mut docs: Vec<Document>) -> Result<Self, OracleError> {
        if docs.is_empty() {
            return Err(OracleError::InvalidInput(
                "suffix_span: empty corpus".into(),
            ));
        }
        docs.sort_by_key(|d| d.contribution);
        for w in docs.windows(2) {
            if w[0].contribution == w[1].contribution {
                return Err(OracleError::InvalidInput(format!(
                    "suffix_span: duplicate contribution {:?}",
                    w[0].contribution
                )));
            }
        }
        let total: usize = docs.iter().map(|d| d.tokens.len() + 1).sum();
        if total >= u32::MAX as usize {
            return Err(OracleError::InvalidInput(
                "suffix_span: corpus exceeds 2^32 tokens".into(),
            ));
        }
        let mut text = Vec::with_capacity(total);
        let mut doc_starts = Vec::with_capacity(docs.len());
        let mut unigram: HashMap<u32, u32> = HashMap::new();
        let mut hasher = Sha256::new();
        hasher.update(b"openledger/suffix_span/index/v1");
        for d in &docs {
            if d.tokens.contains(&SEPARATOR) {
                return Err(OracleError::InvalidInput(format!(
                    "suffix_span: document {:?} contains the separator token",
                    d.contribution
                )));
            }
            doc_starts.push(text.len() as u32);
            text.extend_from_slice(&d.tokens);
            text.push(SEPARATOR);
            for &t in &d.tokens {
                *unigram.entry(t).or_insert(0) += 1;
            }
            hasher.update(d.contribution.datanet_id.to_be_bytes());
            hasher.update(d.contribution.version.to_be_bytes());
            hasher.update(d.contribution.contribution_id.to_be_bytes());
            hasher.update((d.tokens.len() as u64).to_be_bytes());
            for t in &d.tokens {
                hasher.update(t.to_be_bytes());
            }
        }
        let total_tokens = (text.len() - docs.len()) as u64;
        let sa = suffix_array(&text);
        Ok(Self {
            text,
            sa,
            doc_starts,
            docs: docs.into_iter().map(|d| d.contribution).collect(),
            unigram,
            total_tokens,
            index_hash: hasher.finalize().into(),
        })
    }

    /// Number of corpus tokens (separators excluded).
    pub fn total_tokens(&self) -> u64 {
        self.total_tokens
    }

    /// Number of documents.
    pub fn num_docs(&self) -> usize {
        self.docs.len()
    }

    /// sha256 over the documents (ids + tokens) in canonical order: the index's identity.
    pub fn index_hash(&self) -> [u8; 32] {
        self.index_hash
    }

    /// The suffix array (positions into the concatenated text).
    pub fn suffix_array(&self) -> &[u32] {
        &self.sa
    }

    /// Narrows `range` (suffixes sharing `offset` tokens) to those whose next token is `t`.
    fn narrow(&self, range: Range<usize>, offset: usize, t: u32) -> Range<usize> {
        // Within `range`, the token at `offset` is non-decreasing (None < Some).
        let slice_lo = range.start;
        let lo = slice_lo
            + self.sa[range.clone()]
                .partition_point(|&p| self.text.get(p as usize + offset).copied() < Some(t));
        let hi = slice_lo
            + self.sa[range]
                .partition_point(|&p| self.text.get(p as usize + offset).copied() <= Some(t));
        lo..hi
    }

    /// Suffix-array range of suffixes that start with `pattern`.
    pub fn find(&self, pattern: &[u32]) -> Range<usize> {
        let mut r = 0..self.sa.len();
        for (off, &t) in pattern.iter().enumerate() {
            r = self.narrow(r, off, t);
            if r.is_empty() {
                break;
            }
        }
        r
    }

    /// Occurrences of `pattern` in the corpus.
    pub fn count(&self, pattern: &[u32]) -> usize {
        if pattern.is_empty() || pattern.contains(&SEPARATOR) {
            return 0;
        }
        self.find(pattern).len()
    }

    /// Longest prefix of `s` present in the corpus: `(len, suffix-array range)`.
    pub fn longest_prefix(&self, s: &[u32]) -> (usize, Range<usize>) {
        let mut r = 0..self.sa.len();
        let mut len = 0;
        for (off, &t) in s.iter().enumerate() {
            if t == SEPARATOR {
                break;
            }
            let next = self.narrow(r.clone(), off, t);
            if next.is_empty() {
                break;
            }
            r = next;
            len = off + 1;
        }
        if len == 0 {
            (0, 0..0)
        } else {
            (len, r)
        }
    }

    /// The contributions `pattern` occurs in (each once, sorted): where a kept span of an
    /// output was found, for receipts that show each paid row its matched spans.
    pub fn occurrences(&self, pattern: &[u32]) -> Vec<ContributionRef> {
        if pattern.is_empty() || pattern.contains(&SEPARATOR) {
            return vec![];
        }
        let mut docs: Vec<ContributionRef> = self.sa[self.find(pattern)]
            .iter()
            .map(|&pos| self.docs[self.doc_of(pos)])
            .collect();
        docs.sort_unstable();
        docs.dedup();
        docs
    }

    /// Document index holding text position `pos`.
    fn doc_of(&self, pos: u32) -> usize {
        self.doc_starts.partition_point(|&s| s <= pos) - 1
    }

    /// `log2(N / cnt(t))` in Q16; 0 for tokens absent from the corpus.
    pub fn info_q16(&self, t: u32) -> u64 {
        match self.unigram.get(&t) {
            Some(&c) if c > 0 => log2_q16(self.total_tokens).saturating_sub(log2_q16(u64::from(c))),
            _ => 0,
        }
    }

    /// Attributes `output` (token ids) to corpus contributions.
    pub fn attribute(
        &self,
        output: &[u32],
        params: SuffixSpanParams,
    ) -> Result<(AttributionResult, Vec<Span>), OracleError> {
        if params.min_len == 0 || params.max_cnt == 0 {
            return Err(OracleError::InvalidInput(
                "suffix_span: min_len and max_cnt must be ≥ 1".into(),
            ));
        }
        let mut spans = Vec::new();
        let mut scores: BTreeMap<ContributionRef, u128> = BTreeMap::new();
        let mut last_right = 0usize;
        for l in 0..output.len() {
            let (len, range) = self.longest_prefix(&output[l..]);
            let count = range.len();
            let right = l + len;
            if len < params.min_len as usize
                || count > params.max_cnt as usize
                || right <= last_right
            {
                continue;
            }
            last_right = right;
            let info: u128 = output[l..right]
                .iter()
                .map(|&t| u128::from(self.info_q16(t)))
                .sum();
            let weight = len as u128 * info;
            let per_occurrence = (weight << 16) / count as u128;
            for sa_idx in range {
                let doc = self.doc_of(self.sa[sa_idx]);
                *scores.entry(self.docs[doc]).or_insert(0) += per_occurrence;
            }
            spans.push(Span {
                start: l as u32,
                len: len as u32,
                count: count as u32,
                weight,
            });
        }

        let mut p = Vec::with_capacity(64 + 4 * output.len());
        p.extend_from_slice(b"suffix_span/v1");
        p.extend_from_slice(&self.index_hash);
        p.extend_from_slice(&params.min_len.to_be_bytes());
        p.extend_from_slice(&params.max_cnt.to_be_bytes());
        p.extend_from_slice(&(output.len() as u64).to_be_bytes());
        for t in output {
            p.extend_from_slice(&t.to_be_bytes());
        }
        let mut s = Vec::with_capacity(8 + 28 * spans.len() + 28 * scores.len());
        s.extend_from_slice(&(spans.len() as u64).to_be_bytes());
        for sp in &spans {
            s.extend_from_slice(&sp.start.to_be_bytes());
            s.extend_from_slice(&sp.len.to_be_bytes());
            s.extend_from_slice(&sp.count.to_be_bytes());
            s.extend_from_slice(&sp.weight.to_be_bytes());
        }
        for (c, v) in &scores {
            s.extend_from_slice(&c.datanet_id.to_be_bytes());
            s.extend_from_slice(&c.version.to_be_bytes());
            s.extend_from_slice(&c.contribution_id.to_be_bytes());
            s.extend_from_slice(&v.to_be_bytes());
        }
        Ok((
            AttributionResult::from_scores(Method::SuffixSpan, &p, &s, &scores),
            spans,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    fn naive_sa(text: &[u32]) -> Vec<u32> {
        let mut sa: Vec<u32> = (0..text.len() as u32).collect();
        sa.sort_by(|&a, &b| text[a as usize..].cmp(&text[b as usize..]));
        sa
    }

    #[test]
    fn log2_q16_known_values() {
        assert_eq!(log2_q16(1), 0);
        assert_eq!(log2_q16(2), 1 << 16);
        assert_eq!(log2_q16(1024), 10 << 16);
        // log2(3) = 1.5849625 → 1.5849609 in Q16 (truncated) = 103872.
        assert_eq!(log2_q16(3), 103_872);
        assert_eq!(log2_q16(u64::MAX) >> 16, 63);
    }

    #[test]
    fn suffix_array_matches_naive_sort() {
        let mut rng = SplitMix64::new(11);
        for n in [0usize, 1, 2, 3, 10, 57, 300] {
            for vocab in [1u64, 2, 5, 1000] {
                let text: Vec<u32> = (0..n).map(|_| rng.below(vocab) as u32).collect();
                assert_eq!(suffix_array(&text), naive_sa(&text), "n={n} vocab={vocab}");
            }
        }
    }

    #[test]
    fn count_and_longest_prefix() {
        let c = |i| ContributionRef::new(1, 1, i);
        let idx = SuffixIndex::build(vec![
            Document {
                contribution: c(1),
                tokens: vec![1, 2, 3, 4, 1, 2],
            },
            Document {
                contribution: c(2),
                tokens: vec![2, 3, 9],
            },
        ])
        .unwrap();
        assert_eq!(idx.count(&[1, 2]), 2);
        assert_eq!(idx.count(&[2, 3]), 2);
        assert_eq!(idx.count(&[3, 9]), 1);
        assert_eq!(idx.count(&[2, 1]), 0);
        assert_eq!(
            idx.count(&[4, 1, 2, 2]),
            0,
            "must not cross the document separator"
        );
        let (len, r) = idx.longest_prefix(&[2, 3, 4, 7]);
        assert_eq!((len, r.len()), (3, 1));
        // Where a pattern occurs: each document once, sorted.
        assert_eq!(idx.occurrences(&[2, 3]), vec![c(1), c(2)]);
        assert_eq!(idx.occurrences(&[1, 2]), vec![c(1)]);
        assert!(idx.occurrences(&[4, 1, 2, 2]).is_empty());
        assert!(idx.occurrences(&[]).is_empty());
    }
}
