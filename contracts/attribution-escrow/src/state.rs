use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, CosmosMsg, Order, StdResult, Storage, SubMsg, Uint128};
use cw_storage_plus::{Index, IndexList, IndexedMap, Item, Map, MultiIndex};
use openledger_types::escrow::{
    Assignment, ContributionEarningsResponse, EscrowParams, JobInfo, JobPayment, JobStatus, Ledger,
};

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
/// (attester, job) → (): jobs an attester was assigned to.
pub const ATTESTER_JOBS: Map<(&Addr, u64), ()> = Map::new("attester_jobs");

/// Stable index key of a job status.
pub fn status_code(s: JobStatus) -> u8 {
    match s {
        JobStatus::Committing => 0,
        JobStatus::Revealing => 1,
        JobStatus::Finalized => 2,
        JobStatus::Challenged => 3,
        JobStatus::Settled => 4,
        JobStatus::Failed => 5,
        JobStatus::Expired => 6,
        JobStatus::InputsUnavailable => 7,
        JobStatus::Rejected => 8,
    }
}

pub struct JobIndexes<'a> {
    pub status: MultiIndex<'a, u8, JobInfo, u64>,
}

impl IndexList<JobInfo> for JobIndexes<'_> {
    fn get_indexes(&'_ self) -> Box<dyn Iterator<Item = &'_ dyn Index<JobInfo>> + '_> {
        let v: Vec<&dyn Index<JobInfo>> = vec![&self.status];
        Box::new(v.into_iter())
    }
}

/// Jobs by id, indexed by status.
pub fn jobs<'a>() -> IndexedMap<u64, JobInfo, JobIndexes<'a>> {
    IndexedMap::new(
        "jobs",
        JobIndexes {
            status: MultiIndex::new(
                |_pk, j: &JobInfo| status_code(j.status),
                "jobs",
                "jobs__status",
            ),
        },
    )
}
pub const ASSIGNMENTS: Map<(u64, &Addr), Assignment> = Map::new("assignments");
/// Pull balances (model owners, attesters, contributors' per-row rewards, payers' unattributed δ).
pub const BALANCES: Map<&Addr, Uint128> = Map::new("balances");
/// Prepaid inference credit by account: what gateways charge with the account's API keys.
pub const CREDITS: Map<&Addr, Uint128> = Map::new("credits");
/// How credit-paid jobs were paid (absent: CW20, the default [`JobPayment`]).
pub const JOB_PAYMENTS: Map<u64, JobPayment> = Map::new("job_payments");

/// How job `id` was paid.
pub fn job_payment(store: &dyn Storage, id: u64) -> StdResult<JobPayment> {
    Ok(JOB_PAYMENTS.may_load(store, id)?.unwrap_or_default())
}
/// API key id (`ApiKey::id`) → Σ fees charged with the key. Refunds never lower it: the key's
/// `max_spend` bounds what a leaked key can make a gateway spend, refunded or not.
pub const KEY_SPENT: Map<&[u8], Uint128> = Map::new("key_spent");
pub const POOLS: Map<(u64, u32), Pool> = Map::new("pools");
/// (datanet, version, contributor) → amount drawn from the pool.
pub const DRAWN: Map<(u64, u32, &Addr), Uint128> = Map::new("drawn");
/// contribution id → what the row earned by its own influence (see `ContributionEarnings`).
pub const EARNINGS: Map<u64, ContributionEarningsResponse> = Map::new("earnings");
pub const LEDGER: Item<Ledger> = Item::new("ledger");
/// (attester, job) → (): jobs in which the attester's stake is still answerable (see
/// `QueryMsg::Obligations`): set at assignment, cleared when the tally, the settlement or the
/// challenge resolution ends what the job can still cost it.
pub const OBLIGATIONS: Map<(&Addr, u64), ()> = Map::new("obligations");
/// attester → (first block of the current miss window, misses in it).
pub const MISSES: Map<&Addr, (u64, u32)> = Map::new("misses");

pub fn load_job(store: &dyn Storage, id: u64) -> Result<JobInfo, ContractError> {
    jobs()
        .may_load(store, id)?
        .ok_or(ContractError::JobNotFound { id })
}

pub fn load_assignments(store: &dyn Storage, job_id: u64) -> StdResult<Vec<Assignment>> {
    ASSIGNMENTS
        .prefix(job_id)
        .range(store, None, None, Order::Ascending)
        .map(|r| r.map(|(_, a)| a))
        .collect()
}

/// Clears the obligations of `job_id` for every attester in `who`.
pub fn release_obligations<'a>(
    store: &mut dyn Storage,
    job_id: u64,
    who: impl IntoIterator<Item = &'a Addr>,
) {
    for a in who {
        OBLIGATIONS.remove(store, (a, job_id));
    }
}

pub fn credit(store: &mut dyn Storage, who: &Addr, amount: Uint128) -> StdResult<()> {
    if amount.is_zero() {
        return Ok(());
    }
    BALANCES.update(store, who, |b| -> StdResult<_> {
        Ok(b.unwrap_or_default() + amount)
    })?;
    Ok(())
}

/// Adds `amount` to `who`'s inference credit (the ledger is the caller's).
pub fn add_inference_credit(store: &mut dyn Storage, who: &Addr, amount: Uint128) -> StdResult<()> {
    if amount.is_zero() {
        return Ok(());
    }
    CREDITS.update(store, who, |c| -> StdResult<_> {
        Ok(c.unwrap_or_default().checked_add(amount)?)
    })?;
    Ok(())
}

/// Reply id of penalty (slash) submessages.
pub const REPLY_PENALTY: u64 = 1;

/// A slash that must not block the job: if the registry refuses it (e.g. the escrow is not yet
/// its verifier), the failure is recorded by `reply` and the tally / settlement goes on.
pub fn penalty(msg: CosmosMsg) -> SubMsg {
    SubMsg::reply_on_error(msg, REPLY_PENALTY)
}
