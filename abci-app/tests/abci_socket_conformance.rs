//! Plays CometBFT against the real `openledgerd` process over the v0.38 socket protocol:
//! four connections in CometBFT's order, uvarint-delimited protobuf, a Flush after each call,
//! Info → InitChain → blocks, CheckTx New (pipelined) and Recheck, Query with proofs.

mod support;

use cosmos_sdk_proto::cosmos::auth::v1beta1::QueryAccountRequest;
use cosmos_sdk_proto::cosmos::tx::v1beta1::SimulateResponse;
use prost::Message;
use support::{b64, check_tx_request, Comet, Fixture, NodeProcess, RICH};
use tendermint_proto::v0_38::abci as pb;

#[test]
fn comet_call_sequence_against_the_real_binary() {
    let fx = Fixture::load();
    let dir = tempfile::tempdir().unwrap();
    NodeProcess::init_home(dir.path(), &fx.app_state());
    let node = NodeProcess::start(dir.path());
    let mut comet = Comet::connect(&node.addr);

    // Handshake on a fresh app.
    let info = comet.info();
    assert_eq!(info.last_block_height, 0);
    assert!(info.last_block_app_hash.is_empty());
    match comet
        .query
        .call(pb::request::Value::Echo(pb::RequestEcho {
            message: "hi".into(),
        }))
        .unwrap()
    {
        pb::response::Value::Echo(e) => assert_eq!(e.message, "hi"),
        other => panic!("{other:?}"),
    }
    let genesis_hash = comet.init_chain(&fx.app_state());
    assert_eq!(genesis_hash.len(), 32);

    // Block 1: empty. Its app hash still moves: the IBC host records its own consensus state
    // (the header's app hash, time and validators) every block, as SDK chains keep HistoricalInfo.
    let (_, fin) = comet.propose_and_finalize(vec![]);
    assert_ne!(fin.app_hash.to_vec(), genesis_hash);
    let block1_hash = fin.app_hash.to_vec();
    comet.commit();
    let info = comet.info();
    assert_eq!(
        (info.last_block_height, info.last_block_app_hash.to_vec()),
        (1, block1_hash.clone())
    );

    // Mempool: pipelined CheckTx(New), as CometBFT's async client sends them.
    let names = [
        "alice_send_seq0",
        "alice_send_seq1",
        "bob_wrong_sequence",
        "bob_send_seq0",
    ];
    let checks = comet
        .mempool
        .pipeline(
            names
                .iter()
                .map(|n| check_tx_request(&fx.tx(n), false))
                .collect(),
        )
        .unwrap();
    let codes: Vec<u32> = checks
        .iter()
        .map(|r| match r {
            pb::response::Value::CheckTx(c) => c.code,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(codes, vec![0, 0, 32, 0]);

    // Block 2: the proposer drops the tx that no longer passes; the rest execute.
    let candidates = vec![
        fx.tx("alice_send_seq0"),
        fx.tx("alice_send_seq1"),
        fx.tx("bob_wrong_sequence"),
        b"garbage".to_vec(),
        fx.tx("bob_send_seq0"),
    ];
    let (included, fin) = comet.propose_and_finalize(candidates);
    assert_eq!(included.len(), 3, "PrepareProposal drops the invalid txs");
    assert!(fin
        .tx_results
        .iter()
        .all(|r| r.code == 0 && r.log.is_empty()));
    assert_ne!(fin.app_hash.to_vec(), block1_hash);
    comet.commit();
    assert_eq!(comet.info().last_block_app_hash, fin.app_hash);

    // Recheck after Commit: the included txs are now stale, a next-sequence tx is fine.
    assert_eq!(comet.check_tx(&fx.tx("alice_send_seq0"), true).code, 32);
    assert_eq!(comet.check_tx(&fx.tx("bob_send_seq1"), true).code, 0);

    // ProcessProposal rejects a block with an undecodable tx.
    match comet
        .consensus
        .call(pb::request::Value::ProcessProposal(
            pb::RequestProcessProposal {
                txs: vec![b"garbage".to_vec().into()],
                proposed_last_commit: Some(pb::CommitInfo {
                    round: 0,
                    votes: vec![],
                }),
                misbehavior: vec![],
                hash: vec![3; 32].into(),
                height: 3,
                time: Some(tendermint_proto::google::protobuf::Timestamp {
                    seconds: 1_750_000_003,
                    nanos: 0,
                }),
                next_validators_hash: vec![0; 32].into(),
                proposer_address: vec![1; 20].into(),
            },
        ))
        .unwrap()
    {
        pb::response::Value::ProcessProposal(r) => {
            assert_eq!(
                r.status,
                pb::response_process_proposal::ProposalStatus::Reject as i32
            )
        }
        other => panic!("{other:?}"),
    }

    // Queries: balances, NotFound accounts, unknown paths, simulate, historical heights.
    assert_eq!(comet.balance(&fx.address("carol")), 1_000_000);
    assert_eq!(comet.balance(&fx.address("bob")), RICH + 2000 - 10 - 5000);
    let res = comet.query(
        "/cosmos.auth.v1beta1.Query/Account",
        QueryAccountRequest {
            address: fx.address("dave"),
        }
        .encode_to_vec(),
        0,
        false,
    );
    assert_eq!(res.code, 0);
    assert_eq!(res.height, 2);
    let res = comet.query("/cosmos.bank.v1beta1.Query/Nope", vec![], 0, false);
    assert_eq!((res.code, res.codespace.as_str()), (6, "sdk"));
    let res = comet.query(
        "/cosmos.auth.v1beta1.Query/Account",
        QueryAccountRequest {
            address: fx.address("carol"),
        }
        .encode_to_vec(),
        1,
        false,
    );
    assert_eq!(res.code, 22, "carol did not exist at height 1: {}", res.log);
    assert!(res.log.contains("NotFound"));
    let sim = fx.tx_entry("simulate_alice_send");
    let res = comet.query(
        sim["simulate_path"].as_str().unwrap(),
        b64(sim["simulate_request_base64"].as_str().unwrap()),
        0,
        false,
    );
    assert_eq!(
        res.code, 32,
        "the simulate tx was built for sequence 0: {}",
        res.log
    );
    let res = comet.query(
        sim["simulate_path"].as_str().unwrap(),
        b64(sim["simulate_request_base64"].as_str().unwrap()),
        1,
        false,
    );
    assert_eq!(
        res.code, 0,
        "at height 1 alice's sequence was 0: {}",
        res.log
    );
    assert!(
        SimulateResponse::decode(res.value.as_ref())
            .unwrap()
            .gas_info
            .unwrap()
            .gas_used
            > 0
    );

    // A raw store read with a proof against the committed app hash.
    let key = [
        b"auth/acc/".as_slice(),
        &openledger_node::crypto::account_from_bech32(&fx.address("alice")).unwrap(),
    ]
    .concat();
    let res = comet.query("store/main/key", key.clone(), 2, true);
    assert_eq!(res.code, 0, "{}", res.log);
    let ops = res.proof_ops.unwrap().ops;
    let proof = ics23::CommitmentProof::decode(ops[0].data.as_slice()).unwrap();
    assert!(ics23::verify_membership::<ics23::HostFunctionsManager>(
        &proof,
        &jmt::ics23_spec(),
        &fin.app_hash.to_vec(),
        &key,
        &res.value,
    ));
    // Snapshot connection answers too.
    match comet
        .snapshot
        .call(pb::request::Value::ListSnapshots(
            pb::RequestListSnapshots {},
        ))
        .unwrap()
    {
        pb::response::Value::ListSnapshots(s) => assert!(s.snapshots.is_empty()),
        other => panic!("{other:?}"),
    }
}
