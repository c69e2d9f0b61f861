#!/usr/bin/env bash
# Bench: 200,000 idle devices on one machine as 12 shard processes (16,667 devices and
# descriptors each, under the 20,000 open-files limit) against 12 mosquittos (an endpoint
# list; each broker ends with ~16,667 connections), each shard spreading its devices over all
# brokers and 20 loopback source addresses (240 (source, broker) pairs, ~833 ports each).
# Records: time to connect all vs the paced minimum, RSS per device (sum over shards),
# kernel memory per connection (/proc/meminfo Slab and SUnreclaim, /proc/net/sockstat TCP
# mem, before the brokers start and once all are connected), idle CPU over the hold
# (utime+stime of every shard from /proc/PID/stat), and each process's CPU.
# Bounded: every fleet_bench runs under `timeout`; the EXIT trap stops every process started.
# Usage: bench/fleet/idle_200k.sh BUILD_DIR [HOLD_SECONDS] [FLEET_CONNECT_RATE]
set -euo pipefail
build=$1
hold=${2:-30}
rate=${3:-4000}
devices=200000
shards=12
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d /tmp/fleet-idle200k.XXXXXX)
ports=(); for i in $(seq 1 $shards); do ports+=($((19920 + i))); done
eps=$(printf '"127.0.0.1:%s", ' "${ports[@]}"); eps="[${eps%, }]"
ramp_s=$(( (devices + rate - 1) / rate ))
limit_s=$(( ramp_s * 3 + hold + 60 ))   # hard bound per shard process

broker_pids=(); shard_pids=()
cleanup() {
  local p
  for p in "${shard_pids[@]}" "${broker_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${shard_pids[@]}" "${broker_pids[@]}"; do
    for _ in $(seq 1 200); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
    kill -9 "$p" 2>/dev/null || true
  done
  shard_pids=(); broker_pids=()
}
trap cleanup EXIT

cat > "$out/idle200k.yaml" <<YAML
name: bench-idle-200k
target: {endpoints: $eps, protocol: mqtt311}
fleet:
  devices: $devices
  client_id: "idle-{shard}-{index}"
  connect_rate: $rate/s        # each shard paces rate/$shards
  source_addresses: ["127.0.0.2-127.0.0.21"]
session: {keepalive: 300s, clean_session: true}
phases:
  - type: ramp
  - {name: hold, type: steady, duration: ${hold}s}
YAML

kmem() {  # label: Slab, SUnreclaim (kB), sockstat TCP inuse and mem (pages)
  local slab sunr inuse mem
  slab=$(awk '/^Slab:/{print $2}' /proc/meminfo); sunr=$(awk '/^SUnreclaim:/{print $2}' /proc/meminfo)
  inuse=$(awk '/^TCP:/{print $3}' /proc/net/sockstat); mem=$(awk '/^TCP:/{print $NF}' /proc/net/sockstat)
  echo "{\"when\": \"$1\", \"slab_kib\": $slab, \"sunreclaim_kib\": $sunr, \"tcp_inuse\": $inuse, \"tcp_mem_pages\": $mem}"
}
cpu_ticks() {  # sum of utime+stime of the shard processes, in clock ticks
  local t=0 p
  for p in "${shard_pids[@]}"; do
    [[ -r /proc/$p/stat ]] && t=$(( t + $(awk '{print $14 + $15}' /proc/$p/stat) ))
  done
  echo $t
}

echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$out/load.txt"
kmem before > "$out/kmem-before.json"
ss -s > "$out/ss-before.txt"
for p in "${ports[@]}"; do broker_pids+=("$("$here/start_mosquitto.sh" "$p" "$out")"); done
start=$(date +%s.%N)
for k in $(seq 0 $((shards - 1))); do
  timeout -s INT $limit_s "$build/fleet_bench" "$out/idle200k.yaml" --shard $k/$shards --threads 1 \
    > "$out/shard$k.json" 2> "$out/shard$k.progress" &
  shard_pids+=($!)
done
# Wait (bounded by the ramp's pace x 2 + 20 s) until the kernel has every connection:
# 2 sockets per device on loopback (ours and the broker's).
# (the brokers' 12 listening sockets are slack for other processes closing sockets meanwhile)
want=$(( $(jq -r .tcp_inuse "$out/kmem-before.json") + 2 * devices ))
deadline=$(( $(date +%s) + ramp_s * 2 + 20 ))
while (( $(date +%s) < deadline )); do
  (( $(awk '/^TCP:/{print $3}' /proc/net/sockstat) >= want )) && break
  sleep 1
done
connected_at=$(date +%s.%N)
sleep 3   # let the last CONNACKs and the brokers' allocations settle
kmem connected > "$out/kmem-connected.json"
ss -s > "$out/ss-connected.txt"
t0=$(cpu_ticks); sleep 10; t1=$(cpu_ticks)
echo "{\"idle_window_s\": 10, \"shard_cpu_ticks\": $((t1 - t0)), \"ticks_per_s\": $(getconf CLK_TCK)}" > "$out/idle-cpu.json"
for p in "${broker_pids[@]}"; do
  awk -v p="$p" '/^VmRSS:/{print "{\"broker_pid\": " p ", \"vmrss_kib\": " $2 "}"}' /proc/$p/status
done > "$out/broker-rss.jsonl"
for p in "${shard_pids[@]}"; do wait "$p" || true; done
shard_pids=()
cleanup
python3 - "$out" "$devices" "$rate" "$start" "$connected_at" <<'PY'
import json, sys, glob
out, devices, rate, start, conn_at = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
rows = []
for f in sorted(glob.glob(out + "/shard*.json")):
    t = open(f).read()
    try: rows.append(json.loads(t[t.index("{"):]))
    except ValueError: print("no result in", f)
s = lambda k: sum(r[k] for r in rows)
b, c = json.load(open(out + "/kmem-before.json")), json.load(open(out + "/kmem-connected.json"))
idle = json.load(open(out + "/idle-cpu.json"))
brokers = [json.loads(l) for l in open(out + "/broker-rss.jsonl")]
rss = sum(r["rss_all_connected_kib"] - r["rss_before_devices_kib"] for r in rows if r["rss_all_connected_kib"])
conns = c["tcp_inuse"] - b["tcp_inuse"]
print(json.dumps({
  "shards": len(rows), "exit_reasons": sorted(set(r["exit_reason"] for r in rows)),
  "devices": s("devices"), "connects_ok": s("connects_ok"), "peak_connected_sum": s("peak_connected"),
  "paced_minimum_s": round(devices / rate, 2),
  "time_to_all_connected_s_max": max((r["time_to_all_connected_s"] or -1) for r in rows),
  "kernel_saw_all_after_s": round(conn_at - start, 1),
  "rss_delta_kib_sum": rss, "rss_per_device_bytes": round(rss * 1024 / max(1, s("devices"))),
  "peak_rss_kib_sum": s("peak_rss_kib"),
  "cpu_user_s_sum": round(s("cpu_user_s"), 2), "cpu_sys_s_sum": round(s("cpu_sys_s"), 2),
  "idle_cpu_s_all_shards_over_10s": idle["shard_cpu_ticks"] / idle["ticks_per_s"],
  "tcp_sockets_added": conns,
  "slab_per_connection_bytes": round((c["slab_kib"] - b["slab_kib"]) * 1024 / devices),
  "sunreclaim_per_connection_bytes": round((c["sunreclaim_kib"] - b["sunreclaim_kib"]) * 1024 / devices),
  "tcp_mem_pages_added": c["tcp_mem_pages"] - b["tcp_mem_pages"],
  "broker_rss_mib_sum": round(sum(x["vmrss_kib"] for x in brokers) / 1024, 1),
  "local_limit_errors": s("local_limit_errors"), "broker_errors": s("broker_errors"),
  "clean_disconnects": s("clean_disconnects"),
}, indent=1))
PY
echo "results in $out (per-connection kernel figures count both loopback ends)"
