#!/usr/bin/env bash
# Bank-send throughput through FinalizeBlock+Commit vs raw secp256k1 verification, same run.
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo bench -p openledger-node --bench node "$@"
