#!/usr/bin/env bash
# The node's fuzz targets (abci-app/tests/fuzz_surfaces.rs) for a long run outside CI, in a
# release build: 10 million inputs in all by default, spread by each target's speed.
#   scripts/fuzz-node.sh [SCALE]    SCALE multiplies every count (default 1; 0.01 for a quick look)
#   OPENLEDGER_FUZZ_SEED=S          another seed (each run with the same seed is the same run)
# CI runs the same targets with a few thousand inputs each, in the node's test section.
set -euo pipefail
cd "$(dirname "$0")/.."
scale="${1:-1}"
count() { awk -v n="$1" -v s="$scale" 'BEGIN { printf "%d", n * s }'; }
export OPENLEDGER_FUZZ_INPUTS_ABCI_QUERIES="$(count 4000000)"
export OPENLEDGER_FUZZ_INPUTS_TX_BYTES="$(count 3000000)"
export OPENLEDGER_FUZZ_INPUTS_REST_REQUESTS="$(count 1500000)"
export OPENLEDGER_FUZZ_INPUTS_GRPC_REQUESTS="$(count 500000)"
export OPENLEDGER_FUZZ_INPUTS_SIGNED_MSGS="$(count 500000)"
export OPENLEDGER_FUZZ_INPUTS_IBC_PACKETS="$(count 500000)"
echo "fuzz-node: $(( OPENLEDGER_FUZZ_INPUTS_ABCI_QUERIES + OPENLEDGER_FUZZ_INPUTS_TX_BYTES \
  + OPENLEDGER_FUZZ_INPUTS_REST_REQUESTS + OPENLEDGER_FUZZ_INPUTS_GRPC_REQUESTS \
  + OPENLEDGER_FUZZ_INPUTS_SIGNED_MSGS + OPENLEDGER_FUZZ_INPUTS_IBC_PACKETS )) inputs, seed ${OPENLEDGER_FUZZ_SEED:-default}"
# One target at a time so each one's rate is its own; --nocapture shows each report line.
cargo test --release --locked -p openledger-node --test fuzz_surfaces -- --nocapture --test-threads 1
