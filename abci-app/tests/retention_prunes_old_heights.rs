//! `[store] retain_blocks`: old state is pruned, CometBFT is told the same retain height,
//! recent heights stay queryable with proofs, and old ones answer a clear error.

mod support;

use cosmos_sdk_proto::cosmos::bank::v1beta1::QueryBalanceRequest;
use openledger_node::app::App;
use openledger_node::store::Storage;
use prost::Message;
use support::{Driver, Fixture};

#[test]
fn keeps_the_last_n_heights() {
    let fx = Fixture::load();
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::open(dir.path().join("state.redb")).unwrap();
    let mut d = Driver::with_app(App::new(storage).with_retain_blocks(3));
    d.init_chain(&fx.app_state());
    let txs = [
        "alice_send_seq0",
        "alice_send_seq1",
        "alice_amino_send_seq2",
        "alice_multisend_seq3",
    ];
    let mut retain = Vec::new();
    for name in txs {
        retain.push(d.block_retain_height(&[fx.tx(name)]));
    }
    retain.push(d.block_retain_height(&[]));
    retain.push(d.block_retain_height(&[]));
    assert_eq!(retain, vec![0, 0, 0, 2, 3, 4]);

    let request = QueryBalanceRequest {
        address: fx.address("bob"),
        denom: "uopen".into(),
    }
    .encode_to_vec();
    let old = d.query_at("/cosmos.bank.v1beta1.Query/Balance", request.clone(), 3);
    assert_eq!(old.code.value(), 26, "pruned height: {}", old.log);
    assert!(old.log.contains("pruned"), "{}", old.log);
    for h in 4..=6 {
        let res = d.query_at("/cosmos.bank.v1beta1.Query/Balance", request.clone(), h);
        assert_eq!(res.code.value(), 0, "height {h}: {}", res.log);
    }
    // Pruning survives a restart and the chain goes on.
    drop(d);
    let storage = Storage::open(dir.path().join("state.redb")).unwrap();
    assert_eq!(storage.earliest_height(), Some(4));
    let mut d = Driver::with_app(App::new(storage).with_retain_blocks(3));
    assert_eq!(d.block_retain_height(&[]), 5);
}
