//! Crash safety: SIGKILL the node between FinalizeBlock and Commit and right after a Commit;
//! on restart `Info` reports the last committed height and app hash, CometBFT's replay of the
//! uncommitted block reproduces the same app hash, and no committed tx is lost.

mod support;

use support::{Comet, Fixture, NodeProcess, RICH};

#[test]
fn restart_after_sigkill_resumes_from_the_last_commit() {
    let fx = Fixture::load();
    let dir = tempfile::tempdir().unwrap();
    NodeProcess::init_home(dir.path(), &fx.app_state());

    // Run 1: genesis, three committed blocks, then a block finalized but not committed.
    let node = NodeProcess::start(dir.path());
    let mut comet = Comet::connect(&node.addr);
    comet.info();
    comet.init_chain(&fx.app_state());
    comet.propose_and_finalize(vec![]);
    comet.commit();
    comet.propose_and_finalize(vec![fx.tx("alice_send_seq0")]);
    comet.commit();
    let (_, fin3) =
        comet.propose_and_finalize(vec![fx.tx("alice_send_seq1"), fx.tx("bob_send_seq0")]);
    comet.commit();
    let committed_hash = fin3.app_hash.to_vec();
    let (_, fin4) = comet.propose_and_finalize(vec![fx.tx("alice_amino_send_seq2")]);
    let uncommitted_hash = fin4.app_hash.to_vec();
    drop(comet);
    node.kill9();

    // Run 2: Info says height 3; CometBFT replays block 4.
    let node = NodeProcess::start(dir.path());
    let mut comet = Comet::connect(&node.addr);
    let info = comet.info();
    assert_eq!(info.last_block_height, 3);
    assert_eq!(info.last_block_app_hash.to_vec(), committed_hash);
    comet.height = 3;
    assert_eq!(
        comet.balance(&fx.address("carol")),
        1_000_000,
        "block 2's tx survived"
    );
    assert_eq!(
        comet.balance(&fx.address("bob")),
        RICH + 2000 - 10 - 5000,
        "block 3's txs survived"
    );
    let replayed = comet.finalize(4, vec![fx.tx("alice_amino_send_seq2")]);
    assert_eq!(
        replayed.app_hash.to_vec(),
        uncommitted_hash,
        "replay is deterministic"
    );
    comet.commit();
    // Killed right after a Commit: that block is durable.
    drop(comet);
    node.kill9();

    let node = NodeProcess::start(dir.path());
    let mut comet = Comet::connect(&node.addr);
    let info = comet.info();
    assert_eq!(info.last_block_height, 4);
    assert_eq!(info.last_block_app_hash.to_vec(), uncommitted_hash);
    assert_eq!(
        comet.balance(&fx.address("bob")),
        RICH + 2000 + 3000 - 10 - 5000
    );
}
