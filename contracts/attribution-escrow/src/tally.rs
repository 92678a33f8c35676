//! Verifier, part 2: the tally (exact result-hash quorum or stake-weighted median within a
//! tolerance), penalties for missed reveals / deviations, refunds when there is no quorum.

use std::collections::BTreeMap;

use cosmwasm_schema::cw_serde;
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

/// Stake-weighted lower median of `(value, stake)` pairs: the smallest value at which the
/// accumulated stake reaches half of `total` (0 if it never does).
fn lower_median(mut col: Vec<(u64, Uint128)>, total: Uint128) -> u64 {
    col.sort();
    let mut acc = Uint128::zero();
    for (v, s) in col {
        acc += s;
        if acc.full_mul(2u128) >= total.full_mul(1u128) {
            return v;
        }
    }
    0
}

/// Stake-weighted per-coordinate (lower) median, renormalised to Σ = 10 000 (largest-value
/// coordinate takes the rounding remainder). `None` if every median is zero.
pub fn weighted_median(vectors: &[(Vec<u64>, Uint128)], dims: usize) -> Option<Vec<u64>> {
    let total: Uint128 = vectors.iter().map(|v| v.1).sum();
    if total.is_zero() {
        return None;
    }
    let med: Vec<u64> = (0..dims)
        .map(|j| lower_median(vectors.iter().map(|(v, s)| (v[j], *s)).collect(), total))
        .collect();
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

fn contribution_key(c: &ContributionWeight) -> (u64, u32, u64) {
    (c.datanet_id, c.version, c.contribution_id)
}

/// Tolerance mode, per-row influence of the decided result: the stake-weighted lower median
/// per contribution key over the union of the keys of `reveals` (a result that does not list
/// a key counts 0 for it), keeping medians > 0 whose version has weight in the decided
/// `weights`; a version whose medians sum past 10 000 is scaled by `⌊m·10 000 / Σ⌋` (zeros
/// dropped); then the `k` largest by `version bps × bps` (ties: smaller key), sorted by key.
/// The output always passes `jobs::check_contributions` against `weights` and `k`.
pub fn median_contributions(
    reveals: &[(&AttestationResult, Uint128)],
    weights: &[DatanetWeight],
    k: usize,
) -> Vec<ContributionWeight> {
    let total: Uint128 = reveals.iter().map(|r| r.1).sum();
    if total.is_zero() {
        return vec![];
    }
    let mut cols: BTreeMap<(u64, u32, u64), Vec<(u64, Uint128)>> = BTreeMap::new();
    for (r, stake) in reveals {
        for c in &r.contributions {
            cols.entry(contribution_key(c))
                .or_default()
                .push((c.bps, *stake));
        }
    }
    let version_bps = |datanet_id: u64, version: u32| -> u64 {
        weights
            .iter()
            .find(|w| (w.datanet_id, w.version) == (datanet_id, version))
            .map(|w| w.bps)
            .unwrap_or(0)
    };
    let mut med: Vec<ContributionWeight> = vec![];
    for ((datanet_id, version, contribution_id), mut col) in cols {
        if version_bps(datanet_id, version) == 0 {
            continue;
        }
        // reveals are unique per key (checked at reveal), so the listed stake ≤ total
        let listed: Uint128 = col.iter().map(|x| x.1).sum();
        col.push((0, total.saturating_sub(listed)));
        let bps = lower_median(col, total);
        if bps > 0 {
            med.push(ContributionWeight {
                datanet_id,
                version,
                contribution_id,
                bps,
            });
        }
    }
    // keys are sorted, so each version's rows are contiguous
    let mut out: Vec<ContributionWeight> = vec![];
    for group in med.chunk_by(|a, b| (a.datanet_id, a.version) == (b.datanet_id, b.version)) {
        let sum: u64 = group.iter().map(|c| c.bps).sum();
        for c in group {
            let bps = if sum > BPS { c.bps * BPS / sum } else { c.bps };
            if bps > 0 {
                out.push(ContributionWeight { bps, ..c.clone() });
            }
        }
    }
    let rank = |c: &ContributionWeight| version_bps(c.datanet_id, c.version) * c.bps;
    out.sort_by(|a, b| {
        rank(b)
            .cmp(&rank(a))
            .then_with(|| contribution_key(a).cmp(&contribution_key(b)))
    });
    out.truncate(k);
    out.sort_by_key(contribution_key);
    out
}

/// What the tolerance-mode tally hashes as the decided result's `result_hash`.
#[cw_serde]
struct MedianResult {
    weights_bps: Vec<DatanetWeight>,
    contributions: Vec<ContributionWeight>,
}

/// Tolerance-mode decided result: `result_hash = sha256(json({weights_bps, contributions}))`.
pub fn median_result(
    weights_bps: Vec<DatanetWeight>,
    contributions: Vec<ContributionWeight>,
) -> StdResult<AttestationResult> {
    let m = MedianResult {
        weights_bps,
        contributions,
    };
    Ok(AttestationResult {
        result_hash: HexBinary::from(sha256(&cosmwasm_std::to_json_vec(&m)?).to_vec()),
        weights_bps: m.weights_bps,
        contributions: m.contributions,
    })
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
    // A quorum's verdict on the inputs (could not fetch them, or the inference they hold does
    // not check) is the decided outcome, in either mode.
    let verdicts = std::iter::once(AttestationResult::inputs_unavailable())
        .chain(Rejection::ALL.into_iter().map(AttestationResult::rejected));
    for verdict in verdicts {
        let members: Vec<&Assignment> = revealed
            .iter()
            .filter(|a| a.result.as_ref() == Some(&verdict))
            .copied()
            .collect();
        let stake: Uint128 = members.iter().map(|a| a.stake).sum();
        if reaches_quorum(stake, job.total_stake, p.quorum_num, p.quorum_den) {
            let members = members.iter().map(|a| a.attester.clone()).collect();
            decided = Some((verdict, members));
            break;
        }
    }
    if decided.is_some() {
        // decided by the verdict
    } else if job.spec.method.is_exact() {
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
        // A verdict is no measurement: it takes no part in the median and is never within
        // the band of a decided result (so it deviates from one).
        let measured: Vec<&&Assignment> = revealed
            .iter()
            .filter(|a| !a.result.as_ref().is_some_and(|r| r.is_verdict()))
            .collect();
        let dims = job.spec.datanets.len();
        let results: Vec<(&AttestationResult, Uint128)> = measured
            .iter()
            .map(|a| (a.result.as_ref().expect("revealed has result"), a.stake))
            .collect();
        let vectors: Vec<(Vec<u64>, Uint128)> = results
            .iter()
            .map(|(r, stake)| (dense(&job.spec.datanets, r), *stake))
            .collect();
        match weighted_median(&vectors, dims) {
            Some(median) => {
                // The band is measured on the Datanet weights; per-row influence is the median.
                let members: Vec<Addr> = measured
                    .iter()
                    .zip(&vectors)
                    .filter(|(_, (v, _))| l1(v, &median) <= p.tolerance_bps)
                    .map(|(a, _)| a.attester.clone())
                    .collect();
                let in_band: Uint128 = measured
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
                    let contributions = median_contributions(
                        &results,
                        &weights_bps,
                        job.max_contributions as usize,
                    );
                    decided = Some((median_result(weights_bps, contributions)?, members));
                }
            }
            None => {
                // Every median is zero: the answer owes nothing to the named Datanets if the
                // reveals saying so (empty weights) reach quorum.
                let members: Vec<Addr> = measured
                    .iter()
                    .filter(|a| a.result.as_ref().is_some_and(|r| r.weights_bps.is_empty()))
                    .map(|a| a.attester.clone())
                    .collect();
                let stake: Uint128 = measured
                    .iter()
                    .filter(|a| members.contains(&a.attester))
                    .map(|a| a.stake)
                    .sum();
                if reaches_quorum(stake, job.total_stake, p.quorum_num, p.quorum_den) {
                    decided = Some((median_result(vec![], vec![])?, members));
                }
            }
        }
    }
    // Missing a reveal is only a fault once the inputs were shown available, i.e. a real result
    // was decided: otherwise a request naming bytes nobody has would slash every attester.
    let inputs_available = decided
        .as_ref()
        .is_some_and(|(r, _)| !r.is_inputs_unavailable());

    let registry = AttesterRegistry(cfg.attester_registry.clone());
    let jail_until = env.block.time.seconds() + p.jail_seconds;
    let mut msgs: Vec<SubMsg> = vec![];
    let mut attrs = vec![];
    for a in assignments.iter_mut() {
        match a.status {
            AssignmentStatus::Assigned | AssignmentStatus::Committed => {
                a.status = AssignmentStatus::Missed;
                if !inputs_available {
                    attrs.push(Attribute::new("missed_unpenalised", a.attester.to_string()));
                    ASSIGNMENTS.save(deps.storage, (job_id, &a.attester.clone()), a)?;
                    continue;
                }
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

    let rejection = decided.as_ref().and_then(|(r, _)| r.rejection());
    let gateway = job_payment(deps.storage, job_id)?.gateway;
    match decided {
        Some((result, _)) if result.is_inputs_unavailable() => {
            // Ends now: no challenge window (nothing is paid for), nobody owes anything more.
            job.status = JobStatus::InputsUnavailable;
            job.result = Some(result);
            msgs.extend(
                refund_msgs(deps.storage, cfg, &job, job.platform_fee)?
                    .into_iter()
                    .map(SubMsg::new),
            );
            release_obligations(
                deps.storage,
                job_id,
                assignments.iter().map(|a| &a.attester),
            );
            attrs.push(Attribute::new("status", "inputs_unavailable"));
            attrs.push(Attribute::new("refund", job.fee - job.platform_fee));
            attrs.push(Attribute::new("platform_fee", job.platform_fee));
        }
        Some((result, _)) if rejection.is_some() => {
            // The inference does not check: nothing is paid for it, and no challenge window
            // (the result attributes nothing). A gateway charged the payer for it: he gets the
            // whole fee back and the gateway's bond is slashed. A payer who opened the job
            // himself declared it: he keeps paying the platform fee, as for unavailable inputs.
            let reason = rejection.map(Rejection::as_str).unwrap_or_default();
            job.status = JobStatus::Rejected;
            job.result = Some(result);
            let kept = if gateway.is_some() {
                Uint128::zero()
            } else {
                job.platform_fee
            };
            msgs.extend(
                refund_msgs(deps.storage, cfg, &job, kept)?
                    .into_iter()
                    .map(SubMsg::new),
            );
            if let Some(g) = &gateway {
                msgs.push(penalty(registry.slash_msg(
                    g,
                    p.slash_gateway_bps,
                    Some(jail_until),
                    false,
                    &format!("inference rejected by the attesters ({reason})"),
                )?));
                attrs.push(Attribute::new("gateway_slashed", g.to_string()));
            }
            release_obligations(
                deps.storage,
                job_id,
                assignments.iter().map(|a| &a.attester),
            );
            attrs.push(Attribute::new("status", "rejected"));
            attrs.push(Attribute::new("rejection", reason));
            attrs.push(Attribute::new("refund", job.fee - kept));
            attrs.push(Attribute::new("platform_fee", kept));
        }
        Some((result, _)) => {
            job.status = JobStatus::Finalized;
            job.result = Some(result.clone());
            job.challenge_deadline = Some(env.block.height + p.challenge_blocks);
            // Only the quorum answers for the result in the challenge window; the others'
            // penalties (if any) were just sent.
            release_obligations(
                deps.storage,
                job_id,
                assignments
                    .iter()
                    .filter(|a| a.status != AssignmentStatus::InQuorum)
                    .map(|a| &a.attester),
            );
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
                refund_msgs(deps.storage, cfg, &job, Uint128::zero())?
                    .into_iter()
                    .map(SubMsg::new),
            );
            release_obligations(
                deps.storage,
                job_id,
                assignments.iter().map(|a| &a.attester),
            );
            attrs.push(Attribute::new(
                "status",
                if expired { "expired" } else { "failed" },
            ));
            attrs.push(Attribute::new("refund", job.fee.to_string()));
        }
    }
    // Whatever was decided, the gateway's bond no longer answers for this job's inference.
    if let Some(g) = &gateway {
        release_obligations(deps.storage, job_id, [g]);
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

    fn cw(datanet_id: u64, contribution_id: u64, bps: u64) -> ContributionWeight {
        ContributionWeight {
            datanet_id,
            version: 1,
            contribution_id,
            bps,
        }
    }

    fn res(rows: Vec<ContributionWeight>) -> AttestationResult {
        AttestationResult {
            result_hash: HexBinary::from(vec![0; 32]),
            weights_bps: vec![],
            contributions: rows,
        }
    }

    fn dw(datanet_id: u64, bps: u64) -> DatanetWeight {
        DatanetWeight {
            datanet_id,
            version: 1,
            bps,
        }
    }

    #[test]
    fn row_medians_absent_is_zero_and_stake_weighted() {
        let a = res(vec![cw(1, 1, 6_000), cw(1, 2, 2_000)]);
        let b = res(vec![cw(1, 1, 5_000)]);
        let c = res(vec![cw(1, 2, 3_000), cw(2, 9, 10_000)]);
        let weights = [dw(1, 8_000), dw(2, 2_000)];
        // equal stakes: row 1 {0, 5 000, 6 000} → 5 000; row 2 {0, 2 000, 3 000} → 2 000;
        // row 9 {0, 0, 10 000} → 0
        let s = Uint128::new(10);
        assert_eq!(
            median_contributions(&[(&a, s), (&b, s), (&c, s)], &weights, 64),
            vec![cw(1, 1, 5_000), cw(1, 2, 2_000)]
        );
        // c alone holds most stake: its rows win, row 1 is absent there → 0
        let big = Uint128::new(100);
        assert_eq!(
            median_contributions(&[(&a, s), (&b, s), (&c, big)], &weights, 64),
            vec![cw(1, 2, 3_000), cw(2, 9, 10_000)]
        );
        // a version without decided weight keeps no rows
        assert_eq!(
            median_contributions(&[(&c, s)], &[dw(1, 10_000)], 64),
            vec![cw(1, 2, 3_000)]
        );
        assert!(median_contributions(&[], &weights, 64).is_empty());
    }

    #[test]
    fn row_medians_scale_overfull_versions_and_keep_top_k() {
        // medians 6 000 + 6 000 in one version (each attester's own rows sum ≤ 10 000):
        // scaled by ⌊m·10 000 / 12 000⌋ = 5 000 each
        let a = res(vec![cw(1, 1, 6_000), cw(1, 2, 4_000)]);
        let b = res(vec![cw(1, 1, 4_000), cw(1, 2, 6_000)]);
        let c = res(vec![cw(1, 1, 6_000), cw(1, 2, 6_000)]);
        let s = Uint128::new(1);
        let weights = [dw(1, 10_000)];
        // a: {4 000, 6 000, 6 000} → 6 000 for both rows
        let m = median_contributions(&[(&a, s), (&b, s), (&c, s)], &weights, 64);
        assert_eq!(m, vec![cw(1, 1, 5_000), cw(1, 2, 5_000)]);
        // top K by version bps × bps: D2 row (3 000 × 9 000) beats D1 rows (7 000 × 2 000 /
        // 7 000 × 1 000); a tie goes to the smaller key; output sorted by key
        let r = res(vec![
            cw(1, 1, 2_000),
            cw(1, 2, 1_000),
            cw(1, 3, 2_000),
            cw(2, 4, 9_000),
        ]);
        let weights = [dw(1, 7_000), dw(2, 3_000)];
        assert_eq!(
            median_contributions(&[(&r, s)], &weights, 2),
            vec![cw(1, 1, 2_000), cw(2, 4, 9_000)]
        );
        assert_eq!(
            median_contributions(&[(&r, s)], &weights, 3),
            vec![cw(1, 1, 2_000), cw(1, 3, 2_000), cw(2, 4, 9_000)]
        );
        assert!(median_contributions(&[(&r, s)], &weights, 0).is_empty());
        // what the tally decides is a valid result for the job's K
        let out = median_contributions(&[(&a, s), (&b, s), (&c, s), (&r, s)], &weights, 2);
        assert!(out.len() <= 2);
        assert_eq!(crate::jobs::check_contributions(2, &weights, &out), Ok(()));
    }

    #[test]
    fn median_result_hashes_weights_and_rows() {
        let r = median_result(vec![dw(1, 10_000)], vec![cw(1, 1, 5_000)]).unwrap();
        let json = br#"{"weights_bps":[{"datanet_id":1,"version":1,"bps":10000}],"contributions":[{"datanet_id":1,"version":1,"contribution_id":1,"bps":5000}]}"#;
        assert_eq!(r.result_hash, HexBinary::from(sha256(json).to_vec()));
        assert_ne!(
            r.result_hash,
            median_result(vec![dw(1, 10_000)], vec![])
                .unwrap()
                .result_hash
        );
    }
}
