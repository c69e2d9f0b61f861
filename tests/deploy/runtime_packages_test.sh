#!/usr/bin/env bash
# Every shared library the fleetload binary loads comes from a Debian package that
# docker/runtime-packages.txt lists, i.e. that the image's slim runtime stage installs.
# Sanitizer runtimes (this test usually sees the ASan build) are not part of the image.
# Exit 77 (skip) off Debian (no dpkg).
#   tests/deploy/runtime_packages_test.sh SOURCE_DIR FLEETLOAD_BINARY
set -euo pipefail
src=${1:?usage: $0 SOURCE_DIR FLEETLOAD_BINARY}
bin=${2:?usage: $0 SOURCE_DIR FLEETLOAD_BINARY}
if ! command -v dpkg >/dev/null 2>&1; then
  echo "SKIP: dpkg is not available: the image's package list is for Debian"
  exit 77
fi
needed=$(sh "$src/docker/runtime-packages.sh" "$bin" | grep -Ev '^lib(asan|ubsan|lsan|tsan)[0-9]*$')
listed=$(grep -v '^#' "$src/docker/runtime-packages.txt" | sort -u)
echo "the binary needs: $(echo "$needed" | tr '\n' ' ')"
missing=$(comm -23 <(echo "$needed" | sort -u) <(echo "$listed"))
if [ -n "$missing" ]; then
  echo "FAIL: docker/runtime-packages.txt lacks: $(echo "$missing" | tr '\n' ' ')" >&2
  exit 1
fi
for p in libssl3 libyaml-cpp0.7; do
  echo "$needed" | grep -qx "$p" || { echo "FAIL: $p not found among the binary's packages: ldd/dpkg lookup broken" >&2; exit 1; }
done
echo "runtime_packages_test: docker/runtime-packages.txt covers every library"
