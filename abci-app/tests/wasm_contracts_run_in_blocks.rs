//! CosmWasm runtime acceptance tests: real contracts (abci-app/tests/wasm-contracts, built by
//! scripts/build-test-contracts.sh, artifacts committed) through FinalizeBlock and Query.

mod support;

use std::io::Write;

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin;
use cosmos_sdk_proto::cosmwasm::wasm::v1::{
    MsgExecuteContract, MsgInstantiateContract, MsgInstantiateContract2, MsgStoreCode,
    QueryCodeRequest, QueryCodeResponse, QueryCodesRequest, QueryCodesResponse,
    QueryContractHistoryRequest, QueryContractHistoryResponse, QueryContractInfoRequest,
    QueryContractInfoResponse, QueryContractsByCodeRequest, QueryContractsByCodeResponse,
    QueryContractsByCreatorRequest, QueryContractsByCreatorResponse, QueryRawContractStateRequest,
    QueryRawContractStateResponse, QuerySmartContractStateRequest, QuerySmartContractStateResponse,
};
use cosmos_sdk_proto::Any;
use openledger_node::app::genesis::AppState;
use openledger_node::app::App;
use openledger_node::modules::auth::genesis::GenesisAccount;
use openledger_node::modules::bank::genesis::{Balance, GenesisCoin};
use openledger_node::modules::wasm::WasmRuntime;
use openledger_node::signer::Signer;
use openledger_node::store::Storage;
use prost::{Message, Name};
use serde_json::{json, Value};
use support::{consensus_params, Driver, CHAIN_ID};
use tendermint::abci::types::ExecTxResult;

const ARTIFACTS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/wasm-contracts/artifacts"
);

fn artifact(name: &str) -> Vec<u8> {
    std::fs::read(format!("{ARTIFACTS}/{name}.wasm"))
        .unwrap_or_else(|e| panic!("{name}.wasm (run scripts/build-test-contracts.sh): {e}"))
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn any<M: Message + Name>(msg: &M) -> Any {
    Any {
        type_url: M::type_url(),
        value: msg.encode_to_vec(),
    }
}

fn attr(r: &ExecTxResult, kind: &str, key: &str) -> Option<String> {
    r.events
        .iter()
        .filter(|e| e.kind == kind)
        .flat_map(|e| e.attributes.iter())
        .find(|a| a.key_bytes() == key.as_bytes())
        .map(|a| String::from_utf8_lossy(a.value_bytes()).into_owned())
}

struct Chain {
    d: Driver,
    alice: Signer,
    bob: Signer,
    _wasm_dir: tempfile::TempDir,
}

impl Chain {
    fn new() -> Self {
        Self::with_params(consensus_params())
    }

    /// A chain whose genesis sets `block.max_gas`.
    fn with_block_max_gas(max_gas: u64) -> Self {
        let mut params = consensus_params();
        params.block.max_gas = max_gas as i64;
        Self::with_params(params)
    }

    fn with_params(params: tendermint::consensus::Params) -> Self {
        Self::with_genesis(params, |_| {})
    }

    /// A chain whose genesis `edit` changes last (after alice and bob are funded).
    fn with_genesis(
        params: tendermint::consensus::Params,
        edit: impl FnOnce(&mut AppState),
    ) -> Self {
        let wasm_dir = tempfile::tempdir().unwrap();
        let app = App::new(Storage::in_memory().unwrap())
            .with_wasm(wasm_dir.path())
            .unwrap();
        let mut d = Driver::with_app(app);
        let alice = Signer::from_secret(&[1; 32]).unwrap();
        let bob = Signer::from_secret(&[2; 32]).unwrap();
        let mut state = AppState::new_chain();
        for s in [&alice, &bob] {
            state.auth.accounts.push(GenesisAccount {
                address: s.address.clone(),
            });
            state.bank.balances.push(Balance {
                address: s.address.clone(),
                coins: vec![GenesisCoin {
                    denom: "uopen".into(),
                    amount: "1000000000000".into(),
                }],
            });
        }
        edit(&mut state);
        d.init_chain_with(&state, params);
        d.block(&[]);
        Self {
            d,
            alice,
            bob,
            _wasm_dir: wasm_dir,
        }
    }

    fn signed(&mut self, who: &Signer, msgs: Vec<Any>, gas: u64) -> Vec<u8> {
        let (number, sequence) = self.d.account(&who.address).expect("account");
        who.sign_direct(
            CHAIN_ID,
            number,
            sequence,
            msgs,
            vec![Coin {
                denom: "uopen".into(),
                amount: (gas / 40 + 1).to_string(),
            }],
            gas,
            "",
        )
    }

    /// One tx in its own block.
    fn tx(&mut self, who: &Signer, msgs: Vec<Any>, gas: u64) -> ExecTxResult {
        let tx = self.signed(who, msgs, gas);
        self.d.block(&[tx]).tx_results.remove(0)
    }

    fn ok(&mut self, who: &Signer, msgs: Vec<Any>, gas: u64) -> ExecTxResult {
        let r = self.tx(who, msgs, gas);
        assert_eq!(r.code.value(), 0, "tx failed: {} ({})", r.log, r.codespace);
        assert!(r.log.is_empty(), "success log must be empty for cosmjs");
        r
    }

    fn store(&mut self, who: &Signer, wasm: Vec<u8>) -> u64 {
        let sender = who.address.clone();
        let r = self.ok(
            who,
            vec![any(&MsgStoreCode {
                sender,
                wasm_byte_code: wasm,
                instantiate_permission: None,
            })],
            50_000_000,
        );
        attr(&r, "store_code", "code_id").unwrap().parse().unwrap()
    }

    fn instantiate(&mut self, who: &Signer, code_id: u64, msg: Value, funds: Vec<Coin>) -> String {
        let sender = who.address.clone();
        let r = self.ok(
            who,
            vec![any(&MsgInstantiateContract {
                sender: sender.clone(),
                admin: sender,
                code_id,
                label: format!("test {code_id}"),
                msg: msg.to_string().into_bytes(),
                funds,
            })],
            5_000_000,
        );
        attr(&r, "instantiate", "_contract_address").unwrap()
    }

    fn execute_msg(who: &Signer, contract: &str, msg: Value) -> Any {
        any(&MsgExecuteContract {
            sender: who.address.clone(),
            contract: contract.to_string(),
            msg: msg.to_string().into_bytes(),
            funds: vec![],
        })
    }

    fn smart(&mut self, contract: &str, msg: Value) -> Result<Value, String> {
        let res = self.d.query(
            "/cosmwasm.wasm.v1.Query/SmartContractState",
            QuerySmartContractStateRequest {
                address: contract.into(),
                query_data: msg.to_string().into_bytes(),
            }
            .encode_to_vec(),
        );
        if res.code.value() != 0 {
            return Err(format!(
                "{} ({}/{})",
                res.log,
                res.codespace,
                res.code.value()
            ));
        }
        let data = QuerySmartContractStateResponse::decode(res.value.as_ref())
            .unwrap()
            .data;
        Ok(serde_json::from_slice(&data).unwrap())
    }

    fn query<Req: Message, Res: Message + Default>(&mut self, path: &str, req: Req) -> Res {
        let res = self.d.query(path, req.encode_to_vec());
        assert_eq!(res.code.value(), 0, "{path}: {}", res.log);
        Res::decode(res.value.as_ref()).unwrap()
    }
}

#[test]
fn cw20_instantiate_transfer_and_query() {
    let mut c = Chain::new();
    let wasm = artifact("test_cw20");
    let alice = c.alice.clone();
    let bob = c.bob.clone();
    // cosmjs uploads gzip; the code is stored uncompressed under its sha256.
    let code_id = c.store(&alice, gzip(&wasm));
    assert_eq!(code_id, 1);
    let contract = c.instantiate(
        &alice,
        code_id,
        json!({
            "name": "Open Test", "symbol": "OTST", "decimals": 6,
            "initial_balances": [{"address": alice.address, "amount": "1000000"}],
            "mint": null, "marketing": null
        }),
        vec![],
    );
    assert!(
        contract.starts_with("open1") && contract.len() == 63,
        "{contract}"
    );

    let transfer = Chain::execute_msg(
        &alice,
        &contract,
        json!({"transfer": {"recipient": bob.address, "amount": "250"}}),
    );
    let r = c.ok(&alice, vec![transfer], 400_000);
    eprintln!(
        "cw20 transfer: gas_used {} (gas_wanted {})",
        r.gas_used, r.gas_wanted
    );
    assert_eq!(
        attr(&r, "execute", "_contract_address").as_deref(),
        Some(contract.as_str())
    );
    assert_eq!(attr(&r, "wasm", "action").as_deref(), Some("transfer"));
    assert_eq!(
        attr(&r, "wasm", "_contract_address").as_deref(),
        Some(contract.as_str())
    );
    assert_eq!(attr(&r, "message", "module").as_deref(), Some("wasm"));

    let bal = |c: &mut Chain, who: &str| {
        c.smart(&contract, json!({"balance": {"address": who}}))
            .unwrap()["balance"]
            .clone()
    };
    assert_eq!(bal(&mut c, &bob.address), json!("250"));
    assert_eq!(bal(&mut c, &alice.address), json!("999750"));
    let info = c.smart(&contract, json!({"token_info": {}})).unwrap();
    assert_eq!(info["symbol"], "OTST");
    assert_eq!(info["total_supply"], "1000000");

    // A contract error is an execute failure (wasm/5) and changes nothing.
    let too_much = Chain::execute_msg(
        &bob,
        &contract,
        json!({"transfer": {"recipient": alice.address, "amount": "251"}}),
    );
    let r = c.tx(&bob, vec![too_much], 400_000);
    assert_eq!(
        (r.code.value(), r.codespace.as_str()),
        (5, "wasm"),
        "{}",
        r.log
    );
    assert!(
        r.log.contains("Overflow") || r.log.contains("overflow"),
        "{}",
        r.log
    );
    assert_eq!(bal(&mut c, &bob.address), json!("250"));

    // cosmjs's CosmWasmClient queries.
    let codes: QueryCodesResponse = c.query(
        "/cosmwasm.wasm.v1.Query/Codes",
        QueryCodesRequest { pagination: None },
    );
    assert_eq!(codes.code_infos.len(), 1);
    assert_eq!(codes.code_infos[0].creator, alice.address);
    assert_eq!(
        codes.code_infos[0].data_hash,
        <sha2::Sha256 as sha2::Digest>::digest(&wasm).to_vec()
    );
    assert!(codes.pagination.unwrap().next_key.is_empty());
    let code: QueryCodeResponse =
        c.query("/cosmwasm.wasm.v1.Query/Code", QueryCodeRequest { code_id });
    assert_eq!(code.data, wasm);
    let ci: QueryContractInfoResponse = c.query(
        "/cosmwasm.wasm.v1.Query/ContractInfo",
        QueryContractInfoRequest {
            address: contract.clone(),
        },
    );
    let ci_info = ci.contract_info.unwrap();
    assert_eq!(
        (ci_info.code_id, ci_info.creator.as_str()),
        (1, alice.address.as_str())
    );
    let by_code: QueryContractsByCodeResponse = c.query(
        "/cosmwasm.wasm.v1.Query/ContractsByCode",
        QueryContractsByCodeRequest {
            code_id,
            pagination: None,
        },
    );
    assert_eq!(by_code.contracts, vec![contract.clone()]);
    assert!(by_code.pagination.is_some());
    let by_creator: QueryContractsByCreatorResponse = c.query(
        "/cosmwasm.wasm.v1.Query/ContractsByCreator",
        QueryContractsByCreatorRequest {
            creator_address: alice.address.clone(),
            pagination: None,
        },
    );
    assert_eq!(by_creator.contract_addresses, vec![contract.clone()]);
    let history: QueryContractHistoryResponse = c.query(
        "/cosmwasm.wasm.v1.Query/ContractHistory",
        QueryContractHistoryRequest {
            address: contract.clone(),
            pagination: None,
        },
    );
    assert_eq!(history.entries.len(), 1);
    assert_eq!(history.entries[0].operation, 1);
    let raw: QueryRawContractStateResponse = c.query(
        "/cosmwasm.wasm.v1.Query/RawContractState",
        QueryRawContractStateRequest {
            address: contract.clone(),
            query_data: b"token_info".to_vec(),
        },
    );
    let token_info: Value = serde_json::from_slice(&raw.data).unwrap();
    assert_eq!(token_info["decimals"], 6);

    // Instantiate2: the address is predictable (cosmwasm_std::instantiate2_address).
    let salt = b"salt-1".to_vec();
    let r = c.ok(
        &alice,
        vec![any(&MsgInstantiateContract2 {
            sender: alice.address.clone(),
            admin: String::new(),
            code_id,
            label: "second".into(),
            msg: json!({"name": "Two", "symbol": "TWO", "decimals": 0, "initial_balances": []})
                .to_string()
                .into_bytes(),
            funds: vec![],
            salt: salt.clone(),
            fix_msg: false,
        })],
        5_000_000,
    );
    let expected = cosmwasm_std::instantiate2_address(
        &code.code_info.unwrap().data_hash,
        &cosmwasm_std::CanonicalAddr::from(
            openledger_node::crypto::account_from_bech32(&alice.address).unwrap(),
        ),
        &salt,
    )
    .unwrap();
    assert_eq!(
        attr(&r, "instantiate", "_contract_address").unwrap(),
        openledger_node::crypto::account_to_bech32(&expected)
    );
}

#[test]
fn submessage_replies_and_failed_submessage_rolls_back() {
    let mut c = Chain::new();
    let alice = c.alice.clone();
    let bob = c.bob.clone();
    let code_id = c.store(&alice, artifact("test_reflect"));
    let a = c.instantiate(
        &alice,
        code_id,
        json!({}),
        vec![Coin {
            denom: "uopen".into(),
            amount: "5000".into(),
        }],
    );
    let b = c.instantiate(&alice, code_id, json!({}), vec![]);
    let exec = |contract: &str, msg: Value| json!({"wasm": {"execute": {"contract_addr": contract, "msg": cosmwasm_std::to_json_binary(&msg).unwrap(), "funds": []}}});
    let bob_before = c.d.balance(&bob.address);

    let dispatch = json!({"dispatch": {"msgs": [
        {"id": 1, "msg": exec(&b, json!({"set_then_fail": {"key": "x", "value": "1"}})), "gas_limit": null, "reply_on": "error"},
        {"id": 2, "msg": exec(&b, json!({"set": {"key": "y", "value": "2"}})), "gas_limit": null, "reply_on": "success"},
        {"id": 3, "msg": {"bank": {"send": {"to_address": bob.address, "amount": [{"denom": "uopen", "amount": "1234"}]}}}, "gas_limit": null, "reply_on": "never"},
    ]}});
    let r = c.ok(
        &alice,
        vec![Chain::execute_msg(&alice, &a, dispatch)],
        3_000_000,
    );
    // Events: both replies, the successful submessage's custom event, the bank transfer.
    assert!(r.events.iter().any(|e| e.kind == "reply"));
    assert!(r.events.iter().any(|e| e.kind == "wasm-stored"));
    assert!(r.events.iter().any(|e| e.kind == "transfer"));
    // The failed submessage's write was reverted; the successful one's kept.
    assert_eq!(
        c.smart(&b, json!({"get": {"key": "x"}})).unwrap(),
        Value::Null
    );
    assert_eq!(
        c.smart(&b, json!({"get": {"key": "y"}})).unwrap(),
        json!("2")
    );
    // Replies: the error is redacted as wasmd does; success carries events.
    assert_eq!(
        c.smart(&a, json!({"get": {"key": "reply/1"}})).unwrap(),
        json!("err:codespace: wasm, code: 5")
    );
    let reply2 = c.smart(&a, json!({"get": {"key": "reply/2"}})).unwrap();
    assert!(reply2.as_str().unwrap().starts_with("ok:"), "{reply2}");
    // The reply's data replaced the caller's (MsgExecuteContractResponse.data).
    let data =
        cosmos_sdk_proto::cosmos::base::abci::v1beta1::TxMsgData::decode(r.data.as_ref()).unwrap();
    let resp = cosmos_sdk_proto::cosmwasm::wasm::v1::MsgExecuteContractResponse::decode(
        data.msg_responses[0].value.as_slice(),
    )
    .unwrap();
    assert_eq!(resp.data, b"reply:2");
    assert_eq!(c.d.balance(&bob.address), bob_before + 1234);

    // A failing submessage without a reply-on-error aborts the whole tx: nothing is kept,
    // including the earlier, successful submessage.
    let abort = json!({"dispatch": {"msgs": [
        {"id": 4, "msg": exec(&b, json!({"set": {"key": "z", "value": "3"}})), "gas_limit": null, "reply_on": "never"},
        {"id": 5, "msg": exec(&b, json!({"set_then_fail": {"key": "w", "value": "4"}})), "gas_limit": null, "reply_on": "success"},
    ]}});
    let r = c.tx(
        &alice,
        vec![Chain::execute_msg(&alice, &a, abort)],
        3_000_000,
    );
    assert_eq!(
        (r.code.value(), r.codespace.as_str()),
        (5, "wasm"),
        "{}",
        r.log
    );
    assert!(r.log.contains("set_then_fail always fails"), "{}", r.log);
    assert_eq!(
        c.smart(&b, json!({"get": {"key": "z"}})).unwrap(),
        Value::Null
    );
    assert_eq!(
        c.smart(&b, json!({"get": {"key": "w"}})).unwrap(),
        Value::Null
    );

    // A submessage with its own gas limit that runs out is caught and replied to.
    let limited = json!({"dispatch": {"msgs": [
        {"id": 6, "msg": exec(&b, json!({"set": {"key": "v", "value": "5"}})), "gas_limit": 1000, "reply_on": "always"},
    ]}});
    c.ok(
        &alice,
        vec![Chain::execute_msg(&alice, &a, limited)],
        3_000_000,
    );
    assert_eq!(
        c.smart(&a, json!({"get": {"key": "reply/6"}})).unwrap(),
        json!("err:codespace: sdk, code: 11")
    );
    assert_eq!(
        c.smart(&b, json!({"get": {"key": "v"}})).unwrap(),
        Value::Null
    );

    // The querier: bank balance and a wasm smart query from inside a contract.
    let q = c
        .smart(
            &a,
            json!({"chain": {"request": {"bank": {"balance": {"address": a, "denom": "uopen"}}}}}),
        )
        .unwrap();
    assert_eq!(q["amount"]["amount"], json!((5000 - 1234).to_string()));
    let nested = c
        .smart(&a, json!({"chain": {"request": {"wasm": {"smart": {"contract_addr": b, "msg": cosmwasm_std::to_json_binary(&json!({"get": {"key": "y"}})).unwrap()}}}}}))
        .unwrap();
    assert_eq!(nested, json!("2"));
    // A nested query that fails tells the querying contract only that it failed (wasmd's
    // redaction), not the queried contract's error text.
    let failed = c
        .smart(&a, json!({"chain": {"request": {"wasm": {"smart": {"contract_addr": b, "msg": cosmwasm_std::to_json_binary(&json!({"no_such_query": {}})).unwrap()}}}}}))
        .unwrap_err();
    assert!(
        failed.contains("contract: codespace: wasm, code: 9") && !failed.contains("no_such_query"),
        "{failed}"
    );
    let info = c
        .smart(
            &a,
            json!({"chain": {"request": {"wasm": {"contract_info": {"contract_addr": b}}}}}),
        )
        .unwrap();
    assert_eq!(info["code_id"], json!(code_id));
}

#[test]
fn infinite_loop_runs_out_of_gas_and_the_node_keeps_going() {
    let mut c = Chain::new();
    let alice = c.alice.clone();
    let code_id = c.store(&alice, artifact("test_loop"));
    let contract = c.instantiate(&alice, code_id, json!({}), vec![]);
    let before = c.d.balance(&alice.address);
    let (_, seq_before) = c.d.account(&alice.address).unwrap();
    let gas = 2_000_000;
    let started = std::time::Instant::now();
    let r = c.tx(
        &alice,
        vec![Chain::execute_msg(
            &alice,
            &contract,
            json!({"write": {"key": "k", "value": "v"}}),
        )],
        gas,
    );
    eprintln!("loop to out-of-gas at {gas} gas: {:?}", started.elapsed());
    assert_eq!(
        (r.code.value(), r.codespace.as_str()),
        (11, "sdk"),
        "{}",
        r.log
    );
    assert!(r.log.contains("out of gas"), "{}", r.log);
    assert!(r.gas_used as u64 >= gas);
    // Fee kept, sequence used, contract write reverted.
    assert_eq!(c.d.balance(&alice.address), before - (gas as u128 / 40 + 1));
    assert_eq!(c.d.account(&alice.address).unwrap().1, seq_before + 1);
    let raw: QueryRawContractStateResponse = c.query(
        "/cosmwasm.wasm.v1.Query/RawContractState",
        QueryRawContractStateRequest {
            address: contract.clone(),
            query_data: b"k".to_vec(),
        },
    );
    assert!(raw.data.is_empty());
    // A looping smart query stops at its own gas cap.
    let err = c.smart(&contract, json!({"loop": {}})).unwrap_err();
    assert!(err.contains("out of gas"), "{err}");
    // The chain goes on.
    let r = c.ok(
        &alice,
        vec![Chain::execute_msg(&alice, &contract, json!({"ok": {}}))],
        500_000,
    );
    assert_eq!(attr(&r, "wasm", "action").as_deref(), Some("ok"));
}

#[test]
fn invalid_or_oversized_uploads_are_refused_clearly() {
    let mut c = Chain::new();
    let alice = c.alice.clone();
    let upload = |wasm: Vec<u8>| {
        any(&MsgStoreCode {
            sender: alice.address.clone(),
            wasm_byte_code: wasm,
            instantiate_permission: None,
        })
    };
    let r = c.tx(
        &alice,
        vec![upload(b"\0asm this is not wasm".to_vec())],
        10_000_000,
    );
    assert_eq!(
        (r.code.value(), r.codespace.as_str()),
        (2, "wasm"),
        "{}",
        r.log
    );
    assert!(r.log.contains("create wasm contract failed"), "{}", r.log);
    let r = c.tx(&alice, vec![upload(vec![0x42; 900 * 1024])], 10_000_000);
    assert_eq!(
        (r.code.value(), r.codespace.as_str()),
        (13, "wasm"),
        "{}",
        r.log
    );
    assert!(r.log.contains("exceeds"), "{}", r.log);
    // A small gzip that inflates past the limit.
    let r = c.tx(
        &alice,
        vec![upload(gzip(&vec![0u8; 2 * 1024 * 1024]))],
        10_000_000,
    );
    assert_eq!(
        (r.code.value(), r.codespace.as_str()),
        (13, "wasm"),
        "{}",
        r.log
    );
    let r = c.tx(&alice, vec![upload(vec![])], 10_000_000);
    assert_eq!(
        (r.code.value(), r.codespace.as_str()),
        (12, "wasm"),
        "{}",
        r.log
    );
    // Nothing was stored.
    let codes: QueryCodesResponse = c.query(
        "/cosmwasm.wasm.v1.Query/Codes",
        QueryCodesRequest { pagination: None },
    );
    assert!(codes.code_infos.is_empty());
}

fn wasm_heavy_blocks(c: &mut Chain) -> Vec<[u8; 32]> {
    let alice = c.alice.clone();
    let bob = c.bob.clone();
    let mut hashes = vec![];
    let cw20 = c.store(&alice, artifact("test_cw20"));
    hashes.push(c.d.app_hash());
    let reflect = c.store(&bob, gzip(&artifact("test_reflect")));
    let token = c.instantiate(
        &alice,
        cw20,
        json!({"name": "Det", "symbol": "DET", "decimals": 6,
               "initial_balances": [{"address": alice.address, "amount": "1000"}]}),
        vec![],
    );
    let r = c.instantiate(
        &bob,
        reflect,
        json!({}),
        vec![Coin {
            denom: "uopen".into(),
            amount: "77".into(),
        }],
    );
    hashes.push(c.d.app_hash());
    // Several txs in one block, including a failing one.
    let t1 = c.signed(
        &alice,
        vec![Chain::execute_msg(
            &alice,
            &token,
            json!({"transfer": {"recipient": bob.address, "amount": "10"}}),
        )],
        400_000,
    );
    let t2 = c.signed(&bob, vec![Chain::execute_msg(&bob, &r, json!({"dispatch": {"msgs": [
        {"id": 9, "msg": {"bank": {"send": {"to_address": alice.address, "amount": [{"denom": "uopen", "amount": "7"}]}}}, "gas_limit": null, "reply_on": "always"},
        {"id": 10, "msg": {"wasm": {"execute": {"contract_addr": token, "msg": cosmwasm_std::to_json_binary(&json!({"burn": {"amount": "1"}})).unwrap(), "funds": []}}}, "gas_limit": null, "reply_on": "error"},
    ]}}))], 2_000_000);
    c.d.block(&[t1, t2]);
    hashes.push(c.d.app_hash());
    hashes
}

#[test]
fn wasm_blocks_give_the_same_app_hash_on_two_fresh_nodes() {
    let mut one = Chain::new();
    let mut two = Chain::new();
    let a = wasm_heavy_blocks(&mut one);
    let b = wasm_heavy_blocks(&mut two);
    assert_eq!(a, b);
    assert_ne!(a[0], a[2]);
}

/// Every contract of the project (`artifacts/`, from scripts/build-contracts.sh) must pass the
/// VM's static checks with the capabilities this node offers. Skipped without the build unless
/// `OPENLEDGER_REQUIRE_ARTIFACTS` is set.
#[test]
fn project_contracts_pass_check_wasm() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../artifacts");
    let mut wasm_files = vec![];
    if dir.is_dir() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "wasm") {
                wasm_files.push(path);
            }
        }
    } else if std::env::var_os("OPENLEDGER_REQUIRE_ARTIFACTS").is_some() {
        // scripts/test.sh builds the contracts first and sets this: a missing build is a failure.
        panic!(
            "{} does not exist (run scripts/build-contracts.sh)",
            dir.display()
        );
    } else {
        eprintln!(
            "SKIPPED project contracts: {} does not exist (run scripts/build-contracts.sh)",
            dir.display()
        );
    }
    for name in ["test_cw20", "test_reflect", "test_loop"] {
        wasm_files.push(format!("{ARTIFACTS}/{name}.wasm").into());
    }
    let cache_dir = tempfile::tempdir().unwrap();
    let runtime = WasmRuntime::open(cache_dir.path()).unwrap();
    wasm_files.sort();
    for path in wasm_files {
        let wasm = std::fs::read(&path).unwrap();
        let started = std::time::Instant::now();
        let checksum = runtime
            .cache()
            .store_code(&wasm, true, false)
            .unwrap_or_else(|e| panic!("{} fails check_wasm: {e}", path.display()));
        eprintln!(
            "check_wasm + compile {} ({} bytes): {:?}, checksum {}",
            path.display(),
            wasm.len(),
            started.elapsed(),
            checksum
        );
    }
}

#[test]
fn migrate_update_and_clear_admin() {
    use cosmos_sdk_proto::cosmwasm::wasm::v1::{MsgClearAdmin, MsgMigrateContract, MsgUpdateAdmin};
    let mut c = Chain::new();
    let alice = c.alice.clone();
    let bob = c.bob.clone();
    let wasm = artifact("test_cw20");
    let v1 = c.store(&alice, wasm.clone());
    let v2 = c.store(&alice, gzip(&wasm));
    let token = c.instantiate(
        &alice,
        v1,
        json!({"name": "Mig", "symbol": "MIG", "decimals": 6,
               "initial_balances": [{"address": alice.address, "amount": "5"}]}),
        vec![],
    );
    let migrate = |who: &Signer, code_id: u64| {
        any(&MsgMigrateContract {
            sender: who.address.clone(),
            contract: token.clone(),
            code_id,
            msg: b"{}".to_vec(),
        })
    };
    // Only the admin migrates; a refused migration changes nothing.
    let r = c.tx(&bob, vec![migrate(&bob, v2)], 3_000_000);
    assert_eq!(
        (r.code.value(), r.codespace.as_str()),
        (4, "sdk"),
        "{}",
        r.log
    );
    assert!(r.log.contains("can not migrate"), "{}", r.log);
    let r = c.ok(&alice, vec![migrate(&alice, v2)], 3_000_000);
    assert_eq!(
        attr(&r, "migrate", "code_id").as_deref(),
        Some(v2.to_string().as_str())
    );
    let history: QueryContractHistoryResponse = c.query(
        "/cosmwasm.wasm.v1.Query/ContractHistory",
        QueryContractHistoryRequest {
            address: token.clone(),
            pagination: None,
        },
    );
    let ops: Vec<(i32, u64)> = history
        .entries
        .iter()
        .map(|e| (e.operation, e.code_id))
        .collect();
    assert_eq!(ops, vec![(1, v1), (2, v2)]);
    let by_code = |c: &mut Chain, code_id| -> Vec<String> {
        let r: QueryContractsByCodeResponse = c.query(
            "/cosmwasm.wasm.v1.Query/ContractsByCode",
            QueryContractsByCodeRequest {
                code_id,
                pagination: None,
            },
        );
        r.contracts
    };
    assert!(by_code(&mut c, v1).is_empty());
    assert_eq!(by_code(&mut c, v2), vec![token.clone()]);
    // State survived the migration.
    assert_eq!(
        c.smart(&token, json!({"balance": {"address": alice.address}}))
            .unwrap()["balance"],
        "5"
    );

    let admin = |c: &mut Chain| -> String {
        let r: QueryContractInfoResponse = c.query(
            "/cosmwasm.wasm.v1.Query/ContractInfo",
            QueryContractInfoRequest {
                address: token.clone(),
            },
        );
        r.contract_info.unwrap().admin
    };
    let update = any(&MsgUpdateAdmin {
        sender: alice.address.clone(),
        new_admin: bob.address.clone(),
        contract: token.clone(),
    });
    let r = c.ok(&alice, vec![update], 500_000);
    assert_eq!(
        attr(&r, "update_contract_admin", "new_admin_address").as_deref(),
        Some(bob.address.as_str())
    );
    assert_eq!(admin(&mut c), bob.address);
    // The old admin lost the right.
    let clear_by_alice = any(&MsgClearAdmin {
        sender: alice.address.clone(),
        contract: token.clone(),
    });
    let r = c.tx(&alice, vec![clear_by_alice], 500_000);
    assert_eq!(r.code.value(), 4, "{}", r.log);
    let clear = any(&MsgClearAdmin {
        sender: bob.address.clone(),
        contract: token.clone(),
    });
    c.ok(&bob, vec![clear], 500_000);
    assert_eq!(admin(&mut c), "");
    let r = c.tx(&bob, vec![migrate(&bob, v1)], 3_000_000);
    assert_eq!(r.code.value(), 4, "{}", r.log);
}

#[test]
fn module_queries_params_pinned_all_state_build_address() {
    use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
    use cosmos_sdk_proto::cosmwasm::wasm::v1::{
        QueryAllContractStateRequest, QueryAllContractStateResponse, QueryBuildAddressRequest,
        QueryBuildAddressResponse, QueryParamsRequest, QueryParamsResponse,
        QueryPinnedCodesRequest, QueryPinnedCodesResponse,
    };
    let mut c = Chain::new();
    let alice = c.alice.clone();
    let code_id = c.store(&alice, artifact("test_reflect"));
    let contract = c.instantiate(&alice, code_id, json!({}), vec![]);
    for (k, v) in [("a", "1"), ("b", "2")] {
        c.ok(
            &alice,
            vec![Chain::execute_msg(
                &alice,
                &contract,
                json!({"set": {"key": k, "value": v}}),
            )],
            500_000,
        );
    }

    let params: QueryParamsResponse =
        c.query("/cosmwasm.wasm.v1.Query/Params", QueryParamsRequest {});
    let params = params.params.unwrap();
    assert_eq!(params.code_upload_access.unwrap().permission, 3);
    assert_eq!(params.instantiate_default_permission, 3);
    let pinned: QueryPinnedCodesResponse = c.query(
        "/cosmwasm.wasm.v1.Query/PinnedCodes",
        QueryPinnedCodesRequest { pagination: None },
    );
    assert!(pinned.code_ids.is_empty() && pinned.pagination.is_some());

    // All state, paged one entry at a time: "a", "b", "owner" in key order.
    let mut keys = vec![];
    let mut next = vec![];
    loop {
        let page: QueryAllContractStateResponse = c.query(
            "/cosmwasm.wasm.v1.Query/AllContractState",
            QueryAllContractStateRequest {
                address: contract.clone(),
                pagination: Some(PageRequest {
                    key: next.clone(),
                    limit: 1,
                    ..Default::default()
                }),
            },
        );
        keys.extend(
            page.models
                .iter()
                .map(|m| String::from_utf8(m.key.clone()).unwrap()),
        );
        next = page.pagination.unwrap().next_key;
        if next.is_empty() {
            break;
        }
    }
    assert_eq!(keys, vec!["a", "b", "owner"]);

    // BuildAddress agrees with where Instantiate2 puts the contract.
    let code: QueryCodeResponse =
        c.query("/cosmwasm.wasm.v1.Query/Code", QueryCodeRequest { code_id });
    let checksum = code.code_info.unwrap().data_hash;
    let salt = b"e2e-salt".to_vec();
    let built: QueryBuildAddressResponse = c.query(
        "/cosmwasm.wasm.v1.Query/BuildAddress",
        QueryBuildAddressRequest {
            code_hash: hex::encode(&checksum),
            creator_address: alice.address.clone(),
            salt: hex::encode(&salt),
            init_args: vec![],
        },
    );
    let r = c.ok(
        &alice,
        vec![any(&MsgInstantiateContract2 {
            sender: alice.address.clone(),
            admin: String::new(),
            code_id,
            label: "predictable".into(),
            msg: b"{}".to_vec(),
            funds: vec![],
            salt: salt.clone(),
            fix_msg: false,
        })],
        3_000_000,
    );
    assert_eq!(
        attr(&r, "instantiate", "_contract_address").unwrap(),
        built.address
    );
    // The same salt again collides (wasm/15) and changes nothing.
    let r = c.tx(
        &alice,
        vec![any(&MsgInstantiateContract2 {
            sender: alice.address.clone(),
            admin: String::new(),
            code_id,
            label: "again".into(),
            msg: b"{}".to_vec(),
            funds: vec![],
            salt,
            fix_msg: false,
        })],
        3_000_000,
    );
    assert_eq!(
        (r.code.value(), r.codespace.as_str()),
        (15, "wasm"),
        "{}",
        r.log
    );
    // Bad input to a query is a clear error, not a panic.
    let res = c.d.query(
        "/cosmwasm.wasm.v1.Query/BuildAddress",
        QueryBuildAddressRequest {
            code_hash: "zz".into(),
            creator_address: alice.address.clone(),
            salt: "00".into(),
            init_args: vec![],
        }
        .encode_to_vec(),
    );
    assert_eq!(res.code.value(), 18, "{}", res.log);
    let res = c.d.query(
        "/cosmwasm.wasm.v1.Query/SmartContractState",
        vec![0xff, 0xff, 0xff],
    );
    assert_ne!(res.code.value(), 0);
    let res = c.d.query(
        "/cosmwasm.wasm.v1.Query/SmartContractState",
        QuerySmartContractStateRequest {
            address: contract.clone(),
            query_data: b"not json".to_vec(),
        }
        .encode_to_vec(),
    );
    assert_eq!(res.code.value(), 18, "{}", res.log);
}

#[test]
fn contract_querier_staking_grpc_and_stargate() {
    use cosmos_sdk_proto::cosmos::bank::v1beta1::QueryBalanceRequest;
    let mut c = Chain::new();
    let alice = c.alice.clone();
    let code_id = c.store(&alice, artifact("test_reflect"));
    let contract = c.instantiate(
        &alice,
        code_id,
        json!({}),
        vec![Coin {
            denom: "uopen".into(),
            amount: "42".into(),
        }],
    );
    let chain =
        |c: &mut Chain, request: Value| c.smart(&contract, json!({"chain": {"request": request}}));

    let denom = chain(&mut c, json!({"staking": {"bonded_denom": {}}})).unwrap();
    assert_eq!(denom["denom"], "uopen");
    let validators = chain(&mut c, json!({"staking": {"all_validators": {}}})).unwrap();
    assert_eq!(validators["validators"], json!([]));

    let request = QueryBalanceRequest {
        address: contract.clone(),
        denom: "uopen".into(),
    }
    .encode_to_vec();
    let b64 = |b: &[u8]| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(b)
    };
    // Grpc answers protobuf, which a contract cannot return as its own (JSON-only) query
    // answer: the reflect contract gets the bytes and std refuses to pass them on. (The
    // protobuf itself is checked in `modules::wasm::grpc`'s unit tests.)
    let err = chain(
        &mut c,
        json!({"grpc": {"path": "/cosmos.bank.v1beta1.Query/Balance", "data": b64(&request)}}),
    )
    .unwrap_err();
    assert!(err.contains("must be valid JSON"), "{err}");
    // Stargate: the same whitelist, answered as JSON.
    let stargate = chain(
        &mut c,
        json!({"stargate": {"path": "/cosmos.bank.v1beta1.Query/Balance", "data": b64(&request)}}),
    )
    .unwrap();
    assert_eq!(
        stargate,
        json!({"balance": {"denom": "uopen", "amount": "42"}})
    );
    // Off the whitelist: a system error the contract sees, not a node failure.
    let err = chain(
        &mut c,
        json!({"grpc": {"path": "/cosmwasm.wasm.v1.Query/SmartContractState", "data": ""}}),
    )
    .unwrap_err();
    assert!(err.contains("not allowed"), "{err}");
}

#[test]
fn simulate_runs_contracts_without_changing_state() {
    use cosmos_sdk_proto::cosmos::tx::v1beta1::{SimulateRequest, SimulateResponse};
    let mut c = Chain::new();
    let alice = c.alice.clone();
    let bob = c.bob.clone();
    let code_id = c.store(&alice, artifact("test_cw20"));
    let token = c.instantiate(
        &alice,
        code_id,
        json!({"name": "Sim", "symbol": "SIM", "decimals": 6,
               "initial_balances": [{"address": alice.address, "amount": "100"}]}),
        vec![],
    );
    let transfer = Chain::execute_msg(
        &alice,
        &token,
        json!({"transfer": {"recipient": bob.address, "amount": "7"}}),
    );
    let tx = c.signed(&alice, vec![transfer.clone()], 400_000);
    let res = c.d.query(
        "/cosmos.tx.v1beta1.Service/Simulate",
        SimulateRequest {
            tx_bytes: tx,
            ..Default::default()
        }
        .encode_to_vec(),
    );
    assert_eq!(res.code.value(), 0, "{}", res.log);
    let sim = SimulateResponse::decode(res.value.as_ref()).unwrap();
    let simulated = sim.gas_info.unwrap().gas_used;
    assert!(simulated > 60_000, "{simulated}");
    assert_eq!(
        c.smart(&token, json!({"balance": {"address": bob.address}}))
            .unwrap()["balance"],
        "0"
    );
    // The real tx uses about what was simulated (the ante's signature cost differs a little).
    let r = c.ok(&alice, vec![transfer], 400_000);
    let used = r.gas_used as u64;
    assert!(
        used.abs_diff(simulated) < 5_000,
        "simulated {simulated}, used {used}"
    );
}

#[test]
fn contract_any_messages_run_as_the_contract_only() {
    use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend;
    let mut c = Chain::new();
    let alice = c.alice.clone();
    let bob = c.bob.clone();
    let code_id = c.store(&alice, artifact("test_reflect"));
    let a = c.instantiate(
        &alice,
        code_id,
        json!({}),
        vec![Coin {
            denom: "uopen".into(),
            amount: "900".into(),
        }],
    );
    let b = c.instantiate(&alice, code_id, json!({}), vec![]);
    let b64 = |bytes: Vec<u8>| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(bytes)
    };
    let send = |from: &str, amount: &str| {
        b64(MsgSend {
            from_address: from.into(),
            to_address: bob.address.clone(),
            amount: vec![Coin {
                denom: "uopen".into(),
                amount: amount.into(),
            }],
        }
        .encode_to_vec())
    };
    let exec_b = b64(MsgExecuteContract {
        sender: a.clone(),
        contract: b.clone(),
        msg: json!({"set": {"key": "via-any", "value": "yes"}})
            .to_string()
            .into_bytes(),
        funds: vec![],
    }
    .encode_to_vec());
    let bob_before = c.d.balance(&bob.address);
    let dispatch = json!({"dispatch": {"msgs": [
        {"id": 1, "msg": {"any": {"type_url": "/cosmos.bank.v1beta1.MsgSend", "value": send(&a, "300")}}, "gas_limit": null, "reply_on": "never"},
        {"id": 2, "msg": {"stargate": {"type_url": "/cosmwasm.wasm.v1.MsgExecuteContract", "value": exec_b}}, "gas_limit": null, "reply_on": "never"},
    ]}});
    c.ok(
        &alice,
        vec![Chain::execute_msg(&alice, &a, dispatch)],
        3_000_000,
    );
    assert_eq!(c.d.balance(&bob.address), bob_before + 300);
    assert_eq!(
        c.smart(&b, json!({"get": {"key": "via-any"}})).unwrap(),
        json!("yes")
    );

    // A message signed by someone else (alice's funds) is refused and the tx changes nothing.
    let steal = json!({"dispatch": {"msgs": [
        {"id": 3, "msg": {"any": {"type_url": "/cosmos.bank.v1beta1.MsgSend", "value": send(&alice.address, "1")}}, "gas_limit": null, "reply_on": "never"},
    ]}});
    let r = c.tx(
        &alice,
        vec![Chain::execute_msg(&alice, &a, steal)],
        3_000_000,
    );
    assert_eq!(
        (r.code.value(), r.codespace.as_str()),
        (4, "sdk"),
        "{}",
        r.log
    );
    // An unknown type is wasmd's "unknown message from the contract".
    let unknown = json!({"dispatch": {"msgs": [
        {"id": 4, "msg": {"any": {"type_url": "/cosmos.gov.v1.MsgVote", "value": ""}}, "gas_limit": null, "reply_on": "never"},
    ]}});
    let r = c.tx(
        &alice,
        vec![Chain::execute_msg(&alice, &a, unknown)],
        3_000_000,
    );
    assert_eq!(
        (r.code.value(), r.codespace.as_str()),
        (20, "wasm"),
        "{}",
        r.log
    );
    assert_eq!(c.d.balance(&bob.address), bob_before + 300);

    // A contract's own wasm messages are checked as a tx's are: a blank label, a label past
    // 128 bytes, an alternate-spelled admin and code id 0 are each refused with their error.
    let bad_admin = {
        let (hrp, data) = bech32::decode(&alice.address).unwrap();
        bech32::encode::<bech32::Bech32>(hrp, &data)
            .unwrap()
            .to_uppercase()
    };
    for (wasm_msg, expected) in [
        (
            json!({"instantiate": {"admin": null, "code_id": code_id, "msg": b64(b"{}".to_vec()), "funds": [], "label": " "}}),
            "label is required",
        ),
        (
            json!({"instantiate": {"admin": null, "code_id": code_id, "msg": b64(b"{}".to_vec()), "funds": [], "label": "x".repeat(129)}}),
            "label cannot be longer",
        ),
        (
            json!({"instantiate": {"admin": bad_admin, "code_id": code_id, "msg": b64(b"{}".to_vec()), "funds": [], "label": "ok"}}),
            "admin",
        ),
        (
            json!({"migrate": {"contract_addr": b, "new_code_id": 0, "msg": b64(b"{}".to_vec())}}),
            "code id is required",
        ),
    ] {
        let sent = json!({"dispatch": {"msgs": [
            {"id": 5, "msg": {"wasm": wasm_msg}, "gas_limit": null, "reply_on": "never"},
        ]}});
        let r = c.tx(
            &alice,
            vec![Chain::execute_msg(&alice, &a, sent)],
            3_000_000,
        );
        assert_ne!(r.code.value(), 0, "{wasm_msg}");
        assert!(r.log.contains(expected), "{wasm_msg}: {}", r.log);
    }
}

/// Every regular file under `dir`, with its size.
fn files_under(dir: &std::path::Path) -> Vec<(std::path::PathBuf, u64)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                todo.push(entry.path());
            } else {
                out.push((entry.path(), meta.len()));
            }
        }
    }
    out.sort();
    out
}

/// `wasm` grown to `size` bytes by a trailing custom section of zeros: a fresh checksum (and
/// the full per-byte compile cost) for a few bytes of gzip.
fn padded_to(wasm: &[u8], size: usize) -> Vec<u8> {
    const NAME: &[u8] = b"pad";
    // id 0, a 5-byte LEB128 length, then the name and the zeros.
    let payload = size - wasm.len() - 1 - 5;
    let mut out = wasm.to_vec();
    out.push(0);
    for i in 0..5 {
        let group = ((payload >> (7 * i)) & 0x7f) as u8;
        out.push(if i < 4 { group | 0x80 } else { group });
    }
    out.push(NAME.len() as u8);
    out.extend_from_slice(NAME);
    out.resize(size, 0);
    out
}

#[test]
fn simulated_uploads_leave_no_file_and_are_capped() {
    use cosmos_sdk_proto::cosmos::tx::v1beta1::{SimulateRequest, SimulateResponse, TxRaw};
    let mut c = Chain::new();
    let alice = c.alice.clone();
    let upload = |wasm: &[u8]| {
        any(&MsgStoreCode {
            sender: alice.address.clone(),
            wasm_byte_code: wasm.to_vec(),
            instantiate_permission: None,
        })
    };
    // Unsigned and fee-less, as anyone may send one to the REST, gRPC or RPC endpoint.
    let simulate = |c: &mut Chain, msgs: Vec<Any>| {
        let (number, sequence) = c.d.account(&alice.address).unwrap();
        let signed = alice.sign_direct(CHAIN_ID, number, sequence, msgs, vec![], 0, "");
        let mut raw = TxRaw::decode(signed.as_slice()).unwrap();
        // One empty signature per signer, as cosmjs simulates.
        raw.signatures = vec![Vec::new()];
        c.d.query(
            "/cosmos.tx.v1beta1.Service/Simulate",
            SimulateRequest {
                tx_bytes: raw.encode_to_vec(),
                ..Default::default()
            }
            .encode_to_vec(),
        )
    };
    let before = files_under(c._wasm_dir.path());
    let wasm = artifact("test_reflect");
    let res = simulate(&mut c, vec![upload(&wasm)]);
    assert_eq!(res.code.value(), 0, "{}", res.log);
    let gas_used = SimulateResponse::decode(res.value.as_ref())
        .unwrap()
        .gas_info
        .unwrap()
        .gas_used;
    // wasmd `CompileCost`: 3 gas per uncompressed byte.
    assert!(gas_used > 3 * wasm.len() as u64, "{gas_used}");
    assert_eq!(
        files_under(c._wasm_dir.path()),
        before,
        "simulate wrote files"
    );

    // Many gzipped max-size uploads in one request: the compile gas runs out at the
    // simulation limit instead of compiling them all.
    let big = gzip(&padded_to(&artifact("test_loop"), 800 * 1024));
    let res = simulate(&mut c, vec![upload(&big)]);
    assert_eq!(res.code.value(), 0, "one padded upload: {}", res.log);
    let res = simulate(&mut c, (0..11).map(|_| upload(&big)).collect());
    assert_eq!(res.code.value(), 11, "{}", res.log);
    assert!(res.log.contains("out of gas"), "{}", res.log);
    assert_eq!(
        files_under(c._wasm_dir.path()),
        before,
        "simulate wrote files"
    );

    // The same bytes still upload for real, and only then reach the disk.
    let code_id = c.store(&alice, wasm);
    assert_eq!(code_id, 1);
    assert!(files_under(c._wasm_dir.path()).len() > before.len());
    let contract = c.instantiate(&alice, code_id, json!({}), vec![]);
    assert!(contract.starts_with("open1"));
}

/// Another bech32 spelling of `address`: for 20 bytes one extra character (its 5 bits are
/// padding), for 32 bytes non-zero padding in the last character; checksum redone.
fn alternate_spelling(address: &str) -> String {
    use bech32::primitives::iter::{ByteIterExt, Fe32IterExt};
    use bech32::{Bech32, Fe32, Hrp};
    let bytes = openledger_node::crypto::account_from_bech32(address).unwrap();
    let mut data: Vec<Fe32> = bytes.iter().copied().bytes_to_fes().collect();
    if bytes.len() * 8 % 5 == 0 {
        data.push(Fe32::Q);
    } else {
        let last = data.len() - 1;
        data[last] = Fe32::try_from(data[last].to_u8() | 1).unwrap();
    }
    let hrp = Hrp::parse("open").unwrap();
    let alt: String = data
        .into_iter()
        .with_checksum::<Bech32>(&hrp)
        .chars()
        .collect();
    assert_ne!(alt, address);
    alt
}

#[test]
fn alternate_bech32_spellings_are_refused() {
    use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend;
    let mut c = Chain::new();
    let alice = c.alice.clone();
    let bob = c.bob.clone();
    let code_id = c.store(&alice, artifact("test_reflect"));
    let a = c.instantiate(&alice, code_id, json!({}), vec![]);
    let b = c.instantiate(&alice, code_id, json!({}), vec![]);
    let refused = |r: &ExecTxResult, alt: &str| {
        assert_ne!(r.code.value(), 0, "{alt} was accepted");
        assert!(
            r.log.contains("not canonical") && r.log.contains(alt),
            "{alt}: {}",
            r.log
        );
    };
    let set = json!({"set": {"key": "k", "value": "v"}});

    // The signer of a tx, under the same key.
    let alt_alice = alternate_spelling(&alice.address);
    let mut msg = Chain::execute_msg(&alice, &a, set.clone());
    let mut exec = MsgExecuteContract::decode(msg.value.as_slice()).unwrap();
    exec.sender = alt_alice.clone();
    msg.value = exec.encode_to_vec();
    let r = c.tx(&alice, vec![msg], 3_000_000);
    refused(&r, &alt_alice);

    // The contract a message is for.
    let alt_a = alternate_spelling(&a);
    let r = c.tx(
        &alice,
        vec![Chain::execute_msg(&alice, &alt_a, set.clone())],
        3_000_000,
    );
    refused(&r, &alt_a);

    // A bank recipient.
    let alt_bob = alternate_spelling(&bob.address);
    let send = any(&MsgSend {
        from_address: alice.address.clone(),
        to_address: alt_bob.clone(),
        amount: vec![Coin {
            denom: "uopen".into(),
            amount: "1".into(),
        }],
    });
    let r = c.tx(&alice, vec![send], 200_000);
    refused(&r, &alt_bob);

    // A contract address in a contract's own message.
    use base64::Engine;
    let alt_b = alternate_spelling(&b);
    let inner = base64::engine::general_purpose::STANDARD.encode(set.to_string());
    let dispatch = json!({"dispatch": {"msgs": [
        {"id": 1, "msg": {"wasm": {"execute": {"contract_addr": alt_b, "msg": inner, "funds": []}}}, "gas_limit": null, "reply_on": "never"},
    ]}});
    let r = c.tx(
        &alice,
        vec![Chain::execute_msg(&alice, &a, dispatch)],
        3_000_000,
    );
    refused(&r, &alt_b);
    assert!(c.smart(&b, json!({"get": {"key": "k"}})).unwrap().is_null());

    // Queries by an alternate spelling find nothing under it.
    let res = c.d.query(
        "/cosmwasm.wasm.v1.Query/ContractInfo",
        QueryContractInfoRequest {
            address: alt_a.clone(),
        }
        .encode_to_vec(),
    );
    assert_ne!(res.code.value(), 0);
    assert!(res.log.contains("not canonical"), "{}", res.log);
}

/// The block gas limit: a tx wanting more than a block holds is refused before it runs or pays;
/// proposals are built and checked against the sum of their txs' gas limits; and one tx can
/// hold a block for no longer than the limit's worth of gas (printed for the genesis choice).
#[test]
fn block_gas_limit_bounds_what_one_tx_can_hold() {
    const MAX_GAS: u64 = 100_000_000;
    let mut c = Chain::with_block_max_gas(MAX_GAS);
    let alice = c.alice.clone();
    let bob = c.bob.clone();
    let code_id = c.store(&alice, artifact("test_loop"));
    let contract = c.instantiate(&alice, code_id, json!({}), vec![]);
    let looping = |who: &Signer| {
        vec![Chain::execute_msg(
            who,
            &contract,
            json!({"write": {"key": "k", "value": "v"}}),
        )]
    };

    // 2e9 gas for ~50 OPEN of fees: refused by CheckTx, by PrepareProposal and in a block,
    // without running and without taking the fee or the sequence.
    let huge = c.signed(&alice, looping(&alice), 2_000_000_000);
    let check = c.d.check(&huge, false);
    assert_eq!(
        (check.code.value(), check.codespace.as_str()),
        (41, "sdk"),
        "{}",
        check.log
    );
    assert!(
        check.log.contains("exceeds block max gas 100000000"),
        "{}",
        check.log
    );
    assert!(c.d.prepare(&[huge.clone()]).is_empty());
    assert!(!c.d.process(&[huge.clone()]));
    let before = c.d.balance(&alice.address);
    let (_, seq) = c.d.account(&alice.address).unwrap();
    let r = c.d.block(&[huge]).tx_results.remove(0);
    assert_eq!(r.code.value(), 41, "{}", r.log);
    assert_eq!(r.gas_used, 0);
    assert_eq!(c.d.balance(&alice.address), before);
    assert_eq!(c.d.account(&alice.address).unwrap().1, seq);

    // Two txs of 60 % of the limit each: one block holds only the first.
    let a = c.signed(&alice, looping(&alice), MAX_GAS * 6 / 10);
    let b = c.signed(&bob, looping(&bob), MAX_GAS * 6 / 10);
    assert_eq!(c.d.prepare(&[a.clone(), b.clone()]), vec![a.clone()]);
    assert!(
        !c.d.process(&[a.clone(), b.clone()]),
        "a proposal over the limit is rejected"
    );
    assert!(c.d.process(&[a.clone()]));
    // Decided anyway (a byzantine 2/3): the block gas meter fails the second tx unrun.
    let results = c.d.block(&[a, b]).tx_results;
    assert_eq!(
        results[0].code.value(),
        11,
        "the loop runs out of its own gas"
    );
    assert_eq!(results[1].code.value(), 11, "{}", results[1].log);
    assert!(
        results[1].log.contains("block gas meter"),
        "{}",
        results[1].log
    );
    assert_eq!(results[1].gas_used, 0);

    // The longest one tx can hold a block: a loop with the whole limit.
    let full = c.signed(&alice, looping(&alice), MAX_GAS);
    let started = std::time::Instant::now();
    let r = c.d.block(&[full]).tx_results.remove(0);
    eprintln!(
        "a wasm loop with the whole block gas limit ({MAX_GAS} gas): {:?}",
        started.elapsed()
    );
    assert_eq!(r.code.value(), 11, "{}", r.log);
}

/// Amino signatures cover a contract message as parsed JSON: bytes that repeat a key (which
/// the contract reads otherwise, or refuses) would be a twin under the same signature. They
/// are refused; the same call without the repeat runs.
#[test]
fn amino_signed_contract_messages_must_not_repeat_keys() {
    let mut c = Chain::new();
    let alice = c.alice.clone();
    let code_id = c.store(&alice, artifact("test_loop"));
    let contract = c.instantiate(&alice, code_id, json!({}), vec![]);
    let amino = |c: &mut Chain, msg: &[u8]| {
        let (number, sequence) = c.d.account(&alice.address).expect("account");
        let execute = any(&MsgExecuteContract {
            sender: alice.address.clone(),
            contract: contract.clone(),
            msg: msg.to_vec(),
            funds: vec![],
        });
        let fee = vec![Coin {
            denom: "uopen".into(),
            amount: "12500".into(),
        }];
        alice
            .sign_amino(CHAIN_ID, number, sequence, vec![execute], fee, 500_000, "")
            .unwrap()
    };
    let twin = amino(&mut c, br#"{"ok":{},"ok":{}}"#);
    let check = c.d.check(&twin, false);
    assert_ne!(check.code.value(), 0);
    assert!(check.log.contains("is repeated"), "{}", check.log);
    assert!(
        check.log.contains("SIGN_MODE_LEGACY_AMINO_JSON"),
        "{}",
        check.log
    );
    let r = c.d.block(&[twin]).tx_results.remove(0);
    assert_ne!(r.code.value(), 0);
    let tx = amino(&mut c, br#"{"ok":{}}"#);
    let r = c.d.block(&[tx]).tx_results.remove(0);
    assert_eq!(r.code.value(), 0, "{}", r.log);
    assert_eq!(attr(&r, "wasm", "action").as_deref(), Some("ok"));
}

/// As wasmd: a contract bound to an IBC port cannot migrate to code without the IBC entry
/// points (its channels would have nobody to answer them); the refusal comes before the new
/// code runs, and the contract keeps its code and port.
#[test]
fn a_contract_with_a_port_cannot_migrate_to_code_without_ibc() {
    use cosmos_sdk_proto::cosmwasm::wasm::v1::{
        MsgMigrateContract, QueryContractInfoRequest, QueryContractInfoResponse,
    };
    let mut c = Chain::new();
    let alice = c.alice.clone();
    let ics20_code = c.store(&alice, artifact("test_cw20_ics20"));
    let plain_code = c.store(&alice, artifact("test_cw20"));
    let ics20 = c.instantiate(
        &alice,
        ics20_code,
        json!({"default_timeout": 600, "gov_contract": alice.address, "allowlist": [], "default_gas_limit": null}),
        vec![],
    );
    let info = |c: &mut Chain| {
        let res = c.d.query(
            "/cosmwasm.wasm.v1.Query/ContractInfo",
            QueryContractInfoRequest {
                address: ics20.clone(),
            }
            .encode_to_vec(),
        );
        QueryContractInfoResponse::decode(res.value.as_ref())
            .unwrap()
            .contract_info
            .unwrap()
    };
    let before = info(&mut c);
    assert_eq!(before.ibc_port_id, format!("wasm.{ics20}"));
    let r = c.tx(
        &alice,
        vec![any(&MsgMigrateContract {
            sender: alice.address.clone(),
            contract: ics20.clone(),
            code_id: plain_code,
            msg: b"{}".to_vec(),
        })],
        5_000_000,
    );
    assert_eq!(
        (r.code.value(), r.codespace.as_str()),
        (11, "wasm"),
        "{}",
        r.log
    );
    assert!(r.log.contains("requires ibc callbacks"), "{}", r.log);
    let after = info(&mut c);
    assert_eq!(
        (after.code_id, after.ibc_port_id),
        (ics20_code, before.ibc_port_id)
    );
}

/// A contract's bank `AllBalances` query pays for every balance it reads (the SDK's per-step
/// iteration gas), where it cost one flat read: an account holding more denoms than the 3M
/// smart-query gas can pay for makes the query run out of gas, a small one still answers.
#[test]
fn a_contracts_all_balances_query_pays_per_balance_read() {
    let rich = Signer::from_secret(&[9; 32]).unwrap();
    let denoms = 20_000;
    let rich_address = rich.address.clone();
    let mut c = Chain::with_genesis(consensus_params(), move |state| {
        state.auth.accounts.push(GenesisAccount {
            address: rich_address.clone(),
        });
        state.bank.balances.push(Balance {
            address: rich_address,
            coins: (0..denoms)
                .map(|i| GenesisCoin {
                    denom: format!("factory{i:06}"),
                    amount: "1".into(),
                })
                .collect(),
        });
    });
    let alice = c.alice.clone();
    let code_id = c.store(&alice, artifact("test_reflect"));
    let reflect = c.instantiate(&alice, code_id, json!({}), vec![]);
    let all = |address: &str| json!({"chain": {"request": {"bank": {"all_balances": {"address": address}}}}});
    let small = c.smart(&reflect, all(&alice.address)).unwrap();
    assert_eq!(small["amount"].as_array().map(Vec::len), Some(1));
    let err = c.smart(&reflect, all(&rich.address)).unwrap_err();
    assert!(err.contains("out of gas"), "{err}");
}

/// A contract that deletes keys that are not there (each a tombstone in the block's overlay)
/// and then scans over them pays for every delete, and the scan's one step after any number of
/// tombstones costs the same: the delete-then-scan pattern is bounded by the gas it buys.
#[test]
fn deleting_then_scanning_is_bounded_by_gas() {
    let mut c = Chain::new();
    let alice = c.alice.clone();
    let code_id = c.store(&alice, artifact("test_loop"));
    let contract = c.instantiate(&alice, code_id, json!({}), vec![]);
    let mut run = |deletes: u32, gas: u64| {
        let tx = c.signed(
            &alice,
            vec![Chain::execute_msg(
                &alice,
                &contract,
                json!({"delete_then_scan": {"deletes": deletes}}),
            )],
            gas,
        );
        let started = std::time::Instant::now();
        let r = c.d.block(&[tx]).tx_results.remove(0);
        (r, started.elapsed())
    };
    let mut used = vec![];
    for deletes in [0u32, 5_000, 10_000, 20_000] {
        let (r, took) = run(deletes, 50_000_000);
        assert_eq!(r.code.value(), 0, "{deletes} deletes: {}", r.log);
        // the scan steps over every tombstone to the one live key
        assert!(
            r.events
                .iter()
                .flat_map(|e| &e.attributes)
                .any(|a| a.key_str().ok() == Some("first") && a.value_str().ok() == Some("u")),
            "{deletes} deletes: the scan did not reach the live key"
        );
        eprintln!(
            "delete {deletes} absent keys, then one scan step: {} gas, {took:?}",
            r.gas_used
        );
        used.push(r.gas_used);
    }
    // Every delete is charged, and the same for each: linear in the deletes, with the scan's
    // step costing nothing that grows with the tombstones it skipped.
    let per_delete = (used[2] - used[1]) as f64 / 5_000.0;
    assert!(per_delete > 0.0);
    let predicted = used[2] as f64 + per_delete * 10_000.0;
    assert!(
        (used[3] as f64 - predicted).abs() < predicted * 0.02,
        "gas {used:?} is not linear in the deletes ({per_delete} per delete)"
    );
    // What a gas limit buys is all it gets: 10 million deletes run out of a 10M-gas limit.
    let (r, took) = run(10_000_000, 10_000_000);
    assert_ne!(r.code.value(), 0);
    assert!(r.log.contains("Ran out of gas"), "{}", r.log);
    assert!(r.gas_used <= 10_000_000, "{}", r.gas_used);
    eprintln!("10 million deletes under a 10M gas limit: out of gas after {took:?}");
}
