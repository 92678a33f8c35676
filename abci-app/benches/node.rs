//! Bank-send throughput through FinalizeBlock + Commit (real redb on disk), next to the raw
//! secp256k1 verification rate measured in the same run, and their ratio.
//!
//! `cargo bench -p openledger-node --bench node` (or `scripts/bench-node.sh`).
//! `BENCH_TXS` (default 4000) and `BENCH_BLOCK` (default 500) size the run.

use std::time::Instant;

use bytes::Bytes;
use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin;
use cosmos_sdk_proto::Any;
use openledger_node::app::genesis::AppState;
use openledger_node::app::App;
use openledger_node::crypto;
use openledger_node::modules::auth::genesis::GenesisAccount;
use openledger_node::modules::bank::genesis::{Balance, GenesisCoin};
use openledger_node::server::abci::AbciService;
use openledger_node::signer::Signer;
use openledger_node::store::Storage;
use prost::{Message, Name};
use tendermint::v0_38::abci::{request, Request, Response};

const CHAIN_ID: &str = "openledger-bench-1";

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn coin(amount: u128) -> Vec<Coin> {
    vec![Coin {
        denom: "uopen".into(),
        amount: amount.to_string(),
    }]
}

fn main() {
    let n = env("BENCH_TXS", 4000);
    let per_block = env("BENCH_BLOCK", 500).max(1);
    eprintln!("preparing {n} signers and signed bank sends…");
    let signers: Vec<Signer> = (0..n)
        .map(|i| {
            let mut secret = [0u8; 32];
            secret[..8].copy_from_slice(&(i as u64 + 1).to_be_bytes());
            secret[31] = 1;
            Signer::from_secret(&secret).expect("valid secret")
        })
        .collect();
    let txs: Vec<Vec<u8>> = signers
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let msg = MsgSend {
                from_address: s.address.clone(),
                to_address: signers[(i + 1) % n].address.clone(),
                amount: coin(1),
            };
            let any = Any {
                type_url: MsgSend::type_url(),
                value: msg.encode_to_vec(),
            };
            s.sign_direct(CHAIN_ID, i as u64, 0, vec![any], coin(5000), 200_000, "")
        })
        .collect();

    // Baseline: the signature check alone, over the same sign bytes the ante verifies.
    let docs: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> = txs
        .iter()
        .zip(&signers)
        .enumerate()
        .map(|(i, (tx, s))| {
            let raw =
                cosmos_sdk_proto::cosmos::tx::v1beta1::TxRaw::decode(tx.as_slice()).expect("tx");
            let doc = Signer::sign_doc(&raw.body_bytes, &raw.auth_info_bytes, CHAIN_ID, i as u64);
            (s.pubkey.clone(), doc, raw.signatures[0].clone())
        })
        .collect();
    let start = Instant::now();
    for (pk, doc, sig) in &docs {
        crypto::verify_secp256k1(pk, doc, sig).expect("valid signature");
    }
    let verify_secs = start.elapsed().as_secs_f64();
    let verify_rate = n as f64 / verify_secs;

    // The node: genesis with every signer funded, then blocks of bank sends.
    let mut state = AppState::new_chain();
    for s in &signers {
        state.auth.accounts.push(GenesisAccount {
            address: s.address.clone(),
        });
        state.bank.balances.push(Balance {
            address: s.address.clone(),
            coins: vec![GenesisCoin {
                denom: "uopen".into(),
                amount: "1000000000".into(),
            }],
        });
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = Storage::open(dir.path().join("bench.redb")).expect("storage");
    let mut abci = AbciService::new(App::new(storage));
    let params: tendermint::consensus::Params = serde_json::from_value(serde_json::json!({
        "block": {"max_bytes": "22020096", "max_gas": "-1"},
        "evidence": {"max_age_num_blocks": "100000", "max_age_duration": "172800000000000", "max_bytes": "1048576"},
        "validator": {"pub_key_types": ["ed25519"]},
        "version": {"app": "0"},
        "abci": {"vote_extensions_enable_height": "0"}
    }))
    .expect("params");
    let time =
        |h: u64| tendermint::Time::from_unix_timestamp(1_750_000_000 + h as i64, 0).expect("time");
    abci.handle(Request::InitChain(request::InitChain {
        time: time(0),
        chain_id: CHAIN_ID.into(),
        consensus_params: params,
        validators: vec![],
        app_state_bytes: serde_json::to_vec(&state).expect("json").into(),
        initial_height: 1u32.into(),
    }));
    let mut height = 0u64;
    let mut block = |abci: &mut AbciService, txs: &[Vec<u8>]| {
        height += 1;
        let res = abci.handle(Request::FinalizeBlock(request::FinalizeBlock {
            txs: txs.iter().map(|t| Bytes::copy_from_slice(t)).collect(),
            decided_last_commit: tendermint::abci::types::CommitInfo {
                round: 0u8.into(),
                votes: vec![],
            },
            misbehavior: vec![],
            hash: tendermint::Hash::Sha256([height as u8; 32]),
            height: height.try_into().expect("height"),
            time: time(height),
            next_validators_hash: tendermint::Hash::Sha256([0; 32]),
            proposer_address: tendermint::account::Id::new([1; 20]),
        }));
        let Response::FinalizeBlock(res) = res else {
            panic!("finalize")
        };
        assert!(
            res.tx_results.iter().all(|r| r.code.value() == 0),
            "bench txs must succeed"
        );
        abci.handle(Request::Commit);
    };
    block(&mut abci, &[]); // genesis commit, outside the timing
    let start = Instant::now();
    for chunk in txs.chunks(per_block) {
        block(&mut abci, chunk);
    }
    let node_secs = start.elapsed().as_secs_f64();
    let node_rate = n as f64 / node_secs;

    println!("openledgerd node benchmark ({n} bank sends, {per_block} per block, redb on disk)");
    println!("  secp256k1 verify (baseline): {verify_rate:>10.0} sigs/s");
    println!("  bank send via FinalizeBlock+Commit: {node_rate:>10.0} txs/s");
    println!("  ratio node/verify: {:.3}", node_rate / verify_rate);
}
