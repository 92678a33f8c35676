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

fn transfer_any(extra: &[u8]) -> cosmos_sdk_proto::Any {
    use ibc_proto::cosmos::base::v1beta1::Coin;
    use ibc_proto::ibc::applications::transfer::v1::MsgTransfer;
    let mut value = MsgTransfer {
        source_port: "transfer".into(),
        source_channel: "channel-0".into(),
        token: Some(Coin {
            denom: "uopen".into(),
            amount: "5".into(),
        }),
        sender: "open19rl4cm2hmr8afy4kldpxz3fka4jguq0attl9rz".into(),
        receiver: "open1jrkmdcwgq94uaamx6zax2luewlhf7u4ktn5f24".into(),
        timeout_height: None,
        timeout_timestamp: 1_900_000_000_000_000_000,
        memo: String::new(),
    }
    .encode_to_vec();
    value.extend_from_slice(extra);
    cosmos_sdk_proto::Any {
        type_url: "/ibc.applications.transfer.v1.MsgTransfer".into(),
        value,
    }
}

#[test]
fn transfers_must_be_canonical_and_only_they_have_an_amino_form() {
    use super::IbcMsg;
    use crate::app::msgs::Msg;

    let msg = Msg::from_any(&transfer_any(&[])).expect("a canonical MsgTransfer decodes");
    assert!(msg.has_amino_form());
    assert_eq!(
        msg.signers(),
        vec!["open19rl4cm2hmr8afy4kldpxz3fka4jguq0attl9rz".to_string()]
    );
    assert_eq!(msg.amino_json()["type"], "cosmos-sdk/MsgTransfer");

    // An unknown field (99, varint 1) would change the tx hash under an amino signature.
    let err = Msg::from_any(&transfer_any(&[0x98, 0x06, 0x01])).unwrap_err();
    assert_eq!(err.code(), 2, "{err}");
    assert!(err.to_string().contains("not canonically encoded"), "{err}");

    let close = ibc_proto::ibc::core::channel::v1::MsgChannelCloseInit {
        port_id: "transfer".into(),
        channel_id: "channel-0".into(),
        signer: "open1jrkmdcwgq94uaamx6zax2luewlhf7u4ktn5f24".into(),
    };
    let any = cosmos_sdk_proto::Any {
        type_url: "/ibc.core.channel.v1.MsgChannelCloseInit".into(),
        value: close.encode_to_vec(),
    };
    let msg = Msg::from_any(&any).expect("a core IBC message decodes");
    assert!(
        !msg.has_amino_form(),
        "relayer messages are direct-mode only"
    );
    assert_eq!(msg.module(), "ibc_channel");
    assert!(matches!(msg, Msg::Ibc(ref m) if matches!(**m, IbcMsg::Core { .. })));

    let recover = ibc_proto::ibc::core::client::v1::MsgRecoverClient {
        subject_client_id: "07-tendermint-0".into(),
        substitute_client_id: "07-tendermint-1".into(),
        signer: "open1jrkmdcwgq94uaamx6zax2luewlhf7u4ktn5f24".into(),
    };
    let any = cosmos_sdk_proto::Any {
        type_url: "/ibc.core.client.v1.MsgRecoverClient".into(),
        value: recover.encode_to_vec(),
    };
    // ibc-go lets only governance recover clients; here it is not a tx message at all.
    let err = Msg::from_any(&any).unwrap_err();
    assert_eq!(err.code(), 2, "{err}");
}
