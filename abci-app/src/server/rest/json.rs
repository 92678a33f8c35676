//! Protobuf → JSON exactly as the SDK's grpc-gateway marshaller writes it (gogo `JSONPb`
//! with `EmitDefaults` and `OrigName`): snake_case proto field names, every field present,
//! 64-bit integers as strings, 32-bit as numbers, bytes as standard base64 (`null` when
//! empty), enums by name, `Any` inlined as `{"@type": url, …fields}`.
//!
//! One function per message type we serve; `Any` values are resolved by a fixed registry of
//! the types this chain stores or accepts ([`any`]).

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use cosmos_sdk_proto::cosmos::auth::v1beta1::{BaseAccount, ModuleAccount, Params as AuthParams};
use cosmos_sdk_proto::cosmos::bank::v1beta1 as bank;
use cosmos_sdk_proto::cosmos::base::abci::v1beta1::{GasInfo, Result as AbciResult, TxResponse};
use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageResponse;
use cosmos_sdk_proto::cosmos::base::tendermint::v1beta1::{
    Block as SdkBlock, GetNodeInfoResponse, Header as SdkHeader, VersionInfo,
};
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin;
use cosmos_sdk_proto::cosmos::crypto::{ed25519, secp256k1};
use cosmos_sdk_proto::cosmos::tx::signing::v1beta1::SignMode;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{
    mode_info, AuthInfo, Fee, ModeInfo, SignerInfo, Tip, Tx, TxBody,
};
use cosmos_sdk_proto::cosmwasm::wasm::v1 as wasm;
use cosmos_sdk_proto::Any;
use prost::Message;
use serde_json::{json, Map, Value};
use tendermint_proto::abci::Event;
use tendermint_proto::google::protobuf::Timestamp;
use tendermint_proto::types::{
    Block, BlockId, BlockIdFlag, Commit, CommitSig, Data, EvidenceList, Header, PartSetHeader,
};

/// `bytes`: base64, or `null` when empty (gogo leaves a nil slice as null).
pub fn bytes(b: &[u8]) -> Value {
    if b.is_empty() {
        Value::Null
    } else {
        Value::String(B64.encode(b))
    }
}

/// `bytes` that are never null in practice (tx signatures, keys): base64, `""` when empty.
fn bytes_str(b: &[u8]) -> Value {
    Value::String(B64.encode(b))
}

fn int64(n: impl ToString) -> Value {
    Value::String(n.to_string())
}

pub fn coin(c: &Coin) -> Value {
    json!({"denom": c.denom, "amount": c.amount})
}

pub fn coins(list: &[Coin]) -> Value {
    Value::Array(list.iter().map(coin).collect())
}

pub fn page(p: Option<&PageResponse>) -> Value {
    match p {
        Some(p) => json!({"next_key": bytes(&p.next_key), "total": int64(p.total)}),
        None => Value::Null,
    }
}

/// An empty page (`{"next_key": null, "total": "0"}`) for modules this chain does not run.
pub fn empty_page() -> Value {
    page(Some(&PageResponse::default()))
}

/// RFC 3339 as Go's `time.Time` JSON (fractional seconds only when non-zero).
pub fn timestamp(t: Option<&Timestamp>) -> Value {
    let Some(t) = t else {
        return Value::Null;
    };
    match tendermint::Time::from_unix_timestamp(t.seconds, t.nanos.max(0) as u32) {
        Ok(time) => Value::String(time.to_rfc3339()),
        Err(_) => Value::Null,
    }
}

fn with_type(type_url: &str, fields: Value) -> Value {
    let mut map = Map::new();
    map.insert("@type".to_string(), Value::String(type_url.to_string()));
    if let Value::Object(fields) = fields {
        map.extend(fields);
    }
    Value::Object(map)
}

fn decode<M: Message + Default>(value: &[u8]) -> Option<M> {
    M::decode(value).ok()
}

/// A contract message (`RawContractMessage`): wasmd renders it as the JSON it holds.
fn raw_json(msg: &[u8]) -> Value {
    serde_json::from_slice(msg).unwrap_or_else(|_| bytes(msg))
}

/// `Any` inlined with `@type`. Types outside the registry keep their bytes under `value`
/// (where the SDK would fail the whole response).
pub fn any(a: &Any) -> Value {
    let v = a.value.as_slice();
    let fields: Option<Value> = match a.type_url.as_str() {
        "/cosmos.auth.v1beta1.BaseAccount" => decode::<BaseAccount>(v).map(|x| base_account(&x)),
        "/cosmos.auth.v1beta1.ModuleAccount" => decode::<ModuleAccount>(v).map(|x| {
            json!({
                "base_account": x.base_account.as_ref().map(base_account),
                "name": x.name,
                "permissions": x.permissions,
            })
        }),
        "/cosmos.crypto.secp256k1.PubKey" => {
            decode::<secp256k1::PubKey>(v).map(|x| json!({"key": bytes_str(&x.key)}))
        }
        "/cosmos.crypto.ed25519.PubKey" => {
            decode::<ed25519::PubKey>(v).map(|x| json!({"key": bytes_str(&x.key)}))
        }
        "/cosmos.tx.v1beta1.Tx" => decode::<Tx>(v).map(|x| tx(&x)),
        "/cosmos.bank.v1beta1.MsgSend" => decode::<bank::MsgSend>(v).map(|x| {
            json!({"from_address": x.from_address, "to_address": x.to_address, "amount": coins(&x.amount)})
        }),
        "/cosmos.bank.v1beta1.MsgMultiSend" => decode::<bank::MsgMultiSend>(v).map(|x| {
            let io = |address: &str, c: &[Coin]| json!({"address": address, "coins": coins(c)});
            json!({
                "inputs": x.inputs.iter().map(|i| io(&i.address, &i.coins)).collect::<Vec<_>>(),
                "outputs": x.outputs.iter().map(|o| io(&o.address, &o.coins)).collect::<Vec<_>>(),
            })
        }),
        "/cosmos.bank.v1beta1.MsgSendResponse" | "/cosmos.bank.v1beta1.MsgMultiSendResponse" => {
            Some(json!({}))
        }
        "/cosmwasm.wasm.v1.MsgStoreCode" => decode::<wasm::MsgStoreCode>(v).map(|x| {
            json!({
                "sender": x.sender,
                "wasm_byte_code": bytes(&x.wasm_byte_code),
                "instantiate_permission": x.instantiate_permission.as_ref().map(access_config),
            })
        }),
        "/cosmwasm.wasm.v1.MsgStoreCodeResponse" => decode::<wasm::MsgStoreCodeResponse>(v)
            .map(|x| json!({"code_id": int64(x.code_id), "checksum": bytes(&x.checksum)})),
        "/cosmwasm.wasm.v1.MsgInstantiateContract" => {
            decode::<wasm::MsgInstantiateContract>(v).map(|x| {
                json!({
                    "sender": x.sender, "admin": x.admin, "code_id": int64(x.code_id),
                    "label": x.label, "msg": raw_json(&x.msg), "funds": coins(&x.funds),
                })
            })
        }
        "/cosmwasm.wasm.v1.MsgInstantiateContract2" => {
            decode::<wasm::MsgInstantiateContract2>(v).map(|x| {
                json!({
                    "sender": x.sender, "admin": x.admin, "code_id": int64(x.code_id),
                    "label": x.label, "msg": raw_json(&x.msg), "funds": coins(&x.funds),
                    "salt": bytes(&x.salt), "fix_msg": x.fix_msg,
                })
            })
        }
        "/cosmwasm.wasm.v1.MsgInstantiateContractResponse" => {
            decode::<wasm::MsgInstantiateContractResponse>(v)
                .map(|x| json!({"address": x.address, "data": bytes(&x.data)}))
        }
        "/cosmwasm.wasm.v1.MsgInstantiateContract2Response" => {
            decode::<wasm::MsgInstantiateContract2Response>(v)
                .map(|x| json!({"address": x.address, "data": bytes(&x.data)}))
        }
        "/cosmwasm.wasm.v1.MsgExecuteContract" => decode::<wasm::MsgExecuteContract>(v).map(|x| {
            json!({
                "sender": x.sender, "contract": x.contract,
                "msg": raw_json(&x.msg), "funds": coins(&x.funds),
            })
        }),
        "/cosmwasm.wasm.v1.MsgExecuteContractResponse" => {
            decode::<wasm::MsgExecuteContractResponse>(v).map(|x| json!({"data": bytes(&x.data)}))
        }
        "/cosmwasm.wasm.v1.MsgMigrateContract" => decode::<wasm::MsgMigrateContract>(v).map(|x| {
            json!({
                "sender": x.sender, "contract": x.contract,
                "code_id": int64(x.code_id), "msg": raw_json(&x.msg),
            })
        }),
        "/cosmwasm.wasm.v1.MsgMigrateContractResponse" => {
            decode::<wasm::MsgMigrateContractResponse>(v).map(|x| json!({"data": bytes(&x.data)}))
        }
        "/cosmwasm.wasm.v1.MsgUpdateAdmin" => decode::<wasm::MsgUpdateAdmin>(v).map(|x| {
            json!({"sender": x.sender, "new_admin": x.new_admin, "contract": x.contract})
        }),
        "/cosmwasm.wasm.v1.MsgClearAdmin" => decode::<wasm::MsgClearAdmin>(v)
            .map(|x| json!({"sender": x.sender, "contract": x.contract})),
        "/cosmwasm.wasm.v1.MsgUpdateAdminResponse" | "/cosmwasm.wasm.v1.MsgClearAdminResponse" => {
            Some(json!({}))
        }
        _ => None,
    };
    with_type(
        &a.type_url,
        fields.unwrap_or_else(|| json!({"value": bytes(v)})),
    )
}

fn access_config(c: &wasm::AccessConfig) -> Value {
    let permission = wasm::AccessType::try_from(c.permission)
        .map(|p| p.as_str_name().to_string())
        .unwrap_or_else(|_| c.permission.to_string());
    json!({"permission": permission, "addresses": c.addresses})
}

pub fn base_account(a: &BaseAccount) -> Value {
    json!({
        "address": a.address,
        "pub_key": a.pub_key.as_ref().map(any),
        "account_number": int64(a.account_number),
        "sequence": int64(a.sequence),
    })
}

pub fn auth_params(p: &AuthParams) -> Value {
    json!({
        "max_memo_characters": int64(p.max_memo_characters),
        "tx_sig_limit": int64(p.tx_sig_limit),
        "tx_size_cost_per_byte": int64(p.tx_size_cost_per_byte),
        "sig_verify_cost_ed25519": int64(p.sig_verify_cost_ed25519),
        "sig_verify_cost_secp256k1": int64(p.sig_verify_cost_secp256k1),
    })
}

#[allow(deprecated)] // `send_enabled` is deprecated in Params but still part of the JSON.
pub fn bank_params(p: &bank::Params) -> Value {
    json!({
        "send_enabled": p.send_enabled.iter()
            .map(|s| json!({"denom": s.denom, "enabled": s.enabled}))
            .collect::<Vec<_>>(),
        "default_send_enabled": p.default_send_enabled,
    })
}

pub fn metadata(m: &bank::Metadata) -> Value {
    json!({
        "description": m.description,
        "denom_units": m.denom_units.iter()
            .map(|u| json!({"denom": u.denom, "exponent": u.exponent, "aliases": u.aliases}))
            .collect::<Vec<_>>(),
        "base": m.base,
        "display": m.display,
        "name": m.name,
        "symbol": m.symbol,
        "uri": m.uri,
        "uri_hash": m.uri_hash,
    })
}

pub fn event(e: &Event) -> Value {
    json!({
        "type": e.r#type,
        "attributes": e.attributes.iter()
            .map(|a| json!({"key": a.key, "value": a.value, "index": a.index}))
            .collect::<Vec<_>>(),
    })
}

fn events(list: &[Event]) -> Value {
    Value::Array(list.iter().map(event).collect())
}

pub fn gas_info(g: Option<&GasInfo>) -> Value {
    g.map_or(
        Value::Null,
        |g| json!({"gas_wanted": int64(g.gas_wanted), "gas_used": int64(g.gas_used)}),
    )
}

#[allow(deprecated)] // `data` is deprecated in favour of `msg_responses`, still emitted.
pub fn abci_result(r: Option<&AbciResult>) -> Value {
    r.map_or(Value::Null, |r| {
        json!({
            "data": bytes(&r.data),
            "log": r.log,
            "events": events(&r.events),
            "msg_responses": r.msg_responses.iter().map(any).collect::<Vec<_>>(),
        })
    })
}

pub fn tx_response(r: &TxResponse) -> Value {
    json!({
        "height": int64(r.height),
        "txhash": r.txhash,
        "codespace": r.codespace,
        "code": r.code,
        "data": r.data,
        "raw_log": r.raw_log,
        "logs": [],
        "info": r.info,
        "gas_wanted": int64(r.gas_wanted),
        "gas_used": int64(r.gas_used),
        "tx": r.tx.as_ref().map(any),
        "timestamp": r.timestamp,
        "events": events(&r.events),
    })
}

fn sign_mode(mode: i32) -> Value {
    match SignMode::try_from(mode) {
        Ok(m) => Value::String(m.as_str_name().to_string()),
        Err(_) => json!(mode),
    }
}

fn mode_info(m: &ModeInfo) -> Value {
    match &m.sum {
        Some(mode_info::Sum::Single(s)) => json!({"single": {"mode": sign_mode(s.mode)}}),
        Some(mode_info::Sum::Multi(multi)) => json!({"multi": {
            "bitarray": multi.bitarray.as_ref().map(|b| json!({
                "extra_bits_stored": b.extra_bits_stored,
                "elems": bytes(&b.elems),
            })),
            "mode_infos": multi.mode_infos.iter().map(mode_info).collect::<Vec<_>>(),
        }}),
        None => json!({}),
    }
}

fn signer_info(s: &SignerInfo) -> Value {
    json!({
        "public_key": s.public_key.as_ref().map(any),
        "mode_info": s.mode_info.as_ref().map(mode_info),
        "sequence": int64(s.sequence),
    })
}

fn fee(f: &Fee) -> Value {
    json!({
        "amount": coins(&f.amount),
        "gas_limit": int64(f.gas_limit),
        "payer": f.payer,
        "granter": f.granter,
    })
}

fn tip(t: &Tip) -> Value {
    json!({"amount": coins(&t.amount), "tipper": t.tipper})
}

fn tx_body(b: &TxBody) -> Value {
    json!({
        "messages": b.messages.iter().map(any).collect::<Vec<_>>(),
        "memo": b.memo,
        "timeout_height": int64(b.timeout_height),
        "extension_options": b.extension_options.iter().map(any).collect::<Vec<_>>(),
        "non_critical_extension_options":
            b.non_critical_extension_options.iter().map(any).collect::<Vec<_>>(),
    })
}

#[allow(deprecated)] // AuthInfo.tip is deprecated in SDK 0.50 but still rendered.
fn auth_info(a: &AuthInfo) -> Value {
    json!({
        "signer_infos": a.signer_infos.iter().map(signer_info).collect::<Vec<_>>(),
        "fee": a.fee.as_ref().map(fee),
        "tip": a.tip.as_ref().map(tip),
    })
}

pub fn tx(t: &Tx) -> Value {
    json!({
        "body": t.body.as_ref().map(tx_body),
        "auth_info": t.auth_info.as_ref().map(auth_info),
        "signatures": t.signatures.iter().map(|s| bytes_str(s)).collect::<Vec<_>>(),
    })
}

pub fn version_info(v: Option<&VersionInfo>) -> Value {
    v.map_or(Value::Null, |v| {
        json!({
            "name": v.name,
            "app_name": v.app_name,
            "version": v.version,
            "git_commit": v.git_commit,
            "build_tags": v.build_tags,
            "go_version": v.go_version,
            "build_deps": v.build_deps.iter()
                .map(|m| json!({"path": m.path, "version": m.version, "sum": m.sum}))
                .collect::<Vec<_>>(),
            "cosmos_sdk_version": v.cosmos_sdk_version,
        })
    })
}

pub fn node_info(r: &GetNodeInfoResponse) -> Value {
    let ni = r.default_node_info.as_ref().map(|ni| {
        json!({
            "protocol_version": ni.protocol_version.as_ref().map(|p| json!({
                "p2p": int64(p.p2p), "block": int64(p.block), "app": int64(p.app),
            })),
            "default_node_id": ni.default_node_id,
            "listen_addr": ni.listen_addr,
            "network": ni.network,
            "version": ni.version,
            "channels": bytes(&ni.channels),
            "moniker": ni.moniker,
            "other": ni.other.as_ref().map(|o| json!({
                "tx_index": o.tx_index, "rpc_address": o.rpc_address,
            })),
        })
    });
    json!({
        "default_node_info": ni,
        "application_version": version_info(r.application_version.as_ref()),
    })
}

fn part_set_header(p: Option<&PartSetHeader>) -> Value {
    p.map_or(
        Value::Null,
        |p| json!({"total": p.total, "hash": bytes(&p.hash)}),
    )
}

pub fn block_id(id: Option<&BlockId>) -> Value {
    id.map_or(Value::Null, |id| {
        json!({"hash": bytes(&id.hash), "part_set_header": part_set_header(id.part_set_header.as_ref())})
    })
}

/// Header fields shared by the CometBFT header and the SDK header (which differ only in the
/// proposer address: bytes vs bech32).
fn header_fields(
    version: Option<&tendermint_proto::version::Consensus>,
    chain_id: &str,
    height: i64,
    time: Option<&Timestamp>,
    last_block_id: Option<&BlockId>,
    hashes: [(&str, &[u8]); 8],
    proposer_address: Value,
) -> Value {
    let mut map = Map::new();
    map.insert(
        "version".into(),
        version.map_or(
            Value::Null,
            |v| json!({"block": int64(v.block), "app": int64(v.app)}),
        ),
    );
    map.insert("chain_id".into(), json!(chain_id));
    map.insert("height".into(), int64(height));
    map.insert("time".into(), timestamp(time));
    map.insert("last_block_id".into(), block_id(last_block_id));
    for (name, hash) in hashes {
        map.insert(name.into(), bytes(hash));
    }
    map.insert("proposer_address".into(), proposer_address);
    Value::Object(map)
}

fn header(h: &Header) -> Value {
    header_fields(
        h.version.as_ref(),
        &h.chain_id,
        h.height,
        h.time.as_ref(),
        h.last_block_id.as_ref(),
        [
            ("last_commit_hash", &h.last_commit_hash),
            ("data_hash", &h.data_hash),
            ("validators_hash", &h.validators_hash),
            ("next_validators_hash", &h.next_validators_hash),
            ("consensus_hash", &h.consensus_hash),
            ("app_hash", &h.app_hash),
            ("last_results_hash", &h.last_results_hash),
            ("evidence_hash", &h.evidence_hash),
        ],
        bytes(&h.proposer_address),
    )
}

fn sdk_header(h: &SdkHeader) -> Value {
    header_fields(
        h.version.as_ref(),
        &h.chain_id,
        h.height,
        h.time.as_ref(),
        h.last_block_id.as_ref(),
        [
            ("last_commit_hash", &h.last_commit_hash),
            ("data_hash", &h.data_hash),
            ("validators_hash", &h.validators_hash),
            ("next_validators_hash", &h.next_validators_hash),
            ("consensus_hash", &h.consensus_hash),
            ("app_hash", &h.app_hash),
            ("last_results_hash", &h.last_results_hash),
            ("evidence_hash", &h.evidence_hash),
        ],
        json!(h.proposer_address),
    )
}

fn data(d: Option<&Data>) -> Value {
    d.map_or(
        Value::Null,
        |d| json!({"txs": d.txs.iter().map(|t| bytes_str(t)).collect::<Vec<_>>()}),
    )
}

/// Evidence is rendered by type name only: this chain's blocks carry none in practice.
fn evidence(e: Option<&EvidenceList>) -> Value {
    e.map_or(
        Value::Null,
        |e| json!({"evidence": e.evidence.iter().map(|_| json!({})).collect::<Vec<_>>()}),
    )
}

fn commit_sig(s: &CommitSig) -> Value {
    let flag = BlockIdFlag::try_from(s.block_id_flag)
        .map(|f| json!(f.as_str_name()))
        .unwrap_or_else(|_| json!(s.block_id_flag));
    json!({
        "block_id_flag": flag,
        "validator_address": bytes(&s.validator_address),
        "timestamp": timestamp(s.timestamp.as_ref()),
        "signature": bytes(&s.signature),
    })
}

fn commit(c: Option<&Commit>) -> Value {
    c.map_or(Value::Null, |c| {
        json!({
            "height": int64(c.height),
            "round": c.round,
            "block_id": block_id(c.block_id.as_ref()),
            "signatures": c.signatures.iter().map(commit_sig).collect::<Vec<_>>(),
        })
    })
}

pub fn block(b: &Block) -> Value {
    json!({
        "header": b.header.as_ref().map(header),
        "data": data(b.data.as_ref()),
        "evidence": evidence(b.evidence.as_ref()),
        "last_commit": commit(b.last_commit.as_ref()),
    })
}

pub fn sdk_block(b: &SdkBlock) -> Value {
    json!({
        "header": b.header.as_ref().map(sdk_header),
        "data": data(b.data.as_ref()),
        "evidence": evidence(b.evidence.as_ref()),
        "last_commit": commit(b.last_commit.as_ref()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_render_like_the_gateway() {
        let key = secp256k1::PubKey { key: vec![2; 33] };
        let account = BaseAccount {
            address: "open1x".into(),
            pub_key: Some(Any {
                type_url: "/cosmos.crypto.secp256k1.PubKey".into(),
                value: key.encode_to_vec(),
            }),
            account_number: 7,
            sequence: 0,
        };
        let any_account = Any {
            type_url: "/cosmos.auth.v1beta1.BaseAccount".into(),
            value: account.encode_to_vec(),
        };
        assert_eq!(
            any(&any_account),
            json!({
                "@type": "/cosmos.auth.v1beta1.BaseAccount",
                "address": "open1x",
                "pub_key": {"@type": "/cosmos.crypto.secp256k1.PubKey", "key": B64.encode([2u8; 33])},
                "account_number": "7",
                "sequence": "0",
            })
        );
    }

    #[test]
    fn empty_pages_and_unknown_anys() {
        assert_eq!(empty_page(), json!({"next_key": null, "total": "0"}));
        let unknown = Any {
            type_url: "/x.y.Z".into(),
            value: vec![1, 2],
        };
        assert_eq!(any(&unknown), json!({"@type": "/x.y.Z", "value": "AQI="}));
    }
}
