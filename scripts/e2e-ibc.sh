#!/usr/bin/env bash
# IBC end to end: two throw-away `openledgerd dev` chains (real CometBFT) joined by a Hermes-relayed ICS-20
# transfer channel (scripts/ibc-two-chains.sh --env-out), then the cosmjs suite scripts/e2e/ibc.test.mjs
# (`npm run test:ibc`): A -> B transfer and escrow, the voucher back B -> A, the same over the amino
# (Keplr / Ledger) sign mode, a timed-out packet refunded after Hermes restarts, `hermes health-check`, a
# contract-owned channel (ping/pong, IbcMsg::Transfer, IbcMsg::CloseChannel) and CW20 OPEN over cw20-ics20.
# Stops Hermes and both chains on exit, whatever happened; on failure shows the tails of their logs.
#
#   scripts/e2e-ibc.sh             builds target/debug/openledgerd (cargo test --no-run), installs Hermes if
#                                  missing (scripts/lib/hermes.sh ensure_hermes), runs the suite
#   scripts/e2e-ibc.sh --keep      keep the chain homes and logs (printed at the end)
#
# Ports: chain A on 18xxx, chain B on 19xxx (E2E_IBC_A_PORT_BASE / E2E_IBC_B_PORT_BASE, default 18000 / 19000;
# see scripts/ibc-two-chains.sh). Used by scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
PATH="$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin:$PATH"

keep=0
case "${1:-}" in
  "") ;;
  --keep) keep=1 ;;
  -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "usage: $0 [--keep]" >&2; exit 2 ;;
esac

# The binary the package's own integration tests built (target/debug), as scripts/e2e-dev.sh does.
cargo test -q --locked -p openledger-node --no-run
# CW20 OPEN for the cw20-ics20 test (scripts/test.sh has built it in its contracts step).
[[ -f artifacts/open_token.wasm ]] || { echo "e2e-ibc: building the contracts (scripts/build-contracts.sh)"; scripts/build-contracts.sh; }
# shellcheck source=lib/hermes.sh
source scripts/lib/hermes.sh
ensure_hermes --nice "${OPENLEDGER_SETUP_NICE:-10}"
export HERMES

home="$(mktemp -d -t openledger-e2e-ibc.XXXXXX)"
env_file="$home/ibc.env"
ok=0
cleanup() {
  local rc=$?
  trap - EXIT
  if [[ -d "$home/pids" ]]; then
    scripts/ibc-two-chains.sh --stop --home "$home" || true
  fi
  if [[ "$ok" != 1 ]]; then
    for f in "$home/hermes/create-channel.log" "$home/hermes/hermes.log" "$home/a/node.log" "$home/b/node.log" \
      "$home/a/node/cometbft.log" "$home/b/node/cometbft.log"; do
      [[ -s "$f" ]] || continue
      echo "--- $f (last 40 lines)" >&2
      tail -n 40 "$f" >&2 || true
    done
  fi
  if [[ "$keep" == 1 || "$ok" != 1 ]]; then
    echo "e2e-ibc: chain homes and logs kept in $home" >&2
  else
    rm -rf "$home"
  fi
  exit "$rc"
}
trap cleanup EXIT

scripts/ibc-two-chains.sh --home "$home" --bin-dir target/debug --env-out "$env_file" \
  --a-port-base "${E2E_IBC_A_PORT_BASE:-18000}" --b-port-base "${E2E_IBC_B_PORT_BASE:-19000}"

set -a
# shellcheck disable=SC1090
source "$env_file"
set +a
export OPENLEDGER_E2E=1
(cd scripts/e2e && npm run --silent test:ibc)
ok=1
