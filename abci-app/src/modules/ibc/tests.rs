//! The proofs this node serves on `store/ibc/key` verify, with ibc-rs's 07-tendermint
//! verification (what a counterparty chain runs), against the proof specs the node prints for
//! Hermes's `proof_specs` option.

use std::collections::BTreeMap;

use ibc::core::commitment_types::commitment::CommitmentRoot;
use ibc::core::commitment_types::merkle::{MerklePath, MerkleProof};
use ibc::core::commitment_types::specs::ProofSpecs;
use ibc::core::host::types::path::PathBytes;
use ics23::HostFunctionsManager;
use prost::Message;

use super::context::proof_specs_json;
use crate::query::{query, QueryAnswer};
use crate::store::{CommitInfo, Storage};

fn commit(storage: &Storage, height: u64, writes: &[(&str, Option<&[u8]>)]) -> CommitInfo {
    let writes: BTreeMap<Vec<u8>, Option<Vec<u8>>> = writes
        .iter()
        .map(|(k, v)| (k.as_bytes().to_vec(), v.map(<[u8]>::to_vec)))
        .collect();
    let pending = storage.prepare_commit(height, writes).unwrap();
    storage.commit(pending).unwrap()
}

/// The specs as Hermes reads them from its config: the JSON the node prints.
fn hermes_specs() -> ProofSpecs {
    let specs: Vec<ics23::ProofSpec> = serde_json::from_str(&proof_specs_json().unwrap()).unwrap();
    ProofSpecs::try_from(specs).unwrap()
}

fn merkle_proof(answer: &QueryAnswer) -> MerkleProof {
    let ops = &answer.proof.as_ref().expect("a proof was asked for").ops;
    assert_eq!(
        ops.len(),
        2,
        "substore proof, then the substore root in the app hash"
    );
    MerkleProof {
        proofs: ops
            .iter()
            .map(|op| ics23::CommitmentProof::decode(op.data.as_slice()).unwrap())
            .collect(),
    }
}

fn path(key: &str) -> MerklePath {
    MerklePath::new(vec![
        PathBytes::from_bytes(b"ibc"),
        PathBytes::from_bytes(key),
    ])
}

#[test]
fn store_ibc_key_proofs_verify_against_the_specs_given_to_hermes() {
    let storage = Storage::in_memory().unwrap();
    let connection = b"connection end bytes".as_slice();
    commit(
        &storage,
        1,
        &[
            ("auth/acc/1", Some(b"alice".as_slice())),
            ("ibc/connections/connection-0", Some(connection)),
            (
                "ibc/clients/07-tendermint-0/clientState",
                Some(b"cs".as_slice()),
            ),
        ],
    );
    let info = commit(
        &storage,
        2,
        &[("ibc/nextConnectionSequence", Some(&1u64.to_be_bytes()))],
    );
    let root = CommitmentRoot::from_bytes(&info.app_hash);
    let specs = hermes_specs();

    let key = "connections/connection-0";
    let answer = query(&storage, "store/ibc/key", key.as_bytes(), 2, true).unwrap();
    assert_eq!(answer.value, connection);
    let proof = merkle_proof(&answer);
    proof
        .verify_membership::<HostFunctionsManager>(
            &specs,
            root.clone().into(),
            path(key),
            connection.to_vec(),
            0,
        )
        .expect("membership proof verifies");
    assert!(
        proof
            .verify_membership::<HostFunctionsManager>(
                &specs,
                root.clone().into(),
                path(key),
                b"another value".to_vec(),
                0,
            )
            .is_err(),
        "a proof must not verify another value"
    );
    assert!(
        proof
            .verify_membership::<HostFunctionsManager>(
                &ProofSpecs::cosmos(),
                root.clone().into(),
                path(key),
                connection.to_vec(),
                0,
            )
            .is_err(),
        "IAVL specs (Hermes's default) must not accept JMT proofs"
    );

    let absent = "connections/connection-7";
    let answer = query(&storage, "store/ibc/key", absent.as_bytes(), 2, true).unwrap();
    assert!(answer.value.is_empty());
    merkle_proof(&answer)
        .verify_non_membership::<HostFunctionsManager>(&specs, root.clone().into(), path(absent))
        .expect("non-membership proof verifies");
    assert!(
        merkle_proof(&answer)
            .verify_non_membership::<HostFunctionsManager>(&specs, root.into(), path(key))
            .is_err(),
        "an absence proof of one key must not prove another key absent"
    );
}
