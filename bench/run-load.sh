#!/usr/bin/env bash
# Whole-server figures on this machine, in one command:
#   bash bench/run-load.sh [build-dir]
# SCENARIO=name runs one scenario of the driver (default all); SERVER=path measures another
# domovoy binary (e.g. an older build) with this build's driver; SKIP_LOAD=1 / SKIP_STARTUP=1;
# BIG_ROOM_MEMBERS=N measures the big room at one size only (default 500, 1000 and 2000);
# MANY_ROOMS=1 [ROOMS=200 MEMBERS=2000] adds one resident in many big rooms.
# Starts domovoy with rate limits off and cheap password hashing (registration is not what is
# measured) on a fresh data directory, runs the load driver, then measures start-up time over a
# database of 1,000,000 events made by domovoy_make_db.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
ninja -C "$BUILD" domovoy domovoy_load_driver domovoy_make_db domovoy_make_building >/dev/null
WORK=$(mktemp -d /tmp/domovoy-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
cat > "$WORK/bench.yaml" <<YAML
password_hashing: {ops_limit: 1, mem_limit_mb: 8}
limits: {max_connections: 30000, max_connections_per_address: 30000}
YAML

start_server() {  # data dir -> sets PID and PORT
  "${SERVER:-$BUILD/domovoy}" serve --config "$WORK/bench.yaml" --listen 127.0.0.1:0 --data-dir "$1" --no-rate-limits --log-level warn \
    > "$WORK/server.out" 2>&1 &
  PID=$!
  for _ in $(seq 1 200); do
    PORT=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\)\/.*/\1/p' "$WORK/server.out")
    [ -n "$PORT" ] && return 0
    sleep 0.05
  done
  echo "server did not start"; cat "$WORK/server.out"; exit 1
}

if [ "${SKIP_LOAD:-0}" != "1" ]; then
  echo "== load (server: $(nproc) cores shared with the driver)"
  start_server "$WORK/load"
  "$BUILD/domovoy_load_driver" --port "$PORT" --server-pid "$PID" --scenario "${SCENARIO:-all}" \
    ${BIG_ROOM_MEMBERS:+--members "$BIG_ROOM_MEMBERS"}
  kill -TERM "$PID"; wait "$PID" || true
fi

if [ "${SKIP_STARTUP:-0}" != "1" ]; then
  echo "== start-up over a large database"
  "$BUILD/domovoy_make_db" "$WORK/big" "${STARTUP_EVENTS:-1000000}" 100
  du -sh "$WORK/big/db" | sed 's/^/database size: /'
  T0=$(date +%s%N)
  start_server "$WORK/big"
  until curl -sf "http://127.0.0.1:$PORT/_matrix/client/versions" >/dev/null; do sleep 0.01; done
  T1=$(date +%s%N)
  echo "start-up to first answered request: $(( (T1 - T0) / 1000000 )) ms"
  kill -TERM "$PID"; wait "$PID" || true
fi

if [ "${MANY_ROOMS:-0}" = "1" ]; then
  # About 10 minutes to build for 200 rooms of 2,000 members (400,000 joins through the engine).
  echo "== one resident in ${ROOMS:-200} rooms of ${MEMBERS:-2000} members"
  TOKEN=$("$BUILD/domovoy_make_building" "$WORK/building" "${ROOMS:-200}" "${MEMBERS:-2000}" 20)
  start_server "$WORK/building"
  "$BUILD/domovoy_load_driver" --port "$PORT" --server-pid "$PID" --scenario many-rooms --token "$TOKEN"
  kill -TERM "$PID"; wait "$PID" || true
fi
