//! `attester-registry` interface (Axelar service-registry shape).

use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{
    to_json_binary, Addr, Binary, CosmosMsg, HexBinary, QuerierWrapper, StdResult, Timestamp,
    Uint128, WasmMsg,
};
use cw20::Cw20ReceiveMsg;
use cw_storage_plus::Map;

use crate::common::Method;

#[cw_serde]
pub struct InstantiateMsg {
    pub governance: String,
    pub open_token: String,
    /// Receives slashed stake.
    pub slash_recipient: String,
    pub min_bond: Uint128,
    pub unbonding_seconds: u64,
    /// The verifier (attribution-escrow) allowed to slash; settable later by governance.
    pub verifier: Option<String>,
}

/// What an operator can attest.
#[cw_serde]
pub struct Capabilities {
    /// At most 8. Empty for a gateway operator, who attests nothing: its bond answers for the
    /// inference it charges payers for (the escrow slashes it when attesters reject that), and
    /// it is never assigned a job.
    pub methods: Vec<Method>,
    /// Model hashes served; empty = any model.
    pub model_hashes: Vec<HexBinary>,
    /// Free text, e.g. "wgpu-vulkan", "cpu-reference".
    pub backend: String,
    pub max_job_bytes: u64,
}

#[cw_serde]
pub enum AttesterStatus {
    /// Bonded ≥ `min_bond`; eligible for assignment.
    Active,
    /// Registered but bond below `min_bond`.
    Inactive,
    /// Not eligible until `until` (unix seconds), then `Unjail`.
    Jailed { until: u64 },
    /// Permanently removed (equivocation).
    Tombstoned,
}

#[cw_serde]
pub enum ExecuteMsg {
    /// Registers the sender as an operator with an ed25519 public key (32 bytes).
    Register {
        pubkey: Binary,
        capabilities: Capabilities,
    },
    UpdateCapabilities {
        capabilities: Capabilities,
    },
    /// CW20 OPEN hook: [`ReceiveMsg::Bond`].
    Receive(Cw20ReceiveMsg),
    /// Starts unbonding; stake is withdrawable after `unbonding_seconds` and once the verifier
    /// lists no open obligations of the operator (escrow `Obligations`). Until withdrawn it
    /// can still be slashed.
    Unbond {
        amount: Uint128,
    },
    /// Refused while the verifier reports open obligations (`ObligationsOpen`).
    ClaimUnbonded {},
    /// Leaves jail after `until` if bonded ≥ `min_bond`.
    Unjail {},
    /// Verifier or governance: slash `fraction_bps` of bonded + unbonding stake.
    Slash {
        operator: String,
        fraction_bps: u64,
        jail_until: Option<u64>,
        tombstone: bool,
        reason: String,
    },
    /// Governance.
    UpdateConfig {
        min_bond: Option<Uint128>,
        unbonding_seconds: Option<u64>,
        slash_recipient: Option<String>,
        verifier: Option<String>,
    },
    UpdateGovernance {
        governance: String,
    },
}

#[cw_serde]
pub enum ReceiveMsg {
    /// Adds the sent OPEN to the sender's (registered operator's) bond.
    Bond {},
}

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(ConfigResponse)]
    Config {},
    #[returns(AttesterInfo)]
    Attester { operator: String },
    #[returns(AttestersResponse)]
    ListAttesters {
        start_after: Option<String>,
        limit: Option<u32>,
    },
    /// Active operators supporting `method` (and `model_hash`, if given), in address order.
    /// `limit` here may be up to 100 (the assignment candidate set).
    #[returns(EligibleResponse)]
    Eligible {
        method: Method,
        model_hash: Option<HexBinary>,
        start_after: Option<String>,
        limit: Option<u32>,
    },
}

pub const MAX_ELIGIBLE_LIMIT: u32 = 100;
/// Upper bound on the assignment candidate set the escrow reads (10 pages); beyond it,
/// operators later in address order are not sampled (bounded gas per job request).
pub const MAX_CANDIDATES: usize = 1_000;

#[cw_serde]
pub struct ConfigResponse {
    pub governance: Addr,
    pub open_token: Addr,
    pub slash_recipient: Addr,
    pub min_bond: Uint128,
    pub unbonding_seconds: u64,
    pub verifier: Option<Addr>,
}

#[cw_serde]
pub struct AttesterInfo {
    pub operator: Addr,
    pub pubkey: Binary,
    pub capabilities: Capabilities,
    pub bonded: Uint128,
    pub unbonding: Uint128,
    pub release_at: Option<Timestamp>,
    pub status: AttesterStatus,
    pub slashed_total: Uint128,
    pub registered_at: Timestamp,
}

#[cw_serde]
pub struct AttestersResponse {
    pub attesters: Vec<AttesterInfo>,
}

#[cw_serde]
pub struct EligibleAttester {
    pub operator: Addr,
    pub stake: Uint128,
    pub pubkey: Binary,
}

#[cw_serde]
pub struct EligibleResponse {
    pub attesters: Vec<EligibleAttester>,
}

/// The registry's index of Active operators (bonded ≥ `min_bond`, neither jailed nor
/// tombstoned) → bonded stake. Other contracts read it raw: one storage read, and no decoder
/// for the whole [`AttesterInfo`] in their wasm.
pub const ACTIVE: Map<&Addr, Uint128> = Map::new("active");

/// Typed handle to an `attester-registry` contract.
#[cw_serde]
pub struct AttesterRegistry(pub Addr);

impl AttesterRegistry {
    /// `operator`'s bonded stake if it is Active, else `None` (a raw read of [`ACTIVE`]).
    pub fn active_stake(&self, q: &QuerierWrapper, operator: &Addr) -> StdResult<Option<Uint128>> {
        ACTIVE.query(q, self.0.clone(), operator)
    }

    pub fn attester(&self, q: &QuerierWrapper, operator: &Addr) -> StdResult<AttesterInfo> {
        q.query_wasm_smart(
            &self.0,
            &QueryMsg::Attester {
                operator: operator.to_string(),
            },
        )
    }
    /// All eligible operators (paging through `Eligible`), at most `max`.
    pub fn eligible(
        &self,
        q: &QuerierWrapper,
        method: Method,
        model_hash: Option<HexBinary>,
        max: usize,
    ) -> StdResult<Vec<EligibleAttester>> {
        let mut out: Vec<EligibleAttester> = vec![];
        loop {
            let r: EligibleResponse = q.query_wasm_smart(
                &self.0,
                &QueryMsg::Eligible {
                    method,
                    model_hash: model_hash.clone(),
                    start_after: out.last().map(|a| a.operator.to_string()),
                    limit: Some(MAX_ELIGIBLE_LIMIT),
                },
            )?;
            let full = r.attesters.len() == MAX_ELIGIBLE_LIMIT as usize;
            out.extend(r.attesters);
            if !full || out.len() >= max {
                out.truncate(max);
                return Ok(out);
            }
        }
    }
    pub fn slash_msg(
        &self,
        operator: &Addr,
        fraction_bps: u64,
        jail_until: Option<u64>,
        tombstone: bool,
        reason: &str,
    ) -> StdResult<CosmosMsg> {
        Ok(WasmMsg::Execute {
            contract_addr: self.0.to_string(),
            msg: to_json_binary(&ExecuteMsg::Slash {
                operator: operator.to_string(),
                fraction_bps,
                jail_until,
                tombstone,
                reason: reason.to_string(),
            })?,
            funds: vec![],
        }
        .into())
    }
}
