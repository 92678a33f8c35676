//! Computing one job's attestation: the Datanet versions the job names are read from the
//! registry, their accepted contributions fetched by content hash and tokenised with the served
//! model's tokenizer, and the inference output attributed to them with `suffix_span` (integer
//! arithmetic end to end, so every honest attester produces the same bytes).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cosmwasm_std::HexBinary;
use gpu_oracle::attribution::suffix_span::{Document, SuffixIndex, SuffixSpanParams};
use gpu_oracle::attribution::ContributionRef;
use gpu_oracle::llm::gguf::Gguf;
use gpu_oracle::llm::Tokenizer;
use openledger_types::common::{DatanetRef, Method};
use openledger_types::datanet::{
    ContributionInfo, ContributionStatus, ContributionsResponse, QueryMsg as DatanetQuery,
    VersionInfo,
};
use openledger_types::escrow::{AttestationResult, DatanetWeight, JobInfo};
use openledger_types::merkle::merkle_root;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::chain::Chain;
use crate::content::ContentStore;
use crate::error::{AttesterError, Result};

/// The model an attester serves: its file hash (what jobs name) and its tokenizer.
pub struct ServedModel {
    pub path: PathBuf,
    pub hash: [u8; 32],
    pub tokenizer: Tokenizer,
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
        Ok(ServedModel {
            path: path.into(),
            hash,
            tokenizer,
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

/// The tokenised corpus of one Datanet version and the output, gathered from chain and store.
pub struct Inputs {
    pub docs: Vec<Document>,
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
    let mut docs = vec![];
    for dn in &job.spec.datanets {
        for c in accepted_rows(chain, datanet_registry, dn, job.id).await? {
            let bytes = content.get(c.content_hash.as_slice())?;
            if bytes.len() as u64 != c.size {
                return Err(err(format!(
                    "contribution {} is {} bytes, the registry says {}",
                    c.id,
                    bytes.len(),
                    c.size
                )));
            }
            let text = String::from_utf8(bytes)
                .map_err(|_| err(format!("contribution {} is not UTF-8 text", c.id)))?;
            let tokens = model.tokenizer.encode(&text)?;
            docs.push(Document {
                contribution: ContributionRef::new(dn.datanet_id, dn.version, c.id),
                tokens,
            });
        }
    }
    let output = content.get(job.spec.output_hash.as_slice())?;
    Ok(Inputs { docs, output })
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

/// The attested quantity for `inputs` (CPU, integer only): weights per Datanet version in the
/// job's order, and the hash of gpu-oracle's canonical result bytes.
pub fn compute(
    job: &JobInfo,
    model: &Arc<ServedModel>,
    inputs: Inputs,
) -> Result<(
    AttestationResult,
    gpu_oracle::attribution::AttributionResult,
)> {
    let err = |message: String| AttesterError::Job {
        job_id: job.id,
        message,
    };
    let params = suffix_span_params(job)?;
    let text = String::from_utf8(inputs.output)
        .map_err(|_| err("the inference output is not UTF-8 text".into()))?;
    let output = model.tokenizer.encode(&text)?;
    let index = SuffixIndex::build(inputs.docs)?;
    let (result, _spans) = index.attribute(&output, params)?;
    if result.weights.is_empty() {
        return Err(err(
            "the output matches no span of the named Datanets: nothing to attribute".into(),
        ));
    }
    // Weights in spec order (the escrow checks it); gpu-oracle sorts by (datanet, version).
    let mut weights_bps = vec![];
    for dn in &job.spec.datanets {
        if let Some(w) = result
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
    Ok((
        AttestationResult {
            result_hash: HexBinary::from(result.result_hash().to_vec()),
            weights_bps,
        },
        result,
    ))
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
            output: b"Paris is the capital of France; the river Seine flows".to_vec(),
        };
        let (result, full) = compute(&j, &m, inputs()).unwrap();
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
        // Deterministic: the same inputs give the same bytes.
        assert_eq!(compute(&j, &m, inputs()).unwrap().0, result);
    }

    #[test]
    fn bad_params_and_outputs_without_influence_are_refused() {
        let m = model();
        let inputs = || Inputs {
            docs: vec![doc(&m, 1, 1, "Paris is the capital of France")],
            output: b"zzzz qqqq".to_vec(),
        };
        let e = compute(&job(&[(1, 1)], None), &m, inputs())
            .unwrap_err()
            .to_string();
        assert!(e.contains("nothing to attribute"), "{e}");
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
            output: vec![0xff, 0xfe],
        };
        let e = compute(&job(&[(1, 1)], None), &m, bad_utf8)
            .unwrap_err()
            .to_string();
        assert!(e.contains("UTF-8"), "{e}");
    }
}
