//! Shared test support: the cosmjs fixture, a genesis matching it, an in-process driver that
//! calls the ABCI handlers in CometBFT's order, and a socket client that plays CometBFT.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use openledger_node::app::genesis::AppState;
use openledger_node::app::App;
use openledger_node::modules::auth::genesis::GenesisAccount;
use openledger_node::modules::bank::genesis::{open_metadata, Balance, GenesisCoin};
use openledger_node::server::abci::AbciService;
use openledger_node::store::Storage;
use prost::Message;
use serde_json::Value;
use tendermint::v0_38::abci::{request, response, Request, Response};
use tendermint_proto::v0_38::abci as pb;

pub const CHAIN_ID: &str = "openledger-test-1";
pub const RICH: u128 = 100_000_000_000;
pub const DAVE_FUNDS: u128 = 10_000;

pub struct Fixture {
    pub json: Value,
}

impl Fixture {
    pub fn load() -> Self {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/cosmjs-txs.json"
        );
        let text = std::fs::read_to_string(path).expect("fixture file");
        Self {
            json: serde_json::from_str(&text).expect("fixture JSON"),
        }
    }

    pub fn address(&self, name: &str) -> String {
        self.json["accounts"][name]["address"]
            .as_str()
            .expect("account address")
            .to_string()
    }

    pub fn tx_entry(&self, name: &str) -> &Value {
        self.json["txs"]
            .as_array()
            .expect("txs")
            .iter()
            .find(|t| t["name"] == name)
            .unwrap_or_else(|| panic!("fixture tx {name}"))
    }

    pub fn tx(&self, name: &str) -> Vec<u8> {
        b64(self.tx_entry(name)["tx_base64"]
            .as_str()
            .expect("tx_base64"))
    }

    pub fn names(&self) -> Vec<String> {
        self.json["txs"]
            .as_array()
            .expect("txs")
            .iter()
            .map(|t| t["name"].as_str().expect("name").to_string())
            .collect()
    }

    /// Genesis the fixture assumes: alice (0), bob (1), dave (2); carol absent.
    pub fn app_state(&self) -> AppState {
        let mut state = AppState::new_chain();
        for name in ["alice", "bob", "dave"] {
            state.auth.accounts.push(GenesisAccount {
                address: self.address(name),
            });
            let amount = if name == "dave" { DAVE_FUNDS } else { RICH };
            state.bank.balances.push(Balance {
                address: self.address(name),
                coins: vec![GenesisCoin {
                    denom: "uopen".into(),
                    amount: amount.to_string(),
                }],
            });
        }
        state.bank.denom_metadata = vec![open_metadata()];
        state
    }
}

pub fn b64(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .expect("base64")
}

pub fn time(secs: i64) -> tendermint::Time {
    tendermint::Time::from_unix_timestamp(1_750_000_000 + secs, 0).expect("time")
}

fn pb_time(secs: i64) -> tendermint_proto::google::protobuf::Timestamp {
    tendermint_proto::google::protobuf::Timestamp {
        seconds: 1_750_000_000 + secs,
        nanos: 0,
    }
}

pub fn consensus_params() -> tendermint::consensus::Params {
    serde_json::from_value(serde_json::json!({
        "block": {"max_bytes": "22020096", "max_gas": "-1", "time_iota_ms": "1000"},
        "evidence": {"max_age_num_blocks": "100000", "max_age_duration": "172800000000000", "max_bytes": "1048576"},
        "validator": {"pub_key_types": ["ed25519"]},
        "version": {"app": "0"},
        "abci": {"vote_extensions_enable_height": "0"}
    }))
    .expect("consensus params")
}

/// Drives an in-process app through the same service CometBFT talks to.
pub struct Driver {
    pub service: AbciService,
    pub height: u64,
}

impl Driver {
    pub fn new(storage: Storage) -> Self {
        let height = storage.latest().map_or(0, |l| l.height);
        Self {
            service: AbciService::new(App::new(storage)),
            height,
        }
    }

    pub fn with_app(app: App) -> Self {
        let height = app.storage().latest().map_or(0, |l| l.height);
        Self {
            service: AbciService::new(app),
            height,
        }
    }

    /// Commit's `retain_height` for the next block (FinalizeBlock + Commit).
    pub fn block_retain_height(&mut self, txs: &[Vec<u8>]) -> u64 {
        self.block_inner(txs).1
    }

    pub fn init_chain(&mut self, app_state: &AppState) -> Vec<u8> {
        self.init_chain_with(app_state, consensus_params())
    }

    pub fn init_chain_with(
        &mut self,
        app_state: &AppState,
        params: tendermint::consensus::Params,
    ) -> Vec<u8> {
        let req = request::InitChain {
            time: time(0),
            chain_id: CHAIN_ID.into(),
            consensus_params: params,
            validators: vec![],
            app_state_bytes: serde_json::to_vec(app_state).expect("json").into(),
            initial_height: 1u32.into(),
        };
        match self.service.handle(Request::InitChain(req)) {
            Response::InitChain(r) => r.app_hash.as_bytes().to_vec(),
            other => panic!("unexpected {other:?}"),
        }
    }

    pub fn check(&mut self, tx: &[u8], recheck: bool) -> response::CheckTx {
        let kind = if recheck {
            request::CheckTxKind::Recheck
        } else {
            request::CheckTxKind::New
        };
        match self.service.handle(Request::CheckTx(request::CheckTx {
            tx: Bytes::copy_from_slice(tx),
            kind,
        })) {
            Response::CheckTx(r) => r,
            other => panic!("unexpected {other:?}"),
        }
    }

    /// FinalizeBlock + Commit of the next height with these txs.
    /// PrepareProposal for the next height: the txs the app would propose.
    pub fn prepare(&mut self, txs: &[Vec<u8>]) -> Vec<Vec<u8>> {
        let req = request::PrepareProposal {
            max_tx_bytes: 22_020_096,
            txs: txs.iter().map(|t| Bytes::copy_from_slice(t)).collect(),
            local_last_commit: None,
            misbehavior: vec![],
            height: (self.height + 1).try_into().expect("height"),
            time: time(self.height as i64 + 1),
            next_validators_hash: tendermint::Hash::Sha256([0; 32]),
            proposer_address: tendermint::account::Id::new([1; 20]),
        };
        match self.service.handle(Request::PrepareProposal(req)) {
            Response::PrepareProposal(r) => r.txs.into_iter().map(|t| t.to_vec()).collect(),
            other => panic!("unexpected {other:?}"),
        }
    }

    /// ProcessProposal of `txs` for the next height: whether the app accepts it.
    pub fn process(&mut self, txs: &[Vec<u8>]) -> bool {
        let req = request::ProcessProposal {
            txs: txs.iter().map(|t| Bytes::copy_from_slice(t)).collect(),
            proposed_last_commit: None,
            misbehavior: vec![],
            hash: tendermint::Hash::Sha256([0; 32]),
            height: (self.height + 1).try_into().expect("height"),
            time: time(self.height as i64 + 1),
            next_validators_hash: tendermint::Hash::Sha256([0; 32]),
            proposer_address: tendermint::account::Id::new([1; 20]),
        };
        match self.service.handle(Request::ProcessProposal(req)) {
            Response::ProcessProposal(r) => r == response::ProcessProposal::Accept,
            other => panic!("unexpected {other:?}"),
        }
    }

    pub fn block(&mut self, txs: &[Vec<u8>]) -> response::FinalizeBlock {
        self.block_inner(txs).0
    }

    fn block_inner(&mut self, txs: &[Vec<u8>]) -> (response::FinalizeBlock, u64) {
        self.height += 1;
        let req = request::FinalizeBlock {
            txs: txs.iter().map(|t| Bytes::copy_from_slice(t)).collect(),
            decided_last_commit: tendermint::abci::types::CommitInfo {
                round: 0u8.into(),
                votes: vec![],
            },
            misbehavior: vec![],
            hash: tendermint::Hash::Sha256([self.height as u8; 32]),
            height: self.height.try_into().expect("height"),
            time: time(self.height as i64),
            next_validators_hash: tendermint::Hash::Sha256([0; 32]),
            proposer_address: tendermint::account::Id::new([1; 20]),
        };
        let res = match self.service.handle(Request::FinalizeBlock(req)) {
            Response::FinalizeBlock(r) => r,
            other => panic!("unexpected {other:?}"),
        };
        let retain = match self.service.handle(Request::Commit) {
            Response::Commit(c) => c.retain_height.value(),
            other => panic!("unexpected {other:?}"),
        };
        (res, retain)
    }

    pub fn query(&mut self, path: &str, data: Vec<u8>) -> response::Query {
        self.query_at(path, data, 0)
    }

    pub fn query_at(&mut self, path: &str, data: Vec<u8>, height: u32) -> response::Query {
        match self.service.handle(Request::Query(request::Query {
            data: data.into(),
            path: path.into(),
            height: height.into(),
            prove: false,
        })) {
            Response::Query(r) => r,
            other => panic!("unexpected {other:?}"),
        }
    }

    pub fn balance(&mut self, address: &str) -> u128 {
        use cosmos_sdk_proto::cosmos::bank::v1beta1::QueryBalanceRequest;
        let res = self.query(
            "/cosmos.bank.v1beta1.Query/Balance",
            QueryBalanceRequest {
                address: address.into(),
                denom: "uopen".into(),
            }
            .encode_to_vec(),
        );
        assert_eq!(res.code.value(), 0, "balance query: {}", res.log);
        decode_balance(&res.value)
    }

    /// (account number, sequence) or `None` when the account does not exist.
    pub fn account(&mut self, address: &str) -> Option<(u64, u64)> {
        use cosmos_sdk_proto::cosmos::auth::v1beta1::{
            BaseAccount, QueryAccountRequest, QueryAccountResponse,
        };
        let res = self.query(
            "/cosmos.auth.v1beta1.Query/Account",
            QueryAccountRequest {
                address: address.into(),
            }
            .encode_to_vec(),
        );
        if res.code.value() != 0 {
            assert_eq!(res.code.value(), 22, "{}", res.log);
            assert!(res.log.contains("NotFound"), "{}", res.log);
            return None;
        }
        let any = QueryAccountResponse::decode(res.value.as_ref())
            .expect("decode")
            .account
            .expect("account");
        let acc = BaseAccount::decode(any.value.as_slice()).expect("base account");
        Some((acc.account_number, acc.sequence))
    }

    pub fn app_hash(&self) -> [u8; 32] {
        self.service_storage().latest().expect("committed").app_hash
    }

    /// A digest of the whole committed state except the block's own bookkeeping (the IBC
    /// host's record of its consensus state, written every block): equal before and after a
    /// block exactly when the block's txs changed nothing.
    pub fn state_digest(&self) -> [u8; 32] {
        use openledger_node::modules::ibc::context::HOST_CONSENSUS_PREFIX;
        use openledger_node::store::StateRead;
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        for (key, value) in
            self.service_storage()
                .latest_snapshot()
                .scan_prefix(b"", None, usize::MAX)
        {
            if key.starts_with(HOST_CONSENSUS_PREFIX) {
                continue;
            }
            hasher.update((key.len() as u64).to_be_bytes());
            hasher.update(&key);
            hasher.update((value.len() as u64).to_be_bytes());
            hasher.update(&value);
        }
        hasher.finalize().into()
    }

    fn service_storage(&self) -> &Storage {
        self.service.app().storage()
    }
}

/// A blocking ABCI client that speaks CometBFT's v0.38 socket protocol: uvarint-delimited
/// protobuf, a `Flush` after every request, responses in order.
pub struct SocketClient {
    stream: TcpStream,
}

impl SocketClient {
    pub fn connect(addr: &str) -> std::io::Result<Self> {
        let stream = TcpStream::connect(addr)?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        stream.set_nodelay(true)?;
        Ok(Self { stream })
    }

    pub fn connect_retry(addr: &str, attempts: u32) -> Self {
        for _ in 0..attempts {
            if let Ok(c) = Self::connect(addr) {
                return c;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("could not connect to {addr}");
    }

    fn send(&mut self, value: pb::request::Value) -> std::io::Result<()> {
        let msg = pb::Request { value: Some(value) };
        let mut buf = Vec::new();
        prost::encoding::encode_varint(msg.encoded_len() as u64, &mut buf);
        msg.encode(&mut buf).expect("encode");
        self.stream.write_all(&buf)
    }

    fn recv(&mut self) -> std::io::Result<pb::Response> {
        let mut len: u64 = 0;
        let mut shift = 0;
        loop {
            let mut byte = [0u8; 1];
            self.stream.read_exact(&mut byte)?;
            len |= u64::from(byte[0] & 0x7f) << shift;
            if byte[0] & 0x80 == 0 {
                break;
            }
            shift += 7;
        }
        let mut body = vec![0u8; len as usize];
        self.stream.read_exact(&mut body)?;
        pb::Response::decode(body.as_slice())
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
    }

    /// One synchronous call: request, Flush, response, Flush response.
    pub fn call(&mut self, value: pb::request::Value) -> std::io::Result<pb::response::Value> {
        self.send(value)?;
        self.send(pb::request::Value::Flush(pb::RequestFlush {}))?;
        let res = self.recv()?.value.expect("response value");
        let flush = self.recv()?.value;
        assert!(
            matches!(flush, Some(pb::response::Value::Flush(_))),
            "expected Flush, got {flush:?}"
        );
        if let pb::response::Value::Exception(e) = &res {
            panic!("app answered with an exception: {}", e.error);
        }
        Ok(res)
    }

    /// Pipelined requests (as CometBFT's async CheckTx), then one Flush; responses in order.
    pub fn pipeline(
        &mut self,
        values: Vec<pb::request::Value>,
    ) -> std::io::Result<Vec<pb::response::Value>> {
        let n = values.len();
        for v in values {
            self.send(v)?;
        }
        self.send(pb::request::Value::Flush(pb::RequestFlush {}))?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(self.recv()?.value.expect("response value"));
        }
        assert!(matches!(
            self.recv()?.value,
            Some(pb::response::Value::Flush(_))
        ));
        Ok(out)
    }
}

/// The four connections, dialled in CometBFT's order: query, snapshot, mempool, consensus.
pub struct Comet {
    pub query: SocketClient,
    pub snapshot: SocketClient,
    pub mempool: SocketClient,
    pub consensus: SocketClient,
    pub height: i64,
}

impl Comet {
    pub fn connect(addr: &str) -> Self {
        let query = SocketClient::connect_retry(addr, 300);
        let snapshot = SocketClient::connect_retry(addr, 10);
        let mempool = SocketClient::connect_retry(addr, 10);
        let consensus = SocketClient::connect_retry(addr, 10);
        Self {
            query,
            snapshot,
            mempool,
            consensus,
            height: 0,
        }
    }

    pub fn info(&mut self) -> pb::ResponseInfo {
        match self
            .query
            .call(pb::request::Value::Info(pb::RequestInfo {
                version: "0.38.26".into(),
                block_version: 11,
                p2p_version: 8,
                abci_version: "2.0.0".into(),
            }))
            .expect("info")
        {
            pb::response::Value::Info(i) => i,
            other => panic!("unexpected {other:?}"),
        }
    }

    pub fn init_chain(&mut self, app_state: &AppState) -> Vec<u8> {
        let params: tendermint_proto::v0_38::types::ConsensusParams = consensus_params().into();
        match self
            .consensus
            .call(pb::request::Value::InitChain(pb::RequestInitChain {
                time: Some(pb_time(0)),
                chain_id: CHAIN_ID.into(),
                consensus_params: Some(params),
                validators: vec![],
                app_state_bytes: serde_json::to_vec(app_state).expect("json").into(),
                initial_height: 1,
            }))
            .expect("init chain")
        {
            pb::response::Value::InitChain(r) => r.app_hash.to_vec(),
            other => panic!("unexpected {other:?}"),
        }
    }

    pub fn check_tx(&mut self, tx: &[u8], recheck: bool) -> pb::ResponseCheckTx {
        match self
            .mempool
            .call(check_tx_request(tx, recheck))
            .expect("check tx")
        {
            pb::response::Value::CheckTx(r) => r,
            other => panic!("unexpected {other:?}"),
        }
    }

    fn commit_info() -> pb::CommitInfo {
        pb::CommitInfo {
            round: 0,
            votes: vec![],
        }
    }

    /// PrepareProposal → ProcessProposal → FinalizeBlock (no Commit).
    pub fn propose_and_finalize(
        &mut self,
        txs: Vec<Vec<u8>>,
    ) -> (Vec<Vec<u8>>, pb::ResponseFinalizeBlock) {
        let height = self.height + 1;
        let prepared = match self
            .consensus
            .call(pb::request::Value::PrepareProposal(
                pb::RequestPrepareProposal {
                    max_tx_bytes: 1_048_576,
                    txs: txs.into_iter().map(Into::into).collect(),
                    local_last_commit: Some(pb::ExtendedCommitInfo {
                        round: 0,
                        votes: vec![],
                    }),
                    misbehavior: vec![],
                    height,
                    time: Some(pb_time(height)),
                    next_validators_hash: vec![0; 32].into(),
                    proposer_address: vec![1; 20].into(),
                },
            ))
            .expect("prepare")
        {
            pb::response::Value::PrepareProposal(r) => r.txs,
            other => panic!("unexpected {other:?}"),
        };
        match self
            .consensus
            .call(pb::request::Value::ProcessProposal(
                pb::RequestProcessProposal {
                    txs: prepared.clone(),
                    proposed_last_commit: Some(Self::commit_info()),
                    misbehavior: vec![],
                    hash: vec![height as u8; 32].into(),
                    height,
                    time: Some(pb_time(height)),
                    next_validators_hash: vec![0; 32].into(),
                    proposer_address: vec![1; 20].into(),
                },
            ))
            .expect("process")
        {
            pb::response::Value::ProcessProposal(r) => {
                assert_eq!(
                    r.status,
                    pb::response_process_proposal::ProposalStatus::Accept as i32
                )
            }
            other => panic!("unexpected {other:?}"),
        }
        let finalized = self.finalize(height, prepared.iter().map(|t| t.to_vec()).collect());
        (
            prepared.into_iter().map(|t| t.to_vec()).collect(),
            finalized,
        )
    }

    pub fn finalize(&mut self, height: i64, txs: Vec<Vec<u8>>) -> pb::ResponseFinalizeBlock {
        match self
            .consensus
            .call(pb::request::Value::FinalizeBlock(
                pb::RequestFinalizeBlock {
                    txs: txs.into_iter().map(Into::into).collect(),
                    decided_last_commit: Some(Self::commit_info()),
                    misbehavior: vec![],
                    hash: vec![height as u8; 32].into(),
                    height,
                    time: Some(pb_time(height)),
                    next_validators_hash: vec![0; 32].into(),
                    proposer_address: vec![1; 20].into(),
                },
            ))
            .expect("finalize")
        {
            pb::response::Value::FinalizeBlock(r) => r,
            other => panic!("unexpected {other:?}"),
        }
    }

    pub fn commit(&mut self) {
        match self
            .consensus
            .call(pb::request::Value::Commit(pb::RequestCommit {}))
            .expect("commit")
        {
            pb::response::Value::Commit(_) => self.height += 1,
            other => panic!("unexpected {other:?}"),
        }
    }

    pub fn query(
        &mut self,
        path: &str,
        data: Vec<u8>,
        height: i64,
        prove: bool,
    ) -> pb::ResponseQuery {
        match self
            .query
            .call(pb::request::Value::Query(pb::RequestQuery {
                data: data.into(),
                path: path.into(),
                height,
                prove,
            }))
            .expect("query")
        {
            pb::response::Value::Query(r) => r,
            other => panic!("unexpected {other:?}"),
        }
    }

    pub fn balance(&mut self, address: &str) -> u128 {
        use cosmos_sdk_proto::cosmos::bank::v1beta1::QueryBalanceRequest;
        let res = self.query(
            "/cosmos.bank.v1beta1.Query/Balance",
            QueryBalanceRequest {
                address: address.into(),
                denom: "uopen".into(),
            }
            .encode_to_vec(),
            0,
            false,
        );
        assert_eq!(res.code, 0, "{}", res.log);
        decode_balance(&res.value)
    }
}

/// The uopen amount in a `QueryBalanceResponse`.
pub fn decode_balance(value: &[u8]) -> u128 {
    use cosmos_sdk_proto::cosmos::bank::v1beta1::QueryBalanceResponse;
    QueryBalanceResponse::decode(value)
        .expect("decode")
        .balance
        .expect("balance present")
        .amount
        .parse()
        .expect("amount")
}

pub fn check_tx_request(tx: &[u8], recheck: bool) -> pb::request::Value {
    pb::request::Value::CheckTx(pb::RequestCheckTx {
        tx: tx.to_vec().into(),
        r#type: if recheck {
            pb::CheckTxType::Recheck as i32
        } else {
            pb::CheckTxType::New as i32
        },
    })
}

/// A new chain's genesis with these accounts, each holding `uopen` of OPEN base units.
pub fn funded_genesis(signers: &[&openledger_node::signer::Signer], uopen: u128) -> AppState {
    let mut state = AppState::new_chain();
    for s in signers {
        state.auth.accounts.push(GenesisAccount {
            address: s.address.clone(),
        });
        state.bank.balances.push(Balance {
            address: s.address.clone(),
            coins: vec![GenesisCoin {
                denom: "uopen".into(),
                amount: uopen.to_string(),
            }],
        });
    }
    state
}

/// The `openledgerd` binary under test, started on a home initialised for the fixture.
pub struct NodeProcess {
    pub child: std::process::Child,
    pub addr: String,
    pub home: std::path::PathBuf,
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

impl NodeProcess {
    pub fn init_home(home: &std::path::Path, app_state: &AppState) {
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_openledgerd"))
            .args(["init", "--chain-id", CHAIN_ID, "--home"])
            .arg(home)
            .status()
            .expect("run init");
        assert!(status.success());
        let genesis_path = home.join("config/genesis.json");
        let mut genesis: Value =
            serde_json::from_str(&std::fs::read_to_string(&genesis_path).expect("genesis"))
                .expect("genesis json");
        genesis["app_state"] = serde_json::to_value(app_state).expect("app state");
        std::fs::write(
            &genesis_path,
            serde_json::to_vec_pretty(&genesis).expect("json"),
        )
        .expect("write genesis");
    }

    pub fn start(home: &std::path::Path) -> Self {
        Self::start_with(home, &[])
    }

    /// `openledgerd start` with more arguments (e.g. `--rest-addr`).
    pub fn start_with(home: &std::path::Path, args: &[&str]) -> Self {
        let addr = format!("127.0.0.1:{}", free_port());
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_openledgerd"))
            .args(["start", "--home"])
            .arg(home)
            .args(["--abci-addr", &addr])
            .args(args)
            .env("RUST_LOG", "warn")
            .spawn()
            .expect("spawn openledgerd");
        Self {
            child,
            addr,
            home: home.to_path_buf(),
        }
    }

    /// SIGKILL: no chance to flush or clean up.
    pub fn kill9(mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("wait");
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
