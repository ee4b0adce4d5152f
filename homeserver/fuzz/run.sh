#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) in build-fuzz and runs each for a bounded
# time on a copy of its seed corpus (the repository stays clean). Exits non-zero on any crash,
# leak, timeout, broken invariant or sanitizer report; the reproducers are kept under
# build-fuzz/fuzz-artifacts/<target>/.
#
#   bash homeserver/fuzz/run.sh                 # all targets, 60 s each
#   DOMOVOY_FUZZ_SECONDS=300 bash homeserver/fuzz/run.sh fuzz_http
#   DOMOVOY_FUZZ_FORK=1 bash homeserver/fuzz/run.sh      # go on after a crash, collect them all
#   build-fuzz/fuzz_pdu homeserver/fuzz/crashes/<file>   # replay one input
# fuzz_http also reads DOMOVOY_FUZZ_HTTP_LENIENT / _VERBOSE (see fuzz_http.cpp).
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BUILD=${DOMOVOY_FUZZ_BUILD_DIR:-$ROOT/build-fuzz}
SECONDS_EACH=${DOMOVOY_FUZZ_SECONDS:-60}
EXTRA=()
[ "${DOMOVOY_FUZZ_FORK:-0}" = "1" ] && EXTRA=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(fuzz_json fuzz_pdu fuzz_http fuzz_x_matrix)

echo "== configure and build fuzzers in $BUILD"
CC=clang CXX=clang++ cmake -S "$ROOT" -B "$BUILD" -G Ninja -DDOMOVOY_FUZZ=ON -DDOMOVOY_TESTS=OFF \
  -DDOMOVOY_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null || exit 1
ninja -C "$BUILD" -j2 "${TARGETS[@]}" || exit 1

WORK=$(mktemp -d "${TMPDIR:-/tmp}/domovoy-fuzz-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1}

failed=()
for target in "${TARGETS[@]}"; do
  echo "== $target for ${SECONDS_EACH}s"
  run="$WORK/$target"
  mkdir -p "$run/corpus" "$run/artifacts" "$run/tmp"
  cp -R "$ROOT/homeserver/fuzz/corpus/$target/." "$run/corpus/"
  # TMPDIR: fuzz_http's server data directory also goes away with $WORK, even after a crash.
  (cd "$run" && TMPDIR="$run/tmp" "$BUILD/$target" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=4096 \
     -print_final_stats=1 -artifact_prefix="$run/artifacts/" "${EXTRA[@]}" "$run/corpus") >"$run/log" 2>&1
  status=$?
  # Reports that did not stop the run (a sanitizer set to recover, fork mode) count as failures too.
  if [ $status -ne 0 ] || [ -n "$(ls -A "$run/artifacts")" ] || grep -qE "ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|libFuzzer)|runtime error:|FUZZ INVARIANT BROKEN" "$run/log"; then
    failed+=("$target")
    keep="$BUILD/fuzz-artifacts/$target"
    mkdir -p "$keep"
    cp -R "$run/artifacts/." "$keep/" 2>/dev/null
    cp "$run/log" "$keep/log"
    echo "!! $target FAILED (exit $status); log and reproducers in $keep"
    grep -aE "ERROR:|runtime error:|FUZZ INVARIANT BROKEN|SUMMARY:|Test unit written" "$run/log" | sort | uniq -c | head -20
  else
    grep -aE "stat::number_of_executed_units|stat::peak_rss_mb" "$run/log" | tr -s " " | tr "\n" " "
    echo "corpus $(ls "$run/corpus" | wc -l) inputs"
  fi
done

if [ ${#failed[@]} -ne 0 ]; then
  echo "== fuzzers failed: ${failed[*]}"
  exit 1
fi
echo "== fuzzers passed"
