# shellcheck shell=bash
# Sourced by scripts/setup.sh, scripts/ibc-two-chains.sh and scripts/e2e-ibc.sh: the Hermes IBC relayer
# (informalsystems/hermes, crate ibc-relayer-cli) against `openledgerd dev` chains. See
# The comments on each option below say what Hermes needs from the node and why the config looks like this.
#
# ensure_hermes [--check] [--nice N]
#   sets HERMES to a `hermes` binary that reports version $HERMES_WANT_VERSION, looking at $HERMES, PATH and
#   ${CARGO_HOME:-~/.cargo}/bin in that order. When none does, installs it with
#   `cargo install ibc-relayer-cli --version $HERMES_WANT_VERSION --locked --bin hermes` (20-40 min on 2 cores;
#   needs crates.io), run under `nice -n N` with --nice. With --check it installs nothing and returns 1
#   (printing what it found) instead.
#
# hermes_write_config CONFIG KEY_STORE_DIR PROOF_SPECS_JSON CHAIN...
#   writes a Hermes config.toml for the given chains; CHAIN is ID,RPC,GRPC where RPC and GRPC are either a
#   port on 127.0.0.1 or a URL (gRPC is plaintext h2c: http://). PROOF_SPECS_JSON is the JSON array
#   `openledgerd ibc proof-specs` prints (written as every chain's `proof_specs`), or "" for Hermes' default
#   (IAVL + Tendermint, which does not match the node's JMT store). Keys live in KEY_STORE_DIR, not ~/.hermes.
#   Knobs: HERMES_LOG_LEVEL (info), HERMES_CLEAR_INTERVAL (0: no periodic clearing; pending packets and
#   timeouts are relayed when Hermes starts, clear_on_start), HERMES_TRUSTING_PERIOD (14days; the dev chain's
#   unbonding time is 21 days), HERMES_EVENT_INTERVAL (pull-mode polling, 500ms).
#
# hermes_add_key CONFIG CHAIN_ID MNEMONIC HD_PATH [KEY_NAME [EXPECT_ADDRESS]]
#   imports the key derived from MNEMONIC at HD_PATH as KEY_NAME (default `relayer`, the key_name the config
#   uses) for CHAIN_ID, overwriting an existing one; prints Hermes' answer. With EXPECT_ADDRESS, fails unless
#   Hermes derived that address.
#
# hermes_create_channel CONFIG A_CHAIN B_CHAIN A_PORT B_PORT OUT_JSON LOG
#   `hermes create channel --new-client-connection --yes` (new clients, connection and channel); the
#   channel Hermes reports (a_side / b_side with client_id, connection_id, channel_id, port_id, version) is
#   written to OUT_JSON, Hermes' JSON log to LOG. Fails with Hermes' error message. Needs jq.

HERMES_WANT_VERSION="1.10.5"
_HERMES_SH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# hermes_version BIN: the version number BIN reports ("" if it does not run).
hermes_version() {
  "$1" version 2>/dev/null | awk 'NR == 1 { print $NF }' || true
}

ensure_hermes() {
  local check=0 nice_level="" cand found=""
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --check) check=1; shift ;;
      --nice) nice_level="$2"; shift 2 ;;
      *) echo "ensure_hermes: unknown argument '$1'" >&2; return 2 ;;
    esac
  done
  local cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
  for cand in "${HERMES:-}" "$(command -v hermes 2>/dev/null || true)" "$cargo_bin/hermes"; do
    [[ -n "$cand" && -x "$cand" ]] || continue
    local v
    v="$(hermes_version "$cand")"
    if [[ "$v" == "$HERMES_WANT_VERSION" ]]; then
      HERMES="$cand"
      return 0
    fi
    found+="${found:+, }$cand (${v:-does not run})"
  done
  if [[ "$check" == 1 ]]; then
    echo "hermes $HERMES_WANT_VERSION not found${found:+ (found: $found)}; scripts/setup.sh installs it" >&2
    return 1
  fi
  command -v cargo >/dev/null 2>&1 || { echo "ensure_hermes: cargo not found (needed to build Hermes)" >&2; return 1; }
  local prefix=()
  [[ -n "$nice_level" ]] && prefix=(nice -n "$nice_level")
  echo "installing hermes $HERMES_WANT_VERSION: cargo install ibc-relayer-cli --version $HERMES_WANT_VERSION --locked --bin hermes" \
    "(takes 20-40 min on 2 cores)${found:+; found: $found}" >&2
  # From the repository root, so that rustup picks the toolchain pinned in rust-toolchain.toml.
  (cd "$_HERMES_SH_ROOT" && ${prefix[@]+"${prefix[@]}"} cargo install ibc-relayer-cli --version "$HERMES_WANT_VERSION" \
    --locked --bin hermes) \
    || { echo "ensure_hermes: cargo install ibc-relayer-cli $HERMES_WANT_VERSION failed" >&2; return 1; }
  HERMES="$cargo_bin/hermes"
  local v
  v="$(hermes_version "$HERMES")"
  if [[ "$v" != "$HERMES_WANT_VERSION" ]]; then
    echo "ensure_hermes: $HERMES reports version '${v}', expected $HERMES_WANT_VERSION" >&2
    return 1
  fi
}

# _hermes_url PORT_OR_URL
_hermes_url() {
  if [[ "$1" =~ ^[0-9]+$ ]]; then printf 'http://127.0.0.1:%s' "$1"; else printf '%s' "$1"; fi
}

hermes_write_config() {
  local config="$1" keys="$2" specs="$3"
  shift 3
  [[ $# -gt 0 ]] || { echo "hermes_write_config: no chains given" >&2; return 2; }
  if [[ "$specs" == *"'''"* ]]; then
    echo "hermes_write_config: the proof specs contain ''' and cannot go into a TOML literal string" >&2
    return 2
  fi
  mkdir -p "$(dirname "$config")" "$keys"
  {
    cat <<EOF
# Hermes $HERMES_WANT_VERSION config for OpenLedger dev chains, written by scripts/lib/hermes.sh.
# Why each option: see the comment beside it.

[global]
log_level = '${HERMES_LOG_LEVEL:-info}'

[mode.clients]
enabled = true
refresh = true
misbehaviour = false

[mode.connections]
enabled = false

[mode.channels]
enabled = false

[mode.packets]
enabled = true
# 0: no periodic clearing; what is pending (receipts, acks, timeouts) is relayed when Hermes starts.
clear_interval = ${HERMES_CLEAR_INTERVAL:-0}
clear_on_start = true
tx_confirmation = false

[rest]
enabled = false
host = '127.0.0.1'
port = 3000

[telemetry]
enabled = false
host = '127.0.0.1'
port = 3001
EOF
    local chain id rpc grpc rest
    for chain in "$@"; do
      IFS=, read -r id rpc grpc rest <<<"$chain"
      if [[ -z "$id" || -z "$rpc" || -z "$grpc" || -n "$rest" ]]; then
        echo "hermes_write_config: chain '$chain' is not ID,RPC,GRPC" >&2
        return 2
      fi
      cat <<EOF

[[chains]]
id = '$id'
type = 'CosmosSdk'
rpc_addr = '$(_hermes_url "$rpc")'
grpc_addr = '$(_hermes_url "$grpc")'
# Pull mode: abci_info + block_results, no WebSocket; sees IBC events emitted inside contracts too.
event_source = { mode = 'pull', interval = '${HERMES_EVENT_INTERVAL:-500ms}', max_retries = 4 }
compat_mode = '0.38'
rpc_timeout = '10s'
trusted_node = false
account_prefix = 'open'
key_name = 'relayer'
key_store_type = 'Test'
key_store_folder = '$keys'
store_prefix = 'ibc'
default_gas = 300000
max_gas = 4000000
gas_multiplier = 1.3
gas_price = { price = 0.025, denom = 'uopen' }
dynamic_gas_price = { enabled = false, multiplier = 1.1, max = 0.6 }
max_msg_num = 30
max_tx_size = 180000
clock_drift = '5s'
# the node's ConnectionParams max_expected_time_per_block (Hermes warns when they differ)
max_block_time = '30s'
trusting_period = '${HERMES_TRUSTING_PERIOD:-14days}'
trust_threshold = '2/3'
address_type = { derivation = 'cosmos' }
memo_prefix = ''
ccv_consumer_chain = false
allow_ccq = false
EOF
      if [[ -n "$specs" ]]; then
        printf "# ICS-23 specs of the node's JMT store (\`openledgerd ibc proof-specs\`), put into the clients Hermes creates\n"
        printf "proof_specs = '''\n%s\n'''\n" "$specs"
      fi
    done
  } >"$config"
}

hermes_add_key() {
  local config="$1" chain="$2" mnemonic="$3" hd_path="$4" key_name="${5:-relayer}" expect="${6:-}"
  local dir out rc=0
  dir="$(mktemp -d)"
  (umask 077 && printf '%s\n' "$mnemonic" >"$dir/mnemonic")
  out="$("${HERMES:-hermes}" --config "$config" keys add --chain "$chain" --mnemonic-file "$dir/mnemonic" \
    --hd-path "$hd_path" --key-name "$key_name" --overwrite 2>&1)" || rc=$?
  rm -rf "$dir"
  printf '%s\n' "$out"
  if [[ "$rc" != 0 ]]; then
    echo "hermes_add_key: hermes keys add for $chain failed (exit $rc)" >&2
    return 1
  fi
  if [[ -n "$expect" && "$out" != *"$expect"* ]]; then
    echo "hermes_add_key: expected key '$key_name' on $chain to be $expect" >&2
    return 1
  fi
}

hermes_create_channel() {
  local config="$1" a="$2" b="$3" a_port="$4" b_port="$5" out="$6" log="$7" rc=0
  "${HERMES:-hermes}" --json --config "$config" create channel --a-chain "$a" --b-chain "$b" \
    --a-port "$a_port" --b-port "$b_port" --new-client-connection --yes >"$log" 2>&1 || rc=$?
  # In --json mode every log line and the final {"status", "result"} line are JSON objects on stdout.
  jq -R -c 'fromjson? | select(type == "object" and has("status") and has("result"))' "$log" | tail -n 1 >"$out.status"
  if [[ "$rc" == 0 ]] && jq -e '.status == "success" and (.result.a_side.channel_id | type == "string")
      and (.result.b_side.channel_id | type == "string")' "$out.status" >/dev/null 2>&1; then
    jq '.result' "$out.status" >"$out"
    rm -f "$out.status"
    return 0
  fi
  echo "hermes create channel $a ($a_port) <-> $b ($b_port) failed (exit $rc):" >&2
  if [[ -s "$out.status" ]]; then
    jq -r '.result | if type == "string" then . else tostring end' "$out.status" >&2
  fi
  echo "--- last Hermes log lines ($log):" >&2
  jq -R -r 'fromjson? | select(has("level")) | "\(.timestamp) \(.level) \(.fields.message // "") \(.span // {} | tostring)"' \
    "$log" | tail -n 25 >&2 || tail -n 25 "$log" >&2
  rm -f "$out.status"
  return 1
}
