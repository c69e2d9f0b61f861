#!/bin/sh
# Container entrypoint: turns the environment into `fleetload run` flags, then execs
# fleetload, so its exit code (0 ok, 1 thresholds breached, 2 bad input, 3 runtime
# failure) is the container's exit code and signals reach it directly.
#
# Only `run` gets flags added, and never a flag the arguments already carry; every other
# command (validate, version, help, report ...) passes through unchanged. With no
# arguments: `run "$FLEETLOAD_SCENARIO"`.
#
#   FLEETLOAD_SCENARIO        scenario file when no arguments are given
#   FLEETLOAD_SHARD           K/N; or JOB_COMPLETION_INDEX (Kubernetes Indexed Job) with
#   FLEETLOAD_SHARDS          N. fleetload reads these itself (and refuses inconsistent
#                             ones, exit 2); here they only name the report file
#   FLEETLOAD_REPORT_DIR      --report DIR/fleetload-shard-K-of-N.json (+ .html beside it)
#   FLEETLOAD_METRICS_LISTEN  --metrics-listen (default 0.0.0.0:9464: reachable from
#                             Prometheus outside the container); "off" = --no-metrics;
#                             "" = no flag (fleetload's own default, 127.0.0.1:9464)
#   FLEETLOAD_PUSHGATEWAY     --pushgateway URL; FLEETLOAD_PUSH_JOB --push-job;
#                             FLEETLOAD_PUSH_INTERVAL --push-interval
#   FLEETLOAD_METRICS_LINGER  --metrics-linger (wait for Prometheus's last scrape)
#   FLEETLOAD_DURATION        --duration;  FLEETLOAD_THREADS --threads
#   FLEETLOAD_PROGRESS        "0" = --no-progress
#   FLEETLOAD_SETS            whitespace-separated PATH=VALUE items, each one --set
#   FLEETLOAD_BIN             the binary (default: fleetload on PATH)
set -eu
set -f  # no globbing: FLEETLOAD_SETS values may hold * or ?

bin=${FLEETLOAD_BIN:-fleetload}

if [ "$#" -eq 0 ]; then
  if [ -z "${FLEETLOAD_SCENARIO:-}" ]; then
    echo "fleetload-entrypoint: no arguments and no FLEETLOAD_SCENARIO; running 'fleetload help'" >&2
    exec "$bin" help
  fi
  set -- run "$FLEETLOAD_SCENARIO"
fi

if [ "$1" != "run" ]; then
  exec "$bin" "$@"
fi
shift

# Flags already on the command line win: look for them (both `--x v` and `--x=v`).
has() {
  flag=$1
  shift
  for a in "$@"; do
    case $a in
      "$flag" | "$flag"=*) return 0 ;;
    esac
  done
  return 1
}

# The shard as fleetload will see it: --shard, else FLEETLOAD_SHARD, else the completion
# index with FLEETLOAD_SHARDS. Only used to name the report.
shard=""
prev=""
for a in "$@"; do
  case $a in
    --shard=*) shard=${a#--shard=} ;;
    *) [ "$prev" = "--shard" ] && shard=$a ;;
  esac
  prev=$a
done
if [ -z "$shard" ] && [ -n "${FLEETLOAD_SHARD:-}" ]; then
  shard=$FLEETLOAD_SHARD
elif [ -z "$shard" ] && [ -n "${JOB_COMPLETION_INDEX:-}" ] && [ -n "${FLEETLOAD_SHARDS:-}" ]; then
  shard=$JOB_COMPLETION_INDEX/$FLEETLOAD_SHARDS
fi
shard=${shard:-0/1}
case $shard in
  */*) ;;
  *) shard=$shard/1 ;;  # malformed: fleetload itself rejects it with a clear message
esac

# Added flags go between `run` and the user's arguments: run <added flags> <user args>.
extra=""
push() {
  # Quote for the final `eval set --`: single quotes, each ' written as '\''.
  q=$(printf '%s' "$1" | sed "s/'/'\\\\''/g")
  extra="$extra '$q'"
}

if [ -n "${FLEETLOAD_REPORT_DIR:-}" ] && ! has --report "$@"; then
  mkdir -p "$FLEETLOAD_REPORT_DIR"
  push --report
  push "$FLEETLOAD_REPORT_DIR/fleetload-shard-${shard%%/*}-of-${shard#*/}.json"
fi

listen=${FLEETLOAD_METRICS_LISTEN-0.0.0.0:9464}
if ! has --metrics-listen "$@" && ! has --no-metrics "$@"; then
  case $listen in
    off) push --no-metrics ;;
    "") ;;
    *) push --metrics-listen; push "$listen" ;;
  esac
fi

if [ -n "${FLEETLOAD_PUSHGATEWAY:-}" ] && ! has --pushgateway "$@"; then
  push --pushgateway; push "$FLEETLOAD_PUSHGATEWAY"
fi
if [ -n "${FLEETLOAD_PUSH_JOB:-}" ] && ! has --push-job "$@"; then
  push --push-job; push "$FLEETLOAD_PUSH_JOB"
fi
if [ -n "${FLEETLOAD_PUSH_INTERVAL:-}" ] && ! has --push-interval "$@"; then
  push --push-interval; push "$FLEETLOAD_PUSH_INTERVAL"
fi
if [ -n "${FLEETLOAD_METRICS_LINGER:-}" ] && ! has --metrics-linger "$@"; then
  push --metrics-linger; push "$FLEETLOAD_METRICS_LINGER"
fi
if [ -n "${FLEETLOAD_DURATION:-}" ] && ! has --duration "$@"; then
  push --duration; push "$FLEETLOAD_DURATION"
fi
if [ -n "${FLEETLOAD_THREADS:-}" ] && ! has --threads "$@"; then
  push --threads; push "$FLEETLOAD_THREADS"
fi
if [ "${FLEETLOAD_PROGRESS:-1}" = "0" ] && ! has --no-progress "$@"; then
  push --no-progress
fi
# Scenario overrides: applied before the user's own --set, which therefore win.
for kv in ${FLEETLOAD_SETS:-}; do
  push --set; push "$kv"
done

# Prepend: run <extra> "$@". The user's arguments are kept as they came.
user_args=""
for a in "$@"; do
  q=$(printf '%s' "$a" | sed "s/'/'\\\\''/g")
  user_args="$user_args '$q'"
done
eval "set -- run $extra $user_args"
exec "$bin" "$@"
