#!/usr/bin/env bash
# Benchmark the GPU oracle in one run: int8 matmul GPU vs CPU reference (both int8 paths,
# bit-exact check) and attribution throughput (suffix_span, gradient_influence, rag_retrieval).
#
# Usage: scripts/bench-oracle.sh
# Env:   BENCH_QUICK=1                      smaller shapes (CI / lavapipe smoke)
#        BENCH_MATMUL_SIZES=128,256,512     matmul sizes
#        WGPU_ADAPTER_NAME=<substring>      pick an adapter (default: discrete > integrated > CPU)
#        GPU_ORACLE_INT8_PATH=packed|portable   default int8 path for attribution kernels
#        OPENLEDGER_SKIP_GPU_SETUP=1        do not run scripts/setup-gpu.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

"$ROOT/scripts/setup-gpu.sh"

if [[ -z "${XDG_RUNTIME_DIR:-}" || ! -w "${XDG_RUNTIME_DIR}" ]]; then
  XDG_RUNTIME_DIR="$(mktemp -d)"
  export XDG_RUNTIME_DIR
  trap 'rm -rf "$XDG_RUNTIME_DIR"' EXIT
fi

cargo bench -p gpu-oracle --bench oracle "$@"
