//! Network servers: ABCI (for CometBFT), and the Cosmos REST (`rest`) and gRPC (`grpc`)
//! servers that clients use next to CometBFT's RPC.

pub mod abci;
#[cfg(feature = "servers-wip")]
pub mod api;
#[cfg(feature = "servers-wip")]
pub mod cometbft;
#[cfg(feature = "servers-wip")]
pub mod grpc;
#[cfg(feature = "servers-wip")]
pub mod rest;
#[cfg(feature = "servers-wip")]
pub mod client_api;
