//! Support for the REST and gRPC server tests: a committed chain built from the cosmjs
//! fixture, a CometBFT RPC stub that answers with real CometBFT 0.38 JSON shapes and records
//! what it was asked, and a small HTTP client.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use openledger_node::store::Storage;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::support::{Driver, Fixture, CHAIN_ID};

/// A chain at height 2: genesis (alice, bob, dave), an empty block 1, then block 2 with
/// `bob_send_seq0` (bob → alice 10uopen, fee 5000uopen). Alice stays at sequence 0 (so the
/// fixture's simulate tx applies) and carol does not exist.
pub fn committed_chain(fx: &Fixture) -> Storage {
    let storage = Storage::in_memory().expect("storage");
    let mut d = Driver::new(storage.clone());
    d.init_chain(&fx.app_state());
    d.block(&[]);
    let res = d.block(&[fx.tx(KNOWN_TX)]);
    assert_eq!(
        res.tx_results[0].code.value(),
        0,
        "{}",
        res.tx_results[0].log
    );
    storage
}

/// The tx committed at height 2, and the one the CometBFT stub knows.
pub const KNOWN_TX: &str = "bob_send_seq0";

pub fn hash_hex(tx: &[u8]) -> String {
    hex::encode_upper(Sha256::digest(tx))
}

/// The CometBFT RPC stub: answers `status`, `block`, `header`, `tx`, `tx_search` and
/// `broadcast_tx_*` for one known tx, and records every request.
#[derive(Clone)]
pub struct CometStub {
    pub url: String,
    pub calls: Arc<Mutex<Vec<Value>>>,
}

impl CometStub {
    pub fn calls(&self, method: &str) -> Vec<Value> {
        self.calls
            .lock()
            .expect("calls")
            .iter()
            .filter(|c| c["method"] == method)
            .map(|c| c["params"].clone())
            .collect()
    }
}

struct StubState {
    tx: Vec<u8>,
    calls: Arc<Mutex<Vec<Value>>>,
}

const BLOCK_TIME: &str = "2025-06-15T12:00:01.123456789Z";

fn tx_item(tx: &[u8]) -> Value {
    json!({
        "hash": hash_hex(tx),
        "height": "2",
        "index": 0,
        "tx_result": {
            "code": 0, "data": B64.encode([0x12, 0x02, 0x0a, 0x00]), "log": "", "info": "",
            "gas_wanted": "200000", "gas_used": "61234",
            "events": [{"type": "transfer", "attributes": [
                {"key": "recipient", "value": "open1recipient", "index": true},
                {"key": "amount", "value": "1000000uopen", "index": true}]}],
            "codespace": ""
        },
        "tx": B64.encode(tx),
    })
}

fn header() -> Value {
    let h = |b: u8| hex::encode_upper([b; 32]);
    json!({
        "version": {"block": "11", "app": "0"},
        "chain_id": CHAIN_ID,
        "height": "2",
        "time": BLOCK_TIME,
        "last_block_id": {"hash": h(0xAA), "parts": {"total": 1, "hash": h(0xAB)}},
        "last_commit_hash": h(1), "data_hash": h(2), "validators_hash": h(3),
        "next_validators_hash": h(3), "consensus_hash": h(4), "app_hash": h(5),
        "last_results_hash": h(6), "evidence_hash": h(7),
        "proposer_address": hex::encode_upper([9u8; 20]),
    })
}

async fn rpc(State(state): State<Arc<StubState>>, Json(req): Json<Value>) -> Json<Value> {
    state.calls.lock().expect("calls").push(req.clone());
    let id = req["id"].clone();
    let params = &req["params"];
    let result = match req["method"].as_str().unwrap_or_default() {
        "status" => json!({
            "node_info": {
                "protocol_version": {"p2p": "8", "block": "11", "app": "0"},
                "id": "cf4a66aa29e5123abfdfbdf485da6788bb8e46d1",
                "listen_addr": "tcp://0.0.0.0:26656",
                "network": CHAIN_ID,
                "version": "0.38.26",
                "channels": "40202122233038606100",
                "moniker": "stub",
                "other": {"tx_index": "on", "rpc_address": "tcp://0.0.0.0:26657"}
            },
            "sync_info": {"latest_block_height": "2", "catching_up": false},
        }),
        "header" => json!({"header": header()}),
        "block" => json!({
            "block_id": {"hash": hex::encode_upper([0xBB; 32]), "parts": {"total": 1, "hash": hex::encode_upper([0xBC; 32])}},
            "block": {
                "header": header(),
                "data": {"txs": [B64.encode(&state.tx)]},
                "evidence": {"evidence": []},
                "last_commit": {
                    "height": "1", "round": 0,
                    "block_id": {"hash": hex::encode_upper([0xAA; 32]), "parts": {"total": 1, "hash": hex::encode_upper([0xAB; 32])}},
                    "signatures": [{
                        "block_id_flag": 2,
                        "validator_address": hex::encode_upper([9u8; 20]),
                        "timestamp": "2025-06-15T12:00:00.5Z",
                        "signature": B64.encode([1u8; 64]),
                    }]
                }
            }
        }),
        "tx" => {
            if params["hash"] == B64.encode(Sha256::digest(&state.tx)) {
                tx_item(&state.tx)
            } else {
                let hash = B64
                    .decode(params["hash"].as_str().unwrap_or_default())
                    .unwrap_or_default();
                return Json(json!({"jsonrpc": "2.0", "id": id, "error": {
                    "code": -32603, "message": "Internal error",
                    "data": format!("tx ({}) not found", hex::encode_upper(hash))}}));
            }
        }
        "tx_search" => json!({"txs": [tx_item(&state.tx)], "total_count": "1"}),
        "broadcast_tx_sync" | "broadcast_tx_async" => {
            let tx = B64
                .decode(params["tx"].as_str().unwrap_or_default())
                .unwrap_or_default();
            json!({"code": 0, "data": "", "log": "", "codespace": "", "hash": hash_hex(&tx)})
        }
        other => {
            return Json(json!({"jsonrpc": "2.0", "id": id, "error": {
                "code": -32601, "message": "Method not found", "data": other}}))
        }
    };
    Json(json!({"jsonrpc": "2.0", "id": id, "result": result}))
}

/// Start the stub on a free loopback port; `tx` is the one transaction it knows.
pub async fn comet_stub(tx: Vec<u8>) -> CometStub {
    let calls = Arc::new(Mutex::new(Vec::new()));
    let state = Arc::new(StubState {
        tx,
        calls: calls.clone(),
    });
    let app = Router::new().route("/", post(rpc)).with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr: SocketAddr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    CometStub {
        url: format!("http://{addr}"),
        calls,
    }
}

pub struct HttpAnswer {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    pub body: Value,
}

/// One HTTP/1.1 request; the body must be JSON (or empty).
pub async fn http(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> HttpAnswer {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let mut req = hyper::Request::builder().method(method).uri(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let res = client
        .request(req.body(Full::new(Bytes::from(body))).expect("request"))
        .await
        .expect("HTTP request");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            panic!(
                "{method} {url}: non-JSON body ({e}): {}",
                String::from_utf8_lossy(&bytes)
            )
        })
    };
    HttpAnswer {
        status,
        headers,
        body,
    }
}
