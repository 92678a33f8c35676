use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Order, StdResult, Storage, Uint128};
use cw_storage_plus::{Item, Map};
use openledger_types::escrow::{Assignment, EscrowParams, JobInfo, Ledger};

use crate::ContractError;

#[cw_serde]
pub struct Config {
    pub governance: Addr,
    pub treasury: Addr,
    pub open_token: Addr,
    pub model_registry: Addr,
    pub datanet_registry: Addr,
    pub attester_registry: Addr,
    pub params: EscrowParams,
}

/// Reward pool of one Datanet version.
#[cw_serde]
#[derive(Default)]
pub struct Pool {
    pub total: Uint128,
    pub drawn: Uint128,
}

pub const CONFIG: Item<Config> = Item::new("config");
pub const JOB_SEQ: Item<u64> = Item::new("job_seq");
pub const JOBS: Map<u64, JobInfo> = Map::new("jobs");
pub const ASSIGNMENTS: Map<(u64, &Addr), Assignment> = Map::new("assignments");
/// Pull balances (model owners, attesters).
pub const BALANCES: Map<&Addr, Uint128> = Map::new("balances");
pub const POOLS: Map<(u64, u32), Pool> = Map::new("pools");
/// (datanet, version, contributor) → amount drawn from the pool.
pub const DRAWN: Map<(u64, u32, &Addr), Uint128> = Map::new("drawn");
pub const LEDGER: Item<Ledger> = Item::new("ledger");

pub fn load_job(store: &dyn Storage, id: u64) -> Result<JobInfo, ContractError> {
    JOBS.may_load(store, id)?.ok_or(ContractError::JobNotFound { id })
}

pub fn load_assignments(store: &dyn Storage, job_id: u64) -> StdResult<Vec<Assignment>> {
    ASSIGNMENTS
        .prefix(job_id)
        .range(store, None, None, Order::Ascending)
        .map(|r| r.map(|(_, a)| a))
        .collect()
}

pub fn credit(store: &mut dyn Storage, who: &Addr, amount: Uint128) -> StdResult<()> {
    if amount.is_zero() {
        return Ok(());
    }
    BALANCES.update(store, who, |b| -> StdResult<_> { Ok(b.unwrap_or_default() + amount) })?;
    Ok(())
}
