#!/bin/sh
# Rewrites the shard services of a compose file for N shards: fleetload-0 .. fleetload-{N-1},
# service K with FLEETLOAD_SHARD=K/N, so together they run the whole fleet exactly once
# (fleetload runs devices with index % N == K). Only the lines between the
# "# --- shards:" and "# --- end shards ---" markers change.
#
#   docker/render-shards.sh N [COMPOSE_FILE]     (default: compose.yaml beside this script)
#
# Why not `deploy.replicas: N`: replicas share one environment, so none of them could know
# its K; a shard index taken from anything a replica can see (hostname = container id) is
# not deterministic. Explicit services are.
set -eu

usage() {
  echo "usage: $0 N [COMPOSE_FILE]   (N = number of shards, 1..1000)" >&2
  exit 2
}
if [ "$#" -lt 1 ] || [ "$#" -gt 2 ]; then usage; fi
n=$1
case $n in
  '' | *[!0-9]*) usage ;;
esac
if [ "$n" -lt 1 ] || [ "$n" -gt 1000 ]; then usage; fi
file=${2:-$(dirname "$0")/compose.yaml}
[ -f "$file" ] || { echo "$0: $file: no such file" >&2; exit 2; }

begins=$(grep -c '^  # --- shards:' "$file" || true)
ends=$(grep -c '^  # --- end shards ---$' "$file" || true)
if [ "$begins" != 1 ] || [ "$ends" != 1 ]; then
  echo "$0: $file: expected one '# --- shards:' and one '# --- end shards ---' marker line" >&2
  exit 2
fi

tmp=$(mktemp "${file}.XXXXXX")
trap 'rm -f "$tmp"' EXIT
awk -v n="$n" '
  /^  # --- shards:/ {
    print
    for (k = 0; k < n; k++) {
      printf "  fleetload-%d:\n    <<: *fleetload\n    environment:\n      <<: *fleetload-env\n      FLEETLOAD_SHARD: %d/%d\n", k, k, n
    }
    skip = 1
    next
  }
  /^  # --- end shards ---$/ { skip = 0 }
  !skip { print }
' "$file" >"$tmp"
cat "$tmp" >"$file"
echo "$0: $file: $n shard service(s), fleetload-0 .. fleetload-$((n - 1))" >&2
