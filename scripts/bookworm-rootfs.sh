#!/usr/bin/env bash
# Prints the path of a tarball holding a minimal Debian bookworm root file system
# (`debootstrap --variant=minbase`), made on first use and cached: the package test
# installs the .deb into a copy of it, the image test imports it as the Dockerfile's base
# images, so neither pulls anything from a container registry.
#
#   scripts/bookworm-rootfs.sh [CACHE_DIR]    (default: build/cache under the source tree)
#
# The first run downloads the minimal system from the Debian archive (the mirror is
# debootstrap's default unless FLEETLOAD_DEBIAN_MIRROR names another; 29 s on this
# project's machine, a 128 MB tarball); later runs print the cached path at once. Runs
# that start together wait for one another (flock), so parallel tests debootstrap once.
# Needs root (debootstrap creates device nodes and chroots) and debootstrap
# (scripts/setup-deps.sh --profile package). Exit 77 when either is missing, so the tests
# that call it report "skipped" with the reason.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${1:-$here/build/cache}
tarball=$cache/bookworm-minbase.tar

if [ -s "$tarball" ]; then
  echo "$tarball"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "bookworm-rootfs: debootstrap needs root; run as root or with sudo" >&2
  exit 77
fi
if ! command -v debootstrap >/dev/null 2>&1; then
  echo "bookworm-rootfs: debootstrap is not installed (scripts/setup-deps.sh --profile package)" >&2
  exit 77
fi

mkdir -p "$cache"
exec 9>"$cache/bookworm-minbase.lock"
flock 9
# Another run may have made it while this one waited for the lock.
if [ -s "$tarball" ]; then
  echo "$tarball"
  exit 0
fi

root=$(mktemp -d "$cache/bookworm-root.XXXXXX")
trap 'rm -rf --one-file-system "$root" "$tarball.tmp"' EXIT
echo "bookworm-rootfs: debootstrap --variant=minbase bookworm (first run only, a few minutes)" >&2
start=$(date +%s)
if ! debootstrap --variant=minbase bookworm "$root" ${FLEETLOAD_DEBIAN_MIRROR:+"$FLEETLOAD_DEBIAN_MIRROR"} \
  >"$cache/debootstrap.log" 2>&1; then
  echo "bookworm-rootfs: debootstrap failed; last lines of $cache/debootstrap.log:" >&2
  tail -n 20 "$cache/debootstrap.log" >&2
  exit 1
fi
# Downloaded .debs are not part of a root file system; apt lists are fetched again by
# whoever installs into it.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
tar --numeric-owner --xattrs -C "$root" -cf "$tarball.tmp" .
mv "$tarball.tmp" "$tarball"
echo "bookworm-rootfs: $tarball made in $(($(date +%s) - start)) s" >&2
echo "$tarball"
