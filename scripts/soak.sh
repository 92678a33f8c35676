#!/usr/bin/env bash
# Soak test (not part of CI): a 4-validator localnet under mixed load while one validator at a time
# is SIGKILLed and restarted; reports committed tx/s, block time p50/p99, app-hash agreement and
# whether every acknowledged tx is in a block. See `scripts/soak.sh --help`.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

usage() {
  cat <<'EOF'
Usage: scripts/soak.sh [options]

Runs a 4-validator localnet (`openledgerd localnet init`, then one `openledgerd start` and one
`cometbft start` per validator, started by this script with the arguments `localnet start` uses)
under mixed load for --minutes, SIGKILLs one validator (its app and its CometBFT) every
--kill-every minutes, restarts it --down seconds later and rotates to the next validator. The
load (scripts/soak/soak.mjs, cosmjs from scripts/e2e/node_modules) is bank MsgSends, CW20
transfers (test_cw20) and contract calls (test_loop {"ok":{}}), about 50/30/20, to other load
accounts or fresh addresses, from --accounts accounts funded at genesis (dev mnemonic, HD 2..N+1),
each signing its own sequence and broadcasting (sync) through its own validator's RPC (another
one while that validator is down), plus heavy abci_queries on every node's RPC (test_loop's
{"loop":{}} to the smart-query gas cap; AllBalances, Accounts and AllContractState with
pagination.count_total). A progress line every 30 s.

At the end it waits for every node to pass the last height by 5 blocks and reports: committed
tx/s (txs in the load window's blocks over their block time), block time p50/p99/max, app hashes
and block hashes of every height on all 4 nodes, every acknowledged (CheckTx code 0) tx hash
looked up in the blocks, the final heights, each kill's catch-up time and the query outcomes.
The report is printed and written to DIR/report.json. Exit status 1 when app or block hashes
disagree, an acknowledged tx is missing, a node exited by itself, logged a panic or a CometBFT
consensus failure, or did not catch up; 2 on a usage error or a missing tool.

Options:
  --minutes N         load duration in minutes, decimals allowed (default 30)
  --kill-every M      minutes between kills, decimals allowed; 0 = never kill (default 5). A
                      kill is skipped when the validator would not be back up 30 s before the end
  --down S            seconds a killed validator stays down (default 20)
  --rate R            target tx/s over all accounts together (default 8)
  --accounts N        load accounts, funded at genesis, spread over the validators (default 8)
  --queriers Q        concurrent heavy-query loops per node (default 2)
  --query-pause-ms P  pause of each query loop between queries (default 200)
  --block-time T      target block time passed to `localnet init` (default 500ms)
  --base-port P       localnet base port: node i uses P+10i+{1 REST, 6 P2P, 7 RPC, 8 ABCI,
                      9 gRPC} (default 24650, i.e. 24651-24689; keep it below 32768)
  --dir D             working directory: homes, logs, report.json
                      (default ${TMPDIR:-/tmp}/openledger-soak-<date>-<time>)
  --reset             delete a localnet already in --dir first
  --bin-dir DIR       where openledgerd is (default target/release); copied into DIR/bin so
                      restarts use the same binary even if it is rebuilt meanwhile
  --build             run `cargo build --release -p openledger-node` first if the binary is
                      missing (only with the default --bin-dir target/release)
  --allow-kill-losses do not fail for acknowledged txs that are missing when the validator that
                      acknowledged them was SIGKILLed at most 5 s later (CometBFT's mempool is not
                      persisted; such txs can die with it before they are gossiped). They are
                      still reported
  --keep              leave the validators running after the report, until Ctrl-C
  -h, --help          this help

Logs: DIR/node<i>/{app,cometbft}.log, DIR/soak.log (this script's output), DIR/soak/ (load
state: config.json, setup.json, acked.jsonl, load.json, events.jsonl). Needs cometbft v0.38
($COMETBFT, PATH or $(go env GOPATH)/bin), node >= 20 and `npm ci` in scripts/e2e.
Example, a short run on the debug binary:
  nice -n 10 scripts/soak.sh --minutes 3 --kill-every 1 --bin-dir target/debug
EOF
}

MINUTES=30
KILL_EVERY=5
DOWN_S=20
RATE=8
ACCOUNTS=8
QUERIERS=2
QUERY_PAUSE_MS=200
BLOCK_TIME=500ms
BASE_PORT=24650
DIR=""
RESET=0
BIN_DIR=target/release
BUILD=0
ALLOW_KILL_LOSSES=0
KEEP=0
VALIDATORS=4
PROGRESS_S=30

die() { echo "soak: $*" >&2; exit 2; }
need_value() { [[ $# -ge 2 && -n "$2" ]] || die "$1 needs a value (see --help)"; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --minutes) need_value "$@"; MINUTES="$2"; shift 2 ;;
    --kill-every) need_value "$@"; KILL_EVERY="$2"; shift 2 ;;
    --down) need_value "$@"; DOWN_S="$2"; shift 2 ;;
    --rate) need_value "$@"; RATE="$2"; shift 2 ;;
    --accounts) need_value "$@"; ACCOUNTS="$2"; shift 2 ;;
    --queriers) need_value "$@"; QUERIERS="$2"; shift 2 ;;
    --query-pause-ms) need_value "$@"; QUERY_PAUSE_MS="$2"; shift 2 ;;
    --block-time) need_value "$@"; BLOCK_TIME="$2"; shift 2 ;;
    --base-port) need_value "$@"; BASE_PORT="$2"; shift 2 ;;
    --dir) need_value "$@"; DIR="$2"; shift 2 ;;
    --reset) RESET=1; shift ;;
    --bin-dir) need_value "$@"; BIN_DIR="$2"; shift 2 ;;
    --build) BUILD=1; shift ;;
    --allow-kill-losses) ALLOW_KILL_LOSSES=1; shift ;;
    --keep) KEEP=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done

is_num() { [[ "$1" =~ ^[0-9]+([.][0-9]+)?$ ]]; }
is_int() { [[ "$1" =~ ^[0-9]+$ ]]; }
is_num "$MINUTES" || die "--minutes must be a number"
is_num "$KILL_EVERY" || die "--kill-every must be a number"
is_int "$DOWN_S" || die "--down must be whole seconds"
is_num "$RATE" || die "--rate must be a number"
is_int "$ACCOUNTS" && ((ACCOUNTS >= 1)) || die "--accounts must be at least 1"
is_int "$QUERIERS" || die "--queriers must be a whole number"
is_int "$QUERY_PAUSE_MS" || die "--query-pause-ms must be whole milliseconds"
is_int "$BASE_PORT" || die "--base-port must be a number"
((BASE_PORT >= 1024 && BASE_PORT + 10 * VALIDATORS < 32768)) || die "--base-port: the ports must lie in 1024-32767"
LOAD_S=$(awk -v m="$MINUTES" 'BEGIN { printf "%d", m * 60 }')
KILL_EVERY_S=$(awk -v m="$KILL_EVERY" 'BEGIN { printf "%d", m * 60 }')
((LOAD_S >= 30)) || die "--minutes must be at least 0.5"
awk -v r="$RATE" 'BEGIN { exit !(r > 0) }' || die "--rate must be above 0"

# ---------- binaries ----------
BIN_SRC="$BIN_DIR/openledgerd"
if [[ ! -x "$BIN_SRC" ]]; then
  if ((BUILD)) && [[ "$BIN_DIR" == target/release || "$BIN_DIR" == "$ROOT/target/release" ]]; then
    echo "soak: building openledgerd (cargo build --release -p openledger-node)"
    cargo build --release -p openledger-node
  fi
fi
if [[ ! -x "$BIN_SRC" ]]; then
  echo "soak: no openledgerd at $BIN_SRC" >&2
  echo "  build it: cargo build --release -p openledger-node   (or run with --build)" >&2
  echo "  or point --bin-dir at an existing build, e.g. --bin-dir target/debug" >&2
  exit 2
fi
COMETBFT_BIN="${COMETBFT:-}"
if [[ -z "$COMETBFT_BIN" ]]; then
  COMETBFT_BIN="$(command -v cometbft || true)"
fi
if [[ -z "$COMETBFT_BIN" ]]; then
  gopath="$(go env GOPATH 2>/dev/null || echo "$HOME/go")"
  [[ -x "$gopath/bin/cometbft" ]] && COMETBFT_BIN="$gopath/bin/cometbft"
fi
[[ -n "$COMETBFT_BIN" && -x "$COMETBFT_BIN" ]] || die "cometbft v0.38 not found (\$COMETBFT, PATH, \$(go env GOPATH)/bin); scripts/setup.sh installs it"
command -v node >/dev/null || die "node (>= 20) is needed for the load generator"
command -v curl >/dev/null || die "curl is needed"
[[ -d scripts/e2e/node_modules/@cosmjs/cosmwasm ]] || die "cosmjs is missing: cd scripts/e2e && npm ci"

# ---------- directory ----------
[[ -n "$DIR" ]] || DIR="${TMPDIR:-/tmp}/openledger-soak-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
if [[ -e "$DIR/node0" || -e "$DIR/localnet.json" ]]; then
  ((RESET)) || die "$DIR already holds a localnet; pass --reset or another --dir"
  rm -rf "$DIR"/node* "$DIR/localnet.json" "$DIR/soak" "$DIR/bin" "$DIR/report.json"
fi
mkdir -p "$DIR/soak" "$DIR/bin"
# tee ignores Ctrl-C so that the cleanup can still write (and is not killed by SIGPIPE).
exec > >(trap '' INT TERM; exec tee -a "$DIR/soak.log") 2>&1

cp "$BIN_SRC" "$DIR/bin/openledgerd"
BIN="$DIR/bin/openledgerd"
VERSION="$("$BIN" --version 2>/dev/null || echo unknown)"
CHAIN_ID=openledger-soak-1
EVENTS="$DIR/soak/events.jsonl"
: >"$EVENTS"

port() { echo $((BASE_PORT + 10 * $1 + $2)); }
rpc_port() { port "$1" 7; }
for ((i = 0; i < VALIDATORS; i++)); do
  for off in 1 6 7 8 9; do
    p=$(port "$i" "$off")
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      die "port $p (node$i) is in use; pick another --base-port"
    fi
  done
done

# ---------- processes ----------
declare -a APP_PID COMET_PID DOWN
LOAD_PID=""
for ((i = 0; i < VALIDATORS; i++)); do APP_PID[i]=""; COMET_PID[i]=""; DOWN[i]=0; done

stop_pid() { # PID: TERM, up to 10 s, then KILL
  local pid="$1"
  [[ -n "$pid" ]] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [[ -n "$LOAD_PID" ]] && stop_pid "$LOAD_PID"
  for ((i = 0; i < VALIDATORS; i++)); do stop_pid "${COMET_PID[i]}"; done
  for ((i = 0; i < VALIDATORS; i++)); do stop_pid "${APP_PID[i]}"; done
  echo "soak: stopped; logs and report in $DIR"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

now_ms() { date +%s%3N; }
event() { echo "{\"t\":$(now_ms),$1}" >>"$EVENTS"; }
height_of() { # node index -> latest height, or empty
  curl -s --max-time 2 "http://127.0.0.1:$(rpc_port "$1")/status" 2>/dev/null |
    grep -o '"latest_block_height":"[0-9]*"' | grep -o '[0-9][0-9]*' || true
}
elapsed() { local s=$(($(date +%s) - LOAD_T0)); printf '%d:%02d' $((s / 60)) $((s % 60)); }

start_node() { # index
  local i="$1" home="$DIR/node$1"
  NO_COLOR=1 "$BIN" start --home "$home" --abci-addr "127.0.0.1:$(port "$i" 8)" --rest-addr "127.0.0.1:$(port "$i" 1)" \
    --grpc-addr "127.0.0.1:$(port "$i" 9)" --cometbft-rpc "http://127.0.0.1:$(rpc_port "$i")" \
    >>"$home/app.log" 2>&1 &
  APP_PID[i]=$!
  # CometBFT dials the app once at start: wait until the app's ABCI port accepts.
  for _ in $(seq 1 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$(port "$i" 8)") 2>/dev/null && break
    kill -0 "${APP_PID[i]}" 2>/dev/null || { echo "soak: app$i exited at start; tail of $home/app.log:" >&2; tail -n 30 "$home/app.log" >&2; return 1; }
    sleep 0.2
  done
  "$COMETBFT_BIN" start --home "$home" >>"$home/cometbft.log" 2>&1 &
  COMET_PID[i]=$!
  DOWN[i]=0
}
kill_node() { # index: SIGKILL both processes
  local i="$1"
  kill -KILL "${COMET_PID[i]}" "${APP_PID[i]}" 2>/dev/null || true
  wait "${COMET_PID[i]}" 2>/dev/null || true
  wait "${APP_PID[i]}" 2>/dev/null || true
  DOWN[i]=1
}
check_crashes() { # a process of a validator that is meant to be up has exited: record, restart
  local i
  for ((i = 0; i < VALIDATORS; i++)); do
    ((DOWN[i])) && continue
    local which=""
    kill -0 "${APP_PID[i]}" 2>/dev/null || which="app"
    kill -0 "${COMET_PID[i]}" 2>/dev/null || which="${which:+$which+}cometbft"
    if [[ -n "$which" ]]; then
      echo "soak: [$(elapsed)] UNEXPECTED: $which of node$i exited; see $DIR/node$i/*.log; restarting it"
      event "\"event\":\"crash\",\"process\":\"$which\",\"node\":$i,\"height\":${LAST_HEIGHT:-0}"
      kill_node "$i"
      start_node "$i" || true
    fi
  done
}

# ---------- localnet ----------
echo "soak: $VALIDATORS validators in $DIR, $BIN ($VERSION), $COMETBFT_BIN ($("$COMETBFT_BIN" version))"
echo "soak: load ${LOAD_S}s at $RATE tx/s over $ACCOUNTS accounts, $QUERIERS queriers per node; kill every ${KILL_EVERY_S}s, down ${DOWN_S}s"
"$BIN" localnet init --validators "$VALIDATORS" --dir "$DIR" --chain-id "$CHAIN_ID" \
  --block-time "$BLOCK_TIME" --base-port "$BASE_PORT" --cometbft "$COMETBFT_BIN" >"$DIR/soak/init.log" 2>&1 ||
  { cat "$DIR/soak/init.log" >&2; exit 1; }
# The load accounts (dev mnemonic, HD indices 2..N+1) funded in node0's genesis, copied to every node.
mapfile -t LOAD_ADDRS < <(node scripts/soak/soak.mjs addresses --accounts "$ACCOUNTS")
((${#LOAD_ADDRS[@]} == ACCOUNTS)) || die "could not derive the load accounts"
for a in "${LOAD_ADDRS[@]}"; do
  "$BIN" genesis add-account --home "$DIR/node0" "$a" 1000000000000uopen >/dev/null
done
for ((i = 1; i < VALIDATORS; i++)); do cp "$DIR/node0/config/genesis.json" "$DIR/node$i/config/genesis.json"; done

RPCS=""
for ((i = 0; i < VALIDATORS; i++)); do RPCS+="${RPCS:+,}\"http://127.0.0.1:$(rpc_port "$i")\""; done
cat >"$DIR/soak/config.json" <<EOF
{
  "rpc": [$RPCS],
  "chain_id": "$CHAIN_ID",
  "accounts": $ACCOUNTS,
  "rate": $RATE,
  "queriers": $QUERIERS,
  "query_pause_ms": $QUERY_PAUSE_MS,
  "progress_s": $PROGRESS_S,
  "block_time": "$BLOCK_TIME",
  "kill_every_s": $KILL_EVERY_S,
  "down_s": $DOWN_S,
  "allow_kill_losses": $( ((ALLOW_KILL_LOSSES)) && echo true || echo false),
  "binary": "$BIN_SRC",
  "version": "$VERSION"
}
EOF

for ((i = 0; i < VALIDATORS; i++)); do start_node "$i"; done
for ((i = 0; i < VALIDATORS; i++)); do
  echo "soak: node$i RPC http://127.0.0.1:$(rpc_port "$i") REST http://127.0.0.1:$(port "$i" 1) gRPC 127.0.0.1:$(port "$i" 9)  logs $DIR/node$i/{app,cometbft}.log"
done

node scripts/soak/soak.mjs setup --dir "$DIR"

# ---------- load + kills ----------
LOAD_T0=$(date +%s)
node scripts/soak/soak.mjs load --dir "$DIR" --seconds "$LOAD_S" &
LOAD_PID=$!
END_T=$((LOAD_T0 + LOAD_S))
NEXT_KILL=0
((KILL_EVERY_S > 0)) && NEXT_KILL=$((LOAD_T0 + KILL_EVERY_S))
VICTIM=$((VALIDATORS - 1)) # advanced before each kill: node0 first, then node1, node2, ...
KILLED=-1
KILLED_AT=0
RESTARTED=-1
RESTARTED_AT=0
LAST_HEIGHT=0
while kill -0 "$LOAD_PID" 2>/dev/null; do
  sleep 1
  t=$(date +%s)
  check_crashes
  # A restarted validator has caught up once it is within a block of the highest other node.
  if ((RESTARTED >= 0)); then
    h=$(height_of "$RESTARTED")
    best=0
    for ((j = 0; j < VALIDATORS; j++)); do
      ((j == RESTARTED)) && continue
      hj=$(height_of "$j"); [[ -n "$hj" ]] && ((hj > best)) && best=$hj
    done
    LAST_HEIGHT=$best
    if [[ -n "$h" ]] && ((best > 0 && h + 1 >= best)); then
      echo "soak: [$(elapsed)] node$RESTARTED caught up at height $h, $((t - RESTARTED_AT)) s after its restart"
      event "\"event\":\"caught-up\",\"node\":$RESTARTED,\"height\":$h"
      RESTARTED=-1
    fi
  fi
  if ((KILLED >= 0 && t >= KILLED_AT + DOWN_S)); then
    start_node "$KILLED"
    h=$(height_of "$(((KILLED + 1) % VALIDATORS))")
    echo "soak: [$(elapsed)] restarted node$KILLED (chain at height ${h:-?})"
    event "\"event\":\"restart\",\"node\":$KILLED,\"height\":${h:-0}"
    RESTARTED=$KILLED
    RESTARTED_AT=$t
    KILLED=-1
  fi
  # Kill only when the victim will be back up with time to catch up before the load ends.
  if ((NEXT_KILL > 0 && t >= NEXT_KILL && KILLED < 0)); then
    if ((t + DOWN_S + 30 <= END_T)); then
      VICTIM=$(((VICTIM + 1) % VALIDATORS))
      h=$(height_of "$VICTIM")
      kill_node "$VICTIM"
      echo "soak: [$(elapsed)] SIGKILLed node$VICTIM (app + cometbft) at height ${h:-?}; restart in ${DOWN_S}s"
      event "\"event\":\"kill\",\"node\":$VICTIM,\"height\":${h:-0}"
      KILLED=$VICTIM
      KILLED_AT=$t
    fi
    NEXT_KILL=$((NEXT_KILL + KILL_EVERY_S))
  fi
done
load_rc=0
wait "$LOAD_PID" || load_rc=$?
LOAD_PID=""
((load_rc == 0)) || { echo "soak: the load generator failed (exit $load_rc)" >&2; exit 1; }
# A validator still down at the end (only with --down close to the load time) comes back for the checks.
if ((KILLED >= 0)); then start_node "$KILLED"; event "\"event\":\"restart\",\"node\":$KILLED,\"height\":0"; KILLED=-1; fi

# ---------- report ----------
report_rc=0
node scripts/soak/soak.mjs report --dir "$DIR" || report_rc=$?
if ((KEEP)); then
  echo "soak: --keep: the validators keep running (logs in $DIR); Ctrl-C stops them"
  while true; do sleep 5; done
fi
exit "$report_rc"
