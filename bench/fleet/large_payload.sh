#!/usr/bin/env bash
# Large payloads: fleetload's peak RSS against the payload size (1, 10, 100 MiB), one
# publisher at 1 msg/s QoS 1 for a 4 s steady phase, and a receive-side run (2 devices
# publishing 100 MiB each, the second also subscribed to both: it receives 2 x 100 MiB/s).
# Each run against a fresh mosquitto. With BASELINE=path/to/fleet_bench the same runs are
# repeated with that build (e.g. one before a change), alternating.
# Usage: bench/fleet/large_payload.sh BUILD_DIR [SIZES_MIB]
set -euo pipefail
build=$1
sizes=${2:-"1 10 100"}
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d /tmp/fleet-largepl.XXXXXX)
port=19970
broker_pid=""
cleanup() {
  [[ -n "$broker_pid" ]] || return 0
  "$here/stop_mosquitto.sh" "$broker_pid"
  broker_pid=""
}
trap cleanup EXIT
scenario() {  # NAME DEVICES SIZE_MIB SUBSCRIBE(0|1)
  {
    echo "name: large-$1"
    echo "target: {endpoint: 127.0.0.1, port: $port, protocol: mqtt311}"
    echo "fleet: {devices: $2, client_id: \"big-{index}\", connect_rate: 100/s}"
    echo "session: {keepalive: 60s, clean_session: true}"
    echo "publish: {topic: \"big/{index}/t\", qos: 1, rate: 1/s, payload: ${3}MiB}"
    [[ $4 == 1 ]] && echo "subscribe: {filters: [{filter: \"big/+/t\", qos: 1}], subscribers: 1}"
    echo "phases:"
    echo "  - type: ramp"
    echo "  - {name: steady, type: steady, duration: 4s}"
  } > "$out/$1.yaml"
}
runs=()
for s in $sizes; do scenario "pub-${s}mib" 1 "$s" 0; runs+=("pub-${s}mib"); done
scenario "pubsub-100mib" 2 100 1; runs+=("pubsub-100mib")
for name in "${runs[@]}"; do
  for who in after baseline; do
    bin="$build/fleet_bench"
    if [[ $who == baseline ]]; then [[ -n "${BASELINE:-}" ]] || continue; bin=$BASELINE; fi
    cleanup
    broker_pid=$("$here/start_mosquitto.sh" $port "$out")
    "$bin" "$out/$name.yaml" --threads 1 > "$out/$name-$who.json" 2> "$out/$name-$who.progress" || true
    cleanup
    python3 - "$out/$name-$who.json" "$name" "$who" <<'PY'
import json, sys
t = open(sys.argv[1]).read(); r = json.loads(t[t.index("{"):])
print(json.dumps({"run": sys.argv[2], "build": sys.argv[3], "exit": r["exit_reason"],
  "sent": r["publishes_sent"], "acked": r["acked"], "received": r["received"], "lost": r["lost"],
  "rss_before_devices_mib": round(r["rss_before_devices_kib"] / 1024, 1),
  "peak_rss_mib": round(r["peak_rss_kib"] / 1024, 1),
  "cpu_s": round(r["cpu_user_s"] + r["cpu_sys_s"], 2)}))
PY
  done
done
echo "results in $out"
