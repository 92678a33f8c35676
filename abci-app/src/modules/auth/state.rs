//! Account storage.

use cosmos_sdk_proto::cosmos::auth::v1beta1::{BaseAccount, ModuleAccount, Params};
use cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey;
use cosmos_sdk_proto::Any;
use prost::{Message, Name};

use crate::app::context::{KvRead, KvWrite};
use crate::app::error::TxError;
use crate::crypto;

pub mod keys {
    pub const ACCOUNT_PREFIX: &[u8] = b"auth/acc/";
    pub const NEXT_ACCOUNT_NUMBER: &[u8] = b"auth/num";
    pub const PARAMS: &[u8] = b"auth/params";

    pub fn account(address: &[u8]) -> Vec<u8> {
        [ACCOUNT_PREFIX, address].concat()
    }
}

/// SDK default auth parameters.
pub fn default_params() -> Params {
    Params {
        max_memo_characters: 256,
        tx_sig_limit: 7,
        tx_size_cost_per_byte: 10,
        sig_verify_cost_ed25519: 590,
        sig_verify_cost_secp256k1: 1000,
    }
}

/// An account as stored: a `BaseAccount` or a `ModuleAccount`, kept as the protobuf `Any`
/// the Account query returns.
#[derive(Debug, Clone, PartialEq)]
pub enum Account {
    Base(BaseAccount),
    Module(ModuleAccount),
}

impl Account {
    pub fn base(&self) -> &BaseAccount {
        match self {
            Account::Base(b) => b,
            Account::Module(m) => m
                .base_account
                .as_ref()
                .expect("module accounts are always stored with a base account"),
        }
    }

    pub fn base_mut(&mut self) -> &mut BaseAccount {
        match self {
            Account::Base(b) => b,
            Account::Module(m) => m.base_account.get_or_insert_with(BaseAccount::default),
        }
    }

    pub fn to_any(&self) -> Any {
        match self {
            Account::Base(b) => Any {
                type_url: BaseAccount::type_url(),
                value: b.encode_to_vec(),
            },
            Account::Module(m) => Any {
                type_url: ModuleAccount::type_url(),
                value: m.encode_to_vec(),
            },
        }
    }

    pub fn from_any(any: &Any) -> Result<Self, TxError> {
        let corrupt = |e: prost::DecodeError| TxError::TxDecode(format!("stored account: {e}"));
        if any.type_url == BaseAccount::type_url() {
            Ok(Account::Base(
                BaseAccount::decode(any.value.as_slice()).map_err(corrupt)?,
            ))
        } else if any.type_url == ModuleAccount::type_url() {
            Ok(Account::Module(
                ModuleAccount::decode(any.value.as_slice()).map_err(corrupt)?,
            ))
        } else {
            Err(TxError::TxDecode(format!(
                "stored account has type {}",
                any.type_url
            )))
        }
    }

    /// The compressed secp256k1 key stored on the account, if any.
    pub fn secp256k1_pubkey(&self) -> Option<Vec<u8>> {
        let any = self.base().pub_key.as_ref()?;
        (any.type_url == PubKey::type_url())
            .then(|| PubKey::decode(any.value.as_slice()).ok().map(|pk| pk.key))
            .flatten()
    }
}

pub fn pubkey_any(compressed: &[u8]) -> Any {
    Any {
        type_url: PubKey::type_url(),
        value: PubKey {
            key: compressed.to_vec(),
        }
        .encode_to_vec(),
    }
}

pub trait AuthRead: KvRead {
    fn account(&mut self, address: &[u8]) -> Result<Option<Account>, TxError> {
        match self.read(&keys::account(address))? {
            Some(bytes) => {
                let any = Any::decode(bytes.as_slice())
                    .map_err(|e| TxError::TxDecode(format!("stored account: {e}")))?;
                Account::from_any(&any).map(Some)
            }
            None => Ok(None),
        }
    }

    fn auth_params(&mut self) -> Result<Params, TxError> {
        match self.read(keys::PARAMS)? {
            Some(bytes) => Params::decode(bytes.as_slice())
                .map_err(|e| TxError::TxDecode(format!("stored auth params: {e}"))),
            None => Ok(default_params()),
        }
    }
}

impl<T: KvRead + ?Sized> AuthRead for T {}

pub trait AuthWrite: KvWrite + AuthRead {
    fn set_account(&mut self, account: &Account) -> Result<(), TxError> {
        let address = crypto::account_from_bech32(&account.base().address)
            .map_err(|e| TxError::InvalidAddress(e.to_string()))?;
        self.write(keys::account(&address), account.to_any().encode_to_vec())
    }

    fn next_account_number(&mut self) -> Result<u64, TxError> {
        let current = match self.read(keys::NEXT_ACCOUNT_NUMBER)? {
            Some(bytes) => u64::from_be_bytes(
                bytes
                    .as_slice()
                    .try_into()
                    .map_err(|_| TxError::TxDecode("stored account number".to_string()))?,
            ),
            None => 0,
        };
        self.write(
            keys::NEXT_ACCOUNT_NUMBER.to_vec(),
            (current + 1).to_be_bytes().to_vec(),
        )?;
        Ok(current)
    }

    /// The account at `address`, created with the next account number if it does not exist
    /// (the SDK creates accounts on first receipt of funds).
    fn ensure_account(&mut self, address: &[u8]) -> Result<Account, TxError> {
        if let Some(account) = self.account(address)? {
            return Ok(account);
        }
        let account = Account::Base(BaseAccount {
            address: crypto::account_to_bech32(address),
            pub_key: None,
            account_number: self.next_account_number()?,
            sequence: 0,
        });
        self.set_account(&account)?;
        Ok(account)
    }

    fn set_auth_params(&mut self, params: &Params) -> Result<(), TxError> {
        self.write(keys::PARAMS.to_vec(), params.encode_to_vec())
    }
}

impl<T: KvWrite + ?Sized> AuthWrite for T {}
