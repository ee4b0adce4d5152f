#!/usr/bin/env bash
# Federation figures between two servers on this machine (bench/federation_bench.py starts
# msk and spb over TLS on loopback with its own CA):
#   bash bench/run-federation.sh [build-dir]
# PDUS=5000 LATENCY_SAMPLES=200 MEMBERS=1000 EVENTS=10000 CATCHUP=10000 CONCURRENCY=8
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
ninja -C "$BUILD" domovoy >/dev/null
exec /usr/bin/python3 bench/federation_bench.py "$BUILD/domovoy"
