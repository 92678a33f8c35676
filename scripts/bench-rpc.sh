#!/usr/bin/env bash
# Load run: bank txs through CometBFT's RPC on an `openledgerd dev` chain (committed txs/s,
# p50/p95 inclusion latency) next to in-process FinalizeBlock throughput, same run.
set -euo pipefail
cd "$(dirname "$0")/.."
PATH="$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin:$PATH"
export PATH
exec cargo bench -p openledger-node --bench rpc_load "$@"
