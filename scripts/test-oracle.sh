#!/usr/bin/env bash
# Test the GPU oracle: install Mesa lavapipe if needed (idempotent), then `cargo test -p gpu-oracle -p openledger-content
# -p openledger-attester -p openledger-serve` (the kernels, the attester daemon, the inference gateway).
# GPU tests FAIL without an adapter; set GPU_ORACLE_SKIP_GPU_TESTS=1 to skip them explicitly.
#
# Usage: scripts/test-oracle.sh [extra cargo test args...]
# Env:   CARGO_TARGET_DIR, CARGO_BUILD_JOBS   honoured as usual
#        OPENLEDGER_SKIP_GPU_SETUP=1         do not run scripts/setup-gpu.sh
#        GPU_ORACLE_TEST_PROFILE=release     test an optimised build (default: dev; the dev profile
#                                            already builds dependencies at opt-level 1 and the
#                                            tests run in well under a second, so dev is faster
#                                            overall)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

"$ROOT/scripts/setup-gpu.sh"

# Mesa warns "XDG_RUNTIME_DIR is invalid" when it is unset; any writable dir will do.
if [[ -z "${XDG_RUNTIME_DIR:-}" || ! -w "${XDG_RUNTIME_DIR}" ]]; then
  XDG_RUNTIME_DIR="$(mktemp -d)"
  export XDG_RUNTIME_DIR
  trap 'rm -rf "$XDG_RUNTIME_DIR"' EXIT
fi

profile_args=()
if [[ "${GPU_ORACLE_TEST_PROFILE:-dev}" == "release" ]]; then
  profile_args=(--release)
fi

echo "test-oracle: cargo test -p gpu-oracle -p openledger-content -p openledger-attester -p openledger-serve ${profile_args[*]} $*"
cargo test -p gpu-oracle -p openledger-content -p openledger-attester -p openledger-serve --no-fail-fast "${profile_args[@]}" "$@"
