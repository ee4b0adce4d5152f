#!/usr/bin/env bash
# Black-box tests of Domovoy against the Matrix client-server spec, with raw HTTP and
# matrix-js-sdk, on Node's built-in test runner. Each test file starts its own server(s) on a free
# port with a fresh data directory.
# Usage: bash spec-tests/js/run.sh /path/to/domovoy
set -euo pipefail
if [ $# -lt 1 ]; then
  echo "usage: $0 /path/to/domovoy" >&2
  exit 2
fi
if [ ! -x "$1" ]; then
  echo "not an executable file: $1" >&2
  exit 2
fi
# Test a private copy, so a rebuild of the binary during the run cannot disturb it.
WORK=$(mktemp -d "${TMPDIR:-/tmp}/domovoy-js-run.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cp "$1" "$WORK/domovoy"
export DOMOVOY_BIN="$WORK/domovoy"

cd "$(dirname "$0")"
npm ci --no-audit --no-fund
# Serial (--test-concurrency=1): the machine has 2 cores and every file runs servers.
# --test-force-exit: matrix-js-sdk leaves request-timeout timers running after stopClient().
node --test --test-concurrency=1 --test-force-exit tests/
