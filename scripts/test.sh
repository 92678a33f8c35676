#!/usr/bin/env bash
# The whole test suite, on a fresh machine or a warm one: installs what is missing
# (scripts/setup.sh), then runs every part. `.ci/run` calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# One clean pass: incremental caches only cost disk here.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
PATH="$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin:$PATH"
export PATH

start=$(date +%s)
section() {
  printf '\n=== %s (%ds elapsed, %s free on disk) ===\n' "$*" "$(( $(date +%s) - start ))" \
    "$(df -h --output=avail . 2>/dev/null | tail -1 | tr -d ' ')"
}

section "setup"
scripts/setup.sh

# Contracts first: their wasm artifacts are what the node's check_wasm test and the e2e deploy use.
section "contracts: unit, multi-test, property tests, schemas, wasm build"
scripts/test-contracts.sh

section "node (openledgerd): unit, conformance, crash-safety, determinism, wasm, property tests"
OPENLEDGER_REQUIRE_ARTIFACTS=1 cargo test -p openledger-node --locked
# The IBC test contract's own unit tests (its committed wasm is what the node and e2e tests run).
(cd abci-app/tests/wasm-contracts && cargo test --locked -p test-ibc-ping)

section "gpu-oracle: kernels (GPU == CPU), attribution, GGUF inference on lavapipe, the OpenAI-compatible gateway"
scripts/test-oracle.sh

section "client tooling (cosmjs fixtures, Keplr chain info, generated contract clients)"
(cd scripts/e2e && npm run --silent test:offline)
(cd clients/ts && npm run --silent check-codegen && npm run --silent build)

section "end to end: unmodified cosmjs against openledgerd dev (real CometBFT), the lifecycle with three attester daemons, then answers bought with the unmodified openai SDK from openledger-serve"
scripts/e2e-dev.sh

section "end to end: IBC between two dev chains relayed by unmodified Hermes (ICS-20 there and back, amino, timeout refund, contract-owned channel, CW20 OPEN over cw20-ics20)"
scripts/e2e-ibc.sh

section "done"
