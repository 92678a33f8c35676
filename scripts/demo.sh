#!/usr/bin/env bash
# The whole OpenLedger loop, from a Datanet contribution to OPEN in a contributor's wallet, on
# your machine: starts a dev chain (real CometBFT), deploys the contracts, starts three
# openledger-attester daemons and walks the story (clients/ts/demo.mjs), ending with an
# attribution receipt. Run scripts/setup.sh once first.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PATH="$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin:$PATH"

usage() {
  cat <<'USAGE'
Usage: scripts/demo.sh [options]

Starts a throw-away dev chain, deploys every contract, runs three attesters and the story.

Options:
  --home DIR        work directory (default .openledger/demo; wiped first)
  --rpc URL         use this running chain instead of starting one (needs --contracts)
  --contracts FILE  its addresses file from scripts/deploy.sh
  --liar            the third attester commits a wrong result (and is slashed)
  --crash           kill -9 the second attester after its commit, then restart it
  --receipt FILE    where the receipt JSON goes (default DIR/receipt.json)
  --debug           use debug builds (faster to build, slower to run)
  --bin-dir DIR     use the openledgerd and openledger-attester already in DIR (no build)
  --keep            leave the dev chain running at the end (Ctrl-C stops it)
  -h, --help        this text

Ports of the demo chain: RPC 16657, P2P 16656, ABCI 16658, REST 16317, gRPC 16090.
USAGE
}

home="$ROOT/.openledger/demo"
rpc="" contracts="" profile=release keep=0 bin=""
story=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --home) home="$2"; shift 2 ;;
    --rpc) rpc="$2"; shift 2 ;;
    --contracts) contracts="$2"; shift 2 ;;
    --liar|--crash) story+=("$1"); shift ;;
    --receipt) story+=(--receipt "$2"); shift 2 ;;
    --debug) profile=debug; shift ;;
    --bin-dir) bin="$(cd "$2" && pwd)"; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "demo: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [[ -n "$rpc" && -z "$contracts" ]]; then
  echo "demo: --rpc needs --contracts (the chain's scripts/deploy.sh addresses file)" >&2
  exit 2
fi
model="$(scripts/fetch-models.sh --check)" || { echo "demo: the SmolLM2 model is not cached; run scripts/setup.sh" >&2; exit 1; }
[[ -f clients/ts/dist/index.js ]] || { echo "demo: clients/ts is not built; run scripts/setup.sh" >&2; exit 1; }

if [[ -z "$bin" ]]; then
  build_args=(--locked)
  [[ "$profile" == release ]] && build_args+=(--release)
  echo "demo: building openledgerd and openledger-attester ($profile)"
  # One package per build, so each reuses what its own earlier builds made.
  cargo build -q "${build_args[@]}" -p openledger-node --bin openledgerd
  cargo build -q "${build_args[@]}" -p openledger-attester --bin openledger-attester
  bin="$ROOT/target/$profile"
fi
for b in openledgerd openledger-attester; do
  [[ -x "$bin/$b" ]] || { echo "demo: $bin/$b is missing" >&2; exit 1; }
done

rm -rf "$home"
mkdir -p "$home"
DEV_CHAIN_PID=""
cleanup() {
  if [[ -n "$DEV_CHAIN_PID" ]]; then
    kill -TERM "$DEV_CHAIN_PID" 2>/dev/null || true
    wait "$DEV_CHAIN_PID" 2>/dev/null || true
  fi
}
trap cleanup EXIT

if [[ -z "$rpc" ]]; then
  [[ -f artifacts/open_token.wasm ]] || { echo "demo: building the contracts (scripts/build-contracts.sh)"; scripts/build-contracts.sh; }
  rpc="http://127.0.0.1:16657"
  log="$home/chain.log"
  echo "demo: starting a dev chain in $home/node (log: $log)"
  # shellcheck source=lib/dev-chain.sh
  source scripts/lib/dev-chain.sh
  start_dev_chain "$bin/openledgerd" "$home/node" "$log" 16657 16656 16658 16317 16090
  contracts="$home/contracts.json"
  echo "demo: deploying the contracts"
  scripts/deploy.sh --rpc "$rpc" --out "$contracts"
fi

node clients/ts/demo.mjs --rpc "$rpc" --contracts "$contracts" --home "$home" --model "$model" \
  --attester-bin "$bin/openledger-attester" "${story[@]}"

if [[ "$keep" == 1 && -n "$DEV_CHAIN_PID" ]]; then
  echo "demo: the chain keeps running at $rpc (Ctrl-C stops it)"
  wait "$DEV_CHAIN_PID"
fi
