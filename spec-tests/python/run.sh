#!/usr/bin/env bash
# Black-box tests of Domovoy with matrix-nio (Debian's python3-matrix-nio).
# Usage: bash spec-tests/python/run.sh /path/to/domovoy [extra unittest args, e.g. -k sync]
# Each test class starts its own server on a free port with a fresh data directory.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
BIN="${1:-}"
if [ -z "$BIN" ]; then
  echo "usage: $0 /path/to/domovoy [unittest args]" >&2
  exit 2
fi
shift
if [ ! -x "$BIN" ]; then
  echo "not an executable: $BIN" >&2
  exit 2
fi
# nio is installed for the system interpreter only (not for a pyenv python3 on PATH).
PY="${DOMOVOY_PYTHON:-/usr/bin/python3}"
if ! "$PY" -c 'import nio' 2>/dev/null; then
  echo "matrix-nio is not importable by $PY (apt-get install python3-matrix-nio)" >&2
  exit 2
fi
# Run a private copy so that a rebuild of the binary during the run does not break it.
WORK="$(mktemp -d "${TMPDIR:-/tmp}/domovoy-nio-bin.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
cp "$BIN" "$WORK/domovoy"
export DOMOVOY_BINARY="$WORK/domovoy"
cd "$HERE"
"$PY" -m unittest discover -s "$HERE/tests" -t "$HERE/tests" -v "$@"
