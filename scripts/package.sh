#!/usr/bin/env bash
# Builds the Debian package of fleetload: installs what is missing (setup-deps' package
# profile), configures a Release build with CMAKE_INSTALL_PREFIX=/usr and no tests or
# benches, builds the binary, its man page and completions, and runs CPack's DEB
# generator (cmake/Package.cmake). Prints the .deb's path on stdout (progress on stderr).
#
#   scripts/package.sh [BUILD_DIR]       (default build/package)
#   sudo apt install ./build/package/packages/fleetload_0.1.0_amd64.deb
#
# Environment: FLEETLOAD_JOBS (compile jobs, default 2), FLEETLOAD_SKIP_SETUP=1 (do not
# call setup-deps), SOURCE_DATE_EPOCH (the man page's date; default: the last commit's).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$here/build/package}
jobs=${FLEETLOAD_JOBS:-2}

if [ "${FLEETLOAD_SKIP_SETUP:-0}" != 1 ]; then
  bash "$here/scripts/setup-deps.sh" --profile package >&2
fi
if [ -z "${SOURCE_DATE_EPOCH:-}" ] && git -C "$here" rev-parse --git-dir >/dev/null 2>&1; then
  SOURCE_DATE_EPOCH=$(git -C "$here" log -1 --format=%ct 2>/dev/null || true)
  [ -n "$SOURCE_DATE_EPOCH" ] && export SOURCE_DATE_EPOCH
fi

echo "== package: Release build in $build" >&2
cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
  -DFLEETLOAD_BUILD_TESTS=OFF -DFLEETLOAD_BUILD_BENCH=OFF -DFLEETLOAD_SANITIZE=OFF >&2
cmake --build "$build" -j "$jobs" >&2

echo "== package: cpack -G DEB" >&2
rm -f "$build"/packages/fleetload_*.deb
(cd "$build" && cpack -G DEB) >&2
debs=("$build"/packages/fleetload_*.deb)
if [ ${#debs[@]} -ne 1 ] || [ ! -f "${debs[0]}" ]; then
  echo "package: expected one fleetload_*.deb in $build/packages, found: ${debs[*]}" >&2
  exit 1
fi
echo "== package: $(dpkg-deb -f "${debs[0]}" Package Version Architecture | tr '\n' ' ')" >&2
echo "${debs[0]}"
