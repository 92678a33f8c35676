#!/usr/bin/env bash
# Upload, instantiate and wire every OpenLedger contract on a running chain; writes the
# addresses to .openledger/contracts-<chain-id>.json (see --help). Needs the wasm artifacts
# (scripts/build-contracts.sh) and the clients/ts package (scripts/setup.sh installs it).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[[ -f "$ROOT/clients/ts/dist/index.js" ]] || { echo "deploy: clients/ts is not built; run scripts/setup.sh" >&2; exit 1; }
exec node "$ROOT/clients/ts/deploy.mjs" "$@"
