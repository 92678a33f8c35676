//! Balance and supply storage.

use cosmos_sdk_proto::cosmos::bank::v1beta1::Metadata;
use prost::Message;
use tendermint::abci::Event;

use super::events;
use crate::app::coins::Coins;
use crate::app::context::{KvRead, KvWrite};
use crate::app::error::TxError;
use crate::crypto;
use crate::modules::auth::AuthWrite;

pub mod keys {
    pub const BALANCE_PREFIX: &[u8] = b"bank/bal/";
    pub const SUPPLY_PREFIX: &[u8] = b"bank/supply/";
    pub const METADATA_PREFIX: &[u8] = b"bank/meta/";

    /// `bank/bal/<len(addr)><addr>`: every balance of one address.
    pub fn balances_of(address: &[u8]) -> Vec<u8> {
        let mut k = BALANCE_PREFIX.to_vec();
        k.push(address.len() as u8);
        k.extend_from_slice(address);
        k
    }

    pub fn balance(address: &[u8], denom: &str) -> Vec<u8> {
        let mut k = balances_of(address);
        k.extend_from_slice(denom.as_bytes());
        k
    }

    pub fn supply(denom: &str) -> Vec<u8> {
        [SUPPLY_PREFIX, denom.as_bytes()].concat()
    }

    pub fn metadata(denom: &str) -> Vec<u8> {
        [METADATA_PREFIX, denom.as_bytes()].concat()
    }
}

pub fn decode_amount(bytes: &[u8]) -> Result<u128, TxError> {
    bytes
        .try_into()
        .map(u128::from_be_bytes)
        .map_err(|_| TxError::TxDecode("stored amount must be 16 bytes".to_string()))
}

pub trait BankRead: KvRead {
    fn balance(&mut self, address: &[u8], denom: &str) -> Result<u128, TxError> {
        match self.read(&keys::balance(address, denom))? {
            Some(bytes) => decode_amount(&bytes),
            None => Ok(0),
        }
    }

    fn supply_of(&mut self, denom: &str) -> Result<u128, TxError> {
        match self.read(&keys::supply(denom))? {
            Some(bytes) => decode_amount(&bytes),
            None => Ok(0),
        }
    }

    fn denom_metadata(&mut self, denom: &str) -> Result<Option<Metadata>, TxError> {
        match self.read(&keys::metadata(denom))? {
            Some(bytes) => Metadata::decode(bytes.as_slice())
                .map(Some)
                .map_err(|e| TxError::TxDecode(format!("stored metadata: {e}"))),
            None => Ok(None),
        }
    }
}

impl<T: KvRead + ?Sized> BankRead for T {}

pub trait BankWrite: KvWrite + BankRead + AuthWrite {
    fn set_balance(&mut self, address: &[u8], denom: &str, amount: u128) -> Result<(), TxError> {
        let key = keys::balance(address, denom);
        if amount == 0 {
            self.remove(key)
        } else {
            self.write(key, amount.to_be_bytes().to_vec())
        }
    }

    fn set_supply(&mut self, denom: &str, amount: u128) -> Result<(), TxError> {
        let key = keys::supply(denom);
        if amount == 0 {
            self.remove(key)
        } else {
            self.write(key, amount.to_be_bytes().to_vec())
        }
    }

    fn set_denom_metadata(&mut self, metadata: &Metadata) -> Result<(), TxError> {
        self.write(keys::metadata(&metadata.base), metadata.encode_to_vec())
    }

    /// Take `coins` from `address`, failing without change when any balance is short.
    fn sub_coins(&mut self, address: &[u8], coins: &Coins) -> Result<(), TxError> {
        let mut updates = Vec::new();
        for (denom, amount) in coins.iter() {
            let have = self.balance(address, denom)?;
            let left = have.checked_sub(*amount).ok_or_else(|| {
                TxError::InsufficientFunds(format!(
                    "spendable balance {have}{denom} is smaller than {amount}{denom}"
                ))
            })?;
            updates.push((denom.clone(), left));
        }
        for (denom, left) in updates {
            self.set_balance(address, &denom, left)?;
        }
        Ok(())
    }

    fn add_coins(&mut self, address: &[u8], coins: &Coins) -> Result<(), TxError> {
        for (denom, amount) in coins.iter() {
            let have = self.balance(address, denom)?;
            let total = have
                .checked_add(*amount)
                .ok_or_else(|| TxError::InvalidCoins("balance overflow".to_string()))?;
            self.set_balance(address, denom, total)?;
        }
        Ok(())
    }

    /// Move coins between accounts, creating the recipient's account if needed.
    fn send_coins(&mut self, from: &[u8], to: &[u8], coins: &Coins) -> Result<Vec<Event>, TxError> {
        self.sub_coins(from, coins)?;
        self.ensure_account(to)?;
        self.add_coins(to, coins)?;
        let (from, to) = (
            crypto::account_to_bech32(from),
            crypto::account_to_bech32(to),
        );
        let amount = coins.to_string();
        Ok(vec![
            events::coin_spent(&from, &amount),
            events::coin_received(&to, &amount),
            events::transfer(&to, &from, &amount),
            events::message_sender(&from),
        ])
    }

    /// Destroy coins held by `address` (IBC vouchers sent home), lowering the supply.
    fn burn(&mut self, address: &[u8], coins: &Coins) -> Result<(), TxError> {
        self.sub_coins(address, coins)?;
        for (denom, amount) in coins.iter() {
            let supply = self.supply_of(denom)?.checked_sub(*amount).ok_or_else(|| {
                TxError::InvalidCoins(format!("burning {amount}{denom} exceeds its supply"))
            })?;
            self.set_supply(denom, supply)?;
        }
        Ok(())
    }

    /// Create coins at `address` (genesis and IBC vouchers), raising the supply.
    fn mint(&mut self, address: &[u8], coins: &Coins) -> Result<(), TxError> {
        self.ensure_account(address)?;
        self.add_coins(address, coins)?;
        for (denom, amount) in coins.iter() {
            let supply = self
                .supply_of(denom)?
                .checked_add(*amount)
                .ok_or_else(|| TxError::InvalidCoins("supply overflow".to_string()))?;
            self.set_supply(denom, supply)?;
        }
        Ok(())
    }
}

impl<T: KvWrite + ?Sized> BankWrite for T {}
