#!/usr/bin/env bash
# Starts a benchmark mosquitto on 127.0.0.1:PORT with the open-files limit raised to the
# hard limit; prints its pid. Usage: start_mosquitto.sh PORT WORKDIR
# env MOSQ_CPU=L: pin it to these CPUs (a taskset list), for same-run comparisons.
set -euo pipefail
port=$1
dir=$2
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dir"
sed "s/@PORT@/$port/" "$here/mosquitto.conf.in" > "$dir/mosquitto-$port.conf"
(
  ulimit -n "$(ulimit -Hn)"
  exec /usr/sbin/mosquitto -c "$dir/mosquitto-$port.conf" >"$dir/mosquitto-$port.log" 2>&1
) &
pid=$!
# Wait (bounded) until it accepts.
for _ in $(seq 1 50); do
  if (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null; then
    [[ -z "${MOSQ_CPU:-}" ]] || taskset -pc "$MOSQ_CPU" "$pid" >/dev/null
    echo "$pid"
    exit 0
  fi
  sleep 0.1
done
echo "mosquitto on port $port did not come up; log:" >&2
cat "$dir/mosquitto-$port.log" >&2
kill "$pid" 2>/dev/null || true
exit 1
