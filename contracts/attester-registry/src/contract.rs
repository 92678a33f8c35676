#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    from_json, to_json_binary, Addr, Binary, Deps, DepsMut, Env, HexBinary, MessageInfo, Order,
    Response, StdResult, Uint128, WasmMsg,
};
use cw2::{ensure_from_older_version, set_contract_version};
use cw20::{Cw20ExecuteMsg, Cw20ReceiveMsg};
use cw_storage_plus::Bound;
use openledger_types::escrow::{ObligationsResponse, QueryMsg as EscrowQuery};
use openledger_types::{check_hash32, page_limit, Method, BPS, MAX_DURATION_SECONDS};

use crate::error::ContractError;
use crate::msg::*;
use crate::state::*;

pub const CONTRACT_NAME: &str = env!("CARGO_PKG_NAME");
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    _info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    if msg.min_bond.is_zero() {
        return Err(ContractError::invalid("min_bond must be positive"));
    }
    check_unbonding(msg.unbonding_seconds)?;
    let cfg = Config {
        governance: deps.api.addr_validate(&msg.governance)?,
        open_token: deps.api.addr_validate(&msg.open_token)?,
        slash_recipient: deps.api.addr_validate(&msg.slash_recipient)?,
        min_bond: msg.min_bond,
        unbonding_seconds: msg.unbonding_seconds,
        verifier: msg
            .verifier
            .map(|v| deps.api.addr_validate(&v))
            .transpose()?,
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
        ExecuteMsg::Register {
            pubkey,
            capabilities,
        } => execute_register(deps, env, info, pubkey, capabilities),
        ExecuteMsg::UpdateCapabilities { capabilities } => {
            execute_update_capabilities(deps, info, capabilities)
        }
        ExecuteMsg::Receive(wrapper) => execute_receive(deps, info, wrapper),
        ExecuteMsg::Unbond { amount } => execute_unbond(deps, env, info, amount),
        ExecuteMsg::ClaimUnbonded {} => execute_claim_unbonded(deps, env, info),
        ExecuteMsg::Unjail {} => execute_unjail(deps, env, info),
        ExecuteMsg::Slash {
            operator,
            fraction_bps,
            jail_until,
            tombstone,
            reason,
        } => execute_slash(
            deps,
            info,
            operator,
            fraction_bps,
            jail_until,
            tombstone,
            reason,
        ),
        ExecuteMsg::UpdateConfig {
            min_bond,
            unbonding_seconds,
            slash_recipient,
            verifier,
        } => execute_update_config(
            deps,
            info,
            min_bond,
            unbonding_seconds,
            slash_recipient,
            verifier,
        ),
        ExecuteMsg::UpdateGovernance { governance } => {
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
    }
}

fn validate_capabilities(c: &Capabilities) -> Result<(), ContractError> {
    // No methods is a gateway operator's registration: bonded to answer for the inference it
    // charges payers for, never assigned a job (Eligible matches on a method).
    if c.methods.len() > 8 {
        return Err(ContractError::invalid("at most 8 methods"));
    }
    if c.model_hashes.len() > 64 {
        return Err(ContractError::invalid("at most 64 model hashes"));
    }
    for h in &c.model_hashes {
        check_hash32(h, "model hash")?;
    }
    if c.backend.len() > 64 {
        return Err(ContractError::invalid("backend too long"));
    }
    Ok(())
}

fn load(deps: Deps, who: &Addr) -> Result<AttesterInfo, ContractError> {
    ATTESTERS
        .may_load(deps.storage, who)?
        .ok_or(ContractError::NotRegistered {})
}

pub fn execute_register(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    pubkey: Binary,
    capabilities: Capabilities,
) -> Result<Response, ContractError> {
    if ATTESTERS.has(deps.storage, &info.sender) {
        return Err(ContractError::AlreadyRegistered {});
    }
    if pubkey.len() != 32 {
        return Err(ContractError::invalid(
            "ed25519 public key must be 32 bytes",
        ));
    }
    validate_capabilities(&capabilities)?;
    let cfg = CONFIG.load(deps.storage)?;
    let mut a = AttesterInfo {
        operator: info.sender.clone(),
        pubkey,
        capabilities,
        bonded: Uint128::zero(),
        unbonding: Uint128::zero(),
        release_at: None,
        status: AttesterStatus::Inactive,
        slashed_total: Uint128::zero(),
        registered_at: env.block.time,
    };
    save_attester(deps.storage, cfg.min_bond, &mut a)?;
    Ok(Response::new()
        .add_attribute("action", "register")
        .add_attribute("operator", info.sender))
}

pub fn execute_update_capabilities(
    deps: DepsMut,
    info: MessageInfo,
    capabilities: Capabilities,
) -> Result<Response, ContractError> {
    validate_capabilities(&capabilities)?;
    let mut a = load(deps.as_ref(), &info.sender)?;
    a.capabilities = capabilities;
    ATTESTERS.save(deps.storage, &info.sender, &a)?;
    Ok(Response::new()
        .add_attribute("action", "update_capabilities")
        .add_attribute("operator", info.sender))
}

pub fn execute_receive(
    deps: DepsMut,
    info: MessageInfo,
    wrapper: Cw20ReceiveMsg,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    if info.sender != cfg.open_token {
        return Err(ContractError::WrongToken {});
    }
    let ReceiveMsg::Bond {} = from_json(&wrapper.msg)?;
    let operator = deps.api.addr_validate(&wrapper.sender)?;
    let mut a = load(deps.as_ref(), &operator)?;
    if a.status == AttesterStatus::Tombstoned {
        return Err(ContractError::Tombstoned {});
    }
    if wrapper.amount.is_zero() {
        return Err(ContractError::invalid("zero bond"));
    }
    a.bonded += wrapper.amount;
    save_attester(deps.storage, cfg.min_bond, &mut a)?;
    Ok(Response::new()
        .add_attribute("action", "bond")
        .add_attribute("operator", operator)
        .add_attribute("amount", wrapper.amount)
        .add_attribute("bonded", a.bonded))
}

pub fn execute_unbond(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    amount: Uint128,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    let mut a = load(deps.as_ref(), &info.sender)?;
    if amount.is_zero() || amount > a.bonded {
        return Err(ContractError::invalid("unbond amount must be 1..=bonded"));
    }
    a.bonded -= amount;
    a.unbonding += amount;
    a.release_at = Some(env.block.time.plus_seconds(cfg.unbonding_seconds));
    save_attester(deps.storage, cfg.min_bond, &mut a)?;
    Ok(Response::new()
        .add_attribute("action", "unbond")
        .add_attribute("operator", info.sender)
        .add_attribute("amount", amount))
}

fn transfer(token: &Addr, to: &Addr, amount: Uint128) -> StdResult<WasmMsg> {
    Ok(WasmMsg::Execute {
        contract_addr: token.to_string(),
        msg: to_json_binary(&Cw20ExecuteMsg::Transfer {
            recipient: to.to_string(),
            amount,
        })?,
        funds: vec![],
    })
}

pub fn execute_claim_unbonded(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    let mut a = load(deps.as_ref(), &info.sender)?;
    if a.unbonding.is_zero() {
        return Err(ContractError::NothingToClaim {});
    }
    if a.release_at.is_some_and(|t| env.block.time < t) {
        return Err(ContractError::StillUnbonding {});
    }
    // Unbonding stake stays slashable (like the Cosmos SDK's unbonding delegations), but it
    // must not leave while the verifier may still punish it: a job it is assigned to, or a
    // result it stands behind in a challenge window or an open challenge. The verifier is the
    // one source of truth (no lock state to keep in step here); a verifier that cannot answer
    // refuses the claim rather than risk releasing stake that is owed.
    if let Some(verifier) = &cfg.verifier {
        let open: ObligationsResponse = deps.querier.query_wasm_smart(
            verifier,
            &EscrowQuery::Obligations {
                attester: info.sender.to_string(),
            },
        )?;
        if !open.jobs.is_empty() {
            return Err(ContractError::ObligationsOpen { jobs: open.jobs });
        }
    }
    let amount = a.unbonding;
    a.unbonding = Uint128::zero();
    a.release_at = None;
    save_attester(deps.storage, cfg.min_bond, &mut a)?;
    Ok(Response::new()
        .add_message(transfer(&cfg.open_token, &info.sender, amount)?)
        .add_attribute("action", "claim_unbonded")
        .add_attribute("operator", info.sender)
        .add_attribute("amount", amount))
}

pub fn execute_unjail(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    let mut a = load(deps.as_ref(), &info.sender)?;
    match a.status {
        AttesterStatus::Jailed { until } if env.block.time.seconds() < until => {
            return Err(ContractError::StillJailed { until })
        }
        AttesterStatus::Jailed { .. } => a.status = AttesterStatus::Inactive,
        AttesterStatus::Tombstoned => return Err(ContractError::Tombstoned {}),
        _ => return Err(ContractError::NotJailed {}),
    }
    save_attester(deps.storage, cfg.min_bond, &mut a)?;
    Ok(Response::new()
        .add_attribute("action", "unjail")
        .add_attribute("operator", info.sender))
}

pub fn execute_slash(
    deps: DepsMut,
    info: MessageInfo,
    operator: String,
    fraction_bps: u64,
    jail_until: Option<u64>,
    tombstone: bool,
    reason: String,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    if info.sender != cfg.governance && Some(&info.sender) != cfg.verifier.as_ref() {
        return Err(ContractError::Unauthorized {});
    }
    if fraction_bps > BPS {
        return Err(ContractError::invalid("fraction_bps > 10000"));
    }
    let operator = deps.api.addr_validate(&operator)?;
    let mut a = load(deps.as_ref(), &operator)?;
    let amount = (a.bonded + a.unbonding).multiply_ratio(fraction_bps, BPS);
    let from_bonded = amount.min(a.bonded);
    a.bonded -= from_bonded;
    a.unbonding -= amount - from_bonded;
    a.slashed_total += amount;
    if tombstone {
        a.status = AttesterStatus::Tombstoned;
    } else if let Some(until) = jail_until {
        if a.status != AttesterStatus::Tombstoned {
            // a longer existing jail term is kept
            let until = match a.status {
                AttesterStatus::Jailed { until: u } => u.max(until),
                _ => until,
            };
            a.status = AttesterStatus::Jailed { until };
        }
    }
    save_attester(deps.storage, cfg.min_bond, &mut a)?;
    let mut res = Response::new();
    if !amount.is_zero() {
        res = res.add_message(transfer(&cfg.open_token, &cfg.slash_recipient, amount)?);
    }
    Ok(res
        .add_attribute("action", "slash")
        .add_attribute("operator", operator)
        .add_attribute("amount", amount)
        .add_attribute("status", format!("{:?}", a.status))
        .add_attribute("reason", reason))
}

/// `release_at = now + unbonding_seconds` must not overflow (an unbounded value made every
/// `Unbond` panic; found by the message fuzzer).
fn check_unbonding(seconds: u64) -> Result<(), ContractError> {
    if seconds > MAX_DURATION_SECONDS {
        return Err(ContractError::invalid(format!(
            "unbonding_seconds must be at most {MAX_DURATION_SECONDS}"
        )));
    }
    Ok(())
}

pub fn execute_update_config(
    deps: DepsMut,
    info: MessageInfo,
    min_bond: Option<Uint128>,
    unbonding_seconds: Option<u64>,
    slash_recipient: Option<String>,
    verifier: Option<String>,
) -> Result<Response, ContractError> {
    let mut cfg = CONFIG.load(deps.storage)?;
    if info.sender != cfg.governance {
        return Err(ContractError::Unauthorized {});
    }
    if let Some(m) = min_bond {
        if m.is_zero() {
            return Err(ContractError::invalid("min_bond must be positive"));
        }
        cfg.min_bond = m;
    }
    if let Some(u) = unbonding_seconds {
        check_unbonding(u)?;
        cfg.unbonding_seconds = u;
    }
    if let Some(s) = slash_recipient {
        cfg.slash_recipient = deps.api.addr_validate(&s)?;
    }
    if let Some(v) = verifier {
        cfg.verifier = Some(deps.api.addr_validate(&v)?);
    }
    CONFIG.save(deps.storage, &cfg)?;
    Ok(Response::new().add_attribute("action", "update_config"))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, _env: Env, msg: QueryMsg) -> StdResult<Binary> {
    match msg {
        QueryMsg::Config {} => {
            let c = CONFIG.load(deps.storage)?;
            to_json_binary(&ConfigResponse {
                governance: c.governance,
                open_token: c.open_token,
                slash_recipient: c.slash_recipient,
                min_bond: c.min_bond,
                unbonding_seconds: c.unbonding_seconds,
                verifier: c.verifier,
            })
        }
        QueryMsg::Attester { operator } => {
            let op = deps.api.addr_validate(&operator)?;
            to_json_binary(&ATTESTERS.load(deps.storage, &op)?)
        }
        QueryMsg::ListAttesters { start_after, limit } => {
            to_json_binary(&query_list(deps, start_after, limit)?)
        }
        QueryMsg::Eligible {
            method,
            model_hash,
            start_after,
            limit,
        } => to_json_binary(&query_eligible(
            deps,
            method,
            model_hash,
            start_after,
            limit,
        )?),
    }
}

pub fn query_list(
    deps: Deps,
    start_after: Option<String>,
    limit: Option<u32>,
) -> StdResult<AttestersResponse> {
    let start = start_after
        .map(|s| deps.api.addr_validate(&s))
        .transpose()?;
    let attesters = ATTESTERS
        .range(
            deps.storage,
            start.as_ref().map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(page_limit(limit))
        .map(|r| r.map(|(_, a)| a))
        .collect::<StdResult<_>>()?;
    Ok(AttestersResponse { attesters })
}

pub fn query_eligible(
    deps: Deps,
    method: Method,
    model_hash: Option<HexBinary>,
    start_after: Option<String>,
    limit: Option<u32>,
) -> StdResult<EligibleResponse> {
    let start = start_after
        .map(|s| deps.api.addr_validate(&s))
        .transpose()?;
    let limit = limit.unwrap_or(MAX_ELIGIBLE_LIMIT).min(MAX_ELIGIBLE_LIMIT) as usize;
    let mut attesters = vec![];
    for item in ACTIVE.range(
        deps.storage,
        start.as_ref().map(Bound::exclusive),
        None,
        Order::Ascending,
    ) {
        let (operator, stake) = item?;
        let a = ATTESTERS.load(deps.storage, &operator)?;
        let caps = &a.capabilities;
        let model_ok = match &model_hash {
            Some(h) => caps.model_hashes.is_empty() || caps.model_hashes.contains(h),
            None => true,
        };
        if caps.methods.contains(&method) && model_ok {
            attesters.push(EligibleAttester {
                operator,
                stake,
                pubkey: a.pubkey,
            });
            if attesters.len() == limit {
                break;
            }
        }
    }
    Ok(EligibleResponse { attesters })
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, _env: Env, _msg: MigrateMsg) -> Result<Response, ContractError> {
    ensure_from_older_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(Response::new().add_attribute("action", "migrate"))
}
