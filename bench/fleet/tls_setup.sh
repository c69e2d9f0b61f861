#!/usr/bin/env bash
# TLS bench: connection setup rate during the ramp and during a reconnect storm, with and
# without session resumption, and RSS per idle TLS device, for ECDSA P-256 and RSA-2048
# identities (CA, broker and device keys of that type; one device identity shared by the
# fleet, so one SSL_CTX). mosquitto TLS listener requiring client certificates.
# Usage: bench/fleet/tls_setup.sh BUILD_DIR [DEVICES] [CONNECT_RATE] [KEYTYPES] [RESUME]
#   KEYTYPES: "ec rsa" (default); RESUME: "false true" (default)
set -euo pipefail
build=$1
devices=${2:-2000}
rate=${3:-5000}
keytypes=${4:-"ec rsa"}
resumes=${5:-"false true"}
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d /tmp/fleet-tls.XXXXXX)
port=18883

make_pki() {  # make_pki DIR ec|rsa
  local d=$1 kt=$2 newkey
  mkdir -p "$d"
  if [ "$kt" = ec ]; then newkey="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1"; else newkey="-newkey rsa:2048"; fi
  # shellcheck disable=SC2086
  openssl req -x509 -nodes $newkey -keyout "$d/ca.key" -out "$d/ca.crt" -days 2 -subj "/CN=bench CA" 2>/dev/null
  for who in server device; do
    # shellcheck disable=SC2086
    openssl req -nodes $newkey -keyout "$d/$who.key" -out "$d/$who.csr" -subj "/CN=$who" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$d/$who.ext"
    openssl x509 -req -in "$d/$who.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
      -days 2 -extfile "$d/$who.ext" -out "$d/$who.crt" 2>/dev/null
  done
}

for kt in $keytypes; do
  pki="$out/pki-$kt"
  make_pki "$pki" "$kt"
  chmod -R a+rX "$out"  # mosquitto started as root reads them as user mosquitto
  for resume in $resumes; do
    tag="$kt-resume-$resume"
    cat > "$out/mosq-$tag.conf" <<CONF
listener $port 127.0.0.1
allow_anonymous true
max_connections -1
persistence false
log_dest none
cafile $pki/ca.crt
certfile $pki/server.crt
keyfile $pki/server.key
require_certificate true
CONF
    (ulimit -n "$(ulimit -Hn)"; exec /usr/sbin/mosquitto -c "$out/mosq-$tag.conf" > "$out/mosq-$tag.log" 2>&1) &
    mpid=$!
    for _ in $(seq 1 50); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
    cat > "$out/$tag.yaml" <<YAML
name: bench-tls-$tag
target: {endpoint: 127.0.0.1, port: $port, protocol: mqtt311, connect_timeout: 20s}
fleet: {devices: $devices, client_id: "tls-{index}", connect_rate: $rate/s}
session: {keepalive: 300s, clean_session: true}
reconnect: {min_delay: 100ms, max_delay: 200ms, jitter: none}
run: {progress_interval: 100ms}
auth:
  mode: mtls_from_path
  cert_filepath: $pki/device.crt
  pri_key_filepath: $pki/device.key
  ca_filepath: $pki/ca.crt
  tls: {session_resumption: $resume}
phases:
  - type: ramp
  - {name: hold, type: steady, duration: 3s}
  - {name: storm, type: storm, duration: 20s}
YAML
    "$build/tls_bench" "$out/$tag.yaml" > "$out/$tag.json" 2> "$out/$tag.progress" || true
    kill "$mpid"; wait "$mpid" 2>/dev/null || true
    echo "== $tag"
    grep -E '"(connects_ok|tls_handshakes|tls_resumed|ramp_|storm_|rss_per_device|idle_rss|idle_heap|cpu_|tls_handshake_)' "$out/$tag.json" | tr -s ' '
    sleep 2
  done
done
echo "results in $out"
