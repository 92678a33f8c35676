//! `openledgerd dev` on real CometBFT, read through its gRPC server with the SDK's generated
//! clients (the calls Hermes and gRPC frontends make): node info from CometBFT plus our
//! build deps, accounts, a simulated then broadcast send found again by hash and by events,
//! and a balance read at the height before the send through `x-cosmos-block-height`.

mod support;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cosmos_sdk_proto::cosmos::auth::v1beta1::query_client::QueryClient as AuthClient;
use cosmos_sdk_proto::cosmos::auth::v1beta1::{BaseAccount, QueryAccountRequest};
use cosmos_sdk_proto::cosmos::bank::v1beta1::query_client::QueryClient as BankClient;
use cosmos_sdk_proto::cosmos::bank::v1beta1::{MsgSend, QueryBalanceRequest};
use cosmos_sdk_proto::cosmos::base::tendermint::v1beta1::service_client::ServiceClient as TmClient;
use cosmos_sdk_proto::cosmos::base::tendermint::v1beta1::{
    GetLatestBlockRequest, GetNodeInfoRequest,
};
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin;
use cosmos_sdk_proto::cosmos::tx::v1beta1::service_client::ServiceClient as TxClient;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{
    BroadcastMode, BroadcastTxRequest, GetTxRequest, GetTxsEventRequest, SimulateRequest,
};
use cosmos_sdk_proto::Any;
use openledger_node::signer::Signer;
use prost::{Message, Name};
use support::free_port;
use tonic::transport::Channel;

const CHAIN_ID: &str = "openledger-dev-1";

/// The dev chain as a child process; SIGTERM on drop so CometBFT is stopped too.
struct DevChain {
    child: Child,
}

impl DevChain {
    fn start(home: &Path, ports: [u16; 5], fund: &str) -> Self {
        let [rpc, p2p, abci, rest, grpc] = ports.map(|p| p.to_string());
        let log = std::fs::File::create(home.with_extension("log")).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_openledgerd"))
            .args([
                "dev",
                "--no-contracts",
                "--reset",
                "--block-time",
                "200ms",
                "--home",
            ])
            .arg(home)
            .args(["--rpc-port", &rpc, "--p2p-port", &p2p, "--abci-port", &abci])
            .args(["--rest-port", &rest, "--grpc-port", &grpc])
            .args(["--fund", fund])
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("spawn openledgerd dev");
        Self { child }
    }

    fn wait_running(&mut self, log: &Path) {
        let start = Instant::now();
        loop {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            if text.contains("is running") {
                return;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("openledgerd dev exited ({status}):\n{text}");
            }
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "dev chain did not start in 120 s:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for DevChain {
    fn drop(&mut self) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn with_height<T>(message: T, height: u64) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("x-cosmos-block-height", height.to_string().parse().unwrap());
    request
}

#[test]
fn dev_chain_serves_auth_bank_tx_and_tendermint_over_grpc() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("dev");
    let signer = Signer::from_secret(&[7u8; 32]).unwrap();
    let recipient = Signer::from_secret(&[8u8; 32]).unwrap().address;
    let ports = [(); 5].map(|_| free_port());
    let mut chain = DevChain::start(&home, ports, &format!("{}=5000000uopen", signer.address));
    chain.wait_running(&home.with_extension("log"));

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let channel = Channel::from_shared(format!("http://127.0.0.1:{}", ports[4]))
            .unwrap()
            .connect()
            .await
            .expect("gRPC (h2c) connects");
        let mut tm = TmClient::new(channel.clone());
        let mut auth = AuthClient::new(channel.clone());
        let mut bank = BankClient::new(channel.clone());
        let mut txs = TxClient::new(channel);

        let info = tm
            .get_node_info(GetNodeInfoRequest {})
            .await
            .expect("GetNodeInfo")
            .into_inner();
        let node = info.default_node_info.expect("default_node_info");
        assert_eq!(node.network, CHAIN_ID);
        assert!(node.version.starts_with("0.38."), "{}", node.version);
        let deps = info
            .application_version
            .expect("application_version")
            .build_deps;
        assert!(deps
            .iter()
            .any(|m| m.path == "github.com/cometbft/cometbft"));
        let latest = tm
            .get_latest_block(GetLatestBlockRequest {})
            .await
            .expect("GetLatestBlock")
            .into_inner();
        assert!(
            latest
                .sdk_block
                .expect("sdk_block")
                .header
                .expect("header")
                .height
                >= 1
        );

        let account = auth
            .account(QueryAccountRequest {
                address: signer.address.clone(),
            })
            .await
            .expect("funded account")
            .into_inner()
            .account
            .expect("account");
        assert_eq!(account.type_url, BaseAccount::type_url());
        let account = BaseAccount::decode(account.value.as_slice()).unwrap();
        assert_eq!(account.sequence, 0);
        let unknown = auth
            .account(QueryAccountRequest {
                address: recipient.clone(),
            })
            .await
            .expect_err("unknown account");
        assert_eq!(unknown.code(), tonic::Code::NotFound);

        let send = MsgSend {
            from_address: signer.address.clone(),
            to_address: recipient.clone(),
            amount: vec![Coin {
                denom: "uopen".into(),
                amount: "1234".into(),
            }],
        };
        let tx = signer.sign_direct(
            CHAIN_ID,
            account.account_number,
            0,
            vec![Any::from_msg(&send).unwrap()],
            vec![Coin {
                denom: "uopen".into(),
                amount: "5000".into(),
            }],
            200_000,
            "grpc",
        );
        #[allow(deprecated)] // `tx` is deprecated in favour of `tx_bytes`, which is what we send.
        let simulated = txs
            .simulate(SimulateRequest {
                tx: None,
                tx_bytes: tx.clone(),
            })
            .await
            .expect("Simulate")
            .into_inner();
        let gas_used = simulated.gas_info.expect("gas_info").gas_used;
        assert!((20_000..200_000).contains(&gas_used), "gas_used {gas_used}");

        let sync = txs
            .broadcast_tx(BroadcastTxRequest {
                tx_bytes: tx.clone(),
                mode: BroadcastMode::Sync as i32,
            })
            .await
            .expect("BroadcastTx")
            .into_inner()
            .tx_response
            .expect("tx_response");
        assert_eq!(sync.code, 0, "{}", sync.raw_log);
        let hash = sync.txhash.clone();

        let deadline = Instant::now() + Duration::from_secs(30);
        let found = loop {
            match txs.get_tx(GetTxRequest { hash: hash.clone() }).await {
                Ok(found) => break found.into_inner(),
                Err(status) => {
                    assert_eq!(status.code(), tonic::Code::NotFound, "{status}");
                    assert!(Instant::now() < deadline, "tx {hash} never committed");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        };
        let included = found.tx_response.expect("tx_response");
        assert_eq!(included.code, 0);
        assert_eq!(included.txhash, hash);
        assert!(included.height > 1);
        assert_eq!(found.tx.expect("tx").body.expect("body").memo, "grpc");

        let by_sender = txs
            .get_txs_event(GetTxsEventRequest {
                query: format!("message.sender='{}'", signer.address),
                limit: 10,
                ..Default::default()
            })
            .await
            .expect("GetTxsEvent")
            .into_inner();
        assert!(by_sender.tx_responses.iter().any(|r| r.txhash == hash));

        let balance_at = |height: Option<u64>| {
            let mut bank = bank.clone();
            let request = QueryBalanceRequest {
                address: recipient.clone(),
                denom: "uopen".into(),
            };
            async move {
                let request = match height {
                    Some(h) => with_height(request, h),
                    None => tonic::Request::new(request),
                };
                let answer = bank.balance(request).await.expect("Balance");
                let served_at = answer
                    .metadata()
                    .get("x-cosmos-block-height")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<u64>().ok())
                    .expect("answer names its height");
                let coin = answer.into_inner().balance.expect("balance");
                (coin.amount, served_at)
            }
        };
        let height = included.height as u64;
        assert_eq!(balance_at(None).await.0, "1234");
        assert_eq!(balance_at(Some(height)).await, ("1234".to_string(), height));
        assert_eq!(
            balance_at(Some(height - 1)).await,
            ("0".to_string(), height - 1)
        );
        bank.balance(QueryBalanceRequest {
            address: "open1notanaddress".into(),
            denom: "uopen".into(),
        })
        .await
        .expect_err("bad address is refused");
    });
}
