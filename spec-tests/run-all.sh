#!/usr/bin/env bash
# The whole test suite: build, unit tests (also under ASan/UBSan), fuzzers for a bounded time,
# and the black-box tests that drive the real binary with matrix-js-sdk and matrix-nio.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
JOBS=$(nproc)

echo "== build (warnings are errors)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDOMOVOY_WERROR=ON >/dev/null
ninja -C build -j "$JOBS"

echo "== unit tests"
ctest --test-dir build --output-on-failure -j "$JOBS"

echo "== black-box tests: matrix-js-sdk"
bash spec-tests/js/run.sh "$ROOT/build/domovoy"

echo "== black-box tests: matrix-nio"
bash spec-tests/python/run.sh "$ROOT/build/domovoy"

if [ "${DOMOVOY_SKIP_SANITIZERS:-0}" != "1" ]; then
  echo "== unit tests under AddressSanitizer + UndefinedBehaviorSanitizer"
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DDOMOVOY_SANITIZE=ON -DDOMOVOY_BENCH=OFF >/dev/null
  ninja -C build-asan -j "$JOBS" domovoy_unit_tests
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j "$JOBS"

  echo "== fuzzers (bounded time each)"
  bash homeserver/fuzz/run.sh
fi
echo "== all tests passed"
