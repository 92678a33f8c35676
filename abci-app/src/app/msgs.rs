//! The message router: one `match` over type URLs. Unknown URLs are a decode error, as in the
//! SDK, whose interface registry cannot resolve them.

use cosmos_sdk_proto::cosmos::bank::v1beta1::{MsgMultiSend, MsgSend};
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin;
use cosmos_sdk_proto::Any;
use prost::{Message, Name};
use serde_json::{json, Value};
use tendermint::abci::Event;

use super::context::TxCtx;
use super::error::TxError;
use crate::modules::bank;
use crate::modules::ibc::{self, IbcMsg};
use crate::modules::wasm::{self, WasmMsg};
use crate::store::{Overlay, StateRead};

#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    BankSend(MsgSend),
    BankMultiSend(MsgMultiSend),
    Wasm(WasmMsg),
    /// Boxed: IBC messages (headers, proofs) are far larger than the others.
    Ibc(Box<IbcMsg>),
}

fn decode<M: Message + Default>(any: &Any) -> Result<M, TxError> {
    let msg = M::decode(any.value.as_slice())
        .map_err(|e| TxError::TxDecode(format!("decoding {}: {e}", any.type_url)))?;
    super::tx::canonical(&any.type_url, &msg, &any.value)?;
    Ok(msg)
}

impl Msg {
    pub fn from_any(any: &Any) -> Result<Self, TxError> {
        if let Some(wasm) = WasmMsg::from_any(any) {
            return wasm.map(Msg::Wasm);
        }
        if let Some(ibc) = IbcMsg::from_any(any) {
            return ibc.map(|m| Msg::Ibc(Box::new(m)));
        }
        match any.type_url.as_str() {
            url if url == MsgSend::type_url() => Ok(Msg::BankSend(decode(any)?)),
            url if url == MsgMultiSend::type_url() => Ok(Msg::BankMultiSend(decode(any)?)),
            other => Err(TxError::TxDecode(format!(
                "unable to resolve type URL {other}"
            ))),
        }
    }

    pub fn type_url(&self) -> String {
        match self {
            Msg::BankSend(_) => MsgSend::type_url(),
            Msg::BankMultiSend(_) => MsgMultiSend::type_url(),
            Msg::Wasm(m) => m.type_url(),
            Msg::Ibc(m) => m.type_url(),
        }
    }

    pub fn module(&self) -> &'static str {
        match self {
            Msg::BankSend(_) | Msg::BankMultiSend(_) => bank::NAME,
            Msg::Wasm(_) => wasm::NAME,
            Msg::Ibc(m) => m.module(),
        }
    }

    /// Bech32 addresses that must sign, in order.
    pub fn signers(&self) -> Vec<String> {
        match self {
            Msg::BankSend(m) => vec![m.from_address.clone()],
            Msg::BankMultiSend(m) => m.inputs.iter().map(|i| i.address.clone()).collect(),
            Msg::Wasm(m) => m.signers(),
            Msg::Ibc(m) => m.signers(),
        }
    }

    pub fn validate_basic(&self) -> Result<(), TxError> {
        match self {
            Msg::BankSend(m) => bank::msgs::validate_send(m),
            Msg::BankMultiSend(m) => bank::msgs::validate_multi_send(m),
            Msg::Wasm(m) => m.validate_basic(),
            Msg::Ibc(m) => m.validate_basic(),
        }
    }

    pub fn execute<B: StateRead + Clone + 'static>(
        &self,
        ctx: &mut TxCtx<'_, Overlay<B>>,
    ) -> Result<(Vec<Event>, Any), TxError> {
        match self {
            Msg::BankSend(m) => bank::msgs::send(ctx, m),
            Msg::BankMultiSend(m) => bank::msgs::multi_send(ctx, m),
            Msg::Wasm(m) => wasm::execute(ctx, m),
            Msg::Ibc(m) => ibc::execute(ctx, m),
        }
    }

    /// Whether the message can be signed with SIGN_MODE_LEGACY_AMINO_JSON.
    pub fn has_amino_form(&self) -> bool {
        match self {
            Msg::Ibc(m) => m.has_amino_form(),
            _ => true,
        }
    }

    /// Refuses payloads whose amino JSON would not pin their bytes (see
    /// `WasmMsg::check_amino_payload`).
    pub fn check_amino_payload(&self) -> Result<(), TxError> {
        match self {
            Msg::Wasm(m) => m.check_amino_payload(),
            _ => Ok(()),
        }
    }

    /// The legacy amino JSON of this message (`{type, value}`), as cosmjs's converters build it.
    pub fn amino_json(&self) -> Value {
        match self {
            Msg::BankSend(m) => json!({
                "type": "cosmos-sdk/MsgSend",
                "value": {
                    "from_address": m.from_address,
                    "to_address": m.to_address,
                    "amount": coins_json(&m.amount),
                }
            }),
            Msg::BankMultiSend(m) => json!({
                "type": "cosmos-sdk/MsgMultiSend",
                "value": {
                    "inputs": m.inputs.iter().map(|i| json!({"address": i.address, "coins": coins_json(&i.coins)})).collect::<Vec<_>>(),
                    "outputs": m.outputs.iter().map(|o| json!({"address": o.address, "coins": coins_json(&o.coins)})).collect::<Vec<_>>(),
                }
            }),
            Msg::Wasm(m) => m.amino_json(),
            Msg::Ibc(m) => m.amino_json(),
        }
    }
}

pub fn coins_json(coins: &[Coin]) -> Value {
    Value::Array(
        coins
            .iter()
            .map(|c| json!({"denom": c.denom, "amount": c.amount}))
            .collect(),
    )
}
