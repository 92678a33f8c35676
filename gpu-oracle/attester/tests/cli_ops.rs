//! The operator commands (`unbond`, `claim-unbonded`, `unjail`, `update-capabilities`) as an
//! operator meets them: their help, their argument errors (no chain needed), what they say
//! before sending anything, and the registry message each one signs, against a stand-in
//! CometBFT RPC served over https:// (a TLS server here, its certificate issued by the test CA
//! in tests/tls/, trusted through SSL_CERT_FILE). The stand-in answers `status`, the registry's
//! smart queries with a fixed record, and the account / simulate / broadcast / tx calls of a
//! send, recording every method and every broadcast tx. It keeps no state: the record a command
//! reads after its tx is the one it read before.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use cosmos_sdk_proto::cosmos::auth::v1beta1::{BaseAccount, QueryAccountResponse};
use cosmos_sdk_proto::cosmos::base::abci::v1beta1::GasInfo;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{SimulateResponse, TxBody, TxRaw};
use cosmos_sdk_proto::cosmwasm::wasm::v1::{MsgExecuteContract, QuerySmartContractStateResponse};
use cosmos_sdk_proto::Any;
use cosmwasm_std::{Addr, Binary, HexBinary, Timestamp, Uint128};
use openledger_types::attester::{AttesterInfo, AttesterStatus, Capabilities};
use openledger_types::common::Method;
use prost::Message as _;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::{json, Value};

const CHAIN_ID: &str = "openledger-dev-1";
/// The stand-in's latest block time: 2026-01-02T03:04:05Z.
const BLOCK_TIME: u64 = 1_767_323_045;
const MODEL: &str = "aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11";
/// The registry's address in the test addresses file (a valid bech32 account: txs name it).
const REGISTRY: &str = "open1jrkmdcwgq94uaamx6zax2luewlhf7u4ktn5f24";

fn attester(args: &[&str], env: &[(&str, &Path)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_openledger-attester"));
    c.args(args)
        .env("RUST_LOG", "warn")
        .env_remove("SSL_CERT_FILE")
        .env_remove("SSL_CERT_DIR");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run openledger-attester")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn fails_with(o: &Output, needles: &[&str]) {
    let t = text(o);
    assert!(!o.status.success(), "expected a failure: {t}");
    for n in needles {
        assert!(t.contains(n), "lacks {n:?}: {t}");
    }
}

fn succeeds_with(o: &Output, needles: &[&str]) {
    let t = text(o);
    assert!(o.status.success(), "expected success: {t}");
    for n in needles {
        assert!(t.contains(n), "lacks {n:?}: {t}");
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "openledger-attester-cli-ops-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn tls_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tls")
}

/// A stand-in CometBFT JSON-RPC over TLS: `status` (chain id and block time), the registry's
/// smart queries (answered with `info`, or "not found" without one), and a send: the account,
/// a simulation (refused with `refusal` as its log when given), the broadcast and its inclusion
/// at height 43. Every request's method and every broadcast tx is recorded.
struct StandIn {
    port: u16,
    methods: Arc<Mutex<Vec<String>>>,
    txs: Arc<Mutex<Vec<Vec<u8>>>>,
}

#[derive(Clone)]
struct Answers {
    info: Option<Vec<u8>>,
    refusal: Option<String>,
}

impl StandIn {
    fn start(info: Option<AttesterInfo>) -> StandIn {
        Self::refusing(info, None)
    }

    fn refusing(info: Option<AttesterInfo>, refusal: Option<&str>) -> StandIn {
        let dir = tls_dir();
        let certs: Vec<CertificateDer<'static>> =
            CertificateDer::pem_file_iter(dir.join("server.pem"))
                .expect("server.pem")
                .collect::<Result<_, _>>()
                .expect("server.pem");
        let key = PrivateKeyDer::from_pem_file(dir.join("server.key")).expect("server.key");
        let tls = Arc::new(
            rustls::ServerConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .expect("server certificate"),
        );
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let methods = Arc::new(Mutex::new(vec![]));
        let txs = Arc::new(Mutex::new(vec![]));
        let (seen, sent) = (methods.clone(), txs.clone());
        let answers = Answers {
            info: info.map(|i| serde_json::to_vec(&i).expect("info JSON")),
            refusal: refusal.map(String::from),
        };
        std::thread::spawn(move || {
            for tcp in listener.incoming() {
                let Ok(tcp) = tcp else { continue };
                let (tls, seen, sent, answers) =
                    (tls.clone(), seen.clone(), sent.clone(), answers.clone());
                std::thread::spawn(move || {
                    let Ok(conn) = rustls::ServerConnection::new(tls) else {
                        return;
                    };
                    let mut s = rustls::StreamOwned::new(conn, tcp);
                    // A client that rejects the certificate ends here, in the handshake.
                    let Some(request) = read_request(&mut s) else {
                        return;
                    };
                    let method = request["method"].as_str().unwrap_or_default().to_string();
                    seen.lock().expect("lock").push(method.clone());
                    let params = &request["params"];
                    if method == "broadcast_tx_sync" {
                        let tx = params["tx"].as_str().unwrap_or_default();
                        let tx = base64::engine::general_purpose::STANDARD
                            .decode(tx)
                            .expect("base64 tx");
                        sent.lock().expect("lock").push(tx);
                    }
                    let reply = answer(&method, params, &answers);
                    let body =
                        json!({"jsonrpc": "2.0", "id": request["id"], "result": reply}).to_string();
                    let _ = write!(
                        s,
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                         content-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    s.conn.send_close_notify();
                    let _ = s.flush();
                });
            }
        });
        StandIn { port, methods, txs }
    }

    fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    fn methods(&self) -> Vec<String> {
        self.methods.lock().expect("lock").clone()
    }

    /// The registry messages of every broadcast tx, as JSON.
    fn sent(&self) -> Vec<Value> {
        let mut out = vec![];
        for tx in self.txs.lock().expect("lock").iter() {
            let raw = TxRaw::decode(tx.as_slice()).expect("TxRaw");
            let body = TxBody::decode(raw.body_bytes.as_slice()).expect("TxBody");
            for any in body.messages {
                assert_eq!(any.type_url, "/cosmwasm.wasm.v1.MsgExecuteContract");
                let m = MsgExecuteContract::decode(any.value.as_slice()).expect("message");
                assert_eq!(m.contract, REGISTRY, "sent to the registry");
                assert!(m.funds.is_empty(), "no funds");
                out.push(serde_json::from_slice(&m.msg).expect("JSON message"));
            }
        }
        out
    }
}

/// One HTTP/1.1 request's JSON body.
fn read_request(s: &mut impl Read) -> Option<Value> {
    let mut buf = vec![];
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = s.read(&mut chunk).ok().filter(|n| *n > 0)?;
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())?;
    while buf.len() < header_end + length {
        let n = s.read(&mut chunk).ok().filter(|n| *n > 0)?;
        buf.extend_from_slice(&chunk[..n]);
    }
    serde_json::from_slice(&buf[header_end..header_end + length]).ok()
}

fn abci_value(message: impl prost::Message) -> Value {
    json!({"response": {"code": 0,
        "value": base64::engine::general_purpose::STANDARD.encode(message.encode_to_vec())}})
}

fn answer(method: &str, params: &Value, answers: &Answers) -> Value {
    let path = params["path"].as_str().unwrap_or_default();
    match (method, path) {
        ("status", _) => json!({
            "node_info": {"network": CHAIN_ID},
            "sync_info": {"latest_block_height": "42",
                          "latest_block_time": "2026-01-02T03:04:05.25Z"},
        }),
        ("abci_query", "/cosmwasm.wasm.v1.Query/SmartContractState") => match &answers.info {
            Some(info) => abci_value(QuerySmartContractStateResponse { data: info.clone() }),
            None => json!({"response": {"code": 9, "log":
                "query wasm contract failed: openledger_types::attester::AttesterInfo not found"}}),
        },
        ("abci_query", "/cosmos.auth.v1beta1.Query/Account") => abci_value(QueryAccountResponse {
            account: Some(Any {
                type_url: "/cosmos.auth.v1beta1.BaseAccount".into(),
                value: BaseAccount {
                    account_number: 9,
                    sequence: 3,
                    ..Default::default()
                }
                .encode_to_vec(),
            }),
        }),
        ("abci_query", "/cosmos.tx.v1beta1.Service/Simulate") => match &answers.refusal {
            Some(log) => json!({"response": {"code": 5, "log": log}}),
            None => abci_value(SimulateResponse {
                gas_info: Some(GasInfo {
                    gas_wanted: 0,
                    gas_used: 100_000,
                }),
                ..Default::default()
            }),
        },
        ("broadcast_tx_sync", _) => json!({"code": 0, "log": "", "hash": ""}),
        ("tx", _) => json!({"height": "43", "tx_result": {"code": 0, "gas_used": "90000",
                                                          "events": []}}),
        _ => json!({"response": {"code": 1, "log": format!("stand-in does not serve {method}")}}),
    }
}

fn info(f: impl FnOnce(&mut AttesterInfo)) -> AttesterInfo {
    let mut i = AttesterInfo {
        operator: Addr::unchecked("open1operator"),
        pubkey: Binary::from(vec![7u8; 32]),
        capabilities: Capabilities {
            methods: vec![Method::SuffixSpan],
            model_hashes: vec![HexBinary::from_hex(MODEL).expect("hex")],
            backend: "wgpu".into(),
            max_job_bytes: 5 << 20,
        },
        bonded: Uint128::new(1_000),
        unbonding: Uint128::zero(),
        release_at: None,
        status: AttesterStatus::Active,
        slashed_total: Uint128::zero(),
        registered_at: Timestamp::from_seconds(BLOCK_TIME - 86_400),
    };
    f(&mut i);
    i
}

/// An attester home (keys, config, addresses file) whose config points at `rpc`.
fn home(name: &str, rpc: &str) -> (PathBuf, String) {
    let home = scratch(name);
    let h = home.to_str().expect("utf-8 path");
    let contracts = home.join("contracts.json");
    let o = attester(
        &[
            "init",
            "--home",
            h,
            "--contracts",
            contracts.to_str().expect("utf-8 path"),
            "--content-dir",
            h,
            "--model",
            "/nonexistent/model.gguf",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", text(&o));
    let addr = |n: &str| json!({"address": format!("open1{n}")});
    std::fs::write(
        &contracts,
        json!({"chain_id": CHAIN_ID, "contracts": {
            "open_token": addr("token"), "datanet_registry": addr("datanets"),
            "attester_registry": {"address": REGISTRY}, "attribution_escrow": addr("escrow")}})
        .to_string(),
    )
    .expect("write contracts.json");
    let config = home.join("config.toml");
    let toml = std::fs::read_to_string(&config).expect("config.toml");
    let toml = toml.replace("\"http://127.0.0.1:26657\"", &format!("{rpc:?}"));
    assert!(toml.contains(rpc), "{toml}");
    std::fs::write(&config, toml).expect("write config.toml");
    (home, config.to_str().expect("utf-8 path").to_string())
}

#[test]
fn help_describes_the_operator_commands() {
    let o = attester(&["--help"], &[]);
    succeeds_with(
        &o,
        &["unbond", "claim-unbonded", "unjail", "update-capabilities"],
    );
    for (cmd, needles) in [
        (
            "unbond",
            &["--config", "--amount <UOPEN>", "claim-unbonded"][..],
        ),
        (
            "claim-unbonded",
            &["--config", "unbonding period", "obligations"],
        ),
        ("unjail", &["--config", "time left", "min_bond"]),
        (
            "update-capabilities",
            &[
                "--config",
                "--backend",
                "--max-job-bytes <BYTES>",
                "--method <METHOD>",
                "suffix_span",
                "rag_retrieval",
                "--model-hash <HEX>",
                "--any-model",
                "old and the new",
            ],
        ),
    ] {
        succeeds_with(&attester(&[cmd, "--help"], &[]), needles);
    }
}

#[test]
fn argument_errors_need_no_chain() {
    let nope = "/nonexistent/config.toml";
    fails_with(&attester(&["unbond", "-c", nope], &[]), &["--amount"]);
    fails_with(&attester(&["unbond", "--amount", "5"], &[]), &["--config"]);
    fails_with(
        &attester(&["unbond", "-c", nope, "--amount", "0"], &[]),
        &["at least 1"],
    );
    fails_with(
        &attester(&["unbond", "-c", nope, "--amount", "-5"], &[]),
        &["--amount"],
    );
    fails_with(
        &attester(&["unbond", "-c", nope, "--amount", "ten"], &[]),
        &["invalid value 'ten'"],
    );
    // A real amount gets as far as the config, which is named.
    fails_with(
        &attester(&["unbond", "-c", nope, "--amount", "5"], &[]),
        &[nope],
    );
    fails_with(&attester(&["claim-unbonded"], &[]), &["--config"]);
    fails_with(&attester(&["claim-unbonded", "-c", nope], &[]), &[nope]);
    fails_with(&attester(&["unjail", "-c", nope], &[]), &[nope]);

    let caps = |extra: &[&str]| {
        let mut args = vec!["update-capabilities", "-c", nope];
        args.extend_from_slice(extra);
        attester(&args, &[])
    };
    // Nothing to change is an error, not a tx.
    fails_with(&caps(&[]), &["required", "--backend"]);
    fails_with(
        &caps(&["--method", "bogus"]),
        &["invalid value 'bogus'", "suffix_span"],
    );
    fails_with(&caps(&["--model-hash", "zz"]), &["not hex"]);
    fails_with(
        &caps(&["--model-hash", "00ff"]),
        &["2 bytes", "64 hex digits"],
    );
    fails_with(
        &caps(&["--any-model", "--model-hash", MODEL]),
        &["cannot be used with"],
    );
    fails_with(&caps(&["--max-job-bytes", "-1"]), &["--max-job-bytes"]);
    fails_with(
        &caps(&["--backend", &"x".repeat(65)]),
        &["at most 64 bytes"],
    );
    // Valid flags get as far as the config.
    fails_with(&caps(&["--method", "suffix_span", "--any-model"]), &[nope]);
}

#[test]
fn over_https_each_command_checks_the_registry_before_sending() {
    let ca: &[(&str, &Path)] = &[("SSL_CERT_FILE", &tls_dir().join("ca.pem"))];
    let rpc = StandIn::start(Some(info(|_| {})));
    let (dir, cfg) = home("checks", &rpc.url());
    let c = cfg.as_str();

    fails_with(
        &attester(&["unbond", "-c", c, "--amount", "1001"], ca),
        &["cannot unbond 1001", "1000 OPEN base units bonded"],
    );
    succeeds_with(
        &attester(&["claim-unbonded", "-c", c], ca),
        &["nothing is unbonding", "nothing sent"],
    );
    succeeds_with(
        &attester(&["unjail", "-c", c], ca),
        &["not jailed (status active)", "nothing sent"],
    );
    succeeds_with(
        &attester(
            &[
                "update-capabilities",
                "-c",
                c,
                "--backend",
                "wgpu",
                "--method",
                "suffix_span",
            ],
            ca,
        ),
        &[
            &format!(
                "old capabilities: methods [suffix_span], models [{MODEL}], backend \"wgpu\", \
                 max_job_bytes 5242880"
            ),
            "the same; nothing sent",
        ],
    );
    let methods = rpc.methods();
    assert!(!methods.is_empty());
    assert!(
        methods.iter().all(|m| m == "abci_query" || m == "status"),
        "only queries: {methods:?}"
    );

    let rpc = StandIn::start(Some(info(|i| {
        i.unbonding = Uint128::new(500);
        i.release_at = Some(Timestamp::from_seconds(BLOCK_TIME + 3_600));
    })));
    let (dir2, cfg) = home("unbonding", &rpc.url());
    fails_with(
        &attester(&["claim-unbonded", "-c", &cfg], ca),
        &[
            "500 OPEN base units are unbonding until 2026-01-02T04:04:05Z",
            "1h 0m from now",
            "block 42",
        ],
    );

    let rpc = StandIn::start(Some(info(|i| {
        i.status = AttesterStatus::Jailed {
            until: BLOCK_TIME + 90,
        }
    })));
    let (dir3, cfg) = home("jailed", &rpc.url());
    fails_with(
        &attester(&["unjail", "-c", &cfg], ca),
        &["jailed until 2026-01-02T03:05:35Z", "1m 30s left"],
    );

    let rpc = StandIn::start(Some(info(|i| i.status = AttesterStatus::Tombstoned)));
    let (dir4, cfg) = home("tombstoned", &rpc.url());
    fails_with(&attester(&["unjail", "-c", &cfg], ca), &["tombstoned"]);

    let rpc = StandIn::start(None);
    let (dir5, cfg) = home("unregistered", &rpc.url());
    fails_with(
        &attester(&["unbond", "-c", &cfg, "--amount", "1"], ca),
        &["is not registered", "openledger-attester register"],
    );
    for d in [dir, dir2, dir3, dir4, dir5] {
        let _ = std::fs::remove_dir_all(d);
    }
}

#[test]
fn https_refuses_a_certificate_from_an_unknown_issuer() {
    let rpc = StandIn::start(Some(info(|_| {})));
    let (dir, cfg) = home("untrusted", &rpc.url());
    // Without SSL_CERT_FILE the test CA is in neither the Mozilla nor the system roots.
    fails_with(
        &attester(&["unjail", "-c", &cfg], &[]),
        &["invalid peer certificate", "UnknownIssuer", "SSL_CERT_FILE"],
    );
    assert!(rpc.methods().is_empty(), "nothing got past the handshake");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn each_command_sends_its_registry_message_and_prints_the_tx() {
    let ca: &[(&str, &Path)] = &[("SSL_CERT_FILE", &tls_dir().join("ca.pem"))];
    let rpc = StandIn::start(Some(info(|i| {
        i.unbonding = Uint128::new(500);
        i.release_at = Some(Timestamp::from_seconds(BLOCK_TIME - 1));
        i.status = AttesterStatus::Jailed {
            until: BLOCK_TIME - 60,
        };
    })));
    let (dir, cfg) = home("sends", &rpc.url());
    let c = cfg.as_str();
    let tx = |o: &Output| {
        let t = text(o);
        assert!(o.status.success(), "{t}");
        assert!(t.contains("height 43"), "{t}");
        // The tx hash: 64 uppercase hex digits after "tx ".
        let hash = t.split("tx ").nth(1).map(|r| &r[..64.min(r.len())]);
        assert!(
            hash.is_some_and(|h| h.len() == 64
                && h.chars()
                    .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase())),
            "{t}"
        );
        t
    };

    let t = tx(&attester(&["unbond", "-c", c, "--amount", "400"], ca));
    assert!(t.contains("unbonding 400 OPEN base units"), "{t}");
    assert!(t.contains("already unbonding now wait"), "{t}");
    tx(&attester(&["claim-unbonded", "-c", c], ca));
    let t = tx(&attester(&["unjail", "-c", c], ca));
    assert!(t.contains("unjailed"), "{t}");
    let new_model = "bb".repeat(32);
    let t = tx(&attester(
        &[
            "update-capabilities",
            "-c",
            c,
            "--max-job-bytes",
            "1024",
            "--method",
            "rag_retrieval",
            "--method",
            "suffix_span",
            "--method",
            "rag_retrieval",
            "--model-hash",
            &new_model,
        ],
        ca,
    ));
    assert!(
        t.contains(&format!(
            "new capabilities: methods [rag_retrieval, suffix_span], models [{new_model}], \
             backend \"wgpu\", max_job_bytes 1024"
        )),
        "{t}"
    );
    assert!(
        t.contains("config.toml says max_job_bytes = 5242880"),
        "{t}"
    );
    tx(&attester(
        &["update-capabilities", "-c", c, "--any-model"],
        ca,
    ));

    let caps = |models: Value, max: u64, methods: Value| {
        json!({"update_capabilities": {"capabilities": {
            "methods": methods, "model_hashes": models, "backend": "wgpu", "max_job_bytes": max}}})
    };
    assert_eq!(
        rpc.sent(),
        vec![
            json!({"unbond": {"amount": "400"}}),
            json!({"claim_unbonded": {}}),
            json!({"unjail": {}}),
            caps(
                json!([new_model]),
                1024,
                json!(["rag_retrieval", "suffix_span"])
            ),
            caps(json!([]), 5 << 20, json!(["suffix_span"])),
        ]
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_refusal_is_reported_in_the_registrys_words() {
    let ca: &[(&str, &Path)] = &[("SSL_CERT_FILE", &tls_dir().join("ca.pem"))];
    let rpc = StandIn::refusing(
        Some(info(|i| {
            i.unbonding = Uint128::new(500);
            i.release_at = Some(Timestamp::from_seconds(BLOCK_TIME - 1));
        })),
        Some(
            "failed to execute message; message index: 0: Stake still answers for open jobs \
             [3, 4] of the verifier: execute wasm contract failed",
        ),
    );
    let (dir, cfg) = home("refused", &rpc.url());
    fails_with(
        &attester(&["claim-unbonded", "-c", &cfg], ca),
        &[
            "claim unbonded: the attester registry refused it (refused in simulation, code 5; \
             nothing was sent)",
            "open obligations of this attester: jobs [3, 4]",
            "try again later",
        ],
    );
    let t = text(&attester(&["unbond", "-c", &cfg, "--amount", "1"], ca));
    assert!(t.contains("jobs [3, 4]"), "{t}");
    assert!(!t.contains("execute wasm contract failed"), "{t}");
    assert!(
        rpc.txs.lock().expect("lock").is_empty(),
        "nothing broadcast"
    );
    let _ = std::fs::remove_dir_all(dir);
}
