//! A fuzz target per input surface of the node, each against the real app (real CosmWasm VM,
//! real stores) and its real servers, in process:
//!
//! - `tx_bytes`: mutated bytes of signed txs of every message kind, through CheckTx and
//!   FinalizeBlock (the signature fails; the decoders and the ante handler see the bytes);
//! - `signed_msgs`: every message kind with its protobuf body mutated and then *signed*, so the
//!   messages reach their handlers (bank, wasm, IBC core and transfer) with a paid fee;
//! - `ibc_packets`: packet messages (recv, ack, timeout, channel handshakes) with random
//!   packets and ICS-20 data, signed;
//! - `abci_queries`: every query path (and mutated ones) with mutated request bytes, heights
//!   and `prove`, as CometBFT's `abci_query` sends them;
//! - `rest_requests`: every REST route with random path segments, query strings, headers and
//!   bodies, through the whole axum router;
//! - `grpc_requests`: every gRPC method with mutated request bodies, over a real HTTP/2
//!   connection to the tonic server.
//!
//! Each asserts no panic and no input slower than 10 s, and what each input's answer must be
//! (a failure code for a forged tx, a JSON error body for a refused REST request, a gRPC
//! status rather than a broken connection). Inputs per target: `OPENLEDGER_FUZZ_INPUTS`
//! (small by default, for CI; `OPENLEDGER_FUZZ_INPUTS_<TARGET>` for one target); seed:
//! `OPENLEDGER_FUZZ_SEED`. Outside CI, in release, `scripts/fuzz-node.sh` runs 10 million.

mod fuzz_support;
mod support;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use cosmos_sdk_proto::cosmos::bank::v1beta1::{
    Input, MsgMultiSend, MsgSend, Output, QueryAllBalancesRequest, QueryBalanceRequest,
};
use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin;
use cosmos_sdk_proto::cosmos::tx::v1beta1::SimulateRequest;
use cosmos_sdk_proto::cosmwasm::wasm::v1::{
    MsgClearAdmin, MsgExecuteContract, MsgInstantiateContract, MsgInstantiateContract2,
    MsgMigrateContract, MsgStoreCode, MsgUpdateAdmin, QueryRawContractStateRequest,
    QuerySmartContractStateRequest,
};
use cosmos_sdk_proto::Any;
use fuzz_support::{budget, fuzz, mutate, Rng};
use ibc_proto::ibc::applications::transfer::v1::MsgTransfer;
use ibc_proto::ibc::core::channel::v1::{
    Channel, Counterparty, MsgAcknowledgement, MsgChannelCloseInit, MsgChannelOpenInit,
    MsgChannelOpenTry, MsgRecvPacket, MsgTimeout, Packet,
};
use ibc_proto::ibc::core::client::v1::Height;
use openledger_node::app::App;
use openledger_node::signer::Signer;
use openledger_node::store::Storage;
use prost::{Message, Name};
use support::{funded_genesis, Driver, CHAIN_ID};
use tendermint::v0_38::abci::{request, Request, Response};

fn any<M: Message + Name>(msg: &M) -> Any {
    Any {
        type_url: M::type_url(),
        value: msg.encode_to_vec(),
    }
}

fn uopen(amount: &str) -> Coin {
    Coin {
        denom: "uopen".into(),
        amount: amount.into(),
    }
}

fn artifact(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/wasm-contracts/artifacts/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("test contract artifact")
}

/// A chain with two funded accounts, the loop and cw20 test contracts stored and
/// instantiated (alice is the cw20's admin), on an app with the contract runtime.
struct Chain {
    driver: Driver,
    alice: Signer,
    bob: Signer,
    cw20: String,
    looping: String,
    _wasm_dir: tempfile::TempDir,
}

impl Chain {
    fn new() -> Self {
        let alice = Signer::from_secret(&[1; 32]).expect("key");
        let bob = Signer::from_secret(&[2; 32]).expect("key");
        let state = funded_genesis(&[&alice, &bob], 1_000_000_000_000_000);
        let wasm_dir = tempfile::tempdir().expect("tempdir");
        let app = App::new(Storage::in_memory().expect("storage"))
            .with_wasm(wasm_dir.path().to_path_buf())
            .expect("wasm runtime");
        let mut driver = Driver::with_app(app);
        driver.init_chain(&state);
        driver.block(&[]);
        let mut chain = Self {
            driver,
            alice,
            bob,
            cw20: String::new(),
            looping: String::new(),
            _wasm_dir: wasm_dir,
        };
        let store = |chain: &mut Chain, wasm: Vec<u8>| {
            let msg = any(&MsgStoreCode {
                sender: chain.alice.address.clone(),
                wasm_byte_code: wasm,
                instantiate_permission: None,
            });
            let r = chain.run_signed(msg, 25_000_000);
            attr(&r, "store_code", "code_id").expect("code id")
        };
        let cw20_code: u64 = store(&mut chain, artifact("test_cw20.wasm"))
            .parse()
            .expect("id");
        let loop_code: u64 = store(&mut chain, artifact("test_loop.wasm"))
            .parse()
            .expect("id");
        let init = |chain: &mut Chain, code_id: u64, msg: serde_json::Value| {
            let msg = any(&MsgInstantiateContract {
                sender: chain.alice.address.clone(),
                admin: chain.alice.address.clone(),
                code_id,
                label: format!("fuzz {code_id}"),
                msg: msg.to_string().into_bytes(),
                funds: vec![],
            });
            let r = chain.run_signed(msg, 5_000_000);
            attr(&r, "instantiate", "_contract_address").expect("address")
        };
        let holders = serde_json::json!([
            {"address": chain.alice.address, "amount": "1000000000"},
            {"address": chain.bob.address, "amount": "1000000000"},
        ]);
        let cw20_init = serde_json::json!({"name": "Fuzz", "symbol": "FUZZ", "decimals": 6,
            "initial_balances": holders, "mint": {"minter": chain.alice.address}});
        chain.cw20 = init(&mut chain, cw20_code, cw20_init);
        chain.looping = init(&mut chain, loop_code, serde_json::json!({}));
        chain
    }

    fn sequence(&mut self, address: &str) -> (u64, u64) {
        self.driver.account(address).expect("account exists")
    }

    fn sign(&mut self, who: &Signer, msgs: Vec<Any>, gas: u64, memo: &str) -> Vec<u8> {
        let (number, sequence) = self.sequence(&who.address.clone());
        who.sign_direct(
            CHAIN_ID,
            number,
            sequence,
            msgs,
            vec![uopen(&(gas / 40 + 1).to_string())],
            gas,
            memo,
        )
    }

    /// One signed tx in its own block; its result (which must be a success).
    fn run_signed(&mut self, msg: Any, gas: u64) -> tendermint::abci::types::ExecTxResult {
        let alice = self.alice.clone();
        let tx = self.sign(&alice, vec![msg], gas, "");
        let r = self.driver.block(&[tx]).tx_results.remove(0);
        assert_eq!(r.code.value(), 0, "{}", r.log);
        r
    }

    /// A valid message of every kind the node routes, to mutate.
    fn message_seeds(&self) -> Vec<Any> {
        let (a, b) = (self.alice.address.clone(), self.bob.address.clone());
        let transfer = serde_json::json!({"transfer": {"recipient": b, "amount": "5"}});
        vec![
            any(&MsgSend {
                from_address: a.clone(),
                to_address: b.clone(),
                amount: vec![uopen("7")],
            }),
            any(&MsgMultiSend {
                inputs: vec![Input {
                    address: a.clone(),
                    coins: vec![uopen("4")],
                }],
                outputs: vec![
                    Output {
                        address: b.clone(),
                        coins: vec![uopen("3")],
                    },
                    Output {
                        address: a.clone(),
                        coins: vec![uopen("1")],
                    },
                ],
            }),
            any(&MsgStoreCode {
                sender: a.clone(),
                wasm_byte_code: artifact("test_loop.wasm"),
                instantiate_permission: None,
            }),
            any(&MsgInstantiateContract {
                sender: a.clone(),
                admin: a.clone(),
                code_id: 2,
                label: "again".into(),
                msg: b"{}".to_vec(),
                funds: vec![uopen("1")],
            }),
            any(&MsgInstantiateContract2 {
                sender: a.clone(),
                admin: String::new(),
                code_id: 2,
                label: "salted".into(),
                msg: b"{}".to_vec(),
                funds: vec![],
                salt: b"salt".to_vec(),
                fix_msg: false,
            }),
            any(&MsgExecuteContract {
                sender: a.clone(),
                contract: self.cw20.clone(),
                msg: transfer.to_string().into_bytes(),
                funds: vec![],
            }),
            any(&MsgExecuteContract {
                sender: a.clone(),
                contract: self.looping.clone(),
                msg: br#"{"write":{"key":"k","value":"v"}}"#.to_vec(),
                funds: vec![],
            }),
            any(&MsgMigrateContract {
                sender: a.clone(),
                contract: self.cw20.clone(),
                code_id: 1,
                msg: b"{}".to_vec(),
            }),
            any(&MsgUpdateAdmin {
                sender: a.clone(),
                new_admin: b.clone(),
                contract: self.looping.clone(),
            }),
            any(&MsgClearAdmin {
                sender: a.clone(),
                contract: self.looping.clone(),
            }),
            any(&MsgTransfer {
                source_port: "transfer".into(),
                source_channel: "channel-0".into(),
                token: Some(ibc_proto::cosmos::base::v1beta1::Coin {
                    denom: "uopen".into(),
                    amount: "10".into(),
                }),
                sender: a.clone(),
                receiver: "cosmos1xyz".into(),
                timeout_height: Some(Height {
                    revision_number: 1,
                    revision_height: 1000,
                }),
                timeout_timestamp: 0,
                memo: String::new(),
            }),
        ]
        .into_iter()
        .chain(self.ibc_seeds())
        .collect()
    }

    fn packet(&self) -> Packet {
        let data = serde_json::json!({"denom": "transfer/channel-0/uatom", "amount": "100",
            "sender": "cosmos1sender", "receiver": self.bob.address, "memo": ""});
        Packet {
            sequence: 1,
            source_port: "transfer".into(),
            source_channel: "channel-0".into(),
            destination_port: "transfer".into(),
            destination_channel: "channel-0".into(),
            data: data.to_string().into_bytes(),
            timeout_height: Some(Height {
                revision_number: 0,
                revision_height: 10_000,
            }),
            timeout_timestamp: 0,
        }
    }

    #[allow(deprecated)] // `previous_channel_id` is still on the wire
    fn ibc_seeds(&self) -> Vec<Any> {
        let signer = self.alice.address.clone();
        let height = Some(Height {
            revision_number: 0,
            revision_height: 5,
        });
        let channel = Channel {
            state: 1,
            ordering: 1,
            counterparty: Some(Counterparty {
                port_id: "transfer".into(),
                channel_id: String::new(),
            }),
            connection_hops: vec!["connection-0".into()],
            version: "ics20-1".into(),
            upgrade_sequence: 0,
        };
        vec![
            any(&MsgRecvPacket {
                packet: Some(self.packet()),
                proof_commitment: vec![1, 2, 3],
                proof_height: height,
                signer: signer.clone(),
            }),
            any(&MsgAcknowledgement {
                packet: Some(self.packet()),
                acknowledgement: br#"{"result":"AQ=="}"#.to_vec(),
                proof_acked: vec![4, 5],
                proof_height: height,
                signer: signer.clone(),
            }),
            any(&MsgTimeout {
                packet: Some(self.packet()),
                proof_unreceived: vec![6],
                proof_height: height,
                next_sequence_recv: 1,
                signer: signer.clone(),
            }),
            any(&MsgChannelOpenInit {
                port_id: "transfer".into(),
                channel: Some(channel.clone()),
                signer: signer.clone(),
            }),
            any(&MsgChannelOpenTry {
                port_id: format!("wasm.{}", self.looping),
                previous_channel_id: String::new(),
                channel: Some(Channel {
                    state: 2,
                    counterparty: Some(Counterparty {
                        port_id: "transfer".into(),
                        channel_id: "channel-7".into(),
                    }),
                    ..channel
                }),
                counterparty_version: "ics20-1".into(),
                proof_init: vec![7],
                proof_height: height,
                signer: signer.clone(),
            }),
            any(&MsgChannelCloseInit {
                port_id: "transfer".into(),
                channel_id: "channel-0".into(),
                signer,
            }),
        ]
    }
}

fn attr(r: &tendermint::abci::types::ExecTxResult, kind: &str, key: &str) -> Option<String> {
    r.events
        .iter()
        .filter(|e| e.kind == kind)
        .flat_map(|e| e.attributes.iter())
        .find(|a| a.key_bytes() == key.as_bytes())
        .map(|a| String::from_utf8_lossy(a.value_bytes()).into_owned())
}

/// Bytes that still decode as `type_url`'s message, re-encoded canonically: the mutation
/// then changes field values (addresses, amounts, ids, nested messages) and the message gets
/// past the decoder and the canonical-encoding check to its handler.
fn canonical(type_url: &str, bytes: &[u8]) -> Option<Vec<u8>> {
    fn re<M: Message + Default>(bytes: &[u8]) -> Option<Vec<u8>> {
        M::decode(bytes).ok().map(|m| m.encode_to_vec())
    }
    macro_rules! by_type {
        ($($m:ty),*) => {
            $(if type_url == <$m>::type_url() { return re::<$m>(bytes); })*
        };
    }
    by_type!(
        MsgSend,
        MsgMultiSend,
        MsgStoreCode,
        MsgInstantiateContract,
        MsgInstantiateContract2,
        MsgExecuteContract,
        MsgMigrateContract,
        MsgUpdateAdmin,
        MsgClearAdmin,
        MsgTransfer,
        MsgRecvPacket,
        MsgAcknowledgement,
        MsgTimeout,
        MsgChannelOpenInit,
        MsgChannelOpenTry,
        MsgChannelCloseInit
    );
    None
}

/// A message seed with its body mutated: sometimes the JSON of a contract message inside it,
/// sometimes the protobuf bytes, sometimes another kind's type URL on these bytes.
fn mutate_msg(rng: &mut Rng, seeds: &[Any], corpus: &[Vec<u8>]) -> Any {
    let mut msg = rng.pick(seeds).clone();
    if msg.type_url == MsgExecuteContract::type_url() && rng.chance(2) {
        if let Ok(mut exec) = MsgExecuteContract::decode(msg.value.as_slice()) {
            exec.msg = mutate(rng, &exec.msg, corpus);
            msg.value = exec.encode_to_vec();
        }
    } else if msg.type_url == MsgRecvPacket::type_url() && rng.chance(2) {
        if let Ok(mut recv) = MsgRecvPacket::decode(msg.value.as_slice()) {
            if let Some(p) = recv.packet.as_mut() {
                p.data = mutate(rng, &p.data, corpus);
                p.sequence = rng.next_u64() % 4;
            }
            msg.value = recv.encode_to_vec();
        }
    } else {
        // Mostly a mutation that still decodes (most byte mutations break protobuf framing
        // and would only ever test the decoder), sometimes whatever the mutation gave.
        let raw = rng.chance(5);
        let mut mutated = mutate(rng, &msg.value, corpus);
        for _ in 0..32 {
            if raw {
                break;
            }
            if let Some(canonical) = canonical(&msg.type_url, &mutated) {
                mutated = canonical;
                break;
            }
            mutated = mutate(rng, &msg.value, corpus);
        }
        msg.value = mutated;
    }
    if rng.chance(20) {
        msg.type_url = rng.pick(seeds).type_url.clone();
    }
    msg
}

#[test]
fn tx_bytes() {
    let mut chain = Chain::new();
    let seeds = chain.message_seeds();
    let alice = chain.alice.clone();
    let txs: Vec<Vec<u8>> = seeds
        .iter()
        .map(|m| chain.sign(&alice, vec![m.clone()], 2_000_000, "fuzz"))
        .collect();
    let before = chain.driver.state_digest();
    let mut pending = Vec::new();
    let report = fuzz(
        "tx_bytes",
        budget("tx_bytes", 3_000),
        |rng| {
            let seed = rng.pick(&txs);
            let mut tx = mutate(rng, seed, &txs);
            while &tx == seed {
                tx = mutate(rng, seed, &txs);
            }
            tx
        },
        |tx| {
            let check = chain.driver.check(tx, false);
            assert_ne!(check.code.value(), 0, "a mutated tx passed CheckTx");
            pending.push(tx.clone());
            if pending.len() == 32 {
                let block = chain.driver.block(&std::mem::take(&mut pending));
                for r in &block.tx_results {
                    assert_ne!(r.code.value(), 0, "a mutated tx executed: {}", r.log);
                }
            }
            format!("check code {}", check.code.value())
        },
    );
    assert!(report.inputs > 0);
    // Forged txs change nothing but the block height.
    assert_eq!(chain.driver.state_digest(), before);
}

/// Inputs (blocks) after which the signed targets start over on a fresh chain.
const FRESH_CHAIN_EVERY: u64 = 50_000;

fn signed_target(name: &str, inputs: u64, seeds_of: fn(&Chain) -> Vec<Any>) {
    let chain = std::cell::RefCell::new(Chain::new());
    let seeds = seeds_of(&chain.borrow());
    let corpus: Vec<Vec<u8>> = seeds.iter().map(|m| m.value.clone()).collect();
    let (alice, bob) = (chain.borrow().alice.clone(), chain.borrow().bob.clone());
    let mut generated = 0u64;
    let report = fuzz(
        name,
        inputs,
        |rng| {
            // A fresh chain now and then: every input is a block, and hundreds of thousands of
            // them grow the in-memory store until reallocating it takes seconds (an artifact
            // of the test's memory backend, not of a node on disk).
            generated += 1;
            if generated % FRESH_CHAIN_EVERY == 0 {
                *chain.borrow_mut() = Chain::new();
            }
            let msgs: Vec<Any> = (0..1 + rng.below(2))
                .map(|_| mutate_msg(rng, &seeds, &corpus))
                .collect();
            let who = if rng.chance(4) { &bob } else { &alice };
            let memo = if rng.chance(8) {
                "x".repeat(rng.below(300))
            } else {
                String::new()
            };
            let gas = *rng.pick(&[200_000u64, 2_000_000, 6_000_000]);
            chain.borrow_mut().sign(who, msgs, gas, &memo)
        },
        |tx| {
            let mut chain = chain.borrow_mut();
            let r = chain
                .driver
                .block(std::slice::from_ref(tx))
                .tx_results
                .remove(0);
            // A failing tx still pays its fee and sequence; every answer has a code and log.
            if r.code.value() != 0 {
                assert!(!r.log.is_empty(), "a failure without a log");
            }
            format!("code {}", r.code.value())
        },
    );
    assert!(report.inputs > 0);
    // The chain still runs and answers.
    let mut chain = chain.into_inner();
    assert!(chain.driver.balance(&alice.address) > 0);
}

#[test]
fn signed_msgs() {
    signed_target(
        "signed_msgs",
        budget("signed_msgs", 600),
        Chain::message_seeds,
    );
}

#[test]
fn ibc_packets() {
    signed_target("ibc_packets", budget("ibc_packets", 400), Chain::ibc_seeds);
}

const QUERY_PATHS: &[&str] = &[
    "/cosmos.auth.v1beta1.Query/Account",
    "/cosmos.auth.v1beta1.Query/Accounts",
    "/cosmos.auth.v1beta1.Query/Params",
    "/cosmos.bank.v1beta1.Query/AllBalances",
    "/cosmos.bank.v1beta1.Query/Balance",
    "/cosmos.bank.v1beta1.Query/DenomMetadata",
    "/cosmos.bank.v1beta1.Query/DenomsMetadata",
    "/cosmos.bank.v1beta1.Query/Params",
    "/cosmos.bank.v1beta1.Query/SpendableBalances",
    "/cosmos.bank.v1beta1.Query/SupplyOf",
    "/cosmos.bank.v1beta1.Query/TotalSupply",
    "/cosmos.base.node.v1beta1.Service/Config",
    "/cosmos.base.tendermint.v1beta1.Service/GetNodeInfo",
    "/cosmos.staking.v1beta1.Query/Params",
    "/cosmos.tx.v1beta1.Service/Simulate",
    "/cosmwasm.wasm.v1.Query/AllContractState",
    "/cosmwasm.wasm.v1.Query/BuildAddress",
    "/cosmwasm.wasm.v1.Query/Code",
    "/cosmwasm.wasm.v1.Query/Codes",
    "/cosmwasm.wasm.v1.Query/ContractHistory",
    "/cosmwasm.wasm.v1.Query/ContractInfo",
    "/cosmwasm.wasm.v1.Query/ContractsByCode",
    "/cosmwasm.wasm.v1.Query/ContractsByCreator",
    "/cosmwasm.wasm.v1.Query/Params",
    "/cosmwasm.wasm.v1.Query/PinnedCodes",
    "/cosmwasm.wasm.v1.Query/RawContractState",
    "/cosmwasm.wasm.v1.Query/SmartContractState",
    "/ibc.applications.transfer.v1.Query/DenomHash",
    "/ibc.applications.transfer.v1.Query/DenomTrace",
    "/ibc.applications.transfer.v1.Query/DenomTraces",
    "/ibc.applications.transfer.v1.Query/EscrowAddress",
    "/ibc.applications.transfer.v1.Query/Params",
    "/ibc.core.channel.v1.Query/Channel",
    "/ibc.core.channel.v1.Query/ChannelClientState",
    "/ibc.core.channel.v1.Query/ChannelConsensusState",
    "/ibc.core.channel.v1.Query/Channels",
    "/ibc.core.channel.v1.Query/ConnectionChannels",
    "/ibc.core.channel.v1.Query/NextSequenceReceive",
    "/ibc.core.channel.v1.Query/NextSequenceSend",
    "/ibc.core.channel.v1.Query/PacketAcknowledgement",
    "/ibc.core.channel.v1.Query/PacketAcknowledgements",
    "/ibc.core.channel.v1.Query/PacketCommitment",
    "/ibc.core.channel.v1.Query/PacketCommitments",
    "/ibc.core.channel.v1.Query/PacketReceipt",
    "/ibc.core.channel.v1.Query/UnreceivedAcks",
    "/ibc.core.channel.v1.Query/UnreceivedPackets",
    "/ibc.core.client.v1.Query/ClientParams",
    "/ibc.core.client.v1.Query/ClientState",
    "/ibc.core.client.v1.Query/ClientStates",
    "/ibc.core.client.v1.Query/ClientStatus",
    "/ibc.core.client.v1.Query/ConsensusState",
    "/ibc.core.client.v1.Query/ConsensusStateHeights",
    "/ibc.core.client.v1.Query/ConsensusStates",
    "/ibc.core.connection.v1.Query/ClientConnections",
    "/ibc.core.connection.v1.Query/Connection",
    "/ibc.core.connection.v1.Query/ConnectionClientState",
    "/ibc.core.connection.v1.Query/ConnectionConsensusState",
    "/ibc.core.connection.v1.Query/ConnectionParams",
    "/ibc.core.connection.v1.Query/Connections",
    "store/ibc/key",
    "/store/ibc/key",
    "store/bank/key",
    "/app/simulate",
    "",
    "/",
    "/cosmos.bank.v1beta1.Query/",
];

/// Request bytes that make sense to some path: accounts, contracts, pages, raw keys, txs.
fn query_seeds(chain: &mut Chain) -> Vec<Vec<u8>> {
    let page = Some(PageRequest {
        key: vec![],
        offset: 1,
        limit: 3,
        count_total: true,
        reverse: true,
    });
    let alice = chain.alice.clone();
    let tx = chain.sign(&alice, vec![chain.message_seeds()[0].clone()], 200_000, "");
    vec![
        QueryBalanceRequest {
            address: chain.alice.address.clone(),
            denom: "uopen".into(),
        }
        .encode_to_vec(),
        QueryAllBalancesRequest {
            address: chain.bob.address.clone(),
            pagination: page,
            resolve_denom: false,
        }
        .encode_to_vec(),
        QuerySmartContractStateRequest {
            address: chain.cw20.clone(),
            query_data: serde_json::json!({"balance": {"address": chain.bob.address}})
                .to_string()
                .into_bytes(),
        }
        .encode_to_vec(),
        QueryRawContractStateRequest {
            address: chain.cw20.clone(),
            query_data: b"token_info".to_vec(),
        }
        .encode_to_vec(),
        SimulateRequest {
            tx_bytes: tx,
            ..Default::default()
        }
        .encode_to_vec(),
        b"nextSequenceSend/ports/transfer/channels/channel-0".to_vec(),
        vec![],
    ]
}

#[test]
fn abci_queries() {
    let mut chain = Chain::new();
    let seeds = query_seeds(&mut chain);
    let latest = chain.driver.height;
    fuzz(
        "abci_queries",
        budget("abci_queries", 4_000),
        |rng| {
            let mut path = rng.pick(QUERY_PATHS).to_string();
            if rng.chance(10) {
                path = String::from_utf8_lossy(&mutate(rng, path.as_bytes(), &[])).into_owned();
            }
            let data = if rng.chance(8) {
                rng.bytes(64)
            } else {
                {
                    let i = rng.below(seeds.len());
                    mutate(rng, &seeds[i], &seeds)
                }
            };
            let height = if rng.chance(8) {
                *rng.pick(&[1, latest + 3, i64::MAX as u64])
            } else {
                *rng.pick(&[0, latest])
            };
            let prove = rng.chance(3);
            // Encoded as one input: path, NUL, height, prove, data.
            let mut input = path.into_bytes();
            input.push(0);
            input.extend_from_slice(&height.to_be_bytes());
            input.push(u8::from(prove));
            input.extend(data);
            input
        },
        |input| {
            let nul = input.iter().position(|b| *b == 0).unwrap_or(input.len());
            let path = String::from_utf8_lossy(&input[..nul]).into_owned();
            let rest = &input[(nul + 1).min(input.len())..];
            let height = u64::from_be_bytes(rest[..8].try_into().expect("8 bytes"));
            let prove = rest[8] == 1;
            let data = rest[9..].to_vec();
            let res = match chain.driver.service.handle(Request::Query(request::Query {
                data: data.into(),
                path,
                height: tendermint::block::Height::try_from(height.min(i64::MAX as u64))
                    .unwrap_or_default(),
                prove,
            })) {
                Response::Query(r) => r,
                other => panic!("a query answered {other:?}"),
            };
            if res.code.value() != 0 {
                assert!(!res.log.is_empty(), "a refused query without a log");
            }
            format!("code {}", res.code.value())
        },
    );
}

const REST_ROUTES: &[&str] = &[
    "/cosmos/auth/v1beta1/accounts",
    "/cosmos/auth/v1beta1/accounts/:address",
    "/cosmos/auth/v1beta1/bech32",
    "/cosmos/auth/v1beta1/params",
    "/cosmos/bank/v1beta1/balances/:address",
    "/cosmos/bank/v1beta1/balances/:address/by_denom",
    "/cosmos/bank/v1beta1/denoms_metadata",
    "/cosmos/bank/v1beta1/denoms_metadata/:denom",
    "/cosmos/bank/v1beta1/params",
    "/cosmos/bank/v1beta1/spendable_balances/:address",
    "/cosmos/bank/v1beta1/supply",
    "/cosmos/bank/v1beta1/supply/by_denom",
    "/cosmos/base/tendermint/v1beta1/blocks/:height",
    "/cosmos/base/tendermint/v1beta1/node_info",
    "/cosmos/base/tendermint/v1beta1/syncing",
    "/cosmos/distribution/v1beta1/community_pool",
    "/cosmos/distribution/v1beta1/delegators/:address/rewards",
    "/cosmos/distribution/v1beta1/delegators/:address/validators",
    "/cosmos/distribution/v1beta1/delegators/:address/withdraw_address",
    "/cosmos/distribution/v1beta1/params",
    "/cosmos/staking/v1beta1/delegations/:address",
    "/cosmos/staking/v1beta1/delegators/:address/redelegations",
    "/cosmos/staking/v1beta1/delegators/:address/unbonding_delegations",
    "/cosmos/staking/v1beta1/delegators/:address/validators",
    "/cosmos/staking/v1beta1/params",
    "/cosmos/staking/v1beta1/pool",
    "/cosmos/staking/v1beta1/validators",
    "/cosmos/staking/v1beta1/validators/:address",
    "/cosmos/tx/v1beta1/simulate",
    "/cosmos/tx/v1beta1/txs",
    "/cosmos/tx/v1beta1/txs/:hash",
    "/cosmwasm/wasm/v1/code/:height/contracts",
    "/cosmwasm/wasm/v1/contract/:contract",
    "/cosmwasm/wasm/v1/contract/:contract/raw/:b64",
    "/cosmwasm/wasm/v1/contract/:contract/smart/:b64",
    "/ibc/apps/transfer/v1/channels/:channel/ports/:port/escrow_address",
    "/ibc/apps/transfer/v1/denom_hashes/:trace",
    "/ibc/apps/transfer/v1/denom_traces",
    "/ibc/apps/transfer/v1/denom_traces/:hash",
    "/ibc/apps/transfer/v1/params",
    "/ibc/core/channel/v1/channels",
    "/ibc/core/channel/v1/channels/:channel/ports/:port",
    "/ibc/core/channel/v1/channels/:channel/ports/:port/client_state",
    "/ibc/core/client/v1/client_states/:client",
    "/ibc/core/connection/v1/connections/:connection",
];

const REST_PARAMS: &[&str] = &[
    "pagination.key",
    "pagination.offset",
    "pagination.limit",
    "pagination.count_total",
    "pagination.reverse",
    "denom",
    "events",
    "query",
    "order_by",
    "page",
    "limit",
    "address_string",
    "address_bytes",
    "resolve_denom",
];

/// A path segment: something valid for the slot, or something hostile.
fn segment(rng: &mut Rng, slot: &str, chain: &Chain, smart: &str) -> String {
    let hostile = [
        String::new(),
        "%00".into(),
        "%ff%fe".into(),
        "..".into(),
        "x".repeat(rng.below(5000)),
        "-1".into(),
        "18446744073709551616".into(),
        "open1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq".into(),
        "%E2%82%AC".into(),
        "transfer%2Fchannel-0%2Fuatom".into(),
    ];
    if rng.chance(3) {
        return rng.pick(&hostile).clone();
    }
    match slot {
        ":address" => rng
            .pick(&[chain.alice.address.clone(), chain.bob.address.clone()])
            .clone(),
        ":contract" => chain.cw20.clone(),
        ":b64" => match rng.below(3) {
            0 => smart.to_string(),
            1 => B64.encode(b"token_info"),
            _ => B64.encode(rng.bytes(20)),
        },
        ":height" => rng.pick(&["1", "2", "0", "latest", "99999999"]).to_string(),
        ":channel" => rng
            .pick(&["channel-0", "channel-18446744073709551615", "chan"])
            .to_string(),
        ":port" => rng.pick(&["transfer", "wasm.x", "a b"]).to_string(),
        ":client" => "07-tendermint-0".into(),
        ":connection" => "connection-0".into(),
        ":denom" | ":trace" | ":hash" => rng
            .pick(&["uopen", "transfer%2Fchannel-0%2Fuopen", "ibc%2FABCD"])
            .to_string(),
        _ => hex::encode_upper(rng.bytes(32)),
    }
}

#[test]
fn rest_requests() {
    use axum::body::Body;
    use axum::http::Request as HttpRequest;
    use http_body_util::BodyExt;
    use openledger_node::server::api::ChainView;
    use openledger_node::server::cometbft::CometRpc;
    use openledger_node::server::limits::QueryGate;
    use openledger_node::server::rest::{router, RestState};
    use tower::ServiceExt;

    let mut chain = Chain::new();
    let alice = chain.alice.clone();
    let tx_seeds: Vec<Vec<u8>> = chain
        .message_seeds()
        .into_iter()
        .take(3)
        .map(|m| chain.sign(&alice, vec![m], 200_000, ""))
        .collect();
    let smart =
        B64.encode(serde_json::json!({"balance": {"address": chain.alice.address}}).to_string());
    let storage = chain.driver.service.app().storage().clone();
    let wasm = chain.driver.service.app().wasm().cloned();
    let state = RestState {
        chain: ChainView::new(
            storage,
            wasm,
            QueryGate::new(2, 64, std::time::Duration::from_secs(10)),
        ),
        // Nothing listens there: routes that need CometBFT answer that it is unreachable.
        rpc: CometRpc::new("http://127.0.0.1:9").expect("url"),
    };
    let app = router(state);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    fuzz(
        "rest_requests",
        budget("rest_requests", 3_000),
        |rng| {
            let route = *rng.pick(REST_ROUTES);
            let mut path: String = route
                .split('/')
                .map(|part| {
                    if part.starts_with(':') {
                        segment(rng, part, &chain, &smart)
                    } else {
                        part.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join("/");
            let params: Vec<String> = (0..rng.below(4))
                .map(|_| {
                    let value = *rng.pick(&["1", "true", "x", "-5", "100001", "AAAA", "%zz", ""]);
                    format!("{}={value}", rng.pick(REST_PARAMS))
                })
                .collect();
            if !params.is_empty() {
                path = format!("{path}?{}", params.join("&"));
            }
            let post = route.ends_with("/txs") || route.ends_with("/simulate") || rng.chance(20);
            let body = if post {
                let i = rng.below(tx_seeds.len());
                let tx = mutate(rng, &tx_seeds[i], &tx_seeds);
                let mode = *rng.pick(&["BROADCAST_MODE_SYNC", "BROADCAST_MODE_BLOCK", "7", "x"]);
                let json =
                    serde_json::json!({"tx_bytes": B64.encode(tx), "mode": mode}).to_string();
                if rng.chance(4) {
                    mutate(rng, json.as_bytes(), &[])
                } else {
                    json.into_bytes()
                }
            } else {
                vec![]
            };
            let height = if rng.chance(6) {
                rng.pick(&["1", "-1", "x", "99999"]).to_string()
            } else {
                String::new()
            };
            // Encoded as one input: method, height header, path, NUL, body.
            let mut input = vec![u8::from(post)];
            input.extend(height.as_bytes());
            input.push(b'\n');
            input.extend(path.as_bytes());
            input.push(0);
            input.extend(body);
            input
        },
        |input| {
            let post = input[0] == 1;
            let newline = input.iter().position(|b| *b == b'\n').expect("newline");
            let height = String::from_utf8_lossy(&input[1..newline]).into_owned();
            let nul = input[newline..]
                .iter()
                .position(|b| *b == 0)
                .map_or(input.len(), |i| newline + i);
            let path = String::from_utf8_lossy(&input[newline + 1..nul]).into_owned();
            let body = input[(nul + 1).min(input.len())..].to_vec();
            let mut req = HttpRequest::builder().method(if post { "POST" } else { "GET" });
            if !height.is_empty() {
                req = req.header("x-cosmos-block-height", height);
            }
            let Ok(req) = req.uri(&path).body(Body::from(body)) else {
                return "not a valid HTTP request".into();
            };
            let app = app.clone();
            runtime.block_on(async move {
                let res = app.oneshot(req).await.expect("the router is infallible");
                let status = res.status();
                let bytes = res.into_body().collect().await.expect("body").to_bytes();
                if !status.is_success() {
                    let json: serde_json::Value = serde_json::from_slice(&bytes)
                        .unwrap_or_else(|_| panic!("{status} without a JSON body: {bytes:?}"));
                    assert!(json["message"].is_string(), "{status}: {json}");
                }
                format!("HTTP {}", status.as_u16())
            })
        },
    );
}

#[test]
fn grpc_requests() {
    use openledger_node::server::api::ChainView;
    use openledger_node::server::cometbft::CometRpc;
    use openledger_node::server::grpc::{serve, GrpcState, RawCodec};
    use openledger_node::server::limits::QueryGate;

    let mut chain = Chain::new();
    let seeds = query_seeds(&mut chain);
    let storage = chain.driver.service.app().storage().clone();
    let wasm = chain.driver.service.app().wasm().cloned();
    let state = GrpcState {
        chain: ChainView::new(
            storage,
            wasm,
            QueryGate::new(2, 64, std::time::Duration::from_secs(10)),
        ),
        rpc: CometRpc::new("http://127.0.0.1:9").expect("url"),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let token = tokio_util::sync::CancellationToken::new();
    let channel = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(serve(listener, state, token.clone()));
        tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
            .expect("endpoint")
            .connect()
            .await
            .expect("connect")
    });
    let methods: Vec<&str> = QUERY_PATHS
        .iter()
        .copied()
        .filter(|p| {
            p.starts_with("/cosmos.") || p.starts_with("/cosmwasm.") || p.starts_with("/ibc.")
        })
        .filter(|p| p.matches('/').count() == 2 && !p.ends_with('/'))
        .chain([
            "/cosmos.tx.v1beta1.Service/GetTx",
            "/cosmos.tx.v1beta1.Service/BroadcastTx",
            "/cosmos.tx.v1beta1.Service/GetTxsEvent",
            "/cosmos.base.tendermint.v1beta1.Service/GetLatestBlock",
            "/cosmos.base.tendermint.v1beta1.Service/GetBlockByHeight",
            "/cosmos.base.tendermint.v1beta1.Service/GetSyncing",
            "/cosmos.nope.v1.Query/Nothing",
        ])
        .collect();
    fuzz(
        "grpc_requests",
        budget("grpc_requests", 2_000),
        |rng| {
            let mut input = rng.pick(&methods).as_bytes().to_vec();
            input.push(0);
            let body = if rng.chance(8) {
                rng.bytes(64)
            } else {
                {
                    let i = rng.below(seeds.len());
                    mutate(rng, &seeds[i], &seeds)
                }
            };
            input.extend(body);
            input
        },
        |input| {
            let nul = input.iter().position(|b| *b == 0).expect("nul");
            let path = String::from_utf8_lossy(&input[..nul]).into_owned();
            let body = input[nul + 1..].to_vec();
            let channel = channel.clone();
            runtime.block_on(async move {
                let mut grpc = tonic::client::Grpc::new(channel);
                grpc.ready().await.expect("the connection stays up");
                let path: axum::http::uri::PathAndQuery = path.parse().expect("path");
                let answer = grpc.unary(tonic::Request::new(body), path, RawCodec).await;
                match answer {
                    Ok(_) => "OK".to_string(),
                    Err(status) => {
                        // A broken connection shows as Unknown/Unavailable with a transport
                        // source; every real refusal carries the node's own message.
                        assert!(
                            !status.message().contains("transport error"),
                            "the connection broke: {status:?}"
                        );
                        format!("{:?}", status.code())
                    }
                }
            })
        },
    );
    token.cancel();
}
