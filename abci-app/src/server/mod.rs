//! Network servers: ABCI (for CometBFT), and the Cosmos REST (`rest`) and gRPC (`grpc`)
//! servers that clients use next to CometBFT's RPC.

pub mod abci;
pub mod api;
pub mod client_api;
pub mod cometbft;
pub mod grpc;
pub mod limits;
pub mod rest;
