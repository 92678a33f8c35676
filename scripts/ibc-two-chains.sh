#!/usr/bin/env bash
# Two throw-away `openledgerd dev` chains (A: openledger-a-1, B: openledger-b-1; real CometBFT each) joined by
# an ICS-20 `transfer` channel, relayed by a running Hermes (scripts/lib/hermes.sh; install it with
# scripts/setup.sh). Steps: start both chains, write the Hermes config (pull event source, the node's JMT
# proof specs from `openledgerd ibc proof-specs`), import bob (m/44'/118'/0'/0/1, funded on both chains) as
# Hermes' `relayer` key on both, `hermes create channel --new-client-connection` for transfer <-> transfer,
# then `hermes start` in the background.
#
#   scripts/ibc-two-chains.sh [options]                  interactive: prints the endpoints and waits; Ctrl-C
#                                                        stops Hermes and both chains
#   scripts/ibc-two-chains.sh --env-out FILE [options]   for tests: writes FILE and returns, leaving the chains
#                                                        and Hermes running; stop them with --stop
#   scripts/ibc-two-chains.sh --stop --home DIR          stops what a run with that --home started (Hermes
#                                                        first, then the chains; PIDs in DIR/pids/*.pid)
#
# Options:
#   --home DIR          where the chains, the Hermes config, keys and logs go (default: a new temporary
#                       directory). Existing chain homes in it are reset.
#   --bin-dir DIR       directory holding openledgerd (default: the repository's target/debug, as
#                       `cargo test --no-run` builds it; target/release when only that exists)
#   --a-port-base N     chain A listens on N+657 (RPC), N+656 (P2P), N+658 (ABCI), N+317 (REST), N+90 (gRPC)
#                       (default 18000: 18657 / 18656 / 18658 / 18317 / 18090)
#   --b-port-base N     the same for chain B (default 19000)
#   --block-time T      CometBFT target block time of both chains (default 500ms)
#   --keep              keep the temporary --home after Ctrl-C too (it is always kept when something failed;
#                       a --home you chose is never deleted)
#   --env-out FILE      write shell-quoted KEY=value lines (`set -a; . FILE; set +a`) and return, leaving the
#                       processes and the home to the caller (--stop, then remove OPENLEDGER_IBC_HOME):
#                       OPENLEDGER_IBC_HOME, OPENLEDGER_IBC_{A,B}_{CHAIN_ID,RPC,REST,GRPC,CHANNEL,CONNECTION,
#                       CLIENT,PID,LOG} (CHANNEL etc. are that chain's end), OPENLEDGER_IBC_HERMES (binary),
#                       OPENLEDGER_IBC_HERMES_CONFIG, OPENLEDGER_IBC_HERMES_LOG, OPENLEDGER_IBC_HERMES_PID_FILE
#                       (whoever restarts Hermes writes the new PID there, so --stop finds it)
#   --stop              stop the processes recorded under --home (required with it) and exit
#   -h, --help          this text
#
# Environment: HERMES (a hermes binary to prefer), HERMES_LOG_LEVEL and the other knobs of scripts/lib/hermes.sh.
# Needs: cometbft on PATH or in $(go env GOPATH)/bin, jq, and hermes 1.10.5.
set -euo pipefail
caller_pwd="$PWD"
cd "$(dirname "$0")/.."
PATH="$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin:$PATH"

MNEMONIC="abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
RELAYER_HD_PATH="m/44'/118'/0'/0/1"
RELAYER_ADDRESS="open1jrkmdcwgq94uaamx6zax2luewlhf7u4ktn5f24" # bob
A_CHAIN_ID="openledger-a-1"
B_CHAIN_ID="openledger-b-1"

usage() { sed -n '2,37p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "ibc-two-chains.sh: $*" >&2; exit 1; }
# abs PATH: PATH relative to the caller's directory (the script itself runs in the repository root).
abs() { case "$1" in /*) printf '%s' "$1" ;; *) printf '%s/%s' "$caller_pwd" "$1" ;; esac; }

home="" bin_dir="target/debug" a_base=18000 b_base=19000 block_time="500ms" keep=0 env_out="" stop=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --home) home="$(abs "${2:?--home needs a directory}")"; shift 2 ;;
    --bin-dir) bin_dir="$(abs "${2:?--bin-dir needs a directory}")"; shift 2 ;;
    --a-port-base) a_base="${2:?--a-port-base needs a number}"; shift 2 ;;
    --b-port-base) b_base="${2:?--b-port-base needs a number}"; shift 2 ;;
    --block-time) block_time="${2:?--block-time needs a duration}"; shift 2 ;;
    --keep) keep=1; shift ;;
    --env-out) env_out="$(abs "${2:?--env-out needs a file}")"; shift 2 ;;
    --stop) stop=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "ibc-two-chains.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

# alive PID NAME: PID is a running (not zombie) process called NAME (not a reused PID).
alive() {
  [[ "$1" =~ ^[0-9]+$ ]] || return 1
  local info
  info="$(ps -o stat=,comm= -p "$1" 2>/dev/null || true)"
  [[ -n "$info" && "$info" != Z* && "${info##* }" == "$2" ]]
}

# stop_pid FILE NAME: TERM the process whose PID FILE holds (if it is still NAME), KILL it after 20 s.
stop_pid() {
  local file="$1" name="$2" pid
  [[ -f "$file" ]] || return 0
  pid="$(cat "$file")"
  rm -f "$file"
  if alive "$pid" "$name"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do
      alive "$pid" "$name" || break
      sleep 0.5
    done
    if alive "$pid" "$name"; then
      echo "ibc-two-chains.sh: $name ($pid) ignored SIGTERM for 20 s; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true # reaps it when it is our child; returns at once otherwise
  elif [[ "$(ps -o stat= -p "$pid" 2>/dev/null || true)" == Z* ]]; then
    wait "$pid" 2>/dev/null || true
  fi
}

stop_all() {
  local dir="$1"
  stop_pid "$dir/pids/hermes.pid" hermes
  stop_pid "$dir/pids/a.pid" openledgerd &
  stop_pid "$dir/pids/b.pid" openledgerd &
  wait
}

if [[ "$stop" == 1 ]]; then
  [[ -n "$home" ]] || die "--stop needs the --home of the run to stop"
  [[ -d "$home/pids" ]] || die "$home/pids does not exist: nothing started there"
  stop_all "$home"
  exit 0
fi

for base in "$a_base" "$b_base"; do
  if ! [[ "$base" =~ ^[0-9]+$ ]] || (( base < 1024 || base + 658 > 65535 )); then
    die "port base '$base' must be a number with 1024 <= base and base + 658 <= 65535"
  fi
done
(( a_base - b_base >= 700 || b_base - a_base >= 700 )) || die "--a-port-base and --b-port-base must be at least 700 apart"
# Without --bin-dir: the debug build the tests make, else the release build `cargo run --release` makes.
if [[ "$bin_dir" == "target/debug" && ! -x target/debug/openledgerd && -x target/release/openledgerd ]]; then
  bin_dir="target/release"
fi
openledgerd="$bin_dir/openledgerd"
[[ -x "$openledgerd" ]] || die "$openledgerd not found; build it with: cargo build --release --bin openledgerd (then --bin-dir target/release)"
command -v jq >/dev/null 2>&1 || die "jq not found (scripts/setup.sh installs it)"
# shellcheck source=lib/hermes.sh
source scripts/lib/hermes.sh
ensure_hermes --check || die "hermes $HERMES_WANT_VERSION is needed (scripts/setup.sh installs it)"
# shellcheck source=lib/dev-chain.sh
source scripts/lib/dev-chain.sh

own_home=0
if [[ -z "$home" ]]; then
  home="$(mktemp -d -t openledger-ibc.XXXXXX)"
  own_home=1
fi
mkdir -p "$home"
home="$(cd "$home" && pwd)"
[[ -d "$home/pids" ]] && stop_all "$home" # a previous run with this --home
mkdir -p "$home/pids" "$home/hermes"

started=0
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n "$env_out" && "$started" == 1 ]]; then
    exit "$rc" # --env-out succeeded: the caller owns the processes now
  fi
  stop_all "$home"
  # Stopped by the user (Ctrl-C / SIGTERM): delete a temporary home unless --keep. A failure keeps it for its logs.
  if [[ "$own_home" == 1 && "$keep" == 0 && ( "$rc" == 130 || "$rc" == 143 ) ]]; then
    rm -rf "$home"
  elif [[ "$own_home" == 1 || "$rc" != 0 ]]; then
    echo "logs and homes kept in $home" >&2
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_chain NAME CHAIN_ID BASE: sets DEV_CHAIN_PID and records it in pids/<name>.pid (also when the chain
# did not come up in time, so that the cleanup stops it).
start_chain() {
  local name="$1" id="$2" base="$3" rc=0
  mkdir -p "$home/$name"
  echo "starting $id: RPC $((base + 657)), REST $((base + 317)), gRPC $((base + 90)) (log $home/$name/node.log)"
  DEV_CHAIN_BLOCK_TIME="$block_time" start_dev_chain "$openledgerd" "$home/$name/node" "$home/$name/node.log" \
    $((base + 657)) $((base + 656)) $((base + 658)) $((base + 317)) $((base + 90)) "$id" || rc=$?
  echo "$DEV_CHAIN_PID" >"$home/pids/$name.pid"
  [[ "$rc" == 0 ]] || die "chain $id did not start"
}
start_chain a "$A_CHAIN_ID" "$a_base"
A_PID="$DEV_CHAIN_PID"
start_chain b "$B_CHAIN_ID" "$b_base"
B_PID="$DEV_CHAIN_PID"

# The ICS-23 proof specs of the node's store go into the client state Hermes creates on the counterparty.
specs_out="$("$openledgerd" ibc proof-specs 2>&1)" \
  || die "\`$openledgerd ibc proof-specs\` failed (Hermes' default IAVL specs do not verify this node's proofs): $specs_out"
jq -e 'type == "array" and length > 0' <<<"$specs_out" >/dev/null 2>&1 \
  || die "\`$openledgerd ibc proof-specs\` did not print a non-empty JSON array: $specs_out"
specs="$specs_out"

hermes_config="$home/hermes/config.toml"
hermes_log="$home/hermes/hermes.log"
hermes_write_config "$hermes_config" "$home/hermes/keys" "$specs" \
  "$A_CHAIN_ID,$((a_base + 657)),$((a_base + 90))" "$B_CHAIN_ID,$((b_base + 657)),$((b_base + 90))"
"$HERMES" --config "$hermes_config" config validate >"$home/hermes/validate.log" 2>&1 \
  || { cat "$home/hermes/validate.log" >&2; die "hermes rejects $hermes_config"; }
echo "hermes $HERMES_WANT_VERSION ($HERMES), config $hermes_config"

for id in "$A_CHAIN_ID" "$B_CHAIN_ID"; do
  hermes_add_key "$hermes_config" "$id" "$MNEMONIC" "$RELAYER_HD_PATH" relayer "$RELAYER_ADDRESS" >/dev/null \
    || die "could not add the relayer key for $id"
done
echo "relayer key: bob ($RELAYER_ADDRESS, $RELAYER_HD_PATH) on both chains"

echo "creating clients, a connection and a transfer channel (hermes create channel; log $home/hermes/create-channel.log) ..."
channel_json="$home/hermes/channel.json"
hermes_create_channel "$hermes_config" "$A_CHAIN_ID" "$B_CHAIN_ID" transfer transfer "$channel_json" \
  "$home/hermes/create-channel.log" || die "could not create the transfer channel"
side() { jq -r ".$1_side.$2" "$channel_json"; }
A_CHANNEL="$(side a channel_id)" B_CHANNEL="$(side b channel_id)"
A_CONNECTION="$(side a connection_id)" B_CONNECTION="$(side b connection_id)"
A_CLIENT="$(side a client_id)" B_CLIENT="$(side b client_id)"

# Not a child of a subshell: `hermes start` must outlive this script with --env-out.
"$HERMES" --config "$hermes_config" start >>"$hermes_log" 2>&1 </dev/null &
echo "$!" >"$home/pids/hermes.pid"
sleep 2
alive "$(cat "$home/pids/hermes.pid")" hermes \
  || { tail -n 40 "$hermes_log" >&2; die "hermes start exited at once (log $hermes_log)"; }

cat <<EOF

IBC between two OpenLedger dev chains is up (home $home)
  A  $A_CHAIN_ID  RPC http://127.0.0.1:$((a_base + 657))  REST http://127.0.0.1:$((a_base + 317))  gRPC http://127.0.0.1:$((a_base + 90))
     transfer channel $A_CHANNEL  ($A_CONNECTION, client $A_CLIENT)  log $home/a/node.log
  B  $B_CHAIN_ID  RPC http://127.0.0.1:$((b_base + 657))  REST http://127.0.0.1:$((b_base + 317))  gRPC http://127.0.0.1:$((b_base + 90))
     transfer channel $B_CHANNEL  ($B_CONNECTION, client $B_CLIENT)  log $home/b/node.log
  Hermes $HERMES (pid $(cat "$home/pids/hermes.pid"))
     config $hermes_config
     log    $hermes_log
  alice open19rl4cm2hmr8afy4kldpxz3fka4jguq0attl9rz and bob (the relayer) are funded on both chains
  (mnemonic "$MNEMONIC").
  IBC denom of A's uopen on B: ibc/$(printf 'transfer/%s/uopen' "$B_CHANNEL" | sha256sum | cut -d' ' -f1 | tr a-f A-F)
EOF

if [[ -n "$env_out" ]]; then
  {
    kv() { printf "%s=%q\n" "$1" "$2"; }
    kv OPENLEDGER_IBC_HOME "$home"
    for s in A B; do
      base_var="${s,,}_base"
      base="${!base_var}"
      id_var="${s}_CHAIN_ID" ch_var="${s}_CHANNEL" conn_var="${s}_CONNECTION" cl_var="${s}_CLIENT" pid_var="${s}_PID"
      kv "OPENLEDGER_IBC_${s}_CHAIN_ID" "${!id_var}"
      kv "OPENLEDGER_IBC_${s}_RPC" "http://127.0.0.1:$((base + 657))"
      kv "OPENLEDGER_IBC_${s}_REST" "http://127.0.0.1:$((base + 317))"
      kv "OPENLEDGER_IBC_${s}_GRPC" "http://127.0.0.1:$((base + 90))"
      kv "OPENLEDGER_IBC_${s}_CHANNEL" "${!ch_var}"
      kv "OPENLEDGER_IBC_${s}_CONNECTION" "${!conn_var}"
      kv "OPENLEDGER_IBC_${s}_CLIENT" "${!cl_var}"
      kv "OPENLEDGER_IBC_${s}_PID" "${!pid_var}"
      kv "OPENLEDGER_IBC_${s}_LOG" "$home/${s,,}/node.log"
    done
    kv OPENLEDGER_IBC_HERMES "$HERMES"
    kv OPENLEDGER_IBC_HERMES_CONFIG "$hermes_config"
    kv OPENLEDGER_IBC_HERMES_LOG "$hermes_log"
    kv OPENLEDGER_IBC_HERMES_PID_FILE "$home/pids/hermes.pid"
  } >"$env_out"
  started=1
  echo "  environment for tests: $env_out; stop everything with: $0 --stop --home $home"
  exit 0
fi

echo "Press Ctrl-C to stop Hermes and both chains."
hermes_warned=0
while alive "$A_PID" openledgerd && alive "$B_PID" openledgerd; do
  if [[ "$hermes_warned" == 0 ]] && ! alive "$(cat "$home/pids/hermes.pid" 2>/dev/null || true)" hermes; then
    echo "WARNING: Hermes is not running any more (log $hermes_log); the chains stay up" >&2
    hermes_warned=1
  fi
  sleep 1
done
echo "a chain stopped on its own; stopping everything (logs: $home/a/node.log, $home/b/node.log)" >&2
exit 1
