//! Contract messages and submessages (wasmd `msg_dispatcher.go`, `handler_plugin_encoders.go`).
//!
//! Each submessage runs inside an overlay checkpoint: kept on success, reverted on failure.
//! `ReplyOn::Success`/`Never` with an error aborts the whole tx; an error passed to `reply`
//! is redacted to `codespace: X, code: N`; out of gas is never caught unless the submessage
//! had its own gas limit.

use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSendResponse;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::cosmwasm::wasm::v1::{
    MsgClearAdminResponse, MsgExecuteContractResponse, MsgInstantiateContract2Response,
    MsgInstantiateContractResponse, MsgMigrateContractResponse, MsgUpdateAdminResponse,
};
use cosmwasm_std::{
    BankMsg, Binary, Coin, CosmosMsg, Empty, IbcMsg, MsgResponse, Reply, ReplyOn, SubMsg,
    SubMsgResponse, SubMsgResult, WasmMsg,
};
use prost::{Message, Name};

use super::errors;
use super::keeper::Keeper;
use crate::app::coins::Coins;
use crate::app::error::TxError;
use crate::app::events::event;
use crate::app::gas::GasMeter;
use crate::crypto;
use crate::modules::bank::{BankRead, BankWrite};

/// What a dispatched message answered: the handler's encoded response (the SDK's `Result.Data`)
/// and its `msg_responses`.
struct Dispatched {
    data: Vec<u8>,
    responses: Vec<MsgResponse>,
}

fn responded<M: Message + Name>(msg: M) -> Dispatched {
    let value = msg.encode_to_vec();
    Dispatched {
        data: value.clone(),
        responses: vec![MsgResponse {
            type_url: M::type_url(),
            value: Binary::from(value),
        }],
    }
}

fn proto_coins(coins: &[Coin]) -> Result<Coins, TxError> {
    let mut sorted: Vec<ProtoCoin> = coins
        .iter()
        .filter(|c| !c.amount.is_zero())
        .map(|c| ProtoCoin {
            denom: c.denom.clone(),
            amount: c.amount.to_string(),
        })
        .collect();
    sorted.sort_by(|a, b| a.denom.cmp(&b.denom));
    Coins::from_proto(&sorted)
}

fn to_proto(coins: &[Coin]) -> Result<Vec<ProtoCoin>, TxError> {
    Ok(proto_coins(coins)?.to_proto())
}

/// A wasm message a contract sends is checked as the same message in a tx is (wasmd runs
/// `ValidateBasic` on the `sdk.Msg` it encodes): label, admin and contract addresses, funds,
/// salt, JSON payload, code id.
fn validate_sent(contract: &str, msg: &WasmMsg) -> Result<(), TxError> {
    use super::WasmMsg as TxMsg;
    use cosmos_sdk_proto::cosmwasm::wasm::v1 as pb;
    let sender = contract.to_string();
    let tx_msg = match msg {
        WasmMsg::Execute {
            contract_addr,
            msg,
            funds,
        } => TxMsg::Execute(pb::MsgExecuteContract {
            sender,
            contract: contract_addr.clone(),
            msg: msg.to_vec(),
            funds: to_proto(funds)?,
        }),
        WasmMsg::Instantiate {
            admin,
            code_id,
            msg,
            funds,
            label,
        } => TxMsg::Instantiate(pb::MsgInstantiateContract {
            sender,
            admin: admin.clone().unwrap_or_default(),
            code_id: *code_id,
            label: label.clone(),
            msg: msg.to_vec(),
            funds: to_proto(funds)?,
        }),
        WasmMsg::Instantiate2 {
            admin,
            code_id,
            label,
            msg,
            funds,
            salt,
        } => TxMsg::Instantiate2(pb::MsgInstantiateContract2 {
            sender,
            admin: admin.clone().unwrap_or_default(),
            code_id: *code_id,
            label: label.clone(),
            msg: msg.to_vec(),
            funds: to_proto(funds)?,
            salt: salt.to_vec(),
            fix_msg: false,
        }),
        WasmMsg::Migrate {
            contract_addr,
            new_code_id,
            msg,
        } => TxMsg::Migrate(pb::MsgMigrateContract {
            sender,
            contract: contract_addr.clone(),
            code_id: *new_code_id,
            msg: msg.to_vec(),
        }),
        WasmMsg::UpdateAdmin {
            contract_addr,
            admin,
        } => TxMsg::UpdateAdmin(pb::MsgUpdateAdmin {
            sender,
            new_admin: admin.clone(),
            contract: contract_addr.clone(),
        }),
        WasmMsg::ClearAdmin { contract_addr } => TxMsg::ClearAdmin(pb::MsgClearAdmin {
            sender,
            contract: contract_addr.clone(),
        }),
        // Variants a later cosmwasm-std adds are refused by `dispatch` itself.
        _ => return Ok(()),
    };
    tx_msg.validate_basic()
}

/// tendermint events → cosmwasm events (for `SubMsgResponse.events`).
fn wasm_events(events: &[tendermint::abci::Event]) -> Vec<cosmwasm_std::Event> {
    events
        .iter()
        .map(|e| {
            // `add_attribute`, not `add_attributes`: the tuple conversion panics (in debug
            // builds) on the reserved `_contract_address` key that wasmd's events carry.
            e.attributes
                .iter()
                .fold(cosmwasm_std::Event::new(e.kind.clone()), |ev, a| {
                    ev.add_attribute(
                        String::from_utf8_lossy(a.key_bytes()).into_owned(),
                        String::from_utf8_lossy(a.value_bytes()).into_owned(),
                    )
                })
        })
        .collect()
}

impl Keeper {
    pub(crate) fn dispatch_submessages(
        &mut self,
        contract: &str,
        messages: Vec<SubMsg<Empty>>,
    ) -> Result<Option<Vec<u8>>, TxError> {
        let mut answer = None;
        for sub in messages {
            let mark = self.events.len();
            let gas_before = self.gas.consumed();
            let limit = sub.gas_limit.filter(|l| *l < self.remaining_sdk_gas());
            self.state.borrow_mut().checkpoint();
            let result = match limit {
                Some(limit) => {
                    let parent = std::mem::replace(&mut self.gas, GasMeter::new(limit));
                    let r = self.dispatch(contract, &sub.msg);
                    let sub_meter = std::mem::replace(&mut self.gas, parent);
                    // A submessage that ran out of its own limit is charged the whole limit.
                    match self
                        .gas
                        .consume(sub_meter.consumed().min(limit), "submessage")
                    {
                        Ok(()) => r,
                        Err(e) => Err(e),
                    }
                }
                None => self.dispatch(contract, &sub.msg),
            };
            match &result {
                Ok(_) => {
                    self.state.borrow_mut().commit_checkpoint();
                    let tail = self.events.split_off(mark);
                    self.events
                        .extend(tail.into_iter().filter(|e| e.kind != "message"));
                }
                Err(_) => {
                    self.state.borrow_mut().revert_checkpoint();
                    self.events.truncate(mark);
                }
            }
            let gas_used = self.gas.consumed().saturating_sub(gas_before);
            let result = match result {
                // Out of the tx's own gas: nothing can continue.
                Err(e @ TxError::OutOfGas { .. })
                    if limit.is_none() || self.remaining_sdk_gas() == 0 =>
                {
                    return Err(e)
                }
                Err(e) if matches!(sub.reply_on, ReplyOn::Success | ReplyOn::Never) => {
                    return Err(e)
                }
                Ok(_) if matches!(sub.reply_on, ReplyOn::Never | ReplyOn::Error) => continue,
                other => other,
            };
            #[allow(deprecated)] // `data` is still filled, as wasmd does.
            let result = match result {
                Ok(d) => SubMsgResult::Ok(SubMsgResponse {
                    events: wasm_events(&self.events[mark..]),
                    data: (!d.data.is_empty()).then(|| Binary::from(d.data)),
                    msg_responses: d.responses,
                }),
                Err(e) => {
                    SubMsgResult::Err(format!("codespace: {}, code: {}", e.codespace(), e.code()))
                }
            };
            let reply = Reply {
                id: sub.id,
                payload: sub.payload,
                gas_used,
                result,
            };
            if let Some(data) = self.reply(contract, &reply)? {
                answer = Some(data);
            }
        }
        Ok(answer)
    }

    /// One `CosmosMsg` sent by `contract`.
    fn dispatch(&mut self, contract: &str, msg: &CosmosMsg<Empty>) -> Result<Dispatched, TxError> {
        let contract_bytes = crypto::account_from_bech32(contract)
            .map_err(|e| TxError::InvalidAddress(e.to_string()))?;
        if let CosmosMsg::Wasm(wasm) = msg {
            validate_sent(contract, wasm)?;
        }
        match msg {
            CosmosMsg::Bank(BankMsg::Send { to_address, amount }) => {
                let coins = proto_coins(amount)?;
                if !coins.is_empty() {
                    let to = crypto::account_from_bech32(to_address).map_err(|e| {
                        TxError::InvalidAddress(format!("invalid to address {to_address:?}: {e}"))
                    })?;
                    let ev = self.send_coins(&contract_bytes, &to, &coins)?;
                    self.events.extend(ev);
                }
                Ok(responded(MsgSendResponse {}))
            }
            CosmosMsg::Bank(BankMsg::Burn { amount }) => {
                let coins = proto_coins(amount)?;
                self.sub_coins(&contract_bytes, &coins)?;
                for (denom, amount) in coins.iter() {
                    let supply = self.supply_of(denom)?.saturating_sub(*amount);
                    self.set_supply(denom, supply)?;
                }
                let amount = coins.to_string();
                self.events.push(event(
                    "coin_spent",
                    &[("spender", contract), ("amount", &amount)],
                ));
                self.events
                    .push(event("burn", &[("burner", contract), ("amount", &amount)]));
                Ok(Dispatched {
                    data: vec![],
                    responses: vec![],
                })
            }
            CosmosMsg::Wasm(WasmMsg::Execute {
                contract_addr,
                msg,
                funds,
            }) => {
                let data = self.execute(contract, contract_addr, msg, &to_proto(funds)?)?;
                Ok(responded(MsgExecuteContractResponse { data }))
            }
            CosmosMsg::Wasm(WasmMsg::Instantiate {
                admin,
                code_id,
                msg,
                funds,
                label,
            }) => {
                check_json(msg)?;
                let admin = admin.clone().unwrap_or_default();
                let (address, data) = self.instantiate(
                    contract,
                    &admin,
                    *code_id,
                    label,
                    msg,
                    &to_proto(funds)?,
                    None,
                )?;
                Ok(responded(MsgInstantiateContractResponse { address, data }))
            }
            CosmosMsg::Wasm(WasmMsg::Instantiate2 {
                admin,
                code_id,
                label,
                msg,
                funds,
                salt,
            }) => {
                check_json(msg)?;
                let admin = admin.clone().unwrap_or_default();
                let (address, data) = self.instantiate(
                    contract,
                    &admin,
                    *code_id,
                    label,
                    msg,
                    &to_proto(funds)?,
                    Some((salt.as_slice(), false)),
                )?;
                Ok(responded(MsgInstantiateContract2Response { address, data }))
            }
            CosmosMsg::Wasm(WasmMsg::Migrate {
                contract_addr,
                new_code_id,
                msg,
            }) => {
                let data = self.migrate(contract, contract_addr, *new_code_id, msg)?;
                Ok(responded(MsgMigrateContractResponse { data }))
            }
            CosmosMsg::Wasm(WasmMsg::UpdateAdmin {
                contract_addr,
                admin,
            }) => {
                self.set_admin(contract, contract_addr, admin)?;
                Ok(responded(MsgUpdateAdminResponse {}))
            }
            CosmosMsg::Wasm(WasmMsg::ClearAdmin { contract_addr }) => {
                self.set_admin(contract, contract_addr, "")?;
                Ok(responded(MsgClearAdminResponse {}))
            }
            CosmosMsg::Ibc(IbcMsg::SendPacket {
                channel_id,
                data,
                timeout,
            }) => {
                self.send_packet(contract, channel_id, data.as_slice(), timeout)?;
                Ok(Dispatched {
                    data: vec![],
                    responses: vec![],
                })
            }
            CosmosMsg::Ibc(IbcMsg::Transfer {
                channel_id,
                to_address,
                amount,
                timeout,
                memo,
            }) => {
                self.ibc_transfer(
                    contract,
                    channel_id,
                    to_address,
                    amount,
                    timeout,
                    memo.as_deref(),
                )?;
                Ok(Dispatched {
                    data: vec![],
                    responses: vec![],
                })
            }
            CosmosMsg::Ibc(IbcMsg::WriteAcknowledgement {
                channel_id,
                packet_sequence,
                ack,
            }) => {
                self.write_acknowledgement(
                    contract,
                    channel_id,
                    *packet_sequence,
                    ack.data.as_slice(),
                )?;
                Ok(Dispatched {
                    data: vec![],
                    responses: vec![],
                })
            }
            CosmosMsg::Ibc(IbcMsg::CloseChannel { channel_id }) => {
                self.close_channel(contract, channel_id)?;
                Ok(Dispatched {
                    data: vec![],
                    responses: vec![],
                })
            }
            CosmosMsg::Any(any) => self.dispatch_any(contract, &any.type_url, any.value.as_slice()),
            #[allow(deprecated)] // `Stargate` is the pre-2.0 name of `Any`, still sent.
            CosmosMsg::Stargate { type_url, value } => {
                self.dispatch_any(contract, type_url, value.as_slice())
            }
            other => Err(errors::unknown_msg(format!(
                "unsupported message from contract: {}",
                serde_json::to_string(other).unwrap_or_default()
            ))),
        }
    }

    /// A protobuf message from a contract (`CosmosMsg::Any`): the chain messages whose effect
    /// the native variants already have (bank send, the wasm messages), signed by the contract
    /// itself, run as those variants do. Anything else is an unknown message.
    fn dispatch_any(
        &mut self,
        contract: &str,
        type_url: &str,
        value: &[u8],
    ) -> Result<Dispatched, TxError> {
        let any = cosmos_sdk_proto::Any {
            type_url: type_url.to_string(),
            value: value.to_vec(),
        };
        let known =
            type_url == "/cosmos.bank.v1beta1.MsgSend" || super::WasmMsg::from_any(&any).is_some();
        if !known {
            return Err(errors::unknown_msg(format!(
                "unsupported message from contract: {type_url}"
            )));
        }
        let msg = crate::app::msgs::Msg::from_any(&any)?;
        msg.validate_basic()?;
        // wasmd checks the signers of a contract's message: only the contract itself.
        if msg.signers().iter().any(|s| s != contract) {
            return Err(TxError::Unauthorized(format!(
                "contract {contract} may only send messages it signs itself ({type_url})"
            )));
        }
        let native: CosmosMsg<Empty> = match msg {
            crate::app::msgs::Msg::BankSend(m) => CosmosMsg::Bank(BankMsg::Send {
                to_address: m.to_address,
                amount: wasm_coins(&m.amount)?,
            }),
            crate::app::msgs::Msg::Wasm(super::WasmMsg::Execute(m)) => {
                CosmosMsg::Wasm(WasmMsg::Execute {
                    contract_addr: m.contract,
                    msg: Binary::from(m.msg),
                    funds: wasm_coins(&m.funds)?,
                })
            }
            crate::app::msgs::Msg::Wasm(super::WasmMsg::Instantiate(m)) => {
                CosmosMsg::Wasm(WasmMsg::Instantiate {
                    admin: (!m.admin.is_empty()).then_some(m.admin),
                    code_id: m.code_id,
                    msg: Binary::from(m.msg),
                    funds: wasm_coins(&m.funds)?,
                    label: m.label,
                })
            }
            crate::app::msgs::Msg::Wasm(super::WasmMsg::Instantiate2(m)) if !m.fix_msg => {
                CosmosMsg::Wasm(WasmMsg::Instantiate2 {
                    admin: (!m.admin.is_empty()).then_some(m.admin),
                    code_id: m.code_id,
                    label: m.label,
                    msg: Binary::from(m.msg),
                    funds: wasm_coins(&m.funds)?,
                    salt: Binary::from(m.salt),
                })
            }
            crate::app::msgs::Msg::Wasm(super::WasmMsg::Migrate(m)) => {
                CosmosMsg::Wasm(WasmMsg::Migrate {
                    contract_addr: m.contract,
                    new_code_id: m.code_id,
                    msg: Binary::from(m.msg),
                })
            }
            crate::app::msgs::Msg::Wasm(super::WasmMsg::UpdateAdmin(m)) => {
                CosmosMsg::Wasm(WasmMsg::UpdateAdmin {
                    contract_addr: m.contract,
                    admin: m.new_admin,
                })
            }
            crate::app::msgs::Msg::Wasm(super::WasmMsg::ClearAdmin(m)) => {
                CosmosMsg::Wasm(WasmMsg::ClearAdmin {
                    contract_addr: m.contract,
                })
            }
            _ => {
                return Err(errors::unknown_msg(format!(
                    "unsupported message from contract: {type_url}"
                )))
            }
        };
        self.dispatch(contract, &native)
    }
}

/// Proto coins (validated by the message's `validate_basic`) as contract coins.
fn wasm_coins(coins: &[ProtoCoin]) -> Result<Vec<Coin>, TxError> {
    coins
        .iter()
        .map(|c| {
            let amount = c
                .amount
                .parse::<u128>()
                .map_err(|e| TxError::InvalidCoins(format!("{}{}: {e}", c.amount, c.denom)))?;
            Ok(Coin::new(
                cosmwasm_std::Uint128::new(amount),
                c.denom.clone(),
            ))
        })
        .collect()
}

fn check_json(msg: &[u8]) -> Result<(), TxError> {
    serde_json::from_slice::<serde_json::Value>(msg)
        .map(|_| ())
        .map_err(|e| errors::invalid(format!("msg: invalid JSON: {e}")))
}
