#!/usr/bin/env bash
# docker/entrypoint.sh with a fake fleetload that records its argv and exits with a chosen
# code: the FLEETLOAD_* environment becomes the right flags, flags given on the command
# line win, other commands pass through untouched, and the exit code is fleetload's.
#   tests/deploy/entrypoint_test.sh SOURCE_DIR
set -euo pipefail
src=${1:?usage: $0 SOURCE_DIR}
entry=$src/docker/entrypoint.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The fake: one argument per line into $work/argv, then exit $FAKE_EXIT (default 0).
mkdir -p "$work/bin"
cat >"$work/bin/fleetload" <<'EOF'
#!/bin/sh
: >"$FAKE_ARGV"
for a in "$@"; do printf '%s\n' "$a" >>"$FAKE_ARGV"; done
exit "${FAKE_EXIT:-0}"
EOF
chmod +x "$work/bin/fleetload"

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# run_entry EXPECTED_EXIT [VAR=VALUE...] -- ARGS...: runs the entrypoint under /bin/sh (the
# image's shell is dash) with a clean environment plus the given variables.
run_entry() {
  local want=$1
  shift
  local envs=()
  while [ "$1" != "--" ]; do
    envs+=("$1")
    shift
  done
  shift
  local got=0
  env -i PATH="$work/bin:/usr/bin:/bin" FAKE_ARGV="$work/argv" "${envs[@]}" /bin/sh "$entry" "$@" \
    >"$work/out" 2>"$work/err" || got=$?
  if [ "$got" != "$want" ]; then
    fail "exit $got, expected $want (env: ${envs[*]:-none}; args: $*); stderr: $(cat "$work/err")"
  fi
}

# expect_argv LINE...: the fake saw exactly these arguments.
expect_argv() {
  local want
  want=$(printf '%s\n' "$@")
  local got
  got=$(cat "$work/argv")
  if [ "$got" != "$want" ]; then
    fail "argv differs"$'\n'"  expected: $(echo "$want" | tr '\n' ' ')"$'\n'"  got:      $(echo "$got" | tr '\n' ' ')"
  fi
}

# 1. Exit codes pass through, for run and for other commands.
for code in 0 1 2 3; do
  run_entry "$code" FAKE_EXIT="$code" -- run s.yaml
  run_entry "$code" FAKE_EXIT="$code" -- validate s.yaml
done

# 2. Only the default metrics address is added to a bare run.
run_entry 0 -- run s.yaml
expect_argv run --metrics-listen 0.0.0.0:9464 s.yaml

# 3. The whole environment, shard from FLEETLOAD_SHARD.
run_entry 0 FLEETLOAD_SHARD=2/8 FLEETLOAD_REPORT_DIR="$work/reports" FLEETLOAD_METRICS_LISTEN=0.0.0.0:9999 \
  FLEETLOAD_PUSHGATEWAY=http://pgw:9091 FLEETLOAD_PUSH_JOB=ci FLEETLOAD_PUSH_INTERVAL=5s \
  FLEETLOAD_METRICS_LINGER=15s FLEETLOAD_DURATION=90s FLEETLOAD_THREADS=3 FLEETLOAD_PROGRESS=0 \
  "FLEETLOAD_SETS=fleet.devices=10 target.endpoint=broker" -- run s.yaml
expect_argv run --report "$work/reports/fleetload-shard-2-of-8.json" --metrics-listen 0.0.0.0:9999 \
  --pushgateway http://pgw:9091 --push-job ci --push-interval 5s --metrics-linger 15s --duration 90s \
  --threads 3 --no-progress --set fleet.devices=10 --set target.endpoint=broker s.yaml
[ -d "$work/reports" ] || fail "FLEETLOAD_REPORT_DIR was not created"

# 4. Kubernetes: the report is named after JOB_COMPLETION_INDEX / FLEETLOAD_SHARDS (the
#    shard itself is left to fleetload, which reads the same variables).
run_entry 0 JOB_COMPLETION_INDEX=7 FLEETLOAD_SHARDS=40 FLEETLOAD_REPORT_DIR="$work/r" FLEETLOAD_METRICS_LISTEN=off \
  -- run s.yaml
expect_argv run --report "$work/r/fleetload-shard-7-of-40.json" --no-metrics s.yaml

# 5. Flags on the command line win and are not duplicated; --shard names the report.
run_entry 0 FLEETLOAD_SHARD=1/2 FLEETLOAD_REPORT_DIR="$work/r" FLEETLOAD_DURATION=90s FLEETLOAD_THREADS=3 \
  -- run s.yaml --shard=3/4 --duration 10s --threads=1 --no-metrics
expect_argv run --report "$work/r/fleetload-shard-3-of-4.json" s.yaml --shard=3/4 --duration 10s --threads=1 \
  --no-metrics
run_entry 0 FLEETLOAD_REPORT_DIR="$work/r" FLEETLOAD_PUSHGATEWAY=http://a:9091 \
  -- run --report=/x/y.json s.yaml --pushgateway http://b:9091 --metrics-listen 127.0.0.1:1
expect_argv run --report=/x/y.json s.yaml --pushgateway http://b:9091 --metrics-listen 127.0.0.1:1

# 6. Arguments with spaces, quotes and glob characters arrive intact.
run_entry 0 "FLEETLOAD_SETS=publish.topic=a/* name=it's" -- run "my scenario.yaml" --set "run.report=a b" "--set=x=\"q\""
expect_argv run --metrics-listen 0.0.0.0:9464 --set "publish.topic=a/*" --set "name=it's" "my scenario.yaml" \
  --set "run.report=a b" "--set=x=\"q\""

# 7. Other commands pass through unchanged, whatever the environment says.
run_entry 0 FLEETLOAD_REPORT_DIR="$work/r" FLEETLOAD_SHARD=0/2 -- validate s.yaml --set a=b
expect_argv validate s.yaml --set a=b
run_entry 0 FLEETLOAD_DURATION=5s -- report merge a.json b.json
expect_argv report merge a.json b.json
run_entry 0 -- version
expect_argv version

# 8. No arguments: run FLEETLOAD_SCENARIO, or help when there is none.
run_entry 0 FLEETLOAD_SCENARIO=/opt/s.yaml FLEETLOAD_METRICS_LISTEN= --
expect_argv run /opt/s.yaml
run_entry 0 --
expect_argv help
grep -q "no FLEETLOAD_SCENARIO" "$work/err" || fail "no explanation on stderr when neither arguments nor FLEETLOAD_SCENARIO"

# 9. exec: fleetload replaces the shell (signals go straight to it, no wrapper process).
cat >"$work/bin/fleetload" <<'EOF'
#!/bin/sh
echo "$$" >"$FAKE_ARGV"
EOF
# shellcheck disable=SC2016 # $$ is the inner shell's pid, expanded by that shell
env -i PATH="$work/bin:/usr/bin:/bin" FAKE_ARGV="$work/argv" /bin/sh -c 'echo $$ > "$0"; exec /bin/sh "$1" run s.yaml' \
  "$work/shell-pid" "$entry"
[ "$(cat "$work/shell-pid")" = "$(cat "$work/argv")" ] || fail "fleetload did not run in the entrypoint's process (no exec)"

if [ "$failures" -ne 0 ]; then
  echo "entrypoint_test: $failures failure(s)" >&2
  exit 1
fi
echo "entrypoint_test: all checks passed"
