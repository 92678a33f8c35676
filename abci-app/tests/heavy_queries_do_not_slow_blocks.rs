//! Against the real `openledgerd` (ABCI socket and REST): 64 clients keep sending smart
//! queries that loop to the 3M-gas cap, half through REST, half as ABCI `Query` (CometBFT's
//! `abci_query`), while blocks are made on the consensus connection. Each block runs a 3M-gas
//! contract call, so it needs a core's worth of time; its time under that load stays within
//! 2× of the same block made idle, because queries run only a few at a time (one fewer than
//! the cores) and the rest wait or are told the node is busy.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin;
use cosmos_sdk_proto::cosmwasm::wasm::v1::{
    MsgExecuteContract, MsgInstantiateContract, MsgStoreCode, QuerySmartContractStateRequest,
};
use cosmos_sdk_proto::Any;
use openledger_node::signer::Signer;
use prost::{Message, Name};
use support::{free_port, funded_genesis, Comet, NodeProcess, SocketClient, CHAIN_ID};
use tendermint_proto::v0_38::abci as pb;

const CLIENTS: usize = 64;
const LOOP_QUERY: &[u8] = br#"{"loop":{}}"#;

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

/// What the clients were answered.
#[derive(Default)]
struct Tally {
    /// The query ran (and, looping, ran out of gas).
    ran: AtomicUsize,
    /// "node busy": refused at the gate.
    busy: AtomicUsize,
    /// Anything else, with the first one kept to show.
    other: AtomicUsize,
    first_other: std::sync::Mutex<Option<String>>,
}

impl Tally {
    fn count(&self, text: &str) {
        if text.contains("out of gas") {
            self.ran.fetch_add(1, Ordering::Relaxed);
        } else if text.contains("node busy") {
            self.busy.fetch_add(1, Ordering::Relaxed);
        } else {
            self.other.fetch_add(1, Ordering::Relaxed);
            let mut first = self.first_other.lock().expect("lock");
            first.get_or_insert_with(|| text.chars().take(300).collect());
        }
    }
}

/// One HTTP/1.1 GET; the status line and body as text.
fn http_get(addr: &str, path: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    Ok(answer)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[test]
fn sixty_four_looping_queries_leave_block_times_within_twice_idle() {
    let alice = Signer::from_secret(&[1; 32]).unwrap();
    let state = funded_genesis(&[&alice], 1_000_000_000_000);
    let dir = tempfile::tempdir().unwrap();
    NodeProcess::init_home(dir.path(), &state);
    let rest = format!("127.0.0.1:{}", free_port());
    let node = NodeProcess::start_with(dir.path(), &["--rest-addr", &rest]);
    let mut comet = Comet::connect(&node.addr);
    comet.info();
    comet.init_chain(&state);
    let mut sequence = 0;
    let mut tx = |msg: Any, gas: u64| {
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
        tx
    };
    let block = |comet: &mut Comet, txs: Vec<Vec<u8>>| {
        let started = Instant::now();
        let (_, fin) = comet.propose_and_finalize(txs);
        comet.commit();
        (started.elapsed(), fin)
    };
    block(&mut comet, vec![]);

    let wasm = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/wasm-contracts/artifacts/test_loop.wasm"
    ))
    .unwrap();
    let store = tx(
        any(&MsgStoreCode {
            sender: alice.address.clone(),
            wasm_byte_code: wasm,
            instantiate_permission: None,
        }),
        20_000_000,
    );
    let (_, fin) = block(&mut comet, vec![store]);
    assert_eq!(fin.tx_results[0].code, 0, "{}", fin.tx_results[0].log);
    let code_id: u64 = attr(&fin.tx_results[0], "store_code", "code_id")
        .unwrap()
        .parse()
        .unwrap();
    let instantiate = tx(
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
    let (_, fin) = block(&mut comet, vec![instantiate]);
    assert_eq!(fin.tx_results[0].code, 0, "{}", fin.tx_results[0].log);
    let contract = attr(&fin.tx_results[0], "instantiate", "_contract_address").unwrap();

    // Each measured block runs a contract call that loops until its 3M gas is spent.
    let mut heavy_block = |comet: &mut Comet| {
        let call = tx(
            any(&MsgExecuteContract {
                sender: alice.address.clone(),
                contract: contract.clone(),
                msg: br#"{"loop":{}}"#.to_vec(),
                funds: vec![],
            }),
            3_000_000,
        );
        let (took, fin) = block(comet, vec![call]);
        assert_eq!(fin.tx_results[0].code, 11, "{}", fin.tx_results[0].log);
        took
    };
    let idle = median((0..3).map(|_| heavy_block(&mut comet)).collect());

    // The load: half the clients on REST, half on their own ABCI query connection.
    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Tally::default());
    let rest_path = format!(
        "/cosmwasm/wasm/v1/contract/{contract}/smart/{}",
        base64::engine::general_purpose::STANDARD.encode(LOOP_QUERY)
    );
    let abci_query = QuerySmartContractStateRequest {
        address: contract.clone(),
        query_data: LOOP_QUERY.to_vec(),
    }
    .encode_to_vec();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let (stop, tally) = (stop.clone(), tally.clone());
            let (rest, rest_path, abci, data) = (
                rest.clone(),
                rest_path.clone(),
                node.addr.clone(),
                abci_query.clone(),
            );
            std::thread::spawn(move || {
                let mut socket = (i % 2 == 1).then(|| SocketClient::connect_retry(&abci, 50));
                while !stop.load(Ordering::Relaxed) {
                    match socket.as_mut() {
                        None => match http_get(&rest, &rest_path) {
                            Ok(answer) => tally.count(&answer),
                            Err(e) => tally.count(&format!("REST: {e}")),
                        },
                        Some(socket) => {
                            let res = socket.call(pb::request::Value::Query(pb::RequestQuery {
                                data: data.clone().into(),
                                path: "/cosmwasm.wasm.v1.Query/SmartContractState".into(),
                                height: 0,
                                prove: false,
                            }));
                            match res {
                                Ok(pb::response::Value::Query(q)) => tally.count(&q.log),
                                other => tally.count(&format!("ABCI: {other:?}")),
                            }
                        }
                    }
                }
            })
        })
        .collect();
    // Let every client get its first query in, then make the same blocks.
    std::thread::sleep(Duration::from_secs(2));
    let loaded = median((0..3).map(|_| heavy_block(&mut comet)).collect());
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.join().expect("client thread");
    }

    let (ran, busy, other) = (
        tally.ran.load(Ordering::Relaxed),
        tally.busy.load(Ordering::Relaxed),
        tally.other.load(Ordering::Relaxed),
    );
    eprintln!(
        "block with a 3M-gas call: idle {idle:?}, under {CLIENTS} looping queries {loaded:?} \
         ({:.2}×); queries ran to their gas cap {ran}, answered busy {busy}, other {other}",
        loaded.as_secs_f64() / idle.as_secs_f64()
    );
    assert_eq!(
        other,
        0,
        "every answer is the query's own out-of-gas or a clear busy; first other: {:?}",
        tally.first_other.lock().expect("lock")
    );
    assert!(ran > 0, "the queries did run");
    assert!(
        loaded <= idle * 2,
        "a block took {loaded:?} under load against {idle:?} idle"
    );
    // The node still answers once the load is gone.
    assert!(comet.balance(&alice.address) > 0);
}
