//! `model-registry` interface (ModelFactory's ledger).

use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Addr, HexBinary, QuerierWrapper, StdResult, Timestamp, Uint128};

use crate::common::DatanetRef;

#[cw_serde]
pub struct InstantiateMsg {
    pub governance: String,
    /// Training Datanet references are checked against this registry.
    pub datanet_registry: String,
}

#[cw_serde]
#[derive(Copy, Eq)]
pub enum ModelStatus {
    /// Serving; inference jobs may be requested.
    Active,
    /// Temporarily not serving.
    Paused,
    /// Final.
    Retired,
}

#[cw_serde]
pub enum ExecuteMsg {
    /// Registers a trained model. Every Datanet reference must name an existing version
    /// with that Merkle root, and the sender must hold training access to the Datanet.
    RegisterModel {
        name: String,
        base_model_hash: HexBinary,
        adapter_hash: Option<HexBinary>,
        training_log_hash: Option<HexBinary>,
        datanets: Vec<DatanetRef>,
        /// OPEN base units per 1 000 input / output tokens.
        price_in_per_1k: Uint128,
        price_out_per_1k: Uint128,
    },
    UpdatePrices {
        model_id: u64,
        price_in_per_1k: Uint128,
        price_out_per_1k: Uint128,
    },
    /// Owner: Active ↔ Paused, or → Retired. Governance may set any status (e.g. suspend).
    SetStatus {
        model_id: u64,
        status: ModelStatus,
    },
    TransferOwnership {
        model_id: u64,
        new_owner: String,
    },
    UpdateGovernance {
        governance: String,
    },
}

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(ConfigResponse)]
    Config {},
    #[returns(ModelInfo)]
    Model { model_id: u64 },
    #[returns(ModelsResponse)]
    ListModels {
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    #[returns(ModelsResponse)]
    ModelsByOwner {
        owner: String,
        start_after: Option<u64>,
        limit: Option<u32>,
    },
}

#[cw_serde]
pub struct ConfigResponse {
    pub governance: Addr,
    pub datanet_registry: Addr,
}

#[cw_serde]
pub struct ModelInfo {
    pub id: u64,
    pub name: String,
    pub owner: Addr,
    pub base_model_hash: HexBinary,
    pub adapter_hash: Option<HexBinary>,
    pub training_log_hash: Option<HexBinary>,
    pub datanets: Vec<DatanetRef>,
    pub price_in_per_1k: Uint128,
    pub price_out_per_1k: Uint128,
    pub status: ModelStatus,
    pub registered_at: Timestamp,
}

#[cw_serde]
pub struct ModelsResponse {
    pub models: Vec<ModelInfo>,
}

/// Typed handle to a `model-registry` contract.
#[cw_serde]
pub struct ModelRegistry(pub Addr);

impl ModelRegistry {
    pub fn model(&self, q: &QuerierWrapper, model_id: u64) -> StdResult<ModelInfo> {
        q.query_wasm_smart(&self.0, &QueryMsg::Model { model_id })
    }
}
