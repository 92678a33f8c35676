#!/usr/bin/env bash
# Regenerates the JSON schemas of every contract message (cosmwasm-schema) into
# schemas/<contract>/{<contract>.json,raw/*.json}.
#   scripts/gen-schemas.sh           # rewrite schemas/
#   scripts/gen-schemas.sh --check   # regenerate into a temp dir and fail if schemas/ differs
# Also (re)writes schemas/attestation-vectors.json (commitment / packet signing / Merkle test
# vectors for off-chain clients). `cargo test` in contracts/ fails on stale schemas or vectors.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONTRACTS=(open-token datanet-registry model-registry attester-registry attribution-escrow
           dao-stake dao-multisig dao-timelock)
MODE="${1:-write}"

cd "$ROOT/contracts"
export CARGO_TARGET_DIR="${CONTRACTS_TARGET_DIR:-$ROOT/contracts/target}"
BIN_ARGS=()
for c in "${CONTRACTS[@]}"; do BIN_ARGS+=(--bin "schema-$c"); done
cargo build --locked --quiet "${BIN_ARGS[@]}"

if [[ "$MODE" == "--check" ]]; then
  OUT="$(mktemp -d)"
  trap 'rm -rf "$OUT"' EXIT
else
  OUT="$ROOT/schemas"
fi

for c in "${CONTRACTS[@]}"; do
  rm -rf "${OUT:?}/$c"
  "$CARGO_TARGET_DIR/debug/schema-$c" "$OUT/$c" > /dev/null
done

if [[ "$MODE" == "--check" ]]; then
  cargo test --locked --quiet -p openledger-types --test vectors > /dev/null
  for c in "${CONTRACTS[@]}"; do
    if ! diff -r "$OUT/$c" "$ROOT/schemas/$c" > /dev/null 2>&1; then
      echo "schemas/$c is stale: run scripts/gen-schemas.sh" >&2
      diff -r "$OUT/$c" "$ROOT/schemas/$c" | head -20 >&2 || true
      exit 1
    fi
  done
  echo "schemas: up to date (${#CONTRACTS[@]} contracts)"
else
  UPDATE_VECTORS=1 cargo test --locked --quiet -p openledger-types --test vectors > /dev/null
  echo "schemas: wrote ${#CONTRACTS[@]} contracts under schemas/"
fi
