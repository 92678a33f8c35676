#!/usr/bin/env bash
# Builds the node's test contracts (abci-app/tests/wasm-contracts: test-cw20 over cw20-base 2.0,
# test-reflect, test-loop, test-ibc-ping) to wasm that cosmwasm-vm 2.3.5 accepts, with the recipe of
# the deterministic recipe (MVP target CPU + rebuilt std, which cosmwasm-vm 2.3 requires: no post-MVP wasm features):
#   RUSTC_BOOTSTRAP=1 RUSTFLAGS="-C target-cpu=mvp -C target-feature=+mutable-globals" \
#   cargo build --release --target wasm32-unknown-unknown -Z build-std=std,panic_abort
# Output: abci-app/tests/wasm-contracts/artifacts/<name>.wasm (committed, so `cargo test` needs
# no wasm build) and checksums.txt (sha256 = the VM's code checksum).
#
# Env: CARGO_BUILD_JOBS (e.g. 1 on shared machines).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WS="$ROOT/abci-app/tests/wasm-contracts"
ARTIFACTS="$WS/artifacts"
TARGET=wasm32-unknown-unknown
CRATES=(test-cw20 test-reflect test-loop test-ibc-ping test-cw20-ics20)

step() { printf '\n==> %s\n' "$*"; }

cd "$WS"   # rust-toolchain.toml (repo root) pins the compiler
step "toolchain: $(rustc --version)"
if ! rustup target list --installed | grep -qx "$TARGET"; then
  step "installing target $TARGET"
  rustup target add "$TARGET"
fi
if ! rustup component list --installed | grep -q '^rust-src'; then
  step "installing component rust-src (needed by -Z build-std)"
  rustup component add rust-src
fi

# One cargo invocation per crate: building them together would unify cosmwasm-std's features
# (test-reflect's staking/stargate/cosmwasm_2_0) into every contract, changing their
# `requires_*` exports and checksums.
start=$(date +%s)
for c in "${CRATES[@]}"; do
  step "building $c"
  RUSTC_BOOTSTRAP=1 \
  RUSTFLAGS="-C target-cpu=mvp -C target-feature=+mutable-globals" \
    cargo build --release --locked --target "$TARGET" -Z build-std=std,panic_abort --lib -p "$c"
done
step "cargo build finished in $(( $(date +%s) - start ))s"

mkdir -p "$ARTIFACTS"
: > "$ARTIFACTS/checksums.txt"
for c in "${CRATES[@]}"; do
  name="${c//-/_}"
  src="$WS/target/$TARGET/release/$name.wasm"
  [[ -f "$src" ]] || { echo "missing $src" >&2; exit 1; }
  cp "$src" "$ARTIFACTS/$name.wasm"
  for sym in interface_version_8 instantiate execute query allocate deallocate; do
    grep -aq "$sym" "$ARTIFACTS/$name.wasm" || { echo "error: $name.wasm lacks export '$sym'" >&2; exit 1; }
  done
  (cd "$ARTIFACTS" && sha256sum "$name.wasm" >> checksums.txt)
  printf '  %-20s %8d bytes\n' "$name.wasm" "$(stat -c %s "$ARTIFACTS/$name.wasm")"
done
