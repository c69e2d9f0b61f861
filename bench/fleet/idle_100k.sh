#!/usr/bin/env bash
# Bench (2): 100,000 idle devices as 6 shard processes against 6 mosquitto instances
# (an endpoint list), each shard spreading its devices over all 6 brokers and 20 loopback
# source addresses. Prints each shard's figures and the sums.
# Usage: bench/fleet/idle_100k.sh BUILD_DIR [HOLD_SECONDS] [FLEET_CONNECT_RATE]
set -euo pipefail
build=$1
hold=${2:-20}
rate=${3:-6000}
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d /tmp/fleet-idle100k.XXXXXX)
ports=(19901 19902 19903 19904 19905 19906)
eps=$(printf '"127.0.0.1:%s", ' "${ports[@]}"); eps="[${eps%, }]"
cat > "$out/idle100k.yaml" <<YAML
name: bench-idle-100k
target: {endpoints: $eps, protocol: mqtt311}
fleet:
  devices: 100000
  client_id: "idle-{shard}-{index}"
  connect_rate: $rate/s        # each shard paces rate/6
  source_addresses: ["127.0.0.2-127.0.0.21"]
session: {keepalive: 300s, clean_session: true}
phases:
  - type: ramp
  - {name: hold, type: steady, duration: ${hold}s}
YAML
pids=()
for p in "${ports[@]}"; do pids+=("$("$here/start_mosquitto.sh" "$p" "$out")"); done
shard_pids=()
for k in 0 1 2 3 4 5; do
  "$build/fleet_bench" "$out/idle100k.yaml" --shard $k/6 --threads 1 > "$out/shard$k.json" 2> "$out/shard$k.progress" &
  shard_pids+=($!)
done
for p in "${shard_pids[@]}"; do wait "$p" || true; done
for p in "${pids[@]}"; do kill "$p"; done
python3 - "$out" <<'PY'
import json, sys, glob
rows = []
for f in sorted(glob.glob(sys.argv[1] + "/shard*.json")):
    t = open(f).read(); rows.append(json.loads(t[t.index("{"):]))
s = lambda k: sum(r[k] for r in rows)
rss = sum(r["rss_all_connected_kib"] - r["rss_before_devices_kib"] for r in rows if r["rss_all_connected_kib"])
print(json.dumps({
  "shards": len(rows),
  "exit_reasons": [r["exit_reason"] for r in rows],
  "devices": s("devices"), "connects_ok": s("connects_ok"), "peak_connected_sum": s("peak_connected"),
  "time_to_all_connected_s_max": max(r["time_to_all_connected_s"] for r in rows),
  "rss_delta_kib_sum": rss, "rss_per_device_bytes": round(rss * 1024 / max(1, s("devices"))),
  "peak_rss_kib_sum": s("peak_rss_kib"),
  "cpu_user_s_sum": round(s("cpu_user_s"), 3), "cpu_sys_s_sum": round(s("cpu_sys_s"), 3),
  "local_limit_errors": s("local_limit_errors"), "broker_errors": s("broker_errors"),
  "clean_disconnects": s("clean_disconnects"),
}, indent=1))
PY
echo "results in $out"
