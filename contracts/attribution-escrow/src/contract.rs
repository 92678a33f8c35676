#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    from_json, to_json_binary, Addr, Binary, Deps, DepsMut, Env, MessageInfo, Order, Reply,
    Response, StdResult, SubMsgResult,
};
use cw2::{ensure_from_older_version, set_contract_version};
use cw_storage_plus::Bound;
use openledger_types::datanet::MAX_PAYEE_IDS;
use openledger_types::model::ModelRegistry;
use openledger_types::{check_hash32, page_limit, BPS};

use crate::credit::{
    execute_deposit_credit, execute_deposit_credit_native, execute_request_job_with_credit,
    execute_withdraw_credit,
};
use crate::error::ContractError;
use crate::jobs::{
    execute_commit, execute_report_equivocation, execute_reveal, open_job, JobRequest, Payment,
};
use crate::msg::*;
use crate::settle::{
    execute_challenge, execute_claim, execute_claim_contributor, execute_resolve_challenge,
    execute_settle,
};
use crate::split::{apply_multiplier, entitlement, quote_fee};
use crate::state::*;
use crate::tally::execute_tally;

pub const CONTRACT_NAME: &str = env!("CARGO_PKG_NAME");
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");
/// Upper bound on `max_ask_count` (bounds tally gas).
pub const ASK_COUNT_CAP: u32 = 32;
/// Upper bound on every window in blocks (≈ 19 years of 6 s blocks): deadlines are
/// `height + window` and must not overflow.
pub const MAX_WINDOW_BLOCKS: u64 = 100_000_000;
/// Upper bound on `jail_seconds`: `jail_until = now + jail_seconds`.
pub const MAX_JAIL_SECONDS: u64 = openledger_types::MAX_DURATION_SECONDS;

/// Upper bound on `max_job_bytes` (1 GiB): an attester holds a job's inputs in memory.
pub const MAX_JOB_BYTES_CAP: u64 = 1 << 30;

pub fn validate_params(p: &EscrowParams) -> Result<(), ContractError> {
    // summed wide: three u64s may overflow (found by the message fuzzer)
    if p.beta_bps as u128 + p.gamma_bps as u128 + p.delta_bps as u128 != BPS as u128 {
        return Err(ContractError::invalid(
            "beta + gamma + delta must be 10000 bps",
        ));
    }
    if p.quorum_den == 0 || p.quorum_num == 0 || p.quorum_num > p.quorum_den {
        return Err(ContractError::invalid(
            "quorum must be a fraction in (0, 1]",
        ));
    }
    if p.default_ask_count == 0
        || p.default_ask_count > p.max_ask_count
        || p.max_ask_count > ASK_COUNT_CAP
    {
        return Err(ContractError::invalid(
            "need 1 <= default_ask_count <= max_ask_count <= 32",
        ));
    }
    if p.commit_blocks == 0 || p.reveal_blocks == 0 {
        return Err(ContractError::invalid(
            "commit and reveal windows must be at least one block",
        ));
    }
    if p.slash_missed_bps > BPS
        || p.slash_deviation_bps > BPS
        || p.slash_equivocation_bps > BPS
        || p.slash_gateway_bps > BPS
        || p.tolerance_bps > 2 * BPS
    {
        return Err(ContractError::invalid("bps parameter out of range"));
    }
    if p.platform_fee.is_zero() {
        // The platform fee is what a job whose inputs turn out unavailable costs its requester
        // (nobody is slashed then): without it, wasting every attester's work would be free.
        return Err(ContractError::invalid(
            "platform_fee must be positive (it is kept when a job's inputs are unavailable)",
        ));
    }
    if p.challenge_resolve_blocks == 0 {
        return Err(ContractError::invalid(
            "challenge_resolve_blocks must be at least one block",
        ));
    }
    let windows = [
        p.commit_blocks,
        p.reveal_blocks,
        p.challenge_blocks,
        p.challenge_resolve_blocks,
        p.miss_window_blocks,
    ];
    if windows.iter().any(|&w| w > MAX_WINDOW_BLOCKS) || p.jail_seconds > MAX_JAIL_SECONDS {
        return Err(ContractError::invalid(format!(
            "block windows must be at most {MAX_WINDOW_BLOCKS} blocks and jail_seconds at most \
             {MAX_JAIL_SECONDS} (deadlines must not overflow)"
        )));
    }
    if p.max_job_bytes == 0 || p.max_job_bytes > MAX_JOB_BYTES_CAP {
        return Err(ContractError::invalid(format!(
            "max_job_bytes must be in 1..={MAX_JOB_BYTES_CAP} (what every attester reads of one \
             job), got {}",
            p.max_job_bytes
        )));
    }
    if p.max_contributions as usize > MAX_PAYEE_IDS {
        return Err(ContractError::invalid(format!(
            "max_contributions must be at most {MAX_PAYEE_IDS} (the datanet registry resolves \
             at most that many contribution ids per query), got {}",
            p.max_contributions
        )));
    }
    Ok(())
}

/// The treasury may not be the escrow itself: what it pays the treasury leaves the ledger
/// (`paid_out`) but would stay in its balance, unaccounted and unclaimable forever (found by the
/// message fuzzer's ledger invariant).
fn treasury_addr(deps: Deps, env: &Env, treasury: &str) -> Result<Addr, ContractError> {
    let a = deps.api.addr_validate(treasury)?;
    if a == env.contract.address {
        return Err(ContractError::invalid(
            "the treasury cannot be the escrow itself",
        ));
    }
    Ok(a)
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    env: Env,
    _info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    validate_params(&msg.params)?;
    let v = |s: &str| deps.api.addr_validate(s);
    let cfg = Config {
        governance: v(&msg.governance)?,
        treasury: treasury_addr(deps.as_ref(), &env, &msg.treasury)?,
        open_token: v(&msg.open_token)?,
        model_registry: v(&msg.model_registry)?,
        datanet_registry: v(&msg.datanet_registry)?,
        attester_registry: v(&msg.attester_registry)?,
        params: msg.params,
    };
    CONFIG.save(deps.storage, &cfg)?;
    LEDGER.save(deps.storage, &Ledger::default())?;
    Ok(Response::new().add_attribute("action", "instantiate"))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    // Only `DepositCredit` takes native coins (it wraps them into CW20 OPEN at once: OPEN moves
    // as CW20 here); refuse them everywhere else instead of locking them.
    if !matches!(msg, ExecuteMsg::DepositCredit { .. }) {
        cw_utils::nonpayable(&info)?;
    }
    match msg {
        ExecuteMsg::Receive(wrapper) => execute_receive(deps, env, info, wrapper),
        ExecuteMsg::Commit { job_id, commitment } => {
            execute_commit(deps, env, info, job_id, commitment)
        }
        ExecuteMsg::Reveal {
            job_id,
            packet,
            salt,
            signature,
        } => execute_reveal(deps, env, info, job_id, packet, salt, signature),
        ExecuteMsg::Tally { job_id } => execute_tally(deps, env, info, job_id),
        ExecuteMsg::Settle { job_id } => execute_settle(deps, env, info, job_id),
        ExecuteMsg::ResolveChallenge { job_id, upheld } => {
            execute_resolve_challenge(deps, env, info, job_id, upheld)
        }
        ExecuteMsg::ReportEquivocation {
            job_id,
            attester,
            first,
            second,
        } => execute_report_equivocation(deps, env, info, job_id, attester, first, second),
        ExecuteMsg::Claim {} => execute_claim(deps, info),
        ExecuteMsg::ClaimContributor {
            datanet_id,
            version,
        } => execute_claim_contributor(deps, info, datanet_id, version),
        ExecuteMsg::UpdateParams { params } => {
            let mut cfg = CONFIG.load(deps.storage)?;
            if info.sender != cfg.governance {
                return Err(ContractError::Unauthorized {});
            }
            validate_params(&params)?;
            cfg.params = params;
            CONFIG.save(deps.storage, &cfg)?;
            Ok(Response::new().add_attribute("action", "update_params"))
        }
        ExecuteMsg::UpdateTreasury { treasury } => {
            let mut cfg = CONFIG.load(deps.storage)?;
            if info.sender != cfg.governance {
                return Err(ContractError::Unauthorized {});
            }
            cfg.treasury = treasury_addr(deps.as_ref(), &env, &treasury)?;
            CONFIG.save(deps.storage, &cfg)?;
            Ok(Response::new()
                .add_attribute("action", "update_treasury")
                .add_attribute("treasury", treasury))
        }
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
        ExecuteMsg::DepositCredit { beneficiary } => {
            execute_deposit_credit_native(deps, env, info, beneficiary)
        }
        ExecuteMsg::WithdrawCredit { amount } => execute_withdraw_credit(deps, info, amount),
        ExecuteMsg::RequestJobWithCredit {
            api_key,
            model_id,
            method,
            input_hash,
            output_hash,
            input_tokens,
            output_tokens,
            ask_count,
            method_params,
        } => execute_request_job_with_credit(
            deps,
            env,
            info,
            api_key,
            JobRequest {
                model_id,
                method,
                input_hash,
                output_hash,
                input_tokens,
                output_tokens,
                ask_count,
                method_params,
            },
        ),
    }
}

pub fn execute_receive(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    wrapper: cw20::Cw20ReceiveMsg,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    if info.sender != cfg.open_token {
        return Err(ContractError::WrongToken {});
    }
    let sender = deps.api.addr_validate(&wrapper.sender)?;
    match from_json(&wrapper.msg)? {
        ReceiveMsg::RequestJob {
            model_id,
            method,
            input_hash,
            output_hash,
            input_tokens,
            output_tokens,
            ask_count,
            method_params,
        } => open_job(
            deps,
            env,
            cfg,
            sender,
            JobRequest {
                model_id,
                method,
                input_hash,
                output_hash,
                input_tokens,
                output_tokens,
                ask_count,
                method_params,
            },
            Payment::Cw20 {
                amount: wrapper.amount,
            },
        ),
        ReceiveMsg::Challenge { job_id, reason } => {
            execute_challenge(deps, env, cfg, sender, wrapper.amount, job_id, reason)
        }
        ReceiveMsg::DepositCredit { beneficiary } => {
            execute_deposit_credit(deps, env, sender, wrapper.amount, beneficiary)
        }
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, _env: Env, msg: QueryMsg) -> StdResult<Binary> {
    match msg {
        QueryMsg::Config {} => {
            let c = CONFIG.load(deps.storage)?;
            to_json_binary(&ConfigResponse {
                governance: c.governance,
                treasury: c.treasury,
                open_token: c.open_token,
                model_registry: c.model_registry,
                datanet_registry: c.datanet_registry,
                attester_registry: c.attester_registry,
                params: c.params,
            })
        }
        QueryMsg::Job { job_id } => to_json_binary(&JobResponse {
            job: jobs().load(deps.storage, job_id)?,
            assignments: load_assignments(deps.storage, job_id)?,
            payment: job_payment(deps.storage, job_id)?,
        }),
        QueryMsg::ListJobs {
            status,
            start_after,
            limit,
        } => {
            let start = start_after.map(Bound::exclusive);
            let iter: Box<dyn Iterator<Item = StdResult<(u64, JobInfo)>>> = match status {
                Some(s) => jobs().idx.status.prefix(status_code(s)).range(
                    deps.storage,
                    start,
                    None,
                    Order::Ascending,
                ),
                None => jobs().range(deps.storage, start, None, Order::Ascending),
            };
            let jobs = iter
                .take(page_limit(limit))
                .map(|r| r.map(|(_, j)| j))
                .collect::<StdResult<_>>()?;
            to_json_binary(&JobsResponse { jobs })
        }
        QueryMsg::JobsByAttester {
            attester,
            start_after,
            limit,
        } => {
            let who = deps.api.addr_validate(&attester)?;
            let jobs = ATTESTER_JOBS
                .prefix(&who)
                .keys(
                    deps.storage,
                    start_after.map(Bound::exclusive),
                    None,
                    Order::Ascending,
                )
                .take(page_limit(limit))
                .map(|id| -> StdResult<AttesterJob> {
                    let id = id?;
                    Ok(AttesterJob {
                        job: jobs().load(deps.storage, id)?,
                        assignment: ASSIGNMENTS.load(deps.storage, (id, &who))?,
                    })
                })
                .collect::<StdResult<_>>()?;
            to_json_binary(&AttesterJobsResponse { jobs })
        }
        QueryMsg::QuoteFee {
            model_id,
            input_tokens,
            output_tokens,
        } => {
            let cfg = CONFIG.load(deps.storage)?;
            let m = ModelRegistry(cfg.model_registry).model(&deps.querier, model_id)?;
            let fee = quote_fee(
                input_tokens,
                output_tokens,
                m.price_in_per_1k,
                m.price_out_per_1k,
                cfg.params.platform_fee,
            )?;
            let platform_fee = cfg.params.platform_fee.min(fee);
            to_json_binary(&FeeQuote {
                fee,
                platform_fee,
                net_fee: fee - platform_fee,
            })
        }
        QueryMsg::Balance { address } => {
            let a = deps.api.addr_validate(&address)?;
            to_json_binary(&BalanceResponse {
                balance: BALANCES.may_load(deps.storage, &a)?.unwrap_or_default(),
            })
        }
        QueryMsg::Credit { address } => {
            let address = deps.api.addr_validate(&address)?;
            let credit = CREDITS
                .may_load(deps.storage, &address)?
                .unwrap_or_default();
            to_json_binary(&CreditResponse { address, credit })
        }
        QueryMsg::KeySpent { key_id } => {
            check_hash32(&key_id, "key_id")?;
            to_json_binary(&KeySpentResponse {
                spent: KEY_SPENT
                    .may_load(deps.storage, key_id.as_slice())?
                    .unwrap_or_default(),
            })
        }
        QueryMsg::Pool {
            datanet_id,
            version,
        } => {
            let p = POOLS
                .may_load(deps.storage, (datanet_id, version))?
                .unwrap_or_default();
            to_json_binary(&PoolResponse {
                datanet_id,
                version,
                total: p.total,
                drawn: p.drawn,
            })
        }
        QueryMsg::ContributorClaimable {
            datanet_id,
            version,
            contributor,
        } => {
            let cfg = CONFIG.load(deps.storage)?;
            let who = deps.api.addr_validate(&contributor)?;
            let p = POOLS
                .may_load(deps.storage, (datanet_id, version))?
                .unwrap_or_default();
            let share = openledger_types::datanet::DatanetRegistry(cfg.datanet_registry)
                .contributor_share(&deps.querier, datanet_id, version, &who)?;
            let drawn = DRAWN
                .may_load(deps.storage, (datanet_id, version, &who))?
                .unwrap_or_default();
            let entitled =
                entitlement(p.total, share.weight, share.total_weight).saturating_sub(drawn);
            let (payable, _) = apply_multiplier(entitled, share.reward_multiplier_bps);
            to_json_binary(&ContributorClaimableResponse { entitled, payable })
        }
        QueryMsg::ContributionEarnings { contribution_id } => to_json_binary(
            &EARNINGS.may_load(deps.storage, contribution_id)?.unwrap_or(
                ContributionEarningsResponse {
                    contribution_id,
                    ..Default::default()
                },
            ),
        ),
        QueryMsg::Ledger {} => to_json_binary(&LEDGER.load(deps.storage)?),
        QueryMsg::Obligations { attester } => {
            let who = deps.api.addr_validate(&attester)?;
            let jobs = OBLIGATIONS
                .prefix(&who)
                .keys(deps.storage, None, None, Order::Ascending)
                .take(page_limit(Some(openledger_types::common::MAX_LIMIT)))
                .collect::<StdResult<_>>()?;
            to_json_binary(&ObligationsResponse { jobs })
        }
    }
}

/// Penalty submessages reply only on error: record it and carry on (see `state::penalty`).
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn reply(_deps: DepsMut, _env: Env, msg: Reply) -> Result<Response, ContractError> {
    match (msg.id, msg.result) {
        (REPLY_PENALTY, SubMsgResult::Err(err)) => Ok(Response::new()
            .add_attribute("action", "penalty_failed")
            .add_attribute("error", err)),
        (REPLY_PENALTY, SubMsgResult::Ok(_)) => Ok(Response::new()),
        (id, _) => Err(ContractError::invalid(format!("unknown reply id {id}"))),
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, _env: Env, _msg: MigrateMsg) -> Result<Response, ContractError> {
    ensure_from_older_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(Response::new().add_attribute("action", "migrate"))
}
