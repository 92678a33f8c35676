//! Bank-send throughput through FinalizeBlock + Commit (real redb on disk), next to the raw
//! secp256k1 verification rate measured in the same run, and their ratio; then CW20 transfers
//! (cw20-base on the real VM) through the same path, as a ratio to the bank sends.
//!
//! `cargo bench -p openledger-node --bench node` (or `scripts/bench-node.sh`).
//! `BENCH_TXS` (default 4000) and `BENCH_BLOCK` (default 500) size the run.

mod common;

use std::time::Instant;

use common::{bank_sends, env_usize, genesis, signers, uopen, InProcessChain};
use cosmos_sdk_proto::cosmos::tx::v1beta1::TxRaw;
use cosmos_sdk_proto::cosmwasm::wasm::v1::{
    MsgExecuteContract, MsgInstantiateContract, MsgStoreCode,
};
use cosmos_sdk_proto::Any;
use openledger_node::crypto;
use openledger_node::signer::Signer;
use prost::{Message, Name};

const CHAIN_ID: &str = "openledger-bench-1";

fn main() {
    let n = env_usize("BENCH_TXS", 4000);
    let per_block = env_usize("BENCH_BLOCK", 500).max(1);
    eprintln!("preparing {n} signers and signed bank sends…");
    let signers = signers(n, 1);
    let txs = bank_sends(&signers, CHAIN_ID);

    // Baseline: the signature check alone, over the same sign bytes the ante verifies.
    let docs: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> = txs
        .iter()
        .zip(&signers)
        .enumerate()
        .map(|(i, (tx, s))| {
            let raw = TxRaw::decode(tx.as_slice()).expect("tx");
            let doc = Signer::sign_doc(&raw.body_bytes, &raw.auth_info_bytes, CHAIN_ID, i as u64);
            (s.pubkey.clone(), doc, raw.signatures[0].clone())
        })
        .collect();
    let start = Instant::now();
    for (pk, doc, sig) in &docs {
        crypto::verify_secp256k1(pk, doc, sig).expect("valid signature");
    }
    let verify_rate = n as f64 / start.elapsed().as_secs_f64();

    let node_rate = InProcessChain::new(CHAIN_ID, &genesis(&signers)).throughput(&txs, per_block);
    let cw20_rate = cw20_transfers(&signers, per_block);

    println!("openledgerd node benchmark ({n} bank sends, {per_block} per block, redb on disk)");
    println!("  secp256k1 verify (baseline):        {verify_rate:>8.0} sigs/s");
    println!("  bank send via FinalizeBlock+Commit: {node_rate:>8.0} txs/s");
    println!("  ratio node/verify: {:.3}", node_rate / verify_rate);
    println!(
        "  CW20 transfer via FinalizeBlock+Commit: {cw20_rate:>8.0} txs/s (cw20-base, real VM)"
    );
    println!("  ratio cw20/bank: {:.3}", cw20_rate / node_rate);
}

fn any<M: Name>(msg: &M) -> Any {
    Any {
        type_url: M::type_url(),
        value: msg.encode_to_vec(),
    }
}

fn attr(res: &tendermint::abci::response::FinalizeBlock, kind: &str, key: &str) -> String {
    res.tx_results[0]
        .events
        .iter()
        .filter(|e| e.kind == kind)
        .flat_map(|e| e.attributes.iter())
        .find(|a| a.key_bytes() == key.as_bytes())
        .map(|a| String::from_utf8_lossy(a.value_bytes()).into_owned())
        .unwrap_or_else(|| panic!("{kind}.{key} in the block results"))
}

/// CW20 transfers/s: every signer holds tokens (instantiated with one balance each, by a
/// deployer that is the last genesis account), then sends 1 token to the next signer.
fn cw20_transfers(signers: &[openledger_node::signer::Signer], per_block: usize) -> f64 {
    let wasm = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/wasm-contracts/artifacts/test_cw20.wasm"
    ))
    .expect("test_cw20.wasm (scripts/build-test-contracts.sh)");
    let deployer = common::signers(1, 2).remove(0);
    let deployer_number = signers.len() as u64;
    let mut all = signers.to_vec();
    all.push(deployer.clone());
    let mut chain = InProcessChain::with_wasm(CHAIN_ID, &genesis(&all));
    chain.block(&[]);
    let big_gas = 400_000_000;
    let fee = uopen(u128::from(big_gas) / 40 + 1);
    let store = deployer.sign_direct(
        CHAIN_ID,
        deployer_number,
        0,
        vec![any(&MsgStoreCode {
            sender: deployer.address.clone(),
            wasm_byte_code: wasm,
            instantiate_permission: None,
        })],
        fee.clone(),
        big_gas,
        "",
    );
    let res = chain.finalize(&[store]);
    let code_id: u64 = attr(&res, "store_code", "code_id")
        .parse()
        .expect("code id");
    let balances: Vec<_> = signers
        .iter()
        .map(|s| serde_json::json!({"address": s.address, "amount": "1000"}))
        .collect();
    let init = serde_json::json!({
        "name": "Bench", "symbol": "BNCH", "decimals": 6, "initial_balances": balances,
    });
    let instantiate = deployer.sign_direct(
        CHAIN_ID,
        deployer_number,
        1,
        vec![any(&MsgInstantiateContract {
            sender: deployer.address.clone(),
            admin: String::new(),
            code_id,
            label: "bench cw20".into(),
            msg: init.to_string().into_bytes(),
            funds: vec![],
        })],
        fee,
        big_gas,
        "",
    );
    let res = chain.finalize(&[instantiate]);
    let contract = attr(&res, "instantiate", "_contract_address");
    let txs: Vec<Vec<u8>> = signers
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let msg = serde_json::json!({"transfer": {
                "recipient": signers[(i + 1) % signers.len()].address, "amount": "1"}});
            s.sign_direct(
                CHAIN_ID,
                i as u64,
                0,
                vec![any(&MsgExecuteContract {
                    sender: s.address.clone(),
                    contract: contract.clone(),
                    msg: msg.to_string().into_bytes(),
                    funds: vec![],
                })],
                uopen(12_500),
                500_000,
                "",
            )
        })
        .collect();
    chain.throughput(&txs, per_block)
}
