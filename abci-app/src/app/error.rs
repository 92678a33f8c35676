//! Errors that reach clients, with the Cosmos SDK's stable `(codespace, code)` pairs
//! (`types/errors/errors.go`, `x/bank/types/errors.go`), which cosmjs, Keplr and Hermes read.

/// A failed transaction or message. The `Display` text is the SDK's `"<detail>: <description>"`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxError {
    #[error("{0}: tx parse error")]
    TxDecode(String),
    #[error("{0}: invalid sequence")]
    InvalidSequence(String),
    #[error("{0}: unauthorized")]
    Unauthorized(String),
    #[error("{0}: insufficient funds")]
    InsufficientFunds(String),
    #[error("{0}: unknown request")]
    UnknownRequest(String),
    #[error("{0}: invalid address")]
    InvalidAddress(String),
    #[error("{0}: invalid pubkey")]
    InvalidPubKey(String),
    #[error("{0}: unknown address")]
    UnknownAddress(String),
    #[error("{0}: invalid coins")]
    InvalidCoins(String),
    #[error("out of gas in location: {location}; gasWanted: {limit}, gasUsed: {used}: out of gas")]
    OutOfGas {
        location: String,
        limit: u64,
        used: u64,
    },
    #[error("maximum number of characters is {max} but received {got} characters: memo too large")]
    MemoTooLarge { max: u64, got: usize },
    #[error("{0}: insufficient fee")]
    InsufficientFee(String),
    #[error("{0}: too many signatures")]
    TooManySignatures(String),
    #[error("no signatures supplied")]
    NoSignatures,
    #[error("{0}: invalid request")]
    InvalidRequest(String),
    #[error("{0}: tx too large")]
    TxTooLarge(String),
    #[error("{0}: tx timeout height")]
    TxTimeoutHeight(String),
    #[error("unknown extension options")]
    UnknownExtensionOptions,
    #[error("{0}: invalid gas limit")]
    InvalidGasLimit(String),
    #[error(
        "account sequence mismatch, expected {expected}, got {got}: incorrect account sequence"
    )]
    WrongSequence { expected: u64, got: u64 },
    #[error("{0}: feature not supported")]
    NotSupported(String),
    #[error("{0}: no inputs to send transaction")]
    BankNoInputs(String),
    #[error("{0}: no outputs to send transaction")]
    BankNoOutputs(String),
    #[error("{0}: sum inputs != sum outputs")]
    BankInputOutputMismatch(String),
    #[error("{0}: multiple senders not allowed")]
    BankMultipleSenders(String),
    /// An `x/wasm` error (codespace `wasm`, wasmd's `types/errors.go` codes and descriptions).
    #[error("{detail}: {description}")]
    Wasm {
        code: u32,
        description: &'static str,
        detail: String,
    },
}

impl TxError {
    pub fn codespace(&self) -> &'static str {
        match self {
            TxError::BankNoInputs(_)
            | TxError::BankNoOutputs(_)
            | TxError::BankInputOutputMismatch(_)
            | TxError::BankMultipleSenders(_) => "bank",
            TxError::Wasm { .. } => "wasm",
            _ => "sdk",
        }
    }

    pub fn code(&self) -> u32 {
        match self {
            TxError::TxDecode(_) => 2,
            TxError::InvalidSequence(_) => 3,
            TxError::Unauthorized(_) => 4,
            TxError::InsufficientFunds(_) => 5,
            TxError::UnknownRequest(_) => 6,
            TxError::InvalidAddress(_) => 7,
            TxError::InvalidPubKey(_) => 8,
            TxError::UnknownAddress(_) => 9,
            TxError::InvalidCoins(_) => 10,
            TxError::OutOfGas { .. } => 11,
            TxError::MemoTooLarge { .. } => 12,
            TxError::InsufficientFee(_) => 13,
            TxError::TooManySignatures(_) => 14,
            TxError::NoSignatures => 15,
            TxError::InvalidRequest(_) => 18,
            TxError::TxTooLarge(_) => 21,
            TxError::TxTimeoutHeight(_) => 30,
            TxError::UnknownExtensionOptions => 31,
            TxError::WrongSequence { .. } => 32,
            TxError::InvalidGasLimit(_) => 41,
            TxError::NotSupported(_) => 37,
            TxError::BankNoInputs(_) => 2,
            TxError::BankNoOutputs(_) => 3,
            TxError::BankInputOutputMismatch(_) => 4,
            TxError::BankMultipleSenders(_) => 9,
            TxError::Wasm { code, .. } => *code,
        }
    }
}

/// A failed query, as the SDK maps gRPC status codes onto ABCI query responses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// gRPC `NotFound` → `ErrKeyNotFound` (sdk 22); cosmjs matches the log against `NotFound`.
    #[error("rpc error: code = NotFound desc = {0}: key not found")]
    NotFound(String),
    /// gRPC `InvalidArgument` → `ErrInvalidRequest` (sdk 18).
    #[error("rpc error: code = InvalidArgument desc = {0}: invalid request")]
    InvalidArgument(String),
    #[error("unknown query path {0}: unknown request")]
    UnknownPath(String),
    #[error("{0}: invalid height")]
    InvalidHeight(String),
    #[error("{0}: feature not supported")]
    Unsupported(String),
    #[error(transparent)]
    Tx(#[from] TxError),
}

impl QueryError {
    pub fn codespace(&self) -> &'static str {
        match self {
            QueryError::Tx(e) => e.codespace(),
            _ => "sdk",
        }
    }

    pub fn code(&self) -> u32 {
        match self {
            QueryError::NotFound(_) => 22,
            QueryError::InvalidArgument(_) => 18,
            QueryError::UnknownPath(_) => 6,
            QueryError::InvalidHeight(_) => 26,
            QueryError::Unsupported(_) => 37,
            QueryError::Tx(e) => e.code(),
        }
    }
}
