//! The `app_state` of the genesis file.

use serde::{Deserialize, Serialize};

use super::ante::{self, FeeParams};
use super::context::Unmetered;
use super::error::TxError;
use crate::modules::{auth, bank};
use crate::store::StateWrite;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AppState {
    #[serde(default)]
    pub auth: auth::genesis::Genesis,
    #[serde(default)]
    pub bank: bank::genesis::Genesis,
    #[serde(default)]
    pub fees: FeeParams,
}

impl AppState {
    /// A new chain's state: OPEN metadata and default parameters, no accounts.
    pub fn new_chain() -> Self {
        Self {
            bank: bank::genesis::Genesis {
                balances: vec![],
                denom_metadata: vec![bank::genesis::open_metadata()],
            },
            ..Self::default()
        }
    }

    pub fn from_json(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self::default());
        }
        serde_json::from_slice(bytes)
    }

    /// Write genesis state. Module order is consensus: fees, auth, bank.
    pub fn init<S: StateWrite>(&self, chain_id: &str, state: &mut S) -> Result<(), TxError> {
        let mut kv = Unmetered(state);
        use super::context::KvWrite;
        kv.write(ante::CHAIN_ID_KEY.to_vec(), chain_id.as_bytes().to_vec())?;
        ante::set_fee_params(&mut kv, &self.fees)?;
        auth::genesis::init_genesis(&mut kv, &self.auth)?;
        bank::genesis::init_genesis(&mut kv, &self.bank)?;
        Ok(())
    }
}

/// Serde for u64 as a JSON string, as the SDK writes integers in genesis.
pub mod u64_string {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&value.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Num {
            Text(String),
            Int(u64),
        }
        match Num::deserialize(d)? {
            Num::Text(t) => t.parse().map_err(D::Error::custom),
            Num::Int(i) => Ok(i),
        }
    }
}
