#!/usr/bin/env bash
# Start a throw-away `openledgerd dev` chain (real CometBFT child) on spare ports, deploy every
# contract on it (scripts/deploy.sh, needs artifacts/ from scripts/build-contracts.sh), and run the
# unmodified-cosmjs end-to-end suite against it; then runs the whole lifecycle on it
# (scripts/demo.sh --liar --crash: three attester daemons, one lying, one killed mid-job) and
# checks the receipt (lifecycle.test.mjs); then buys answers through the OpenAI API from
# openledger-serve on the same chain (inference.test.mjs); last, `openledgerd dev` itself on its own
# ports bringing up the whole system (contracts, an attester, the gateway) and an unmodified openai
# client buying an answer from it (dev-system.test.mjs). Used by scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
PATH="$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin:$PATH"

RPC_PORT="${E2E_RPC_PORT:-17657}"
REST_PORT="${E2E_REST_PORT:-17317}"
home="$(mktemp -d)"
log="$home/dev.log"
# The binaries the packages' own integration tests built (target/debug): `cargo build` would
# resolve features without the dev-dependencies and rebuild most of the tree.
cargo test -q --locked -p openledger-node --no-run
cargo test -q --locked -p gpu-oracle -p openledger-attester -p openledger-serve --no-run
DEV_CHAIN_PID=""
cleanup() {
  if [[ -n "$DEV_CHAIN_PID" ]]; then
    kill -TERM "$DEV_CHAIN_PID" 2>/dev/null || true
    wait "$DEV_CHAIN_PID" 2>/dev/null || true
  fi
  rm -rf "$home"
}
trap cleanup EXIT
# shellcheck source=lib/dev-chain.sh
source scripts/lib/dev-chain.sh
start_dev_chain ./target/debug/openledgerd "$home/node" "$log" "$RPC_PORT" "${E2E_P2P_PORT:-17656}" \
  "${E2E_ABCI_PORT:-17658}" "$REST_PORT" "${E2E_GRPC_PORT:-17090}"

scripts/deploy.sh --rpc "http://127.0.0.1:$RPC_PORT" --out "$home/contracts.json"

export OPENLEDGER_E2E=1 OPENLEDGER_RPC="http://127.0.0.1:$RPC_PORT" OPENLEDGER_REST="http://127.0.0.1:$REST_PORT" \
  OPENLEDGER_CONTRACTS="$home/contracts.json" OPENLEDGER_RECEIPT="$home/receipt.json" \
  OPENLEDGER_ATTESTER_BIN="$PWD/target/debug/openledger-attester"
(cd scripts/e2e && npm run --silent test:e2e)

echo "e2e: the lifecycle story (scripts/demo.sh --liar --crash) on the same chain"
if ! scripts/demo.sh --bin-dir target/debug --rpc "$OPENLEDGER_RPC" --contracts "$OPENLEDGER_CONTRACTS" \
  --home "$home/demo" --liar --crash --receipt "$OPENLEDGER_RECEIPT"; then
  for f in "$home"/demo/attester-*/attester.log; do
    echo "--- $f (last 40 lines)" >&2
    tail -n 40 "$f" >&2 || true
  done
  exit 1
fi
(cd scripts/e2e && npm run --silent test:lifecycle)

echo "e2e: answers bought through the OpenAI API (unmodified openai npm) from openledger-serve, paid from credit, attributed by the same attesters"
OPENLEDGER_DEMO_HOME="$home/demo" OPENLEDGER_SERVE_BIN="$PWD/target/debug/openledger-serve" \
  OPENLEDGER_MODEL="$(scripts/fetch-models.sh --check)" OPENLEDGER_SERVE_PORT="${E2E_SERVE_PORT:-17800}" \
  bash -c 'cd scripts/e2e && npm run --silent test:inference'

# That chain is done with; its CPU goes to the next one.
kill -TERM "$DEV_CHAIN_PID" 2>/dev/null || true
wait "$DEV_CHAIN_PID" 2>/dev/null || true
DEV_CHAIN_PID=""
echo "e2e: openledgerd dev brings up the whole system (contracts deployed and set up, an attester, the gateway); the openai npm client buys an answer from it"
OPENLEDGERD_BIN="$PWD/target/debug/openledgerd" E2E_SYSTEM_PORT_BASE="${E2E_SYSTEM_PORT_BASE:-23000}" \
  bash -c 'cd scripts/e2e && node --test --test-reporter=spec dev-system.test.mjs'
