use std::path::PathBuf;

/// Errors of the attester library; the binary reports them with context.
#[derive(Debug, thiserror::Error)]
pub enum AttesterError {
    #[error("config {path}: {message}")]
    Config { path: PathBuf, message: String },
    #[error("key file {path}: {message}")]
    Keys { path: PathBuf, message: String },
    #[error("I/O on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The chain could not be reached or answered something unreadable; retried with backoff.
    #[error("chain RPC {url}: {message}")]
    Rpc { url: String, message: String },
    /// A query the chain answered with an error code.
    #[error("query {path} failed (code {code}): {log}")]
    Query {
        path: String,
        code: u32,
        log: String,
    },
    /// A transaction the chain refused (CheckTx) or executed with an error (DeliverTx).
    #[error("tx {what} failed (code {code}{}): {log}", .hash.as_ref().map(|h| format!(", hash {h}")).unwrap_or_default())]
    Tx {
        what: String,
        code: u32,
        log: String,
        hash: Option<String>,
    },
    #[error("tx {hash} was not included within {seconds}s")]
    TxTimeout { hash: String, seconds: u64 },
    #[error("content {hash}: {message}")]
    Content { hash: String, message: String },
    /// No content directory holds these bytes (as opposed to bytes that do not match their
    /// hash, a `Content` error): for a job's inputs, the "inputs unavailable" result.
    #[error("content {hash}: not found in {searched}")]
    ContentNotFound { hash: String, searched: String },
    /// A file larger than the caller allows, refused unread.
    #[error("content {hash}: {bytes} bytes, more than the {max} allowed")]
    ContentTooLarge { hash: String, bytes: u64, max: u64 },
    /// The kubo daemon did not answer, or answered something unusable (not: content it could
    /// not find, which is `ContentNotFound`). The job is looked at again on the next pass, never
    /// attested "inputs unavailable" for it: the fault is this attester's own node.
    #[error(transparent)]
    Ipfs(#[from] openledger_content::IpfsError),
    #[error("job {job_id}: {message}")]
    Job { job_id: u64, message: String },
    /// The job's inputs (rows the chain lists and the output) exceed this attester's
    /// `max_job_bytes`; it does not fetch them.
    #[error(
        "job {job_id}: its inputs are {bytes} bytes or more, this attester takes at most {max}"
    )]
    JobTooLarge { job_id: u64, bytes: u64, max: u64 },
    /// An input is not here yet; the job is looked at again on the next pass, until close to
    /// the commit deadline, and only then attested as unavailable.
    #[error("job {job_id}: content {hash} not found yet; looking again until height {until}")]
    InputsPending {
        job_id: u64,
        hash: String,
        until: u64,
    },
    #[error("model {path}: {message}")]
    Model { path: PathBuf, message: String },
    #[error(transparent)]
    Oracle(#[from] gpu_oracle::OracleError),
    #[error(transparent)]
    Llm(#[from] gpu_oracle::LlmError),
}

impl AttesterError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        AttesterError::Io {
            path: path.into(),
            source,
        }
    }

    /// True for failures worth retrying as they are (network, chain restarting, tx not yet
    /// included); false for answers that will not change by asking again.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            AttesterError::Rpc { .. } | AttesterError::TxTimeout { .. } | AttesterError::Ipfs(_)
        ) || matches!(self, AttesterError::Tx { code: 32, .. }) // wrong sequence: refetch, retry
    }
}

pub type Result<T, E = AttesterError> = std::result::Result<T, E>;
