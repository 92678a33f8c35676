use cosmwasm_schema::cw_serde;
use cosmwasm_std::Addr;
use cw_storage_plus::{Item, Map};

use crate::msg::Operation;

#[cw_serde]
pub struct Config {
    pub proposer: Addr,
    pub min_delay_seconds: u64,
    pub handed_off: bool,
}

pub const CONFIG: Item<Config> = Item::new("config");
pub const OP_SEQ: Item<u64> = Item::new("op_seq");
pub const OPERATIONS: Map<u64, Operation> = Map::new("operations");
