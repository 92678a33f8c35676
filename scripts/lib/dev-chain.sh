# Sourced by scripts/e2e-dev.sh, scripts/demo.sh and scripts/ibc-two-chains.sh: start a throw-away
# `openledgerd dev` chain.
#
# start_dev_chain OPENLEDGERD HOME LOG RPC P2P ABCI REST GRPC [CHAIN_ID]
#   starts `OPENLEDGERD dev --home HOME --reset --no-contracts` (the chain alone: callers deploy
#   their own contracts) on those ports with its output in LOG, sets
#   DEV_CHAIN_PID, and returns once it prints "is running" (fails, showing LOG, after 60 s or
#   if it exits first). The caller stops it: kill -TERM "$DEV_CHAIN_PID".
#   CHAIN_ID (or, when the argument is absent, $DEV_CHAIN_ID) is passed as --chain-id; with
#   neither set the node's default (openledger-dev-1) applies. Chain ids must end in
#   -<revision number> for IBC (e.g. openledger-a-1).
#   $DEV_CHAIN_BLOCK_TIME, when set, is passed as --block-time (e.g. 500ms, 1s).
#   Callers pick ports below 32768: Linux hands out 32768-60999 as the local ports of outgoing
#   connections, so a fixed port there is sometimes taken by some client's socket for a while.
start_dev_chain() {
  local bin="$1" home="$2" log="$3"
  local chain_id="${9:-${DEV_CHAIN_ID:-}}"
  local extra=()
  [[ -n "$chain_id" ]] && extra+=(--chain-id "$chain_id")
  [[ -n "${DEV_CHAIN_BLOCK_TIME:-}" ]] && extra+=(--block-time "$DEV_CHAIN_BLOCK_TIME")
  "$bin" dev --home "$home" --reset --no-contracts --rpc-port "$4" --p2p-port "$5" --abci-port "$6" \
    --rest-port "$7" --grpc-port "$8" ${extra[@]+"${extra[@]}"} >"$log" 2>&1 &
  DEV_CHAIN_PID=$!
  for _ in $(seq 1 120); do
    grep -q "is running" "$log" && return 0
    if ! kill -0 "$DEV_CHAIN_PID" 2>/dev/null; then
      echo "openledgerd dev exited early:" >&2
      cat "$log" >&2
      if grep -q "is not free" "$log" && command -v ss >/dev/null; then
        echo "sockets on its ports now:" >&2
        ss -tanp 2>/dev/null | grep -E ":($4|$5|$6|$7|$8)\b" >&2 || echo "  (none)" >&2
      fi
      return 1
    fi
    sleep 0.5
  done
  echo "openledgerd dev did not start in 60s:" >&2
  cat "$log" >&2
  return 1
}
