use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Addr, CosmosMsg, Empty};

#[cw_serde]
pub struct InstantiateMsg {
    /// Initial proposer; usually the deployer, who hands off to the multisig.
    pub proposer: String,
    pub min_delay_seconds: u64,
}

#[cw_serde]
pub enum ExecuteMsg {
    /// Proposer: queue `msgs` for execution after `delay_seconds` (≥ the minimum; default the minimum).
    Schedule {
        msgs: Vec<CosmosMsg<Empty>>,
        delay_seconds: Option<u64>,
        description: String,
    },
    /// Anyone, once ready: dispatches the messages (all or nothing).
    Execute { operation_id: u64 },
    /// Proposer: drop a pending operation.
    Cancel { operation_id: u64 },
    /// Only the timelock itself (through a scheduled operation).
    UpdateConfig {
        proposer: Option<String>,
        min_delay_seconds: Option<u64>,
    },
    /// The initial proposer, once: pass the proposer role on (to the multisig).
    HandOff { proposer: String },
}

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(ConfigResponse)]
    Config {},
    #[returns(Operation)]
    Operation { operation_id: u64 },
    #[returns(OperationsResponse)]
    ListOperations {
        start_after: Option<u64>,
        limit: Option<u32>,
    },
}

#[cw_serde]
pub struct ConfigResponse {
    pub proposer: Addr,
    pub min_delay_seconds: u64,
    pub handed_off: bool,
}

#[cw_serde]
#[derive(Copy, Eq)]
pub enum OperationStatus {
    Pending,
    Executed,
    Cancelled,
}

#[cw_serde]
pub struct Operation {
    pub id: u64,
    pub msgs: Vec<CosmosMsg<Empty>>,
    pub description: String,
    /// Unix seconds.
    pub scheduled_at: u64,
    pub ready_at: u64,
    pub status: OperationStatus,
}

#[cw_serde]
pub struct OperationsResponse {
    pub operations: Vec<Operation>,
}

#[cw_serde]
pub struct MigrateMsg {}
