#!/usr/bin/env bash
# README command 2: install what is missing, build, and run every test that CI runs.
#   unit + e2e + crosscheck tests under ASan+UBSan with -Werror, then the codec fuzzer
#   for a bounded time. Long-running load/soak checks are in bench/ (label "soak"), not here,
#   nor the packaging checks (labels "package" and "image": ctest -L 'package|image').
# Environment: FLEETLOAD_FUZZ_SECONDS (default 60), FLEETLOAD_JOBS (default: nproc).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"

bash scripts/setup-deps.sh --profile test

# The e2e fleets need thousands of descriptors: take the hard limit (20,000 on some hosts).
ulimit -n "$(ulimit -Hn)" || true

jobs=${FLEETLOAD_JOBS:-$(nproc)}
echo "== build (asan preset: Debug, ASan+UBSan, -Werror)"
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$jobs"

echo "== tests (unit, e2e, crosscheck)"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# setup-deps installed aedes: here a missing aedes fails its tests instead of skipping them.
export FLEETLOAD_REQUIRE_AEDES=1
ctest --test-dir build/asan -L 'unit|e2e|crosscheck' --output-on-failure -j "$jobs" --timeout 600

echo "== fuzz (libFuzzer, ${FLEETLOAD_FUZZ_SECONDS:-60} s)"
bash scripts/fuzz.sh "${FLEETLOAD_FUZZ_SECONDS:-60}"

echo "test.sh: all checks passed"
