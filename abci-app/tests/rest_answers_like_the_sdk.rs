//! The REST / LCD server over real HTTP on loopback, against a committed chain and a
//! CometBFT RPC stub: grpc-gateway JSON shapes, status codes, historical heights, and the
//! endpoints Keplr calls.

mod api_support;
mod support;

use api_support::{comet_stub, committed_chain, hash_hex, http, CometStub, KNOWN_TX};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use openledger_node::server::api::ChainView;
use openledger_node::server::cometbft::CometRpc;
use openledger_node::server::rest::{self, RestState};
use serde_json::{json, Value};
use support::{Fixture, CHAIN_ID, RICH};
use tokio_util::sync::CancellationToken;

struct Rest {
    base: String,
    stub: CometStub,
    fx: Fixture,
    _stop: tokio_util::sync::DropGuard,
}

async fn start() -> Rest {
    let fx = Fixture::load();
    let storage = committed_chain(&fx);
    let stub = comet_stub(fx.tx(KNOWN_TX)).await;
    let state = RestState {
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
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let token = CancellationToken::new();
    tokio::spawn(rest::serve(listener, state, token.clone()));
    Rest {
        base,
        stub,
        fx,
        _stop: token.drop_guard(),
    }
}

impl Rest {
    async fn get(&self, path: &str) -> api_support::HttpAnswer {
        http("GET", &format!("{}{path}", self.base), &[], None).await
    }
    async fn post(&self, path: &str, body: Value) -> api_support::HttpAnswer {
        http(
            "POST",
            &format!("{}{path}", self.base),
            &[("content-type", "application/json")],
            Some(body),
        )
        .await
    }
}

fn assert_error(answer: &api_support::HttpAnswer, status: u16, code: i64) {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert_eq!(answer.body["code"], code, "{}", answer.body);
    assert!(answer.body["message"]
        .as_str()
        .is_some_and(|m| !m.is_empty()));
    assert_eq!(answer.body["details"], json!([]));
}

#[tokio::test]
async fn accounts_answer_base_accounts_and_404_for_unknown_ones() {
    let r = start().await;
    let bob = r.fx.address("bob");
    let a = r.get(&format!("/cosmos/auth/v1beta1/accounts/{bob}")).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let account = &a.body["account"];
    assert_eq!(account["@type"], "/cosmos.auth.v1beta1.BaseAccount");
    assert_eq!(account["address"], bob.as_str());
    assert_eq!(account["account_number"], "1");
    assert_eq!(account["sequence"], "1", "bob sent one tx");
    assert_eq!(
        account["pub_key"]["@type"],
        "/cosmos.crypto.secp256k1.PubKey"
    );
    let key = B64
        .decode(account["pub_key"]["key"].as_str().unwrap())
        .unwrap();
    assert_eq!(key.len(), 33);
    assert_eq!(a.headers["grpc-metadata-x-cosmos-block-height"], "2");

    // Alice has never signed: pub_key is null, every field still present.
    let alice = r
        .get(&format!(
            "/cosmos/auth/v1beta1/accounts/{}",
            r.fx.address("alice")
        ))
        .await;
    assert_eq!(
        alice.body["account"],
        json!({
            "@type": "/cosmos.auth.v1beta1.BaseAccount",
            "address": r.fx.address("alice"),
            "pub_key": null,
            "account_number": "0",
            "sequence": "0",
        })
    );
    // Bob at height 1: before his first tx.
    let bob_at_1 = http(
        "GET",
        &format!("{}/cosmos/auth/v1beta1/accounts/{bob}", r.base),
        &[("x-cosmos-block-height", "1")],
        None,
    )
    .await;
    assert_eq!(bob_at_1.body["account"]["sequence"], "0");
    assert_eq!(bob_at_1.headers["grpc-metadata-x-cosmos-block-height"], "1");

    // Unknown account: 404 / NotFound (5), which Keplr reads as a new account.
    let carol = r
        .get(&format!(
            "/cosmos/auth/v1beta1/accounts/{}",
            r.fx.address("carol")
        ))
        .await;
    assert_error(&carol, 404, 5);
    assert!(carol.body["message"]
        .as_str()
        .unwrap()
        .contains("not found"));

    assert_error(
        &r.get("/cosmos/auth/v1beta1/accounts/cosmos1notours").await,
        400,
        3,
    );
    let params = r.get("/cosmos/auth/v1beta1/params").await;
    assert_eq!(params.body["params"]["max_memo_characters"], "256");
}

#[tokio::test]
async fn balances_supply_and_historical_heights() {
    let r = start().await;
    let (alice, carol) = (r.fx.address("alice"), r.fx.address("carol"));
    let b = r
        .get(&format!(
            "/cosmos/bank/v1beta1/balances/{alice}?pagination.limit=1000"
        ))
        .await;
    assert_eq!(b.status, 200, "{}", b.body);
    let now = (RICH + 10).to_string();
    assert_eq!(
        b.body["balances"],
        json!([{"denom": "uopen", "amount": now}])
    );
    assert_eq!(b.body["pagination"]["next_key"], Value::Null);
    let empty = r
        .get(&format!("/cosmos/bank/v1beta1/balances/{carol}"))
        .await;
    assert_eq!(empty.body["balances"], json!([]));
    assert_eq!(empty.body["pagination"]["next_key"], Value::Null);

    let by_denom = r
        .get(&format!(
            "/cosmos/bank/v1beta1/balances/{alice}/by_denom?denom=uopen"
        ))
        .await;
    assert_eq!(
        by_denom.body,
        json!({"balance": {"denom": "uopen", "amount": now}})
    );

    let before = http(
        "GET",
        &format!(
            "{}/cosmos/bank/v1beta1/balances/{alice}/by_denom?denom=uopen",
            r.base
        ),
        &[("x-cosmos-block-height", "1")],
        None,
    )
    .await;
    assert_eq!(before.body["balance"]["amount"], RICH.to_string());
    assert_eq!(before.headers["grpc-metadata-x-cosmos-block-height"], "1");
    let future = http(
        "GET",
        &format!(
            "{}/cosmos/bank/v1beta1/balances/{alice}/by_denom?denom=uopen",
            r.base
        ),
        &[("x-cosmos-block-height", "99")],
        None,
    )
    .await;
    assert_error(&future, 400, 3);

    let spendable = r
        .get(&format!("/cosmos/bank/v1beta1/spendable_balances/{alice}"))
        .await;
    assert_eq!(spendable.body["balances"], b.body["balances"]);
    // Keplr's feature probe: spendable_balances/test answers 400.
    assert_error(
        &r.get("/cosmos/bank/v1beta1/spendable_balances/test").await,
        400,
        3,
    );

    let supply = r
        .get("/cosmos/bank/v1beta1/supply/by_denom?denom=uopen")
        .await;
    assert_eq!(supply.body["amount"]["denom"], "uopen");
    let total = r.get("/cosmos/bank/v1beta1/supply").await;
    assert_eq!(total.body["supply"][0]["denom"], "uopen");
    assert_eq!(total.body["pagination"]["next_key"], Value::Null);

    let metadata = r.get("/cosmos/bank/v1beta1/denoms_metadata/uopen").await;
    assert_eq!(metadata.body["metadata"]["base"], "uopen");
    assert!(metadata.body["metadata"]["denom_units"][0]["exponent"].is_number());
    assert_eq!(
        r.get("/cosmos/bank/v1beta1/params").await.body["params"]["default_send_enabled"],
        true
    );
}

#[tokio::test]
async fn simulate_takes_keplrs_tx_bytes() {
    let r = start().await;
    let tx = r.fx.tx("simulate_alice_send");
    let s = r
        .post(
            "/cosmos/tx/v1beta1/simulate",
            json!({"tx_bytes": B64.encode(&tx)}),
        )
        .await;
    assert_eq!(s.status, 200, "{}", s.body);
    let used: u64 = s.body["gas_info"]["gas_used"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(used > 0);
    assert!(s.body["result"]["events"]
        .as_array()
        .is_some_and(|e| !e.is_empty()));
    assert_eq!(
        s.body["result"]["msg_responses"][0]["@type"],
        "/cosmos.bank.v1beta1.MsgSendResponse"
    );

    assert_error(
        &r.post("/cosmos/tx/v1beta1/simulate", json!({})).await,
        400,
        3,
    );
    let bad = r
        .post(
            "/cosmos/tx/v1beta1/simulate",
            json!({"tx_bytes": B64.encode(r.fx.tx("bob_unknown_msg"))}),
        )
        .await;
    assert!(bad.status >= 400, "{}", bad.body);
}

#[tokio::test]
async fn broadcast_and_tx_lookups_go_through_cometbft() {
    let r = start().await;
    let tx = r.fx.tx("alice_send_seq1");
    let b = r
        .post(
            "/cosmos/tx/v1beta1/txs",
            json!({"tx_bytes": B64.encode(&tx), "mode": "BROADCAST_MODE_SYNC"}),
        )
        .await;
    assert_eq!(b.status, 200, "{}", b.body);
    let resp = &b.body["tx_response"];
    assert_eq!(resp["txhash"], hash_hex(&tx));
    assert_eq!(resp["code"], 0);
    assert_eq!(resp["height"], "0");
    assert_eq!(resp["logs"], json!([]));
    assert_eq!(resp["tx"], Value::Null);
    assert_eq!(
        r.stub.calls("broadcast_tx_sync"),
        vec![json!({"tx": B64.encode(&tx)})]
    );
    assert_error(
        &r.post(
            "/cosmos/tx/v1beta1/txs",
            json!({"tx_bytes": B64.encode(&tx)}),
        )
        .await,
        400,
        3,
    );

    let known = r.fx.tx(KNOWN_TX);
    let g = r
        .get(&format!("/cosmos/tx/v1beta1/txs/{}", hash_hex(&known)))
        .await;
    assert_eq!(g.status, 200, "{}", g.body);
    assert_eq!(
        g.body["tx"]["body"]["messages"][0]["@type"],
        "/cosmos.bank.v1beta1.MsgSend"
    );
    assert_eq!(
        g.body["tx"]["body"]["messages"][0]["to_address"],
        r.fx.address("alice")
    );
    assert_eq!(
        g.body["tx"]["auth_info"]["signer_infos"][0]["mode_info"]["single"]["mode"],
        "SIGN_MODE_DIRECT"
    );
    let resp = &g.body["tx_response"];
    assert_eq!(resp["height"], "2");
    assert_eq!(resp["gas_used"], "61234");
    assert_eq!(resp["data"], "12020A00", "hex, as the SDK");
    assert_eq!(resp["timestamp"], "2025-06-15T12:00:01Z");
    assert_eq!(resp["tx"]["@type"], "/cosmos.tx.v1beta1.Tx");
    assert_eq!(resp["events"][0]["attributes"][0]["index"], true);
    // CometBFT's `tx` takes the hash as base64.
    let hash_b64 = B64.encode(hex::decode(hash_hex(&known)).unwrap());
    assert_eq!(r.stub.calls("tx")[0]["hash"], hash_b64);

    let missing = r
        .get(&format!("/cosmos/tx/v1beta1/txs/{}", "AB".repeat(32)))
        .await;
    assert_error(&missing, 404, 5);

    let s = r
        .get("/cosmos/tx/v1beta1/txs?events=message.sender%3D%27open1x%27&events=tx.height%3D2&order_by=ORDER_BY_DESC")
        .await;
    assert_eq!(s.status, 200, "{}", s.body);
    assert_eq!(s.body["total"], "1");
    assert_eq!(s.body["tx_responses"][0]["txhash"], hash_hex(&known));
    assert_eq!(s.body["pagination"], Value::Null);
    let search = &r.stub.calls("tx_search")[0];
    assert_eq!(search["query"], "message.sender='open1x' AND tx.height=2");
    assert_eq!(search["order_by"], "desc");
    assert_eq!(search["per_page"], "100");
    assert_error(&r.get("/cosmos/tx/v1beta1/txs").await, 400, 3);
}

#[tokio::test]
async fn a_body_past_the_limit_is_refused_unread_and_nothing_is_broadcast() {
    let r = start().await;
    // A JSON body just past the limit: a tx_bytes string no tx the chain takes could need.
    let filler = "A".repeat(openledger_node::server::rest::MAX_BODY_BYTES);
    for route in ["/cosmos/tx/v1beta1/txs", "/cosmos/tx/v1beta1/simulate"] {
        let answer = r
            .post(
                route,
                json!({"tx_bytes": filler, "mode": "BROADCAST_MODE_SYNC"}),
            )
            .await;
        assert_error(&answer, 413, 3);
        assert!(
            answer.body["message"]
                .as_str()
                .is_some_and(|m| m.contains("request body larger than")),
            "{}",
            answer.body
        );
    }
    assert!(r.stub.calls("broadcast_tx_sync").is_empty());
    // A body under the limit is still read (and refused for what it says, not its size).
    let answer = r
        .post(
            "/cosmos/tx/v1beta1/txs",
            json!({"tx_bytes": "A".repeat(1 << 20)}),
        )
        .await;
    assert_error(&answer, 400, 3);
}

#[tokio::test]
async fn node_info_and_blocks_come_from_cometbft() {
    let r = start().await;
    let n = r.get("/cosmos/base/tendermint/v1beta1/node_info").await;
    assert_eq!(n.status, 200, "{}", n.body);
    let ni = &n.body["default_node_info"];
    assert_eq!(ni["network"], CHAIN_ID);
    assert_eq!(
        ni["protocol_version"],
        json!({"p2p": "8", "block": "11", "app": "0"})
    );
    assert_eq!(
        ni["channels"],
        B64.encode(hex::decode("40202122233038606100").unwrap())
    );
    assert_eq!(ni["other"]["tx_index"], "on");
    let deps: Vec<&str> = n.body["application_version"]["build_deps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["path"].as_str().unwrap())
        .collect();
    assert!(deps.contains(&"github.com/cometbft/cometbft"));
    assert!(deps.contains(&"github.com/cosmos/cosmos-sdk"));
    assert!(deps.contains(&"github.com/cosmos/ibc-go/v8"));

    assert_eq!(
        r.get("/cosmos/base/tendermint/v1beta1/syncing").await.body,
        json!({"syncing": false})
    );

    let latest = r.get("/cosmos/base/tendermint/v1beta1/blocks/latest").await;
    assert_eq!(latest.status, 200, "{}", latest.body);
    assert_eq!(latest.body["block_id"]["hash"], B64.encode([0xBB; 32]));
    assert_eq!(latest.body["block_id"]["part_set_header"]["total"], 1);
    let header = &latest.body["block"]["header"];
    assert_eq!(header["height"], "2");
    assert_eq!(header["chain_id"], CHAIN_ID);
    assert_eq!(header["app_hash"], B64.encode([5u8; 32]));
    assert_eq!(header["version"], json!({"block": "11", "app": "0"}));
    assert_eq!(
        latest.body["block"]["last_commit"]["signatures"][0]["block_id_flag"],
        "BLOCK_ID_FLAG_COMMIT"
    );
    let proposer = latest.body["sdk_block"]["header"]["proposer_address"]
        .as_str()
        .unwrap();
    assert!(proposer.starts_with("openvalcons1"), "{proposer}");
    assert_eq!(
        latest.body["block"]["data"]["txs"][0],
        B64.encode(r.fx.tx(KNOWN_TX))
    );

    let by_height = r.get("/cosmos/base/tendermint/v1beta1/blocks/2").await;
    assert_eq!(by_height.status, 200);
    assert_eq!(r.stub.calls("block").last().unwrap()["height"], "2");
    assert_error(
        &r.get("/cosmos/base/tendermint/v1beta1/blocks/x").await,
        400,
        3,
    );
}

#[tokio::test]
async fn staking_and_distribution_answer_valid_empty_results() {
    let r = start().await;
    let alice = r.fx.address("alice");
    let d = r
        .get(&format!(
            "/cosmos/staking/v1beta1/delegations/{alice}?pagination.limit=1000"
        ))
        .await;
    assert_eq!(
        d.body,
        json!({"delegation_responses": [], "pagination": {"next_key": null, "total": "0"}})
    );
    let u = r
        .get(&format!(
            "/cosmos/staking/v1beta1/delegators/{alice}/unbonding_delegations"
        ))
        .await;
    assert_eq!(u.body["unbonding_responses"], json!([]));
    let v = r
        .get("/cosmos/staking/v1beta1/validators?pagination.limit=1000&status=BOND_STATUS_BONDED")
        .await;
    assert_eq!(v.body["validators"], json!([]));
    let p = r.get("/cosmos/staking/v1beta1/params").await;
    assert_eq!(p.body["params"]["unbonding_time"], "1814400s");
    // The IBC host keeps this many of its own consensus states for connection handshakes.
    assert_eq!(p.body["params"]["historical_entries"], 10_000);
    assert_eq!(p.body["params"]["bond_denom"], "uopen");
    assert_eq!(
        r.get("/cosmos/staking/v1beta1/pool").await.body["pool"]["bonded_tokens"],
        "0"
    );
    let rewards = r
        .get(&format!(
            "/cosmos/distribution/v1beta1/delegators/{alice}/rewards"
        ))
        .await;
    assert_eq!(rewards.body, json!({"rewards": [], "total": []}));
    assert_eq!(
        r.get("/cosmos/distribution/v1beta1/params").await.body["params"]["withdraw_addr_enabled"],
        true
    );
    assert_error(
        &r.get("/cosmos/staking/v1beta1/delegations/nope").await,
        400,
        3,
    );
}

#[tokio::test]
async fn probes_unknown_routes_and_cors() {
    let r = start().await;
    // Keplr's wasmd_0.24+ probe wants a 400 here.
    assert_error(
        &r.get("/cosmwasm/wasm/v1/contract/test/smart/test").await,
        400,
        3,
    );
    // Keplr's ibc-go / ibc-transfer probes: served, both directions enabled.
    let params = r.get("/ibc/apps/transfer/v1/params").await;
    assert_eq!(params.status, 200, "{}", params.body);
    assert_eq!(
        params.body["params"],
        json!({"send_enabled": true, "receive_enabled": true})
    );
    // ibc-v2 probe (ibc-go v9's `denoms`): this chain speaks ibc-go v8 → not 400.
    assert_error(&r.get("/ibc/apps/transfer/v1/denoms/test").await, 404, 5);
    // An unknown voucher hash is a clear 404, a malformed one a 400.
    let unknown = format!("/ibc/apps/transfer/v1/denom_traces/{}", "A".repeat(64));
    assert_error(&r.get(&unknown).await, 404, 5);
    assert_error(
        &r.get("/ibc/apps/transfer/v1/denom_traces/xyz").await,
        400,
        3,
    );
    // Core IBC routes on a chain without clients or channels: an empty list with the query
    // height, clear 404s for unknown ids (Keplr's voucher-origin lookups) and 400s for bad ones.
    let channels = r.get("/ibc/core/channel/v1/channels").await;
    assert_eq!(channels.status, 200, "{}", channels.body);
    assert_eq!(channels.body["channels"], json!([]));
    assert_eq!(
        channels.body["height"]["revision_height"],
        json!(channels.headers["grpc-metadata-x-cosmos-block-height"]
            .to_str()
            .expect("height header"))
    );
    for unknown in [
        "/ibc/core/channel/v1/channels/channel-0/ports/transfer",
        "/ibc/core/channel/v1/channels/channel-0/ports/transfer/client_state",
        "/ibc/core/client/v1/client_states/07-tendermint-0",
        "/ibc/core/connection/v1/connections/connection-0",
    ] {
        assert_error(&r.get(unknown).await, 404, 5);
    }
    assert_error(
        &r.get("/ibc/core/channel/v1/channels/channel-0/ports/a%20b")
            .await,
        400,
        3,
    );

    let preflight = http(
        "OPTIONS",
        &format!("{}/cosmos/tx/v1beta1/txs", r.base),
        &[
            ("origin", "http://localhost:3000"),
            ("access-control-request-method", "POST"),
            ("access-control-request-headers", "content-type"),
        ],
        None,
    )
    .await;
    assert!(preflight.status < 300, "{}", preflight.status);
    assert!(preflight
        .headers
        .contains_key("access-control-allow-origin"));
    let get = http(
        "GET",
        &format!("{}/cosmos/bank/v1beta1/params", r.base),
        &[("origin", "http://localhost:3000")],
        None,
    )
    .await;
    assert_eq!(get.headers["access-control-allow-origin"], "*");
}
