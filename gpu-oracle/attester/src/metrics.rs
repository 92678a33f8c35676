//! Prometheus metrics (text exposition format 0.0.4) on `GET /metrics`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::error::{AttesterError, Result};

macro_rules! metrics {
    ($($(#[doc = $help:literal])* $kind:ident $name:ident),* $(,)?) => {
        /// Counters and gauges of one daemon.
        #[derive(Debug, Default)]
        pub struct Metrics {
            $(pub $name: AtomicU64,)*
        }

        impl Metrics {
            /// The exposition text.
            pub fn render(&self) -> String {
                let mut out = String::new();
                $(
                    let help = concat!($($help),*).trim();
                    let name = concat!("openledger_attester_", stringify!($name));
                    out.push_str(&format!(
                        "# HELP {name} {help}\n# TYPE {name} {}\n{name} {}\n",
                        stringify!($kind),
                        self.$name.load(Ordering::Relaxed)
                    ));
                )*
                out
            }
        }
    };
}

metrics! {
    /// Jobs assigned to this attester that it has seen.
    counter jobs_seen_total,
    /// Attestations computed (results journaled).
    counter jobs_computed_total,
    /// Inferences whose token counts or answer did not check (attested as rejected).
    counter inferences_rejected_total,
    /// Answers replayed and found to be the model's.
    counter inferences_verified_total,
    /// Passes that found a job's input not there yet (it is looked for again on the next).
    counter inputs_pending_total,
    /// Jobs attested "inputs unavailable": an input never found, or more bytes than the
    /// escrow's max_job_bytes.
    counter inputs_unavailable_total,
    /// Commit transactions included.
    counter commits_total,
    /// Reveal transactions included.
    counter reveals_total,
    /// Tally or Settle transactions this attester sent as the job's keeper.
    counter keeper_txs_total,
    /// Jobs this attester could not attest (unsupported, inputs missing, no influence).
    counter jobs_failed_total,
    /// Transactions the chain refused or failed.
    counter tx_errors_total,
    /// Polls that failed to reach or read the chain (retried with backoff).
    counter chain_errors_total,
    /// Milliseconds spent computing attributions.
    counter compute_milliseconds_total,
    /// Latest block height seen.
    gauge chain_height,
    /// Jobs in the journal not yet finished.
    gauge jobs_in_flight,
}

impl Metrics {
    pub fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
    pub fn set(gauge: &AtomicU64, v: u64) {
        gauge.store(v, Ordering::Relaxed);
    }
}

/// Serves `GET /metrics` until the task is dropped.
pub async fn serve(addr: SocketAddr, metrics: Arc<Metrics>) -> Result<tokio::task::JoinHandle<()>> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| AttesterError::io(format!("metrics address {addr}"), e))?;
    Ok(tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let metrics = metrics.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req: Request<hyper::body::Incoming>| {
                    let metrics = metrics.clone();
                    async move {
                        let resp = if req.uri().path() == "/metrics" {
                            Response::builder()
                                .header("content-type", "text/plain; version=0.0.4")
                                .body(Full::new(Bytes::from(metrics.render())))
                        } else {
                            Response::builder()
                                .status(StatusCode::NOT_FOUND)
                                .body(Full::new(Bytes::from_static(b"try /metrics\n")))
                        };
                        Ok::<_, Infallible>(resp.unwrap_or_default())
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_names_types_and_values() {
        let m = Metrics::default();
        Metrics::inc(&m.commits_total);
        Metrics::inc(&m.commits_total);
        Metrics::set(&m.chain_height, 42);
        let text = m.render();
        assert!(text.contains("# TYPE openledger_attester_commits_total counter\nopenledger_attester_commits_total 2\n"), "{text}");
        assert!(text.contains("# TYPE openledger_attester_chain_height gauge\nopenledger_attester_chain_height 42\n"), "{text}");
        assert!(
            text.contains("# HELP openledger_attester_reveals_total Reveal transactions included."),
            "{text}"
        );
    }
}
