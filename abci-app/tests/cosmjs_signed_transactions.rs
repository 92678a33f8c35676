//! Real cosmjs-signed transactions (DIRECT and amino) through CheckTx and FinalizeBlock, with
//! the SDK's result codes, events, TxMsgData and exact balances.

mod support;

use cosmos_sdk_proto::cosmos::base::abci::v1beta1::TxMsgData;
use cosmos_sdk_proto::cosmos::tx::v1beta1::SimulateResponse;
use openledger_node::crypto;
use openledger_node::modules::auth::FEE_COLLECTOR;
use openledger_node::store::Storage;
use prost::Message;
use support::{b64, Driver, Fixture, DAVE_FUNDS, RICH};

const FEE: u128 = 5000;

fn chain(fx: &Fixture) -> Driver {
    let mut d = Driver::new(Storage::in_memory().unwrap());
    d.init_chain(&fx.app_state());
    d.block(&[]);
    d
}

#[test]
fn valid_direct_amino_and_multisend_txs_execute_with_exact_balances() {
    let fx = Fixture::load();
    let mut d = chain(&fx);
    let (alice, bob, carol) = (fx.address("alice"), fx.address("bob"), fx.address("carol"));
    assert_eq!(d.account(&carol), None, "carol is fresh: NotFound");
    assert_eq!(d.balance(&carol), 0);

    let names = [
        "alice_send_seq0",
        "alice_send_seq1",
        "alice_amino_send_seq2",
        "alice_multisend_seq3",
        "bob_send_seq0",
        "bob_send_seq1",
    ];
    for name in names {
        let res = d.check(&fx.tx(name), false);
        assert_eq!(res.code.value(), 0, "{name}: {}", res.log);
    }
    let txs: Vec<Vec<u8>> = names.iter().map(|n| fx.tx(n)).collect();
    let res = d.block(&txs);
    assert_eq!(res.tx_results.len(), names.len());
    for (name, r) in names.iter().zip(&res.tx_results) {
        assert_eq!(r.code.value(), 0, "{name}: {}", r.log);
        assert_eq!(r.log, "", "{name}: success log must be empty for cosmjs");
        assert!(
            r.gas_used > 0 && r.gas_used <= r.gas_wanted,
            "{name}: gas {r:?}"
        );
        let data = TxMsgData::decode(r.data.as_ref()).unwrap();
        let expected = if name.contains("multisend") {
            "/cosmos.bank.v1beta1.MsgMultiSendResponse"
        } else {
            "/cosmos.bank.v1beta1.MsgSendResponse"
        };
        assert_eq!(data.msg_responses[0].type_url, expected, "{name}");
        let kinds: Vec<&str> = r.events.iter().map(|e| e.kind.as_str()).collect();
        assert!(
            kinds.contains(&"transfer") && kinds.contains(&"tx") && kinds.contains(&"message"),
            "{name}: {kinds:?}"
        );
        assert!(r
            .events
            .iter()
            .all(|e| e.attributes.iter().all(|a| a.index())));
    }
    assert_eq!(
        d.balance(&alice),
        RICH - 1_000_000 - 2000 - 3000 - 5000 - 4 * FEE + 10 + 20
    );
    assert_eq!(
        d.balance(&bob),
        RICH + 2000 + 3000 + 2000 - 10 - 20 - 2 * FEE
    );
    assert_eq!(d.balance(&carol), 1_000_000 + 3000);
    let collector = crypto::account_to_bech32(&crypto::module_address(FEE_COLLECTOR));
    assert_eq!(d.balance(&collector), 6 * FEE);
    assert_eq!(d.account(&alice), Some((0, 4)));
    assert_eq!(d.account(&bob), Some((1, 2)));
    // Genesis accounts 0..=2, the fee collector 3, then carol on first receipt.
    assert_eq!(d.account(&carol), Some((4, 0)));
}

#[test]
fn mempool_accepts_a_sequence_run_and_rechecks_after_commit() {
    let fx = Fixture::load();
    let mut d = chain(&fx);
    assert_eq!(d.check(&fx.tx("bob_send_seq0"), false).code.value(), 0);
    assert_eq!(d.check(&fx.tx("bob_send_seq1"), false).code.value(), 0);
    // The same tx again now has a stale sequence in the check state.
    let again = d.check(&fx.tx("bob_send_seq0"), false);
    assert_eq!((again.code.value(), again.codespace.as_str()), (32, "sdk"));
    // Only seq 0 makes it into the block; after Commit, seq 1 rechecks fine and seq 0 does not.
    d.block(&[fx.tx("bob_send_seq0")]);
    assert_eq!(d.check(&fx.tx("bob_send_seq1"), true).code.value(), 0);
    assert_eq!(d.check(&fx.tx("bob_send_seq0"), true).code.value(), 32);
}

/// Each rejection: the expected code from CheckTx and from FinalizeBlock, and the app hash
/// after the block equals the hash before it (nothing changed, not even a fee or sequence).
#[test]
fn every_rejected_tx_has_its_sdk_code_and_changes_nothing() {
    let fx = Fixture::load();
    let cases = [
        ("bob_wrong_chain_id", 4, "signature verification failed"),
        ("bob_bad_signature", 4, "signature verification failed"),
        (
            "bob_wrong_sequence",
            32,
            "account sequence mismatch, expected 0, got 7",
        ),
        ("bob_insufficient_fee", 13, "insufficient fees"),
        ("bob_out_of_gas", 11, "out of gas"),
        ("bob_memo_too_long", 12, "memo too large"),
        (
            "bob_unknown_msg",
            2,
            "unable to resolve type URL /cosmos.gov.v1beta1.MsgVote",
        ),
    ];
    for (name, code, text) in cases {
        let mut d = chain(&fx);
        let bob = fx.address("bob");
        let before = d.state_digest();
        let check = d.check(&fx.tx(name), false);
        assert_eq!(
            (check.code.value(), check.codespace.as_str()),
            (code, "sdk"),
            "{name}: {}",
            check.log
        );
        assert!(check.log.contains(text), "{name}: {}", check.log);
        let res = d.block(&[fx.tx(name)]);
        let r = &res.tx_results[0];
        assert_eq!(
            (r.code.value(), r.codespace.as_str()),
            (code, "sdk"),
            "{name}: {}",
            r.log
        );
        assert!(r.data.is_empty());
        assert_eq!(d.state_digest(), before, "{name} changed state");
        assert_eq!(d.balance(&bob), RICH, "{name}");
        assert_eq!(d.account(&bob), Some((1, 0)), "{name}");
    }
}

#[test]
fn failed_message_keeps_the_fee_and_sequence_but_nothing_else() {
    let fx = Fixture::load();
    let mut d = chain(&fx);
    let (alice, dave) = (fx.address("alice"), fx.address("dave"));
    let tx = fx.tx("dave_insufficient_funds");
    assert_eq!(d.check(&tx, false).code.value(), 0, "the ante passes");
    let res = d.block(&[tx]);
    let r = &res.tx_results[0];
    assert_eq!(
        (r.code.value(), r.codespace.as_str()),
        (5, "sdk"),
        "{}",
        r.log
    );
    assert!(r.log.contains("insufficient funds"), "{}", r.log);
    assert!(r.events.iter().any(|e| e.kind == "tx"), "ante events stay");
    assert!(!r.events.iter().any(|e| e.kind == "transfer"
        && e.attributes
            .iter()
            .any(|a| a.value_str().ok() == Some(alice.as_str()))));
    assert_eq!(d.balance(&dave), DAVE_FUNDS - FEE);
    assert_eq!(d.account(&dave), Some((2, 1)));
    assert_eq!(d.balance(&alice), RICH);
}

#[test]
fn malformed_bytes_are_refused_with_code_2_and_change_nothing() {
    let fx = Fixture::load();
    let mut d = chain(&fx);
    let before = d.state_digest();
    let mut truncated = fx.tx("alice_send_seq0");
    truncated.truncate(truncated.len() / 2);
    for bad in [vec![], vec![0xff; 7], b"not a tx".to_vec(), truncated] {
        let check = d.check(&bad, false);
        assert_ne!(check.code.value(), 0);
        let res = d.block(&[bad]);
        assert_ne!(res.tx_results[0].code.value(), 0);
        assert_eq!(d.state_digest(), before);
    }
    let check = d.check(&[], false);
    assert_eq!(
        check.code.value(),
        18,
        "a body without messages: {}",
        check.log
    );
}

#[test]
fn simulate_accepts_cosmjs_unsigned_simulation_tx() {
    let fx = Fixture::load();
    let mut d = chain(&fx);
    let entry = fx.tx_entry("simulate_alice_send");
    let request = b64(entry["simulate_request_base64"].as_str().unwrap());
    let res = d.query(entry["simulate_path"].as_str().unwrap(), request);
    assert_eq!(res.code.value(), 0, "{}", res.log);
    assert!(res.height.value() > 0);
    let sim = SimulateResponse::decode(res.value.as_ref()).unwrap();
    let gas_used = sim.gas_info.unwrap().gas_used;
    // A real alice→bob send (an existing recipient, like the simulated one) costs about the
    // same: cosmjs's 1.4× margin must cover it.
    let res = d.block(&[fx.tx("alice_send_seq0"), fx.tx("alice_send_seq1")]);
    let real = res.tx_results[1].gas_used as u64;
    assert!(
        gas_used > 0 && real as f64 <= gas_used as f64 * 1.4,
        "sim {gas_used} real {real}"
    );
    assert_eq!(
        sim.result.unwrap().msg_responses[0].type_url,
        "/cosmos.bank.v1beta1.MsgSendResponse"
    );
    // Simulation changed nothing: alice's sequence was still 0 for the real txs.
    assert_eq!(d.account(&fx.address("alice")), Some((0, 2)));
}

#[test]
fn queries_answer_like_the_sdk() {
    use cosmos_sdk_proto::cosmos::bank::v1beta1::{
        QueryAllBalancesRequest, QueryAllBalancesResponse, QueryDenomMetadataRequest,
        QuerySupplyOfRequest, QuerySupplyOfResponse, QueryTotalSupplyRequest,
        QueryTotalSupplyResponse,
    };
    use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
    let fx = Fixture::load();
    let mut d = chain(&fx);
    let res = d.query("/no.such.Query/Method", vec![]);
    assert_eq!((res.code.value(), res.codespace.as_str()), (6, "sdk"));
    let res = d.query(
        "/cosmos.bank.v1beta1.Query/SupplyOf",
        QuerySupplyOfRequest {
            denom: "uopen".into(),
        }
        .encode_to_vec(),
    );
    let supply = QuerySupplyOfResponse::decode(res.value.as_ref())
        .unwrap()
        .amount
        .unwrap();
    assert_eq!(supply.amount, (2 * RICH + DAVE_FUNDS).to_string());
    let res = d.query(
        "/cosmos.bank.v1beta1.Query/TotalSupply",
        QueryTotalSupplyRequest { pagination: None }.encode_to_vec(),
    );
    let total = QueryTotalSupplyResponse::decode(res.value.as_ref()).unwrap();
    assert_eq!(total.supply.len(), 1);
    assert!(total.pagination.unwrap().next_key.is_empty());
    let res = d.query(
        "/cosmos.bank.v1beta1.Query/AllBalances",
        QueryAllBalancesRequest {
            address: fx.address("dave"),
            pagination: Some(PageRequest {
                limit: 1,
                count_total: true,
                ..Default::default()
            }),
            resolve_denom: false,
        }
        .encode_to_vec(),
    );
    let all = QueryAllBalancesResponse::decode(res.value.as_ref()).unwrap();
    assert_eq!(all.balances.len(), 1);
    assert_eq!(all.pagination.unwrap().total, 1);
    let res = d.query(
        "/cosmos.bank.v1beta1.Query/DenomMetadata",
        QueryDenomMetadataRequest {
            denom: "uopen".into(),
        }
        .encode_to_vec(),
    );
    assert_eq!(res.code.value(), 0, "{}", res.log);
    let res = d.query(
        "/cosmos.auth.v1beta1.Query/Account",
        cosmos_sdk_proto::cosmos::auth::v1beta1::QueryAccountRequest {
            address: "cosmos1bad".into(),
        }
        .encode_to_vec(),
    );
    assert_eq!(res.code.value(), 18, "{}", res.log);
}
