//! Coin amounts: validated, sorted, integer arithmetic; and decimal gas prices.

use std::collections::BTreeMap;
use std::fmt;

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin;

use super::error::TxError;

/// A validated, sorted set of positive coin amounts (`sdk.Coins`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coins(BTreeMap<String, u128>);

/// `[a-zA-Z][a-zA-Z0-9/:._-]{2,127}` (the SDK's default denom regex).
pub fn validate_denom(denom: &str) -> Result<(), TxError> {
    let bytes = denom.as_bytes();
    let ok = (3..=128).contains(&bytes.len())
        && bytes[0].is_ascii_alphabetic()
        && bytes[1..]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"/:._-".contains(b));
    if ok {
        Ok(())
    } else {
        Err(TxError::InvalidCoins(format!("invalid denom: {denom}")))
    }
}

pub fn parse_amount(amount: &str) -> Result<u128, TxError> {
    if amount.is_empty() || !amount.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TxError::InvalidCoins(format!("invalid amount: {amount:?}")));
    }
    amount
        .parse::<u128>()
        .map_err(|_| TxError::InvalidCoins(format!("amount out of range: {amount}")))
}

impl Coins {
    /// Validate a wire coin list: valid denoms, positive amounts, sorted, no duplicates.
    pub fn from_proto(coins: &[Coin]) -> Result<Self, TxError> {
        let mut out = BTreeMap::new();
        let mut previous: Option<&str> = None;
        for coin in coins {
            validate_denom(&coin.denom)?;
            let amount = parse_amount(&coin.amount)?;
            if amount == 0 {
                return Err(TxError::InvalidCoins(format!("0{}", coin.denom)));
            }
            if let Some(prev) = previous {
                if prev >= coin.denom.as_str() {
                    return Err(TxError::InvalidCoins(format!(
                        "{}: coins must be sorted and unique",
                        display_proto(coins)
                    )));
                }
            }
            previous = Some(&coin.denom);
            out.insert(coin.denom.clone(), amount);
        }
        Ok(Self(out))
    }

    pub fn single(denom: &str, amount: u128) -> Self {
        let mut map = BTreeMap::new();
        if amount > 0 {
            map.insert(denom.to_string(), amount);
        }
        Self(map)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn amount_of(&self, denom: &str) -> u128 {
        self.0.get(denom).copied().unwrap_or(0)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &u128)> {
        self.0.iter()
    }

    pub fn checked_add(&self, other: &Coins) -> Result<Coins, TxError> {
        let mut out = self.0.clone();
        for (denom, amount) in &other.0 {
            let entry = out.entry(denom.clone()).or_insert(0);
            *entry = entry
                .checked_add(*amount)
                .ok_or_else(|| TxError::InvalidCoins("coin amount overflow".to_string()))?;
        }
        Ok(Coins(out))
    }

    pub fn to_proto(&self) -> Vec<Coin> {
        self.0
            .iter()
            .map(|(denom, amount)| Coin {
                denom: denom.clone(),
                amount: amount.to_string(),
            })
            .collect()
    }
}

impl fmt::Display for Coins {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|(d, a)| format!("{a}{d}")).collect();
        f.write_str(&parts.join(","))
    }
}

pub fn display_proto(coins: &[Coin]) -> String {
    coins
        .iter()
        .map(|c| format!("{}{}", c.amount, c.denom))
        .collect::<Vec<_>>()
        .join(",")
}

/// Decimal with 18 fractional digits (`sdk.Dec`), used for gas prices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Dec(u128);

const DEC_ONE: u128 = 1_000_000_000_000_000_000;

impl Dec {
    pub fn parse(text: &str) -> Result<Self, String> {
        let (int, frac) = text.split_once('.').unwrap_or((text, ""));
        if int.is_empty() && frac.is_empty()
            || !int.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
            || frac.len() > 18
        {
            return Err(format!("invalid decimal {text:?}"));
        }
        let int: u128 = if int.is_empty() {
            0
        } else {
            int.parse()
                .map_err(|_| format!("decimal out of range: {text}"))?
        };
        let mut frac_value: u128 = if frac.is_empty() {
            0
        } else {
            frac.parse()
                .map_err(|_| format!("invalid decimal {text:?}"))?
        };
        frac_value *= 10u128.pow(18 - frac.len() as u32);
        int.checked_mul(DEC_ONE)
            .and_then(|v| v.checked_add(frac_value))
            .map(Dec)
            .ok_or_else(|| format!("decimal out of range: {text}"))
    }

    /// `ceil(self × n)`, the smallest fee that pays `n` gas at this price.
    pub fn mul_ceil(self, n: u64) -> u128 {
        let product = self.0.saturating_mul(n as u128);
        product.div_ceil(DEC_ONE)
    }
}

impl fmt::Display for Dec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let int = self.0 / DEC_ONE;
        let frac = self.0 % DEC_ONE;
        write!(f, "{int}.{frac:018}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coin(denom: &str, amount: &str) -> Coin {
        Coin {
            denom: denom.into(),
            amount: amount.into(),
        }
    }

    #[test]
    fn validates_coin_lists() {
        assert!(Coins::from_proto(&[coin("uopen", "5")]).is_ok());
        assert!(Coins::from_proto(&[coin("uopen", "0")]).is_err());
        assert!(Coins::from_proto(&[coin("uopen", "-1")]).is_err());
        assert!(Coins::from_proto(&[coin("u", "1")]).is_err());
        assert!(Coins::from_proto(&[coin("zzz", "1"), coin("aaa", "1")]).is_err());
        assert!(Coins::from_proto(&[coin("aaa", "1"), coin("aaa", "1")]).is_err());
        assert!(
            Coins::from_proto(&[coin("aaa", "999999999999999999999999999999999999999999")])
                .is_err()
        );
    }

    #[test]
    fn gas_price_rounds_fees_up() {
        let price = Dec::parse("0.025").unwrap();
        assert_eq!(price.mul_ceil(200_000), 5000);
        assert_eq!(price.mul_ceil(1), 1);
        assert_eq!(price.mul_ceil(0), 0);
        assert_eq!(Dec::parse("1").unwrap().mul_ceil(7), 7);
        assert!(Dec::parse("abc").is_err());
        assert!(Dec::parse("").is_err());
        assert_eq!(
            Dec::parse("0.025").unwrap().to_string(),
            "0.025000000000000000"
        );
    }
}
