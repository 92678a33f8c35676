//! Prepaid inference credit: deposits (native coins, wrapped into CW20 OPEN at once, or CW20
//! OPEN), withdrawals (unwrapped back into native coins) and jobs a gateway opens against a
//! payer's credit with his API key ([`openledger_types::api_key`]).
//!
//! The escrow holds credit as CW20 OPEN, like every other token it holds (the
//! [`Ledger`](openledger_types::escrow::Ledger)'s `inference_credit`). A credit-paid job is
//! refunded to the payer's credit (`settle::refund_msgs`); the key's spend is never given back.
//! The gateway must be bonded in the attester registry: a job whose inference the attesters
//! reject refunds the payer and slashes the gateway (`tally`).

use cosmwasm_std::{
    coin, coins, Addr, BankMsg, CanonicalAddr, Deps, DepsMut, Env, MessageInfo, Response, StdError,
    StdResult, Storage, Uint128,
};
use openledger_types::api_key::{ApiKey, ApiKeyError, ApiKeyGrant};
use openledger_types::attester::AttesterRegistry;
use openledger_types::open_token::OpenToken;

use crate::error::ContractError;
use crate::jobs::{open_job, JobRequest, Payment};
use crate::state::*;

/// `beneficiary`, or the sender. Never the escrow itself: it could not spend or withdraw it.
fn beneficiary_addr(
    deps: Deps,
    env: &Env,
    beneficiary: Option<String>,
    sender: Addr,
) -> Result<Addr, ContractError> {
    let who = match beneficiary {
        Some(b) => deps.api.addr_validate(&b)?,
        None => sender,
    };
    if who == env.contract.address {
        return Err(ContractError::invalid(
            "the escrow cannot hold inference credit itself",
        ));
    }
    Ok(who)
}

/// Credits `amount` (now held by the escrow as CW20 OPEN) to `who`.
fn deposit(store: &mut dyn Storage, who: &Addr, amount: Uint128) -> StdResult<()> {
    add_inference_credit(store, who, amount)?;
    LEDGER.update(store, |mut l| -> StdResult<_> {
        l.inference_credit += amount;
        l.received += amount;
        Ok(l)
    })?;
    Ok(())
}

/// `ExecuteMsg::DepositCredit`: exactly one coin of open-token's native denom, wrapped at once
/// (open-token `Deposit` mints the CW20 to the escrow).
pub fn execute_deposit_credit_native(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    beneficiary: Option<String>,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    let token = OpenToken(cfg.open_token);
    let denom = token.native_denom(&deps.querier)?;
    let amount = cw_utils::must_pay(&info, &denom)?;
    let who = beneficiary_addr(deps.as_ref(), &env, beneficiary, info.sender)?;
    deposit(deps.storage, &who, amount)?;
    Ok(Response::new()
        .add_message(token.deposit_msg(coin(amount.u128(), denom))?)
        .add_attribute("action", "deposit_credit")
        .add_attribute("beneficiary", who)
        .add_attribute("amount", amount)
        .add_attribute("paid_with", "native"))
}

/// `ReceiveMsg::DepositCredit`: the CW20 OPEN `sender` sent.
pub fn execute_deposit_credit(
    deps: DepsMut,
    env: Env,
    sender: Addr,
    amount: Uint128,
    beneficiary: Option<String>,
) -> Result<Response, ContractError> {
    if amount.is_zero() {
        return Err(ContractError::ZeroAmount {});
    }
    let who = beneficiary_addr(deps.as_ref(), &env, beneficiary, sender)?;
    deposit(deps.storage, &who, amount)?;
    Ok(Response::new()
        .add_attribute("action", "deposit_credit")
        .add_attribute("beneficiary", who)
        .add_attribute("amount", amount)
        .add_attribute("paid_with", "cw20"))
}

/// `ExecuteMsg::WithdrawCredit`: unwraps `amount` of the escrow's CW20 OPEN (open-token
/// `Withdraw` burns it and sends the escrow the native coins) and forwards the coins to the
/// sender; the second message runs after the first, so the coins are there.
pub fn execute_withdraw_credit(
    deps: DepsMut,
    info: MessageInfo,
    amount: Uint128,
) -> Result<Response, ContractError> {
    if amount.is_zero() {
        return Err(ContractError::ZeroAmount {});
    }
    let credit = CREDITS
        .may_load(deps.storage, &info.sender)?
        .unwrap_or_default();
    if amount > credit {
        return Err(ContractError::InsufficientCredit {
            credit,
            needed: amount,
        });
    }
    let left = credit - amount;
    if left.is_zero() {
        CREDITS.remove(deps.storage, &info.sender);
    } else {
        CREDITS.save(deps.storage, &info.sender, &left)?;
    }
    LEDGER.update(deps.storage, |mut l| -> StdResult<_> {
        l.inference_credit = l.inference_credit.checked_sub(amount)?;
        l.paid_out += amount;
        Ok(l)
    })?;
    let cfg = CONFIG.load(deps.storage)?;
    let token = OpenToken(cfg.open_token);
    let denom = token.native_denom(&deps.querier)?;
    Ok(Response::new()
        .add_message(token.withdraw_msg(amount)?)
        .add_message(BankMsg::Send {
            to_address: info.sender.to_string(),
            amount: coins(amount.u128(), denom),
        })
        .add_attribute("action", "withdraw_credit")
        .add_attribute("recipient", info.sender)
        .add_attribute("amount", amount)
        .add_attribute("credit_left", left))
}

/// Checks `key` for a job `gateway` opens now: its grant (this chain, this gateway, not
/// expired) and its signature by the account it names. Returns that account (the payer) and
/// the grant.
pub fn verify_api_key(
    deps: Deps,
    env: &Env,
    gateway: &Addr,
    key: &ApiKey,
) -> Result<(Addr, ApiKeyGrant), ContractError> {
    key.check_lengths()?;
    let grant = key.parse_grant()?;
    grant.check(
        &env.block.chain_id,
        gateway.as_str(),
        env.block.time.seconds(),
    )?;
    let payer = deps
        .api
        .addr_humanize(&CanonicalAddr::from(key.payer_address_bytes()))?;
    let hash = key.sign_hash(payer.as_str())?;
    // A public key that is no curve point is an error here, not a panic: a bad signature too.
    if !deps
        .api
        .secp256k1_verify(&hash, &key.signature, &key.pub_key)
        .unwrap_or(false)
    {
        return Err(ApiKeyError::BadSignature.into());
    }
    Ok((payer, grant))
}

/// `ExecuteMsg::RequestJobWithCredit`: the sender is the gateway.
pub fn execute_request_job_with_credit(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    api_key: ApiKey,
    req: JobRequest,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    let (payer, grant) = verify_api_key(deps.as_ref(), &env, &info.sender, &api_key)?;
    check_gateway_bonded(deps.as_ref(), &cfg, &info.sender)?;
    let payment = Payment::Credit {
        gateway: info.sender,
        key_id: api_key.id(),
        max_spend: grant.max_spend,
    };
    open_job(deps, env, cfg, payer, req, payment)
}

/// A gateway charges payers only while it is an Active operator of the attester registry
/// (bonded at least `min_bond`, neither jailed nor tombstoned): its bond is what the escrow
/// slashes when the attesters reject the inference it charged for.
fn check_gateway_bonded(deps: Deps, cfg: &Config, gateway: &Addr) -> Result<(), ContractError> {
    match AttesterRegistry(cfg.attester_registry.clone()).active_stake(&deps.querier, gateway)? {
        Some(_) => Ok(()),
        None => Err(ContractError::GatewayNotBonded {
            gateway: gateway.to_string(),
        }),
    }
}

/// Moves `fee` from `payer`'s credit to `escrowed` and adds it to the key's spend, which
/// refunds never lower.
pub fn charge_credit(
    store: &mut dyn Storage,
    payer: &Addr,
    key_id: &[u8; 32],
    max_spend: Option<Uint128>,
    fee: Uint128,
) -> Result<(), ContractError> {
    let credit = CREDITS.may_load(store, payer)?.unwrap_or_default();
    if fee > credit {
        return Err(ContractError::InsufficientCredit {
            credit,
            needed: fee,
        });
    }
    let spent = KEY_SPENT
        .may_load(store, key_id.as_slice())?
        .unwrap_or_default();
    let total = spent.checked_add(fee).map_err(StdError::from)?;
    if let Some(max_spend) = max_spend {
        if total > max_spend {
            return Err(ContractError::KeySpendCapExceeded {
                max_spend,
                spent,
                fee,
            });
        }
    }
    let left = credit - fee;
    if left.is_zero() {
        CREDITS.remove(store, payer);
    } else {
        CREDITS.save(store, payer, &left)?;
    }
    KEY_SPENT.save(store, key_id.as_slice(), &total)?;
    LEDGER.update(store, |mut l| -> StdResult<_> {
        l.inference_credit = l.inference_credit.checked_sub(fee)?;
        l.escrowed += fee;
        Ok(l)
    })?;
    Ok(())
}
