//! Running the client-facing servers (REST and gRPC) beside the ABCI server: bind first (so a
//! busy port fails before CometBFT starts), serve once the chain has a committed block,
//! stop first on shutdown.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, Result};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::api::ChainView;
use super::cometbft::CometRpc;
use super::grpc::{self, GrpcState};
use super::rest::{self, RestState};

/// Where to serve; `None` disables a server.
#[derive(Debug, Clone, Default)]
pub struct ClientApiConfig {
    pub rest: Option<SocketAddr>,
    pub grpc: Option<SocketAddr>,
    /// CometBFT's RPC URL.
    pub cometbft_rpc: String,
}

/// Bound but not yet serving.
pub struct Bound {
    rpc: CometRpc,
    rest: Option<(SocketAddr, TcpListener)>,
    grpc: Option<(SocketAddr, TcpListener)>,
}

async fn bind(addr: Option<SocketAddr>, what: &str) -> Result<Option<(SocketAddr, TcpListener)>> {
    match addr {
        None => Ok(None),
        Some(addr) => {
            let listener = TcpListener::bind(addr)
                .await
                .with_context(|| format!("{what} address {addr} is not free"))?;
            let local = listener.local_addr().unwrap_or(addr);
            Ok(Some((local, listener)))
        }
    }
}

pub async fn bind_all(config: ClientApiConfig) -> Result<Bound> {
    let rpc = CometRpc::new(&config.cometbft_rpc)
        .with_context(|| format!("CometBFT RPC URL {:?}", config.cometbft_rpc))?;
    let rest = bind(config.rest, "REST").await?;
    let grpc = bind(config.grpc, "gRPC").await?;
    Ok(Bound { rpc, rest, grpc })
}

impl Bound {
    pub fn rest_addr(&self) -> Option<SocketAddr> {
        self.rest.as_ref().map(|(a, _)| *a)
    }
    pub fn grpc_addr(&self) -> Option<SocketAddr> {
        self.grpc.as_ref().map(|(a, _)| *a)
    }

    /// Start serving committed state from `storage`.
    pub fn serve(self, chain: ChainView) -> Running {
        let token = CancellationToken::new();
        let rest = self.rest.map(|(addr, listener)| {
            let state = RestState {
                chain: chain.clone(),
                rpc: self.rpc.clone(),
            };
            let task = tokio::spawn(rest::serve(listener, state, token.clone()));
            (
                addr,
                tokio::spawn(async move {
                    match task.await {
                        Ok(Ok(())) => Ok(()),
                        Ok(Err(e)) => Err(anyhow::anyhow!("REST server on {addr}: {e}")),
                        Err(e) => Err(anyhow::anyhow!("REST server on {addr}: {e}")),
                    }
                }),
            )
        });
        let grpc = self.grpc.map(|(addr, listener)| {
            let state = GrpcState {
                chain,
                rpc: self.rpc.clone(),
            };
            let task = tokio::spawn(grpc::serve(listener, state, token.clone()));
            (
                addr,
                tokio::spawn(async move {
                    match task.await {
                        Ok(Ok(())) => Ok(()),
                        Ok(Err(e)) => Err(anyhow::anyhow!("gRPC server on {addr}: {e}")),
                        Err(e) => Err(anyhow::anyhow!("gRPC server on {addr}: {e}")),
                    }
                }),
            )
        });
        Running {
            token,
            tasks: rest.into_iter().chain(grpc).map(|(_, t)| t).collect(),
        }
    }
}

/// The servers, running.
pub struct Running {
    token: CancellationToken,
    tasks: Vec<JoinHandle<Result<()>>>,
}

impl Running {
    /// Resolves when a server stops on its own (an error; they only stop when told).
    pub async fn stopped(&mut self) -> anyhow::Error {
        loop {
            if let Some(i) = self.tasks.iter().position(JoinHandle::is_finished) {
                let task = self.tasks.swap_remove(i);
                return match task.await {
                    Ok(Err(e)) => e,
                    Ok(Ok(())) => anyhow::anyhow!("a client API server stopped"),
                    Err(e) => anyhow::anyhow!("a client API server task failed: {e}"),
                };
            }
            if self.tasks.is_empty() {
                return std::future::pending().await;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Stop serving (in-flight requests get up to 5 s).
    pub async fn shutdown(self) {
        self.token.cancel();
        for task in self.tasks {
            if tokio::time::timeout(Duration::from_secs(5), task)
                .await
                .is_err()
            {
                tracing::warn!("a client API server did not stop within 5s");
            }
        }
    }
}
