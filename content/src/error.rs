/// A kubo daemon that did not answer, or answered something unusable (not: content it could
/// not find, which is [`crate::Fetched::NotFound`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("IPFS daemon {url}: {message}")]
pub struct IpfsError {
    pub url: String,
    pub message: String,
}

pub type Result<T, E = IpfsError> = std::result::Result<T, E>;

/// `e` and its sources: hyper's own message ("client error (Connect)") hides the reason (a
/// refused connection, a reset) in the source chain.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        s.push_str(": ");
        s.push_str(&cause.to_string());
        source = cause.source();
    }
    s
}
