#!/usr/bin/env bash
# Bench (1): 19,000 concurrent idle MQTT 3.1.1 devices from one process to one local
# mosquitto. Records time to connect all, RSS per device and CPU; RUNS runs, medians.
# Usage: bench/fleet/idle_19k.sh BUILD_DIR [RUNS] [CONNECT_RATE]
set -euo pipefail
build=$1
runs=${2:-3}
rate=${3:-5000}
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d /tmp/fleet-idle19k.XXXXXX)
port=19883
cat > "$out/idle.yaml" <<YAML
name: bench-idle-19k
target: {endpoint: 127.0.0.1, port: $port, protocol: mqtt311}
fleet:
  devices: 19000
  client_id: "idle-{shard}-{index}"
  connect_rate: $rate/s
  # Four loopback sources: Linux connect() gets slow once one (source, destination) pair
  # uses more than half the ephemeral range (it prefers even ports), ~14k here.
  source_addresses: ["127.0.0.2-127.0.0.5"]
session: {keepalive: 300s, clean_session: true}
phases:
  - type: ramp
  - {name: hold, type: steady, duration: 10s}
YAML
for i in $(seq 1 "$runs"); do
  pid=$("$here/start_mosquitto.sh" $port "$out")
  "$build/fleet_bench" "$out/idle.yaml" > "$out/run$i.json" 2> "$out/run$i.progress" || true
  kill "$pid"; wait "$pid" 2>/dev/null || true
  grep -E '"(connects_ok|time_to_all_connected_s|rss_per_device_bytes|cpu_user_s)"' "$out/run$i.json" | tr -s ' '
  sleep 2  # let TIME_WAIT from the previous run's close not skew the next
done
python3 "$here/median.py" "$out"/run*.json | tee "$out/median.json"
echo "results in $out"
