#!/usr/bin/env bash
# Builds the libFuzzer target (the `fuzz` preset: clang, ASan+UBSan, build/fuzz) and fuzzes the
# MQTT decoder for a bounded time. Exits non-zero on any crash, leak, UB, timeout or OOM.
#   usage: scripts/fuzz.sh [seconds]        (default 60; FUZZ_SECONDS also works)
# Seeds come from tests/fuzz/corpus (read-only); new inputs go to a temporary directory that is
# removed afterwards. A failing input is kept in build/fuzz/fuzz-artifacts/ for reproduction:
#   build/fuzz/tests/fuzz/mqtt_decode_fuzz build/fuzz/fuzz-artifacts/crash-...
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-${FUZZ_SECONDS:-60}}
jobs=${FLEETLOAD_JOBS:-2}

cd "$here"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz --target mqtt_decode_fuzz -j "$jobs"

fuzzer=build/fuzz/tests/fuzz/mqtt_decode_fuzz
artifacts=build/fuzz/fuzz-artifacts
mkdir -p "$artifacts"
work=$(mktemp -d "${TMPDIR:-/tmp}/fleetload-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT

export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1
echo "fuzz: running $fuzzer for ${seconds}s (seeds: tests/fuzz/corpus)" >&2
set +e
"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
  -print_final_stats=1 -artifact_prefix="$artifacts/" "$work" tests/fuzz/corpus
rc=$?
set -e
if [ $rc -ne 0 ]; then
  echo "fuzz: FAILED (exit $rc); failing input(s) in $artifacts/" >&2
  exit $rc
fi
echo "fuzz: clean after ${seconds}s" >&2
