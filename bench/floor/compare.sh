#!/usr/bin/env bash
# fleetload against the floor (mqtt_floor), in the same run: for each configuration
# (1,000 x 10 msg/s and 10,000 x 1 msg/s, QoS 0 and QoS 1; publishers only, 64-byte payloads
# with the accounting header, topic bench/{index}/t), ROUNDS rounds of
#   floor, fleetload[, baseline fleetload]
# each against a fresh mosquitto, CPU per 100k messages over the steady window (getrusage
# deltas; fleet_bench's "steady_*" fields and mqtt_floor's are the same window rule).
# Prints per-pair ratios and medians as JSON, and leaves every run's output in a /tmp dir.
#
# Usage: bench/floor/compare.sh BUILD_DIR [ROUNDS] [SECONDS] [CONFIGS]
#   CONFIGS: space-separated NxR:qQ items, default "1000x10:q0 1000x10:q1 10000x1:q0 10000x1:q1"
#   env BASELINE=path/to/fleet_bench   a third run per round (e.g. a build before a change)
#   env THREADS=T                      fleetload worker threads (default: one per core)
#   env EXTRA_SET="path=value ..."     extra --set overrides for fleetload
#   env MOSQ_CPU=L / CL_CPU=L          pin mosquitto / the floor and fleetload to these CPUs
#                                      (taskset lists, e.g. MOSQ_CPU=0 CL_CPU=1)
set -euo pipefail
build=$1
rounds=${2:-3}
secs=${3:-30}
configs=${4:-"1000x10:q0 1000x10:q1 10000x1:q0 10000x1:q1"}
here=$(cd "$(dirname "$0")" && pwd)
fleet="$here/../fleet"
out=$(mktemp -d /tmp/floor-compare.XXXXXX)
port=19960
sources="127.0.0.2-127.0.0.11"
connect_rate=2000
threads_arg=()
[[ -n "${THREADS:-}" ]] && threads_arg=(--threads "$THREADS")
set_args=()
for kv in ${EXTRA_SET:-}; do set_args+=(--set "$kv"); done
pin=()
[[ -n "${CL_CPU:-}" ]] && pin=(taskset -c "$CL_CPU")

broker_pid=""
cleanup() {
  [[ -n "$broker_pid" ]] || return 0
  "$fleet/stop_mosquitto.sh" "$broker_pid"
  broker_pid=""
}
trap cleanup EXIT

fresh_broker() {
  cleanup
  broker_pid=$("$fleet/start_mosquitto.sh" $port "$out")  # pinned there when MOSQ_CPU is set
}

echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg); CPUs: mosquitto ${MOSQ_CPU:-any}, clients ${CL_CPU:-any}" | tee "$out/load.txt"
for cfg in $configs; do
  n=${cfg%%x*}; rest=${cfg#*x}; rate=${rest%%:*}; qos=${cfg##*:q}
  name="${n}x${rate}-q${qos}"
  cat > "$out/$name.yaml" <<YAML
name: floor-compare-$name
target: {endpoint: 127.0.0.1, port: $port, protocol: mqtt311}
fleet:
  devices: $n
  client_id: "cmp-{index}"
  connect_rate: $connect_rate/s
  source_addresses: ["$sources"]
session: {keepalive: 300s, clean_session: true}
publish:
  topic: "bench/{index}/t"
  qos: $qos
  rate: $rate/s
  payload: 64B
phases:
  - type: ramp
  - {name: steady, type: steady, duration: $((secs + 2))s}
YAML
  # The floor's warm-up: its connects take as long as fleetload's ramp; the window then
  # starts a little after, as fleet_bench's first steady progress report does.
  for r in $(seq 1 "$rounds"); do
    fresh_broker
    "${pin[@]}" "$build/mqtt_floor" --port $port --connections "$n" --rate "$rate" --qos "$qos" --seconds "$secs" \
      --warmup 1.5 --payload 64 --sources "$sources" --connect-rate $connect_rate > "$out/$name-floor-$r.json"
    fresh_broker
    "${pin[@]}" "$build/fleet_bench" "$out/$name.yaml" "${threads_arg[@]}" "${set_args[@]}" \
      > "$out/$name-fleetload-$r.json" 2> "$out/$name-fleetload-$r.progress"
    if [[ -n "${BASELINE:-}" ]]; then
      fresh_broker
      "${pin[@]}" "$BASELINE" "$out/$name.yaml" "${threads_arg[@]}" "${set_args[@]}" \
        > "$out/$name-baseline-$r.json" 2> "$out/$name-baseline-$r.progress"
    fi
    cleanup
    line="$name round $r (CPU s per 100k):"
    for who in floor fleetload baseline; do
      f="$out/$name-$who-$r.json"
      [[ -f "$f" ]] && line+=" $who $(grep -o '"steady_cpu_s_per_100k_msgs": [0-9.]*' "$f" | cut -d' ' -f2)"
    done
    echo "$line"
  done
done
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/load.txt"
python3 - "$out" "$rounds" "$configs" <<'PY'
import json, statistics, sys, os
out, rounds, configs = sys.argv[1], int(sys.argv[2]), sys.argv[3].split()
def load(p):
    t = open(p).read(); return json.loads(t[t.index("{"):])
res = {}
for cfg in configs:
    n, rest = cfg.split("x"); rate, q = rest.split(":q")
    name = f"{n}x{rate}-q{q}"
    row = {"floor": [], "fleetload": [], "baseline": [], "ratio": [], "baseline_ratio": [],
           "fleetload_rate_error_pct": [], "fleetload_user_share": []}
    for r in range(1, rounds + 1):
        f = load(f"{out}/{name}-floor-{r}.json"); g = load(f"{out}/{name}-fleetload-{r}.json")
        fc, gc = f["steady_cpu_s_per_100k_msgs"], g["steady_cpu_s_per_100k_msgs"]
        row["floor"].append(fc); row["fleetload"].append(gc); row["ratio"].append(round(gc / fc, 3))
        row["fleetload_rate_error_pct"].append(g["rate_error_pct"])
        row["fleetload_user_share"].append(round(g["steady_cpu_user_s"] / max(1e-9, g["steady_cpu_s"]), 3))
        b = f"{out}/{name}-baseline-{r}.json"
        if os.path.exists(b):
            bc = load(b)["steady_cpu_s_per_100k_msgs"]
            row["baseline"].append(bc); row["baseline_ratio"].append(round(bc / fc, 3))
    med = {k: statistics.median(v) for k, v in row.items() if v}
    res[name] = {"median": med, "runs": {k: v for k, v in row.items() if v}}
print(json.dumps(res, indent=1))
PY
echo "results in $out"
