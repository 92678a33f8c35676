//! `cosmwasm.wasm.v1` messages: decoding, signers, stateless checks and amino JSON.

use cosmos_sdk_proto::cosmwasm::wasm::v1::{
    AccessConfig, MsgClearAdmin, MsgExecuteContract, MsgInstantiateContract,
    MsgInstantiateContract2, MsgMigrateContract, MsgStoreCode, MsgUpdateAdmin,
};
use cosmos_sdk_proto::Any;
use prost::{Message, Name};
use serde_json::{json, Map, Value};

use super::errors;
use crate::app::coins::Coins;
use crate::app::error::TxError;
use crate::app::msgs::coins_json;
use crate::crypto;

/// Largest upload, compressed or not (wasmd `MaxWasmSize`).
pub const MAX_WASM_SIZE: usize = 800 * 1024;
/// Longest label (wasmd `MaxLabelSize`).
pub const MAX_LABEL_SIZE: usize = 128;
/// Longest Instantiate2 salt (wasmd `MaxSaltSize`).
pub const MAX_SALT_SIZE: usize = 64;

#[derive(Debug, Clone, PartialEq)]
pub enum WasmMsg {
    StoreCode(MsgStoreCode),
    Instantiate(MsgInstantiateContract),
    Instantiate2(MsgInstantiateContract2),
    Execute(MsgExecuteContract),
    Migrate(MsgMigrateContract),
    UpdateAdmin(MsgUpdateAdmin),
    ClearAdmin(MsgClearAdmin),
}

fn decode<M: Message + Default>(any: &Any) -> Result<M, TxError> {
    let msg = M::decode(any.value.as_slice())
        .map_err(|e| TxError::TxDecode(format!("decoding {}: {e}", any.type_url)))?;
    crate::app::tx::canonical(&any.type_url, &msg, &any.value)?;
    Ok(msg)
}

fn address(field: &str, value: &str) -> Result<Vec<u8>, TxError> {
    crypto::account_from_bech32(value)
        .map_err(|e| TxError::InvalidAddress(format!("invalid {field} address {value:?}: {e}")))
}

fn json_msg(msg: &[u8]) -> Result<Value, TxError> {
    serde_json::from_slice(msg).map_err(|e| errors::invalid(format!("msg: invalid JSON: {e}")))
}

fn label(label: &str) -> Result<(), TxError> {
    if label.trim().is_empty() {
        return Err(errors::empty("label is required"));
    }
    if label.len() > MAX_LABEL_SIZE {
        return Err(errors::limit(format!(
            "label cannot be longer than {MAX_LABEL_SIZE} characters"
        )));
    }
    Ok(())
}

fn funds(coins: &[cosmos_sdk_proto::cosmos::base::v1beta1::Coin]) -> Result<(), TxError> {
    Coins::from_proto(coins).map(|_| ())
}

impl WasmMsg {
    /// `None` when the type URL is not a wasm message.
    pub fn from_any(any: &Any) -> Option<Result<Self, TxError>> {
        let url = any.type_url.as_str();
        Some(if url == MsgStoreCode::type_url() {
            decode(any).map(WasmMsg::StoreCode)
        } else if url == MsgInstantiateContract::type_url() {
            decode(any).map(WasmMsg::Instantiate)
        } else if url == MsgInstantiateContract2::type_url() {
            decode(any).map(WasmMsg::Instantiate2)
        } else if url == MsgExecuteContract::type_url() {
            decode(any).map(WasmMsg::Execute)
        } else if url == MsgMigrateContract::type_url() {
            decode(any).map(WasmMsg::Migrate)
        } else if url == MsgUpdateAdmin::type_url() {
            decode(any).map(WasmMsg::UpdateAdmin)
        } else if url == MsgClearAdmin::type_url() {
            decode(any).map(WasmMsg::ClearAdmin)
        } else {
            return None;
        })
    }

    pub fn type_url(&self) -> String {
        match self {
            WasmMsg::StoreCode(_) => MsgStoreCode::type_url(),
            WasmMsg::Instantiate(_) => MsgInstantiateContract::type_url(),
            WasmMsg::Instantiate2(_) => MsgInstantiateContract2::type_url(),
            WasmMsg::Execute(_) => MsgExecuteContract::type_url(),
            WasmMsg::Migrate(_) => MsgMigrateContract::type_url(),
            WasmMsg::UpdateAdmin(_) => MsgUpdateAdmin::type_url(),
            WasmMsg::ClearAdmin(_) => MsgClearAdmin::type_url(),
        }
    }

    pub fn sender(&self) -> &str {
        match self {
            WasmMsg::StoreCode(m) => &m.sender,
            WasmMsg::Instantiate(m) => &m.sender,
            WasmMsg::Instantiate2(m) => &m.sender,
            WasmMsg::Execute(m) => &m.sender,
            WasmMsg::Migrate(m) => &m.sender,
            WasmMsg::UpdateAdmin(m) => &m.sender,
            WasmMsg::ClearAdmin(m) => &m.sender,
        }
    }

    pub fn signers(&self) -> Vec<String> {
        vec![self.sender().to_string()]
    }

    pub fn validate_basic(&self) -> Result<(), TxError> {
        address("sender", self.sender())?;
        match self {
            WasmMsg::StoreCode(m) => {
                if m.wasm_byte_code.is_empty() {
                    return Err(errors::empty("wasm byte code is required"));
                }
                if m.wasm_byte_code.len() > MAX_WASM_SIZE {
                    return Err(errors::limit(format!(
                        "wasm byte code of {} bytes exceeds {MAX_WASM_SIZE}",
                        m.wasm_byte_code.len()
                    )));
                }
                if let Some(p) = &m.instantiate_permission {
                    validate_access(p)?;
                }
            }
            WasmMsg::Instantiate(m) => {
                if m.code_id == 0 {
                    return Err(errors::invalid("code id is required"));
                }
                label(&m.label)?;
                if !m.admin.is_empty() {
                    address("admin", &m.admin)?;
                }
                funds(&m.funds)?;
                json_msg(&m.msg)?;
            }
            WasmMsg::Instantiate2(m) => {
                if m.code_id == 0 {
                    return Err(errors::invalid("code id is required"));
                }
                label(&m.label)?;
                if !m.admin.is_empty() {
                    address("admin", &m.admin)?;
                }
                if m.salt.is_empty() {
                    return Err(errors::empty("salt is required"));
                }
                if m.salt.len() > MAX_SALT_SIZE {
                    return Err(errors::limit(format!(
                        "salt cannot be longer than {MAX_SALT_SIZE} bytes"
                    )));
                }
                funds(&m.funds)?;
                json_msg(&m.msg)?;
            }
            WasmMsg::Execute(m) => {
                address("contract", &m.contract)?;
                funds(&m.funds)?;
                json_msg(&m.msg)?;
            }
            WasmMsg::Migrate(m) => {
                if m.code_id == 0 {
                    return Err(errors::invalid("code id is required"));
                }
                address("contract", &m.contract)?;
                json_msg(&m.msg)?;
            }
            WasmMsg::UpdateAdmin(m) => {
                address("contract", &m.contract)?;
                address("new admin", &m.new_admin)?;
                if m.new_admin == m.sender {
                    return Err(errors::invalid("new admin is the same as the old"));
                }
            }
            WasmMsg::ClearAdmin(m) => {
                address("contract", &m.contract)?;
            }
        }
        Ok(())
    }

    /// Legacy amino JSON as cosmjs's wasm amino converters build it: the contract `msg` is
    /// embedded as a JSON object (keys sorted, like the whole sign doc).
    /// Under SIGN_MODE_LEGACY_AMINO_JSON the signature covers a contract message as parsed
    /// JSON, not its bytes: bytes that repeat a key parse to what was signed, yet the contract
    /// reads them otherwise (or refuses them), so a third party could submit a twin that fails
    /// the user's call while spending his fee and sequence. Such bytes are refused.
    pub fn check_amino_payload(&self) -> Result<(), TxError> {
        let (field, bytes) = match self {
            WasmMsg::Instantiate(m) => ("MsgInstantiateContract.msg", &m.msg),
            WasmMsg::Instantiate2(m) => ("MsgInstantiateContract2.msg", &m.msg),
            WasmMsg::Execute(m) => ("MsgExecuteContract.msg", &m.msg),
            WasmMsg::Migrate(m) => ("MsgMigrateContract.msg", &m.msg),
            _ => return Ok(()),
        };
        serde_json::from_slice::<UniqueKeys>(bytes)
            .map(drop)
            .map_err(|e| {
                errors::invalid_msg(format!(
                    "{field} cannot be signed with SIGN_MODE_LEGACY_AMINO_JSON: {e}"
                ))
            })
    }

    pub fn amino_json(&self) -> Value {
        let msg = |bytes: &[u8]| serde_json::from_slice::<Value>(bytes).unwrap_or(Value::Null);
        let b64 = |bytes: &[u8]| {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.encode(bytes)
        };
        let (kind, value) = match self {
            WasmMsg::StoreCode(m) => {
                let mut v = Map::new();
                v.insert("sender".into(), json!(m.sender));
                v.insert("wasm_byte_code".into(), json!(b64(&m.wasm_byte_code)));
                if let Some(p) = &m.instantiate_permission {
                    v.insert(
                        "instantiate_permission".into(),
                        json!({"permission": access_type_name(p.permission), "addresses": p.addresses}),
                    );
                }
                ("wasm/MsgStoreCode", Value::Object(v))
            }
            WasmMsg::Instantiate(m) => {
                let mut v = Map::new();
                v.insert("sender".into(), json!(m.sender));
                v.insert("code_id".into(), json!(m.code_id.to_string()));
                v.insert("label".into(), json!(m.label));
                v.insert("msg".into(), msg(&m.msg));
                v.insert("funds".into(), coins_json(&m.funds));
                if !m.admin.is_empty() {
                    v.insert("admin".into(), json!(m.admin));
                }
                ("wasm/MsgInstantiateContract", Value::Object(v))
            }
            WasmMsg::Instantiate2(m) => {
                let mut v = Map::new();
                v.insert("sender".into(), json!(m.sender));
                v.insert("code_id".into(), json!(m.code_id.to_string()));
                v.insert("label".into(), json!(m.label));
                v.insert("msg".into(), msg(&m.msg));
                v.insert("funds".into(), coins_json(&m.funds));
                v.insert("salt".into(), json!(b64(&m.salt)));
                v.insert("fix_msg".into(), json!(m.fix_msg));
                if !m.admin.is_empty() {
                    v.insert("admin".into(), json!(m.admin));
                }
                ("wasm/MsgInstantiateContract2", Value::Object(v))
            }
            WasmMsg::Execute(m) => (
                "wasm/MsgExecuteContract",
                json!({"sender": m.sender, "contract": m.contract, "msg": msg(&m.msg), "funds": coins_json(&m.funds)}),
            ),
            WasmMsg::Migrate(m) => (
                "wasm/MsgMigrateContract",
                json!({"sender": m.sender, "contract": m.contract, "code_id": m.code_id.to_string(), "msg": msg(&m.msg)}),
            ),
            WasmMsg::UpdateAdmin(m) => (
                "wasm/MsgUpdateAdmin",
                json!({"sender": m.sender, "new_admin": m.new_admin, "contract": m.contract}),
            ),
            WasmMsg::ClearAdmin(m) => (
                "wasm/MsgClearAdmin",
                json!({"sender": m.sender, "contract": m.contract}),
            ),
        };
        json!({"type": kind, "value": value})
    }
}

/// `AccessType` (1 Nobody, 3 Everybody, 4 AnyOfAddresses; 2 is unused).
pub fn validate_access(config: &AccessConfig) -> Result<(), TxError> {
    match config.permission {
        1 | 3 if config.addresses.is_empty() => Ok(()),
        4 if !config.addresses.is_empty() => {
            for a in &config.addresses {
                address("permitted", a)?;
            }
            Ok(())
        }
        other => Err(errors::invalid(format!(
            "invalid instantiate permission {other}"
        ))),
    }
}

fn access_type_name(permission: i32) -> &'static str {
    match permission {
        1 => "ACCESS_TYPE_NOBODY",
        3 => "ACCESS_TYPE_EVERYBODY",
        4 => "ACCESS_TYPE_ANY_OF_ADDRESSES",
        _ => "ACCESS_TYPE_UNSPECIFIED",
    }
}

/// JSON whose objects never repeat a key (what amino-signed contract messages must be).
struct UniqueKeys;

impl<'de> serde::Deserialize<'de> for UniqueKeys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(UniqueKeysVisitor)
    }
}

struct UniqueKeysVisitor;

impl<'de> serde::de::Visitor<'de> for UniqueKeysVisitor {
    type Value = UniqueKeys;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("JSON")
    }
    fn visit_bool<E>(self, _: bool) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_i64<E>(self, _: i64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_u64<E>(self, _: u64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_f64<E>(self, _: f64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_str<E>(self, _: &str) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_unit<E>(self) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<UniqueKeys, A::Error> {
        while seq.next_element::<UniqueKeys>()?.is_some() {}
        Ok(UniqueKeys)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<UniqueKeys, A::Error> {
        let mut keys = std::collections::BTreeSet::new();
        while let Some(key) = map.next_key::<String>()? {
            map.next_value::<UniqueKeys>()?;
            if let Some(key) = keys.replace(key) {
                return Err(serde::de::Error::custom(format!(
                    "the key {key:?} is repeated"
                )));
            }
        }
        Ok(UniqueKeys)
    }
}

#[cfg(test)]
mod unique_keys_tests {
    use super::UniqueKeys;

    #[test]
    fn repeated_keys_are_found_at_any_depth_and_through_escapes() {
        let ok = |s: &str| serde_json::from_slice::<UniqueKeys>(s.as_bytes()).is_ok();
        assert!(ok(r#"{"a":1,"b":[{"a":2},{"a":3}],"c":{"d":null}}"#));
        assert!(ok(r#"[1,"x",true,{}]"#));
        assert!(!ok(r#"{"a":1,"a":2}"#));
        assert!(!ok(r#"{"x":{"transfer":{"amount":"1","amount":"2"}}}"#));
        assert!(
            !ok(r#"{"a":1,"\u0061":2}"#),
            "an escaped spelling is the same key"
        );
        assert!(!ok(r#"{"a":1"#));
    }
}
