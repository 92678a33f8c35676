//! `ibc`: IBC core (ICS-02 clients with 07-tendermint, ICS-03 connections, ICS-04 channels and
//! packets) on ibc-rs 0.57, and ICS-20 transfer of bank coins, so that unmodified Hermes relays
//! between this chain and any ibc-go chain.
//!
//! Layout: [`context`] is the host (state layout, host consensus states, proof specs),
//! [`transfer`] the `transfer` port, [`query`] the `ibc.core.*` / transfer queries that ABCI
//! and gRPC share. Messages arrive as `ibc.core.*.v1.Msg*` and
//! `ibc.applications.transfer.v1.MsgTransfer` in ordinary txs, signed by their `signer` /
//! `sender`; their events are ibc-go's, so Hermes's pull-mode event source reads them.

pub mod context;
pub mod query;
pub mod transfer;

use cosmos_sdk_proto::Any;
use ibc::apps::transfer::handler::send_transfer;
use ibc::apps::transfer::types::msgs::transfer::MsgTransfer;
use ibc::core::channel::types::msgs::{ChannelMsg, PacketMsg};
use ibc::core::client::types::msgs::ClientMsg;
use ibc::core::connection::types::msgs::ConnectionMsg;
use ibc::core::entrypoint::dispatch;
use ibc::core::handler::types::events::IbcEvent;
use ibc::core::handler::types::msgs::MsgEnvelope;
use ibc::core::host::types::identifiers::PortId;
use ibc::core::router::module::Module;
use ibc::core::router::router::Router;
use ibc::core::router::types::module::ModuleId;
use ibc_proto::ibc::applications::transfer::v1::{
    MsgTransfer as RawMsgTransfer, MsgTransferResponse,
};
use prost::Message;
use serde_json::{json, Value};
use tendermint::abci::Event;

use self::context::{HostBlock, IbcHost, IbcStore};
use self::transfer::TransferModule;
use crate::app::context::{KvWrite, TxCtx};
use crate::app::error::TxError;
use crate::modules::wasm::{self, ibc::ContractPorts};
use crate::store::{Overlay, StateRead};

pub const NAME: &str = "ibc";
const TRANSFER_MODULE: &str = "transfer";
const CONTRACTS_MODULE: &str = "wasm";
const TRANSFER_TYPE_URL: &str = "/ibc.applications.transfer.v1.MsgTransfer";

/// An IBC message of a tx.
#[derive(Debug, Clone, PartialEq)]
pub enum IbcMsg {
    Core { type_url: String, msg: MsgEnvelope },
    Transfer(MsgTransfer),
}

impl IbcMsg {
    /// `None` when the type URL is not an IBC message.
    pub fn from_any(any: &Any) -> Option<Result<Self, TxError>> {
        let url = any.type_url.as_str();
        if url == TRANSFER_TYPE_URL {
            return Some(Self::transfer_from_any(any));
        }
        if !url.starts_with("/ibc.core.") {
            return None;
        }
        Some(
            MsgEnvelope::try_from(any.clone())
                .map(|msg| IbcMsg::Core {
                    type_url: url.to_string(),
                    msg,
                })
                .map_err(|e| TxError::TxDecode(format!("decoding {url}: {e}"))),
        )
    }

    /// `MsgTransfer` may be signed in amino JSON, which does not cover the body bytes: refuse
    /// encodings that are not canonical, so the tx hash cannot be changed under the signature.
    fn transfer_from_any(any: &Any) -> Result<Self, TxError> {
        let url = &any.type_url;
        let raw = RawMsgTransfer::decode(any.value.as_slice())
            .map_err(|e| TxError::TxDecode(format!("decoding {url}: {e}")))?;
        crate::app::tx::canonical(url, &raw, &any.value)?;
        MsgTransfer::try_from(raw)
            .map(IbcMsg::Transfer)
            .map_err(|e| TxError::TxDecode(format!("decoding {url}: {e}")))
    }

    /// Whether the message has an amino JSON form. ibc-go gives the core (relayer) messages
    /// none: they are signed in direct mode only, which covers their bytes.
    pub fn has_amino_form(&self) -> bool {
        matches!(self, IbcMsg::Transfer(_))
    }

    pub fn type_url(&self) -> String {
        match self {
            IbcMsg::Core { type_url, .. } => type_url.clone(),
            IbcMsg::Transfer(_) => TRANSFER_TYPE_URL.to_string(),
        }
    }

    /// ibc-go's module names in the `message` event (Hermes's push-mode queries use them).
    pub fn module(&self) -> &'static str {
        match self {
            IbcMsg::Core { msg, .. } => match msg {
                MsgEnvelope::Client(_) => "ibc_client",
                MsgEnvelope::Connection(_) => "ibc_connection",
                MsgEnvelope::Channel(_) | MsgEnvelope::Packet(_) => "ibc_channel",
            },
            IbcMsg::Transfer(_) => "transfer",
        }
    }

    pub fn signers(&self) -> Vec<String> {
        let signer = match self {
            IbcMsg::Transfer(m) => &m.packet_data.sender,
            IbcMsg::Core { msg, .. } => match msg {
                MsgEnvelope::Client(m) => match m {
                    ClientMsg::CreateClient(m) => &m.signer,
                    ClientMsg::UpdateClient(m) => &m.signer,
                    #[allow(deprecated)] // ibc-go still signs it by this field
                    ClientMsg::Misbehaviour(m) => &m.signer,
                    ClientMsg::UpgradeClient(m) => &m.signer,
                    ClientMsg::RecoverClient(m) => &m.signer,
                },
                MsgEnvelope::Connection(m) => match m {
                    ConnectionMsg::OpenInit(m) => &m.signer,
                    ConnectionMsg::OpenTry(m) => &m.signer,
                    ConnectionMsg::OpenAck(m) => &m.signer,
                    ConnectionMsg::OpenConfirm(m) => &m.signer,
                },
                MsgEnvelope::Channel(m) => match m {
                    ChannelMsg::OpenInit(m) => &m.signer,
                    ChannelMsg::OpenTry(m) => &m.signer,
                    ChannelMsg::OpenAck(m) => &m.signer,
                    ChannelMsg::OpenConfirm(m) => &m.signer,
                    ChannelMsg::CloseInit(m) => &m.signer,
                    ChannelMsg::CloseConfirm(m) => &m.signer,
                },
                MsgEnvelope::Packet(m) => match m {
                    PacketMsg::Recv(m) => &m.signer,
                    PacketMsg::Ack(m) => &m.signer,
                    PacketMsg::Timeout(m) => &m.signer,
                    PacketMsg::TimeoutOnClose(m) => &m.signer,
                },
            },
        };
        vec![signer.to_string()]
    }

    pub fn validate_basic(&self) -> Result<(), TxError> {
        for signer in self.signers() {
            crate::crypto::account_from_bech32(&signer)
                .map_err(|e| TxError::InvalidAddress(format!("invalid signer {signer:?}: {e}")))?;
        }
        if let IbcMsg::Core {
            msg: MsgEnvelope::Client(ClientMsg::RecoverClient(_)),
            ..
        } = self
        {
            // ibc-go lets only the governance authority recover clients; this chain has none.
            return Err(TxError::Unauthorized(
                "MsgRecoverClient needs the governance authority".to_string(),
            ));
        }
        Ok(())
    }

    /// The amino JSON of `MsgTransfer` (Keplr's IBC send signs it). Core messages have none
    /// ([`Self::has_amino_form`]; the ante handler refuses them in amino mode before asking).
    pub fn amino_json(&self) -> Value {
        match self {
            IbcMsg::Transfer(m) => {
                let height = &m.timeout_height_on_b;
                let mut timeout_height = serde_json::Map::new();
                if let ibc::core::channel::types::timeout::TimeoutHeight::At(h) = height {
                    if h.revision_number() != 0 {
                        timeout_height.insert(
                            "revision_number".into(),
                            h.revision_number().to_string().into(),
                        );
                    }
                    if h.revision_height() != 0 {
                        timeout_height.insert(
                            "revision_height".into(),
                            h.revision_height().to_string().into(),
                        );
                    }
                }
                let mut value = serde_json::Map::new();
                value.insert("source_port".into(), m.port_id_on_a.to_string().into());
                value.insert("source_channel".into(), m.chan_id_on_a.to_string().into());
                value.insert(
                    "token".into(),
                    json!({
                        "denom": m.packet_data.token.denom.to_string(),
                        "amount": m.packet_data.token.amount.to_string(),
                    }),
                );
                value.insert("sender".into(), m.packet_data.sender.to_string().into());
                value.insert("receiver".into(), m.packet_data.receiver.to_string().into());
                value.insert("timeout_height".into(), Value::Object(timeout_height));
                let timeout = m.timeout_timestamp_on_b.nanoseconds();
                if timeout != 0 {
                    value.insert("timeout_timestamp".into(), timeout.to_string().into());
                }
                let memo = m.packet_data.memo.to_string();
                if !memo.is_empty() {
                    value.insert("memo".into(), memo.into());
                }
                json!({"type": "cosmos-sdk/MsgTransfer", "value": Value::Object(value)})
            }
            IbcMsg::Core { type_url, .. } => json!({"type": type_url, "value": {}}),
        }
    }
}

/// The port router: `transfer`, and the contracts' `wasm.<address>` ports when the node runs
/// contracts.
struct PortRouter<'k, K> {
    transfer: TransferModule<K>,
    contracts: Option<ContractPorts<'k>>,
}

impl<K: KvWrite> Router for PortRouter<'_, K> {
    fn get_route(&self, module_id: &ModuleId) -> Option<&dyn Module> {
        match module_id.to_string().as_str() {
            TRANSFER_MODULE => Some(&self.transfer as &dyn Module),
            CONTRACTS_MODULE => self.contracts.as_ref().map(|c| c as &dyn Module),
            _ => None,
        }
    }

    fn get_route_mut(&mut self, module_id: &ModuleId) -> Option<&mut dyn Module> {
        match module_id.to_string().as_str() {
            TRANSFER_MODULE => Some(&mut self.transfer as &mut dyn Module),
            CONTRACTS_MODULE => self.contracts.as_mut().map(|c| c as &mut dyn Module),
            _ => None,
        }
    }

    fn lookup_module(&self, port_id: &PortId) -> Option<ModuleId> {
        if port_id.as_str() == transfer::port_id().as_str() {
            Some(ModuleId::new(TRANSFER_MODULE.to_string()))
        } else if self.contracts.is_some() && wasm::ibc::contract_of_port(port_id).is_some() {
            Some(ModuleId::new(CONTRACTS_MODULE.to_string()))
        } else {
            None
        }
    }
}

/// ibc-rs events as indexed ABCI events (CometBFT's indexer, hence Hermes's `tx_search`, sees
/// only indexed attributes).
pub(crate) fn abci_events(events: Vec<IbcEvent>) -> Result<Vec<Event>, TxError> {
    events
        .into_iter()
        .map(|event| {
            let mut event = Event::try_from(event)
                .map_err(|e| TxError::InvalidRequest(format!("encoding an IBC event: {e}")))?;
            for attribute in &mut event.attributes {
                attribute.set_index(true);
            }
            Ok(event)
        })
        .collect()
}

/// Run an IBC message against the tx's state. With a contract runtime, the IBC state goes
/// through the wasm keeper, so that contract ports share the message's overlay and gas meter.
pub fn execute<B: StateRead + Clone + 'static>(
    ctx: &mut TxCtx<'_, Overlay<B>>,
    msg: &IbcMsg,
) -> Result<(Vec<Event>, Any), TxError> {
    let block = HostBlock::new(
        &ctx.block.chain_id,
        ctx.block.height,
        ctx.block.time_unix_nanos,
    )?;
    let msg = &match msg {
        IbcMsg::Transfer(transfer) => {
            let mut transfer = transfer.clone();
            transfer.packet_data.token.denom =
                transfer::resolve_voucher(&mut *ctx, &transfer.packet_data.token.denom)?;
            IbcMsg::Transfer(transfer)
        }
        core => core.clone(),
    };
    if ctx.block.wasm.is_none() {
        return run(IbcStore::new(&mut *ctx), block, msg, None);
    }
    let (contract_events, (mut events, response)) = wasm::keeper::with_keeper(ctx, |keeper| {
        let store = IbcStore::new(keeper);
        let contracts = ContractPorts::new(store.clone());
        run(store, block, msg, Some(contracts))
    })?;
    events.extend(contract_events);
    Ok((events, response))
}

/// Run an IBC message on `store` (the tx's state, or the wasm keeper's), with the contract ports
/// when there are contracts.
pub(crate) fn run<K: KvWrite>(
    store: IbcStore<K>,
    block: HostBlock,
    msg: &IbcMsg,
    mut contracts: Option<ContractPorts<'_>>,
) -> Result<(Vec<Event>, Any), TxError> {
    if let (
        Some(contracts),
        IbcMsg::Core {
            msg: MsgEnvelope::Channel(ChannelMsg::OpenAck(ack)),
            ..
        },
    ) = (contracts.as_mut(), msg)
    {
        contracts.counterparty_channel_on_ack = Some(ack.chan_id_on_b.clone());
    }
    let fault = store.fault.clone();
    let mut host = IbcHost::new(store.clone(), block);
    let mut router = PortRouter {
        transfer: TransferModule::new(store),
        contracts,
    };
    let result = match msg {
        IbcMsg::Core { msg, .. } => {
            dispatch(&mut host, &mut router, msg.clone()).map_err(|e| e.to_string())
        }
        IbcMsg::Transfer(transfer) => {
            send_transfer(&mut host, &mut router.transfer, transfer.clone())
                .map_err(|e| e.to_string())
        }
    };
    // Out of gas (or a broken read) behind an IBC error is reported as itself.
    if let Some(e) = fault.take() {
        return Err(e);
    }
    result.map_err(|e| TxError::InvalidRequest(format!("{}: {e}", msg.type_url())))?;
    let events = std::mem::take(&mut host.events);
    let response = response(msg, &events);
    let mut out = abci_events(events)?;
    out.extend(std::mem::take(&mut router.transfer.bank_events));
    Ok((out, response))
}

/// The `Msg…Response` of a message: the transfer's packet sequence; the core messages' fields
/// (`result`: ibc-go's "success" or "noop") are left at their defaults.
fn response(msg: &IbcMsg, events: &[IbcEvent]) -> Any {
    let type_url = format!("{}Response", msg.type_url());
    let value = match msg {
        IbcMsg::Transfer(_) => events
            .iter()
            .find_map(|e| match e {
                IbcEvent::SendPacket(sent) => Some(sent.seq_on_a().value()),
                _ => None,
            })
            .map(|sequence| MsgTransferResponse { sequence }.encode_to_vec())
            .unwrap_or_default(),
        IbcMsg::Core { .. } => Vec::new(),
    };
    Any { type_url, value }
}

#[cfg(test)]
mod tests;
