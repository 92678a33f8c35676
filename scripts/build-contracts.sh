#!/usr/bin/env bash
# Builds every OpenLedger contract to wasm the CosmWasm VM (cosmwasm-vm 2.3.5) accepts,
# with an MVP target CPU and a rebuilt std (cosmwasm-vm 2.3 refuses post-MVP wasm features such as bulk memory):
#   RUSTC_BOOTSTRAP=1 RUSTFLAGS="-C target-cpu=mvp -C target-feature=+mutable-globals" \
#   cargo build --release --target wasm32-unknown-unknown -Z build-std=std,panic_abort
# Output: artifacts/<crate_name>.wasm (repo root, gitignored) and artifacts/checksums.txt
# (sha256 of the uncompressed wasm = the VM's code checksum).
#
# Env: CARGO_BUILD_JOBS (e.g. 1 to be gentle on shared machines), CONTRACTS="a b" to build a subset,
# CONTRACTS_TARGET_DIR (default contracts/target; CARGO_TARGET_DIR is ignored on purpose).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONTRACTS_DIR="$ROOT/contracts"
ARTIFACTS="$ROOT/artifacts"
# Own target dir (never the node's, even if CARGO_TARGET_DIR is exported for it).
export CARGO_TARGET_DIR="${CONTRACTS_TARGET_DIR:-$CONTRACTS_DIR/target}"
TARGET_DIR="$CARGO_TARGET_DIR"
TARGET=wasm32-unknown-unknown

cd "$CONTRACTS_DIR"   # rust-toolchain.toml (repo root) pins the compiler

ALL_CONTRACTS=(open-token datanet-registry model-registry attester-registry attribution-escrow
               dao-stake dao-multisig dao-timelock)
read -r -a CONTRACTS <<< "${CONTRACTS:-${ALL_CONTRACTS[*]}}"

step() { printf '\n==> %s\n' "$*"; }

step "toolchain: $(rustc --version)"
if ! rustup target list --installed | grep -qx "$TARGET"; then
  step "installing target $TARGET"
  rustup target add "$TARGET"
fi
if ! rustup component list --installed | grep -q '^rust-src'; then
  step "installing component rust-src (needed by -Z build-std)"
  rustup component add rust-src
fi

# Built optimised for size (profile wasm-small in contracts/Cargo.toml): at opt-level 3 they
# exceed the 800 KiB limit on uncompressed code.
SMALL=(attribution-escrow)
profile_of() { [[ " ${SMALL[*]} " == *" $1 "* ]] && echo wasm-small || echo release; }
REGULAR_ARGS=() SMALL_ARGS=()
for c in "${CONTRACTS[@]}"; do
  if [[ "$(profile_of "$c")" == wasm-small ]]; then SMALL_ARGS+=(-p "$c"); else REGULAR_ARGS+=(-p "$c"); fi
done

step "building ${#CONTRACTS[@]} contracts: ${CONTRACTS[*]}"
start=$(date +%s)
build() {
  RUSTC_BOOTSTRAP=1 \
  RUSTFLAGS="-C target-cpu=mvp -C target-feature=+mutable-globals" \
    cargo build --locked --target "$TARGET" -Z build-std=std,panic_abort --lib "$@"
}
if [[ ${#REGULAR_ARGS[@]} -gt 0 ]]; then build --release "${REGULAR_ARGS[@]}"; fi
if [[ ${#SMALL_ARGS[@]} -gt 0 ]]; then build --profile wasm-small "${SMALL_ARGS[@]}"; fi
step "cargo build finished in $(( $(date +%s) - start ))s"

mkdir -p "$ARTIFACTS"
step "collecting artifacts into $ARTIFACTS"
for c in "${CONTRACTS[@]}"; do
  name="${c//-/_}"
  src="$TARGET_DIR/$TARGET/$(profile_of "$c")/$name.wasm"
  [[ -f "$src" ]] || { echo "missing $src" >&2; exit 1; }
  cp "$src" "$ARTIFACTS/$name.wasm"
  # Cheap sanity checks of what check_wasm will look for: the interface marker and entry points.
  for sym in interface_version_8 instantiate execute query allocate deallocate; do
    if ! grep -aq "$sym" "$ARTIFACTS/$name.wasm"; then
      echo "error: $name.wasm lacks export '$sym' (entry points not exported? library feature on?)" >&2
      exit 1
    fi
  done
  printf '  %-28s %8d bytes\n' "$name.wasm" "$(stat -c %s "$ARTIFACTS/$name.wasm")"
done

(cd "$ARTIFACTS" && sha256sum -- *.wasm > checksums.txt)
step "checksums (artifacts/checksums.txt)"
cat "$ARTIFACTS/checksums.txt"
