//! Integer fee arithmetic. Every function floors and returns its remainder, so callers can
//! account for rounding dust explicitly: parts + dust == input, always.

use cosmwasm_std::{StdResult, Uint128};
use openledger_types::escrow::EscrowParams;
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
        }
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
    }
}
