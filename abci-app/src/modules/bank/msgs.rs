//! Bank message handlers.

use cosmos_sdk_proto::cosmos::bank::v1beta1::{
    MsgMultiSend, MsgMultiSendResponse, MsgSend, MsgSendResponse,
};
use cosmos_sdk_proto::Any;
use prost::{Message, Name};
use tendermint::abci::Event;

use super::events;
use super::state::BankWrite;
use crate::app::coins::Coins;
use crate::app::error::TxError;
use crate::crypto;

fn address(field: &str, value: &str) -> Result<Vec<u8>, TxError> {
    crypto::account_from_bech32(value)
        .map_err(|e| TxError::InvalidAddress(format!("invalid {field} address: {e}")))
}

/// Stateless checks of a `MsgSend`.
pub fn validate_send(msg: &MsgSend) -> Result<(), TxError> {
    address("from", &msg.from_address)?;
    address("to", &msg.to_address)?;
    let coins = Coins::from_proto(&msg.amount)?;
    if coins.is_empty() {
        return Err(TxError::InvalidCoins(
            "send amount must be positive".to_string(),
        ));
    }
    Ok(())
}

pub fn send<S: BankWrite>(state: &mut S, msg: &MsgSend) -> Result<(Vec<Event>, Any), TxError> {
    validate_send(msg)?;
    let from = address("from", &msg.from_address)?;
    let to = address("to", &msg.to_address)?;
    let coins = Coins::from_proto(&msg.amount)?;
    let events = state.send_coins(&from, &to, &coins)?;
    Ok((events, response(MsgSendResponse {})))
}

/// Stateless checks of a `MsgMultiSend` (SDK 0.50: exactly one input).
pub fn validate_multi_send(msg: &MsgMultiSend) -> Result<(), TxError> {
    let input = match msg.inputs.as_slice() {
        [] => return Err(TxError::BankNoInputs("no inputs".to_string())),
        [input] => input,
        _ => return Err(TxError::BankMultipleSenders("multiple senders".to_string())),
    };
    if msg.outputs.is_empty() {
        return Err(TxError::BankNoOutputs("no outputs".to_string()));
    }
    address("input", &input.address)?;
    let total_in = Coins::from_proto(&input.coins)?;
    let mut total_out = Coins::default();
    for output in &msg.outputs {
        address("output", &output.address)?;
        let coins = Coins::from_proto(&output.coins)?;
        if coins.is_empty() {
            return Err(TxError::InvalidCoins(
                "output amount must be positive".to_string(),
            ));
        }
        total_out = total_out.checked_add(&coins)?;
    }
    if total_in != total_out {
        return Err(TxError::BankInputOutputMismatch(format!(
            "{total_in} != {total_out}"
        )));
    }
    Ok(())
}

pub fn multi_send<S: BankWrite>(
    state: &mut S,
    msg: &MsgMultiSend,
) -> Result<(Vec<Event>, Any), TxError> {
    validate_multi_send(msg)?;
    let input = &msg.inputs[0];
    let from = address("input", &input.address)?;
    let total = Coins::from_proto(&input.coins)?;
    state.sub_coins(&from, &total)?;
    let amount = total.to_string();
    let mut out = vec![
        events::coin_spent(&input.address, &amount),
        events::message_sender(&input.address),
    ];
    for output in &msg.outputs {
        let to = address("output", &output.address)?;
        let coins = Coins::from_proto(&output.coins)?;
        state.ensure_account(&to)?;
        state.add_coins(&to, &coins)?;
        let amount = coins.to_string();
        out.push(events::coin_received(&output.address, &amount));
        out.push(events::transfer(&output.address, &input.address, &amount));
    }
    Ok((out, response(MsgMultiSendResponse {})))
}

fn response<M: Message + Name>(msg: M) -> Any {
    Any {
        type_url: M::type_url(),
        value: msg.encode_to_vec(),
    }
}
