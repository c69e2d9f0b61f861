#!/bin/sh
# Prints the Debian packages holding the shared libraries BINARY loads (ldd, then dpkg -S),
# one per line, sorted. The image's build stage (Dockerfile) and tests/deploy check that
# runtime-packages.txt, what the slim runtime stage installs, lists every one of them.
#
#   docker/runtime-packages.sh build/release/fleetload
set -eu
if [ "$#" -ne 1 ] || [ ! -f "$1" ]; then
  echo "usage: $0 BINARY" >&2
  exit 2
fi
libs=$(ldd "$1" | awk '/=> \// { print $3 } /^[[:space:]]*\/[^ ]+ \(/ { print $1 }')
out=""
for lib in $libs; do
  found=""
  # dpkg records a library under /lib or /usr/lib depending on the package (usrmerge).
  for p in "$lib" "$(readlink -f "$lib")" "/usr$lib" "${lib#/usr}"; do
    if pkg=$(dpkg -S "$p" 2>/dev/null | grep -v '^diversion' | head -n 1) && [ -n "$pkg" ]; then
      found=${pkg%%:*}
      break
    fi
  done
  if [ -z "$found" ]; then
    echo "$0: $lib: no installed Debian package holds it" >&2
    exit 1
  fi
  out="$out$found
"
done
printf '%s' "$out" | sort -u
