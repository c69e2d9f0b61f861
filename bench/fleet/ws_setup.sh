#!/usr/bin/env bash
# WebSocket+TLS bench: connection setup rate during the ramp and during a reconnect storm,
# and RSS per idle WebSocket+TLS device, in websockets_with_default_aws_signing mode (a
# fresh SigV4 presigned URL per attempt). The server side is tests/e2e/ws_verify_server.py
# (Debian's websockify, which forks one Python process per connection, plus a botocore
# check of every signature) with TLS, in front of mosquitto; it is much slower than
# fleetload, so the rates are the pair's. tls_bench (bench/tls.cmake) drives the Engine.
# (Debian's mosquitto 2.0.11 is built without its own WebSocket listener.)
# Usage: bench/fleet/ws_setup.sh BUILD_DIR [DEVICES] [CONNECT_RATE] [RUNS] [HOLD_S]
set -euo pipefail
build=$1
devices=${2:-500}
rate=${3:-100}
runs=${4:-3}
hold=${5:-30}
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
out=$(mktemp -d /tmp/fleet-ws.XXXXXX)
mport=18884
wport=18443

openssl req -x509 -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -keyout "$out/ca.key" \
  -out "$out/ca.crt" -days 2 -subj "/CN=bench CA" 2>/dev/null
openssl req -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -keyout "$out/server.key" \
  -out "$out/server.csr" -subj "/CN=server" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$out/server.ext"
openssl x509 -req -in "$out/server.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" -CAcreateserial \
  -days 2 -extfile "$out/server.ext" -out "$out/server.crt" 2>/dev/null

akid=AKIDBENCHWS
secret=benchWsSecretKey0123456789abcdefEXAMPLE
cat > "$out/front.json" <<JSON
{"mode": "sigv4", "sigv4": {"access_key_id": "$akid", "secret_access_key": "$secret", "session_token": null, "region": "us-east-1"}}
JSON
cat > "$out/mosq.conf" <<CONF
listener $mport 127.0.0.1
allow_anonymous true
max_connections -1
persistence false
log_dest none
CONF

for run in $(seq 1 "$runs"); do
  (ulimit -n "$(ulimit -Hn)"; exec /usr/sbin/mosquitto -c "$out/mosq.conf" > "$out/mosq-$run.log" 2>&1) &
  mpid=$!
  (ulimit -n "$(ulimit -Hn)"; exec /usr/bin/python3 "$src/tests/e2e/ws_verify_server.py" --listen-port $wport \
     --target-port $mport --config "$out/front.json" --log "$out/verdicts-$run.jsonl" \
     --cert "$out/server.crt" --key "$out/server.key" > "$out/front-$run.log" 2>&1) &
  wpid=$!
  for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/$wport) 2>/dev/null && break; sleep 0.1; done
  cat > "$out/ws.yaml" <<YAML
name: bench-ws-tls
target: {endpoint: 127.0.0.1, port: $wport, protocol: mqtt311, connect_timeout: 30s}
fleet: {devices: $devices, client_id: "ws-{index}", connect_rate: $rate/s}
session: {keepalive: 300s, clean_session: true}
reconnect: {min_delay: 100ms, max_delay: 200ms, jitter: none}
run: {progress_interval: 100ms}
auth:
  mode: websockets_with_default_aws_signing
  region: us-east-1
  credentials: {access_key_id: $akid, secret_access_key: $secret}
  ca_filepath: $out/ca.crt
phases:
  - type: ramp
  - {name: hold, type: steady, duration: ${hold}s}
  - {name: storm, type: storm, duration: 30s}
YAML
  "$build/tls_bench" "$out/ws.yaml" > "$out/run-$run.json" 2> "$out/run-$run.progress" || true
  # websockify 0.10 can miss a SIGTERM (its handler raises inside its own SIGCHLD handling):
  # give it 5 s, then SIGKILL.
  kill "$wpid" "$mpid"
  for _ in $(seq 1 50); do kill -0 "$wpid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$wpid" 2>/dev/null || true
  wait "$wpid" "$mpid" 2>/dev/null || true
  echo "== run $run: $(grep -c accepted "$out/verdicts-$run.jsonl") upgrades accepted, $(grep -c refused "$out/verdicts-$run.jsonl" || true) refused"
  grep -E '"(connects_ok|tls_handshakes|ramp_|storm_|idle_rss|idle_heap|cpu_)' "$out/run-$run.json" | tr -s ' '
  sleep 2
done
echo "== median of $runs runs"
python3 "$here/median.py" "$out"/run-*.json | grep -E 'connects_ok|ramp_|storm_|idle_rss|idle_heap|cpu_'
echo "results in $out"
