//! `cosmos.base.tendermint.v1beta1.Service` over gRPC, answered from CometBFT's RPC.
//! `GetNodeInfo.application_version.build_deps` claims the cosmos-sdk / ibc-go / cometbft
//! versions Hermes checks.

use cosmos_sdk_proto::cosmos::base::tendermint::v1beta1::service_server::Service;
use cosmos_sdk_proto::cosmos::base::tendermint::v1beta1::*;

use super::{unimplemented, GrpcState};
use crate::server::api::ApiError;

pub struct Tendermint(pub GrpcState);

type Answer<T> = Result<tonic::Response<T>, tonic::Status>;

#[tonic::async_trait]
impl Service for Tendermint {
    async fn get_node_info(
        &self,
        _request: tonic::Request<GetNodeInfoRequest>,
    ) -> Answer<GetNodeInfoResponse> {
        Ok(tonic::Response::new(self.0.rpc.node_info().await?))
    }

    async fn get_syncing(
        &self,
        _request: tonic::Request<GetSyncingRequest>,
    ) -> Answer<GetSyncingResponse> {
        Ok(tonic::Response::new(GetSyncingResponse {
            syncing: self.0.rpc.syncing().await?,
        }))
    }

    async fn get_latest_block(
        &self,
        _request: tonic::Request<GetLatestBlockRequest>,
    ) -> Answer<GetLatestBlockResponse> {
        let (block_id, block, sdk_block) = self.0.rpc.block(None).await?;
        #[allow(deprecated)] // `block` is deprecated for `sdk_block`; the SDK fills both.
        Ok(tonic::Response::new(GetLatestBlockResponse {
            block_id: Some(block_id),
            block: Some(block),
            sdk_block: Some(sdk_block),
        }))
    }

    async fn get_block_by_height(
        &self,
        request: tonic::Request<GetBlockByHeightRequest>,
    ) -> Answer<GetBlockByHeightResponse> {
        let height = request.into_inner().height;
        let height = u64::try_from(height)
            .ok()
            .filter(|h| *h > 0)
            .ok_or_else(|| ApiError::invalid_argument(format!("invalid height {height}")))?;
        let (block_id, block, sdk_block) = self.0.rpc.block(Some(height)).await?;
        #[allow(deprecated)]
        Ok(tonic::Response::new(GetBlockByHeightResponse {
            block_id: Some(block_id),
            block: Some(block),
            sdk_block: Some(sdk_block),
        }))
    }

    async fn get_latest_validator_set(
        &self,
        _request: tonic::Request<GetLatestValidatorSetRequest>,
    ) -> Answer<GetLatestValidatorSetResponse> {
        Err(unimplemented(
            "cosmos.base.tendermint.v1beta1.Service/GetLatestValidatorSet",
        ))
    }

    async fn get_validator_set_by_height(
        &self,
        _request: tonic::Request<GetValidatorSetByHeightRequest>,
    ) -> Answer<GetValidatorSetByHeightResponse> {
        Err(unimplemented(
            "cosmos.base.tendermint.v1beta1.Service/GetValidatorSetByHeight",
        ))
    }

    async fn abci_query(
        &self,
        _request: tonic::Request<AbciQueryRequest>,
    ) -> Answer<AbciQueryResponse> {
        Err(unimplemented(
            "cosmos.base.tendermint.v1beta1.Service/ABCIQuery",
        ))
    }
}
