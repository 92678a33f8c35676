//! Load run through real consensus: bank sends broadcast to CometBFT's RPC
//! (`broadcast_tx_sync`) on an `openledgerd dev` chain; reports committed txs/s and p50/p95
//! inclusion latency, next to the in-process FinalizeBlock+Commit rate of the same txs
//! measured in the same run.
//!
//! `scripts/bench-rpc.sh` (or `cargo bench -p openledger-node --bench rpc_load`);
//! `BENCH_TXS` (default 2000) sizes the run.

mod common;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use common::{bank_sends, env_usize, genesis, signers, InProcessChain};
use openledger_node::config::Home;
use serde_json::Value;
use sha2::{Digest, Sha256};

const CHAIN_ID: &str = "openledger-load-1";
const RPC_PORT: u16 = 37657;

fn http(method: &str, path: &str, body: &str) -> Option<Value> {
    let mut stream = TcpStream::connect(("127.0.0.1", RPC_PORT)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    serde_json::from_str::<Value>(response.split_once("\r\n\r\n")?.1).ok()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn main() {
    let n = env_usize("BENCH_TXS", 2000);
    let signers = signers(n, 7);
    let txs = bank_sends(&signers, CHAIN_ID);
    let state = genesis(&signers);
    // Baseline, same run: the same txs through FinalizeBlock+Commit in-process.
    let in_process = InProcessChain::new(CHAIN_ID, &state).throughput(&txs, 500);

    // The real chain.
    let dir = tempfile::tempdir().expect("tempdir");
    let home = Home::new(dir.path().join("node"));
    home.init(CHAIN_ID, "load", false).expect("init");
    let (mut genesis, _) = home.load_genesis().expect("genesis");
    genesis["app_state"] = serde_json::to_value(&state).expect("state");
    home.write_genesis(&genesis).expect("write genesis");
    let mut node = Command::new(env!("CARGO_BIN_EXE_openledgerd"))
        .args(["dev", "--no-contracts", "--home"])
        .arg(&home.root)
        .args([
            "--rpc-port",
            &RPC_PORT.to_string(),
            "--p2p-port",
            "37656",
            "--abci-port",
            "37658",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start openledgerd dev");
    let ready = Instant::now();
    while http("GET", "/status", "")
        .and_then(|s| {
            s["result"]["sync_info"]["latest_block_height"]
                .as_str()
                .map(str::to_string)
        })
        .is_none_or(|h| h == "0")
    {
        assert!(
            ready.elapsed() < Duration::from_secs(60),
            "dev chain did not start"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let start_height: u64 = http("GET", "/status", "").expect("status")["result"]["sync_info"]
        ["latest_block_height"]
        .as_str()
        .and_then(|h| h.parse().ok())
        .expect("height");

    let senders: usize = std::env::var("BENCH_SENDERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(16);
    eprintln!("broadcasting {n} txs through CometBFT RPC from {senders} concurrent clients…");
    let hashes: Vec<String> = txs
        .iter()
        .map(|tx| hex::encode_upper(Sha256::digest(tx)))
        .collect();
    let sent_at: Mutex<HashMap<String, Instant>> = Mutex::new(HashMap::new());
    let included: Mutex<Vec<(String, Instant)>> = Mutex::new(Vec::new());
    let next_tx = AtomicUsize::new(0);
    let done = AtomicBool::new(false);
    let started = Instant::now();
    std::thread::scope(|scope| {
        // Watcher: sees each block as soon as it is committed.
        scope.spawn(|| {
            let mut next = start_height + 1;
            while !done.load(Ordering::Relaxed) {
                assert!(
                    started.elapsed() < Duration::from_secs(300),
                    "txs not committed within 300s"
                );
                let block_txs = http("GET", &format!("/block?height={next}"), "")
                    .and_then(|b| b["result"]["block"]["data"]["txs"].as_array().cloned());
                let Some(block_txs) = block_txs else {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                };
                let seen = Instant::now();
                if std::env::var_os("BENCH_VERBOSE").is_some() {
                    eprintln!(
                        "block {next}: {} txs at {:.2}s",
                        block_txs.len(),
                        started.elapsed().as_secs_f64()
                    );
                }
                let mut inc = included.lock().expect("lock");
                for tx in block_txs {
                    let bytes = base64::engine::general_purpose::STANDARD
                        .decode(tx.as_str().unwrap_or_default())
                        .unwrap_or_default();
                    inc.push((hex::encode_upper(Sha256::digest(&bytes)), seen));
                }
                if inc.len() >= n {
                    done.store(true, Ordering::Relaxed);
                }
                next += 1;
            }
        });
        for _ in 0..senders {
            scope.spawn(|| loop {
                let i = next_tx.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let body =
                    serde_json::json!({"jsonrpc": "2.0", "id": i, "method": "broadcast_tx_sync",
                    "params": {"tx": base64::engine::general_purpose::STANDARD.encode(&txs[i])}})
                    .to_string();
                sent_at
                    .lock()
                    .expect("lock")
                    .insert(hashes[i].clone(), Instant::now());
                let res = http("POST", "/", &body).expect("broadcast");
                assert_eq!(res["result"]["code"], 0, "{res}");
            });
        }
    });
    let sent_at = sent_at.into_inner().expect("lock");
    let included = included.into_inner().expect("lock");
    let mut latencies: Vec<f64> = included
        .iter()
        .filter_map(|(hash, seen)| {
            sent_at
                .get(hash)
                .map(|sent| seen.duration_since(*sent).as_secs_f64() * 1000.0)
        })
        .collect();
    assert_eq!(latencies.len(), n, "every tx committed exactly once");
    let last_commit = included.iter().map(|(_, t)| *t).max().unwrap_or(started);
    let committed_rate = n as f64 / last_commit.duration_since(started).as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(node.id().to_string())
        .status();
    let _ = node.wait();

    println!("load run through CometBFT RPC ({n} bank sends from {senders} clients, 500ms blocks, one validator)");
    println!("  committed via RPC: {committed_rate:>10.0} txs/s   inclusion latency p50 {:.0} ms, p95 {:.0} ms", percentile(&latencies, 0.5), percentile(&latencies, 0.95));
    println!("  in-process FinalizeBlock+Commit (same txs): {in_process:>10.0} txs/s");
    println!("  ratio RPC/in-process: {:.3}", committed_rate / in_process);
}
