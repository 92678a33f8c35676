//! State access for handlers: gas-metered inside transactions, unmetered for genesis and
//! queries. Modules reach state only through [`KvRead`] / [`KvWrite`].

use tendermint::abci::Event;

use super::error::TxError;
use super::gas::{kv_costs, GasMeter};
use crate::store::{StateRead, StateWrite};

/// A stored key and its value.
pub type Entry = (Vec<u8>, Vec<u8>);

pub trait KvRead {
    fn read(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, TxError>;
    fn scan(
        &mut self,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Entry>, TxError>;
    /// The last entry under `prefix` whose key sorts before `before`.
    fn last_before(&mut self, prefix: &[u8], before: &[u8]) -> Result<Option<Entry>, TxError>;
}

pub trait KvWrite: KvRead {
    fn write(&mut self, key: Vec<u8>, value: Vec<u8>) -> Result<(), TxError>;
    fn remove(&mut self, key: Vec<u8>) -> Result<(), TxError>;
}

/// Handlers that share one state view (the IBC host and its port modules) hold `&mut` to it.
impl<T: KvRead + ?Sized> KvRead for &mut T {
    fn read(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, TxError> {
        (**self).read(key)
    }
    fn scan(
        &mut self,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Entry>, TxError> {
        (**self).scan(prefix, start_after, limit)
    }
    fn last_before(&mut self, prefix: &[u8], before: &[u8]) -> Result<Option<Entry>, TxError> {
        (**self).last_before(prefix, before)
    }
}

impl<T: KvWrite + ?Sized> KvWrite for &mut T {
    fn write(&mut self, key: Vec<u8>, value: Vec<u8>) -> Result<(), TxError> {
        (**self).write(key, value)
    }
    fn remove(&mut self, key: Vec<u8>) -> Result<(), TxError> {
        (**self).remove(key)
    }
}

/// [`last_before`] charged as one iterator step and the bytes it returns.
pub(crate) fn metered_last_before<S: StateRead + ?Sized>(
    gas: &mut GasMeter,
    state: &S,
    prefix: &[u8],
    before: &[u8],
) -> Result<Option<Entry>, TxError> {
    gas.consume(kv_costs::ITER_NEXT_FLAT, "IterNextFlat")?;
    let entry = last_before(state, prefix, before);
    if let Some((k, v)) = &entry {
        gas.consume(
            kv_costs::READ_PER_BYTE * (k.len() + v.len()) as u64,
            "ValuePerByte",
        )?;
    }
    Ok(entry)
}

/// The last entry under `prefix` before `before` (a reverse range read).
pub(crate) fn last_before<S: StateRead + ?Sized>(
    state: &S,
    prefix: &[u8],
    before: &[u8],
) -> Option<Entry> {
    state.first_in_range(
        std::ops::Bound::Included(prefix),
        std::ops::Bound::Excluded(before),
        true,
    )
}

/// Facts about the block being executed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockInfo {
    pub chain_id: String,
    pub height: u64,
    /// Block time (BFT time from the header), never wall-clock time.
    pub time_unix_nanos: i128,
    /// The contract runtime (`None`: wasm messages fail as not supported).
    pub wasm: Option<crate::modules::wasm::WasmHandle>,
    /// The block gas limit of the consensus params (`None`: unlimited, `max_gas: -1`).
    pub max_gas: Option<u64>,
}

/// Execution context of one transaction: the block overlay, its gas meter and its events.
pub struct TxCtx<'a, S: StateWrite> {
    pub state: &'a mut S,
    pub gas: GasMeter,
    pub block: &'a BlockInfo,
    pub events: Vec<Event>,
}

impl<'a, S: StateWrite> TxCtx<'a, S> {
    pub fn new(state: &'a mut S, gas: GasMeter, block: &'a BlockInfo) -> Self {
        Self {
            state,
            gas,
            block,
            events: Vec::new(),
        }
    }
}

impl<S: StateWrite> KvRead for TxCtx<'_, S> {
    fn read(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, TxError> {
        self.gas.consume(kv_costs::READ_FLAT, "ReadFlat")?;
        let value = self.state.get(key);
        let bytes = key.len() + value.as_ref().map_or(0, Vec::len);
        self.gas
            .consume(kv_costs::READ_PER_BYTE * bytes as u64, "ReadPerByte")?;
        Ok(value)
    }

    fn scan(
        &mut self,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Entry>, TxError> {
        let entries = self.state.scan_prefix(prefix, start_after, limit);
        for (k, v) in &entries {
            self.gas.consume(kv_costs::ITER_NEXT_FLAT, "IterNextFlat")?;
            self.gas.consume(
                kv_costs::READ_PER_BYTE * (k.len() + v.len()) as u64,
                "ValuePerByte",
            )?;
        }
        Ok(entries)
    }

    fn last_before(&mut self, prefix: &[u8], before: &[u8]) -> Result<Option<Entry>, TxError> {
        metered_last_before(&mut self.gas, &*self.state, prefix, before)
    }
}

impl<S: StateWrite> KvWrite for TxCtx<'_, S> {
    fn write(&mut self, key: Vec<u8>, value: Vec<u8>) -> Result<(), TxError> {
        self.gas.consume(kv_costs::WRITE_FLAT, "WriteFlat")?;
        self.gas.consume(
            kv_costs::WRITE_PER_BYTE * (key.len() + value.len()) as u64,
            "WritePerByte",
        )?;
        self.state.put(key, value);
        Ok(())
    }

    fn remove(&mut self, key: Vec<u8>) -> Result<(), TxError> {
        self.gas.consume(kv_costs::DELETE, "Delete")?;
        self.state.delete(key);
        Ok(())
    }
}

/// Unmetered writable access (genesis, end-of-block bookkeeping).
pub struct Unmetered<'a, S>(pub &'a mut S);

impl<S: StateRead> KvRead for Unmetered<'_, S> {
    fn read(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, TxError> {
        Ok(self.0.get(key))
    }
    fn scan(
        &mut self,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Entry>, TxError> {
        Ok(self.0.scan_prefix(prefix, start_after, limit))
    }
    fn last_before(&mut self, prefix: &[u8], before: &[u8]) -> Result<Option<Entry>, TxError> {
        Ok(last_before(&*self.0, prefix, before))
    }
}

impl<S: StateWrite> KvWrite for Unmetered<'_, S> {
    fn write(&mut self, key: Vec<u8>, value: Vec<u8>) -> Result<(), TxError> {
        self.0.put(key, value);
        Ok(())
    }
    fn remove(&mut self, key: Vec<u8>) -> Result<(), TxError> {
        self.0.delete(key);
        Ok(())
    }
}

/// Read-only unmetered access (queries).
pub struct ReadOnly<'a, S: ?Sized>(pub &'a S);

impl<S: StateRead + ?Sized> KvRead for ReadOnly<'_, S> {
    fn read(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, TxError> {
        Ok(self.0.get(key))
    }
    fn scan(
        &mut self,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Entry>, TxError> {
        Ok(self.0.scan_prefix(prefix, start_after, limit))
    }
    fn last_before(&mut self, prefix: &[u8], before: &[u8]) -> Result<Option<Entry>, TxError> {
        Ok(last_before(self.0, prefix, before))
    }
}
