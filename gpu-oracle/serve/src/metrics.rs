//! Prometheus metrics (`GET /metrics`, text exposition format).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// Labels of [`Metrics::requests`].
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// `chat.completions`, `completions`, `models`.
    pub endpoint: String,
    /// HTTP status code.
    pub status: u16,
}

/// Every metric the gateway exports.
pub struct Metrics {
    registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub prompt_tokens: Counter,
    pub completion_tokens: Counter,
    /// Streams whose client went away before the answer ended.
    pub cancelled: Counter,
    pub queue_depth: Gauge,
    pub active_sequences: Gauge,
    pub queue_wait: Histogram,
    pub time_to_first_token: Histogram,
    pub time_per_token: Histogram,
    /// Attribution jobs opened in the escrow for answers.
    pub jobs_opened: Counter,
    /// Answers whose job could not be opened (credit, chain errors).
    pub payment_failures: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("openledger_serve");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "requests",
            "HTTP requests by endpoint and status",
            requests.clone(),
        );
        let prompt_tokens = Counter::default();
        registry.register(
            "prompt_tokens",
            "Prompt tokens admitted",
            prompt_tokens.clone(),
        );
        let completion_tokens = Counter::default();
        registry.register(
            "completion_tokens",
            "Tokens generated",
            completion_tokens.clone(),
        );
        let cancelled = Counter::default();
        registry.register(
            "cancelled",
            "Answers stopped because the client went away",
            cancelled.clone(),
        );
        let queue_depth = Gauge::default();
        registry.register(
            "queue_depth",
            "Requests waiting for a sequence slot",
            queue_depth.clone(),
        );
        let active_sequences = Gauge::default();
        registry.register(
            "active_sequences",
            "Sequences being decoded",
            active_sequences.clone(),
        );
        // 1 ms … ~33 s.
        let seconds = || Histogram::new(exponential_buckets(0.001, 2.0, 16));
        let queue_wait = seconds();
        registry.register(
            "queue_wait_seconds",
            "Time from request to sequence slot",
            queue_wait.clone(),
        );
        let time_to_first_token = seconds();
        registry.register(
            "time_to_first_token_seconds",
            "Time from request to its first generated token",
            time_to_first_token.clone(),
        );
        let time_per_token = seconds();
        registry.register(
            "time_per_output_token_seconds",
            "Time between consecutive generated tokens of one answer",
            time_per_token.clone(),
        );
        let jobs_opened = Counter::default();
        registry.register(
            "jobs_opened",
            "Attribution jobs opened for answers",
            jobs_opened.clone(),
        );
        let payment_failures = Counter::default();
        registry.register(
            "payment_failures",
            "Answers whose attribution job could not be opened",
            payment_failures.clone(),
        );
        Metrics {
            registry,
            requests,
            prompt_tokens,
            completion_tokens,
            cancelled,
            queue_depth,
            active_sequences,
            queue_wait,
            time_to_first_token,
            time_per_token,
            jobs_opened,
            payment_failures,
        }
    }

    /// Counts one finished HTTP request.
    pub fn request(&self, endpoint: &str, status: u16) {
        self.requests
            .get_or_create(&RequestLabels {
                endpoint: endpoint.to_owned(),
                status,
            })
            .inc();
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}
