//! Shared benchmark set-up: funded signers, signed bank sends, and an in-process chain that
//! runs blocks through the same ABCI service CometBFT talks to.
#![allow(dead_code)]

use std::time::Instant;

use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin;
use cosmos_sdk_proto::Any;
use openledger_node::app::genesis::AppState;
use openledger_node::app::App;
use openledger_node::modules::auth::genesis::GenesisAccount;
use openledger_node::modules::bank::genesis::{Balance, GenesisCoin};
use openledger_node::server::abci::AbciService;
use openledger_node::signer::Signer;
use openledger_node::store::Storage;
use prost::{Message, Name};
use tendermint::v0_38::abci::{request, Request, Response};

pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

pub fn uopen(amount: u128) -> Vec<Coin> {
    vec![Coin {
        denom: "uopen".into(),
        amount: amount.to_string(),
    }]
}

/// `n` deterministic signers (account numbers 0..n in genesis order).
pub fn signers(n: usize, seed: u8) -> Vec<Signer> {
    (0..n)
        .map(|i| {
            let mut secret = [seed; 32];
            secret[..8].copy_from_slice(&(i as u64 + 1).to_be_bytes());
            Signer::from_secret(&secret).expect("valid secret")
        })
        .collect()
}

/// One signed 1uopen send per signer, to the next signer, at sequence 0.
pub fn bank_sends(signers: &[Signer], chain_id: &str) -> Vec<Vec<u8>> {
    signers
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let msg = MsgSend {
                from_address: s.address.clone(),
                to_address: signers[(i + 1) % signers.len()].address.clone(),
                amount: uopen(1),
            };
            let any = Any {
                type_url: MsgSend::type_url(),
                value: msg.encode_to_vec(),
            };
            s.sign_direct(chain_id, i as u64, 0, vec![any], uopen(5000), 200_000, "")
        })
        .collect()
}

/// Genesis with every signer funded, in order.
pub fn genesis(signers: &[Signer]) -> AppState {
    let mut state = AppState::new_chain();
    for s in signers {
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
    state
}

/// A node driven in-process (real redb on disk) in CometBFT's call order.
pub struct InProcessChain {
    abci: AbciService,
    height: u64,
    _dir: tempfile::TempDir,
}

fn time(h: u64) -> tendermint::Time {
    tendermint::Time::from_unix_timestamp(1_750_000_000 + h as i64, 0).expect("time")
}

impl InProcessChain {
    pub fn new(chain_id: &str, state: &AppState) -> Self {
        Self::build(chain_id, state, false)
    }

    /// With the CosmWasm runtime (module cache in the same temp dir).
    pub fn with_wasm(chain_id: &str, state: &AppState) -> Self {
        Self::build(chain_id, state, true)
    }

    fn build(chain_id: &str, state: &AppState, wasm: bool) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let storage = Storage::open(dir.path().join("bench.redb")).expect("storage");
        let mut app = App::new(storage);
        if wasm {
            app = app
                .with_wasm(dir.path().join("wasm"))
                .expect("wasm runtime");
        }
        let mut abci = AbciService::new(app);
        let params: tendermint::consensus::Params = serde_json::from_value(serde_json::json!({
            "block": {"max_bytes": "22020096", "max_gas": "-1"},
            "evidence": {"max_age_num_blocks": "100000", "max_age_duration": "172800000000000", "max_bytes": "1048576"},
            "validator": {"pub_key_types": ["ed25519"]},
            "version": {"app": "0"},
            "abci": {"vote_extensions_enable_height": "0"}
        }))
        .expect("params");
        abci.handle(Request::InitChain(request::InitChain {
            time: time(0),
            chain_id: chain_id.into(),
            consensus_params: params,
            validators: vec![],
            app_state_bytes: serde_json::to_vec(state).expect("json").into(),
            initial_height: 1u32.into(),
        }));
        Self {
            abci,
            height: 0,
            _dir: dir,
        }
    }

    /// FinalizeBlock + Commit; every tx must succeed.
    pub fn block(&mut self, txs: &[Vec<u8>]) {
        self.finalize(txs);
    }

    /// FinalizeBlock + Commit, returning the results; every tx must succeed.
    pub fn finalize(&mut self, txs: &[Vec<u8>]) -> tendermint::abci::response::FinalizeBlock {
        self.height += 1;
        let h = self.height;
        let res = self
            .abci
            .handle(Request::FinalizeBlock(request::FinalizeBlock {
                txs: txs.iter().map(|t| t.clone().into()).collect(),
                decided_last_commit: tendermint::abci::types::CommitInfo {
                    round: 0u8.into(),
                    votes: vec![],
                },
                misbehavior: vec![],
                hash: tendermint::Hash::Sha256([h as u8; 32]),
                height: h.try_into().expect("height"),
                time: time(h),
                next_validators_hash: tendermint::Hash::Sha256([0; 32]),
                proposer_address: tendermint::account::Id::new([1; 20]),
            }));
        let Response::FinalizeBlock(res) = res else {
            panic!("finalize")
        };
        if let Some(bad) = res.tx_results.iter().find(|r| r.code.value() != 0) {
            panic!(
                "bench txs must succeed: code {} {}",
                bad.code.value(),
                bad.log
            );
        }
        self.abci.handle(Request::Commit);
        res
    }

    /// Txs per second through FinalizeBlock+Commit, `per_block` txs per block.
    pub fn throughput(&mut self, txs: &[Vec<u8>], per_block: usize) -> f64 {
        self.block(&[]);
        let start = Instant::now();
        for chunk in txs.chunks(per_block.max(1)) {
            self.block(chunk);
        }
        txs.len() as f64 / start.elapsed().as_secs_f64()
    }
}
