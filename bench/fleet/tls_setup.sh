#!/usr/bin/env bash
# TLS bench: connection setup rate during the ramp and during a reconnect storm, with and
# without session resumption, and RSS per idle TLS device, for ECDSA P-256 and RSA-2048
# identities, with a plain-TCP baseline in the same run. Each round runs every configuration
# once (baseline first), so all see the same machine conditions; the summary is the median
# over the rounds.
#
# PKI: `fleetload certs --devices 1` per key type (CA, broker and device keys of that type);
# the fleet shares the one device identity, so one SSL_CTX: the per-device figure is the
# TLS connection, not per-device identities. mosquitto: a TLS listener requiring client
# certificates and a plain listener (the baseline) in one process per key type.
#
# Usage: bench/fleet/tls_setup.sh BUILD_DIR [DEVICES] [CONNECT_RATE] [ROUNDS] [KEYTYPES] [RESUME]
#   defaults: 1000 devices, 300/s, 3 rounds, KEYTYPES "ec rsa", RESUME "false true";
#   HOLD=45s in the environment lengthens the idle hold (slow ramps must end inside it for the
#   idle-memory sample).
# Keep DEVICES at or below ~9,000: a process may hold 20,000 fds and mosquitto holds the
# other end of every connection.
set -euo pipefail
build=$1
devices=${2:-1000}
rate=${3:-300}
rounds=${4:-3}
keytypes=${5:-"ec rsa"}
resumes=${6:-"false true"}
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d /tmp/fleet-tls.XXXXXX)
port=18883

start_broker() {  # start_broker KT: TLS on $port, plain on $port+1; sets mpid
  local kt=$1 pki="$out/pki-$1"
  cat > "$out/mosq-$kt.conf" <<CONF
allow_anonymous true
persistence false
log_dest none
user $(id -un)
listener $port 127.0.0.1
max_connections -1
cafile $pki/ca.crt
certfile $pki/server.crt
keyfile $pki/server.key
require_certificate true
listener $((port + 1)) 127.0.0.1
max_connections -1
CONF
  (ulimit -n "$(ulimit -Hn)"; exec /usr/sbin/mosquitto -c "$out/mosq-$kt.conf" > "$out/mosq-$kt.log" 2>&1) &
  mpid=$!
  for _ in $(seq 1 50); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && return 0; sleep 0.1; done
  echo "mosquitto did not start:" >&2; cat "$out/mosq-$kt.log" >&2; exit 1
}

scenario() {  # scenario TAG KT RESUME|tcp
  local tag=$1 kt=$2 resume=$3 pki="$out/pki-$2" auth p=$port
  if [ "$resume" = tcp ]; then
    p=$((port + 1)); auth="auth: {mode: plain_tcp}"
  else
    auth="auth:
  mode: mtls_from_path
  cert_filepath: $pki/device-0.crt
  pri_key_filepath: $pki/device-0.key
  ca_filepath: $pki/ca.crt
  tls: {session_resumption: $resume}"
  fi
  cat > "$out/$tag.yaml" <<YAML
name: bench-tls-$tag
target: {endpoint: 127.0.0.1, port: $p, protocol: mqtt311, connect_timeout: 30s}
fleet: {devices: $devices, client_id: "tls-{index}", connect_rate: $rate/s}
session: {keepalive: 300s, clean_session: true}
reconnect: {min_delay: 100ms, max_delay: 200ms, jitter: none}
run: {progress_interval: 100ms}
$auth
phases:
  - type: ramp
  - {name: hold, type: steady, duration: ${HOLD:-12s}}
  - {name: storm, type: storm, duration: 20s}
YAML
}

run_one() {  # run_one TAG ROUND
  (ulimit -n "$(ulimit -Hn)"; "$build/tls_bench" "$out/$1.yaml" --threads 2 > "$out/$1.$2.json" 2> "$out/$1.$2.progress") || true
  echo "round $2 $1: $(grep -oE '"(ramp_setup_rate_per_s|storm_setup_rate_per_s|idle_rss_per_device_bytes)": [0-9.]+' "$out/$1.$2.json" | tr '\n' ' ')"
}

for kt in $keytypes; do
  "$build/fleetload" certs --devices 1 --key-type "$([ "$kt" = ec ] && echo ecdsa-p256 || echo rsa2048)" \
    --out "$out/pki-$kt" > /dev/null
done
chmod -R a+rX "$out"
echo "machine: $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg) at start ($(date -u +%H:%M) UTC)"
for round in $(seq 1 "$rounds"); do
  first=1
  for kt in $keytypes; do
    start_broker "$kt"
    if [ $first = 1 ]; then scenario tcp "$kt" tcp; run_one tcp "$round"; first=0; fi
    for resume in $resumes; do
      tag="$kt-resume-$resume"
      scenario "$tag" "$kt" "$resume"
      run_one "$tag" "$round"
    done
    kill "$mpid"; wait "$mpid" 2>/dev/null || true
  done
done
echo "machine: load $(cut -d' ' -f1-3 /proc/loadavg) at the end ($(date -u +%H:%M) UTC)"
for tag in tcp $(for kt in $keytypes; do for r in $resumes; do echo "$kt-resume-$r"; done; done); do
  echo "== $tag (median of $rounds)"
  python3 "$here/median.py" "$out/$tag".*.json | grep -E '"(connects_ok|tls_handshakes|tls_resumed|ramp_|storm_|idle_rss|idle_heap|tls_memory_trims|idle_malloc|cpu_|tls_handshake_(ramp-0|storm)_ms.p(50|99)|time_to_connect_ms.p(50|99))' | tr -s ' '
done
echo "results in $out"
