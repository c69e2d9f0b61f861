#!/usr/bin/env bash
# Device groups cost no per-device memory: 15,000 idle MQTT 3.1.1 devices as one group and
# as 10 groups (each its own client ids, keepalive and publish settings), alternating in the
# same run against one local mosquitto; RSS per connected device, medians of RUNS pairs and
# the ratio 10 groups / 1 group.  Usage: bench/fleet/groups_mem.sh BUILD_DIR [RUNS]
set -euo pipefail
build=$1
runs=${2:-3}
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d /tmp/fleet-groups-mem.XXXXXX)
port=19884
common() {
  cat <<YAML
target: {endpoint: 127.0.0.1, port: $port, protocol: mqtt311}
fleet:
  devices: 15000
  client_id: "g-{group}-{group_index}"
  connect_rate: 3000/s
  source_addresses: ["127.0.0.2-127.0.0.5"]
session: {keepalive: 300s, clean_session: true}
phases:
  - type: ramp
  - {name: hold, type: steady, duration: 5s}
YAML
}
{ echo "name: bench-groups-1"; common; } > "$out/one.yaml"
{
  echo "name: bench-groups-10"
  common
  echo "groups:"
  for g in $(seq 0 9); do
    echo "  - {name: grp$g, devices: 1500, session: {keepalive: $((240 + g * 6))s}, fleet: {client_id: \"d$g-{group_index}\"}}"
  done
} > "$out/ten.yaml"
for i in $(seq 1 "$runs"); do
  for kind in one ten; do
    pid=$("$here/start_mosquitto.sh" $port "$out")
    "$build/fleet_bench" "$out/$kind.yaml" --threads 2 > "$out/$kind$i.json" 2> "$out/$kind$i.progress" || true
    kill "$pid"; wait "$pid" 2>/dev/null || true
    printf '%s run %s: ' "$kind" "$i"; grep -oE '"(connects_ok|rss_per_device_bytes)": [0-9.]+' "$out/$kind$i.json" | tr '\n' ' '; echo
    sleep 2  # TIME_WAIT of the previous run
  done
done
python3 - "$out" "$runs" <<'PY'
import json, statistics, sys
out, runs = sys.argv[1], int(sys.argv[2])
def load(kind, i):
    t = open(f"{out}/{kind}{i}.json").read()
    return json.loads(t[t.index("{"):])
one = [load("one", i) for i in range(1, runs + 1)]
ten = [load("ten", i) for i in range(1, runs + 1)]
m1 = statistics.median(r["rss_per_device_bytes"] for r in one)
m10 = statistics.median(r["rss_per_device_bytes"] for r in ten)
ratios = [b["rss_per_device_bytes"] / a["rss_per_device_bytes"] for a, b in zip(one, ten) if a["rss_per_device_bytes"]]
print(json.dumps({"runs": runs,
                  "one_group_rss_per_device_bytes": [r["rss_per_device_bytes"] for r in one],
                  "ten_groups_rss_per_device_bytes": [r["rss_per_device_bytes"] for r in ten],
                  "connects_ok": [r["connects_ok"] for r in one + ten],
                  "median_one": m1, "median_ten": m10,
                  "median_ratio_ten_over_one": statistics.median(ratios) if ratios else None}, indent=1))
PY
echo "results in $out"
