//! The IBC host: ibc-rs's `ValidationContext` / `ExecutionContext` and the 07-tendermint client
//! contexts over the chain's state.
//!
//! ICS-24 paths live in the `ibc` substore (application keys `ibc/<path>`) with ibc-go's
//! encodings (client and consensus states as `Any`, ends as their protobufs, sequences as
//! big-endian u64, receipts as `0x01`), so the proofs Hermes reads from `store/ibc/key` cover
//! exactly what a counterparty verifies. The host's own consensus states (what counterparties
//! store of this chain) sit in the main tree under [`HOST_CONSENSUS_PREFIX`].
//!
//! ibc-rs reads through `&self`; the state view is shared (`Rc<RefCell<_>>`) with the port
//! modules, which the core handlers call while holding the context. A state error behind a
//! `HostError` (out of gas) is remembered and reported instead of the IBC error it caused.

use std::cell::RefCell;
use std::fmt::Display;
use std::rc::Rc;
use std::sync::OnceLock;
use std::time::Duration;

use ibc::clients::tendermint::client_state::ClientState as TmClientState;
use ibc::clients::tendermint::consensus_state::ConsensusState as TmConsensusState;
use ibc::clients::tendermint::types::ConsensusState as TmConsensusStateType;
use ibc::core::channel::types::channel::ChannelEnd;
use ibc::core::channel::types::commitment::{AcknowledgementCommitment, PacketCommitment};
use ibc::core::channel::types::packet::Receipt;
use ibc::core::client::context::{
    ClientExecutionContext, ClientValidationContext, ExtClientValidationContext,
};
use ibc::core::client::types::Height;
use ibc::core::commitment_types::commitment::{CommitmentPrefix, CommitmentRoot};
use ibc::core::commitment_types::specs::ProofSpecs;
use ibc::core::connection::types::ConnectionEnd;
use ibc::core::handler::types::events::IbcEvent;
use ibc::core::host::types::error::HostError;
use ibc::core::host::types::identifiers::{ChainId, ClientId, ConnectionId, Sequence};
use ibc::core::host::types::path::{
    AckPath, ChannelEndPath, ClientConnectionPath, ClientConsensusStatePath, ClientStatePath,
    ClientUpdateHeightPath, ClientUpdateTimePath, CommitmentPath, ConnectionPath, ReceiptPath,
    SeqAckPath, SeqRecvPath, SeqSendPath, NEXT_CHANNEL_SEQUENCE, NEXT_CLIENT_SEQUENCE,
    NEXT_CONNECTION_SEQUENCE,
};
use ibc::core::host::{ExecutionContext, ValidationContext};
use ibc::cosmos_host::ValidateSelfClientContext;
use ibc::primitives::proto::{Any, Protobuf};
use ibc::primitives::{Signer, Timestamp};
use ibc_proto::ibc::core::connection::v1::ClientPaths;
use ibc_proto::ibc::lightclients::tendermint::v1::ConsensusState as RawTmConsensusState;
use prost::Message;

use crate::app::context::{Entry, KvRead, KvWrite};
use crate::app::error::TxError;
use crate::crypto;
use crate::modules::staking;
use crate::store::IBC_PREFIX;

/// Main-tree prefix of this chain's own consensus states, by big-endian height.
pub const HOST_CONSENSUS_PREFIX: &[u8] = b"ibchost/cs/";
/// How many of its own consensus states the host keeps (counterparties prove against recent
/// ones during connection handshakes); also reported as staking `historical_entries`.
pub const HOST_HISTORY: u64 = 10_000;
/// The upgrade path Hermes writes into the client states of this chain.
pub const UPGRADE_PATH: [&str; 2] = ["upgrade", "upgradedIBCState"];
/// ibc-go's default `max_expected_time_per_block`.
pub const MAX_EXPECTED_TIME_PER_BLOCK: Duration = Duration::from_secs(30);
const ITERATE_CONSENSUS_STATES: &str = "iterateConsensusStates";

/// The state view shared by the IBC host and its port modules.
pub type Shared<K> = Rc<RefCell<K>>;

/// The host block the context runs in.
#[derive(Debug, Clone)]
pub struct HostBlock {
    pub chain_id: ChainId,
    pub height: u64,
    pub time: Timestamp,
}

impl HostBlock {
    pub fn new(chain_id: &str, height: u64, time_unix_nanos: i128) -> Result<Self, TxError> {
        let chain_id = ChainId::new(chain_id)
            .map_err(|e| TxError::InvalidRequest(format!("chain id {chain_id:?}: {e}")))?;
        let nanos = u64::try_from(time_unix_nanos)
            .map_err(|_| TxError::InvalidRequest("block time before 1970".to_string()))?;
        let time = Timestamp::from_nanoseconds(nanos);
        Ok(Self {
            chain_id,
            height,
            time,
        })
    }

    pub fn ibc_height(&self) -> Result<Height, HostError> {
        Height::new(self.chain_id.revision_number(), self.height)
            .map_err(|e| HostError::invalid_state(e.to_string()))
    }
}

/// The first state error hidden behind a `HostError`, shared by the host and its modules.
#[derive(Debug, Clone, Default)]
pub struct StateFault(Rc<RefCell<Option<TxError>>>);

impl StateFault {
    pub fn record(&self, e: TxError) -> HostError {
        let message = e.to_string();
        self.0.borrow_mut().get_or_insert(e);
        HostError::failed_to_retrieve(message)
    }

    pub fn take(&self) -> Option<TxError> {
        self.0.borrow_mut().take()
    }
}

/// Typed access to the `ibc` substore through a shared, gas-metered view.
pub struct IbcStore<K> {
    pub state: Shared<K>,
    pub fault: StateFault,
}

impl<K> Clone for IbcStore<K> {
    fn clone(&self) -> Self {
        Self {
            state: self.state.clone(),
            fault: self.fault.clone(),
        }
    }
}

fn ibc_key(path: &impl Display) -> Vec<u8> {
    [IBC_PREFIX, path.to_string().as_bytes()].concat()
}

fn decode_u64(bytes: &[u8], what: &str) -> Result<u64, HostError> {
    bytes
        .try_into()
        .map(u64::from_be_bytes)
        .map_err(|_| HostError::invalid_state(format!("stored {what} is not 8 bytes")))
}

impl<K: KvRead> IbcStore<K> {
    pub fn new(state: K) -> Self {
        Self {
            state: Rc::new(RefCell::new(state)),
            fault: StateFault::default(),
        }
    }

    pub fn read_key(&self, key: &[u8]) -> Result<Option<Vec<u8>>, HostError> {
        self.state
            .borrow_mut()
            .read(key)
            .map_err(|e| self.fault.record(e))
    }

    pub fn read(&self, path: &impl Display) -> Result<Option<Vec<u8>>, HostError> {
        self.read_key(&ibc_key(path))
    }

    fn required(&self, path: &impl Display) -> Result<Vec<u8>, HostError> {
        self.read(path)?
            .ok_or_else(|| HostError::missing_state(format!("{path} not found")))
    }

    fn proto<T, R>(&self, path: &impl Display) -> Result<T, HostError>
    where
        T: Protobuf<R>,
        R: Message + Default + From<T>,
        <T as TryFrom<R>>::Error: Display,
    {
        let bytes = self.required(path)?;
        T::decode_vec(&bytes).map_err(|e| HostError::invalid_state(format!("stored {path}: {e}")))
    }

    fn sequence(&self, path: &impl Display) -> Result<Sequence, HostError> {
        let bytes = self.required(path)?;
        decode_u64(&bytes, "sequence").map(Sequence::from)
    }

    fn counter(&self, key: &str) -> Result<u64, HostError> {
        match self.read(&key)? {
            Some(bytes) => decode_u64(&bytes, key),
            None => Ok(0),
        }
    }

    fn scan(
        &self,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Entry>, HostError> {
        self.state
            .borrow_mut()
            .scan(prefix, start_after, limit)
            .map_err(|e| self.fault.record(e))
    }

    fn last_before(&self, prefix: &[u8], before: &[u8]) -> Result<Option<Entry>, HostError> {
        self.state
            .borrow_mut()
            .last_before(prefix, before)
            .map_err(|e| self.fault.record(e))
    }
}

impl<K: KvWrite> IbcStore<K> {
    fn write_key(&self, key: Vec<u8>, value: Vec<u8>) -> Result<(), HostError> {
        self.state
            .borrow_mut()
            .write(key, value)
            .map_err(|e| self.fault.record(e))
    }

    pub fn write(&self, path: &impl Display, value: Vec<u8>) -> Result<(), HostError> {
        self.write_key(ibc_key(path), value)
    }

    fn remove(&self, path: &impl Display) -> Result<(), HostError> {
        self.state
            .borrow_mut()
            .remove(ibc_key(path))
            .map_err(|e| self.fault.record(e))
    }

    fn increment(&self, key: &str) -> Result<(), HostError> {
        let next = self.counter(key)? + 1;
        self.write(&key, next.to_be_bytes().to_vec())
    }
}

/// ibc-go's ordered index of a client's consensus heights (`clients/{id}/iterateConsensusStates
/// ‖ be(revision) ‖ be(height)`), which makes next/previous lookups range reads.
fn iteration_prefix(client_id: &ClientId) -> Vec<u8> {
    ibc_key(&format!("clients/{client_id}/{ITERATE_CONSENSUS_STATES}"))
}

fn iteration_key(client_id: &ClientId, height: &Height) -> Vec<u8> {
    let mut key = iteration_prefix(client_id);
    key.extend_from_slice(&height.revision_number().to_be_bytes());
    key.extend_from_slice(&height.revision_height().to_be_bytes());
    key
}

fn height_of_iteration_key(key: &[u8]) -> Result<Height, HostError> {
    let tail = key
        .len()
        .checked_sub(16)
        .map(|start| &key[start..])
        .ok_or_else(|| HostError::invalid_state("short consensus-state index key"))?;
    let revision = decode_u64(&tail[..8], "revision number")?;
    let height = decode_u64(&tail[8..], "revision height")?;
    Height::new(revision, height).map_err(|e| HostError::invalid_state(e.to_string()))
}

pub fn host_consensus_key(height: u64) -> Vec<u8> {
    [HOST_CONSENSUS_PREFIX, &height.to_be_bytes()].concat()
}

/// The proof specs of this chain's commitments: a JMT proof in the `ibc` substore, then a JMT
/// proof of the substore root in the main tree. Counterparty clients of this chain (and Hermes's
/// `proof_specs` option) must carry exactly these.
pub fn proof_specs() -> &'static ProofSpecs {
    static SPECS: OnceLock<ProofSpecs> = OnceLock::new();
    SPECS.get_or_init(|| {
        ProofSpecs::try_from(vec![jmt::ics23_spec(), jmt::ics23_spec()])
            .expect("the JMT proof spec is a valid ICS-23 spec")
    })
}

/// [`proof_specs`] as the JSON array Hermes's `proof_specs` option reads (ics23's serde form).
pub fn proof_specs_json() -> Result<String, serde_json::Error> {
    let specs: Vec<ics23::ProofSpec> = proof_specs().clone().into();
    serde_json::to_string(&specs)
}

pub fn unbonding_period() -> Duration {
    Duration::from_secs(staking::UNBONDING_TIME_SECS.unsigned_abs())
}

/// The host context of one message (or one query).
pub struct IbcHost<K> {
    pub store: IbcStore<K>,
    pub block: HostBlock,
    pub events: Vec<IbcEvent>,
    pub logs: Vec<String>,
    upgrade_path: Vec<String>,
}

impl<K: KvRead> IbcHost<K> {
    pub fn new(store: IbcStore<K>, block: HostBlock) -> Self {
        Self {
            store,
            block,
            events: Vec::new(),
            logs: Vec::new(),
            upgrade_path: UPGRADE_PATH.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn consensus_state_at(
        &self,
        client_id: &ClientId,
        height: &Height,
    ) -> Result<TmConsensusState, HostError> {
        self.consensus_state(&ClientConsensusStatePath::new(
            client_id.clone(),
            height.revision_number(),
            height.revision_height(),
        ))
    }
}

impl<K: KvRead> ValidateSelfClientContext for IbcHost<K> {
    fn chain_id(&self) -> &ChainId {
        &self.block.chain_id
    }

    fn host_current_height(&self) -> Height {
        Height::new(
            self.block.chain_id.revision_number(),
            self.block.height.max(1),
        )
        .expect("a positive height is a valid IBC height")
    }

    fn proof_specs(&self) -> &ProofSpecs {
        proof_specs()
    }

    fn unbonding_period(&self) -> Duration {
        unbonding_period()
    }

    fn upgrade_path(&self) -> &[String] {
        &self.upgrade_path
    }
}

impl<K: KvRead> ClientValidationContext for IbcHost<K> {
    type ClientStateRef = TmClientState;
    type ConsensusStateRef = TmConsensusState;

    fn client_state(&self, client_id: &ClientId) -> Result<TmClientState, HostError> {
        self.store
            .proto::<TmClientState, Any>(&ClientStatePath::new(client_id.clone()))
    }

    fn consensus_state(
        &self,
        path: &ClientConsensusStatePath,
    ) -> Result<TmConsensusState, HostError> {
        self.store.proto::<TmConsensusState, Any>(path)
    }

    fn client_update_meta(
        &self,
        client_id: &ClientId,
        height: &Height,
    ) -> Result<(Timestamp, Height), HostError> {
        let (revision, at) = (height.revision_number(), height.revision_height());
        let time =
            self.store
                .required(&ClientUpdateTimePath::new(client_id.clone(), revision, at))?;
        let processed = self.store.required(&ClientUpdateHeightPath::new(
            client_id.clone(),
            revision,
            at,
        ))?;
        let processed = String::from_utf8(processed)
            .ok()
            .and_then(|text| text.parse::<Height>().ok())
            .ok_or_else(|| HostError::invalid_state("stored processed height"))?;
        Ok((
            Timestamp::from_nanoseconds(decode_u64(&time, "processed time")?),
            processed,
        ))
    }
}

impl<K: KvWrite> ClientExecutionContext for IbcHost<K> {
    type ClientStateMut = TmClientState;

    fn store_client_state(
        &mut self,
        path: ClientStatePath,
        client_state: TmClientState,
    ) -> Result<(), HostError> {
        self.store
            .write(&path, Protobuf::<Any>::encode_vec(client_state))
    }

    fn store_consensus_state(
        &mut self,
        path: ClientConsensusStatePath,
        consensus_state: TmConsensusState,
    ) -> Result<(), HostError> {
        let height = Height::new(path.revision_number, path.revision_height)
            .map_err(|e| HostError::invalid_state(e.to_string()))?;
        self.store.write_key(
            iteration_key(&path.client_id, &height),
            height.to_string().into_bytes(),
        )?;
        self.store
            .write(&path, Protobuf::<Any>::encode_vec(consensus_state))
    }

    fn delete_consensus_state(&mut self, path: ClientConsensusStatePath) -> Result<(), HostError> {
        let height = Height::new(path.revision_number, path.revision_height)
            .map_err(|e| HostError::invalid_state(e.to_string()))?;
        self.store
            .state
            .borrow_mut()
            .remove(iteration_key(&path.client_id, &height))
            .map_err(|e| self.store.fault.record(e))?;
        self.store.remove(&path)
    }

    fn store_update_meta(
        &mut self,
        client_id: ClientId,
        height: Height,
        host_timestamp: Timestamp,
        host_height: Height,
    ) -> Result<(), HostError> {
        let (revision, at) = (height.revision_number(), height.revision_height());
        self.store.write(
            &ClientUpdateTimePath::new(client_id.clone(), revision, at),
            host_timestamp.nanoseconds().to_be_bytes().to_vec(),
        )?;
        self.store.write(
            &ClientUpdateHeightPath::new(client_id, revision, at),
            host_height.to_string().into_bytes(),
        )
    }

    fn delete_update_meta(&mut self, client_id: ClientId, height: Height) -> Result<(), HostError> {
        let (revision, at) = (height.revision_number(), height.revision_height());
        self.store
            .remove(&ClientUpdateTimePath::new(client_id.clone(), revision, at))?;
        self.store
            .remove(&ClientUpdateHeightPath::new(client_id, revision, at))
    }
}

impl<K: KvRead> ExtClientValidationContext for IbcHost<K> {
    fn host_timestamp(&self) -> Result<Timestamp, HostError> {
        Ok(self.block.time)
    }

    fn host_height(&self) -> Result<Height, HostError> {
        self.block.ibc_height()
    }

    fn consensus_state_heights(&self, client_id: &ClientId) -> Result<Vec<Height>, HostError> {
        let prefix = iteration_prefix(client_id);
        self.store
            .scan(&prefix, None, usize::MAX)?
            .iter()
            .map(|(key, _)| height_of_iteration_key(key))
            .collect()
    }

    fn next_consensus_state(
        &self,
        client_id: &ClientId,
        height: &Height,
    ) -> Result<Option<TmConsensusState>, HostError> {
        let prefix = iteration_prefix(client_id);
        let after = iteration_key(client_id, height);
        match self.store.scan(&prefix, Some(&after), 1)?.first() {
            Some((key, _)) => self
                .consensus_state_at(client_id, &height_of_iteration_key(key)?)
                .map(Some),
            None => Ok(None),
        }
    }

    fn prev_consensus_state(
        &self,
        client_id: &ClientId,
        height: &Height,
    ) -> Result<Option<TmConsensusState>, HostError> {
        let prefix = iteration_prefix(client_id);
        let before = iteration_key(client_id, height);
        match self.store.last_before(&prefix, &before)? {
            Some((key, _)) => self
                .consensus_state_at(client_id, &height_of_iteration_key(&key)?)
                .map(Some),
            None => Ok(None),
        }
    }
}

impl<K: KvRead> ValidationContext for IbcHost<K> {
    type V = Self;
    type HostClientState = TmClientState;
    type HostConsensusState = TmConsensusState;

    fn get_client_validation_context(&self) -> &Self::V {
        self
    }

    fn host_height(&self) -> Result<Height, HostError> {
        self.block.ibc_height()
    }

    fn host_timestamp(&self) -> Result<Timestamp, HostError> {
        Ok(self.block.time)
    }

    fn host_consensus_state(&self, height: &Height) -> Result<TmConsensusState, HostError> {
        if height.revision_number() != self.block.chain_id.revision_number() {
            return Err(HostError::invalid_state(format!(
                "host consensus state at {height}: revision {} is not this chain's",
                height.revision_number()
            )));
        }
        let bytes = self
            .store
            .read_key(&host_consensus_key(height.revision_height()))?
            .ok_or_else(|| {
                HostError::missing_state(format!(
                    "host consensus state at {height} (only the last {HOST_HISTORY} are kept)"
                ))
            })?;
        let raw = RawTmConsensusState::decode(bytes.as_slice())
            .map_err(|e| HostError::invalid_state(format!("stored host consensus state: {e}")))?;
        TmConsensusState::try_from(raw)
            .map_err(|e| HostError::invalid_state(format!("stored host consensus state: {e}")))
    }

    fn client_counter(&self) -> Result<u64, HostError> {
        self.store.counter(NEXT_CLIENT_SEQUENCE)
    }

    fn connection_end(&self, conn_id: &ConnectionId) -> Result<ConnectionEnd, HostError> {
        self.store.proto(&ConnectionPath::new(conn_id))
    }

    fn validate_self_client(&self, client_state: TmClientState) -> Result<(), HostError> {
        self.validate_self_tendermint_client(client_state.inner().clone())
    }

    fn commitment_prefix(&self) -> CommitmentPrefix {
        CommitmentPrefix::from_bytes(b"ibc")
    }

    fn connection_counter(&self) -> Result<u64, HostError> {
        self.store.counter(NEXT_CONNECTION_SEQUENCE)
    }

    fn channel_end(&self, path: &ChannelEndPath) -> Result<ChannelEnd, HostError> {
        self.store.proto(path)
    }

    fn get_next_sequence_send(&self, path: &SeqSendPath) -> Result<Sequence, HostError> {
        self.store.sequence(path)
    }

    fn get_next_sequence_recv(&self, path: &SeqRecvPath) -> Result<Sequence, HostError> {
        self.store.sequence(path)
    }

    fn get_next_sequence_ack(&self, path: &SeqAckPath) -> Result<Sequence, HostError> {
        self.store.sequence(path)
    }

    fn get_packet_commitment(&self, path: &CommitmentPath) -> Result<PacketCommitment, HostError> {
        self.store.required(path).map(PacketCommitment::from)
    }

    fn get_packet_receipt(&self, path: &ReceiptPath) -> Result<Receipt, HostError> {
        Ok(match self.store.read(path)? {
            Some(_) => Receipt::Ok,
            None => Receipt::None,
        })
    }

    fn get_packet_acknowledgement(
        &self,
        path: &AckPath,
    ) -> Result<AcknowledgementCommitment, HostError> {
        self.store
            .required(path)
            .map(AcknowledgementCommitment::from)
    }

    fn channel_counter(&self) -> Result<u64, HostError> {
        self.store.counter(NEXT_CHANNEL_SEQUENCE)
    }

    fn max_expected_time_per_block(&self) -> Duration {
        MAX_EXPECTED_TIME_PER_BLOCK
    }

    fn validate_message_signer(&self, signer: &Signer) -> Result<(), HostError> {
        crypto::account_from_bech32(signer.as_ref())
            .map(|_| ())
            .map_err(|e| HostError::invalid_state(format!("signer {signer}: {e}")))
    }
}

impl<K: KvWrite> ExecutionContext for IbcHost<K> {
    type E = Self;

    fn get_client_execution_context(&mut self) -> &mut Self::E {
        self
    }

    fn increase_client_counter(&mut self) -> Result<(), HostError> {
        self.store.increment(NEXT_CLIENT_SEQUENCE)
    }

    fn store_connection(
        &mut self,
        path: &ConnectionPath,
        connection_end: ConnectionEnd,
    ) -> Result<(), HostError> {
        self.store.write(path, connection_end.encode_vec())
    }

    fn store_connection_to_client(
        &mut self,
        path: &ClientConnectionPath,
        conn_id: ConnectionId,
    ) -> Result<(), HostError> {
        let mut paths = match self.store.read(path)? {
            Some(bytes) => ClientPaths::decode(bytes.as_slice())
                .map_err(|e| HostError::invalid_state(format!("stored {path}: {e}")))?,
            None => ClientPaths::default(),
        };
        paths.paths.push(conn_id.to_string());
        self.store.write(path, paths.encode_to_vec())
    }

    fn increase_connection_counter(&mut self) -> Result<(), HostError> {
        self.store.increment(NEXT_CONNECTION_SEQUENCE)
    }

    fn store_packet_commitment(
        &mut self,
        path: &CommitmentPath,
        commitment: PacketCommitment,
    ) -> Result<(), HostError> {
        self.store.write(path, commitment.into_vec())
    }

    fn delete_packet_commitment(&mut self, path: &CommitmentPath) -> Result<(), HostError> {
        self.store.remove(path)
    }

    fn store_packet_receipt(&mut self, path: &ReceiptPath, _: Receipt) -> Result<(), HostError> {
        self.store.write(path, vec![1])
    }

    fn store_packet_acknowledgement(
        &mut self,
        path: &AckPath,
        commitment: AcknowledgementCommitment,
    ) -> Result<(), HostError> {
        self.store.write(path, commitment.into_vec())
    }

    fn delete_packet_acknowledgement(&mut self, path: &AckPath) -> Result<(), HostError> {
        self.store.remove(path)
    }

    fn store_channel(
        &mut self,
        path: &ChannelEndPath,
        channel_end: ChannelEnd,
    ) -> Result<(), HostError> {
        self.store.write(path, channel_end.encode_vec())
    }

    fn store_next_sequence_send(
        &mut self,
        path: &SeqSendPath,
        seq: Sequence,
    ) -> Result<(), HostError> {
        self.store.write(path, seq.value().to_be_bytes().to_vec())
    }

    fn store_next_sequence_recv(
        &mut self,
        path: &SeqRecvPath,
        seq: Sequence,
    ) -> Result<(), HostError> {
        self.store.write(path, seq.value().to_be_bytes().to_vec())
    }

    fn store_next_sequence_ack(
        &mut self,
        path: &SeqAckPath,
        seq: Sequence,
    ) -> Result<(), HostError> {
        self.store.write(path, seq.value().to_be_bytes().to_vec())
    }

    fn increase_channel_counter(&mut self) -> Result<(), HostError> {
        self.store.increment(NEXT_CHANNEL_SEQUENCE)
    }

    fn emit_ibc_event(&mut self, event: IbcEvent) -> Result<(), HostError> {
        self.events.push(event);
        Ok(())
    }

    fn log_message(&mut self, message: String) -> Result<(), HostError> {
        self.logs.push(message);
        Ok(())
    }
}

/// Record this chain's consensus state for block `height` (root = the app hash its header
/// carries, i.e. the state after `height - 1`), and forget the one [`HOST_HISTORY`] blocks older.
/// The block time (unix nanoseconds) recorded for `height`, if that height is still kept.
pub fn host_block_time(state: &impl crate::store::StateRead, height: u64) -> Option<i128> {
    let raw =
        RawTmConsensusState::decode(state.get(&host_consensus_key(height))?.as_slice()).ok()?;
    let t = raw.timestamp?;
    Some(i128::from(t.seconds) * 1_000_000_000 + i128::from(t.nanos))
}

pub fn record_host_consensus_state<K: KvWrite>(
    state: &mut K,
    height: u64,
    time_unix_nanos: i128,
    app_hash: &[u8],
    next_validators_hash: &[u8],
) -> Result<(), TxError> {
    let time = tendermint::Time::from_unix_timestamp(
        i64::try_from(time_unix_nanos.div_euclid(1_000_000_000)).unwrap_or(0),
        u32::try_from(time_unix_nanos.rem_euclid(1_000_000_000)).unwrap_or(0),
    )
    .map_err(|e| TxError::InvalidRequest(format!("block time: {e}")))?;
    let next_validators_hash =
        tendermint::Hash::from_bytes(tendermint::hash::Algorithm::Sha256, next_validators_hash)
            .map_err(|e| TxError::InvalidRequest(format!("next validators hash: {e}")))?;
    let consensus_state = TmConsensusState::from(TmConsensusStateType::new(
        CommitmentRoot::from_bytes(app_hash),
        time,
        next_validators_hash,
    ));
    let raw = RawTmConsensusState::from(consensus_state);
    state.write(host_consensus_key(height), raw.encode_to_vec())?;
    if let Some(old) = height.checked_sub(HOST_HISTORY) {
        state.remove(host_consensus_key(old))?;
    }
    Ok(())
}
