//! The ABCI++ (v0.38 wire) server over tower-abci.
//!
//! One [`AbciService`] owns the [`App`]; `split::service` serialises the consensus, mempool and
//! snapshot connections onto it, consensus first. Info and Query are answered by
//! [`InfoService`] from committed state, off that worker: a query is free to send (a smart
//! query runs up to 3M gas, a simulation 25M, a count scans a prefix) and must not delay the
//! block, so Query takes its turn at the node's [`QueryGate`] with REST's and gRPC's. A service error would make tower-abci drop the connection and CometBFT
//! halt, so every request gets a response.

use std::future::{ready, Future, Ready};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tendermint::abci::Code;
use tendermint::v0_38::abci::{request, response, InfoRequest, InfoResponse, Request, Response};
use tower::{Service, ServiceBuilder};
use tracing::debug;

use crate::app::App;
use crate::modules::wasm::WasmRuntime;
use crate::query;
use crate::server::limits::{GateError, QueryGate};
use crate::store::Storage;

pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

pub struct AbciService {
    app: App,
}

impl AbciService {
    pub fn new(app: App) -> Self {
        Self { app }
    }

    pub fn app(&self) -> &App {
        &self.app
    }

    pub fn handle(&mut self, req: Request) -> Response {
        match req {
            Request::Echo(echo) => Response::Echo(response::Echo {
                message: echo.message,
            }),
            Request::Flush => Response::Flush,
            Request::Info(req) => Response::Info(self.app.info(req)),
            Request::Query(req) => {
                Response::Query(query_response(self.app.storage(), self.app.wasm(), req))
            }
            Request::InitChain(req) => Response::InitChain(self.app.init_chain(req)),
            Request::CheckTx(req) => Response::CheckTx(self.app.check_tx(req)),
            Request::PrepareProposal(req) => {
                Response::PrepareProposal(self.app.prepare_proposal(req))
            }
            Request::ProcessProposal(req) => {
                Response::ProcessProposal(self.app.process_proposal(req))
            }
            Request::FinalizeBlock(req) => Response::FinalizeBlock(self.app.finalize_block(req)),
            Request::Commit => Response::Commit(self.app.commit()),
            Request::ExtendVote(_) => Response::ExtendVote(response::ExtendVote {
                vote_extension: Default::default(),
            }),
            Request::VerifyVoteExtension(_) => {
                Response::VerifyVoteExtension(response::VerifyVoteExtension::Accept)
            }
            // No state sync yet: offer nothing, refuse what is offered.
            Request::ListSnapshots => Response::ListSnapshots(Default::default()),
            Request::OfferSnapshot(_) => Response::OfferSnapshot(response::OfferSnapshot::Reject),
            Request::LoadSnapshotChunk(_) => Response::LoadSnapshotChunk(Default::default()),
            Request::ApplySnapshotChunk(_) => {
                Response::ApplySnapshotChunk(response::ApplySnapshotChunk {
                    result: tendermint::abci::response::ApplySnapshotChunkResult::Abort,
                    refetch_chunks: vec![],
                    reject_senders: vec![],
                })
            }
        }
    }
}

/// One ABCI Query against committed state.
fn query_response(
    storage: &Storage,
    wasm: Option<&Arc<WasmRuntime>>,
    req: request::Query,
) -> response::Query {
    let height = u64::try_from(req.height.value()).unwrap_or(0);
    match query::query_with_wasm(storage, wasm, &req.path, &req.data, height, req.prove) {
        Ok(answer) => response::Query {
            code: Code::Ok,
            key: answer.key.into(),
            value: answer.value.into(),
            proof: answer.proof,
            height: answer
                .height
                .try_into()
                .expect("heights stay below i64::MAX"),
            ..Default::default()
        },
        Err(e) => {
            debug!(path = %req.path, error = %e, "query failed");
            response::Query {
                code: Code::from(e.code()),
                log: e.to_string(),
                codespace: e.codespace().to_string(),
                height: req.height,
                ..Default::default()
            }
        }
    }
}

impl Service<Request> for AbciService {
    type Response = Response;
    type Error = BoxError;
    type Future = Ready<Result<Response, BoxError>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> Self::Future {
        ready(Ok(self.handle(req)))
    }
}

/// The info connection (Info, Query, Echo), answered from committed state: what the
/// consensus worker is doing never waits for it, nor it for the worker. Info (which CometBFT
/// needs to start) and Echo are cheap and answered at once; Query waits its turn at the gate.
#[derive(Clone)]
pub struct InfoService {
    storage: Storage,
    wasm: Option<Arc<WasmRuntime>>,
    gate: QueryGate,
}

impl InfoService {
    pub fn new(app: &App, gate: QueryGate) -> Self {
        Self {
            storage: app.storage().clone(),
            wasm: app.wasm().cloned(),
            gate,
        }
    }

    async fn answer(self, req: InfoRequest) -> InfoResponse {
        match req {
            InfoRequest::Info(req) => InfoResponse::Info(App::info_of(&self.storage, req)),
            InfoRequest::Query(req) => {
                let height = req.height;
                let (storage, wasm) = (self.storage, self.wasm);
                let answer = self
                    .gate
                    .run(move || query_response(&storage, wasm.as_ref(), req))
                    .await;
                InfoResponse::Query(answer.unwrap_or_else(|e| refused_query(e, height)))
            }
            InfoRequest::Echo(echo) => InfoResponse::Echo(response::Echo {
                message: echo.message,
            }),
        }
    }
}

fn refused_query(e: GateError, height: tendermint::block::Height) -> response::Query {
    debug!(error = %e, "query refused");
    response::Query {
        code: Code::from(GateError::ABCI_CODE),
        log: e.to_string(),
        codespace: GateError::CODESPACE.to_string(),
        height,
        ..Default::default()
    }
}

impl Service<InfoRequest> for InfoService {
    type Response = InfoResponse;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<InfoResponse, BoxError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: InfoRequest) -> Self::Future {
        let this = self.clone();
        let span = tracing::debug_span!("abci_info");
        Box::pin(tracing::Instrument::instrument(
            async move { Ok(this.answer(req).await) },
            span,
        ))
    }
}

/// Serve ABCI on `addr` until the listener fails; queries pass `gate`.
pub async fn serve(app: App, addr: SocketAddr, gate: QueryGate) -> Result<(), BoxError> {
    let info = InfoService::new(&app, gate);
    let (consensus, mempool, snapshot, _) =
        tower_abci::v038::split::service(AbciService::new(app), 1);
    let server = tower_abci::v038::Server::builder()
        .consensus(consensus)
        .mempool(ServiceBuilder::new().buffer(100).service(mempool))
        .info(ServiceBuilder::new().buffer(100).service(info))
        .snapshot(snapshot)
        .finish()
        .ok_or("incomplete ABCI server")?;
    server.listen_tcp(addr).await
}
