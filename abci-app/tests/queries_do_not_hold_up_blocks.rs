//! Over the real socket, against the real `openledgerd`: a query is free to send, so the node
//! answers Query off the consensus worker. A simulation that loops to its 25M-gas cap is sent
//! on one connection; while it runs, a whole block (Prepare, Process, Finalize, Commit) goes
//! through on the consensus connection and is done before the simulation answers.

mod support;

use std::time::{Duration, Instant};

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin;
use cosmos_sdk_proto::cosmos::tx::v1beta1::SimulateRequest;
use cosmos_sdk_proto::cosmwasm::wasm::v1::{
    MsgExecuteContract, MsgInstantiateContract, MsgStoreCode,
};
use cosmos_sdk_proto::Any;
use openledger_node::app::genesis::AppState;
use openledger_node::modules::auth::genesis::GenesisAccount;
use openledger_node::modules::bank::genesis::{Balance, GenesisCoin};
use openledger_node::signer::Signer;
use prost::{Message, Name};
use support::{Comet, NodeProcess, SocketClient, CHAIN_ID};
use tendermint_proto::v0_38::abci as pb;

fn any<M: Message + Name>(msg: &M) -> Any {
    Any {
        type_url: M::type_url(),
        value: msg.encode_to_vec(),
    }
}

fn attr(r: &pb::ExecTxResult, kind: &str, key: &str) -> Option<String> {
    r.events
        .iter()
        .filter(|e| e.r#type == kind)
        .flat_map(|e| e.attributes.iter())
        .find(|a| a.key == key)
        .map(|a| a.value.clone())
}

#[test]
fn a_looping_simulation_does_not_delay_the_block() {
    let alice = Signer::from_secret(&[1; 32]).unwrap();
    let mut state = AppState::new_chain();
    state.auth.accounts.push(GenesisAccount {
        address: alice.address.clone(),
    });
    state.bank.balances.push(Balance {
        address: alice.address.clone(),
        coins: vec![GenesisCoin {
            denom: "uopen".into(),
            amount: "1000000000000".into(),
        }],
    });
    let dir = tempfile::tempdir().unwrap();
    NodeProcess::init_home(dir.path(), &state);
    let node = NodeProcess::start(dir.path());
    let mut comet = Comet::connect(&node.addr);
    comet.info();
    comet.init_chain(&state);
    let mut sequence = 0;
    let mut block = |comet: &mut Comet, msg: Any, gas: u64| {
        let tx = alice.sign_direct(
            CHAIN_ID,
            0,
            sequence,
            vec![msg],
            vec![Coin {
                denom: "uopen".into(),
                amount: (gas / 40 + 1).to_string(),
            }],
            gas,
            "",
        );
        sequence += 1;
        let (_, fin) = comet.propose_and_finalize(vec![tx]);
        comet.commit();
        let r = fin.tx_results[0].clone();
        assert_eq!(r.code, 0, "{}", r.log);
        r
    };
    comet.propose_and_finalize(vec![]);
    comet.commit();

    let wasm = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/wasm-contracts/artifacts/test_loop.wasm"
    ))
    .unwrap();
    let stored = block(
        &mut comet,
        any(&MsgStoreCode {
            sender: alice.address.clone(),
            wasm_byte_code: wasm,
            instantiate_permission: None,
        }),
        20_000_000,
    );
    let code_id: u64 = attr(&stored, "store_code", "code_id")
        .unwrap()
        .parse()
        .unwrap();
    let created = block(
        &mut comet,
        any(&MsgInstantiateContract {
            sender: alice.address.clone(),
            admin: String::new(),
            code_id,
            label: "loop".into(),
            msg: b"{}".to_vec(),
            funds: vec![],
        }),
        5_000_000,
    );
    let contract = attr(&created, "instantiate", "_contract_address").unwrap();

    // A simulation of a call that loops until the simulation's gas cap, on its own connection.
    let looping = alice.sign_direct(
        CHAIN_ID,
        0,
        sequence,
        vec![any(&MsgExecuteContract {
            sender: alice.address.clone(),
            contract,
            msg: br#"{"write":{"key":"k","value":"v"}}"#.to_vec(),
            funds: vec![],
        })],
        vec![],
        1_000_000_000,
        "",
    );
    let addr = node.addr.clone();
    let simulation = std::thread::spawn(move || {
        let mut q = SocketClient::connect_retry(&addr, 10);
        let started = Instant::now();
        let res = q
            .call(pb::request::Value::Query(pb::RequestQuery {
                data: SimulateRequest {
                    tx_bytes: looping,
                    ..Default::default()
                }
                .encode_to_vec()
                .into(),
                path: "/cosmos.tx.v1beta1.Service/Simulate".into(),
                height: 0,
                prove: false,
            }))
            .expect("simulate");
        (started, Instant::now(), res)
    });
    // Let the simulation get going, then make a block.
    std::thread::sleep(Duration::from_millis(300));
    let block_started = Instant::now();
    comet.propose_and_finalize(vec![]);
    comet.commit();
    let block_done = Instant::now();
    let (sim_started, sim_done, res) = simulation.join().unwrap();
    let pb::response::Value::Query(res) = res else {
        panic!("unexpected {res:?}")
    };
    eprintln!(
        "block (Prepare, Process, Finalize, Commit) took {:?} while a looping simulation ran for {:?}",
        block_done - block_started,
        sim_done - sim_started
    );
    assert_eq!(
        res.code, 11,
        "the simulation stops at its gas cap: {}",
        res.log
    );
    assert!(
        block_done < sim_done,
        "the block was done only after the simulation answered: queries ran on the consensus worker"
    );
    // Info is answered off the worker too, from committed state.
    assert_eq!(comet.info().last_block_height, 4);
}
