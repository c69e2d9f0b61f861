#!/usr/bin/env bash
# docker/compose.yaml is valid for Compose (`docker-compose config`, Debian's 1.29, or
# `docker compose config`): as committed, with the batch profile, and after
# docker/render-shards.sh rewrites it for another shard count; the committed file is what
# the generator writes for its N; and each rendering's shards are K/N for K = 0..N-1.
# No Docker engine is needed: `config` only reads files. Exit 77 (skip) without Compose.
#   tests/deploy/compose_config_test.sh SOURCE_DIR
set -euo pipefail
src=${1:?usage: $0 SOURCE_DIR}
if command -v docker-compose >/dev/null 2>&1; then
  compose=(docker-compose)
elif command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
else
  echo "SKIP: neither docker-compose nor the docker compose plugin is installed (scripts/setup-deps.sh installs docker-compose)"
  exit 77
fi
echo "using: ${compose[*]} ($("${compose[@]}" version 2>/dev/null | head -n 1))"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# A copy of the tree parts compose.yaml refers to (build context .., ../dashboards).
cp -r "$src/docker" "$work/docker"
ln -s "$src/dashboards" "$work/dashboards"
cp "$src/CMakeLists.txt" "$work/"

# shards_of FILE: the FLEETLOAD_SHARD values of the resolved configuration, one per line.
config() { (cd "$work/docker" && "${compose[@]}" -f "$1" config "${@:2}"); }
shards_of() { config "$1" | sed -n 's/^ *FLEETLOAD_SHARD: *\(.*\)$/\1/p' | tr -d "'\"" | sort -t/ -k1,1n; }

# 1. The committed file, as is.
config compose.yaml -q || fail "docker/compose.yaml: compose config failed"
n=$(grep -c '^  fleetload-[0-9]*:$' "$work/docker/compose.yaml")
want=$(for ((k = 0; k < n; k++)); do echo "$k/$n"; done)
[ "$(shards_of compose.yaml)" = "$want" ] || fail "committed shards are not 0/$n..$((n - 1))/$n: $(shards_of compose.yaml | tr '\n' ' ')"

# 2. The batch profile adds fleetload-batch, which has no shard of its own.
services=$(config compose.yaml --services 2>/dev/null || true)
batch=$(cd "$work/docker" && "${compose[@]}" -f compose.yaml --profile batch config --services)
echo "$batch" | grep -qx fleetload-batch || fail "--profile batch has no fleetload-batch service"
for s in mosquitto prometheus pushgateway grafana fleetload-0; do
  echo "$services" | grep -qx "$s" || fail "service $s missing"
done

# 3. The committed shard block is exactly what render-shards.sh writes for its N.
cp "$work/docker/compose.yaml" "$work/docker/regen.yaml"
sh "$work/docker/render-shards.sh" "$n" "$work/docker/regen.yaml" 2>/dev/null
cmp -s "$work/docker/compose.yaml" "$work/docker/regen.yaml" ||
  fail "docker/compose.yaml differs from 'docker/render-shards.sh $n' output: rerun it"

# 4. Other shard counts: valid, disjoint, covering.
for n in 1 3; do
  cp "$work/docker/compose.yaml" "$work/docker/c$n.yaml"
  sh "$work/docker/render-shards.sh" "$n" "$work/docker/c$n.yaml" 2>/dev/null
  config "c$n.yaml" -q || fail "render-shards.sh $n: compose config failed"
  want=$(for ((k = 0; k < n; k++)); do echo "$k/$n"; done)
  [ "$(shards_of "c$n.yaml")" = "$want" ] || fail "render-shards.sh $n gave shards $(shards_of "c$n.yaml" | tr '\n' ' ')"
done

# 5. Bad shard counts are refused (exit 2) and leave the file alone.
cp "$work/docker/compose.yaml" "$work/docker/bad.yaml"
for bad in 0 x -1 1001; do
  rc=0
  sh "$work/docker/render-shards.sh" "$bad" "$work/docker/bad.yaml" 2>/dev/null || rc=$?
  [ "$rc" = 2 ] || fail "render-shards.sh $bad: exit $rc, expected 2"
done
cmp -s "$work/docker/compose.yaml" "$work/docker/bad.yaml" || fail "a refused render-shards.sh changed the file"

if [ "$failures" -ne 0 ]; then
  echo "compose_config_test: $failures failure(s)" >&2
  exit 1
fi
echo "compose_config_test: all checks passed"
