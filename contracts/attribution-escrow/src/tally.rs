//! Verifier, part 2: the tally (exact result-hash quorum or stake-weighted median within a
//! tolerance), penalties for missed reveals / deviations, refunds when there is no quorum.

use cosmwasm_std::{
    Addr, Attribute, DepsMut, Env, Event, HexBinary, MessageInfo, Response, StdResult, Storage,
    SubMsg, Uint128,
};
use openledger_types::attester::AttesterRegistry;
use openledger_types::escrow::*;
use openledger_types::{sha256, DatanetRef, BPS};

use crate::error::ContractError;
use crate::settle::refund_msgs;
use crate::state::*;

/// Every assigned attester has revealed (or was caught equivocating).
pub fn all_revealed(store: &dyn Storage, job_id: u64) -> StdResult<bool> {
    Ok(load_assignments(store, job_id)?.iter().all(|a| {
        matches!(
            a.status,
            AssignmentStatus::Revealed | AssignmentStatus::Equivocated
        )
    }))
}

/// `part / total ≥ num / den` in integers.
pub fn reaches_quorum(part: Uint128, total: Uint128, num: u64, den: u64) -> bool {
    !total.is_zero() && part.full_mul(den as u128) >= total.full_mul(num as u128)
}

/// Exact mode: the result with the most stake (ties → smallest digest) and its stake.
pub fn exact_winner(
    reveals: &[(AttestationResult, Uint128)],
) -> StdResult<Option<(AttestationResult, Uint128)>> {
    let mut groups: Vec<(HexBinary, AttestationResult, Uint128)> = vec![];
    for (r, s) in reveals {
        let d = r.digest()?;
        match groups.iter_mut().find(|g| g.0 == d) {
            Some(g) => g.2 += *s,
            None => groups.push((d, r.clone(), *s)),
        }
    }
    groups.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
    Ok(groups.into_iter().next().map(|(_, r, s)| (r, s)))
}

/// Dense weight vector of a result over the spec's Datanets.
pub fn dense(spec: &[DatanetRef], r: &AttestationResult) -> Vec<u64> {
    spec.iter()
        .map(|d| {
            r.weights_bps
                .iter()
                .find(|w| w.datanet_id == d.datanet_id && w.version == d.version)
                .map(|w| w.bps)
                .unwrap_or(0)
        })
        .collect()
}

/// Stake-weighted per-coordinate (lower) median, renormalised to Σ = 10 000 (largest-value
/// coordinate takes the rounding remainder). `None` if every median is zero.
pub fn weighted_median(vectors: &[(Vec<u64>, Uint128)], dims: usize) -> Option<Vec<u64>> {
    let total: Uint128 = vectors.iter().map(|v| v.1).sum();
    if total.is_zero() {
        return None;
    }
    let mut med = vec![0u64; dims];
    for (j, m) in med.iter_mut().enumerate() {
        let mut col: Vec<(u64, Uint128)> = vectors.iter().map(|(v, s)| (v[j], *s)).collect();
        col.sort();
        let mut acc = Uint128::zero();
        for (v, s) in col {
            acc += s;
            if acc.full_mul(2u128) >= total.full_mul(1u128) {
                *m = v;
                break;
            }
        }
    }
    let sum: u64 = med.iter().sum();
    if sum == 0 {
        return None;
    }
    let mut out: Vec<u64> = med.iter().map(|m| m * BPS / sum).collect();
    let rem = BPS - out.iter().sum::<u64>();
    let argmax = (0..dims).fold(0, |best, j| if med[j] > med[best] { j } else { best });
    out[argmax] += rem;
    Some(out)
}

pub fn l1(a: &[u64], b: &[u64]) -> u64 {
    a.iter().zip(b).map(|(x, y)| x.abs_diff(*y)).sum()
}

pub fn execute_tally(
    deps: DepsMut,
    env: Env,
    _info: MessageInfo,
    job_id: u64,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    let job = load_job(deps.storage, job_id)?;
    if !matches!(job.status, JobStatus::Committing | JobStatus::Revealing) {
        return Err(ContractError::WrongStatus {});
    }
    if env.block.height <= job.reveal_deadline && !all_revealed(deps.storage, job_id)? {
        return Err(ContractError::TallyTooEarly {});
    }
    let (msgs, attrs) = do_tally(deps, &env, &cfg, job_id)?;
    let ev = Event::new("attribution_tally")
        .add_attribute("job_id", job_id.to_string())
        .add_attributes(attrs.clone());
    Ok(Response::new()
        .add_event(ev)
        .add_submessages(msgs)
        .add_attribute("action", "tally")
        .add_attribute("job_id", job_id.to_string())
        .add_attributes(attrs))
}

/// Decides the job, marks assignments, emits slashes and (without quorum) the refund.
pub fn do_tally(
    deps: DepsMut,
    env: &Env,
    cfg: &Config,
    job_id: u64,
) -> Result<(Vec<SubMsg>, Vec<Attribute>), ContractError> {
    let p = &cfg.params;
    let mut job = load_job(deps.storage, job_id)?;
    let mut assignments = load_assignments(deps.storage, job_id)?;
    let revealed: Vec<&Assignment> = assignments
        .iter()
        .filter(|a| a.status == AssignmentStatus::Revealed)
        .collect();
    let revealed_stake: Uint128 = revealed.iter().map(|a| a.stake).sum();

    // in_quorum(attester) decides InQuorum vs Deviated once a result is final.
    let mut decided: Option<(AttestationResult, Vec<Addr>)> = None;
    if job.spec.method.is_exact() {
        let reveals: Vec<(AttestationResult, Uint128)> = revealed
            .iter()
            .map(|a| (a.result.clone().expect("revealed has result"), a.stake))
            .collect();
        if let Some((winner, stake)) = exact_winner(&reveals)? {
            if reaches_quorum(stake, job.total_stake, p.quorum_num, p.quorum_den) {
                let members = revealed
                    .iter()
                    .filter(|a| a.result.as_ref() == Some(&winner))
                    .map(|a| a.attester.clone())
                    .collect();
                decided = Some((winner, members));
            }
        }
    } else {
        let dims = job.spec.datanets.len();
        let vectors: Vec<(Vec<u64>, Uint128)> = revealed
            .iter()
            .map(|a| {
                (
                    dense(
                        &job.spec.datanets,
                        a.result.as_ref().expect("revealed has result"),
                    ),
                    a.stake,
                )
            })
            .collect();
        if let Some(median) = weighted_median(&vectors, dims) {
            let members: Vec<Addr> = revealed
                .iter()
                .zip(&vectors)
                .filter(|(_, (v, _))| l1(v, &median) <= p.tolerance_bps)
                .map(|(a, _)| a.attester.clone())
                .collect();
            let in_band: Uint128 = revealed
                .iter()
                .filter(|a| members.contains(&a.attester))
                .map(|a| a.stake)
                .sum();
            if reaches_quorum(in_band, job.total_stake, p.quorum_num, p.quorum_den) {
                let weights_bps = job
                    .spec
                    .datanets
                    .iter()
                    .zip(&median)
                    .filter(|(_, bps)| **bps > 0)
                    .map(|(d, bps)| DatanetWeight {
                        datanet_id: d.datanet_id,
                        version: d.version,
                        bps: *bps,
                    })
                    .collect::<Vec<_>>();
                let result_hash =
                    HexBinary::from(sha256(&cosmwasm_std::to_json_vec(&weights_bps)?).to_vec());
                decided = Some((
                    AttestationResult {
                        result_hash,
                        weights_bps,
                    },
                    members,
                ));
            }
        }
    }

    let registry = AttesterRegistry(cfg.attester_registry.clone());
    let jail_until = env.block.time.seconds() + p.jail_seconds;
    let mut msgs: Vec<SubMsg> = vec![];
    let mut attrs = vec![];
    for a in assignments.iter_mut() {
        match a.status {
            AssignmentStatus::Assigned | AssignmentStatus::Committed => {
                a.status = AssignmentStatus::Missed;
                let (start, count) = MISSES
                    .may_load(deps.storage, &a.attester)?
                    .unwrap_or((env.block.height, 0));
                let (start, count) = if env.block.height >= start + p.miss_window_blocks {
                    (env.block.height, 1)
                } else {
                    (start, count + 1)
                };
                MISSES.save(deps.storage, &a.attester, &(start, count))?;
                let jail = (count > p.max_misses_per_window).then_some(jail_until);
                msgs.push(penalty(registry.slash_msg(
                    &a.attester,
                    p.slash_missed_bps,
                    jail,
                    false,
                    "missed reveal",
                )?));
                attrs.push(Attribute::new("missed", a.attester.to_string()));
            }
            AssignmentStatus::Revealed => match &decided {
                Some((_, members)) if members.contains(&a.attester) => {
                    a.status = AssignmentStatus::InQuorum
                }
                Some(_) => {
                    a.status = AssignmentStatus::Deviated;
                    msgs.push(penalty(registry.slash_msg(
                        &a.attester,
                        p.slash_deviation_bps,
                        Some(jail_until),
                        false,
                        "deviation from quorum",
                    )?));
                    attrs.push(Attribute::new("deviated", a.attester.to_string()));
                }
                None => {}
            },
            _ => {}
        }
        ASSIGNMENTS.save(deps.storage, (job_id, &a.attester.clone()), a)?;
    }

    match decided {
        Some((result, _)) => {
            job.status = JobStatus::Finalized;
            job.result = Some(result.clone());
            job.challenge_deadline = Some(env.block.height + p.challenge_blocks);
            attrs.push(Attribute::new("status", "finalized"));
            attrs.push(Attribute::new("result_hash", result.result_hash.to_hex()));
        }
        None => {
            let expired =
                !reaches_quorum(revealed_stake, job.total_stake, p.quorum_num, p.quorum_den);
            job.status = if expired {
                JobStatus::Expired
            } else {
                JobStatus::Failed
            };
            msgs.extend(
                refund_msgs(deps.storage, cfg, &job)?
                    .into_iter()
                    .map(SubMsg::new),
            );
            attrs.push(Attribute::new(
                "status",
                if expired { "expired" } else { "failed" },
            ));
            attrs.push(Attribute::new("refund", job.fee.to_string()));
        }
    }
    jobs().save(deps.storage, job_id, &job)?;
    Ok((msgs, attrs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quorum_is_exact_two_thirds() {
        let t = Uint128::new(3);
        assert!(reaches_quorum(Uint128::new(2), t, 2, 3));
        assert!(!reaches_quorum(Uint128::new(1), t, 2, 3));
        assert!(reaches_quorum(Uint128::new(3), Uint128::new(4), 2, 3));
        assert!(!reaches_quorum(Uint128::new(0), Uint128::zero(), 2, 3));
    }

    #[test]
    fn median_and_band() {
        let v = vec![
            (vec![6000, 4000], Uint128::new(10)),
            (vec![6100, 3900], Uint128::new(10)),
            (vec![0, 10000], Uint128::new(5)),
        ];
        let m = weighted_median(&v, 2).unwrap();
        assert_eq!(m, vec![6000, 4000]);
        assert_eq!(l1(&v[1].0, &m), 200);
        // renormalisation: medians 5000 / 4000 → 5556 + 4444
        let v = vec![(vec![5000, 4000], Uint128::new(1))];
        assert_eq!(weighted_median(&v, 2).unwrap(), vec![5556, 4444]);
        assert!(weighted_median(&[(vec![0, 0], Uint128::new(1))], 2).is_none());
    }
}
