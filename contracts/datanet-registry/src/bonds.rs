//! Contributor bonds per Datanet: bond (CW20 hook), unbond with a delay, claim, and
//! governance slashing that also raises the contributor's penalty score.

use cosmwasm_std::{to_json_binary, Addr, DepsMut, Env, MessageInfo, Response, Uint128, WasmMsg};
use cw20::Cw20ExecuteMsg;
use openledger_types::BPS;

use crate::error::ContractError;
use crate::state::*;

fn transfer(token: &Addr, to: &Addr, amount: Uint128) -> Result<WasmMsg, ContractError> {
    Ok(WasmMsg::Execute {
        contract_addr: token.to_string(),
        msg: to_json_binary(&Cw20ExecuteMsg::Transfer {
            recipient: to.to_string(),
            amount,
        })?,
        funds: vec![],
    })
}

pub fn execute_bond(
    deps: DepsMut,
    sender: Addr,
    amount: Uint128,
    datanet_id: u64,
) -> Result<Response, ContractError> {
    load_datanet(deps.storage, datanet_id)?;
    if amount.is_zero() {
        return Err(ContractError::invalid("zero bond"));
    }
    let mut b = BONDS
        .may_load(deps.storage, (datanet_id, &sender))?
        .unwrap_or_default();
    b.bonded += amount;
    BONDS.save(deps.storage, (datanet_id, &sender), &b)?;
    Ok(Response::new()
        .add_attribute("action", "bond")
        .add_attribute("datanet_id", datanet_id.to_string())
        .add_attribute("contributor", sender)
        .add_attribute("amount", amount))
}

pub fn execute_unbond(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    datanet_id: u64,
    amount: Uint128,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    let key = (datanet_id, &info.sender);
    let mut b = BONDS.may_load(deps.storage, key)?.unwrap_or_default();
    if amount.is_zero() || amount > b.bonded {
        return Err(ContractError::invalid("unbond amount must be 1..=bonded"));
    }
    b.bonded -= amount;
    b.unbonding += amount;
    b.release_at = Some(
        env.block
            .time
            .plus_seconds(cfg.params.bond_unbonding_seconds),
    );
    BONDS.save(deps.storage, key, &b)?;
    Ok(Response::new()
        .add_attribute("action", "unbond")
        .add_attribute("datanet_id", datanet_id.to_string())
        .add_attribute("contributor", info.sender)
        .add_attribute("amount", amount))
}

pub fn execute_claim_unbonded(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    datanet_id: u64,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    let key = (datanet_id, &info.sender);
    let mut b = BONDS.may_load(deps.storage, key)?.unwrap_or_default();
    if b.unbonding.is_zero() {
        return Err(ContractError::NothingToClaim {});
    }
    if b.release_at.is_some_and(|t| env.block.time < t) {
        return Err(ContractError::StillUnbonding {});
    }
    let amount = b.unbonding;
    b.unbonding = Uint128::zero();
    b.release_at = None;
    BONDS.save(deps.storage, key, &b)?;
    Ok(Response::new()
        .add_message(transfer(&cfg.open_token, &info.sender, amount)?)
        .add_attribute("action", "claim_unbonded")
        .add_attribute("datanet_id", datanet_id.to_string())
        .add_attribute("contributor", info.sender)
        .add_attribute("amount", amount))
}

pub fn execute_slash(
    deps: DepsMut,
    info: MessageInfo,
    datanet_id: u64,
    contributor: String,
    fraction_bps: u64,
    penalty_points: u64,
    reason: String,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    if info.sender != cfg.governance {
        return Err(ContractError::Unauthorized {});
    }
    if fraction_bps > BPS {
        return Err(ContractError::invalid("fraction_bps > 10000"));
    }
    load_datanet(deps.storage, datanet_id)?;
    let who = deps.api.addr_validate(&contributor)?;
    let key = (datanet_id, &who);
    let mut b = BONDS.may_load(deps.storage, key)?.unwrap_or_default();
    let total = b.bonded + b.unbonding;
    let amount = total.multiply_ratio(fraction_bps, BPS);
    let from_bonded = amount.min(b.bonded);
    b.bonded -= from_bonded;
    b.unbonding -= amount - from_bonded;
    BONDS.save(deps.storage, key, &b)?;
    // saturating: a score at u64::MAX is as penalised as it gets (a plain `+` panicked; found
    // by the message fuzzer)
    let score = PENALTIES
        .may_load(deps.storage, &who)?
        .unwrap_or_default()
        .saturating_add(penalty_points);
    PENALTIES.save(deps.storage, &who, &score)?;
    let mut res = Response::new();
    if !amount.is_zero() {
        res = res.add_message(transfer(&cfg.open_token, &cfg.fee_collector, amount)?);
    }
    Ok(res
        .add_attribute("action", "slash")
        .add_attribute("datanet_id", datanet_id.to_string())
        .add_attribute("contributor", who)
        .add_attribute("amount", amount)
        .add_attribute("penalty_score", score.to_string())
        .add_attribute("reason", reason))
}
