//! A 4-validator localnet on real CometBFT: blocks are made; with one validator killed the
//! chain keeps committing (3/4 > 2/3 of the power); the restarted validator catches up, its
//! app replaying the blocks it missed (txs included) to the same app hash.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cosmos_sdk_proto::cosmos::bank::v1beta1::{QueryBalanceRequest, QueryBalanceResponse};
use openledger_node::localnet::{node_home, ports};
use prost::Message;
use serde_json::Value;
use support::{b64, Fixture};

const BASE: u16 = 47650;

fn rpc(port: u16, path_and_query: &str) -> Option<Value> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path_and_query} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let body = response.split_once("\r\n\r\n")?.1;
    serde_json::from_str::<Value>(body)
        .ok()?
        .get("result")
        .cloned()
}

fn height(port: u16) -> Option<u64> {
    rpc(port, "/status")?["sync_info"]["latest_block_height"]
        .as_str()?
        .parse()
        .ok()
}

fn wait_until(what: &str, timeout: Duration, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

struct Node {
    app: Child,
    comet: Child,
}

fn start_node(dir: &Path, i: usize, cometbft: &Path) -> Node {
    let home = node_home(dir, i);
    let log = |name: &str| std::fs::File::create(home.root.join(name)).unwrap();
    let app = Command::new(env!("CARGO_BIN_EXE_openledgerd"))
        .args(["start", "--home"])
        .arg(&home.root)
        .args(["--abci-addr", &ports(BASE, i).abci.to_string()])
        .stdout(Stdio::from(log("app.log")))
        .stderr(Stdio::from(log("app.err")))
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let comet = Command::new(cometbft)
        .args(["start", "--home"])
        .arg(&home.root)
        .stdout(Stdio::from(log("cometbft.log")))
        .stderr(Stdio::from(log("cometbft.err")))
        .spawn()
        .unwrap();
    Node { app, comet }
}

impl Node {
    fn kill9(&mut self) {
        let _ = self.comet.kill();
        let _ = self.app.kill();
        let _ = self.comet.wait();
        let _ = self.app.wait();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill9();
    }
}

fn balance(port: u16, address: &str) -> Option<u128> {
    let data = QueryBalanceRequest {
        address: address.into(),
        denom: "uopen".into(),
    }
    .encode_to_vec();
    let result = rpc(
        port,
        &format!(
            "/abci_query?path=%22/cosmos.bank.v1beta1.Query/Balance%22&data=0x{}",
            hex::encode(data)
        ),
    )?;
    let value = b64(result["response"]["value"].as_str()?);
    QueryBalanceResponse::decode(value.as_slice())
        .ok()?
        .balance?
        .amount
        .parse()
        .ok()
}

#[test]
fn four_validators_tolerate_one_down_and_it_catches_up() {
    let cometbft = openledger_node::dev::find_cometbft(None)
        .expect("CometBFT v0.38 must be installed (scripts/setup.sh)");
    let fx = Fixture::load();
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_openledgerd"))
        .args([
            "localnet",
            "init",
            "--validators",
            "4",
            "--block-time",
            "300ms",
            "--chain-id",
            support::CHAIN_ID,
        ])
        .args(["--base-port", &BASE.to_string(), "--dir"])
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    let rpc_port = |i: usize| ports(BASE, i).rpc.port();

    let mut nodes: Vec<Node> = (0..4)
        .map(|i| start_node(dir.path(), i, &cometbft))
        .collect();
    wait_until(
        "4 validators to make 3 blocks",
        Duration::from_secs(90),
        || (0..4).all(|i| height(rpc_port(i)).is_some_and(|h| h >= 3)),
    );

    // One validator down: the other three still have > 2/3 of the power.
    nodes[3].kill9();
    let down_at = height(rpc_port(0)).unwrap();
    // A tx while it is down (the dev accounts of the fixture mnemonic are funded at genesis).
    let tx = hex::encode(fx.tx("alice_send_seq0"));
    let sent = rpc(rpc_port(0), &format!("/broadcast_tx_sync?tx=0x{tx}")).expect("broadcast");
    assert_eq!(sent["code"], 0, "{sent}");
    wait_until(
        "the chain to keep committing without node3",
        Duration::from_secs(90),
        || height(rpc_port(0)).is_some_and(|h| h >= down_at + 4),
    );
    let carol = fx.address("carol");
    wait_until("the tx to be committed", Duration::from_secs(30), || {
        balance(rpc_port(1), &carol) == Some(1_000_000)
    });

    // Back up: it replays what it missed and follows the chain again.
    nodes[3] = start_node(dir.path(), 3, &cometbft);
    let target = height(rpc_port(0)).unwrap() + 2;
    wait_until("node3 to catch up", Duration::from_secs(120), || {
        height(rpc_port(3)).is_some_and(|h| h >= target)
    });
    assert_eq!(
        balance(rpc_port(3), &carol),
        Some(1_000_000),
        "node3 replayed the tx"
    );

    // Every app reports the same app hash at the same height.
    let mut agreed = false;
    for _ in 0..40 {
        let infos: Vec<(String, String)> = (0..4)
            .filter_map(|i| {
                let r = rpc(rpc_port(i), "/abci_info")?;
                Some((
                    r["response"]["last_block_height"].as_str()?.to_string(),
                    r["response"]["last_block_app_hash"].as_str()?.to_string(),
                ))
            })
            .collect();
        if infos.len() == 4 && infos.iter().all(|x| x.0 == infos[0].0) {
            assert!(
                infos.iter().all(|x| x.1 == infos[0].1),
                "app hashes differ: {infos:?}"
            );
            agreed = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(agreed, "never saw all four nodes at one height");
    drop(nodes);
}
