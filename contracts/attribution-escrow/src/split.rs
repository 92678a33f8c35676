//! Integer fee arithmetic. Every function floors and returns its remainder, so callers can
//! account for rounding dust explicitly: parts + dust == input, always.

use cosmwasm_std::{StdResult, Uint128};
use openledger_types::escrow::{ContributionWeight, DatanetWeight, EscrowParams};
use openledger_types::BPS;

/// `Fee = (T_in·R_in + T_out·R_out) / 1000 + F_platform` (one flooring division).
pub fn quote_fee(
    input_tokens: u64,
    output_tokens: u64,
    price_in_per_1k: Uint128,
    price_out_per_1k: Uint128,
    platform_fee: Uint128,
) -> StdResult<Uint128> {
    let usage = Uint128::from(input_tokens)
        .checked_mul(price_in_per_1k)?
        .checked_add(Uint128::from(output_tokens).checked_mul(price_out_per_1k)?)?;
    Ok((usage / Uint128::new(1000)).checked_add(platform_fee)?)
}

/// β / γ / δ split of `F_net`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NetSplit {
    pub owner: Uint128,
    pub attesters: Uint128,
    pub contributors: Uint128,
    pub dust: Uint128,
}

pub fn split_net(net: Uint128, p: &EscrowParams) -> NetSplit {
    let owner = net.multiply_ratio(p.beta_bps, BPS);
    let attesters = net.multiply_ratio(p.gamma_bps, BPS);
    let contributors = net.multiply_ratio(p.delta_bps, BPS);
    // β + γ + δ = 10 000 bps ⇒ the three floors never exceed `net`.
    let dust = net - owner - attesters - contributors;
    NetSplit {
        owner,
        attesters,
        contributors,
        dust,
    }
}

/// Splits `total` pro rata to `weights` (floor each share); returns the shares and the dust.
/// All-zero weights ⇒ everything is dust.
pub fn pro_rata(total: Uint128, weights: &[Uint128]) -> (Vec<Uint128>, Uint128) {
    let sum: Uint128 = weights.iter().copied().sum();
    if sum.is_zero() {
        return (vec![Uint128::zero(); weights.len()], total);
    }
    let shares: Vec<Uint128> = weights
        .iter()
        .map(|w| total.multiply_ratio(*w, sum))
        .collect();
    let paid: Uint128 = shares.iter().copied().sum();
    (shares, total - paid)
}

/// A contributor's cumulative entitlement from a pool: `floor(pool_total × weight / total_weight)`.
pub fn entitlement(pool_total: Uint128, weight: Uint128, total_weight: Uint128) -> Uint128 {
    if total_weight.is_zero() {
        return Uint128::zero();
    }
    pool_total.multiply_ratio(weight.min(total_weight), total_weight)
}

/// Applies a reward multiplier: `(payable, forfeited)` with `payable + forfeited == amount`.
pub fn apply_multiplier(amount: Uint128, multiplier_bps: u64) -> (Uint128, Uint128) {
    let payable = amount.multiply_ratio(multiplier_bps.min(BPS), BPS);
    (payable, amount - payable)
}

/// Split of the contributors' share δ of one job; see [`split_delta`].
/// `Σ per_contribution + Σ pools + unattributed + dust == δ`, always.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeltaSplit {
    /// Aligned with the `contributions` argument: what each listed row earns (before its
    /// contributor's reward multiplier). Settlement credits it to the row's contributor, or to
    /// the treasury when the id is not an accepted row of that version.
    pub per_contribution: Vec<Uint128>,
    /// Aligned with the `weights` argument: the part of each version paid by validation score
    /// (its rows past the top K), added to the version's pool.
    pub pools: Vec<Uint128>,
    /// No row influenced the answer (empty `weights`): all of δ, for `EscrowParams::unattributed`.
    pub unattributed: Uint128,
    /// Rounding remainders, plus the remainder share of versions whose total validation weight
    /// is zero (no one to pool it for). Goes to the treasury.
    pub dust: Uint128,
}

/// Splits δ by influence. Rules (all floors):
/// - `weights` empty (no row influenced the answer) ⇒ all of δ is `unattributed`;
/// - version v gets `amt_v = ⌊δ·bps_v / 10 000⌋`; `δ − Σ amt_v` is dust;
/// - each listed contribution c of v gets `pay_c = ⌊amt_v·bps_c / 10 000⌋`;
/// - v's rows past the top K hold `remainder_bps_v = 10 000 − Σ listed bps_c of v`:
///   `pool_v = ⌊amt_v·remainder_bps_v / 10 000⌋` when `remainder_bps_v > 0` and
///   `version_has_validation_weight[v]` (the version's total validation weight is > 0),
///   otherwise that part is dust;
/// - `dust_v = amt_v − Σ pay_c − pool_v`.
///
/// Dust bound: with `n_w` versions in `weights` and `n_c` listed contributions,
/// `dust ≤ (n_w − 1) + n_c + Σ_{v unpooled} amt_v·remainder_bps_v / 10 000`, where "unpooled"
/// are versions with `remainder_bps_v > 0` but no validation weight; so when every version
/// has validation weight, `dust ≤ n_w − 1 + n_c` base units.
///
/// Inputs are validated at reveal (Σ bps_v = 10 000, each contribution names a version of
/// `weights`, Σ bps_c per version ≤ 10 000). Outside that domain the function still never
/// splits out more than δ: shares are capped by what is left, a contribution whose version
/// is not in `weights` gets nothing.
pub fn split_delta(
    delta: Uint128,
    weights: &[DatanetWeight],
    contributions: &[ContributionWeight],
    version_has_validation_weight: &[bool],
) -> DeltaSplit {
    let mut out = DeltaSplit {
        per_contribution: vec![Uint128::zero(); contributions.len()],
        pools: vec![Uint128::zero(); weights.len()],
        unattributed: Uint128::zero(),
        dust: Uint128::zero(),
    };
    if weights.is_empty() {
        out.unattributed = delta;
        return out;
    }
    let mut left = delta;
    for (i, w) in weights.iter().enumerate() {
        let amt = delta.multiply_ratio(w.bps.min(BPS), BPS).min(left);
        left -= amt;
        let key = (w.datanet_id, w.version);
        // Contributions belong to the first entry of their version (entries are unique when valid).
        let first = weights
            .iter()
            .position(|x| (x.datanet_id, x.version) == key)
            == Some(i);
        let mut rest = amt;
        let mut listed_bps = 0u64;
        if first {
            for (j, c) in contributions.iter().enumerate() {
                if (c.datanet_id, c.version) != key {
                    continue;
                }
                let pay = amt.multiply_ratio(c.bps.min(BPS), BPS).min(rest);
                rest -= pay;
                listed_bps = listed_bps.saturating_add(c.bps);
                out.per_contribution[j] = pay;
            }
        }
        let remainder_bps = BPS.saturating_sub(listed_bps);
        if remainder_bps > 0
            && version_has_validation_weight
                .get(i)
                .copied()
                .unwrap_or(false)
        {
            let pool = amt.multiply_ratio(remainder_bps, BPS).min(rest);
            rest -= pool;
            out.pools[i] = pool;
        }
        out.dust += rest;
    }
    out.dust += left;
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn params(beta: u64, gamma: u64) -> EscrowParams {
        EscrowParams {
            platform_fee: Uint128::zero(),
            beta_bps: beta,
            gamma_bps: gamma,
            delta_bps: BPS - beta - gamma,
            default_ask_count: 4,
            max_ask_count: 8,
            quorum_num: 2,
            quorum_den: 3,
            commit_blocks: 5,
            reveal_blocks: 5,
            challenge_blocks: 5,
            tolerance_bps: 100,
            slash_missed_bps: 10,
            slash_deviation_bps: 100,
            slash_equivocation_bps: 500,
            jail_seconds: 3600,
            miss_window_blocks: 100,
            max_misses_per_window: 1,
            challenge_bond: Uint128::new(1),
            max_contributions: 64,
            unattributed: Default::default(),
            challenge_resolve_blocks: 20,
            slash_gateway_bps: 1_000,
            max_job_bytes: openledger_types::escrow::DEFAULT_MAX_JOB_BYTES,
        }
    }

    fn dw(datanet_id: u64, version: u32, bps: u64) -> DatanetWeight {
        DatanetWeight {
            datanet_id,
            version,
            bps,
        }
    }

    fn cw(datanet_id: u64, version: u32, contribution_id: u64, bps: u64) -> ContributionWeight {
        ContributionWeight {
            datanet_id,
            version,
            contribution_id,
            bps,
        }
    }

    fn u(v: &[u128]) -> Vec<Uint128> {
        v.iter().map(|x| Uint128::new(*x)).collect()
    }

    #[test]
    fn fee_formula() {
        // 1500 in @ 20/1k + 500 out @ 60/1k = 30 + 30 = 60, + 5 platform
        assert_eq!(
            quote_fee(
                1500,
                500,
                Uint128::new(20),
                Uint128::new(60),
                Uint128::new(5)
            )
            .unwrap(),
            Uint128::new(65)
        );
        // one flooring: 1 token @ 999/1k + 1 @ 1/1k = 1000/1000 = 1
        assert_eq!(
            quote_fee(1, 1, Uint128::new(999), Uint128::new(1), Uint128::zero()).unwrap(),
            Uint128::new(1)
        );
        assert!(quote_fee(u64::MAX, 0, Uint128::MAX, Uint128::zero(), Uint128::zero()).is_err());
    }

    #[test]
    fn split_examples() {
        let s = split_net(Uint128::new(1001), &params(3000, 2000));
        assert_eq!(
            s,
            NetSplit {
                owner: Uint128::new(300),
                attesters: Uint128::new(200),
                contributors: Uint128::new(500),
                dust: Uint128::new(1)
            }
        );
        let (shares, dust) = pro_rata(
            Uint128::new(10),
            &[Uint128::new(1), Uint128::new(1), Uint128::new(1)],
        );
        assert_eq!((shares, dust), (vec![Uint128::new(3); 3], Uint128::new(1)));
        assert_eq!(
            pro_rata(Uint128::new(7), &[Uint128::zero()]),
            (vec![Uint128::zero()], Uint128::new(7))
        );
    }

    #[test]
    fn delta_examples() {
        let weights = [dw(1, 1, 7_000), dw(2, 1, 3_000)];
        // δ 2_501: D1 1_750 (row 3 takes 60 % = 1_050, 40 % pooled = 700), D2 750 all pooled;
        // 2_501 − 1_750 − 750 = 1 dust.
        let d = split_delta(
            Uint128::new(2_501),
            &weights,
            &[cw(1, 1, 3, 6_000)],
            &[true, true],
        );
        assert_eq!(
            d,
            DeltaSplit {
                per_contribution: u(&[1_050]),
                pools: u(&[700, 750]),
                unattributed: Uint128::zero(),
                dust: Uint128::new(1),
            }
        );
        // one row holding all of D1: no D1 pool; D2 has no validation weight: its part is dust
        let d = split_delta(
            Uint128::new(2_500),
            &weights,
            &[cw(1, 1, 3, 10_000)],
            &[true, false],
        );
        assert_eq!(
            (d.per_contribution, d.pools, d.dust),
            (u(&[1_750]), u(&[0, 0]), Uint128::new(750))
        );
        // rounding per row: amt 1_750 × 3 333 bps = 583.275 → 583 each, 1 remainder bps → pool 0
        let d = split_delta(
            Uint128::new(2_500),
            &weights,
            &[cw(1, 1, 1, 3_333), cw(1, 1, 2, 3_333), cw(1, 1, 3, 3_333)],
            &[true, true],
        );
        assert_eq!(d.per_contribution, u(&[583, 583, 583]));
        assert_eq!(d.pools, u(&[0, 750]));
        assert_eq!(d.dust, Uint128::new(1));
        // no influence at all
        let d = split_delta(Uint128::new(2_500), &[], &[], &[]);
        assert_eq!(
            (d.unattributed, d.dust, d.pools.len()),
            (Uint128::new(2_500), Uint128::zero(), 0)
        );
        // outside the validated domain nothing more than δ leaves: a row of an unnamed version
        // gets nothing, over-full versions are capped
        let d = split_delta(
            Uint128::new(100),
            &[dw(1, 1, 10_000)],
            &[
                cw(1, 1, 1, 10_000),
                cw(1, 1, 2, 10_000),
                cw(9, 1, 1, 10_000),
            ],
            &[true],
        );
        assert_eq!(d.per_contribution, u(&[100, 0, 0]));
        assert_eq!((d.pools[0], d.dust), (Uint128::zero(), Uint128::zero()));
    }

    /// Random weights over 1..=5 versions (Σ 10 000) and per-version contributions (Σ ≤ 10 000).
    fn delta_case(
    ) -> impl Strategy<Value = (Vec<DatanetWeight>, Vec<ContributionWeight>, Vec<bool>)> {
        (1usize..=5)
            .prop_flat_map(|n| {
                (
                    proptest::collection::vec(0u64..=10_000, n - 1),
                    proptest::collection::vec(proptest::collection::vec(1u64..=10_000, 0..5), n),
                    proptest::collection::vec(any::<bool>(), n),
                )
            })
            .prop_map(|(mut cuts, rows, has)| {
                cuts.sort();
                let mut weights = vec![];
                let mut prev = 0;
                for (v, cut) in cuts.iter().chain(std::iter::once(&BPS)).enumerate() {
                    weights.push(dw(v as u64 + 1, 1, cut - prev));
                    prev = *cut;
                }
                let mut contributions = vec![];
                for (v, bps) in rows.iter().enumerate() {
                    let mut sum = 0;
                    for (i, b) in bps.iter().enumerate() {
                        // keep Σ per version ≤ 10 000 by clamping into what is left
                        let b = (*b).min(BPS - sum);
                        if b == 0 {
                            break;
                        }
                        sum += b;
                        contributions.push(cw(v as u64 + 1, 1, 100 * v as u64 + i as u64, b));
                    }
                }
                (weights, contributions, has)
            })
    }

    proptest! {
        /// The β/γ/δ split never pays more than `net` and the dust is exactly the remainder.
        #[test]
        fn split_conserves(net in 0u128..u128::MAX / 10_001, beta in 0u64..=10_000, gamma_frac in 0u64..=10_000) {
            let gamma = (BPS - beta) * gamma_frac / BPS;
            let s = split_net(Uint128::new(net), &params(beta, gamma));
            prop_assert_eq!(s.owner + s.attesters + s.contributors + s.dust, Uint128::new(net));
            // flooring three terms loses < 3 units
            prop_assert!(s.dust.u128() < 3);
        }

        /// Pro-rata shares never exceed the total; dust < number of recipients (or all of it if no weight).
        #[test]
        fn pro_rata_conserves(total in 0u128..u128::MAX / (1u128 << 64), weights in proptest::collection::vec(0u64..1_000_000, 1..16)) {
            let w: Vec<Uint128> = weights.iter().map(|x| Uint128::from(*x)).collect();
            let (shares, dust) = pro_rata(Uint128::new(total), &w);
            let paid: Uint128 = shares.iter().copied().sum();
            prop_assert_eq!(paid + dust, Uint128::new(total));
            if weights.iter().any(|x| *x > 0) {
                prop_assert!(dust.u128() < weights.len() as u128);
            }
        }

        /// Contributors drawing their entitlements (in any order, across several pool top-ups)
        /// never draw more than the pool holds.
        #[test]
        fn pool_never_overdrawn(
            weights in proptest::collection::vec(0u64..10_000, 1..12),
            topups in proptest::collection::vec(0u128..1_000_000_000, 1..6),
            mults in proptest::collection::vec(0u64..=10_000, 12),
        ) {
            let total_weight: Uint128 = weights.iter().map(|x| Uint128::from(*x)).sum();
            let mut pool = Uint128::zero();
            let mut drawn = vec![Uint128::zero(); weights.len()];
            let mut paid = Uint128::zero();
            let mut forfeited = Uint128::zero();
            for t in topups {
                pool += Uint128::new(t);
                for (i, w) in weights.iter().enumerate() {
                    let e = entitlement(pool, Uint128::from(*w), total_weight);
                    let delta = e - drawn[i];
                    drawn[i] = e;
                    let (p, f) = apply_multiplier(delta, mults[i]);
                    paid += p;
                    forfeited += f;
                }
                let all: Uint128 = drawn.iter().copied().sum();
                prop_assert!(all <= pool);
                prop_assert_eq!(paid + forfeited, all);
                // what stays in the pool is rounding dust: < one unit per contributor
                if !total_weight.is_zero() {
                    prop_assert!((pool - all).u128() < weights.len() as u128);
                }
            }
        }

        /// δ by influence: parts + dust == δ; rows are paid exactly their share of their
        /// version; pools only where rows past the top K hold a remainder and the version has
        /// validation weight; dust ≤ (versions − 1) + listed rows + unpooled remainders.
        #[test]
        fn delta_split_conserves(delta in 0u128..(1u128 << 100), case in delta_case(), empty in proptest::bool::weighted(0.1)) {
            let (weights, mut contributions, has) = case;
            let (weights, contributions) = if empty {
                (vec![], vec![])
            } else {
                // a row of a version the result does not weigh (refused at reveal): paid nothing
                contributions.push(cw(99, 1, 1, 5_000));
                (weights, contributions)
            };
            let d = split_delta(Uint128::new(delta), &weights, &contributions, &has);
            let paid: Uint128 = d.per_contribution.iter().chain(&d.pools).copied().sum::<Uint128>() + d.unattributed;
            prop_assert!(paid <= Uint128::new(delta));
            prop_assert_eq!(paid + d.dust, Uint128::new(delta));
            prop_assert_eq!(d.per_contribution.len(), contributions.len());
            prop_assert_eq!(d.pools.len(), weights.len());
            if weights.is_empty() {
                prop_assert_eq!(d.unattributed, Uint128::new(delta));
                return Ok(());
            }
            prop_assert!(d.unattributed.is_zero());
            prop_assert!(d.per_contribution.last().is_some_and(|x| x.is_zero()));
            // 10 000 × dust ≤ 10 000 × (n_w − 1 + n_c) + Σ_unpooled amt_v × remainder_bps_v
            let mut bound = 10_000 * (weights.len() as u128 - 1 + contributions.len() as u128);
            for (i, w) in weights.iter().enumerate() {
                let amt = delta * w.bps as u128 / 10_000;
                let mine: Vec<(usize, &ContributionWeight)> = contributions.iter().enumerate()
                    .filter(|(_, c)| (c.datanet_id, c.version) == (w.datanet_id, w.version)).collect();
                let listed: u64 = mine.iter().map(|(_, c)| c.bps).sum();
                for (j, c) in &mine {
                    // exactly its share of its version: nothing more, nothing to unlisted rows
                    prop_assert_eq!(d.per_contribution[*j].u128(), amt * c.bps as u128 / 10_000);
                }
                let rem = 10_000 - listed;
                if rem > 0 && has[i] {
                    prop_assert_eq!(d.pools[i].u128(), amt * rem as u128 / 10_000);
                } else {
                    prop_assert!(d.pools[i].is_zero());
                    bound += amt * rem as u128;
                }
            }
            prop_assert!(10_000 * d.dust.u128() <= bound, "dust {} bound {}", d.dust, bound);
            if has.iter().all(|x| *x) {
                // every version pools its remainder: only rounding is left,
                // ≤ (versions − 1) + listed rows (the stray row excluded)
                let listed = contributions.len() - 1;
                prop_assert!(d.dust.u128() <= (weights.len() - 1 + listed) as u128);
            }
        }
    }
}
