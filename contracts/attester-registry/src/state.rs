use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, StdResult, Storage, Uint128};
use cw_storage_plus::{Item, Map};
use openledger_types::attester::{AttesterInfo, AttesterStatus};

#[cw_serde]
pub struct Config {
    pub governance: Addr,
    pub open_token: Addr,
    pub slash_recipient: Addr,
    pub min_bond: Uint128,
    pub unbonding_seconds: u64,
    pub verifier: Option<Addr>,
}

pub const CONFIG: Item<Config> = Item::new("config");
pub const ATTESTERS: Map<&Addr, AttesterInfo> = Map::new("attesters");
/// Active operators → bonded stake (the assignment candidate set; the escrow reads it raw).
pub use openledger_types::attester::ACTIVE;

/// Recomputes Active/Inactive from the bond and saves the record and the active index.
pub fn save_attester(
    store: &mut dyn Storage,
    min_bond: Uint128,
    a: &mut AttesterInfo,
) -> StdResult<()> {
    match a.status {
        AttesterStatus::Active if a.bonded < min_bond => a.status = AttesterStatus::Inactive,
        AttesterStatus::Inactive if a.bonded >= min_bond && !a.bonded.is_zero() => {
            a.status = AttesterStatus::Active
        }
        _ => {}
    }
    if a.status == AttesterStatus::Active {
        ACTIVE.save(store, &a.operator, &a.bonded)?;
    } else {
        ACTIVE.remove(store, &a.operator);
    }
    ATTESTERS.save(store, &a.operator, a)
}
