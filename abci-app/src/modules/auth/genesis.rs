//! Auth genesis: parameters, then the listed accounts in order (so account numbers follow the
//! genesis file, as in the SDK), then the fee collector module account.

use serde::{Deserialize, Serialize};

use cosmos_sdk_proto::cosmos::auth::v1beta1::{BaseAccount, ModuleAccount, Params};

use super::state::{default_params, Account, AuthWrite};
use super::FEE_COLLECTOR;
use crate::app::error::TxError;
use crate::crypto;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AuthParams {
    #[serde(with = "crate::app::genesis::u64_string")]
    pub max_memo_characters: u64,
    #[serde(with = "crate::app::genesis::u64_string")]
    pub tx_sig_limit: u64,
    #[serde(with = "crate::app::genesis::u64_string")]
    pub tx_size_cost_per_byte: u64,
    #[serde(with = "crate::app::genesis::u64_string")]
    pub sig_verify_cost_ed25519: u64,
    #[serde(with = "crate::app::genesis::u64_string")]
    pub sig_verify_cost_secp256k1: u64,
}

impl Default for AuthParams {
    fn default() -> Self {
        let p = default_params();
        Self {
            max_memo_characters: p.max_memo_characters,
            tx_sig_limit: p.tx_sig_limit,
            tx_size_cost_per_byte: p.tx_size_cost_per_byte,
            sig_verify_cost_ed25519: p.sig_verify_cost_ed25519,
            sig_verify_cost_secp256k1: p.sig_verify_cost_secp256k1,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    #[serde(default)]
    pub params: AuthParams,
    #[serde(default)]
    pub accounts: Vec<GenesisAccount>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct GenesisAccount {
    pub address: String,
}

pub fn init_genesis<S: AuthWrite>(state: &mut S, genesis: &Genesis) -> Result<(), TxError> {
    let p = &genesis.params;
    state.set_auth_params(&Params {
        max_memo_characters: p.max_memo_characters,
        tx_sig_limit: p.tx_sig_limit,
        tx_size_cost_per_byte: p.tx_size_cost_per_byte,
        sig_verify_cost_ed25519: p.sig_verify_cost_ed25519,
        sig_verify_cost_secp256k1: p.sig_verify_cost_secp256k1,
    })?;
    for account in &genesis.accounts {
        let address = crypto::account_from_bech32(&account.address).map_err(|e| {
            TxError::InvalidAddress(format!("genesis account {}: {e}", account.address))
        })?;
        if state.account(&address)?.is_some() {
            return Err(TxError::InvalidRequest(format!(
                "duplicate genesis account {}",
                account.address
            )));
        }
        state.ensure_account(&address)?;
    }
    let number = state.next_account_number()?;
    state.set_account(&Account::Module(ModuleAccount {
        base_account: Some(BaseAccount {
            address: crypto::account_to_bech32(&crypto::module_address(FEE_COLLECTOR)),
            pub_key: None,
            account_number: number,
            sequence: 0,
        }),
        name: FEE_COLLECTOR.to_string(),
        permissions: vec![],
    }))
}
