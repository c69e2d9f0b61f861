#!/usr/bin/env bash
# Responder bench: shadow get/update round trips per second with CONNECTIONS x THINGS things
# (default 100 x 100 = 10,000), closed loop (one request in flight per thing), through a local
# mosquitto to `fleetload responder`; RUNS runs, medians. The broker, the responder and the
# load client share this machine's cores.
# DEVICE_QOS: the load client's requests and subscriptions; ANSWER_QOS / REQUEST_QOS: the
# responder's --qos / --request-qos; PROTOCOL: the responder's MQTT version (3.1.1 or 5).
# Usage: bench/responder/run.sh BUILD_DIR [RUNS] [SECONDS] [DEVICE_QOS] [ANSWER_QOS] [REQUEST_QOS]
#                               [PROTOCOL] [CONNECTIONS] [THINGS]
set -euo pipefail
build=$1
runs=${2:-3}
secs=${3:-10}
qos=${4:-1}
aqos=${5:-1}
rqos=${6:-0}
proto=${7:-3.1.1}
conns=${8:-100}
things=${9:-100}
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d /tmp/responder-bench.XXXXXX)
port=19885
# CPU seconds of a process so far, from /proc (utime + stime in clock ticks); 0 once gone.
cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# mosquitto is not our child (start_mosquitto.sh backgrounds it): wait, bounded, for it to go.
gone() { for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done; }
for i in $(seq 1 "$runs"); do
  mpid=$("$here/../fleet/start_mosquitto.sh" $port "$out")
  "$build/fleetload" responder --broker 127.0.0.1:$port --services shadow --qos "$aqos" --request-qos "$rqos" --protocol "$proto" \
    > "$out/responder-$i.summary" 2> "$out/responder-$i.log" &
  rpid=$!
  for _ in $(seq 1 100); do grep -q "ready" "$out/responder-$i.log" 2>/dev/null && break; sleep 0.1; done
  "$build/responder_bench" --port $port --connections "$conns" --things "$things" --seconds "$secs" \
    --warmup 2 --qos "$qos" --prefix "run$i" > "$out/run$i.json" || true
  echo "{\"responder_cpu_s\": $(cpu $rpid), \"mosquitto_cpu_s\": $(cpu $mpid)}" > "$out/cpu$i.json"
  kill -TERM "$rpid"; wait "$rpid" 2>/dev/null || true
  kill "$mpid" 2>/dev/null || true
  gone "$mpid"
  cat "$out/run$i.json" "$out/cpu$i.json"
done
echo "== medians"
python3 "$here/../fleet/median.py" "$out"/run*.json | tee "$out/median.json"
python3 "$here/../fleet/median.py" "$out"/cpu*.json
echo "results in $out"
