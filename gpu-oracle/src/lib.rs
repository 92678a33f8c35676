//! GPU attester (placeholder until the oracle lands).
