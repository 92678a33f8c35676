//! Bank events with the SDK's names and keys.

use tendermint::abci::Event;

use crate::app::events::event;

pub fn coin_spent(spender: &str, amount: &str) -> Event {
    event("coin_spent", &[("spender", spender), ("amount", amount)])
}

pub fn coin_received(receiver: &str, amount: &str) -> Event {
    event(
        "coin_received",
        &[("receiver", receiver), ("amount", amount)],
    )
}

pub fn transfer(recipient: &str, sender: &str, amount: &str) -> Event {
    event(
        "transfer",
        &[
            ("recipient", recipient),
            ("sender", sender),
            ("amount", amount),
        ],
    )
}

pub fn message_sender(sender: &str) -> Event {
    event("message", &[("sender", sender)])
}
