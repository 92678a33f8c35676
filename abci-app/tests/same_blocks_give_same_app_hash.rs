//! Determinism: two independent nodes (one in memory, one on disk) fed the same blocks report
//! the same app hash at every height.

mod support;

use openledger_node::store::Storage;
use support::{Driver, Fixture};

#[test]
fn two_nodes_agree_at_every_height() {
    let fx = Fixture::load();
    let dir = tempfile::tempdir().unwrap();
    let mut a = Driver::new(Storage::in_memory().unwrap());
    let mut b = Driver::new(Storage::open(dir.path().join("state.redb")).unwrap());
    assert_eq!(a.init_chain(&fx.app_state()), b.init_chain(&fx.app_state()));
    let blocks: Vec<Vec<&str>> = vec![
        vec![],
        vec!["alice_send_seq0", "bob_wrong_sequence"],
        vec![
            "alice_send_seq1",
            "alice_amino_send_seq2",
            "dave_insufficient_funds",
        ],
        vec![],
        vec![
            "alice_multisend_seq3",
            "bob_send_seq0",
            "bob_bad_signature",
            "bob_send_seq1",
        ],
    ];
    let mut hashes = Vec::new();
    for names in blocks {
        let txs: Vec<Vec<u8>> = names.iter().map(|n| fx.tx(n)).collect();
        let ra = a.block(&txs);
        let rb = b.block(&txs);
        assert_eq!(ra.app_hash, rb.app_hash, "height {}", a.height);
        assert_eq!(a.app_hash(), b.app_hash());
        let codes_a: Vec<u32> = ra.tx_results.iter().map(|r| r.code.value()).collect();
        let codes_b: Vec<u32> = rb.tx_results.iter().map(|r| r.code.value()).collect();
        assert_eq!(codes_a, codes_b);
        assert_eq!(
            ra.tx_results
                .iter()
                .map(|r| (r.gas_used, r.events.clone()))
                .collect::<Vec<_>>(),
            rb.tx_results
                .iter()
                .map(|r| (r.gas_used, r.events.clone()))
                .collect::<Vec<_>>()
        );
        hashes.push((ra.app_hash, a.state_digest()));
    }
    // The state did move: txs changed it, empty blocks only added the host's own consensus
    // state (so the app hash moves while the rest of the state does not).
    assert_ne!(hashes[0].1, hashes[1].1);
    assert_eq!(hashes[2].1, hashes[3].1);
    assert_ne!(hashes[2].0, hashes[3].0);
}
