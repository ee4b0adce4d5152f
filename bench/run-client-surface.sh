#!/usr/bin/env bash
# Client-surface figures on this machine: media upload/download MiB/s, thumbnail time per image,
# keys/query for a user with 100 devices (bench/client_surface_bench.py drives a fresh server):
#   bash bench/run-client-surface.sh [build-dir]
# CONCURRENCY=8 MEDIA_MB=4 MEDIA_FILES=48 THUMBNAIL_IMAGES=20 DEVICES=100
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
ninja -C "$BUILD" domovoy >/dev/null
WORK=$(mktemp -d /tmp/domovoy-client-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
cat > "$WORK/bench.yaml" <<YAML
password_hashing: {ops_limit: 1, mem_limit_mb: 8}
media: {max_upload_mb: 16, quota_mb_per_user: 0}
YAML
"$BUILD/domovoy" serve --config "$WORK/bench.yaml" --listen 127.0.0.1:0 --data-dir "$WORK/data" --no-rate-limits \
  --log-level warn > "$WORK/server.out" 2>&1 &
for _ in $(seq 1 200); do
  PORT=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\)\/.*/\1/p' "$WORK/server.out")
  [ -n "$PORT" ] && break
  sleep 0.05
done
[ -n "$PORT" ] || { cat "$WORK/server.out"; exit 1; }
/usr/bin/python3 bench/client_surface_bench.py "http://127.0.0.1:$PORT"
