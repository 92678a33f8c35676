//! `ibc.core.{client,connection,channel}.v1.Query` and `ibc.applications.transfer.v1.Query`,
//! answered from the `ibc` substore as ibc-go answers them. Proofs are not attached here:
//! relayers prove through `store/ibc/key` (ABCI), which returns ICS-23 proofs at any height.
//! List queries read the ordered index, so they are served at the latest height only.

use std::fmt::Display;
use std::str::FromStr;

use cosmos_sdk_proto::cosmos::base::query::v1beta1::{PageRequest, PageResponse};
use ibc::core::host::types::identifiers::{ChannelId, ClientId, ConnectionId, PortId};
use ibc_proto::google::protobuf::Any;
use ibc_proto::ibc::applications::transfer::v1 as transfer;
use ibc_proto::ibc::core::channel::v1 as channel;
use ibc_proto::ibc::core::client::v1 as client;
use ibc_proto::ibc::core::connection::v1 as connection;
use ibc_proto::ibc::lightclients::tendermint::v1::ClientState as RawTmClientState;
use prost::Message;

use super::context::MAX_EXPECTED_TIME_PER_BLOCK;
use super::transfer::{denom_hash, denom_trace_key, escrow_address, DENOM_TRACE_PREFIX};
use crate::app::ante;
use crate::app::error::QueryError;
use crate::app::pagination::{paginate, DEFAULT_LIMIT, MAX_LIMIT};
use crate::crypto;
use crate::store::{Snapshot, StateRead, IBC_PREFIX};

/// One page of entries whose keys are ICS-24 path suffixes.
type StringKeyedPage = (Vec<(String, Vec<u8>)>, PageResponse);

/// One query's view: a snapshot, the height it answers for and the chain's revision.
struct View<'a> {
    state: &'a Snapshot,
    height: u64,
    revision: u64,
}

fn not_found(what: impl Display) -> QueryError {
    QueryError::NotFound(what.to_string())
}

fn decode<M: Message + Default>(bytes: &[u8], what: &str) -> Result<M, QueryError> {
    M::decode(bytes).map_err(|e| QueryError::InvalidArgument(format!("stored {what}: {e}")))
}

fn be_u64(bytes: &[u8], what: &str) -> Result<u64, QueryError> {
    bytes
        .try_into()
        .map(u64::from_be_bytes)
        .map_err(|_| QueryError::InvalidArgument(format!("stored {what} is not 8 bytes")))
}

fn require(value: &str, what: &str) -> Result<(), QueryError> {
    if value.is_empty() {
        return Err(QueryError::InvalidArgument(format!(
            "{what} cannot be empty"
        )));
    }
    Ok(())
}

/// An ICS-24 identifier, checked as ibc-go's gRPC handlers check it (InvalidArgument), so a
/// malformed one is a clear 400 and never becomes part of a store path.
fn identifier<I: FromStr>(value: &str, what: &str) -> Result<(), QueryError>
where
    I::Err: Display,
{
    require(value, what)?;
    I::from_str(value)
        .map(drop)
        .map_err(|e| QueryError::InvalidArgument(format!("{what} {value:?}: {e}")))
}

impl View<'_> {
    fn get(&self, path: impl Display) -> Option<Vec<u8>> {
        self.state
            .get(&[IBC_PREFIX, path.to_string().as_bytes()].concat())
    }

    fn proof_height(&self) -> Option<client::Height> {
        Some(client::Height {
            revision_number: self.revision,
            revision_height: self.height,
        })
    }

    fn counter(&self, key: &str) -> Result<u64, QueryError> {
        self.get(key).map_or(Ok(0), |b| be_u64(&b, key))
    }

    fn client_state(&self, client_id: &str) -> Result<Any, QueryError> {
        identifier::<ClientId>(client_id, "client id")?;
        let bytes = self
            .get(format!("clients/{client_id}/clientState"))
            .ok_or_else(|| not_found(format!("client {client_id}")))?;
        decode(&bytes, "client state")
    }

    fn consensus_state(
        &self,
        client_id: &str,
        revision: u64,
        height: u64,
    ) -> Result<Any, QueryError> {
        let bytes = self
            .get(format!(
                "clients/{client_id}/consensusStates/{revision}-{height}"
            ))
            .ok_or_else(|| {
                not_found(format!(
                    "consensus state of {client_id} at {revision}-{height}"
                ))
            })?;
        decode(&bytes, "consensus state")
    }

    fn connection(&self, connection_id: &str) -> Result<connection::ConnectionEnd, QueryError> {
        identifier::<ConnectionId>(connection_id, "connection id")?;
        let bytes = self
            .get(format!("connections/{connection_id}"))
            .ok_or_else(|| not_found(format!("connection {connection_id}")))?;
        decode(&bytes, "connection end")
    }

    fn channel(&self, port_id: &str, channel_id: &str) -> Result<channel::Channel, QueryError> {
        identifier::<PortId>(port_id, "port id")?;
        identifier::<ChannelId>(channel_id, "channel id")?;
        let bytes = self
            .get(format!("channelEnds/ports/{port_id}/channels/{channel_id}"))
            .ok_or_else(|| not_found(format!("channel {port_id}/{channel_id}")))?;
        decode(&bytes, "channel end")
    }

    fn channel_client(&self, port_id: &str, channel_id: &str) -> Result<String, QueryError> {
        let channel = self.channel(port_id, channel_id)?;
        let hop = channel.connection_hops.first().ok_or_else(|| {
            QueryError::InvalidArgument(format!("channel {port_id}/{channel_id} has no connection"))
        })?;
        Ok(self.connection(hop)?.client_id)
    }

    fn latest_height_of(&self, client_id: &str) -> Result<client::Height, QueryError> {
        let any = self.client_state(client_id)?;
        let state: RawTmClientState = decode(&any.value, "client state")?;
        state
            .latest_height
            .ok_or_else(|| QueryError::InvalidArgument("client state has no latest height".into()))
    }

    fn sequence(&self, path: String) -> Result<u64, QueryError> {
        let bytes = self.get(&path).ok_or_else(|| not_found(&path))?;
        be_u64(&bytes, "sequence")
    }

    /// Entries under an ibc path prefix, one page (keys without the prefix).
    fn page(
        &self,
        prefix: &str,
        page: Option<&PageRequest>,
    ) -> Result<StringKeyedPage, QueryError> {
        if !self.state.is_latest() {
            return Err(QueryError::Unsupported(
                "paginated queries are served at the latest height only".to_string(),
            ));
        }
        let prefix = [IBC_PREFIX, prefix.as_bytes()].concat();
        let (entries, response) = paginate(self.state, &prefix, page)?;
        let entries = entries
            .into_iter()
            .map(|(key, value)| {
                String::from_utf8(key)
                    .map(|key| (key, value))
                    .map_err(|_| QueryError::InvalidArgument("stored ibc key".into()))
            })
            .collect::<Result<_, _>>()?;
        Ok((entries, response))
    }
}

/// Indices `0..count` for one page of an identifier sequence (`07-tendermint-N`,
/// `connection-N`); `next_key` holds the next index, big-endian.
fn page_of_counter(
    count: u64,
    page: Option<&PageRequest>,
) -> Result<(std::ops::Range<u64>, PageResponse), QueryError> {
    let default = PageRequest::default();
    let page = page.unwrap_or(&default);
    let start = if page.key.is_empty() {
        page.offset
    } else {
        be_u64(&page.key, "page key")?
    };
    let limit = match page.limit {
        0 => DEFAULT_LIMIT,
        l => l.min(MAX_LIMIT),
    };
    let end = start.saturating_add(limit).min(count);
    let start = start.min(end);
    Ok((
        start..end,
        PageResponse {
            next_key: if end < count {
                end.to_be_bytes().to_vec()
            } else {
                Vec::new()
            },
            total: if page.count_total { count } else { 0 },
        },
    ))
}

fn identified_client(
    view: &View<'_>,
    client_id: String,
) -> Result<client::IdentifiedClientState, QueryError> {
    Ok(client::IdentifiedClientState {
        client_state: Some(view.client_state(&client_id)?),
        client_id,
    })
}

fn identified_channel(
    port_id: &str,
    channel_id: &str,
    ch: channel::Channel,
) -> channel::IdentifiedChannel {
    channel::IdentifiedChannel {
        state: ch.state,
        ordering: ch.ordering,
        counterparty: ch.counterparty,
        connection_hops: ch.connection_hops,
        version: ch.version,
        port_id: port_id.to_string(),
        channel_id: channel_id.to_string(),
        upgrade_sequence: ch.upgrade_sequence,
    }
}

/// `{port}/channels/{channel}` → (port, channel).
fn split_channel_key(key: &str) -> Option<(&str, &str)> {
    key.split_once("/channels/")
}

fn all_channels(view: &View<'_>) -> Result<Vec<channel::IdentifiedChannel>, QueryError> {
    let mut page = PageRequest {
        limit: MAX_LIMIT,
        ..PageRequest::default()
    };
    let mut out = Vec::new();
    loop {
        let (entries, response) = view.page("channelEnds/ports/", Some(&page))?;
        for (key, value) in entries {
            if let Some((port, ch)) = split_channel_key(&key) {
                out.push(identified_channel(port, ch, decode(&value, "channel end")?));
            }
        }
        if response.next_key.is_empty() {
            return Ok(out);
        }
        page.key = response.next_key;
    }
}

fn packet_states(
    entries: Vec<(String, Vec<u8>)>,
    port_id: &str,
    channel_id: &str,
) -> Result<Vec<channel::PacketState>, QueryError> {
    entries
        .into_iter()
        .map(|(sequence, data)| {
            Ok(channel::PacketState {
                port_id: port_id.to_string(),
                channel_id: channel_id.to_string(),
                sequence: sequence
                    .parse()
                    .map_err(|_| QueryError::InvalidArgument("stored packet sequence".into()))?,
                data,
            })
        })
        .collect()
}

macro_rules! routes {
    ($view:expr, $path:expr, $data:expr; $($name:literal => $handler:ident,)*) => {
        match $path {
            $($name => {
                let req = Message::decode($data).map_err(|e| {
                    QueryError::InvalidArgument(format!("decoding request: {e}"))
                })?;
                $handler($view, req).map(|r| r.encode_to_vec())
            })*
            other => Err(QueryError::UnknownPath(other.to_string())),
        }
    };
}

/// Answer an `ibc.*` query path on `state` (committed at `height`).
pub fn route(
    state: &Snapshot,
    height: u64,
    path: &str,
    data: &[u8],
) -> Result<Vec<u8>, QueryError> {
    let chain_id = state
        .get(ante::CHAIN_ID_KEY)
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_default();
    let revision = ibc::core::host::types::identifiers::ChainId::new(&chain_id)
        .map(|id| id.revision_number())
        .unwrap_or(0);
    let view = &View {
        state,
        height,
        revision,
    };
    routes!(view, path, data;
        "/ibc.core.client.v1.Query/ClientState" => client_state,
        "/ibc.core.client.v1.Query/ClientStates" => client_states,
        "/ibc.core.client.v1.Query/ConsensusState" => consensus_state,
        "/ibc.core.client.v1.Query/ConsensusStates" => consensus_states,
        "/ibc.core.client.v1.Query/ConsensusStateHeights" => consensus_state_heights,
        "/ibc.core.client.v1.Query/ClientStatus" => client_status,
        "/ibc.core.client.v1.Query/ClientParams" => client_params,
        "/ibc.core.connection.v1.Query/Connection" => connection,
        "/ibc.core.connection.v1.Query/Connections" => connections,
        "/ibc.core.connection.v1.Query/ClientConnections" => client_connections,
        "/ibc.core.connection.v1.Query/ConnectionClientState" => connection_client_state,
        "/ibc.core.connection.v1.Query/ConnectionConsensusState" => connection_consensus_state,
        "/ibc.core.connection.v1.Query/ConnectionParams" => connection_params,
        "/ibc.core.channel.v1.Query/Channel" => channel,
        "/ibc.core.channel.v1.Query/Channels" => channels,
        "/ibc.core.channel.v1.Query/ConnectionChannels" => connection_channels,
        "/ibc.core.channel.v1.Query/ChannelClientState" => channel_client_state,
        "/ibc.core.channel.v1.Query/ChannelConsensusState" => channel_consensus_state,
        "/ibc.core.channel.v1.Query/PacketCommitment" => packet_commitment,
        "/ibc.core.channel.v1.Query/PacketCommitments" => packet_commitments,
        "/ibc.core.channel.v1.Query/PacketReceipt" => packet_receipt,
        "/ibc.core.channel.v1.Query/PacketAcknowledgement" => packet_acknowledgement,
        "/ibc.core.channel.v1.Query/PacketAcknowledgements" => packet_acknowledgements,
        "/ibc.core.channel.v1.Query/UnreceivedPackets" => unreceived_packets,
        "/ibc.core.channel.v1.Query/UnreceivedAcks" => unreceived_acks,
        "/ibc.core.channel.v1.Query/NextSequenceReceive" => next_sequence_receive,
        "/ibc.core.channel.v1.Query/NextSequenceSend" => next_sequence_send,
        "/ibc.applications.transfer.v1.Query/DenomTrace" => denom_trace,
        "/ibc.applications.transfer.v1.Query/DenomTraces" => denom_traces,
        "/ibc.applications.transfer.v1.Query/Params" => transfer_params,
        "/ibc.applications.transfer.v1.Query/DenomHash" => transfer_denom_hash,
        "/ibc.applications.transfer.v1.Query/EscrowAddress" => transfer_escrow_address,
    )
}

// --- ibc.core.client.v1 -------------------------------------------------------------------

fn client_state(
    v: &View<'_>,
    req: client::QueryClientStateRequest,
) -> Result<client::QueryClientStateResponse, QueryError> {
    Ok(client::QueryClientStateResponse {
        client_state: Some(v.client_state(&req.client_id)?),
        proof: Vec::new(),
        proof_height: v.proof_height(),
    })
}

fn client_states(
    v: &View<'_>,
    req: client::QueryClientStatesRequest,
) -> Result<client::QueryClientStatesResponse, QueryError> {
    let count = v.counter("nextClientSequence")?;
    let (range, pagination) = page_of_counter(count, req.pagination.as_ref())?;
    let client_states = range
        .map(|i| identified_client(v, format!("07-tendermint-{i}")))
        .collect::<Result<_, _>>()?;
    Ok(client::QueryClientStatesResponse {
        client_states,
        pagination: Some(pagination),
    })
}

fn consensus_state(
    v: &View<'_>,
    req: client::QueryConsensusStateRequest,
) -> Result<client::QueryConsensusStateResponse, QueryError> {
    let height = if req.latest_height {
        v.latest_height_of(&req.client_id)?
    } else {
        client::Height {
            revision_number: req.revision_number,
            revision_height: req.revision_height,
        }
    };
    Ok(client::QueryConsensusStateResponse {
        consensus_state: Some(v.consensus_state(
            &req.client_id,
            height.revision_number,
            height.revision_height,
        )?),
        proof: Vec::new(),
        proof_height: v.proof_height(),
    })
}

/// Heights of a client's consensus states, in order, from ibc-go's iteration index.
fn heights_page(
    v: &View<'_>,
    client_id: &str,
    page: Option<&PageRequest>,
) -> Result<(Vec<client::Height>, PageResponse), QueryError> {
    identifier::<ClientId>(client_id, "client id")?;
    let prefix = format!("clients/{client_id}/iterateConsensusStates");
    if !v.state.is_latest() {
        return Err(QueryError::Unsupported(
            "paginated queries are served at the latest height only".to_string(),
        ));
    }
    let prefix = [IBC_PREFIX, prefix.as_bytes()].concat();
    let (entries, response) = paginate(v.state, &prefix, page)?;
    let heights = entries
        .iter()
        .map(|(key, _)| {
            if key.len() != 16 {
                return Err(QueryError::InvalidArgument(
                    "stored consensus index key".into(),
                ));
            }
            Ok(client::Height {
                revision_number: be_u64(&key[..8], "revision")?,
                revision_height: be_u64(&key[8..], "height")?,
            })
        })
        .collect::<Result<_, _>>()?;
    Ok((heights, response))
}

fn consensus_states(
    v: &View<'_>,
    req: client::QueryConsensusStatesRequest,
) -> Result<client::QueryConsensusStatesResponse, QueryError> {
    let (heights, pagination) = heights_page(v, &req.client_id, req.pagination.as_ref())?;
    let consensus_states = heights
        .into_iter()
        .map(|h| {
            Ok(client::ConsensusStateWithHeight {
                consensus_state: Some(v.consensus_state(
                    &req.client_id,
                    h.revision_number,
                    h.revision_height,
                )?),
                height: Some(h),
            })
        })
        .collect::<Result<_, QueryError>>()?;
    Ok(client::QueryConsensusStatesResponse {
        consensus_states,
        pagination: Some(pagination),
    })
}

fn consensus_state_heights(
    v: &View<'_>,
    req: client::QueryConsensusStateHeightsRequest,
) -> Result<client::QueryConsensusStateHeightsResponse, QueryError> {
    let (consensus_state_heights, pagination) =
        heights_page(v, &req.client_id, req.pagination.as_ref())?;
    Ok(client::QueryConsensusStateHeightsResponse {
        consensus_state_heights,
        pagination: Some(pagination),
    })
}

fn client_status(
    v: &View<'_>,
    req: client::QueryClientStatusRequest,
) -> Result<client::QueryClientStatusResponse, QueryError> {
    let any = v.client_state(&req.client_id)?;
    let state: RawTmClientState = decode(&any.value, "client state")?;
    let frozen = state
        .frozen_height
        .is_some_and(|h| h.revision_number != 0 || h.revision_height != 0);
    Ok(client::QueryClientStatusResponse {
        status: if frozen { "Frozen" } else { "Active" }.to_string(),
    })
}

fn client_params(
    _v: &View<'_>,
    _req: client::QueryClientParamsRequest,
) -> Result<client::QueryClientParamsResponse, QueryError> {
    Ok(client::QueryClientParamsResponse {
        params: Some(client::Params {
            allowed_clients: vec!["07-tendermint".to_string()],
        }),
    })
}

// --- ibc.core.connection.v1 ---------------------------------------------------------------

fn connection(
    v: &View<'_>,
    req: connection::QueryConnectionRequest,
) -> Result<connection::QueryConnectionResponse, QueryError> {
    Ok(connection::QueryConnectionResponse {
        connection: Some(v.connection(&req.connection_id)?),
        proof: Vec::new(),
        proof_height: v.proof_height(),
    })
}

fn connections(
    v: &View<'_>,
    req: connection::QueryConnectionsRequest,
) -> Result<connection::QueryConnectionsResponse, QueryError> {
    let count = v.counter("nextConnectionSequence")?;
    let (range, pagination) = page_of_counter(count, req.pagination.as_ref())?;
    let connections = range
        .map(|i| {
            let id = format!("connection-{i}");
            let end = v.connection(&id)?;
            Ok(connection::IdentifiedConnection {
                id,
                client_id: end.client_id,
                versions: end.versions,
                state: end.state,
                counterparty: end.counterparty,
                delay_period: end.delay_period,
            })
        })
        .collect::<Result<_, QueryError>>()?;
    Ok(connection::QueryConnectionsResponse {
        connections,
        pagination: Some(pagination),
        height: v.proof_height(),
    })
}

fn client_connections(
    v: &View<'_>,
    req: connection::QueryClientConnectionsRequest,
) -> Result<connection::QueryClientConnectionsResponse, QueryError> {
    identifier::<ClientId>(&req.client_id, "client id")?;
    let bytes = v
        .get(format!("clients/{}/connections", req.client_id))
        .ok_or_else(|| not_found(format!("connections of client {}", req.client_id)))?;
    let paths: connection::ClientPaths = decode(&bytes, "client connection paths")?;
    Ok(connection::QueryClientConnectionsResponse {
        connection_paths: paths.paths,
        proof: Vec::new(),
        proof_height: v.proof_height(),
    })
}

fn connection_client_state(
    v: &View<'_>,
    req: connection::QueryConnectionClientStateRequest,
) -> Result<connection::QueryConnectionClientStateResponse, QueryError> {
    let end = v.connection(&req.connection_id)?;
    Ok(connection::QueryConnectionClientStateResponse {
        identified_client_state: Some(identified_client(v, end.client_id)?),
        proof: Vec::new(),
        proof_height: v.proof_height(),
    })
}

fn connection_consensus_state(
    v: &View<'_>,
    req: connection::QueryConnectionConsensusStateRequest,
) -> Result<connection::QueryConnectionConsensusStateResponse, QueryError> {
    let end = v.connection(&req.connection_id)?;
    Ok(connection::QueryConnectionConsensusStateResponse {
        consensus_state: Some(v.consensus_state(
            &end.client_id,
            req.revision_number,
            req.revision_height,
        )?),
        client_id: end.client_id,
        proof: Vec::new(),
        proof_height: v.proof_height(),
    })
}

fn connection_params(
    _v: &View<'_>,
    _req: connection::QueryConnectionParamsRequest,
) -> Result<connection::QueryConnectionParamsResponse, QueryError> {
    Ok(connection::QueryConnectionParamsResponse {
        params: Some(connection::Params {
            max_expected_time_per_block: MAX_EXPECTED_TIME_PER_BLOCK.as_nanos() as u64,
        }),
    })
}

// --- ibc.core.channel.v1 ------------------------------------------------------------------

fn channel(
    v: &View<'_>,
    req: channel::QueryChannelRequest,
) -> Result<channel::QueryChannelResponse, QueryError> {
    Ok(channel::QueryChannelResponse {
        channel: Some(v.channel(&req.port_id, &req.channel_id)?),
        proof: Vec::new(),
        proof_height: v.proof_height(),
    })
}

fn channels(
    v: &View<'_>,
    req: channel::QueryChannelsRequest,
) -> Result<channel::QueryChannelsResponse, QueryError> {
    let (entries, pagination) = v.page("channelEnds/ports/", req.pagination.as_ref())?;
    let channels = entries
        .into_iter()
        .filter_map(|(key, value)| {
            let (port, ch) = split_channel_key(&key)?;
            Some(decode(&value, "channel end").map(|end| identified_channel(port, ch, end)))
        })
        .collect::<Result<_, _>>()?;
    Ok(channel::QueryChannelsResponse {
        channels,
        pagination: Some(pagination),
        height: v.proof_height(),
    })
}

fn connection_channels(
    v: &View<'_>,
    req: channel::QueryConnectionChannelsRequest,
) -> Result<channel::QueryConnectionChannelsResponse, QueryError> {
    identifier::<ConnectionId>(&req.connection, "connection id")?;
    let channels: Vec<_> = all_channels(v)?
        .into_iter()
        .filter(|ch| ch.connection_hops.first() == Some(&req.connection))
        .collect();
    let total = channels.len() as u64;
    Ok(channel::QueryConnectionChannelsResponse {
        channels,
        pagination: Some(PageResponse {
            next_key: Vec::new(),
            total,
        }),
        height: v.proof_height(),
    })
}

fn channel_client_state(
    v: &View<'_>,
    req: channel::QueryChannelClientStateRequest,
) -> Result<channel::QueryChannelClientStateResponse, QueryError> {
    let client_id = v.channel_client(&req.port_id, &req.channel_id)?;
    Ok(channel::QueryChannelClientStateResponse {
        identified_client_state: Some(identified_client(v, client_id)?),
        proof: Vec::new(),
        proof_height: v.proof_height(),
    })
}

fn channel_consensus_state(
    v: &View<'_>,
    req: channel::QueryChannelConsensusStateRequest,
) -> Result<channel::QueryChannelConsensusStateResponse, QueryError> {
    let client_id = v.channel_client(&req.port_id, &req.channel_id)?;
    Ok(channel::QueryChannelConsensusStateResponse {
        consensus_state: Some(v.consensus_state(
            &client_id,
            req.revision_number,
            req.revision_height,
        )?),
        client_id,
        proof: Vec::new(),
        proof_height: v.proof_height(),
    })
}

fn packet_path(kind: &str, port: &str, channel: &str) -> String {
    format!("{kind}/ports/{port}/channels/{channel}/sequences/")
}

fn packet_commitment(
    v: &View<'_>,
    req: channel::QueryPacketCommitmentRequest,
) -> Result<channel::QueryPacketCommitmentResponse, QueryError> {
    let path = format!(
        "{}{}",
        packet_path("commitments", &req.port_id, &req.channel_id),
        req.sequence
    );
    Ok(channel::QueryPacketCommitmentResponse {
        commitment: v.get(&path).ok_or_else(|| not_found(&path))?,
        proof: Vec::new(),
        proof_height: v.proof_height(),
    })
}

fn packet_commitments(
    v: &View<'_>,
    req: channel::QueryPacketCommitmentsRequest,
) -> Result<channel::QueryPacketCommitmentsResponse, QueryError> {
    let prefix = packet_path("commitments", &req.port_id, &req.channel_id);
    let (entries, pagination) = v.page(&prefix, req.pagination.as_ref())?;
    Ok(channel::QueryPacketCommitmentsResponse {
        commitments: packet_states(entries, &req.port_id, &req.channel_id)?,
        pagination: Some(pagination),
        height: v.proof_height(),
    })
}

fn packet_receipt(
    v: &View<'_>,
    req: channel::QueryPacketReceiptRequest,
) -> Result<channel::QueryPacketReceiptResponse, QueryError> {
    let path = format!(
        "{}{}",
        packet_path("receipts", &req.port_id, &req.channel_id),
        req.sequence
    );
    Ok(channel::QueryPacketReceiptResponse {
        received: v.get(path).is_some(),
        proof: Vec::new(),
        proof_height: v.proof_height(),
    })
}

fn packet_acknowledgement(
    v: &View<'_>,
    req: channel::QueryPacketAcknowledgementRequest,
) -> Result<channel::QueryPacketAcknowledgementResponse, QueryError> {
    let path = format!(
        "{}{}",
        packet_path("acks", &req.port_id, &req.channel_id),
        req.sequence
    );
    Ok(channel::QueryPacketAcknowledgementResponse {
        acknowledgement: v.get(&path).ok_or_else(|| not_found(&path))?,
        proof: Vec::new(),
        proof_height: v.proof_height(),
    })
}

fn packet_acknowledgements(
    v: &View<'_>,
    req: channel::QueryPacketAcknowledgementsRequest,
) -> Result<channel::QueryPacketAcknowledgementsResponse, QueryError> {
    let prefix = packet_path("acks", &req.port_id, &req.channel_id);
    if !req.packet_commitment_sequences.is_empty() {
        // ibc-go: the listed sequences that have an acknowledgement, no pagination.
        let acknowledgements = req
            .packet_commitment_sequences
            .iter()
            .filter_map(|seq| {
                v.get(format!("{prefix}{seq}"))
                    .map(|data| channel::PacketState {
                        port_id: req.port_id.clone(),
                        channel_id: req.channel_id.clone(),
                        sequence: *seq,
                        data,
                    })
            })
            .collect();
        return Ok(channel::QueryPacketAcknowledgementsResponse {
            acknowledgements,
            pagination: None,
            height: v.proof_height(),
        });
    }
    let (entries, pagination) = v.page(&prefix, req.pagination.as_ref())?;
    Ok(channel::QueryPacketAcknowledgementsResponse {
        acknowledgements: packet_states(entries, &req.port_id, &req.channel_id)?,
        pagination: Some(pagination),
        height: v.proof_height(),
    })
}

fn unreceived_packets(
    v: &View<'_>,
    req: channel::QueryUnreceivedPacketsRequest,
) -> Result<channel::QueryUnreceivedPacketsResponse, QueryError> {
    let end = v.channel(&req.port_id, &req.channel_id)?;
    let ordered = end.ordering == channel::Order::Ordered as i32;
    let next_recv = if ordered {
        v.sequence(format!(
            "nextSequenceRecv/ports/{}/channels/{}",
            req.port_id, req.channel_id
        ))?
    } else {
        0
    };
    let receipts = packet_path("receipts", &req.port_id, &req.channel_id);
    let sequences = req
        .packet_commitment_sequences
        .into_iter()
        .filter(|seq| {
            if ordered {
                *seq >= next_recv
            } else {
                v.get(format!("{receipts}{seq}")).is_none()
            }
        })
        .collect();
    Ok(channel::QueryUnreceivedPacketsResponse {
        sequences,
        height: v.proof_height(),
    })
}

fn unreceived_acks(
    v: &View<'_>,
    req: channel::QueryUnreceivedAcksRequest,
) -> Result<channel::QueryUnreceivedAcksResponse, QueryError> {
    let commitments = packet_path("commitments", &req.port_id, &req.channel_id);
    let sequences = req
        .packet_ack_sequences
        .into_iter()
        .filter(|seq| v.get(format!("{commitments}{seq}")).is_some())
        .collect();
    Ok(channel::QueryUnreceivedAcksResponse {
        sequences,
        height: v.proof_height(),
    })
}

fn next_sequence_receive(
    v: &View<'_>,
    req: channel::QueryNextSequenceReceiveRequest,
) -> Result<channel::QueryNextSequenceReceiveResponse, QueryError> {
    Ok(channel::QueryNextSequenceReceiveResponse {
        next_sequence_receive: v.sequence(format!(
            "nextSequenceRecv/ports/{}/channels/{}",
            req.port_id, req.channel_id
        ))?,
        proof: Vec::new(),
        proof_height: v.proof_height(),
    })
}

fn next_sequence_send(
    v: &View<'_>,
    req: channel::QueryNextSequenceSendRequest,
) -> Result<channel::QueryNextSequenceSendResponse, QueryError> {
    Ok(channel::QueryNextSequenceSendResponse {
        next_sequence_send: v.sequence(format!(
            "nextSequenceSend/ports/{}/channels/{}",
            req.port_id, req.channel_id
        ))?,
        proof: Vec::new(),
        proof_height: v.proof_height(),
    })
}

// --- ibc.applications.transfer.v1 ---------------------------------------------------------

fn denom_trace(
    v: &View<'_>,
    req: transfer::QueryDenomTraceRequest,
) -> Result<transfer::QueryDenomTraceResponse, QueryError> {
    let hash = req
        .hash
        .strip_prefix("ibc/")
        .unwrap_or(&req.hash)
        .to_uppercase();
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(QueryError::InvalidArgument(format!(
            "invalid denom trace hash {}",
            req.hash
        )));
    }
    let bytes = v
        .state
        .get(&denom_trace_key(&hash))
        .ok_or_else(|| not_found(format!("denomination trace {hash}")))?;
    Ok(transfer::QueryDenomTraceResponse {
        denom_trace: Some(decode(&bytes, "denom trace")?),
    })
}

fn denom_traces(
    v: &View<'_>,
    req: transfer::QueryDenomTracesRequest,
) -> Result<transfer::QueryDenomTracesResponse, QueryError> {
    if !v.state.is_latest() {
        return Err(QueryError::Unsupported(
            "paginated queries are served at the latest height only".to_string(),
        ));
    }
    let (entries, pagination) = paginate(v.state, DENOM_TRACE_PREFIX, req.pagination.as_ref())?;
    let denom_traces = entries
        .iter()
        .map(|(_, value)| decode(value, "denom trace"))
        .collect::<Result<_, _>>()?;
    Ok(transfer::QueryDenomTracesResponse {
        denom_traces,
        pagination: Some(pagination),
    })
}

fn transfer_params(
    _v: &View<'_>,
    _req: transfer::QueryParamsRequest,
) -> Result<transfer::QueryParamsResponse, QueryError> {
    Ok(transfer::QueryParamsResponse {
        params: Some(transfer::Params {
            send_enabled: true,
            receive_enabled: true,
        }),
    })
}

fn transfer_denom_hash(
    _v: &View<'_>,
    req: transfer::QueryDenomHashRequest,
) -> Result<transfer::QueryDenomHashResponse, QueryError> {
    require(&req.trace, "trace")?;
    Ok(transfer::QueryDenomHashResponse {
        hash: denom_hash(&req.trace),
    })
}

fn transfer_escrow_address(
    _v: &View<'_>,
    req: transfer::QueryEscrowAddressRequest,
) -> Result<transfer::QueryEscrowAddressResponse, QueryError> {
    let port = req
        .port_id
        .parse()
        .map_err(|e| QueryError::InvalidArgument(format!("port id: {e}")))?;
    let channel = req
        .channel_id
        .parse()
        .map_err(|e| QueryError::InvalidArgument(format!("channel id: {e}")))?;
    Ok(transfer::QueryEscrowAddressResponse {
        escrow_address: crypto::account_to_bech32(&escrow_address(&port, &channel)),
    })
}
