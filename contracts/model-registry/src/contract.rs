#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    to_json_binary, Binary, Deps, DepsMut, Env, HexBinary, MessageInfo, Order, Response, StdResult,
    Uint128,
};
use cw2::{ensure_from_older_version, set_contract_version};
use cw_storage_plus::Bound;
use openledger_types::datanet::DatanetRegistry;
use openledger_types::{check_hash32, page_limit, DatanetRef};

use crate::error::ContractError;
use crate::msg::*;
use crate::state::*;

pub const CONTRACT_NAME: &str = env!("CARGO_PKG_NAME");
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");
const MAX_DATANETS: usize = 32;

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    _info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    let cfg = Config {
        governance: deps.api.addr_validate(&msg.governance)?,
        datanet_registry: deps.api.addr_validate(&msg.datanet_registry)?,
    };
    CONFIG.save(deps.storage, &cfg)?;
    Ok(Response::new().add_attribute("action", "instantiate"))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    // No entry point takes native coins (OPEN moves as CW20); refuse them instead of locking them.
    cw_utils::nonpayable(&info)?;
    match msg {
        ExecuteMsg::RegisterModel {
            name,
            base_model_hash,
            adapter_hash,
            training_log_hash,
            datanets,
            price_in_per_1k,
            price_out_per_1k,
        } => execute_register_model(
            deps,
            env,
            info,
            name,
            base_model_hash,
            adapter_hash,
            training_log_hash,
            datanets,
            price_in_per_1k,
            price_out_per_1k,
        ),
        ExecuteMsg::UpdatePrices {
            model_id,
            price_in_per_1k,
            price_out_per_1k,
        } => execute_update_prices(deps, info, model_id, price_in_per_1k, price_out_per_1k),
        ExecuteMsg::SetStatus { model_id, status } => {
            execute_set_status(deps, info, model_id, status)
        }
        ExecuteMsg::TransferOwnership {
            model_id,
            new_owner,
        } => execute_transfer_ownership(deps, info, model_id, new_owner),
        ExecuteMsg::UpdateGovernance { governance } => {
            execute_update_governance(deps, info, governance)
        }
    }
}

fn invalid(reason: &str) -> ContractError {
    ContractError::InvalidInput {
        reason: reason.into(),
    }
}

#[allow(clippy::too_many_arguments)]
pub fn execute_register_model(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    name: String,
    base_model_hash: HexBinary,
    adapter_hash: Option<HexBinary>,
    training_log_hash: Option<HexBinary>,
    datanets: Vec<DatanetRef>,
    price_in_per_1k: Uint128,
    price_out_per_1k: Uint128,
) -> Result<Response, ContractError> {
    if name.is_empty() || name.chars().count() > 128 {
        return Err(invalid("name must be 1..=128 characters"));
    }
    check_hash32(&base_model_hash, "base_model_hash")?;
    if let Some(h) = &adapter_hash {
        check_hash32(h, "adapter_hash")?;
    }
    if let Some(h) = &training_log_hash {
        check_hash32(h, "training_log_hash")?;
    }
    if datanets.is_empty() || datanets.len() > MAX_DATANETS {
        return Err(invalid("1..=32 training Datanets required"));
    }
    let cfg = CONFIG.load(deps.storage)?;
    let registry = DatanetRegistry(cfg.datanet_registry);
    for (i, r) in datanets.iter().enumerate() {
        if datanets[..i]
            .iter()
            .any(|o| o.datanet_id == r.datanet_id && o.version == r.version)
        {
            return Err(invalid("duplicate Datanet reference"));
        }
        let bad = |reason: &str| ContractError::BadDatanetRef {
            datanet_id: r.datanet_id,
            version: r.version,
            reason: reason.into(),
        };
        let v = registry
            .version(&deps.querier, r.datanet_id, r.version)
            .map_err(|_| bad("no such version"))?;
        if v.merkle_root != r.root {
            return Err(bad("Merkle root mismatch"));
        }
        if !registry.has_access(&deps.querier, r.datanet_id, &info.sender)? {
            return Err(ContractError::NoTrainingAccess {
                datanet_id: r.datanet_id,
            });
        }
    }
    let id = MODEL_SEQ.may_load(deps.storage)?.unwrap_or_default() + 1;
    MODEL_SEQ.save(deps.storage, &id)?;
    let model = ModelInfo {
        id,
        name,
        owner: info.sender.clone(),
        base_model_hash,
        adapter_hash,
        training_log_hash,
        datanets,
        price_in_per_1k,
        price_out_per_1k,
        status: ModelStatus::Active,
        registered_at: env.block.time,
    };
    models().save(deps.storage, id, &model)?;
    Ok(Response::new()
        .add_attribute("action", "register_model")
        .add_attribute("model_id", id.to_string())
        .add_attribute("owner", info.sender))
}

fn load_model(deps: Deps, id: u64) -> Result<ModelInfo, ContractError> {
    models()
        .may_load(deps.storage, id)?
        .ok_or(ContractError::ModelNotFound { id })
}

fn save_model(deps: DepsMut, old: &ModelInfo, new: &ModelInfo) -> StdResult<()> {
    models().replace(deps.storage, new.id, Some(new), Some(old))
}

pub fn execute_update_prices(
    deps: DepsMut,
    info: MessageInfo,
    model_id: u64,
    price_in_per_1k: Uint128,
    price_out_per_1k: Uint128,
) -> Result<Response, ContractError> {
    let old = load_model(deps.as_ref(), model_id)?;
    if old.owner != info.sender {
        return Err(ContractError::Unauthorized {});
    }
    if old.status == ModelStatus::Retired {
        return Err(ContractError::Retired {});
    }
    let mut m = old.clone();
    m.price_in_per_1k = price_in_per_1k;
    m.price_out_per_1k = price_out_per_1k;
    save_model(deps, &old, &m)?;
    Ok(Response::new()
        .add_attribute("action", "update_prices")
        .add_attribute("model_id", model_id.to_string())
        .add_attribute("price_in_per_1k", price_in_per_1k)
        .add_attribute("price_out_per_1k", price_out_per_1k))
}

pub fn execute_set_status(
    deps: DepsMut,
    info: MessageInfo,
    model_id: u64,
    status: ModelStatus,
) -> Result<Response, ContractError> {
    let old = load_model(deps.as_ref(), model_id)?;
    let cfg = CONFIG.load(deps.storage)?;
    let is_gov = info.sender == cfg.governance;
    if old.owner != info.sender && !is_gov {
        return Err(ContractError::Unauthorized {});
    }
    if old.status == ModelStatus::Retired && !is_gov {
        return Err(ContractError::Retired {});
    }
    let mut m = old.clone();
    m.status = status;
    save_model(deps, &old, &m)?;
    Ok(Response::new()
        .add_attribute("action", "set_status")
        .add_attribute("model_id", model_id.to_string())
        .add_attribute("status", format!("{status:?}").to_lowercase()))
}

pub fn execute_transfer_ownership(
    deps: DepsMut,
    info: MessageInfo,
    model_id: u64,
    new_owner: String,
) -> Result<Response, ContractError> {
    let old = load_model(deps.as_ref(), model_id)?;
    if old.owner != info.sender {
        return Err(ContractError::Unauthorized {});
    }
    let mut m = old.clone();
    m.owner = deps.api.addr_validate(&new_owner)?;
    save_model(deps, &old, &m)?;
    Ok(Response::new()
        .add_attribute("action", "transfer_ownership")
        .add_attribute("model_id", model_id.to_string())
        .add_attribute("new_owner", new_owner))
}

pub fn execute_update_governance(
    deps: DepsMut,
    info: MessageInfo,
    governance: String,
) -> Result<Response, ContractError> {
    let mut cfg = CONFIG.load(deps.storage)?;
    if info.sender != cfg.governance {
        return Err(ContractError::Unauthorized {});
    }
    cfg.governance = deps.api.addr_validate(&governance)?;
    CONFIG.save(deps.storage, &cfg)?;
    Ok(Response::new()
        .add_attribute("action", "update_governance")
        .add_attribute("governance", governance))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, _env: Env, msg: QueryMsg) -> StdResult<Binary> {
    match msg {
        QueryMsg::Config {} => {
            let c = CONFIG.load(deps.storage)?;
            to_json_binary(&ConfigResponse {
                governance: c.governance,
                datanet_registry: c.datanet_registry,
            })
        }
        QueryMsg::Model { model_id } => to_json_binary(&models().load(deps.storage, model_id)?),
        QueryMsg::ListModels { start_after, limit } => {
            to_json_binary(&query_list_models(deps, start_after, limit)?)
        }
        QueryMsg::ModelsByOwner {
            owner,
            start_after,
            limit,
        } => to_json_binary(&query_models_by_owner(deps, owner, start_after, limit)?),
    }
}

pub fn query_list_models(
    deps: Deps,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> StdResult<ModelsResponse> {
    let models = models()
        .range(
            deps.storage,
            start_after.map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(page_limit(limit))
        .map(|r| r.map(|(_, m)| m))
        .collect::<StdResult<_>>()?;
    Ok(ModelsResponse { models })
}

pub fn query_models_by_owner(
    deps: Deps,
    owner: String,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> StdResult<ModelsResponse> {
    let owner = deps.api.addr_validate(&owner)?;
    let models = models()
        .idx
        .owner
        .prefix(owner)
        .range(
            deps.storage,
            start_after.map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(page_limit(limit))
        .map(|r| r.map(|(_, m)| m))
        .collect::<StdResult<_>>()?;
    Ok(ModelsResponse { models })
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, _env: Env, _msg: MigrateMsg) -> Result<Response, ContractError> {
    ensure_from_older_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(Response::new().add_attribute("action", "migrate"))
}
