#!/usr/bin/env bash
# Bench (3): 1,000 devices x 10 msg/s (10,000 msg/s) for 60 s, QoS 0 and QoS 1, with one
# subscriber receiving everything (end-to-end latency). Records achieved vs requested rate,
# CPU seconds per 100k messages, latency percentiles; RUNS runs per QoS, medians.
# Usage: bench/fleet/rate_1k.sh BUILD_DIR [RUNS] [SECONDS]
set -euo pipefail
build=$1
runs=${2:-3}
secs=${3:-60}
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d /tmp/fleet-rate1k.XXXXXX)
port=19884
for qos in 0 1; do
  cat > "$out/rate-q$qos.yaml" <<YAML
name: bench-rate-1k-qos$qos
target: {endpoint: 127.0.0.1, port: $port, protocol: mqtt311}
fleet: {devices: 1000, client_id: "rate-{index}", connect_rate: 1000/s}
session: {keepalive: 60s, clean_session: true}
publish:
  topic: "bench/{index}/t"
  qos: $qos
  rate: 10/s
  payload: 64B
subscribe:
  filters: [{filter: "bench/+/t", qos: $qos}]
  subscribers: 1
phases:
  - type: ramp
  - {name: steady, type: steady, duration: ${secs}s}
YAML
  for i in $(seq 1 "$runs"); do
    pid=$("$here/start_mosquitto.sh" $port "$out")
    "$build/fleet_bench" "$out/rate-q$qos.yaml" > "$out/q$qos-run$i.json" 2> "$out/q$qos-run$i.progress" || true
    kill "$pid"; wait "$pid" 2>/dev/null || true
    grep -E '"(requested_rate|cpu_s_per_100k_msgs|lost)"' "$out/q$qos-run$i.json" | tr -s ' '
  done
  echo "== QoS $qos medians"
  python3 "$here/median.py" "$out"/q$qos-run*.json | tee "$out/q$qos-median.json"
done
echo "results in $out"
