# Sourced by scripts/e2e-dev.sh and scripts/demo.sh: start a throw-away `openledgerd dev` chain.
#
# start_dev_chain OPENLEDGERD HOME LOG RPC P2P ABCI REST GRPC
#   starts `OPENLEDGERD dev --home HOME --reset` on those ports with its output in LOG, sets
#   DEV_CHAIN_PID, and returns once it prints "is running" (fails, showing LOG, after 60 s or
#   if it exits first). The caller stops it: kill -TERM "$DEV_CHAIN_PID".
start_dev_chain() {
  local bin="$1" home="$2" log="$3"
  "$bin" dev --home "$home" --reset --rpc-port "$4" --p2p-port "$5" --abci-port "$6" \
    --rest-port "$7" --grpc-port "$8" >"$log" 2>&1 &
  DEV_CHAIN_PID=$!
  for _ in $(seq 1 120); do
    grep -q "is running" "$log" && return 0
    if ! kill -0 "$DEV_CHAIN_PID" 2>/dev/null; then
      echo "openledgerd dev exited early:" >&2
      cat "$log" >&2
      return 1
    fi
    sleep 0.5
  done
  echo "openledgerd dev did not start in 60s:" >&2
  cat "$log" >&2
  return 1
}
