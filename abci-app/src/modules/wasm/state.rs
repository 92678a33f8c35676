//! `x/wasm` state: wasmd's `types/keys.go` prefixes under `wasm/` in the main tree
//! (wasmd's `x/wasm/types/keys.go` prefixes), protobuf values as wasmd stores them.
//!
//! Positions (`AbsoluteTxPosition`) are `BE64(height) ‖ BE64(tx_index)` in index keys, so
//! index order is creation order.

use cosmos_sdk_proto::cosmwasm::wasm::v1::{
    AbsoluteTxPosition, CodeInfo, ContractCodeHistoryEntry, ContractInfo,
};
use prost::Message;

use crate::app::context::{KvRead, KvWrite};
use crate::app::error::TxError;

pub mod keys {
    pub const PREFIX: &[u8] = b"wasm/";
    pub const CODE: u8 = 0x01;
    pub const CONTRACT: u8 = 0x02;
    pub const CONTRACT_STORE: u8 = 0x03;
    pub const SEQUENCE: u8 = 0x04;
    pub const HISTORY: u8 = 0x05;
    pub const BY_CODE: u8 = 0x06;
    pub const BY_CREATOR: u8 = 0x09;
    /// Packets a contract received without acknowledging (ours; wasmd keeps them too).
    pub const ASYNC_ACK: u8 = 0x0a;

    pub fn with(prefix: u8, parts: &[&[u8]]) -> Vec<u8> {
        let mut k = PREFIX.to_vec();
        k.push(prefix);
        for p in parts {
            k.extend_from_slice(p);
        }
        k
    }

    pub fn codes() -> Vec<u8> {
        with(CODE, &[])
    }
    pub fn code(code_id: u64) -> Vec<u8> {
        with(CODE, &[&code_id.to_be_bytes()])
    }
    pub fn contract(addr: &[u8]) -> Vec<u8> {
        with(CONTRACT, &[addr])
    }
    /// Contract KV: `wasm/0x03 ‖ addr ‖ key` (contract addresses are always 32 bytes).
    pub fn contract_store(addr: &[u8]) -> Vec<u8> {
        with(CONTRACT_STORE, &[addr])
    }
    pub fn sequence(name: &str) -> Vec<u8> {
        with(SEQUENCE, &[name.as_bytes()])
    }
    pub fn history(addr: &[u8]) -> Vec<u8> {
        with(HISTORY, &[addr])
    }
    pub fn by_code(code_id: u64) -> Vec<u8> {
        with(BY_CODE, &[&code_id.to_be_bytes()])
    }
    pub fn by_creator(creator: &[u8]) -> Vec<u8> {
        with(BY_CREATOR, &[&[creator.len() as u8], creator])
    }
    /// `wasm/0x0a ‖ len ‖ port ‖ len ‖ channel ‖ BE64(sequence)`.
    pub fn async_ack(port: &str, channel: &str, sequence: u64) -> Vec<u8> {
        with(
            ASYNC_ACK,
            &[
                &[port.len() as u8],
                port.as_bytes(),
                &[channel.len() as u8],
                channel.as_bytes(),
                &sequence.to_be_bytes(),
            ],
        )
    }
    pub fn position(height: u64, tx_index: u64) -> [u8; 16] {
        let mut p = [0u8; 16];
        p[..8].copy_from_slice(&height.to_be_bytes());
        p[8..].copy_from_slice(&tx_index.to_be_bytes());
        p
    }
}

pub const SEQ_CODE_ID: &str = "lastCodeId";
pub const SEQ_CONTRACT_ID: &str = "lastContractId";

fn corrupt(what: &str, e: impl std::fmt::Display) -> TxError {
    TxError::TxDecode(format!("stored {what}: {e}"))
}

pub fn decode<M: Message + Default>(what: &str, bytes: &[u8]) -> Result<M, TxError> {
    M::decode(bytes).map_err(|e| corrupt(what, e))
}

pub trait WasmRead: KvRead {
    fn code_info(&mut self, code_id: u64) -> Result<Option<CodeInfo>, TxError> {
        self.read(&keys::code(code_id))?
            .map(|b| decode("code info", &b))
            .transpose()
    }

    fn contract_info(&mut self, addr: &[u8]) -> Result<Option<ContractInfo>, TxError> {
        self.read(&keys::contract(addr))?
            .map(|b| decode("contract info", &b))
            .transpose()
    }

    fn history(&mut self, addr: &[u8]) -> Result<Vec<ContractCodeHistoryEntry>, TxError> {
        self.scan(&keys::history(addr), None, usize::MAX)?
            .into_iter()
            .map(|(_, v)| decode("history entry", &v))
            .collect()
    }
}

impl<T: KvRead + ?Sized> WasmRead for T {}

pub trait WasmWrite: KvWrite + WasmRead {
    /// The next id of a sequence (the first is 1), stored as the last id handed out.
    fn next_id(&mut self, name: &str) -> Result<u64, TxError> {
        let key = keys::sequence(name);
        let last = match self.read(&key)? {
            Some(b) => u64::from_be_bytes(
                b.as_slice()
                    .try_into()
                    .map_err(|_| corrupt("sequence", "not 8 bytes"))?,
            ),
            None => 0,
        };
        let next = last + 1;
        self.write(key, next.to_be_bytes().to_vec())?;
        Ok(next)
    }

    fn set_code_info(&mut self, code_id: u64, info: &CodeInfo) -> Result<(), TxError> {
        self.write(keys::code(code_id), info.encode_to_vec())
    }

    fn set_contract_info(&mut self, addr: &[u8], info: &ContractInfo) -> Result<(), TxError> {
        self.write(keys::contract(addr), info.encode_to_vec())
    }

    fn append_history(
        &mut self,
        addr: &[u8],
        entry: &ContractCodeHistoryEntry,
    ) -> Result<(), TxError> {
        let n = self.scan(&keys::history(addr), None, usize::MAX)?.len() as u64;
        let mut key = keys::history(addr);
        key.extend_from_slice(&n.to_be_bytes());
        self.write(key, entry.encode_to_vec())
    }

    fn index_by_code(
        &mut self,
        code_id: u64,
        created: &AbsoluteTxPosition,
        addr: &[u8],
        add: bool,
    ) -> Result<(), TxError> {
        let mut key = keys::by_code(code_id);
        key.extend_from_slice(&keys::position(created.block_height, created.tx_index));
        key.extend_from_slice(addr);
        if add {
            self.write(key, vec![1])
        } else {
            self.remove(key)
        }
    }

    fn index_by_creator(
        &mut self,
        creator: &[u8],
        created: &AbsoluteTxPosition,
        addr: &[u8],
    ) -> Result<(), TxError> {
        let mut key = keys::by_creator(creator);
        key.extend_from_slice(&keys::position(created.block_height, created.tx_index));
        key.extend_from_slice(addr);
        self.write(key, Vec::new())
    }
}

impl<T: KvWrite + ?Sized> WasmWrite for T {}
