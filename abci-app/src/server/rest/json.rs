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
use ibc_proto::ibc::core::channel::v1 as ibc_channel;
use ibc_proto::ibc::core::client::v1::Height as IbcHeight;
use ibc_proto::ibc::core::connection::v1 as ibc_connection;
use ibc_proto::ibc::lightclients::tendermint::v1 as tm_client;
use prost::Message;
use serde_json::{json, Map, Value};
use tendermint_proto::abci::Event;
use tendermint_proto::google::protobuf::Duration as ProtoDuration;
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
        "/ibc.lightclients.tendermint.v1.ClientState" => {
            decode::<tm_client::ClientState>(v).map(|x| tendermint_client_state(&x))
        }
        "/ibc.lightclients.tendermint.v1.ConsensusState" => {
            decode::<tm_client::ConsensusState>(v).map(|x| {
                json!({
                    "timestamp": timestamp(x.timestamp.as_ref()),
                    "root": {"hash": bytes(x.root.as_ref().map_or(&[][..], |r| &r.hash))},
                    "next_validators_hash": hex_upper(&x.next_validators_hash),
                })
            })
        }
        _ => None,
    };
    with_type(
        &a.type_url,
        fields.unwrap_or_else(|| json!({"value": bytes(v)})),
    )
}

/// `google.protobuf.Duration` as jsonpb writes it: seconds with 0, 3, 6 or 9 fraction digits.
pub fn duration(d: Option<&ProtoDuration>) -> Value {
    let Some(d) = d else {
        return Value::Null;
    };
    let nanos = d.nanos.unsigned_abs();
    let sign = if d.seconds < 0 || d.nanos < 0 {
        "-"
    } else {
        ""
    };
    let seconds = d.seconds.unsigned_abs();
    let fraction = match nanos {
        0 => String::new(),
        n if n % 1_000_000 == 0 => format!(".{:03}", n / 1_000_000),
        n if n % 1_000 == 0 => format!(".{:06}", n / 1_000),
        n => format!(".{n:09}"),
    };
    Value::String(format!("{sign}{seconds}{fraction}s"))
}

/// gogo's `HexBytes` (CometBFT hashes): upper-case hex.
fn hex_upper(b: &[u8]) -> Value {
    Value::String(hex::encode_upper(b))
}

// IBC core types (ibc-go v8 gateway JSON).

pub fn ibc_height(h: Option<&IbcHeight>) -> Value {
    let h = h.copied().unwrap_or_default();
    json!({"revision_number": int64(h.revision_number), "revision_height": int64(h.revision_height)})
}

fn enum_name(name: Option<&'static str>, raw: i32) -> Value {
    name.map_or_else(|| json!(raw), |n| json!(n))
}

pub fn ibc_channel(c: &ibc_channel::Channel) -> Value {
    let counterparty = c.counterparty.clone().unwrap_or_default();
    json!({
        "state": enum_name(ibc_channel::State::try_from(c.state).ok().map(|s| s.as_str_name()), c.state),
        "ordering": enum_name(ibc_channel::Order::try_from(c.ordering).ok().map(|o| o.as_str_name()), c.ordering),
        "counterparty": {"port_id": counterparty.port_id, "channel_id": counterparty.channel_id},
        "connection_hops": c.connection_hops,
        "version": c.version,
        "upgrade_sequence": int64(c.upgrade_sequence),
    })
}

pub fn ibc_identified_channel(c: &ibc_channel::IdentifiedChannel) -> Value {
    let mut v = ibc_channel(&ibc_channel::Channel {
        state: c.state,
        ordering: c.ordering,
        counterparty: c.counterparty.clone(),
        connection_hops: c.connection_hops.clone(),
        version: c.version.clone(),
        upgrade_sequence: c.upgrade_sequence,
    });
    v["port_id"] = json!(c.port_id);
    v["channel_id"] = json!(c.channel_id);
    v
}

pub fn ibc_connection(c: &ibc_connection::ConnectionEnd) -> Value {
    let counterparty = c.counterparty.clone().unwrap_or_default();
    let state = ibc_connection::State::try_from(c.state)
        .ok()
        .map(|s| s.as_str_name());
    json!({
        "client_id": c.client_id,
        "versions": c.versions.iter()
            .map(|v| json!({"identifier": v.identifier, "features": v.features}))
            .collect::<Vec<_>>(),
        "state": enum_name(state, c.state),
        "counterparty": {
            "client_id": counterparty.client_id,
            "connection_id": counterparty.connection_id,
            "prefix": {"key_prefix": bytes(counterparty.prefix.as_ref().map_or(&[][..], |p| &p.key_prefix))},
        },
        "delay_period": int64(c.delay_period),
    })
}

// ibc-go's gateway still writes the deprecated `allow_update_after_*` fields.
#[allow(deprecated)]
fn tendermint_client_state(c: &tm_client::ClientState) -> Value {
    let trust = c.trust_level.unwrap_or_default();
    json!({
        "chain_id": c.chain_id,
        "trust_level": {"numerator": int64(trust.numerator), "denominator": int64(trust.denominator)},
        "trusting_period": duration(c.trusting_period.as_ref()),
        "unbonding_period": duration(c.unbonding_period.as_ref()),
        "max_clock_drift": duration(c.max_clock_drift.as_ref()),
        "frozen_height": ibc_height(c.frozen_height.as_ref()),
        "latest_height": ibc_height(c.latest_height.as_ref()),
        "proof_specs": c.proof_specs.iter().map(proof_spec).collect::<Vec<_>>(),
        "upgrade_path": c.upgrade_path,
        "allow_update_after_expiry": c.allow_update_after_expiry,
        "allow_update_after_misbehaviour": c.allow_update_after_misbehaviour,
    })
}

fn proof_spec(s: &ics23::ProofSpec) -> Value {
    let hash = |op: i32| {
        enum_name(
            ics23::HashOp::try_from(op).ok().map(|h| h.as_str_name()),
            op,
        )
    };
    let length = |op: i32| {
        enum_name(
            ics23::LengthOp::try_from(op).ok().map(|l| l.as_str_name()),
            op,
        )
    };
    json!({
        "leaf_spec": s.leaf_spec.as_ref().map(|l| json!({
            "hash": hash(l.hash),
            "prehash_key": hash(l.prehash_key),
            "prehash_value": hash(l.prehash_value),
            "length": length(l.length),
            "prefix": bytes(&l.prefix),
        })),
        "inner_spec": s.inner_spec.as_ref().map(|i| json!({
            "child_order": i.child_order,
            "child_size": i.child_size,
            "min_prefix_length": i.min_prefix_length,
            "max_prefix_length": i.max_prefix_length,
            "empty_child": bytes(&i.empty_child),
            "hash": hash(i.hash),
        })),
        "max_depth": s.max_depth,
        "min_depth": s.min_depth,
        "prehash_key_before_comparison": s.prehash_key_before_comparison,
    })
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

    #[test]
    fn durations_render_like_jsonpb() {
        let d = |seconds, nanos| duration(Some(&ProtoDuration { seconds, nanos }));
        assert_eq!(d(1_209_600, 0), json!("1209600s"));
        assert_eq!(d(40, 500_000_000), json!("40.500s"));
        assert_eq!(d(0, 1_500), json!("0.000001500s"));
        assert_eq!(d(-3, 0), json!("-3s"));
        assert_eq!(duration(None), Value::Null);
    }

    // The shape Keplr reads `chain_id` from, and the IAVL spec as every ibc-go LCD prints it.
    #[test]
    #[allow(deprecated)]
    fn tendermint_client_states_render_like_ibc_go() {
        let height = |h| IbcHeight {
            revision_number: 1,
            revision_height: h,
        };
        let state = tm_client::ClientState {
            chain_id: "openledger-b".into(),
            trust_level: Some(tm_client::Fraction {
                numerator: 1,
                denominator: 3,
            }),
            trusting_period: Some(ProtoDuration {
                seconds: 1_209_600,
                nanos: 0,
            }),
            unbonding_period: Some(ProtoDuration {
                seconds: 1_814_400,
                nanos: 0,
            }),
            max_clock_drift: Some(ProtoDuration {
                seconds: 40,
                nanos: 0,
            }),
            frozen_height: None,
            latest_height: Some(height(42)),
            proof_specs: vec![ics23::iavl_spec()],
            upgrade_path: vec!["upgrade".into(), "upgradedIBCState".into()],
            allow_update_after_expiry: true,
            allow_update_after_misbehaviour: true,
        };
        let packed = Any {
            type_url: "/ibc.lightclients.tendermint.v1.ClientState".into(),
            value: state.encode_to_vec(),
        };
        assert_eq!(
            any(&packed),
            json!({
                "@type": "/ibc.lightclients.tendermint.v1.ClientState",
                "chain_id": "openledger-b",
                "trust_level": {"numerator": "1", "denominator": "3"},
                "trusting_period": "1209600s",
                "unbonding_period": "1814400s",
                "max_clock_drift": "40s",
                "frozen_height": {"revision_number": "0", "revision_height": "0"},
                "latest_height": {"revision_number": "1", "revision_height": "42"},
                "proof_specs": [{
                    "leaf_spec": {
                        "hash": "SHA256", "prehash_key": "NO_HASH", "prehash_value": "SHA256",
                        "length": "VAR_PROTO", "prefix": "AA==",
                    },
                    "inner_spec": {
                        "child_order": [0, 1], "child_size": 33, "min_prefix_length": 4,
                        "max_prefix_length": 12, "empty_child": null, "hash": "SHA256",
                    },
                    "max_depth": 0, "min_depth": 0, "prehash_key_before_comparison": false,
                }],
                "upgrade_path": ["upgrade", "upgradedIBCState"],
                "allow_update_after_expiry": true,
                "allow_update_after_misbehaviour": true,
            })
        );
    }

    #[test]
    fn channels_render_enums_by_name() {
        let channel = ibc_channel::IdentifiedChannel {
            state: ibc_channel::State::Open as i32,
            ordering: ibc_channel::Order::Unordered as i32,
            counterparty: Some(ibc_channel::Counterparty {
                port_id: "transfer".into(),
                channel_id: "channel-0".into(),
            }),
            connection_hops: vec!["connection-0".into()],
            version: "ics20-1".into(),
            port_id: "transfer".into(),
            channel_id: "channel-1".into(),
            upgrade_sequence: 0,
        };
        assert_eq!(
            ibc_identified_channel(&channel),
            json!({
                "state": "STATE_OPEN",
                "ordering": "ORDER_UNORDERED",
                "counterparty": {"port_id": "transfer", "channel_id": "channel-0"},
                "connection_hops": ["connection-0"],
                "version": "ics20-1",
                "upgrade_sequence": "0",
                "port_id": "transfer",
                "channel_id": "channel-1",
            })
        );
        // An unknown enum value is kept as its number rather than failing the response.
        let odd = ibc_channel::Channel {
            state: 99,
            ..Default::default()
        };
        assert_eq!(ibc_channel(&odd)["state"], json!(99));
    }
}
