#!/usr/bin/env bash
# Whole contracts test suite: unit + multi-test + proptest (cargo test in contracts/, which also
# fails on stale schemas), the schema staleness check, and the wasm build of every contract.
# Exits non-zero on the first failure. Env: CARGO_BUILD_JOBS to limit parallelism;
# SKIP_WASM=1 to skip the wasm build (e.g. when artifacts are built in a separate CI step);
# CLIPPY=1 to also run clippy (-D warnings); CONTRACTS_TARGET_DIR (default contracts/target).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT/contracts"
# Own target dir (never the node's, even if CARGO_TARGET_DIR is exported for it).
export CARGO_TARGET_DIR="${CONTRACTS_TARGET_DIR:-$ROOT/contracts/target}"

echo "==> cargo fmt --check"
cargo fmt --all --check

echo "==> cargo test (contracts workspace)"
cargo test --locked --workspace

if [[ "${CLIPPY:-0}" == "1" ]]; then
  echo "==> cargo clippy"
  cargo clippy --locked --workspace --all-targets -- -D warnings
fi

echo "==> schema staleness check"
"$ROOT/scripts/gen-schemas.sh" --check

if [[ "${SKIP_WASM:-0}" != "1" ]]; then
  echo "==> wasm build"
  "$ROOT/scripts/build-contracts.sh"
fi
echo "==> contracts: all checks passed"
