//! Escrow: refunds, the challenge window, settlement (β / γ / δ split with explicit dust) and
//! pull-based claims for owners, attesters and Datanet contributors.
//!
//! δ is paid by influence ([`split_delta`]): each (Datanet, version) gets its `weights_bps`
//! share; each row the result lists gets its `bps` of that share, credited to its contributor
//! (× the contributor's reward multiplier, the forfeited part to the treasury) and withdrawn
//! with `Claim {}`; what the listed rows leave of a version (its rows past the top K) is pooled
//! and claimed by validation score (`ClaimContributor`). A listed id that is not an accepted
//! row of its version is paid to nobody: its amount goes to the treasury. A result with no
//! influence (empty `weights_bps`) sends δ to `params.unattributed` (treasury, or credited to
//! the payer: to his inference credit when he paid from it). All rounding dust, and the
//! remainder of a version without validation weight, goes to the treasury.

use cosmwasm_std::{
    to_json_binary, Addr, CosmosMsg, DepsMut, Env, Event, MessageInfo, QuerierWrapper, Response,
    StdResult, Storage, SubMsg, Uint128, WasmMsg,
};
use cw20::Cw20ExecuteMsg;
use openledger_types::attester::AttesterRegistry;
use openledger_types::datanet::DatanetRegistry;
use openledger_types::escrow::*;

use crate::error::ContractError;
use crate::split::{apply_multiplier, entitlement, pro_rata, split_delta, split_net};
use crate::state::*;

pub fn transfer(cfg: &Config, to: &Addr, amount: Uint128) -> StdResult<CosmosMsg> {
    Ok(WasmMsg::Execute {
        contract_addr: cfg.open_token.to_string(),
        msg: to_json_binary(&Cw20ExecuteMsg::Transfer {
            recipient: to.to_string(),
            amount,
        })?,
        funds: vec![],
    }
    .into())
}

fn ledger_out(
    store: &mut dyn Storage,
    from_escrow: Uint128,
    from_credit: Uint128,
    from_pools: Uint128,
    dust: Uint128,
) -> StdResult<()> {
    LEDGER.update(store, |mut l| -> StdResult<_> {
        l.escrowed = l.escrowed.checked_sub(from_escrow)?;
        l.credited = l.credited.checked_sub(from_credit)?;
        l.pools_outstanding = l.pools_outstanding.checked_sub(from_pools)?;
        l.paid_out += from_escrow + from_credit + from_pools;
        l.dust += dust;
        Ok(l)
    })?;
    Ok(())
}

/// Pays out a job's fee as a refund: `kept` (at most the fee) to the treasury, the rest back to
/// its payer: a CW20 transfer, or for a credit-paid job his inference credit, so he can go on
/// buying answers (the API key's spend stays as it was). A failed or expired job keeps
/// nothing; one whose inputs a quorum found unavailable keeps its platform fee (the price of
/// having asked).
pub fn refund_msgs(
    store: &mut dyn Storage,
    cfg: &Config,
    job: &JobInfo,
    kept: Uint128,
) -> StdResult<Vec<CosmosMsg>> {
    let kept = kept.min(job.fee);
    let refund = job.fee - kept;
    let mut msgs = vec![];
    if !kept.is_zero() {
        msgs.push(transfer(cfg, &cfg.treasury, kept)?);
    }
    match job_payment(store, job.id)?.funding {
        Funding::Cw20 => {
            ledger_out(
                store,
                job.fee,
                Uint128::zero(),
                Uint128::zero(),
                Uint128::zero(),
            )?;
            if !refund.is_zero() {
                msgs.push(transfer(cfg, &job.payer, refund)?);
            }
        }
        Funding::Credit => {
            // Only the kept part leaves the escrow.
            ledger_out(
                store,
                kept,
                Uint128::zero(),
                Uint128::zero(),
                Uint128::zero(),
            )?;
            add_inference_credit(store, &job.payer, refund)?;
            LEDGER.update(store, |mut l| -> StdResult<_> {
                l.escrowed = l.escrowed.checked_sub(refund)?;
                l.inference_credit += refund;
                Ok(l)
            })?;
        }
    }
    Ok(msgs)
}

pub fn execute_challenge(
    deps: DepsMut,
    env: Env,
    cfg: Config,
    challenger: Addr,
    amount: Uint128,
    job_id: u64,
    reason: String,
) -> Result<Response, ContractError> {
    let mut job = load_job(deps.storage, job_id)?;
    if job.status != JobStatus::Finalized {
        return Err(ContractError::WrongStatus {});
    }
    if job.challenge_deadline.is_some_and(|d| env.block.height > d) {
        return Err(ContractError::ChallengeWindowClosed {});
    }
    if amount != cfg.params.challenge_bond {
        return Err(ContractError::WrongPayment {
            expected: cfg.params.challenge_bond,
            received: amount,
        });
    }
    job.status = JobStatus::Challenged;
    job.challenger = Some(challenger.clone());
    job.challenge_bond = amount;
    let resolve_by = env.block.height + cfg.params.challenge_resolve_blocks;
    job.challenge_resolve_deadline = Some(resolve_by);
    jobs().save(deps.storage, job_id, &job)?;
    LEDGER.update(deps.storage, |mut l| -> StdResult<_> {
        l.escrowed += amount;
        l.received += amount;
        Ok(l)
    })?;
    Ok(Response::new()
        .add_attribute("action", "challenge")
        .add_attribute("job_id", job_id.to_string())
        .add_attribute("challenger", challenger)
        .add_attribute("resolve_deadline", resolve_by.to_string())
        .add_attribute("reason", reason))
}

/// Governance as referee (after re-execution on the CPU reference, off chain).
pub fn execute_resolve_challenge(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    job_id: u64,
    upheld: bool,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    if info.sender != cfg.governance {
        return Err(ContractError::Unauthorized {});
    }
    let mut job = load_job(deps.storage, job_id)?;
    if job.status != JobStatus::Challenged {
        return Err(ContractError::WrongStatus {});
    }
    if challenge_lapsed(&job, &env) {
        return Err(ContractError::ChallengeLapsed {});
    }
    let challenger = job
        .challenger
        .clone()
        .expect("challenged job has a challenger");
    let bond = job.challenge_bond;
    let mut msgs: Vec<SubMsg> = vec![];
    if upheld {
        // The result was wrong: refund the payer, return the bond, slash the quorum.
        let registry = AttesterRegistry(cfg.attester_registry.clone());
        let jail_until = env.block.time.seconds() + cfg.params.jail_seconds;
        for mut a in load_assignments(deps.storage, job_id)? {
            if a.status == AssignmentStatus::InQuorum {
                a.status = AssignmentStatus::Deviated;
                msgs.push(penalty(registry.slash_msg(
                    &a.attester,
                    cfg.params.slash_deviation_bps,
                    Some(jail_until),
                    false,
                    "challenge upheld",
                )?));
                ASSIGNMENTS.save(deps.storage, (job_id, &a.attester.clone()), &a)?;
            }
        }
        job.status = JobStatus::Failed;
        let assigned: Vec<Addr> = load_assignments(deps.storage, job_id)?
            .into_iter()
            .map(|a| a.attester)
            .collect();
        release_obligations(deps.storage, job_id, &assigned);
        msgs.extend(
            refund_msgs(deps.storage, &cfg, &job, Uint128::zero())?
                .into_iter()
                .map(SubMsg::new),
        );
        ledger_out(
            deps.storage,
            bond,
            Uint128::zero(),
            Uint128::zero(),
            Uint128::zero(),
        )?;
        msgs.push(SubMsg::new(transfer(&cfg, &challenger, bond)?));
    } else {
        // The result stands: the bond goes to the treasury and the job may settle now.
        job.status = JobStatus::Finalized;
        job.challenge_deadline = Some(env.block.height);
        ledger_out(
            deps.storage,
            bond,
            Uint128::zero(),
            Uint128::zero(),
            Uint128::zero(),
        )?;
        if !bond.is_zero() {
            msgs.push(SubMsg::new(transfer(&cfg, &cfg.treasury, bond)?));
        }
    }
    job.challenge_bond = Uint128::zero();
    job.challenge_resolve_deadline = None;
    jobs().save(deps.storage, job_id, &job)?;
    Ok(Response::new()
        .add_submessages(msgs)
        .add_attribute("action", "resolve_challenge")
        .add_attribute("job_id", job_id.to_string())
        .add_attribute("upheld", upheld.to_string()))
}

/// Governance did not resolve the job's challenge by its deadline.
fn challenge_lapsed(job: &JobInfo, env: &Env) -> bool {
    job.challenge_resolve_deadline
        .is_some_and(|d| env.block.height > d)
}

/// Anyone, once the challenge window of a Finalized job closed: credits β, γ and δ (see the
/// module doc and [`split_delta`]) and sends the treasury its part in one transfer. A challenge
/// governance left unresolved past its deadline lapses here: the challenger gets the bond back
/// (nobody decided against him) and the result stands, unpunished.
pub fn execute_settle(
    deps: DepsMut,
    env: Env,
    _info: MessageInfo,
    job_id: u64,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    let mut job = load_job(deps.storage, job_id)?;
    let mut lapsed_msgs: Vec<CosmosMsg> = vec![];
    let mut lapsed = false;
    match job.status {
        JobStatus::Finalized => {}
        JobStatus::Challenged if challenge_lapsed(&job, &env) => {
            lapsed = true;
            let challenger = job
                .challenger
                .clone()
                .expect("challenged job has a challenger");
            let bond = job.challenge_bond;
            ledger_out(
                deps.storage,
                bond,
                Uint128::zero(),
                Uint128::zero(),
                Uint128::zero(),
            )?;
            if !bond.is_zero() {
                lapsed_msgs.push(transfer(&cfg, &challenger, bond)?);
            }
            job.challenge_bond = Uint128::zero();
            job.challenge_resolve_deadline = None;
            job.status = JobStatus::Finalized;
        }
        _ => return Err(ContractError::WrongStatus {}),
    }
    if job
        .challenge_deadline
        .is_some_and(|d| env.block.height <= d)
    {
        return Err(ContractError::ChallengeWindowOpen {});
    }
    let result = job.result.clone().expect("finalized job has a result");
    let net = job.fee - job.platform_fee;
    let s = split_net(net, &cfg.params);

    // β: model owner.
    credit(deps.storage, &job.model_owner, s.owner)?;
    // γ: in-quorum attesters by assigned stake.
    let quorum: Vec<Assignment> = load_assignments(deps.storage, job_id)?
        .into_iter()
        .filter(|a| a.status == AssignmentStatus::InQuorum)
        .collect();
    let (shares, gamma_dust) = pro_rata(
        s.attesters,
        &quorum.iter().map(|a| a.stake).collect::<Vec<_>>(),
    );
    let mut credited = s.owner;
    for (a, share) in quorum.iter().zip(&shares) {
        credit(deps.storage, &a.attester, *share)?;
        credited += *share;
    }
    // δ by influence (`split::split_delta`): listed rows credited, the rest of each version
    // pooled by validation score, no influence at all → `params.unattributed`.
    let registry = DatanetRegistry(cfg.datanet_registry.clone());
    let mut has_weight = vec![];
    for w in &result.weights_bps {
        let v = registry.version(&deps.querier, w.datanet_id, w.version)?;
        has_weight.push(!v.total_weight.is_zero());
    }
    let d = split_delta(
        s.contributors,
        &result.weights_bps,
        &result.contributions,
        &has_weight,
    );
    let mut pooled = Uint128::zero();
    for (w, amt) in result.weights_bps.iter().zip(&d.pools) {
        if amt.is_zero() {
            continue;
        }
        POOLS.update(
            deps.storage,
            (w.datanet_id, w.version),
            |p| -> StdResult<_> {
                let mut p = p.unwrap_or_default();
                p.total += *amt;
                Ok(p)
            },
        )?;
        pooled += *amt;
    }
    let rows = pay_contributions(
        deps.storage,
        &deps.querier,
        &registry,
        &result.contributions,
        &d.per_contribution,
    )?;
    credited += rows.credited;
    let (unattributed_to_payer, unattributed_to_treasury) = match cfg.params.unattributed {
        Unattributed::Payer => (d.unattributed, Uint128::zero()),
        Unattributed::Treasury => (Uint128::zero(), d.unattributed),
    };
    // Back where the payer paid from: his claimable balance, or his inference credit.
    let unattributed_to_credit = match job_payment(deps.storage, job.id)?.funding {
        Funding::Cw20 => {
            credit(deps.storage, &job.payer, unattributed_to_payer)?;
            credited += unattributed_to_payer;
            Uint128::zero()
        }
        Funding::Credit => {
            add_inference_credit(deps.storage, &job.payer, unattributed_to_payer)?;
            unattributed_to_payer
        }
    };

    let dust = s.dust + gamma_dust + d.dust;
    let to_treasury =
        job.platform_fee + dust + rows.forfeited + rows.unpayable + unattributed_to_treasury;
    // Every token of the fee lands in exactly one place; never pay out more than was escrowed.
    if credited + pooled + to_treasury + unattributed_to_credit != job.fee {
        return Err(ContractError::invalid(format!(
            "settlement does not balance: {credited} + {pooled} + {to_treasury} + \
             {unattributed_to_credit} != {}",
            job.fee
        )));
    }

    LEDGER.update(deps.storage, |mut l| -> StdResult<_> {
        l.escrowed = l.escrowed.checked_sub(job.fee)?;
        l.credited += credited;
        l.inference_credit += unattributed_to_credit;
        l.pools_outstanding += pooled;
        l.paid_out += to_treasury;
        l.dust += dust;
        Ok(l)
    })?;
    job.status = JobStatus::Settled;
    jobs().save(deps.storage, job_id, &job)?;
    // Nothing can be held against the quorum any more.
    release_obligations(deps.storage, job_id, quorum.iter().map(|a| &a.attester));
    let mut res = Response::new().add_messages(lapsed_msgs);
    if lapsed {
        res = res.add_attribute("challenge_lapsed", "bond_refunded");
    }
    if !to_treasury.is_zero() {
        res = res.add_message(transfer(&cfg, &cfg.treasury, to_treasury)?);
    }
    let contributor_share = pooled + rows.credited;
    let unattributed_to = match cfg.params.unattributed {
        Unattributed::Payer => "payer",
        Unattributed::Treasury => "treasury",
    };
    let ev = Event::new("attribution_settlement")
        .add_attribute("job_id", job_id.to_string())
        .add_attribute("model_owner", job.model_owner.to_string())
        .add_attribute("model_owner_share", s.owner)
        .add_attribute("attester_share", s.attesters - gamma_dust)
        .add_attribute(
            "attesters",
            quorum
                .iter()
                .map(|a| a.attester.to_string())
                .collect::<Vec<_>>()
                .join(","),
        )
        .add_attribute("contributor_share", contributor_share)
        .add_attribute(
            "weights_bps",
            result
                .weights_bps
                .iter()
                .map(|w| format!("{}:{}:{}", w.datanet_id, w.version, w.bps))
                .collect::<Vec<_>>()
                .join(","),
        )
        .add_attribute("pooled", pooled)
        .add_attribute("contributions", rows.paid.join(","))
        .add_attribute("contributions_unpayable", rows.unpaid.join(","))
        .add_attribute("contributions_forfeited", rows.forfeited)
        .add_attribute("unattributed", d.unattributed)
        .add_attribute("unattributed_to", unattributed_to)
        .add_attribute("platform_fee", job.platform_fee)
        .add_attribute("dust", dust);
    Ok(res
        .add_event(ev)
        .add_attribute("action", "settle")
        .add_attribute("job_id", job_id.to_string())
        .add_attribute("model_owner_share", s.owner)
        .add_attribute("attester_share", s.attesters - gamma_dust)
        .add_attribute("contributor_share", contributor_share)
        .add_attribute("unattributed", d.unattributed)
        .add_attribute("platform_fee", job.platform_fee)
        .add_attribute("dust", dust))
}

/// What paying the listed rows of a result did.
#[derive(Default)]
struct RowPayments {
    /// Σ credited to contributors' balances (after their multipliers).
    credited: Uint128,
    /// Σ forfeited by penalty multipliers (→ treasury).
    forfeited: Uint128,
    /// Σ of rows that are not accepted rows of their version (→ treasury).
    unpayable: Uint128,
    /// `datanet:version:contribution:contributor:amount` of each credited row.
    paid: Vec<String>,
    /// `datanet:version:contribution:amount` of each unpayable row.
    unpaid: Vec<String>,
}

/// Credits each listed row's amount to its contributor (× reward multiplier; the forfeited
/// part goes to the treasury), resolved with one `ContributionPayees` query per version. An id
/// that is not an accepted row of that version is paid to nobody: its amount goes to the
/// treasury.
fn pay_contributions(
    store: &mut dyn Storage,
    querier: &QuerierWrapper,
    registry: &DatanetRegistry,
    contributions: &[ContributionWeight],
    amounts: &[Uint128],
) -> StdResult<RowPayments> {
    let mut out = RowPayments::default();
    let mut start = 0;
    for group in
        contributions.chunk_by(|a, b| (a.datanet_id, a.version) == (b.datanet_id, b.version))
    {
        let amts = &amounts[start..start + group.len()];
        start += group.len();
        if amts.iter().all(|a| a.is_zero()) {
            continue;
        }
        let (datanet_id, version) = (group[0].datanet_id, group[0].version);
        let payees = registry.contribution_payees(
            querier,
            datanet_id,
            version,
            group.iter().map(|c| c.contribution_id).collect(),
        )?;
        for (i, (c, amt)) in group.iter().zip(amts).enumerate() {
            if amt.is_zero() {
                continue;
            }
            let id = c.contribution_id;
            let payee = payees
                .get(i)
                .filter(|p| p.contribution_id == id)
                .and_then(|p| p.contributor.clone().map(|a| (a, p.reward_multiplier_bps)));
            let Some((who, multiplier)) = payee else {
                out.unpayable += *amt;
                out.unpaid
                    .push(format!("{datanet_id}:{version}:{id}:{amt}"));
                continue;
            };
            let (payable, forfeited) = apply_multiplier(*amt, multiplier);
            credit(store, &who, payable)?;
            out.credited += payable;
            out.forfeited += forfeited;
            out.paid
                .push(format!("{datanet_id}:{version}:{id}:{who}:{payable}"));
            EARNINGS.update(store, id, |e| -> StdResult<_> {
                let mut e = e.unwrap_or(ContributionEarningsResponse {
                    contribution_id: id,
                    ..Default::default()
                });
                e.contributor = Some(who.clone());
                e.earned += payable;
                e.forfeited += forfeited;
                e.jobs += 1;
                Ok(e)
            })?;
        }
    }
    Ok(out)
}

pub fn execute_claim(deps: DepsMut, info: MessageInfo) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    let amount = BALANCES
        .may_load(deps.storage, &info.sender)?
        .unwrap_or_default();
    if amount.is_zero() {
        return Err(ContractError::NothingToClaim {});
    }
    BALANCES.remove(deps.storage, &info.sender);
    ledger_out(
        deps.storage,
        Uint128::zero(),
        amount,
        Uint128::zero(),
        Uint128::zero(),
    )?;
    Ok(Response::new()
        .add_message(transfer(&cfg, &info.sender, amount)?)
        .add_attribute("action", "claim")
        .add_attribute("recipient", info.sender)
        .add_attribute("amount", amount))
}

pub fn execute_claim_contributor(
    deps: DepsMut,
    info: MessageInfo,
    datanet_id: u64,
    version: u32,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    let key = (datanet_id, version);
    let mut pool = POOLS
        .may_load(deps.storage, key)?
        .ok_or(ContractError::NothingToClaim {})?;
    let share = DatanetRegistry(cfg.datanet_registry.clone()).contributor_share(
        &deps.querier,
        datanet_id,
        version,
        &info.sender,
    )?;
    let entitled = entitlement(pool.total, share.weight, share.total_weight);
    let drawn = DRAWN
        .may_load(deps.storage, (datanet_id, version, &info.sender))?
        .unwrap_or_default();
    let delta = entitled.saturating_sub(drawn);
    if delta.is_zero() {
        return Err(ContractError::NothingToClaim {});
    }
    let (payable, forfeited) = apply_multiplier(delta, share.reward_multiplier_bps);
    DRAWN.save(
        deps.storage,
        (datanet_id, version, &info.sender),
        &(drawn + delta),
    )?;
    pool.drawn += delta;
    POOLS.save(deps.storage, key, &pool)?;
    ledger_out(
        deps.storage,
        Uint128::zero(),
        Uint128::zero(),
        delta,
        Uint128::zero(),
    )?;
    let mut res = Response::new();
    if !payable.is_zero() {
        res = res.add_message(transfer(&cfg, &info.sender, payable)?);
    }
    if !forfeited.is_zero() {
        res = res.add_message(transfer(&cfg, &cfg.treasury, forfeited)?);
    }
    Ok(res
        .add_attribute("action", "claim_contributor")
        .add_attribute("datanet_id", datanet_id.to_string())
        .add_attribute("version", version.to_string())
        .add_attribute("contributor", info.sender)
        .add_attribute("amount", payable)
        .add_attribute("forfeited", forfeited))
}
