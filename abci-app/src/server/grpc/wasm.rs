//! `cosmwasm.wasm.v1.Query` over gRPC. cosmos-sdk-proto generates clients but no server for
//! the wasmd protos, so this service takes every call under the service name as raw protobuf
//! bytes and hands them to the query router under the same path (which decodes and
//! validates them); a method the router does not know answers `UNIMPLEMENTED`.

use std::convert::Infallible;
use std::task::{Context, Poll};

use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::{http, Body, BoxFuture, Bytes, Service, StdError};
use tonic::server::{Grpc, NamedService, UnaryService};
use tonic::Status;

use super::{at_height, requested_height, GrpcState};
use crate::server::api::query_raw;

pub const SERVICE: &str = "cosmwasm.wasm.v1.Query";

#[derive(Clone)]
pub struct WasmQueryServer(pub GrpcState);

impl NamedService for WasmQueryServer {
    const NAME: &'static str = SERVICE;
}

impl<B> Service<http::Request<B>> for WasmQueryServer
where
    B: Body + Send + 'static,
    B::Error: Into<StdError> + Send + 'static,
{
    type Response = http::Response<tonic::body::BoxBody>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let method = RoutedMethod {
            state: self.0.clone(),
            path: request.uri().path().to_string(),
        };
        Box::pin(async move { Ok(Grpc::new(RawCodec).unary(method, request).await) })
    }
}

/// One call: its gRPC path is the router path.
struct RoutedMethod {
    state: GrpcState,
    path: String,
}

impl UnaryService<Vec<u8>> for RoutedMethod {
    type Response = Vec<u8>;
    type Future = BoxFuture<tonic::Response<Vec<u8>>, Status>;

    fn call(&mut self, request: tonic::Request<Vec<u8>>) -> Self::Future {
        let chain = self.state.chain.clone();
        let path = std::mem::take(&mut self.path);
        Box::pin(async move {
            let height = requested_height(&request)?;
            let (value, answered) = query_raw(&chain, path, request.into_inner(), height).await?;
            Ok(at_height(value, answered))
        })
    }
}

/// Messages as the bytes on the wire: the router decodes requests and encodes answers (and a
/// client can send any bytes to any method).
#[derive(Debug, Clone, Copy, Default)]
pub struct RawCodec;

impl Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawCodec;
    type Decoder = RawCodec;

    fn encoder(&mut self) -> Self::Encoder {
        RawCodec
    }

    fn decoder(&mut self) -> Self::Decoder {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = Vec<u8>;
    type Error = Status;

    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        use bytes::BufMut;
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = Vec<u8>;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Status> {
        use bytes::Buf;
        let bytes: Bytes = src.copy_to_bytes(src.remaining());
        Ok(Some(bytes.to_vec()))
    }
}
