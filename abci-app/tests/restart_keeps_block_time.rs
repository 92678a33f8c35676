//! A restarted node knows the time of its last block: CheckTx and contract queries see it
//! (`env.block.time`), not 0 until the next block.

mod support;

use openledger_node::app::genesis::AppState;
use openledger_node::app::App;
use openledger_node::store::Storage;
use support::{time, Driver};

#[test]
fn the_last_block_time_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.redb");
    {
        let mut d = Driver::new(Storage::open(&path).unwrap());
        d.init_chain(&AppState::new_chain());
        for _ in 0..3 {
            d.block(&[]);
        }
    }
    let wasm = dir.path().join("wasm");
    let app = App::new(Storage::open(&path).unwrap())
        .with_wasm(&wasm)
        .unwrap();
    let expected = i128::from(time(3).unix_timestamp()) * 1_000_000_000;
    assert_eq!(app.last_block_time(), expected);
    let runtime = app.wasm().expect("runtime");
    assert_eq!(runtime.last_block_time(), expected);
}
