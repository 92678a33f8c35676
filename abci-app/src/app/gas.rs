//! Gas metering with the Cosmos SDK's default costs.

use super::error::TxError;

/// `KVGasConfig` defaults (SDK `store/types/gas.go`).
pub mod kv_costs {
    pub const HAS: u64 = 1000;
    pub const DELETE: u64 = 1000;
    pub const READ_FLAT: u64 = 1000;
    pub const READ_PER_BYTE: u64 = 3;
    pub const WRITE_FLAT: u64 = 2000;
    pub const WRITE_PER_BYTE: u64 = 30;
    pub const ITER_NEXT_FLAT: u64 = 30;
}

/// Gas one simulation may use in all. wasmd's `LimitSimulationGasDecorator` bounds a
/// simulation by the block gas limit; chains may have none (`max_gas: -1`; new ones have 30M),
/// so the bound is fixed here, below the block limit. Simulate is unsigned and fee-less: without a bound one request could
/// make the node compile wasm (3 gas per byte) or run contracts without end. 25M gas is about
/// 8 MB of wasm compiled.
pub const SIMULATION_GAS_LIMIT: u64 = 25_000_000;

/// Counts gas against a limit; consumption past the limit fails and leaves the meter full.
#[derive(Debug, Clone)]
pub struct GasMeter {
    limit: Option<u64>,
    consumed: u64,
}

impl GasMeter {
    pub fn new(limit: u64) -> Self {
        Self {
            limit: Some(limit),
            consumed: 0,
        }
    }

    /// A meter without limit (simulation, genesis).
    pub fn infinite() -> Self {
        Self {
            limit: None,
            consumed: 0,
        }
    }

    pub fn consumed(&self) -> u64 {
        self.consumed
    }

    pub fn limit(&self) -> Option<u64> {
        self.limit
    }

    pub fn consume(&mut self, amount: u64, location: &str) -> Result<(), TxError> {
        let next = self.consumed.saturating_add(amount);
        match self.limit {
            Some(limit) if next > limit => {
                self.consumed = next;
                Err(TxError::OutOfGas {
                    location: location.to_string(),
                    limit,
                    used: next,
                })
            }
            _ => {
                self.consumed = next;
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fails_past_limit_and_reports_usage() {
        let mut meter = GasMeter::new(100);
        assert!(meter.consume(60, "a").is_ok());
        let err = meter.consume(50, "write").unwrap_err();
        assert_eq!(err.code(), 11);
        assert!(err.to_string().contains("gasWanted: 100, gasUsed: 110"));
        let mut free = GasMeter::infinite();
        assert!(free.consume(u64::MAX, "x").is_ok());
        assert!(free.consume(1, "x").is_ok());
    }
}
