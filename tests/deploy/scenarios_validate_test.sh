#!/usr/bin/env bash
# The scenarios the deployments run are valid for this fleetload, with the shard coming
# from the environment exactly as each deployment sets it:
#   docker/scenarios/live.yaml   FLEETLOAD_SHARD=K/N of every compose shard service
#   docker/scenarios/batch.yaml  no shard
#   k8s/scenario.yaml            JOB_COMPLETION_INDEX + FLEETLOAD_SHARDS (= the Job's completions)
# and a misconfigured deployment fails fast with exit 2 and a message naming the cause.
#   tests/deploy/scenarios_validate_test.sh SOURCE_DIR FLEETLOAD_BINARY
set -euo pipefail
src=${1:?usage: $0 SOURCE_DIR FLEETLOAD_BINARY}
bin=${2:?usage: $0 SOURCE_DIR FLEETLOAD_BINARY}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# check WANT_EXIT PATTERN VAR=VALUE... -- ARGS...: runs `fleetload validate ARGS` in a
# clean environment; the exit code must be WANT_EXIT and stdout+stderr must match PATTERN.
check() {
  local want=$1 pattern=$2
  shift 2
  local envs=()
  while [ "$1" != "--" ]; do
    envs+=("$1")
    shift
  done
  shift
  local rc=0
  env -i PATH=/usr/bin:/bin ASAN_OPTIONS="${ASAN_OPTIONS:-}" "${envs[@]}" "$bin" validate "$@" >"$work/out" 2>&1 || rc=$?
  if [ "$rc" != "$want" ]; then
    fail "validate $* (env ${envs[*]:-none}): exit $rc, expected $want: $(tail -n 5 "$work/out")"
  elif ! grep -Eq -- "$pattern" "$work/out"; then
    fail "validate $* (env ${envs[*]:-none}): output lacks /$pattern/: $(tail -n 5 "$work/out")"
  fi
}

# Compose: every shard service's FLEETLOAD_SHARD, as compose.yaml sets them.
shards=$(sed -n 's/^ *FLEETLOAD_SHARD: *\([0-9]*\/[0-9]*\) *$/\1/p' "$src/docker/compose.yaml")
[ -n "$shards" ] || fail "no FLEETLOAD_SHARD in docker/compose.yaml"
for s in $shards; do
  check 0 "shard $s" FLEETLOAD_SHARD="$s" -- "$src/docker/scenarios/live.yaml"
done
check 0 "endpoints:.*|mosquitto:1883" -- "$src/docker/scenarios/batch.yaml"
check 0 "broker.test:1884" FLEETLOAD_BROKER_HOST=broker.test FLEETLOAD_BROKER_PORT=1884 -- "$src/docker/scenarios/batch.yaml"

# Kubernetes: the Job's shard count and its last index.
n=$(sed -n 's/^  completions: *\([0-9]*\) *$/\1/p' "$src/k8s/job.yaml")
[ -n "$n" ] || fail "no spec.completions in k8s/job.yaml"
k8s=(FLEETLOAD_BROKER_HOST=iot.example.test FLEETLOAD_PKCS12_PASSWORD=not-a-real-one)
# The credentials are a Secret mounted only in the pod: not here, so not loaded.
check 0 "shard $((n - 1))/$n" "${k8s[@]}" JOB_COMPLETION_INDEX=$((n - 1)) FLEETLOAD_SHARDS="$n" -- "$src/k8s/scenario.yaml" --no-file-checks
# Without --no-file-checks, validate says the mounted files are missing here.
check 2 "file_missing: ca_filepath" "${k8s[@]}" JOB_COMPLETION_INDEX=0 FLEETLOAD_SHARDS="$n" -- "$src/k8s/scenario.yaml"
# The password never shows.
if grep -q not-a-real-one "$work/out"; then fail "validate printed the PKCS#12 password"; fi
# Misconfigurations: completion index without the shard count, index past it, no broker.
check 2 "FLEETLOAD_SHARDS is not" "${k8s[@]}" JOB_COMPLETION_INDEX=3 -- "$src/k8s/scenario.yaml"
check 2 "K must be below N" "${k8s[@]}" JOB_COMPLETION_INDEX="$n" FLEETLOAD_SHARDS="$n" -- "$src/k8s/scenario.yaml"
check 2 "disagrees" "${k8s[@]}" FLEETLOAD_SHARD=0/"$n" JOB_COMPLETION_INDEX=1 FLEETLOAD_SHARDS="$n" -- "$src/k8s/scenario.yaml"
check 2 "target" FLEETLOAD_BROKER_HOST= FLEETLOAD_PKCS12_PASSWORD=x JOB_COMPLETION_INDEX=0 FLEETLOAD_SHARDS="$n" \
  -- "$src/k8s/scenario.yaml"

if [ "$failures" -ne 0 ]; then
  echo "scenarios_validate_test: $failures failure(s)" >&2
  exit 1
fi
echo "scenarios_validate_test: all checks passed"
