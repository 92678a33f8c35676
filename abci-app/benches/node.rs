//! Bank-send throughput through FinalizeBlock + Commit (real redb on disk), next to the raw
//! secp256k1 verification rate measured in the same run, and their ratio.
//!
//! `cargo bench -p openledger-node --bench node` (or `scripts/bench-node.sh`).
//! `BENCH_TXS` (default 4000) and `BENCH_BLOCK` (default 500) size the run.

mod common;

use std::time::Instant;

use common::{bank_sends, env_usize, genesis, signers, InProcessChain};
use cosmos_sdk_proto::cosmos::tx::v1beta1::TxRaw;
use openledger_node::crypto;
use openledger_node::signer::Signer;
use prost::Message;

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

    println!("openledgerd node benchmark ({n} bank sends, {per_block} per block, redb on disk)");
    println!("  secp256k1 verify (baseline):        {verify_rate:>8.0} sigs/s");
    println!("  bank send via FinalizeBlock+Commit: {node_rate:>8.0} txs/s");
    println!("  ratio node/verify: {:.3}", node_rate / verify_rate);
}
