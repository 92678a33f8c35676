//! The gRPC server (tonic, h2c) over real HTTP/2 on loopback with the SDK's generated
//! clients, against a committed chain and a CometBFT RPC stub: auth, bank, tx and
//! tendermint services, `x-cosmos-block-height` metadata, UNIMPLEMENTED for the rest.

mod api_support;
mod support;

use api_support::{comet_stub, committed_chain, hash_hex, CometStub, KNOWN_TX};
use cosmos_sdk_proto::cosmos::auth::v1beta1::query_client::QueryClient as AuthClient;
use cosmos_sdk_proto::cosmos::auth::v1beta1::{
    BaseAccount, QueryAccountRequest, QueryModuleAccountsRequest,
};
use cosmos_sdk_proto::cosmos::bank::v1beta1::query_client::QueryClient as BankClient;
use cosmos_sdk_proto::cosmos::bank::v1beta1::{QueryAllBalancesRequest, QueryBalanceRequest};
use cosmos_sdk_proto::cosmos::base::tendermint::v1beta1::service_client::ServiceClient as TmClient;
use cosmos_sdk_proto::cosmos::base::tendermint::v1beta1::{
    GetLatestBlockRequest, GetNodeInfoRequest, GetSyncingRequest,
};
use cosmos_sdk_proto::cosmos::tx::v1beta1::service_client::ServiceClient as TxClient;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{
    BroadcastMode, BroadcastTxRequest, GetTxRequest, GetTxsEventRequest, SimulateRequest,
};
use openledger_node::server::api::ChainView;
use openledger_node::server::cometbft::CometRpc;
use openledger_node::server::grpc::{self, GrpcState};
use prost::Message;
use support::{Fixture, CHAIN_ID, RICH};
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;
use tonic::Code;

struct Grpc {
    channel: Channel,
    stub: CometStub,
    fx: Fixture,
    _stop: tokio_util::sync::DropGuard,
}

async fn start() -> Grpc {
    let fx = Fixture::load();
    let storage = committed_chain(&fx);
    let stub = comet_stub(fx.tx(KNOWN_TX)).await;
    let state = GrpcState {
        chain: ChainView::new(
            storage,
            None,
            openledger_node::server::limits::QueryGate::new(
                2,
                64,
                std::time::Duration::from_secs(10),
            ),
        ),
        rpc: CometRpc::new(&stub.url).expect("rpc url"),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let token = CancellationToken::new();
    tokio::spawn(grpc::serve(listener, state, token.clone()));
    let channel = Channel::from_shared(url)
        .expect("url")
        .connect()
        .await
        .expect("h2c connect");
    Grpc {
        channel,
        stub,
        fx,
        _stop: token.drop_guard(),
    }
}

fn at<T>(message: T, height: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("x-cosmos-block-height", height.parse().expect("metadata"));
    request
}

#[tokio::test]
async fn auth_and_bank_queries_with_heights() {
    let g = start().await;
    let mut auth = AuthClient::new(g.channel.clone());
    let bob = g.fx.address("bob");
    let res = auth
        .account(QueryAccountRequest {
            address: bob.clone(),
        })
        .await
        .expect("account");
    assert_eq!(res.metadata().get("x-cosmos-block-height").unwrap(), "2");
    let any = res.into_inner().account.expect("account");
    assert_eq!(any.type_url, "/cosmos.auth.v1beta1.BaseAccount");
    let account = BaseAccount::decode(any.value.as_slice()).unwrap();
    assert_eq!((account.account_number, account.sequence), (1, 1));

    let old = auth
        .account(at(
            QueryAccountRequest {
                address: bob.clone(),
            },
            "1",
        ))
        .await
        .expect("account at 1");
    assert_eq!(old.metadata().get("x-cosmos-block-height").unwrap(), "1");
    let account = BaseAccount::decode(old.into_inner().account.unwrap().value.as_slice()).unwrap();
    assert_eq!(account.sequence, 0);

    let missing = auth
        .account(QueryAccountRequest {
            address: g.fx.address("carol"),
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound, "{missing:?}");
    let bad = auth
        .account(QueryAccountRequest {
            address: "nope".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
    let future = auth
        .account(at(
            QueryAccountRequest {
                address: bob.clone(),
            },
            "50",
        ))
        .await
        .unwrap_err();
    assert_eq!(future.code(), Code::InvalidArgument);
    let unimplemented = auth
        .module_accounts(QueryModuleAccountsRequest {})
        .await
        .unwrap_err();
    assert_eq!(unimplemented.code(), Code::Unimplemented);

    let mut bank = BankClient::new(g.channel.clone());
    let alice = g.fx.address("alice");
    let balance = bank
        .balance(QueryBalanceRequest {
            address: alice.clone(),
            denom: "uopen".into(),
        })
        .await
        .expect("balance")
        .into_inner()
        .balance
        .expect("present");
    assert_eq!(balance.amount, (RICH + 10).to_string());
    let before = bank
        .balance(at(
            QueryBalanceRequest {
                address: alice.clone(),
                denom: "uopen".into(),
            },
            "1",
        ))
        .await
        .expect("balance at 1")
        .into_inner();
    assert_eq!(before.balance.unwrap().amount, RICH.to_string());
    let all = bank
        .all_balances(QueryAllBalancesRequest {
            address: alice,
            pagination: None,
            resolve_denom: false,
        })
        .await
        .expect("all balances")
        .into_inner();
    assert_eq!(all.balances.len(), 1);
    assert!(all.pagination.is_some());
}

#[tokio::test]
async fn tx_service_simulates_and_forwards_to_cometbft() {
    let g = start().await;
    let mut tx = TxClient::new(g.channel.clone());
    let sim = tx
        .simulate(SimulateRequest {
            tx_bytes: g.fx.tx("simulate_alice_send"),
            ..Default::default()
        })
        .await
        .expect("simulate")
        .into_inner();
    assert!(sim.gas_info.expect("gas info").gas_used > 0);

    let signed = g.fx.tx("alice_send_seq0");
    let b = tx
        .broadcast_tx(BroadcastTxRequest {
            tx_bytes: signed.clone(),
            mode: BroadcastMode::Sync as i32,
        })
        .await
        .expect("broadcast")
        .into_inner()
        .tx_response
        .expect("tx_response");
    assert_eq!((b.code, b.txhash.as_str()), (0, hash_hex(&signed).as_str()));
    assert_eq!(g.stub.calls("broadcast_tx_sync").len(), 1);
    let unspecified = tx
        .broadcast_tx(BroadcastTxRequest {
            tx_bytes: signed,
            mode: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(unspecified.code(), Code::InvalidArgument);

    let known = g.fx.tx(KNOWN_TX);
    let got = tx
        .get_tx(GetTxRequest {
            hash: hash_hex(&known),
        })
        .await
        .expect("get tx")
        .into_inner();
    let response = got.tx_response.expect("tx_response");
    assert_eq!(response.height, 2);
    assert_eq!(response.txhash, hash_hex(&known));
    assert_eq!(
        got.tx.expect("tx").body.expect("body").messages[0].type_url,
        "/cosmos.bank.v1beta1.MsgSend"
    );
    let missing = tx
        .get_tx(GetTxRequest {
            hash: "00".repeat(32),
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);

    let found = tx
        .get_txs_event(GetTxsEventRequest {
            query: format!("tx.hash='{}'", hash_hex(&known)),
            ..Default::default()
        })
        .await
        .expect("search")
        .into_inner();
    assert_eq!((found.total, found.tx_responses.len()), (1, 1));
    let empty = tx
        .get_txs_event(GetTxsEventRequest::default())
        .await
        .unwrap_err();
    assert_eq!(empty.code(), Code::InvalidArgument);
}

#[tokio::test]
async fn tendermint_service_claims_sdk_versions_for_hermes() {
    let g = start().await;
    let mut tm = TmClient::new(g.channel.clone());
    let info = tm
        .get_node_info(GetNodeInfoRequest {})
        .await
        .expect("node info")
        .into_inner();
    assert_eq!(info.default_node_info.expect("node info").network, CHAIN_ID);
    let version = info.application_version.expect("application_version");
    let dep = |path: &str| {
        version
            .build_deps
            .iter()
            .find(|d| d.path == path)
            .map(|d| d.version.clone())
            .unwrap_or_default()
    };
    assert!(dep("github.com/cometbft/cometbft").starts_with("v0.38."));
    assert!(dep("github.com/cosmos/cosmos-sdk").starts_with("v0.50."));
    assert!(dep("github.com/cosmos/ibc-go/v8").starts_with("v8."));

    assert!(
        !tm.get_syncing(GetSyncingRequest {})
            .await
            .expect("syncing")
            .into_inner()
            .syncing
    );
    let block = tm
        .get_latest_block(GetLatestBlockRequest {})
        .await
        .expect("block")
        .into_inner();
    let sdk = block.sdk_block.expect("sdk_block");
    let header = sdk.header.expect("header");
    assert_eq!(header.height, 2);
    assert!(header.proposer_address.starts_with("openvalcons1"));
    assert_eq!(block.block_id.expect("block id").hash, vec![0xBB; 32]);
}

#[tokio::test]
async fn wasm_queries_are_served_through_the_router() {
    use cosmos_sdk_proto::cosmwasm::wasm::v1::query_client::QueryClient as WasmClient;
    use cosmos_sdk_proto::cosmwasm::wasm::v1::{
        QueryCodesRequest, QueryContractInfoRequest, QueryParamsRequest,
    };
    let g = start().await;
    let mut wasm = WasmClient::new(g.channel.clone());
    let codes = wasm
        .codes(QueryCodesRequest { pagination: None })
        .await
        .expect("Codes");
    assert!(codes.metadata().get("x-cosmos-block-height").is_some());
    assert!(codes.into_inner().code_infos.is_empty());
    let params = wasm
        .params(QueryParamsRequest {})
        .await
        .expect("Params")
        .into_inner();
    assert!(params.params.is_some());
    let unknown = wasm
        .contract_info(QueryContractInfoRequest {
            address: g.fx.address("alice"),
        })
        .await
        .expect_err("alice is not a contract");
    assert_eq!(unknown.code(), Code::NotFound, "{unknown}");
    let garbage = wasm
        .contract_info(QueryContractInfoRequest {
            address: "not-an-address".into(),
        })
        .await
        .expect_err("bad address");
    assert_eq!(garbage.code(), Code::InvalidArgument, "{garbage}");
}
