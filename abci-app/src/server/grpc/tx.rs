//! `cosmos.tx.v1beta1.Service` over gRPC: `Simulate` through the query router, the others
//! through CometBFT's RPC.

use cosmos_sdk_proto::cosmos::tx::v1beta1::service_server::Service;
use cosmos_sdk_proto::cosmos::tx::v1beta1::*;

use super::{at_height, unimplemented, GrpcState};
use crate::server::api::{query, ApiError};
use crate::server::cometbft::{search_paging, search_query};

pub struct TxService(pub GrpcState);

type Answer<T> = Result<tonic::Response<T>, tonic::Status>;

#[tonic::async_trait]
impl Service for TxService {
    async fn simulate(&self, request: tonic::Request<SimulateRequest>) -> Answer<SimulateResponse> {
        let (response, height) = query::<SimulateRequest, SimulateResponse>(
            &self.0.chain,
            "/cosmos.tx.v1beta1.Service/Simulate",
            request.into_inner(),
            0,
        )
        .await?;
        Ok(at_height(response, height))
    }

    async fn get_tx(&self, request: tonic::Request<GetTxRequest>) -> Answer<GetTxResponse> {
        let (tx, response) = self.0.rpc.tx(&request.into_inner().hash).await?;
        Ok(tonic::Response::new(GetTxResponse {
            tx: Some(tx),
            tx_response: Some(response),
        }))
    }

    async fn broadcast_tx(
        &self,
        request: tonic::Request<BroadcastTxRequest>,
    ) -> Answer<BroadcastTxResponse> {
        let req = request.into_inner();
        let mode = BroadcastMode::try_from(req.mode).map_err(|_| {
            ApiError::invalid_argument(format!("invalid broadcast mode {}", req.mode))
        })?;
        let response = self.0.rpc.broadcast(&req.tx_bytes, mode).await?;
        Ok(tonic::Response::new(BroadcastTxResponse {
            tx_response: Some(response),
        }))
    }

    async fn get_txs_event(
        &self,
        request: tonic::Request<GetTxsEventRequest>,
    ) -> Answer<GetTxsEventResponse> {
        let req = request.into_inner();
        #[allow(deprecated)] // `events` is the pre-0.50 field; still accepted.
        let query = search_query(&req.query, &req.events)?;
        let (page, limit, order) = search_paging(req.page, req.limit, req.order_by);
        Ok(tonic::Response::new(
            self.0.rpc.search_txs(&query, page, limit, order).await?,
        ))
    }

    async fn get_block_with_txs(
        &self,
        _request: tonic::Request<GetBlockWithTxsRequest>,
    ) -> Answer<GetBlockWithTxsResponse> {
        Err(unimplemented("cosmos.tx.v1beta1.Service/GetBlockWithTxs"))
    }

    async fn tx_decode(
        &self,
        _request: tonic::Request<TxDecodeRequest>,
    ) -> Answer<TxDecodeResponse> {
        Err(unimplemented("cosmos.tx.v1beta1.Service/TxDecode"))
    }

    async fn tx_encode(
        &self,
        _request: tonic::Request<TxEncodeRequest>,
    ) -> Answer<TxEncodeResponse> {
        Err(unimplemented("cosmos.tx.v1beta1.Service/TxEncode"))
    }

    async fn tx_encode_amino(
        &self,
        _request: tonic::Request<TxEncodeAminoRequest>,
    ) -> Answer<TxEncodeAminoResponse> {
        Err(unimplemented("cosmos.tx.v1beta1.Service/TxEncodeAmino"))
    }

    async fn tx_decode_amino(
        &self,
        _request: tonic::Request<TxDecodeAminoRequest>,
    ) -> Answer<TxDecodeAminoResponse> {
        Err(unimplemented("cosmos.tx.v1beta1.Service/TxDecodeAmino"))
    }
}
