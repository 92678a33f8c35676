//! What a node's public endpoints may cost it. Queries are free to send, and one can run a
//! contract to its 3M smart-query gas or a simulation to its 25M gas cap, so every query from
//! REST, gRPC and CometBFT's `abci_query` runs through one [`QueryGate`]: a few at a time (by
//! default one fewer than the machine's cores, so block execution keeps a core of its own),
//! a bounded queue behind them that waits a bounded time, and a clear "busy" answer past
//! that. A query whose client has gone away still holds its place until its gas runs out, so
//! abandoned work cannot pile up either.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::config::QueryConfig;

/// How long a query waits for a free worker before it is answered "busy".
pub const QUEUE_WAIT: Duration = Duration::from_secs(10);

/// The gate refused or lost a query.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GateError {
    #[error("node busy: {running} queries running and {waiting} waiting; retry later")]
    Busy { running: usize, waiting: usize },
    #[error("query task failed: {0}")]
    Failed(String),
}

impl GateError {
    /// ABCI `Query` answers carry this code (codespace [`GateError::CODESPACE`]); no SDK
    /// code means "try again later".
    pub const ABCI_CODE: u32 = 1;
    pub const CODESPACE: &'static str = "openledger-query";
}

#[derive(Clone)]
pub struct QueryGate {
    inner: Arc<Inner>,
}

struct Inner {
    workers: Arc<Semaphore>,
    max_running: usize,
    waiting: AtomicUsize,
    max_waiting: usize,
    wait: Duration,
}

impl std::fmt::Debug for QueryGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueryGate")
            .field("max_running", &self.inner.max_running)
            .field("max_waiting", &self.inner.max_waiting)
            .finish()
    }
}

/// Counts a query as waiting for as long as it lives (the future may be dropped mid-wait
/// when the client goes away or a server timeout fires).
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl QueryGate {
    pub fn new(max_running: usize, max_waiting: usize, wait: Duration) -> Self {
        let max_running = max_running.max(1);
        Self {
            inner: Arc::new(Inner {
                workers: Arc::new(Semaphore::new(max_running)),
                max_running,
                waiting: AtomicUsize::new(0),
                max_waiting,
                wait,
            }),
        }
    }

    /// `[query]` of app.toml; `max_concurrent = 0` means one fewer than the cores (at least 1).
    pub fn from_config(config: &QueryConfig) -> Self {
        let running = match config.max_concurrent {
            0 => std::thread::available_parallelism()
                .map(|n| n.get().saturating_sub(1))
                .unwrap_or(1),
            n => n,
        };
        Self::new(running, config.max_waiting, QUEUE_WAIT)
    }

    pub fn max_running(&self) -> usize {
        self.inner.max_running
    }

    fn busy(&self) -> GateError {
        GateError::Busy {
            running: self.inner.max_running - self.inner.workers.available_permits(),
            waiting: self.inner.waiting.load(Ordering::Acquire),
        }
    }

    /// Run `work` on the blocking pool once a worker is free.
    pub async fn run<T, F>(&self, work: F) -> Result<T, GateError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let inner = &self.inner;
        let permit = match Arc::clone(&inner.workers).try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                if inner.waiting.fetch_add(1, Ordering::AcqRel) >= inner.max_waiting {
                    inner.waiting.fetch_sub(1, Ordering::AcqRel);
                    return Err(self.busy());
                }
                let _waiting = Waiting(&inner.waiting);
                let acquire = Arc::clone(&inner.workers).acquire_owned();
                match tokio::time::timeout(inner.wait, acquire).await {
                    Ok(Ok(permit)) => permit,
                    Ok(Err(_)) => return Err(GateError::Failed("query gate closed".into())),
                    Err(_) => return Err(self.busy()),
                }
            }
        };
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            // Held until the work ends, even when nobody waits for the answer any more.
            let _permit = permit;
            span.in_scope(work)
        })
        .await
        .map_err(|e| GateError::Failed(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn runs_at_most_max_running_and_refuses_past_the_queue() {
        let gate = QueryGate::new(1, 1, Duration::from_secs(5));
        let (release, hold) = mpsc::channel::<()>();
        let (started_tx, started) = mpsc::channel::<()>();
        let first = {
            let gate = gate.clone();
            tokio::spawn(async move {
                gate.run(move || {
                    started_tx.send(()).ok();
                    hold.recv().ok();
                    1
                })
                .await
            })
        };
        started
            .recv_timeout(Duration::from_secs(5))
            .expect("first query runs");
        // One may wait behind it; a third is refused at once.
        let second = {
            let gate = gate.clone();
            tokio::spawn(async move { gate.run(|| 2).await })
        };
        while gate.inner.waiting.load(Ordering::Acquire) == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let third = gate.run(|| 3).await;
        assert_eq!(
            third,
            Err(GateError::Busy {
                running: 1,
                waiting: 1
            })
        );
        release.send(()).expect("release");
        assert_eq!(first.await.expect("join"), Ok(1));
        assert_eq!(second.await.expect("join"), Ok(2));
        assert_eq!(gate.inner.waiting.load(Ordering::Acquire), 0);
        assert_eq!(gate.inner.workers.available_permits(), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_query_that_waits_too_long_is_busy_and_leaves_the_queue() {
        let gate = QueryGate::new(1, 8, Duration::from_millis(50));
        let (release, hold) = mpsc::channel::<()>();
        let (started_tx, started) = mpsc::channel::<()>();
        let first = {
            let gate = gate.clone();
            tokio::spawn(async move {
                gate.run(move || {
                    started_tx.send(()).ok();
                    hold.recv().ok();
                })
                .await
            })
        };
        started
            .recv_timeout(Duration::from_secs(5))
            .expect("first query runs");
        assert!(matches!(gate.run(|| ()).await, Err(GateError::Busy { .. })));
        assert_eq!(gate.inner.waiting.load(Ordering::Acquire), 0);
        // A waiter dropped mid-wait (its client went away) leaves the queue too.
        let dropped = tokio::time::timeout(Duration::from_millis(10), gate.run(|| ())).await;
        assert!(dropped.is_err());
        assert_eq!(gate.inner.waiting.load(Ordering::Acquire), 0);
        release.send(()).expect("release");
        first.await.expect("join").expect("first");
        assert_eq!(gate.run(|| 7).await, Ok(7));
    }
}
