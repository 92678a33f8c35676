//! Contracts on IBC, as wasmd runs them: a contract whose code exports the IBC entry points owns
//! the port `wasm.<contract address>`; channel handshakes and packets on that port call
//! `ibc_channel_open/connect/close` and `ibc_packet_receive/ack/timeout`; the contract sends
//! packets with `IbcMsg::SendPacket` on its own channels, closes them with `IbcMsg::CloseChannel`,
//! and makes ICS-20 transfers of its coins with `IbcMsg::Transfer`.
//!
//! A receive that fails in the contract reverts the contract's writes and answers an error
//! acknowledgement (`{"error": …}`), as wasmd 0.51+ does; other callback failures fail the tx.
//! A receive answered without an acknowledgement keeps the packet until the contract writes one
//! with `IbcMsg::WriteAcknowledgement` (async acks, wasmd 0.53+).

use cosmwasm_std::{
    Addr, Binary, Empty, IbcAcknowledgement, IbcBasicResponse, IbcChannel, IbcChannelCloseMsg,
    IbcChannelConnectMsg, IbcChannelOpenMsg, IbcEndpoint, IbcOrder, IbcPacket, IbcPacketAckMsg,
    IbcPacketReceiveMsg, IbcPacketTimeoutMsg, IbcReceiveResponse, IbcTimeout, IbcTimeoutBlock,
    Response, Timestamp as WasmTimestamp,
};
use cosmwasm_vm::{
    call_ibc_channel_close, call_ibc_channel_connect, call_ibc_channel_open, call_ibc_packet_ack,
    call_ibc_packet_receive, call_ibc_packet_timeout,
};
use ibc::core::channel::handler::{
    commit_packet_acknowledgment, emit_packet_acknowledgement_event,
};
use ibc::core::channel::types::acknowledgement::Acknowledgement;
use ibc::core::channel::types::channel::{ChannelEnd, Counterparty, Order};
use ibc::core::channel::types::error::ChannelError;
use ibc::core::channel::types::msgs::{ChannelMsg, MsgChannelCloseInit};
use ibc::core::channel::types::packet::Packet;
use ibc::core::channel::types::timeout::{TimeoutHeight, TimeoutTimestamp};
use ibc::core::channel::types::Version;
use ibc::core::client::types::Height;
use ibc::core::handler::types::msgs::MsgEnvelope;
use ibc::core::host::types::identifiers::{ChannelId, ConnectionId, PortId, Sequence};
use ibc::core::host::types::path::{AckPath, ChannelEndPath, SeqSendPath};
use ibc::core::host::ValidationContext;
use ibc::core::router::module::Module;
use ibc::core::router::types::module::ModuleExtras;
use ibc::primitives::{Signer, Timestamp};

use ibc_proto::ibc::core::channel::v1::{
    Channel as RawChannel, Order as RawOrder, Packet as RawPacket, State as RawState,
};
use prost::Message;

use super::keeper::Keeper;
use super::state::keys;
use super::{errors, events};
use crate::app::context::{KvRead, KvWrite};
use crate::app::error::TxError;
use crate::modules::ibc::context::{HostBlock, IbcHost, IbcStore};
use crate::store::StateRead;

const MSG_CHANNEL_CLOSE_INIT_TYPE_URL: &str = "/ibc.core.channel.v1.MsgChannelCloseInit";

/// Ports of contracts: `wasm.<bech32 address>`.
pub const PORT_PREFIX: &str = "wasm.";

pub fn port_of(contract_human: &str) -> String {
    format!("{PORT_PREFIX}{contract_human}")
}

pub fn contract_of_port(port: &PortId) -> Option<&str> {
    port.as_str().strip_prefix(PORT_PREFIX)
}

fn endpoint(port: &PortId, channel: &ChannelId) -> IbcEndpoint {
    IbcEndpoint {
        port_id: port.to_string(),
        channel_id: channel.to_string(),
    }
}

fn order(order: Order) -> Result<IbcOrder, TxError> {
    match order {
        Order::Unordered => Ok(IbcOrder::Unordered),
        Order::Ordered => Ok(IbcOrder::Ordered),
        Order::None => Err(errors::invalid("channel without an order")),
    }
}

/// The packet as contracts see it.
pub fn wasm_packet(packet: &Packet) -> IbcPacket {
    let block = match packet.timeout_height_on_b {
        TimeoutHeight::At(h) => Some(IbcTimeoutBlock {
            revision: h.revision_number(),
            height: h.revision_height(),
        }),
        TimeoutHeight::Never => None,
    };
    let timestamp = match packet.timeout_timestamp_on_b {
        TimeoutTimestamp::At(t) => Some(WasmTimestamp::from_nanos(t.nanoseconds())),
        TimeoutTimestamp::Never => None,
    };
    let timeout = match (block, timestamp) {
        (Some(b), Some(t)) => IbcTimeout::with_both(b, t),
        (Some(b), None) => IbcTimeout::with_block(b),
        (None, Some(t)) => IbcTimeout::with_timestamp(t),
        (None, None) => IbcTimeout::with_timestamp(WasmTimestamp::from_nanos(0)),
    };
    IbcPacket::new(
        Binary::from(packet.data.clone()),
        endpoint(&packet.port_id_on_a, &packet.chan_id_on_a),
        endpoint(&packet.port_id_on_b, &packet.chan_id_on_b),
        packet.seq_on_a.value(),
        timeout,
    )
}

/// The contract-facing view of a stored channel end (`None` for a malformed one).
fn channel_from_raw(port: &str, channel_id: &str, raw: &RawChannel) -> Option<IbcChannel> {
    let order = match raw.ordering {
        o if o == RawOrder::Unordered as i32 => IbcOrder::Unordered,
        o if o == RawOrder::Ordered as i32 => IbcOrder::Ordered,
        _ => return None,
    };
    let counterparty = raw.counterparty.as_ref()?;
    Some(IbcChannel::new(
        IbcEndpoint {
            port_id: port.to_string(),
            channel_id: channel_id.to_string(),
        },
        IbcEndpoint {
            port_id: counterparty.port_id.clone(),
            channel_id: counterparty.channel_id.clone(),
        },
        order,
        raw.version.clone(),
        raw.connection_hops.first()?.clone(),
    ))
}

fn channel_ends_prefix(port: &str) -> Vec<u8> {
    format!("ibc/channelEnds/ports/{port}/channels/").into_bytes()
}

/// The open channels of `port` (wasmd's `IbcQuery::ListChannels`).
pub fn open_channels<S: StateRead + ?Sized>(state: &S, port: &str) -> Vec<IbcChannel> {
    open_channels_scanned(state, port, usize::MAX).0
}

/// [`open_channels`] reading at most `max_entries` channel ends (open or not), with what the
/// scan read: entries and bytes, for gas.
pub fn open_channels_scanned<S: StateRead + ?Sized>(
    state: &S,
    port: &str,
    max_entries: usize,
) -> (Vec<IbcChannel>, Vec<(Vec<u8>, Vec<u8>)>) {
    let prefix = channel_ends_prefix(port);
    let entries = state.scan_prefix(&prefix, None, max_entries);
    let channels = entries
        .iter()
        .filter_map(|(key, value)| {
            let channel_id = std::str::from_utf8(&key[prefix.len()..]).ok()?;
            let raw = RawChannel::decode(value.as_slice()).ok()?;
            (raw.state == RawState::Open as i32)
                .then(|| channel_from_raw(port, channel_id, &raw))
                .flatten()
        })
        .collect();
    (channels, entries)
}

/// One channel of `port` in any state (wasmd's `IbcQuery::Channel`).
pub fn channel<S: StateRead + ?Sized>(
    state: &S,
    port: &str,
    channel_id: &str,
) -> Option<IbcChannel> {
    let key = [channel_ends_prefix(port), channel_id.as_bytes().to_vec()].concat();
    let raw = RawChannel::decode(state.get(&key)?.as_slice()).ok()?;
    channel_from_raw(port, channel_id, &raw)
}

fn basic_response(r: IbcBasicResponse<Empty>) -> Response<Empty> {
    Response::new()
        .add_submessages(r.messages)
        .add_attributes(r.attributes)
        .add_events(r.events)
}

impl Keeper {
    /// Run one IBC entry point of the contract owning `port` and handle its response.
    fn ibc_call<R>(
        &mut self,
        port: &PortId,
        what: &'static str,
        call: impl FnOnce(
            &mut super::keeper::WasmInstance,
            &cosmwasm_std::Env,
        ) -> cosmwasm_vm::VmResult<cosmwasm_std::ContractResult<R>>,
    ) -> Result<(String, R), TxError> {
        let contract_human = contract_of_port(port)
            .ok_or_else(|| errors::invalid(format!("port {port} is not a contract port")))?
            .to_string();
        self.gas.consume(super::keeper::costs::INSTANCE, what)?;
        let (contract, info, checksum) = self.contract(&contract_human)?;
        if info.ibc_port_id != port.as_str() {
            return Err(errors::invalid(format!(
                "contract {contract_human} has no IBC port (its code has no IBC entry points)"
            )));
        }
        let r = self.call_vm(
            &checksum,
            &contract,
            &contract_human,
            errors::execute_failed,
            call,
        )?;
        Ok((contract_human, r))
    }

    pub(crate) fn ibc_channel_open(
        &mut self,
        port: &PortId,
        msg: &IbcChannelOpenMsg,
    ) -> Result<Option<String>, TxError> {
        let (_, response) = self.ibc_call(
            port,
            "Loading CosmWasm module: ibc_channel_open",
            |i, env| call_ibc_channel_open(i, env, msg),
        )?;
        Ok(response.map(|r| r.version))
    }

    fn ibc_basic(
        &mut self,
        port: &PortId,
        what: &'static str,
        call: impl FnOnce(
            &mut super::keeper::WasmInstance,
            &cosmwasm_std::Env,
        ) -> cosmwasm_vm::VmResult<
            cosmwasm_std::ContractResult<IbcBasicResponse<Empty>>,
        >,
    ) -> Result<(), TxError> {
        let (contract_human, response) = self.ibc_call(port, what, call)?;
        self.events
            .push(events::ibc_callback(&contract_human, what));
        self.handle_response(&contract_human, basic_response(response))?;
        Ok(())
    }

    pub(crate) fn ibc_channel_connect(
        &mut self,
        port: &PortId,
        msg: &IbcChannelConnectMsg,
    ) -> Result<(), TxError> {
        self.ibc_basic(port, "ibc_channel_connect", |i, env| {
            call_ibc_channel_connect(i, env, msg)
        })
    }

    pub(crate) fn ibc_channel_close(
        &mut self,
        port: &PortId,
        msg: &IbcChannelCloseMsg,
    ) -> Result<(), TxError> {
        self.ibc_basic(port, "ibc_channel_close", |i, env| {
            call_ibc_channel_close(i, env, msg)
        })
    }

    pub(crate) fn ibc_packet_ack(
        &mut self,
        port: &PortId,
        msg: &IbcPacketAckMsg,
    ) -> Result<(), TxError> {
        self.ibc_basic(port, "ibc_packet_ack", |i, env| {
            call_ibc_packet_ack(i, env, msg)
        })
    }

    pub(crate) fn ibc_packet_timeout(
        &mut self,
        port: &PortId,
        msg: &IbcPacketTimeoutMsg,
    ) -> Result<(), TxError> {
        self.ibc_basic(port, "ibc_packet_timeout", |i, env| {
            call_ibc_packet_timeout(i, env, msg)
        })
    }

    /// The acknowledgement to write (`None`: the contract acknowledges later).
    pub(crate) fn ibc_packet_receive(
        &mut self,
        port: &PortId,
        msg: &IbcPacketReceiveMsg,
    ) -> Result<Option<Vec<u8>>, TxError> {
        let (contract_human, response): (String, IbcReceiveResponse<Empty>) =
            self.ibc_call(port, "ibc_packet_receive", |i, env| {
                call_ibc_packet_receive(i, env, msg)
            })?;
        self.events
            .push(events::ibc_callback(&contract_human, "ibc_packet_receive"));
        let ack = response.acknowledgement.clone().map(|a| a.to_vec());
        let rest = Response::new()
            .add_submessages(response.messages)
            .add_attributes(response.attributes)
            .add_events(response.events);
        self.handle_response(&contract_human, rest)?;
        Ok(ack)
    }

    /// `IbcMsg::Transfer` from `contract`: an ICS-20 transfer of its own coins on a `transfer`
    /// channel, exactly as if the contract had signed a `MsgTransfer`.
    pub(crate) fn ibc_transfer(
        &mut self,
        contract_human: &str,
        channel_id: &str,
        to_address: &str,
        amount: &cosmwasm_std::Coin,
        timeout: &IbcTimeout,
        memo: Option<&str>,
    ) -> Result<(), TxError> {
        let raw = ibc_proto::ibc::applications::transfer::v1::MsgTransfer {
            source_port: crate::modules::ibc::transfer::port_id().to_string(),
            source_channel: channel_id.to_string(),
            token: Some(ibc_proto::cosmos::base::v1beta1::Coin {
                denom: amount.denom.clone(),
                amount: amount.amount.to_string(),
            }),
            sender: contract_human.to_string(),
            receiver: to_address.to_string(),
            timeout_height: timeout
                .block()
                .map(|b| ibc_proto::ibc::core::client::v1::Height {
                    revision_number: b.revision,
                    revision_height: b.height,
                }),
            timeout_timestamp: timeout.timestamp().map_or(0, |t| t.nanos()),
            memo: memo.unwrap_or_default().to_string(),
        };
        let mut msg = ibc::apps::transfer::types::msgs::transfer::MsgTransfer::try_from(raw)
            .map_err(|e| errors::invalid(format!("IBC transfer from the contract: {e}")))?;
        msg.packet_data.token.denom = crate::modules::ibc::transfer::resolve_voucher(
            &mut *self,
            &msg.packet_data.token.denom,
        )?;
        let block = HostBlock::new(
            &self.block.chain_id,
            self.block.height,
            i128::from(self.block.time_unix_nanos),
        )?;
        let (events, _) = crate::modules::ibc::run(
            IbcStore::new(&mut *self),
            block,
            &crate::modules::ibc::IbcMsg::Transfer(msg),
            None,
        )?;
        self.events.extend(events);
        Ok(())
    }

    /// `IbcMsg::CloseChannel` from `contract`: a `MsgChannelCloseInit` on its own port, signed by
    /// the contract, as wasmd encodes it (so the contract's `ibc_channel_close` runs with
    /// `CloseInit` and may still refuse); the relayer then closes the counterparty end.
    pub(crate) fn close_channel(
        &mut self,
        contract_human: &str,
        channel_id: &str,
    ) -> Result<(), TxError> {
        let port_id_on_a: PortId = port_of(contract_human)
            .parse()
            .map_err(|e| errors::invalid(format!("contract port: {e}")))?;
        let chan_id_on_a: ChannelId = channel_id
            .parse()
            .map_err(|e| errors::invalid(format!("channel id {channel_id:?}: {e}")))?;
        let msg = MsgChannelCloseInit {
            port_id_on_a,
            chan_id_on_a,
            signer: Signer::from(contract_human.to_string()),
        };
        let block = HostBlock::new(
            &self.block.chain_id,
            self.block.height,
            i128::from(self.block.time_unix_nanos),
        )?;
        let store = IbcStore::new(&mut *self);
        let contracts = ContractPorts::new(store.clone());
        let (events, _) = crate::modules::ibc::run(
            store,
            block,
            &crate::modules::ibc::IbcMsg::Core {
                type_url: MSG_CHANNEL_CLOSE_INIT_TYPE_URL.to_string(),
                msg: MsgEnvelope::Channel(ChannelMsg::CloseInit(msg)),
            },
            Some(contracts),
        )?;
        self.events.extend(events);
        Ok(())
    }

    /// `IbcMsg::WriteAcknowledgement` from `contract`: the acknowledgement of a packet it received
    /// on its port without answering one. The packet must be waiting for it, its channel open and
    /// no acknowledgement written yet.
    pub(crate) fn write_acknowledgement(
        &mut self,
        contract_human: &str,
        channel_id: &str,
        sequence: u64,
        ack: &[u8],
    ) -> Result<(), TxError> {
        let port = port_of(contract_human);
        let key = keys::async_ack(&port, channel_id, sequence);
        let stored = self.read(&key)?.ok_or_else(|| {
            errors::invalid(format!(
                "no packet {sequence} received on {port}/{channel_id} awaits an acknowledgement"
            ))
        })?;
        let packet = RawPacket::decode(stored.as_slice())
            .map_err(|e| e.to_string())
            .and_then(|raw| Packet::try_from(raw).map_err(|e| e.to_string()))
            .map_err(|e| TxError::TxDecode(format!("stored async-ack packet: {e}")))?;
        let ack = Acknowledgement::try_from(ack.to_vec())
            .map_err(|e| errors::invalid(format!("acknowledgement: {e}")))?;
        self.remove(key)?;
        let block = HostBlock::new(
            &self.block.chain_id,
            self.block.height,
            i128::from(self.block.time_unix_nanos),
        )?;
        let store = IbcStore::new(&mut *self);
        let fault = store.fault.clone();
        let mut host = IbcHost::new(store, block);
        let result = (|| {
            let end_path = ChannelEndPath::new(&packet.port_id_on_b, &packet.chan_id_on_b);
            let end = host.channel_end(&end_path).map_err(|e| e.to_string())?;
            if !end.is_open() {
                return Err(format!("channel {channel_id} is not open"));
            }
            let ack_path =
                AckPath::new(&packet.port_id_on_b, &packet.chan_id_on_b, packet.seq_on_a);
            if host.get_packet_acknowledgement(&ack_path).is_ok() {
                return Err(format!("packet {sequence} is already acknowledged"));
            }
            commit_packet_acknowledgment(&mut host, &packet, &ack).map_err(|e| e.to_string())?;
            emit_packet_acknowledgement_event(&mut host, packet, ack).map_err(|e| e.to_string())
        })();
        let ibc_events = std::mem::take(&mut host.events);
        drop(host);
        if let Some(e) = fault.take() {
            return Err(e);
        }
        result.map_err(|e| errors::invalid(format!("write acknowledgement: {e}")))?;
        let ibc_events = crate::modules::ibc::abci_events(ibc_events)?;
        self.events.extend(ibc_events);
        Ok(())
    }

    /// `IbcMsg::SendPacket` from `contract`: on one of its own channels, with the next sequence.
    pub(crate) fn send_packet(
        &mut self,
        contract_human: &str,
        channel_id: &str,
        data: &[u8],
        timeout: &IbcTimeout,
    ) -> Result<u64, TxError> {
        let port: PortId = port_of(contract_human)
            .parse()
            .map_err(|e| errors::invalid(format!("contract port: {e}")))?;
        let channel: ChannelId = channel_id
            .parse()
            .map_err(|e| errors::invalid(format!("channel id {channel_id:?}: {e}")))?;
        let block = HostBlock::new(
            &self.block.chain_id,
            self.block.height,
            i128::from(self.block.time_unix_nanos),
        )?;
        let timeout_height_on_b = match timeout.block() {
            Some(b) => TimeoutHeight::At(
                Height::new(b.revision, b.height)
                    .map_err(|e| errors::invalid(format!("timeout height: {e}")))?,
            ),
            None => TimeoutHeight::Never,
        };
        let timeout_timestamp_on_b = match timeout.timestamp() {
            Some(t) => TimeoutTimestamp::At(Timestamp::from_nanoseconds(t.nanos())),
            None => TimeoutTimestamp::Never,
        };
        let store = IbcStore::new(&mut *self);
        let fault = store.fault.clone();
        let mut host = IbcHost::new(store, block);
        let result = (|| {
            let end = host
                .channel_end(&ChannelEndPath::new(&port, &channel))
                .map_err(|e| e.to_string())?;
            let counterparty = end.counterparty();
            let chan_id_on_b = counterparty
                .channel_id
                .clone()
                .ok_or_else(|| format!("channel {channel_id} is not open"))?;
            let seq_on_a = host
                .get_next_sequence_send(&SeqSendPath::new(&port, &channel))
                .map_err(|e| e.to_string())?;
            let packet = Packet {
                seq_on_a,
                port_id_on_a: port.clone(),
                chan_id_on_a: channel.clone(),
                port_id_on_b: counterparty.port_id.clone(),
                chan_id_on_b,
                data: data.to_vec(),
                timeout_height_on_b,
                timeout_timestamp_on_b,
            };
            ibc::core::channel::handler::send_packet(&mut host, packet)
                .map_err(|e| e.to_string())?;
            Ok::<Sequence, String>(seq_on_a)
        })();
        let ibc_events = std::mem::take(&mut host.events);
        drop(host);
        if let Some(e) = fault.take() {
            return Err(e);
        }
        let sequence = result.map_err(|e| errors::invalid(format!("send packet: {e}")))?;
        let ibc_events = crate::modules::ibc::abci_events(ibc_events)?;
        self.events.extend(ibc_events);
        Ok(sequence.value())
    }
}

/// The contract ports' module for ibc-rs's router. It runs contracts through the keeper that
/// also backs the IBC host's state, so every write shares one overlay and one gas meter.
pub struct ContractPorts<'k> {
    store: IbcStore<&'k mut Keeper>,
    /// From the message being handled: the counterparty channel id that `ChanOpenAck` brings
    /// (the stored end does not have it yet when the callback runs).
    pub counterparty_channel_on_ack: Option<ChannelId>,
}

impl std::fmt::Debug for ContractPorts<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContractPorts").finish_non_exhaustive()
    }
}

fn app_error(e: impl ToString) -> ChannelError {
    ChannelError::AppSpecific {
        description: e.to_string(),
    }
}

impl<'k> ContractPorts<'k> {
    pub fn new(store: IbcStore<&'k mut Keeper>) -> Self {
        Self {
            store,
            counterparty_channel_on_ack: None,
        }
    }

    fn keeper<R>(
        &self,
        f: impl FnOnce(&mut Keeper) -> Result<R, TxError>,
    ) -> Result<R, ChannelError> {
        let mut keeper = self.store.state.borrow_mut();
        f(&mut keeper).map_err(|e| {
            let message = e.to_string();
            self.store.fault.record(e);
            app_error(message)
        })
    }

    fn stored_channel(
        &self,
        port: &PortId,
        channel: &ChannelId,
    ) -> Result<IbcChannel, ChannelError> {
        let bytes = self
            .store
            .read(&ChannelEndPath::new(port, channel))
            .map_err(app_error)?
            .ok_or_else(|| app_error(format!("channel {port}/{channel} not found")))?;
        let end = <ChannelEnd as ibc::primitives::proto::Protobuf<
            ibc_proto::ibc::core::channel::v1::Channel,
        >>::decode_vec(&bytes)
        .map_err(app_error)?;
        let mut counterparty = end.counterparty().clone();
        if counterparty.channel_id.is_none() {
            counterparty.channel_id = self.counterparty_channel_on_ack.clone();
        }
        wasm_channel(
            end.ordering,
            &end.connection_hops,
            port,
            channel,
            &counterparty,
            end.version.as_str(),
        )
    }
}

fn wasm_channel(
    ordering: Order,
    connection_hops: &[ConnectionId],
    port: &PortId,
    channel: &ChannelId,
    counterparty: &Counterparty,
    version: &str,
) -> Result<IbcChannel, ChannelError> {
    let connection = connection_hops
        .first()
        .ok_or_else(|| app_error("channel without a connection"))?;
    Ok(IbcChannel::new(
        endpoint(port, channel),
        IbcEndpoint {
            port_id: counterparty.port_id.to_string(),
            channel_id: counterparty
                .channel_id
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
        },
        order(ordering).map_err(app_error)?,
        version,
        connection.to_string(),
    ))
}

fn relayer(signer: &Signer) -> Addr {
    Addr::unchecked(signer.as_ref())
}

impl Module for ContractPorts<'_> {
    fn on_chan_open_init_validate(
        &self,
        _order: Order,
        _connection_hops: &[ConnectionId],
        _port_id: &PortId,
        _channel_id: &ChannelId,
        _counterparty: &Counterparty,
        version: &Version,
    ) -> Result<Version, ChannelError> {
        // The contract decides (and may change the version) in the execute step.
        Ok(version.clone())
    }

    fn on_chan_open_init_execute(
        &mut self,
        order: Order,
        connection_hops: &[ConnectionId],
        port_id: &PortId,
        channel_id: &ChannelId,
        counterparty: &Counterparty,
        version: &Version,
    ) -> Result<(ModuleExtras, Version), ChannelError> {
        let channel = wasm_channel(
            order,
            connection_hops,
            port_id,
            channel_id,
            counterparty,
            version.as_str(),
        )?;
        let chosen =
            self.keeper(|k| k.ibc_channel_open(port_id, &IbcChannelOpenMsg::new_init(channel)))?;
        Ok((
            ModuleExtras::empty(),
            chosen.map(Version::new).unwrap_or_else(|| version.clone()),
        ))
    }

    fn on_chan_open_try_validate(
        &self,
        _order: Order,
        _connection_hops: &[ConnectionId],
        _port_id: &PortId,
        _channel_id: &ChannelId,
        _counterparty: &Counterparty,
        counterparty_version: &Version,
    ) -> Result<Version, ChannelError> {
        Ok(counterparty_version.clone())
    }

    fn on_chan_open_try_execute(
        &mut self,
        order: Order,
        connection_hops: &[ConnectionId],
        port_id: &PortId,
        channel_id: &ChannelId,
        counterparty: &Counterparty,
        counterparty_version: &Version,
    ) -> Result<(ModuleExtras, Version), ChannelError> {
        let channel = wasm_channel(
            order,
            connection_hops,
            port_id,
            channel_id,
            counterparty,
            counterparty_version.as_str(),
        )?;
        let msg = IbcChannelOpenMsg::new_try(channel, counterparty_version.as_str());
        let chosen = self.keeper(|k| k.ibc_channel_open(port_id, &msg))?;
        Ok((
            ModuleExtras::empty(),
            chosen
                .map(Version::new)
                .unwrap_or_else(|| counterparty_version.clone()),
        ))
    }

    fn on_chan_open_ack_execute(
        &mut self,
        port_id: &PortId,
        channel_id: &ChannelId,
        counterparty_version: &Version,
    ) -> Result<ModuleExtras, ChannelError> {
        let mut channel = self.stored_channel(port_id, channel_id)?;
        channel.version = counterparty_version.to_string();
        let msg = IbcChannelConnectMsg::new_ack(channel, counterparty_version.as_str());
        self.keeper(|k| k.ibc_channel_connect(port_id, &msg))?;
        Ok(ModuleExtras::empty())
    }

    fn on_chan_open_confirm_execute(
        &mut self,
        port_id: &PortId,
        channel_id: &ChannelId,
    ) -> Result<ModuleExtras, ChannelError> {
        let channel = self.stored_channel(port_id, channel_id)?;
        self.keeper(|k| {
            k.ibc_channel_connect(port_id, &IbcChannelConnectMsg::new_confirm(channel))
        })?;
        Ok(ModuleExtras::empty())
    }

    fn on_chan_close_init_execute(
        &mut self,
        port_id: &PortId,
        channel_id: &ChannelId,
    ) -> Result<ModuleExtras, ChannelError> {
        let channel = self.stored_channel(port_id, channel_id)?;
        self.keeper(|k| k.ibc_channel_close(port_id, &IbcChannelCloseMsg::new_init(channel)))?;
        Ok(ModuleExtras::empty())
    }

    fn on_chan_close_confirm_execute(
        &mut self,
        port_id: &PortId,
        channel_id: &ChannelId,
    ) -> Result<ModuleExtras, ChannelError> {
        let channel = self.stored_channel(port_id, channel_id)?;
        self.keeper(|k| k.ibc_channel_close(port_id, &IbcChannelCloseMsg::new_confirm(channel)))?;
        Ok(ModuleExtras::empty())
    }

    fn on_recv_packet_execute(
        &mut self,
        packet: &Packet,
        relayer_signer: &Signer,
    ) -> (ModuleExtras, Option<Acknowledgement>) {
        let msg = IbcPacketReceiveMsg::new(wasm_packet(packet), relayer(relayer_signer));
        let mut keeper = self.store.state.borrow_mut();
        let events_before = keeper.events.len();
        keeper.state.borrow_mut().checkpoint();
        let result = keeper.ibc_packet_receive(&packet.port_id_on_b, &msg);
        // No acknowledgement: the contract writes it later; keep the packet for that.
        let result = result.and_then(|ack| {
            if ack.is_none() {
                let key = keys::async_ack(
                    packet.port_id_on_b.as_str(),
                    packet.chan_id_on_b.as_str(),
                    packet.seq_on_a.value(),
                );
                keeper.write(key, RawPacket::from(packet.clone()).encode_to_vec())?;
            }
            Ok(ack)
        });
        let ack = match result {
            Ok(ack) => {
                keeper.state.borrow_mut().commit_checkpoint();
                ack
            }
            // Out of gas is not the contract's answer: the whole tx fails.
            Err(e @ TxError::OutOfGas { .. }) => {
                keeper.state.borrow_mut().revert_checkpoint();
                self.store.fault.record(e);
                None
            }
            Err(e) => {
                keeper.state.borrow_mut().revert_checkpoint();
                keeper.events.truncate(events_before);
                let error = serde_json::json!({ "error": e.to_string() }).to_string();
                Some(error.into_bytes())
            }
        };
        drop(keeper);
        let ack = ack.and_then(|bytes| Acknowledgement::try_from(bytes).ok());
        (ModuleExtras::empty(), ack)
    }

    fn on_acknowledgement_packet_validate(
        &self,
        _packet: &Packet,
        _acknowledgement: &Acknowledgement,
        _relayer: &Signer,
    ) -> Result<(), ChannelError> {
        Ok(())
    }

    fn on_acknowledgement_packet_execute(
        &mut self,
        packet: &Packet,
        acknowledgement: &Acknowledgement,
        relayer_signer: &Signer,
    ) -> (ModuleExtras, Result<(), ChannelError>) {
        let msg = IbcPacketAckMsg::new(
            IbcAcknowledgement::new(acknowledgement.as_ref().to_vec()),
            wasm_packet(packet),
            relayer(relayer_signer),
        );
        let result = self.keeper(|k| k.ibc_packet_ack(&packet.port_id_on_a, &msg));
        (ModuleExtras::empty(), result)
    }

    fn on_timeout_packet_validate(
        &self,
        _packet: &Packet,
        _relayer: &Signer,
    ) -> Result<(), ChannelError> {
        Ok(())
    }

    fn on_timeout_packet_execute(
        &mut self,
        packet: &Packet,
        relayer_signer: &Signer,
    ) -> (ModuleExtras, Result<(), ChannelError>) {
        let msg = IbcPacketTimeoutMsg::new(wasm_packet(packet), relayer(relayer_signer));
        let result = self.keeper(|k| k.ibc_packet_timeout(&packet.port_id_on_a, &msg));
        (ModuleExtras::empty(), result)
    }
}
