//! Bank genesis: balances (which create accounts not listed in auth genesis) and metadata.

use cosmos_sdk_proto::cosmos::bank::v1beta1::{DenomUnit, Metadata};
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin;
use serde::{Deserialize, Serialize};

use super::state::BankWrite;
use crate::app::coins::Coins;
use crate::app::error::TxError;
use crate::crypto;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct GenesisCoin {
    pub denom: String,
    pub amount: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Balance {
    pub address: String,
    pub coins: Vec<GenesisCoin>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct GenesisDenomUnit {
    pub denom: String,
    pub exponent: u32,
    #[serde(default)]
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct GenesisMetadata {
    pub description: String,
    pub denom_units: Vec<GenesisDenomUnit>,
    pub base: String,
    pub display: String,
    pub name: String,
    pub symbol: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    #[serde(default)]
    pub balances: Vec<Balance>,
    #[serde(default)]
    pub denom_metadata: Vec<GenesisMetadata>,
}

/// OPEN's metadata: base `uopen`, display `open` with 6 decimals.
pub fn open_metadata() -> GenesisMetadata {
    GenesisMetadata {
        description: "OPEN, the native token of the OpenLedger chain".to_string(),
        denom_units: vec![
            GenesisDenomUnit {
                denom: "uopen".to_string(),
                exponent: 0,
                aliases: vec!["microopen".to_string()],
            },
            GenesisDenomUnit {
                denom: "open".to_string(),
                exponent: 6,
                aliases: vec![],
            },
        ],
        base: "uopen".to_string(),
        display: "open".to_string(),
        name: "OPEN".to_string(),
        symbol: "OPEN".to_string(),
    }
}

pub fn init_genesis<S: BankWrite>(state: &mut S, genesis: &Genesis) -> Result<(), TxError> {
    for balance in &genesis.balances {
        let address = crypto::account_from_bech32(&balance.address).map_err(|e| {
            TxError::InvalidAddress(format!("genesis balance {}: {e}", balance.address))
        })?;
        let coins: Vec<Coin> = balance
            .coins
            .iter()
            .map(|c| Coin {
                denom: c.denom.clone(),
                amount: c.amount.clone(),
            })
            .collect();
        let coins = Coins::from_proto(&coins)?;
        if coins
            .iter()
            .any(|(denom, _)| state.balance(&address, denom).map_or(true, |b| b > 0))
        {
            return Err(TxError::InvalidRequest(format!(
                "duplicate genesis balance for {}",
                balance.address
            )));
        }
        state.mint(&address, &coins)?;
    }
    for m in &genesis.denom_metadata {
        state.set_denom_metadata(&Metadata {
            description: m.description.clone(),
            denom_units: m
                .denom_units
                .iter()
                .map(|u| DenomUnit {
                    denom: u.denom.clone(),
                    exponent: u.exponent,
                    aliases: u.aliases.clone(),
                })
                .collect(),
            base: m.base.clone(),
            display: m.display.clone(),
            name: m.name.clone(),
            symbol: m.symbol.clone(),
            uri: String::new(),
            uri_hash: String::new(),
        })?;
    }
    Ok(())
}
