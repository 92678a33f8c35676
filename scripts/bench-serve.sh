#!/usr/bin/env bash
# Inference gateway overhead in one run: streamed chat answers through openledger-serve's
# OpenAI HTTP API (real HTTP/1.1 SSE clients) at 1, 16 and 64 concurrent clients, next to the
# same requests submitted straight to the in-process engine: tokens/s, time to first token
# (p50/p95), HTTP/engine. Greedy decoding of a fixed chat prompt with SmolLM2-135M-Instruct
# (scripts/fetch-models.sh). Prints a table and writes target/bench-serve.json. Not run by CI.
#
# Usage: scripts/bench-serve.sh [--max-tokens 16] [--clients 1,16,64] [--workers 0]
#                               [--max-sequences 16] [--model PATH] [--json PATH]
# On 2 cores the defaults take 5-8 minutes, about 4 of them the 64-client level (both paths).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
exec cargo bench -p openledger-serve --bench serve -- "$@"
