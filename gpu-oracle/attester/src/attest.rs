//! Computing one job's attestation: the Datanet versions the job names are read from the
//! registry, their accepted contributions fetched by content hash and tokenised with the served
//! model's tokenizer, and the inference output attributed to them with `suffix_span` (integer
//! arithmetic end to end, so every honest attester produces the same bytes).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use cosmwasm_std::{Addr, HexBinary};
use futures::{StreamExt, TryStreamExt};
use gpu_oracle::attribution::suffix_span::{Document, SuffixIndex, SuffixSpanParams};
use gpu_oracle::attribution::ContributionRef;
use gpu_oracle::llm::gguf::Gguf;
use gpu_oracle::llm::{CpuKind, CpuWeights, LlamaWeights, Tokenizer};
use openledger_types::common::{DatanetRef, Method};
use openledger_types::datanet::{
    ContributionInfo, ContributionStatus, ContributionsResponse, QueryMsg as DatanetQuery,
    VersionInfo,
};
use openledger_types::escrow::{AttestationResult, ContributionWeight, DatanetWeight, JobInfo};
use openledger_types::merkle::merkle_root;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::chain::Chain;
use crate::content::{ContentStore, Size};
use crate::error::{AttesterError, Result};
use crate::inference::{self, Replayer};

/// Rows fetched at once (each from local disk, or from IPFS peers).
const CONCURRENT_FETCHES: usize = 8;

/// The model an attester serves: its file hash (what jobs name), its tokenizer, and its
/// weights for replaying the answers it attributes.
pub struct ServedModel {
    pub path: PathBuf,
    pub hash: [u8; 32],
    pub tokenizer: Tokenizer,
    /// Weights for the fast CPU decoder, the one gateways answer with (`None` only in unit
    /// tests of attribution, which replay nothing).
    pub weights: Option<CpuWeights>,
    /// Positions the model was trained for.
    pub context: usize,
}

impl ServedModel {
    pub fn load(path: &Path) -> Result<Self> {
        let bad = |message: String| AttesterError::Model {
            path: path.into(),
            message,
        };
        let bytes = std::fs::read(path).map_err(|e| AttesterError::io(path, e))?;
        let hash: [u8; 32] = Sha256::digest(&bytes).into();
        let gguf = Gguf::parse(bytes).map_err(|e| bad(e.to_string()))?;
        let tokenizer = Tokenizer::from_gguf(&gguf).map_err(|e| bad(e.to_string()))?;
        let weights = LlamaWeights::from_gguf(&gguf).map_err(|e| bad(e.to_string()))?;
        let context = weights.config.context;
        let weights = CpuWeights::new(&weights, CpuKind::Fast).map_err(|e| bad(e.to_string()))?;
        Ok(ServedModel {
            path: path.into(),
            hash,
            tokenizer,
            weights: Some(weights),
            context,
        })
    }

    /// What replays answers, when the weights are loaded.
    pub fn replayer(&self) -> Option<Replayer<'_>> {
        Some(Replayer {
            tokenizer: &self.tokenizer,
            weights: self.weights.as_ref()?.clone(),
            context: self.context,
        })
    }
}

/// `method_params` of a `suffix_span` job (JSON; absent fields take the defaults).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SuffixSpanJson {
    min_len: Option<u32>,
    max_cnt: Option<u32>,
}

pub fn suffix_span_params(job: &JobInfo) -> Result<SuffixSpanParams> {
    let mut p = SuffixSpanParams::default();
    if let Some(raw) = &job.spec.method_params {
        let j: SuffixSpanJson =
            serde_json::from_slice(raw.as_slice()).map_err(|e| AttesterError::Job {
                job_id: job.id,
                message: format!("method_params: {e}"),
            })?;
        p.min_len = j.min_len.unwrap_or(p.min_len);
        p.max_cnt = j.max_cnt.unwrap_or(p.max_cnt);
    }
    Ok(p)
}

/// One accepted row of a named Datanet version, as the chain lists it, with its bytes: what a
/// receipt shows of a paid contribution.
#[derive(Clone, Debug)]
pub struct Row {
    pub contribution: ContributionRef,
    pub contributor: Addr,
    pub content_hash: [u8; 32],
    /// Position in the version's Merkle tree (acceptance order); `None` on registries that
    /// predate leaf indices (no proof can be given then).
    pub leaf_index: Option<u64>,
    pub text: String,
}

/// The leaves of one named Datanet version in tree order: where inclusion proofs come from.
#[derive(Clone, Debug)]
pub struct VersionLeaves {
    pub datanet: DatanetRef,
    /// Empty when the registry gave no leaf indices.
    pub leaves: Vec<[u8; 32]>,
}

/// The tokenised corpus of the named Datanet versions and the output, gathered from chain and
/// store, with the rows and leaves a receipt needs.
pub struct Inputs {
    pub docs: Vec<Document>,
    pub rows: Vec<Row>,
    pub versions: Vec<VersionLeaves>,
    /// The job's stored input (the prompt, as a record or plain text).
    pub input: Vec<u8>,
    pub output: Vec<u8>,
}

/// Reads the accepted contributions of every Datanet version the job names and the inference
/// output, checking each against the hashes the chain holds.
pub async fn gather(
    chain: &Chain,
    datanet_registry: &str,
    content: &ContentStore,
    model: &ServedModel,
    job: &JobInfo,
    max_job_bytes: u64,
) -> Result<Inputs> {
    let err = |message: String| AttesterError::Job {
        job_id: job.id,
        message,
    };
    if job.spec.method != Method::SuffixSpan {
        return Err(err(format!(
            "method {:?} is not served by this attester",
            job.spec.method
        )));
    }
    if job.spec.model_hash.as_slice() != model.hash {
        return Err(err(format!(
            "job is for model {}, this attester serves {} ({})",
            job.spec.model_hash,
            hex::encode(model.hash),
            model.path.display()
        )));
    }
    if job.spec.adapter_hash.is_some() {
        return Err(err(
            "LoRA adapters are not attributed by suffix_span yet".into()
        ));
    }
    let mut versions = vec![];
    let mut named: Vec<(&DatanetRef, ContributionInfo)> = vec![];
    // Bytes the chain says this job's rows hold, checked before any of them is read.
    let mut job_bytes: u64 = 0;
    for dn in &job.spec.datanets {
        let accepted = accepted_rows(chain, datanet_registry, dn, job.id).await?;
        job_bytes = accepted
            .iter()
            .fold(job_bytes, |total, c| total.saturating_add(c.size));
        if job_bytes > max_job_bytes {
            return Err(AttesterError::JobTooLarge {
                job_id: job.id,
                bytes: job_bytes,
                max: max_job_bytes,
            });
        }
        let in_tree_order = accepted.iter().all(|c| c.leaf_index.is_some());
        versions.push(VersionLeaves {
            datanet: dn.clone(),
            leaves: if in_tree_order {
                accepted.iter().filter_map(leaf_of).collect()
            } else {
                vec![]
            },
        });
        named.extend(accepted.into_iter().map(|c| (dn, c)));
    }
    // Sized: content of another size than the registry's is refused before it is read. Rows
    // on IPFS come from peers, so a few are asked for at once; the first failure (in row
    // order) decides.
    let fetched: Vec<Vec<u8>> = futures::stream::iter(named.iter().map(|(_, c)| {
        content.fetch(
            c.content_hash.as_slice(),
            Some(&c.uri),
            Size::Exactly(c.size),
        )
    }))
    .buffered(CONCURRENT_FETCHES)
    .try_collect()
    .await?;
    let mut docs = Vec::with_capacity(named.len());
    let mut rows = Vec::with_capacity(named.len());
    for ((dn, c), bytes) in named.into_iter().zip(fetched) {
        let text = String::from_utf8(bytes)
            .map_err(|_| err(format!("contribution {} is not UTF-8 text", c.id)))?;
        let tokens = model.tokenizer.encode(&text)?;
        let contribution = ContributionRef::new(dn.datanet_id, dn.version, c.id);
        docs.push(Document {
            contribution,
            tokens,
        });
        rows.push(Row {
            contribution,
            contributor: c.contributor.clone(),
            content_hash: leaf_of(&c)
                .ok_or_else(|| err(format!("contribution {} has no 32-byte content hash", c.id)))?,
            leaf_index: c.leaf_index,
            text,
        });
    }
    let output = fetch_unsized(
        content,
        &job.spec.output_hash,
        job.id,
        job_bytes,
        max_job_bytes,
    )
    .await?;
    job_bytes += output.len() as u64;
    let input = fetch_unsized(
        content,
        &job.spec.input_hash,
        job.id,
        job_bytes,
        max_job_bytes,
    )
    .await?;
    Ok(Inputs {
        docs,
        rows,
        versions,
        input,
        output,
    })
}

/// A job input whose size is not on chain: at most what `max_job_bytes` leaves after the
/// `job_bytes` already counted, else the job is too large.
async fn fetch_unsized(
    content: &ContentStore,
    hash: &HexBinary,
    job_id: u64,
    job_bytes: u64,
    max_job_bytes: u64,
) -> Result<Vec<u8>> {
    content
        .fetch(
            hash.as_slice(),
            None,
            Size::AtMost(max_job_bytes - job_bytes),
        )
        .await
        .map_err(|e| match e {
            AttesterError::ContentTooLarge { bytes, .. } => AttesterError::JobTooLarge {
                job_id,
                bytes: job_bytes.saturating_add(bytes),
                max: max_job_bytes,
            },
            e => e,
        })
}

fn leaf_of(c: &ContributionInfo) -> Option<[u8; 32]> {
    c.content_hash.as_slice().try_into().ok()
}

/// The contributions in Datanet version `dn`: accepted, and first included at or before it.
async fn accepted_rows(
    chain: &Chain,
    registry: &str,
    dn: &DatanetRef,
    job_id: u64,
) -> Result<Vec<ContributionInfo>> {
    let version: VersionInfo = chain
        .smart(
            registry,
            &DatanetQuery::Version {
                datanet_id: dn.datanet_id,
                version: dn.version,
            },
        )
        .await?;
    if version.merkle_root != dn.root {
        return Err(AttesterError::Job {
            job_id,
            message: format!(
                "Datanet {} v{} has root {}, the job names {}",
                dn.datanet_id, dn.version, version.merkle_root, dn.root
            ),
        });
    }
    let mut rows = vec![];
    let mut start_after = None;
    loop {
        let page: ContributionsResponse = chain
            .smart(
                registry,
                &DatanetQuery::ListContributions {
                    datanet_id: dn.datanet_id,
                    start_after,
                    limit: Some(openledger_types::common::MAX_LIMIT),
                },
            )
            .await?;
        let Some(last) = page.contributions.last() else {
            break;
        };
        start_after = Some(last.id);
        rows.extend(page.contributions.into_iter().filter(|c| {
            c.status == ContributionStatus::Accepted && c.version.is_some_and(|v| v <= dn.version)
        }));
        // The version was sealed with `leaf_count` rows: once they are all found there is no
        // need to walk the Datanet's later (or pending) contributions, however many.
        if rows.len() as u64 >= version.leaf_count {
            break;
        }
    }
    if rows.len() as u64 != version.leaf_count {
        return Err(AttesterError::Job {
            job_id,
            message: format!(
                "Datanet {} v{} lists {} accepted rows, its version has {} leaves",
                dn.datanet_id,
                dn.version,
                rows.len(),
                version.leaf_count
            ),
        });
    }
    // The rows, in acceptance order, must rebuild the version's Merkle root: the chain pinned
    // exactly these bytes (each is checked against its content hash when fetched).
    if rows.iter().all(|c| c.leaf_index.is_some()) {
        rows.sort_by_key(|c| c.leaf_index);
        let mut leaves = Vec::with_capacity(rows.len());
        for (i, c) in rows.iter().enumerate() {
            let leaf: Option<[u8; 32]> = c.content_hash.as_slice().try_into().ok();
            match leaf {
                Some(leaf) if c.leaf_index == Some(i as u64) => leaves.push(leaf),
                _ => {
                    return Err(AttesterError::Job {
                        job_id,
                        message: format!(
                            "Datanet {} v{}: contribution {} has leaf index {:?}, expected {i}",
                            dn.datanet_id, dn.version, c.id, c.leaf_index
                        ),
                    })
                }
            }
        }
        if merkle_root(&leaves) != version.merkle_root {
            return Err(AttesterError::Job {
                job_id,
                message: format!(
                    "Datanet {} v{}: its accepted rows do not rebuild the root {}",
                    dn.datanet_id, dn.version, version.merkle_root
                ),
            });
        }
    }
    Ok(rows)
}

/// A kept span of the output and the text it matched.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MatchedSpan {
    /// First output token of the span.
    pub start: u32,
    /// Length in tokens.
    pub len: u32,
    /// Occurrences in the corpus (the span's weight is shared among them).
    pub count: u32,
    /// The span's tokens, decoded.
    pub text: String,
}

/// What one job's computation produced.
#[derive(Debug)]
pub struct Attestation {
    /// The attested quantity: what is committed, revealed and settled.
    pub result: AttestationResult,
    /// gpu-oracle's full result (every contribution's share) behind `result.result_hash`.
    pub full: gpu_oracle::attribution::AttributionResult,
    /// The answer's text.
    pub output: String,
    /// The kept spans of the answer that occur in each contribution the result names.
    pub spans: BTreeMap<ContributionRef, Vec<MatchedSpan>>,
}

/// The attested quantity for `inputs` (CPU, integer only): weights per Datanet version in the
/// job's order, the job's top `max_contributions` rows with their share of their version, and
/// the hash of gpu-oracle's canonical result bytes. An answer that matches no span of the named
/// Datanets is attested as such (no weights, no rows): nobody is paid for it, and no attester
/// is slashed for saying so.
pub fn compute(job: &JobInfo, model: &Arc<ServedModel>, inputs: Inputs) -> Result<Attestation> {
    let err = |message: String| AttesterError::Job {
        job_id: job.id,
        message,
    };
    let params = suffix_span_params(job)?;
    let text = inference::answer_text(&inputs.output)
        .ok_or_else(|| err("the inference output is not UTF-8 text".into()))?;
    let output = model.tokenizer.encode(&text)?;
    let index = SuffixIndex::build(inputs.docs)?;
    let (full, kept) = index.attribute(&output, params)?;
    // Weights in spec order (the escrow checks it); gpu-oracle sorts by (datanet, version).
    let mut weights_bps = vec![];
    for dn in &job.spec.datanets {
        if let Some(w) = full
            .weights
            .iter()
            .find(|w| w.datanet.datanet_id == dn.datanet_id && w.datanet.version == dn.version)
        {
            weights_bps.push(DatanetWeight {
                datanet_id: dn.datanet_id,
                version: dn.version,
                bps: u64::from(w.bps),
            });
        }
    }
    let contributions = top_contributions(&full, &weights_bps, job.max_contributions);
    let mut spans: BTreeMap<ContributionRef, Vec<MatchedSpan>> = BTreeMap::new();
    for span in &kept {
        let tokens = &output[span.start as usize..(span.start + span.len) as usize];
        let matched = MatchedSpan {
            start: span.start,
            len: span.len,
            count: span.count,
            text: model.tokenizer.decode(tokens)?,
        };
        for c in index.occurrences(tokens) {
            let named = contributions
                .iter()
                .any(|w| ContributionRef::new(w.datanet_id, w.version, w.contribution_id) == c);
            if named {
                spans.entry(c).or_default().push(matched.clone());
            }
        }
    }
    Ok(Attestation {
        result: AttestationResult {
            result_hash: HexBinary::from(full.result_hash().to_vec()),
            weights_bps,
            contributions,
        },
        full,
        output: text,
        spans,
    })
}

/// The `k` most influential contributions of `full` (by their version's weight times their
/// share of it; ties to the smaller contribution), sorted by (Datanet, version, contribution)
/// as the escrow requires. Their bps are shares within their version, as gpu-oracle gives them.
pub fn top_contributions(
    full: &gpu_oracle::attribution::AttributionResult,
    weights: &[DatanetWeight],
    k: u32,
) -> Vec<ContributionWeight> {
    let version_bps = |c: &ContributionRef| {
        weights
            .iter()
            .find(|w| w.datanet_id == c.datanet_id && w.version == c.version)
            .map_or(0, |w| w.bps)
    };
    let mut ranked: Vec<(u64, ContributionRef, u64)> = full
        .contributions
        .iter()
        .filter(|c| c.bps > 0)
        .map(|c| {
            let bps = u64::from(c.bps);
            (version_bps(&c.contribution) * bps, c.contribution, bps)
        })
        .filter(|(global, _, _)| *global > 0)
        .collect();
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    ranked.truncate(k as usize);
    ranked.sort_by_key(|r| r.1);
    ranked
        .into_iter()
        .map(|(_, c, bps)| ContributionWeight {
            datanet_id: c.datanet_id,
            version: c.version,
            contribution_id: c.contribution_id,
            bps,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::{Addr, Binary, Uint128};
    use openledger_types::escrow::{JobSpec, JobStatus};

    /// GPT-2 byte-level vocabulary with no merges: one token per byte.
    fn byte_tokenizer() -> Tokenizer {
        let printable = |b: u32| {
            (33..=126).contains(&b) || (161..=172).contains(&b) || (174..=255).contains(&b)
        };
        let mut n = 0;
        let tokens = (0u32..256)
            .map(|b| {
                let c = if printable(b) {
                    b
                } else {
                    n += 1;
                    255 + n
                };
                char::from_u32(c).unwrap().to_string()
            })
            .collect();
        Tokenizer::new(tokens, &[], vec![], None, None).unwrap()
    }

    fn model() -> Arc<ServedModel> {
        Arc::new(ServedModel {
            path: "test.gguf".into(),
            hash: [7; 32],
            tokenizer: byte_tokenizer(),
            weights: None,
            context: 0,
        })
    }

    fn job(datanets: &[(u64, u32)], method_params: Option<&str>) -> JobInfo {
        let refs = datanets
            .iter()
            .map(|&(datanet_id, version)| DatanetRef {
                datanet_id,
                version,
                root: HexBinary::from(vec![0; 32]),
            })
            .collect();
        JobInfo {
            id: 9,
            payer: Addr::unchecked("payer"),
            model_owner: Addr::unchecked("owner"),
            spec: JobSpec {
                method: Method::SuffixSpan,
                model_id: 1,
                model_hash: HexBinary::from(vec![7; 32]),
                adapter_hash: None,
                datanets: refs,
                input_hash: HexBinary::from(vec![1; 32]),
                output_hash: HexBinary::from(vec![2; 32]),
                method_params: method_params.map(|p| Binary::from(p.as_bytes())),
            },
            spec_hash: HexBinary::from(vec![3; 32]),
            input_tokens: 1,
            output_tokens: 1,
            fee: Uint128::new(1),
            platform_fee: Uint128::zero(),
            status: JobStatus::Committing,
            created_height: 1,
            commit_deadline: 10,
            reveal_deadline: 20,
            challenge_deadline: None,
            total_stake: Uint128::new(1),
            result: None,
            challenger: None,
            challenge_bond: Uint128::zero(),
            challenge_resolve_deadline: None,
            max_contributions: 64,
        }
    }

    fn doc(m: &ServedModel, datanet_id: u64, id: u64, text: &str) -> Document {
        Document {
            contribution: ContributionRef::new(datanet_id, 1, id),
            tokens: m.tokenizer.encode(text).unwrap(),
        }
    }

    #[test]
    fn weights_follow_the_spec_order_and_sum_to_10000() {
        let m = model();
        // The spec names Datanet 2 first; gpu-oracle sorts by id.
        let j = job(&[(2, 1), (1, 1)], Some(r#"{"min_len": 6}"#));
        let inputs = || Inputs {
            docs: vec![
                doc(&m, 1, 1, "the river Seine flows through Paris"),
                doc(&m, 2, 2, "Paris is the capital of France"),
            ],
            rows: vec![],
            versions: vec![],
            input: vec![],
            output: b"Paris is the capital of France; the river Seine flows".to_vec(),
        };
        let Attestation {
            result,
            full,
            spans,
            ..
        } = compute(&j, &m, inputs()).unwrap();
        let order: Vec<u64> = result.weights_bps.iter().map(|w| w.datanet_id).collect();
        assert_eq!(order, [2, 1]);
        assert_eq!(
            result.weights_bps.iter().map(|w| w.bps).sum::<u64>(),
            10_000
        );
        assert!(
            result.weights_bps[0].bps > result.weights_bps[1].bps,
            "the longer span weighs more"
        );
        assert_eq!(result.result_hash.as_slice(), full.result_hash());
        // Each row holds all of its version's influence, and its matched span is shown.
        let rows: Vec<(u64, u64)> = result
            .contributions
            .iter()
            .map(|c| (c.contribution_id, c.bps))
            .collect();
        assert_eq!(rows, [(1, 10_000), (2, 10_000)]);
        let france = &spans[&ContributionRef::new(2, 1, 2)];
        assert!(
            france.iter().any(|s| s.text.contains("capital of France")),
            "{france:?}"
        );
        // Deterministic: the same inputs give the same bytes.
        assert_eq!(compute(&j, &m, inputs()).unwrap().result, result);
        // K = 1 names only the row of the heavier version.
        let mut one = j.clone();
        one.max_contributions = 1;
        let top = compute(&one, &m, inputs()).unwrap().result.contributions;
        assert_eq!(top.len(), 1);
        assert_eq!(top[0].datanet_id, 2);
        // Older jobs (K = 0) name no rows.
        let mut none = j.clone();
        none.max_contributions = 0;
        assert!(compute(&none, &m, inputs())
            .unwrap()
            .result
            .contributions
            .is_empty());
    }

    #[test]
    fn top_k_ranks_by_influence_on_the_answer_and_keeps_key_order() {
        use gpu_oracle::attribution::{AttributionResult, Method as OracleMethod};
        let mut scores = BTreeMap::new();
        // Version (1, 1): rows 1..=3 with scores 10, 30, 60; version (2, 1): row 9 alone.
        scores.insert(ContributionRef::new(1, 1, 1), 10u128);
        scores.insert(ContributionRef::new(1, 1, 2), 30);
        scores.insert(ContributionRef::new(1, 1, 3), 60);
        scores.insert(ContributionRef::new(2, 1, 9), 100);
        let full = AttributionResult::from_scores(OracleMethod::SuffixSpan, b"", b"", &scores);
        let weights: Vec<DatanetWeight> = full
            .weights
            .iter()
            .map(|w| DatanetWeight {
                datanet_id: w.datanet.datanet_id,
                version: w.datanet.version,
                bps: u64::from(w.bps),
            })
            .collect();
        let ids = |k| -> Vec<(u64, u64)> {
            top_contributions(&full, &weights, k)
                .iter()
                .map(|c| (c.contribution_id, c.bps))
                .collect()
        };
        // Row 9 has half the answer; row 3 has 60 % of the other half.
        assert_eq!(ids(1), [(9, 10_000)]);
        assert_eq!(ids(2), [(3, 6_000), (9, 10_000)]);
        assert_eq!(ids(4), [(1, 1_000), (2, 3_000), (3, 6_000), (9, 10_000)]);
        assert_eq!(ids(64), ids(4));
        assert!(ids(0).is_empty());
    }

    #[test]
    fn bad_params_are_refused_and_answers_without_influence_name_nobody() {
        let m = model();
        let inputs = || Inputs {
            docs: vec![doc(&m, 1, 1, "Paris is the capital of France")],
            rows: vec![],
            versions: vec![],
            input: vec![],
            output: b"zzzz qqqq".to_vec(),
        };
        let none = compute(&job(&[(1, 1)], None), &m, inputs()).unwrap();
        assert!(none.result.weights_bps.is_empty());
        assert!(none.result.contributions.is_empty());
        assert!(none.spans.is_empty());
        let e = compute(
            &job(&[(1, 1)], Some(r#"{"min_len": 4, "k": 2}"#)),
            &m,
            inputs(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("method_params"), "{e}");
        let bad_utf8 = Inputs {
            docs: vec![doc(&m, 1, 1, "Paris")],
            rows: vec![],
            versions: vec![],
            input: vec![],
            output: vec![0xff, 0xfe],
        };
        let e = compute(&job(&[(1, 1)], None), &m, bad_utf8)
            .unwrap_err()
            .to_string();
        assert!(e.contains("UTF-8"), "{e}");
    }
}
