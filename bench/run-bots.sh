#!/usr/bin/env bash
# The housing bots' figures on this machine: the bot round trip (command sent -> reply in the
# resident's /sync) with RESIDENTS residents sending at once, then a meeting tally over 1,000
# apartments and the monthly billing of ACCOUNTS accounts:
#   bash bench/run-bots.sh [build-dir]      RESIDENTS=100 ROUNDS=10 ACCOUNTS=100000
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
ninja -C "$BUILD" domovoy domovoy_bots_load domovoy_bots_bench >/dev/null
WORK=$(mktemp -d /tmp/domovoy-bots-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
BOTS_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BUILD/domovoy" housing --write-registration "$WORK/housing.yaml" --url "http://127.0.0.1:$BOTS_PORT" >/dev/null
cat > "$WORK/server.yaml" <<YAML
password_hashing: {ops_limit: 1, mem_limit_mb: 8}
admins: ["@bench-admin:localhost"]
housing: {demo: true}
appservices: ["$WORK/housing.yaml"]
YAML
"$BUILD/domovoy" serve --config "$WORK/server.yaml" --listen 127.0.0.1:0 --data-dir "$WORK/data" --no-rate-limits --log-level warn \
  > "$WORK/server.out" 2>&1 &
PID=$!
for _ in $(seq 1 200); do
  PORT=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\)\/.*/\1/p' "$WORK/server.out")
  [ -n "$PORT" ] && break
  sleep 0.05
done
[ -n "$PORT" ] || { cat "$WORK/server.out"; exit 1; }
"$BUILD/domovoy" housing --registration "$WORK/housing.yaml" --homeserver "http://127.0.0.1:$PORT" \
  --listen "127.0.0.1:$BOTS_PORT" --data-dir "$WORK/bots" --log-level "${BOTS_LOG:-warn}" > "${BOTS_OUT:-$WORK/bots.out}" 2>&1 &
BOTS=$!
ADMIN_TOKEN=$(curl -sf -X POST "http://127.0.0.1:$PORT/_matrix/client/v3/register" -H 'Content-Type: application/json' \
  -d '{"username":"bench-admin","password":"bench-admin-password","auth":{"type":"m.login.dummy"}}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
"$BUILD/domovoy_bots_load" --port "$PORT" --admin-token "$ADMIN_TOKEN" --server-pid "$PID" --bots-pid "$BOTS" \
  --residents "${RESIDENTS:-100}" --rounds "${ROUNDS:-10}"
kill -TERM "$BOTS" "$PID"; wait "$BOTS" "$PID" || true
"$BUILD/domovoy_bots_bench" --apartments 1000 --accounts "${ACCOUNTS:-100000}" --data "$WORK/billing"
