//! Attribution receipts anyone can check offline.
//!
//! An attester writes one receipt per job it attests: the job spec, the answer, the packet it
//! reveals with its ed25519 signature, and, for every contribution the result pays, the row's
//! bytes, its Merkle inclusion proof against the Datanet version root the spec pins, and the
//! spans of the answer it matched. [`verify`] checks that chain of evidence without a node:
//!
//! ```text
//! signature ─▶ packet ─▶ spec_hash ─▶ spec ─▶ version roots, output hash
//!                 └─▶ result (weights, per-contribution bps) ═ the receipt's rows and weights
//! row bytes ─sha256─▶ leaf ─proof─▶ root      span text ⊂ row and ⊂ answer
//! ```
//!
//! What remains to compare with the chain, for whoever has one: the attester's public key is
//! the one the attester registry holds, and the job's `spec_hash` is the one the escrow holds.

use std::collections::BTreeMap;
use std::path::Path;

use cosmwasm_std::{Addr, Binary, HexBinary};
use openledger_types::escrow::{AttestationPacket, JobSpec};
use openledger_types::merkle::{merkle_proof, verify_merkle_proof, MERKLE_DEPTH};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::attest::{Attestation, MatchedSpan, Row, VersionLeaves};

/// The `format` of receipts this module writes and checks.
pub const FORMAT: &str = "openledger-receipt/1";

/// One attester's evidence for one job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    pub format: String,
    pub chain_id: String,
    pub job_id: u64,
    pub spec: JobSpec,
    /// The answer (its sha256 is the spec's `output_hash`).
    pub output: String,
    /// The revealed packet and the attester's ed25519 signature over its sign bytes.
    pub packet: AttestationPacket,
    pub signature: Binary,
    pub attester_pubkey: Binary,
    /// Every contribution the result names, in the result's order.
    pub contributions: Vec<PaidContribution>,
}

/// A contribution the result pays, with what shows that it is the row the chain pinned and how
/// it matched the answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaidContribution {
    pub datanet_id: u64,
    pub version: u32,
    pub contribution_id: u64,
    pub contributor: Addr,
    /// Share of its version's weight, as in the result.
    pub bps: u64,
    /// Its score in the method's units (suffix_span: Σ span weight / occurrences, Q16), decimal.
    pub score: String,
    /// The row's bytes as text; their sha256 is `content_hash`, the Merkle leaf.
    pub row: String,
    pub content_hash: HexBinary,
    pub leaf_index: u64,
    /// Sibling hashes from the leaf up to the version root (32 of them).
    pub proof: Vec<HexBinary>,
    /// The kept spans of the answer found in this row.
    pub spans: Vec<MatchedSpan>,
}

/// What a receipt check found wrong; the first failure ends the check.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReceiptError {
    #[error("not a receipt of format {FORMAT}: {0}")]
    Format(String),
    #[error("the attester's signature does not verify over the packet")]
    Signature,
    #[error("the packet is not this receipt's job: {0}")]
    Packet(String),
    #[error("the answer does not hash to the spec's output_hash")]
    Output,
    #[error("contribution {id}: {message}")]
    Contribution { id: u64, message: String },
}

/// What a receipt that checks out says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    pub job_id: u64,
    pub contributions: usize,
    pub proofs: usize,
    pub spans: usize,
}

/// Where an attester keeps the receipt of job `job_id` under its state directory.
pub fn path(state_dir: &Path, job_id: u64) -> std::path::PathBuf {
    state_dir
        .join("receipts")
        .join(format!("{job_id:020}.json"))
}

/// Builds the receipt of `attestation`, revealed as `packet` signed by `signature`. `None` when
/// a paid row has no leaf index (a registry that predates them): no proof can be made.
#[allow(clippy::too_many_arguments)]
pub fn build(
    chain_id: &str,
    spec: &JobSpec,
    rows: &[Row],
    versions: &[VersionLeaves],
    attestation: &Attestation,
    packet: AttestationPacket,
    signature: Binary,
    attester_pubkey: [u8; 32],
) -> Option<Receipt> {
    let full_scores: BTreeMap<_, _> = attestation
        .full
        .contributions
        .iter()
        .map(|c| (c.contribution, c.score))
        .collect();
    let mut contributions = vec![];
    for w in &attestation.result.contributions {
        let key = gpu_oracle::attribution::ContributionRef::new(
            w.datanet_id,
            w.version,
            w.contribution_id,
        );
        let row = rows.iter().find(|r| r.contribution == key)?;
        let leaf_index = row.leaf_index?;
        let leaves = &versions
            .iter()
            .find(|v| v.datanet.datanet_id == w.datanet_id && v.datanet.version == w.version)?
            .leaves;
        contributions.push(PaidContribution {
            datanet_id: w.datanet_id,
            version: w.version,
            contribution_id: w.contribution_id,
            contributor: row.contributor.clone(),
            bps: w.bps,
            score: full_scores.get(&key).copied().unwrap_or(0).to_string(),
            row: row.text.clone(),
            content_hash: HexBinary::from(row.content_hash.to_vec()),
            leaf_index,
            proof: merkle_proof(leaves, leaf_index)?,
            spans: attestation.spans.get(&key).cloned().unwrap_or_default(),
        });
    }
    Some(Receipt {
        format: FORMAT.into(),
        chain_id: chain_id.into(),
        job_id: packet.data.request_id,
        spec: spec.clone(),
        output: attestation.output.clone(),
        packet,
        signature,
        attester_pubkey: Binary::from(attester_pubkey.to_vec()),
        contributions,
    })
}

/// Checks every link of `r` (see the module doc). Offline: no node is asked anything.
pub fn verify(r: &Receipt) -> Result<Checked, ReceiptError> {
    if r.format != FORMAT {
        return Err(ReceiptError::Format(format!("format {:?}", r.format)));
    }
    // The attester signed this packet.
    let key: [u8; 32] = r
        .attester_pubkey
        .as_slice()
        .try_into()
        .map_err(|_| ReceiptError::Format("attester_pubkey is not 32 bytes".into()))?;
    let sig: [u8; 64] = r
        .signature
        .as_slice()
        .try_into()
        .map_err(|_| ReceiptError::Format("signature is not 64 bytes".into()))?;
    // Signed for the chain the receipt names (the escrow checks its own chain id).
    let sign_bytes = r
        .packet
        .sign_bytes(&r.chain_id)
        .map_err(|e| ReceiptError::Format(e.to_string()))?;
    ed25519_consensus::VerificationKey::try_from(key)
        .and_then(|vk| vk.verify(&ed25519_consensus::Signature::from(sig), &sign_bytes))
        .map_err(|_| ReceiptError::Signature)?;
    // The packet is for this job and this spec; the spec pins the answer and the roots.
    let data = &r.packet.data;
    if data.request_id != r.job_id || r.packet.sequence != r.job_id {
        return Err(ReceiptError::Packet(format!(
            "packet for job {}, receipt for job {}",
            data.request_id, r.job_id
        )));
    }
    let spec_hash = r
        .spec
        .hash()
        .map_err(|e| ReceiptError::Format(e.to_string()))?;
    if spec_hash != data.spec_hash {
        return Err(ReceiptError::Packet(format!(
            "spec hashes to {spec_hash}, the packet names {}",
            data.spec_hash
        )));
    }
    if Sha256::digest(r.output.as_bytes())[..] != *r.spec.output_hash.as_slice() {
        return Err(ReceiptError::Output);
    }
    // The rows shown are exactly the ones the signed result pays, with the same shares.
    let listed: Vec<(u64, u32, u64, u64)> = r
        .contributions
        .iter()
        .map(|c| (c.datanet_id, c.version, c.contribution_id, c.bps))
        .collect();
    let signed: Vec<(u64, u32, u64, u64)> = data
        .result
        .contributions
        .iter()
        .map(|c| (c.datanet_id, c.version, c.contribution_id, c.bps))
        .collect();
    if listed != signed {
        return Err(ReceiptError::Packet(format!(
            "the receipt shows contributions (datanet, version, id, bps) {listed:?}, \
             the signed result pays {signed:?}"
        )));
    }
    let mut checked = Checked {
        job_id: r.job_id,
        contributions: r.contributions.len(),
        proofs: 0,
        spans: 0,
    };
    for c in &r.contributions {
        let bad = |message: String| ReceiptError::Contribution {
            id: c.contribution_id,
            message,
        };
        let root = r
            .spec
            .datanets
            .iter()
            .find(|d| d.datanet_id == c.datanet_id && d.version == c.version)
            .ok_or_else(|| {
                bad(format!(
                    "Datanet {} v{} is not named by the job",
                    c.datanet_id, c.version
                ))
            })?
            .root
            .clone();
        if Sha256::digest(c.row.as_bytes())[..] != *c.content_hash.as_slice() {
            return Err(bad("the row's bytes do not hash to its content hash".into()));
        }
        if c.proof.len() != MERKLE_DEPTH
            || !verify_merkle_proof(
                c.content_hash.as_slice(),
                c.leaf_index,
                &c.proof,
                root.as_slice(),
            )
        {
            return Err(bad(format!(
                "the Merkle proof of leaf {} does not reach the version root {root}",
                c.leaf_index
            )));
        }
        checked.proofs += 1;
        for s in &c.spans {
            if s.text.is_empty() || !c.row.contains(&s.text) || !r.output.contains(&s.text) {
                return Err(bad(format!(
                    "span {:?} at token {} is not in both the row and the answer",
                    s.text, s.start
                )));
            }
            checked.spans += 1;
        }
    }
    Ok(checked)
}

/// Reads the receipts in `path`: one receipt, or a JSON object that holds receipts under
/// `jobs[].evidence[]` (what `scripts/demo.sh` writes).
pub fn read(path: &Path) -> Result<Vec<Receipt>, ReceiptError> {
    let bytes = std::fs::read(path)
        .map_err(|e| ReceiptError::Format(format!("{}: {e}", path.display())))?;
    let value: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| ReceiptError::Format(format!("{}: {e}", path.display())))?;
    let parse = |v: &serde_json::Value| {
        serde_json::from_value::<Receipt>(v.clone())
            .map_err(|e| ReceiptError::Format(format!("{}: {e}", path.display())))
    };
    if value.get("format").is_some() {
        return Ok(vec![parse(&value)?]);
    }
    let jobs = value
        .get("jobs")
        .and_then(|j| j.as_array())
        .ok_or_else(|| {
            ReceiptError::Format(format!(
                "{}: neither a receipt nor an object with jobs[].evidence",
                path.display()
            ))
        })?;
    let mut out = vec![];
    for job in jobs {
        for e in job
            .get("evidence")
            .and_then(|e| e.as_array())
            .into_iter()
            .flatten()
        {
            out.push(parse(e)?);
        }
    }
    if out.is_empty() {
        return Err(ReceiptError::Format(format!(
            "{}: no receipt under jobs[].evidence",
            path.display()
        )));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::HexBinary;
    use openledger_types::common::{DatanetRef, Method};
    use openledger_types::escrow::{
        AttestationPacketData, AttestationResult, ContributionWeight, DatanetWeight, ATTEST_PORT,
    };
    use openledger_types::merkle::merkle_root;

    const ROWS: [&str; 3] = [
        "Berlin is the capital of Germany.",
        "The capital of France is Paris, the City of Light.",
        "Madrid is the capital of Spain.",
    ];
    const ANSWER: &str = "The capital of France is Paris.";

    fn sha(s: &str) -> [u8; 32] {
        Sha256::digest(s.as_bytes()).into()
    }

    /// A receipt for row 1 (the France row) signed by a fixed key.
    fn receipt() -> Receipt {
        let leaves: Vec<[u8; 32]> = ROWS.iter().map(|r| sha(r)).collect();
        let spec = JobSpec {
            method: Method::SuffixSpan,
            model_id: 1,
            model_hash: HexBinary::from(vec![7; 32]),
            adapter_hash: None,
            datanets: vec![DatanetRef {
                datanet_id: 1,
                version: 1,
                root: merkle_root(&leaves),
            }],
            input_hash: HexBinary::from(sha("What is the capital of France?").to_vec()),
            output_hash: HexBinary::from(sha(ANSWER).to_vec()),
            method_params: None,
        };
        let packet = AttestationPacket {
            source_port: ATTEST_PORT.into(),
            source_channel: "channel-0".into(),
            dest_port: "wasm.escrow".into(),
            dest_channel: "channel-0".into(),
            sequence: 5,
            timeout_height: 0,
            timeout_timestamp: 0,
            data: AttestationPacketData {
                request_id: 5,
                spec_hash: spec.hash().unwrap(),
                attester: "open1attester".into(),
                result: AttestationResult {
                    result_hash: HexBinary::from(vec![1; 32]),
                    weights_bps: vec![DatanetWeight {
                        datanet_id: 1,
                        version: 1,
                        bps: 10_000,
                    }],
                    contributions: vec![ContributionWeight {
                        datanet_id: 1,
                        version: 1,
                        contribution_id: 12,
                        bps: 10_000,
                    }],
                },
            },
        };
        let key = ed25519_consensus::SigningKey::from([3u8; 32]);
        let signature = key.sign(&packet.sign_bytes("test-1").unwrap());
        Receipt {
            format: FORMAT.into(),
            chain_id: "test-1".into(),
            job_id: 5,
            spec,
            output: ANSWER.into(),
            packet,
            signature: Binary::from(signature.to_bytes().to_vec()),
            attester_pubkey: Binary::from(key.verification_key().to_bytes().to_vec()),
            contributions: vec![PaidContribution {
                datanet_id: 1,
                version: 1,
                contribution_id: 12,
                contributor: Addr::unchecked("open1dave"),
                bps: 10_000,
                score: "42".into(),
                row: ROWS[1].into(),
                content_hash: HexBinary::from(leaves[1].to_vec()),
                leaf_index: 1,
                proof: merkle_proof(&leaves, 1).unwrap(),
                spans: vec![MatchedSpan {
                    start: 0,
                    len: 6,
                    count: 1,
                    text: "The capital of France is Paris".into(),
                }],
            }],
        }
    }

    #[test]
    fn a_true_receipt_checks_out() {
        let r = receipt();
        assert_eq!(
            verify(&r),
            Ok(Checked {
                job_id: 5,
                contributions: 1,
                proofs: 1,
                spans: 1
            })
        );
    }

    #[test]
    fn altered_rows_weights_proofs_and_answers_are_refused() {
        let mut r = receipt();
        r.contributions[0].row = ROWS[2].into();
        assert!(matches!(
            verify(&r),
            Err(ReceiptError::Contribution { id: 12, .. })
        ));

        // A row swapped together with its hash no longer reaches the root.
        let mut r = receipt();
        r.contributions[0].row = ROWS[2].into();
        r.contributions[0].content_hash = HexBinary::from(sha(ROWS[2]).to_vec());
        let e = verify(&r).unwrap_err().to_string();
        assert!(e.contains("Merkle proof"), "{e}");

        let mut r = receipt();
        r.contributions[0].leaf_index = 0;
        assert!(verify(&r).is_err());

        // A weight changed in the receipt no longer matches the signed result…
        let mut r = receipt();
        r.contributions[0].bps = 5_000;
        assert!(matches!(verify(&r), Err(ReceiptError::Packet(_))));
        // …and changed in the packet too, the signature fails.
        r.packet.data.result.contributions[0].bps = 5_000;
        assert_eq!(verify(&r), Err(ReceiptError::Signature));

        let mut r = receipt();
        r.output = "The capital of France is Lyon.".into();
        assert_eq!(verify(&r), Err(ReceiptError::Output));

        let mut r = receipt();
        r.contributions[0].spans[0].text = "capital of Spain".into();
        assert!(matches!(
            verify(&r),
            Err(ReceiptError::Contribution { id: 12, .. })
        ));

        // Another job's spec (another root) breaks the packet's spec hash.
        let mut r = receipt();
        r.spec.datanets[0].root = HexBinary::from(vec![0; 32]);
        assert!(matches!(verify(&r), Err(ReceiptError::Packet(_))));

        // A paid row left out of the receipt.
        let mut r = receipt();
        r.contributions.clear();
        assert!(matches!(verify(&r), Err(ReceiptError::Packet(_))));
    }

    #[test]
    fn a_receipt_signed_for_another_chain_is_refused() {
        // The packet signature covers the chain id: the same packet on another chain is not
        // what the attester signed.
        let mut r = receipt();
        r.chain_id = "other-chain-1".into();
        assert_eq!(verify(&r), Err(ReceiptError::Signature));
    }

    #[test]
    fn reads_one_receipt_or_a_demo_receipt_of_several() {
        let dir = crate::TestDir::new();
        let one = dir.path().join("one.json");
        std::fs::write(&one, serde_json::to_vec(&receipt()).unwrap()).unwrap();
        assert_eq!(read(&one).unwrap(), vec![receipt()]);
        let demo = dir.path().join("demo.json");
        let v =
            serde_json::json!({"jobs": [{"evidence": [receipt(), receipt()]}, {"evidence": []}]});
        std::fs::write(&demo, serde_json::to_vec(&v).unwrap()).unwrap();
        assert_eq!(read(&demo).unwrap().len(), 2);
        std::fs::write(&demo, br#"{"jobs": []}"#).unwrap();
        assert!(read(&demo).is_err());
    }
}
