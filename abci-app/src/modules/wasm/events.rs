//! wasmd's event names and keys (`types/events.go`).

use cosmwasm_std::Attribute;
use tendermint::abci::{Event, EventAttributeIndexExt};

use crate::app::events::event;

pub const CONTRACT_ADDR: &str = "_contract_address";

pub fn store_code(checksum_hex: &str, code_id: u64) -> Event {
    event(
        "store_code",
        &[
            ("code_checksum", checksum_hex),
            ("code_id", &code_id.to_string()),
        ],
    )
}

pub fn instantiate(contract: &str, code_id: u64) -> Event {
    event(
        "instantiate",
        &[(CONTRACT_ADDR, contract), ("code_id", &code_id.to_string())],
    )
}

/// A contract's IBC entry point ran (`ibc_channel_connect`, `ibc_packet_receive`, …).
pub fn ibc_callback(contract: &str, entry_point: &str) -> Event {
    event(entry_point, &[(CONTRACT_ADDR, contract)])
}

pub fn execute(contract: &str) -> Event {
    event("execute", &[(CONTRACT_ADDR, contract)])
}

pub fn migrate(contract: &str, code_id: u64) -> Event {
    event(
        "migrate",
        &[("code_id", &code_id.to_string()), (CONTRACT_ADDR, contract)],
    )
}

pub fn update_admin(contract: &str, new_admin: &str) -> Event {
    event(
        "update_contract_admin",
        &[(CONTRACT_ADDR, contract), ("new_admin_address", new_admin)],
    )
}

pub fn reply(contract: &str) -> Event {
    event("reply", &[(CONTRACT_ADDR, contract)])
}

/// `wasm` (contract attributes) or `wasm-<type>` (custom events), led by `_contract_address`.
pub fn contract_event(kind: &str, contract: &str, attributes: &[Attribute]) -> Event {
    Event::new(
        kind,
        std::iter::once((CONTRACT_ADDR.to_string(), contract.to_string()).index()).chain(
            attributes
                .iter()
                .map(|a| (a.key.trim().to_string(), a.value.trim().to_string()).index()),
        ),
    )
}
