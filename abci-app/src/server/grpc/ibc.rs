//! `ibc.core.{client,connection,channel}.v1.Query` and `ibc.applications.transfer.v1.Query`
//! over gRPC (what Hermes lists and polls; proofs come from ABCI `store/ibc/key`).

use ibc_proto::ibc::applications::transfer::v1 as transfer;
use ibc_proto::ibc::core::channel::v1 as channel;
use ibc_proto::ibc::core::client::v1 as client;
use ibc_proto::ibc::core::connection::v1 as connection;

use super::{query_service, GrpcState};

pub struct IbcClient(pub GrpcState);
pub struct IbcConnection(pub GrpcState);
pub struct IbcChannel(pub GrpcState);
pub struct IbcTransfer(pub GrpcState);

mod client_service {
    use super::client::query_server::Query;
    use super::client::*;
    use super::{query_service, IbcClient};

    query_service! {
        IbcClient: Query, "ibc.core.client.v1.Query";
        routed {
            client_state(QueryClientStateRequest) -> QueryClientStateResponse = "ClientState";
            client_states(QueryClientStatesRequest) -> QueryClientStatesResponse = "ClientStates";
            consensus_state(QueryConsensusStateRequest) -> QueryConsensusStateResponse = "ConsensusState";
            consensus_states(QueryConsensusStatesRequest) -> QueryConsensusStatesResponse = "ConsensusStates";
            consensus_state_heights(QueryConsensusStateHeightsRequest) -> QueryConsensusStateHeightsResponse = "ConsensusStateHeights";
            client_status(QueryClientStatusRequest) -> QueryClientStatusResponse = "ClientStatus";
            client_params(QueryClientParamsRequest) -> QueryClientParamsResponse = "ClientParams";
        }
        unimplemented {
            upgraded_client_state(QueryUpgradedClientStateRequest) -> QueryUpgradedClientStateResponse;
            upgraded_consensus_state(QueryUpgradedConsensusStateRequest) -> QueryUpgradedConsensusStateResponse;
        }
    }
}

mod connection_service {
    use super::connection::query_server::Query;
    use super::connection::*;
    use super::{query_service, IbcConnection};

    query_service! {
        IbcConnection: Query, "ibc.core.connection.v1.Query";
        routed {
            connection(QueryConnectionRequest) -> QueryConnectionResponse = "Connection";
            connections(QueryConnectionsRequest) -> QueryConnectionsResponse = "Connections";
            client_connections(QueryClientConnectionsRequest) -> QueryClientConnectionsResponse = "ClientConnections";
            connection_client_state(QueryConnectionClientStateRequest) -> QueryConnectionClientStateResponse = "ConnectionClientState";
            connection_consensus_state(QueryConnectionConsensusStateRequest) -> QueryConnectionConsensusStateResponse = "ConnectionConsensusState";
            connection_params(QueryConnectionParamsRequest) -> QueryConnectionParamsResponse = "ConnectionParams";
        }
        unimplemented {}
    }
}

mod channel_service {
    use super::channel::query_server::Query;
    use super::channel::*;
    use super::{query_service, IbcChannel};

    query_service! {
        IbcChannel: Query, "ibc.core.channel.v1.Query";
        routed {
            channel(QueryChannelRequest) -> QueryChannelResponse = "Channel";
            channels(QueryChannelsRequest) -> QueryChannelsResponse = "Channels";
            connection_channels(QueryConnectionChannelsRequest) -> QueryConnectionChannelsResponse = "ConnectionChannels";
            channel_client_state(QueryChannelClientStateRequest) -> QueryChannelClientStateResponse = "ChannelClientState";
            channel_consensus_state(QueryChannelConsensusStateRequest) -> QueryChannelConsensusStateResponse = "ChannelConsensusState";
            packet_commitment(QueryPacketCommitmentRequest) -> QueryPacketCommitmentResponse = "PacketCommitment";
            packet_commitments(QueryPacketCommitmentsRequest) -> QueryPacketCommitmentsResponse = "PacketCommitments";
            packet_receipt(QueryPacketReceiptRequest) -> QueryPacketReceiptResponse = "PacketReceipt";
            packet_acknowledgement(QueryPacketAcknowledgementRequest) -> QueryPacketAcknowledgementResponse = "PacketAcknowledgement";
            packet_acknowledgements(QueryPacketAcknowledgementsRequest) -> QueryPacketAcknowledgementsResponse = "PacketAcknowledgements";
            unreceived_packets(QueryUnreceivedPacketsRequest) -> QueryUnreceivedPacketsResponse = "UnreceivedPackets";
            unreceived_acks(QueryUnreceivedAcksRequest) -> QueryUnreceivedAcksResponse = "UnreceivedAcks";
            next_sequence_receive(QueryNextSequenceReceiveRequest) -> QueryNextSequenceReceiveResponse = "NextSequenceReceive";
            next_sequence_send(QueryNextSequenceSendRequest) -> QueryNextSequenceSendResponse = "NextSequenceSend";
        }
        unimplemented {
            upgrade_error(QueryUpgradeErrorRequest) -> QueryUpgradeErrorResponse;
            upgrade(QueryUpgradeRequest) -> QueryUpgradeResponse;
            channel_params(QueryChannelParamsRequest) -> QueryChannelParamsResponse;
        }
    }
}

mod transfer_service {
    use super::transfer::query_server::Query;
    use super::transfer::*;
    use super::{query_service, IbcTransfer};

    query_service! {
        IbcTransfer: Query, "ibc.applications.transfer.v1.Query";
        routed {
            denom_traces(QueryDenomTracesRequest) -> QueryDenomTracesResponse = "DenomTraces";
            denom_trace(QueryDenomTraceRequest) -> QueryDenomTraceResponse = "DenomTrace";
            params(QueryParamsRequest) -> QueryParamsResponse = "Params";
            denom_hash(QueryDenomHashRequest) -> QueryDenomHashResponse = "DenomHash";
            escrow_address(QueryEscrowAddressRequest) -> QueryEscrowAddressResponse = "EscrowAddress";
        }
        unimplemented {
            total_escrow_for_denom(QueryTotalEscrowForDenomRequest) -> QueryTotalEscrowForDenomResponse;
        }
    }
}
