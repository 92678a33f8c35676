#!/usr/bin/env bash
# Content throughput over IPFS, next to raw kubo in the same run. Not run by CI.
#
#   1. contribute, end to end: `openledgerd tx datanet contribute` of a ~5 MB .jsonl (rows split,
#      added to IPFS, registered on chain in batched txs, each committed) against a throw-away
#      `openledgerd dev` (chain, contracts and its kubo content node; no attester, no gateway),
#      next to raw `ipfs add -r` of the same rows as files into the same node;
#   2. fetch: the attester's path (ContentStore::fetch through a second, peered kubo node: sha256
#      and size checked, cached) vs raw `cat` of the same CIDs (gpu-oracle/attester/benches/content.rs).
#
# Usage: scripts/bench-content.sh
# Env:   BENCH_MB (4.9: size of the contributed file), BENCH_ROWS / BENCH_ROW_BYTES (2000 / 1024:
#        the fetch benchmark), BENCH_PORT_BASE (25000), CARGO_PROFILE (release, or debug: no
#        release build, slower figures)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PATH="$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin:$PATH"
command -v ipfs >/dev/null || { echo "bench-content: kubo (ipfs) missing: run scripts/setup.sh" >&2; exit 1; }
PROFILE="${CARGO_PROFILE:-release}"
BASE="${BENCH_PORT_BASE:-25000}"
MB="${BENCH_MB:-4.9}"
flag=(); [[ "$PROFILE" == release ]] && flag=(--release)

echo "bench-content: building ($PROFILE)" >&2
cargo build "${flag[@]}" --locked -p openledger-node --bin openledgerd >&2
BIN="$ROOT/target/$PROFILE/openledgerd"
echo "bench-content: load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores" >&2

work="$(mktemp -d)"
dev_pid=""
cleanup() {
  [[ -n "$dev_pid" ]] && kill "$dev_pid" 2>/dev/null && wait "$dev_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# --- 1. contribute ---------------------------------------------------------------------------------
"$BIN" dev --home "$work/dev" --block-time 500ms --no-attester --no-serve \
  --rpc-port $((BASE + 657)) --p2p-port $((BASE + 656)) --abci-port $((BASE + 658)) \
  --rest-port $((BASE + 317)) --grpc-port $((BASE + 90)) --ipfs-port $((BASE + 501)) \
  > "$work/dev.log" 2>&1 &
dev_pid=$!
for _ in $(seq 1 600); do
  grep -q "Press Ctrl-C to stop" "$work/dev.log" && break
  kill -0 "$dev_pid" 2>/dev/null || { tail -20 "$work/dev.log" >&2; exit 1; }
  sleep 1
done
grep -q "Press Ctrl-C to stop" "$work/dev.log" || { echo "bench-content: dev chain not up" >&2; exit 1; }

python3 - "$work/rows.jsonl" "$work/rows" "$MB" <<'PY'
import json, os, random, sys
path, dirname, mb = sys.argv[1], sys.argv[2], float(sys.argv[3])
random.seed(7)
os.makedirs(dirname)
rows, n = [], 0
while n < mb * 1e6:
    r = json.dumps({"id": len(rows), "text": "".join(random.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(900))})
    rows.append(r)
    n += len(r) + 1
open(path, "w").write("\n".join(rows) + "\n")
for i, r in enumerate(rows):
    open(os.path.join(dirname, f"{i:06}.json"), "w").write(r)
PY
bytes=$(stat -c %s "$work/rows.jsonl")
rows=$(wc -l < "$work/rows.jsonl")

t0=$(date +%s.%N)
ipfs --repo-dir "$work/dev/ipfs" add -r -Q --cid-version 1 --raw-leaves --pin "$work/rows" > /dev/null
t1=$(date +%s.%N)
OPENLEDGER_MNEMONIC="abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about" \
  "$BIN" tx datanet contribute --node "http://127.0.0.1:$((BASE + 657))" --contracts "$work/dev/contracts.json" \
  --ipfs-api "http://127.0.0.1:$((BASE + 501))" --datanet 1 --json "$work/rows.jsonl" > "$work/report.json"
t2=$(date +%s.%N)
python3 - "$work/report.json" "$rows" "$bytes" "$t0" "$t1" "$t2" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))[0]
rows, size = int(sys.argv[2]), int(sys.argv[3])
t0, t1, t2 = map(float, sys.argv[4:7])
raw, ours = t1 - t0, t2 - t1
assert len(report["contributed"]) == rows, (len(report["contributed"]), rows, report["refused"][:3], report["error"])
print(f"bench-content: contribute {rows} rows, {size / 1e6:.2f} MB, {len(report['txs'])} txs")
print(f"  {'raw kubo: ipfs add -r of the rows as files':<58} {rows / raw:>9.1} rows/s {size / 1e6 / raw:>7.2} MB/s  ({raw:.2f} s)")
print(f"  {'ours: tx datanet contribute, committed on chain (500 ms blocks)':<58} {rows / ours:>9.1} rows/s {size / 1e6 / ours:>7.2} MB/s  ({ours:.2f} s)")
print(f"  ratio: {ours / raw:.1f}x the time of raw kubo add")
PY
kill "$dev_pid"; wait "$dev_pid" 2>/dev/null || true; dev_pid=""

# --- 2. fetch ----------------------------------------------------------------------------------------
cargo_profile=release; [[ "$PROFILE" == debug ]] && cargo_profile=dev
cargo bench --locked --profile "$cargo_profile" -p openledger-attester --bench content
