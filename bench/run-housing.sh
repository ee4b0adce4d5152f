#!/usr/bin/env bash
# Housing figures on this machine: appservice delivery (events/s to one appservice, lag from
# persistence to delivery) and provisioning (import N buildings, verify M residents):
#   bash bench/run-housing.sh [build-dir]
# BUILDINGS=1000 RESIDENTS=100000 CONCURRENCY=32 SCENARIO=all|delivery|provisioning
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
ninja -C "$BUILD" domovoy domovoy_housing_load >/dev/null
WORK=$(mktemp -d /tmp/domovoy-housing-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
AS_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
AS_TOKEN=bench-as-$RANDOM$RANDOM HS_TOKEN=bench-hs-$RANDOM$RANDOM
cat > "$WORK/bench-as.yaml" <<YAML
id: bench
url: http://127.0.0.1:$AS_PORT
as_token: $AS_TOKEN
hs_token: $HS_TOKEN
sender_localpart: benchbot
rate_limited: false
namespaces:
  users: [{regex: '@_bench_.*', exclusive: true}]
YAML
cat > "$WORK/bench.yaml" <<YAML
password_hashing: {ops_limit: 1, mem_limit_mb: 8}
limits: {max_connections: 30000, max_connections_per_address: 30000}
admins: ["@bench-admin:localhost"]
housing: {failed_redemptions: 1000000}
appservices: ["$WORK/bench-as.yaml"]
YAML
"$BUILD/domovoy" serve --config "$WORK/bench.yaml" --listen 127.0.0.1:0 --data-dir "$WORK/data" --no-rate-limits --log-level warn \
  > "$WORK/server.out" 2>&1 &
PID=$!
for _ in $(seq 1 200); do
  PORT=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\)\/.*/\1/p' "$WORK/server.out")
  [ -n "$PORT" ] && break
  sleep 0.05
done
[ -n "$PORT" ] || { cat "$WORK/server.out"; exit 1; }
ADMIN_TOKEN=$(curl -sf -X POST "http://127.0.0.1:$PORT/_matrix/client/v3/register" -H 'Content-Type: application/json' \
  -d '{"username":"bench-admin","password":"bench-admin-password","auth":{"type":"m.login.dummy"}}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
# PERF_OUT=FILE records the server's profile during the load (perf record -g), for perf report.
if [ -n "${PERF_OUT:-}" ]; then perf record -F 499 --call-graph dwarf,16384 -o "$PERF_OUT" -p "$PID" >/dev/null 2>&1 & PERF_PID=$!; fi
"$BUILD/domovoy_housing_load" --port "$PORT" --server-pid "$PID" --as-port "$AS_PORT" --as-token "$AS_TOKEN" --hs-token "$HS_TOKEN" \
  --admin-token "$ADMIN_TOKEN" --buildings "${BUILDINGS:-1000}" --residents "${RESIDENTS:-100000}" \
  --concurrency "${CONCURRENCY:-32}" --scenario "${SCENARIO:-all}"
if [ -n "${PERF_OUT:-}" ]; then kill -INT "$PERF_PID"; wait "$PERF_PID" || true; fi
du -sh "$WORK/data/db" | sed 's/^/database size: /'
kill -TERM "$PID"; wait "$PID" || true
