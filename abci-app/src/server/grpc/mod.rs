//! The Cosmos gRPC server (tonic, plaintext HTTP/2, default `:9090`) that Hermes and Rust or
//! Go clients use: `cosmos.auth.v1beta1.Query`,
//! `cosmos.bank.v1beta1.Query`, `cosmos.tx.v1beta1.Service`,
//! `cosmos.base.tendermint.v1beta1.Service`, `cosmwasm.wasm.v1.Query` and the `ibc.core.*` /
//! `ibc.applications.transfer.v1` queries. Methods this chain does not serve answer
//! `UNIMPLEMENTED`. gRPC reflection is not offered: cosmos-sdk-proto ships no file
//! descriptor sets to build it from.
//!
//! State queries go through the shared query router on committed snapshots; the
//! `x-cosmos-block-height` request metadata selects a historical height and the response
//! metadata carries the height answered.

mod auth;
mod bank;
mod ibc;
mod tendermint;
mod tx;
mod wasm;

pub use wasm::RawCodec;

use std::net::SocketAddr;
use std::time::Duration;

use cosmos_sdk_proto::cosmos::auth::v1beta1::query_server::QueryServer as AuthServer;
use cosmos_sdk_proto::cosmos::bank::v1beta1::query_server::QueryServer as BankServer;
use cosmos_sdk_proto::cosmos::base::tendermint::v1beta1::service_server::ServiceServer as TendermintServer;
use cosmos_sdk_proto::cosmos::tx::v1beta1::service_server::ServiceServer as TxServer;
use ibc_proto::ibc::applications::transfer::v1::query_server::QueryServer as TransferServer;
use ibc_proto::ibc::core::channel::v1::query_server::QueryServer as ChannelServer;
use ibc_proto::ibc::core::client::v1::query_server::QueryServer as ClientServer;
use ibc_proto::ibc::core::connection::v1::query_server::QueryServer as ConnectionServer;
use tokio_util::sync::CancellationToken;
use tonic::metadata::MetadataValue;

use crate::server::api::ChainView;
use crate::server::api::{parse_height, ApiError, BLOCK_HEIGHT_HEADER};
use crate::server::cometbft::CometRpc;

#[derive(Clone)]
pub struct GrpcState {
    pub chain: ChainView,
    pub rpc: CometRpc,
}

impl std::fmt::Debug for GrpcState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GrpcState").field("rpc", &self.rpc).finish()
    }
}

/// Longest a call may take before it is answered `DEADLINE_EXCEEDED` (a client's own
/// `grpc-timeout` may be shorter). Query work already started runs on to its gas cap, holding
/// its place at the query gate, so a client that gives up frees nothing early but cannot
/// pile work up either.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Calls one connection may have in flight, and HTTP/2 streams it may open: one client
/// cannot hold every query slot's queue on its own connection's back.
pub const CALLS_PER_CONNECTION: usize = 32;
pub const STREAMS_PER_CONNECTION: u32 = 64;

/// Serve until `shutdown` is cancelled.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: GrpcState,
    shutdown: CancellationToken,
) -> Result<(), tonic::transport::Error> {
    let addr: Option<SocketAddr> = listener.local_addr().ok();
    tracing::info!(?addr, rpc = state.rpc.url(), "serving gRPC");
    let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
    tonic::transport::Server::builder()
        .timeout(REQUEST_TIMEOUT)
        .concurrency_limit_per_connection(CALLS_PER_CONNECTION)
        .max_concurrent_streams(STREAMS_PER_CONNECTION)
        // Dead peers are found and their connections closed.
        .http2_keepalive_interval(Some(Duration::from_secs(60)))
        .http2_keepalive_timeout(Some(Duration::from_secs(20)))
        .tcp_keepalive(Some(Duration::from_secs(60)))
        .add_service(AuthServer::new(auth::Auth(state.clone())))
        .add_service(BankServer::new(bank::Bank(state.clone())))
        .add_service(TxServer::new(tx::TxService(state.clone())))
        .add_service(TendermintServer::new(tendermint::Tendermint(state.clone())))
        .add_service(ClientServer::new(ibc::IbcClient(state.clone())))
        .add_service(ConnectionServer::new(ibc::IbcConnection(state.clone())))
        .add_service(ChannelServer::new(ibc::IbcChannel(state.clone())))
        .add_service(TransferServer::new(ibc::IbcTransfer(state.clone())))
        .add_service(wasm::WasmQueryServer(state))
        .serve_with_incoming_shutdown(incoming, shutdown.cancelled_owned())
        .await
}

/// The height asked for in `x-cosmos-block-height` metadata (0 = latest).
pub fn requested_height<T>(request: &tonic::Request<T>) -> Result<u64, tonic::Status> {
    let value = match request.metadata().get(BLOCK_HEIGHT_HEADER) {
        Some(v) => Some(v.to_str().map_err(|_| {
            tonic::Status::invalid_argument(format!("invalid {BLOCK_HEIGHT_HEADER} metadata"))
        })?),
        None => None,
    };
    Ok(parse_height(value)?)
}

/// A response carrying the height it was answered at.
pub fn at_height<T>(message: T, height: u64) -> tonic::Response<T> {
    let mut response = tonic::Response::new(message);
    if let Ok(value) = MetadataValue::try_from(height.to_string()) {
        response.metadata_mut().insert(BLOCK_HEIGHT_HEADER, value);
    }
    response
}

pub fn unimplemented(method: &str) -> tonic::Status {
    ApiError::unimplemented(format!("{method} is not served by this node")).into()
}

/// Implements a generated query trait: listed methods go to the query router under their
/// gRPC path, the others answer `UNIMPLEMENTED`.
macro_rules! query_service {
    (
        $server:ty: $trait:path, $service:literal;
        routed { $($name:ident($req:ident) -> $resp:ident = $method:literal;)* }
        unimplemented { $($uname:ident($ureq:ident) -> $uresp:ident;)* }
    ) => {
        #[tonic::async_trait]
        impl $trait for $server {
            $(
                async fn $name(
                    &self,
                    request: tonic::Request<$req>,
                ) -> Result<tonic::Response<$resp>, tonic::Status> {
                    let height = $crate::server::grpc::requested_height(&request)?;
                    let (response, answered) = $crate::server::api::query::<$req, $resp>(
                        &self.0.chain,
                        concat!("/", $service, "/", $method),
                        request.into_inner(),
                        height,
                    )
                    .await?;
                    Ok($crate::server::grpc::at_height(response, answered))
                }
            )*
            $(
                async fn $uname(
                    &self,
                    _request: tonic::Request<$ureq>,
                ) -> Result<tonic::Response<$uresp>, tonic::Status> {
                    Err($crate::server::grpc::unimplemented(concat!(
                        $service,
                        "/",
                        stringify!($uname)
                    )))
                }
            )*
        }
    };
}
pub(crate) use query_service;
