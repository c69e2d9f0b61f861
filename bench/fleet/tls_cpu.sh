#!/usr/bin/env bash
# Client CPU per TLS handshake, full and resumed, ECDSA P-256 and RSA-2048, against 4
# mosquittos (the devices spread over them with target.endpoints), so the broker side is not
# the bottleneck. Per key type: one PKI (`fleetload certs --devices 1`), the 4 brokers with a
# TLS listener requiring client certificates, and a run of `tls_bench`: ramp (full
# handshakes), a short hold, then a storm with session resumption (resumed handshakes).
# Each run's JSON has handshake_cpu_ms_full / _resumed (the run report's
# tls.handshake_cpu_ms); ROUNDS runs per key type, medians printed.
# Usage: bench/fleet/tls_cpu.sh BUILD_DIR [DEVICES] [CONNECT_RATE] [ROUNDS] [KEYTYPES]
set -euo pipefail
build=$1
devices=${2:-1000}
rate=${3:-200}
rounds=${4:-3}
keytypes=${5:-"ec rsa"}
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d /tmp/fleet-tlscpu.XXXXXX)
ports=(18911 18912 18913 18914)
eps=$(printf '"127.0.0.1:%s", ' "${ports[@]}"); eps="[${eps%, }]"
bpids=()
stop_brokers() {
  "$here/stop_mosquitto.sh" "${bpids[@]}"
  bpids=()
}
trap stop_brokers EXIT
start_brokers() {  # KT
  local pki="$out/pki-$1" p
  for p in "${ports[@]}"; do
    cat > "$out/mosq-$1-$p.conf" <<CONF
allow_anonymous true
persistence false
log_dest none
user $(id -un)
listener $p 127.0.0.1
max_connections -1
cafile $pki/ca.crt
certfile $pki/server.crt
keyfile $pki/server.key
require_certificate true
CONF
    (ulimit -n "$(ulimit -Hn)"; exec /usr/sbin/mosquitto -c "$out/mosq-$1-$p.conf" > "$out/mosq-$1-$p.log" 2>&1) &
    bpids+=($!)
  done
  for p in "${ports[@]}"; do
    for _ in $(seq 1 50); do (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null && break; sleep 0.1; done
  done
}
echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg) ($(date -u +%H:%M) UTC)"
for kt in $keytypes; do
  pki="$out/pki-$kt"
  "$build/fleetload" certs --devices 1 --key-type "$([ "$kt" = ec ] && echo ecdsa-p256 || echo rsa2048)" \
    --out "$pki" > /dev/null
  chmod -R a+rX "$out"   # mosquitto reads the broker key (it may drop privileges)
  cat > "$out/$kt.yaml" <<YAML
name: bench-tls-cpu-$kt
target: {endpoints: $eps, protocol: mqtt311, connect_timeout: 30s}
fleet: {devices: $devices, client_id: "tls-{index}", connect_rate: $rate/s}
session: {keepalive: 300s, clean_session: true}
reconnect: {min_delay: 100ms, max_delay: 200ms, jitter: none}
auth:
  mode: mtls_from_path
  cert_filepath: $pki/device-0.crt
  pri_key_filepath: $pki/device-0.key
  ca_filepath: $pki/ca.crt
  tls: {session_resumption: true}
phases:
  - type: ramp
  - {name: hold, type: steady, duration: 3s}
  - {name: storm, type: storm, duration: 10s}
YAML
  for r in $(seq 1 "$rounds"); do
    start_brokers "$kt"
    (ulimit -n "$(ulimit -Hn)"; timeout -s INT 300 "$build/tls_bench" "$out/$kt.yaml" --threads 1 \
      > "$out/$kt.$r.json" 2> "$out/$kt.$r.progress") || true
    stop_brokers
    echo "$kt round $r: $(grep -oE '"(tls_handshakes|tls_resumed|handshake_cpu_ms_full|handshake_cpu_ms_resumed)": [0-9.]+' "$out/$kt.$r.json" | tr '\n' ' ')"
  done
  python3 "$here/median.py" "$out/$kt".*.json | grep -E '"(connects_ok|tls_handshakes|tls_resumed|handshake_cpu_ms_|ramp_setup|storm_setup|cpu_)' | tr -s ' '
done
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "results in $out"
