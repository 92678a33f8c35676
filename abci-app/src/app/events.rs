//! SDK-named events. Attribute keys are spelled here only; every attribute is indexed so
//! CometBFT's `tx_search` finds them.

use tendermint::abci::{Event, EventAttributeIndexExt};

pub fn event(kind: &str, attributes: &[(&str, &str)]) -> Event {
    Event::new(
        kind,
        attributes
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()).index()),
    )
}

pub fn message(action: &str, sender: &str, module: &str, msg_index: u32) -> Event {
    event(
        "message",
        &[
            ("action", action),
            ("sender", sender),
            ("module", module),
            ("msg_index", &msg_index.to_string()),
        ],
    )
}

pub fn tx_fee(fee: &str, fee_payer: &str) -> Event {
    event("tx", &[("fee", fee), ("fee_payer", fee_payer)])
}

pub fn tx_acc_seq(address: &str, sequence: u64) -> Event {
    event("tx", &[("acc_seq", &format!("{address}/{sequence}"))])
}

pub fn tx_signature(signature_b64: &str) -> Event {
    event("tx", &[("signature", signature_b64)])
}

/// Tag every event of a message with its index, as SDK 0.50 does.
pub fn with_msg_index(mut events: Vec<Event>, msg_index: u32) -> Vec<Event> {
    let index = msg_index.to_string();
    for e in &mut events {
        if !e.attributes.iter().any(|a| a.key_bytes() == b"msg_index") {
            e.attributes
                .push(("msg_index".to_string(), index.clone()).index().into());
        }
    }
    events
}
