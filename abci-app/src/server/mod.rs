//! Network servers: ABCI (for CometBFT); REST and gRPC come next to it.

pub mod abci;
